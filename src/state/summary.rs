//! Derived job data kept current on every change: the job summary (counts
//! of allocations by client status per group) and the job's status.

use std::sync::Arc;

use super::{JobKey, State, Table};
use crate::structs::{
    ALLOC_CLIENT_COMPLETE, ALLOC_CLIENT_FAILED, ALLOC_CLIENT_LOST, ALLOC_CLIENT_PENDING,
    ALLOC_CLIENT_RUNNING, Allocation, Evaluation, JOB_STATUS_DEAD, JOB_STATUS_PENDING,
    JOB_STATUS_RUNNING, JOB_TYPE_SYSBATCH, JOB_TYPE_SYSTEM, Job, JobSummary, TaskGroupSummary,
};

/// Creates the job's summary if it has none.
pub(crate) fn ensure(state: &mut State, index: u64, key: &JobKey) {
    if state.summaries.contains_key(key) {
        return;
    }
    let parent = state
        .jobs
        .get(key)
        .is_some_and(|j| j.is_periodic() || j.is_parameterized());
    let summary = JobSummary {
        job_id: key.id.clone(),
        namespace: key.namespace.clone(),
        children: parent.then(Default::default),
        create_index: index,
        modify_index: index,
        ..JobSummary::default()
    };
    state.summaries.insert(key.clone(), Arc::new(summary));
    state.index.bump(Table::JobSummaries, index);
}

/// Recomputes the job's summary and status from its allocations and
/// evaluations; writes only what changed.
pub(crate) fn refresh(state: &mut State, index: u64, key: &JobKey) {
    refresh_with(state, index, key, false);
}

/// [`refresh`] after garbage collection removed some of the job's
/// evaluations or allocations: a job left with neither is dead, not
/// pending (Nomad's `evalDelete`).
pub(crate) fn refresh_collected(state: &mut State, index: u64, key: &JobKey) {
    refresh_with(state, index, key, true);
}

/// Rebuilds only the job's summary (`reconcile/summaries`); its status is
/// left as it is.
pub(crate) fn refresh_summary(state: &mut State, index: u64, key: &JobKey) {
    let Some(job) = state.jobs.get(key).cloned() else {
        return;
    };
    let allocs = state.allocs_by_job(&key.namespace, &key.id);
    let evals = state.evals_by_job(&key.namespace, &key.id);
    write_summary(state, index, key, &job, &allocs, &evals);
}

fn refresh_with(state: &mut State, index: u64, key: &JobKey, collected: bool) {
    let Some(job) = state.jobs.get(key).cloned() else {
        return;
    };
    let allocs = state.allocs_by_job(&key.namespace, &key.id);
    let evals = state.evals_by_job(&key.namespace, &key.id);
    write_summary(state, index, key, &job, &allocs, &evals);
    let status = job_status(&job, &allocs, &evals, collected);
    if status != job.status {
        if !job.parent_id.is_empty() {
            let parent = JobKey::new(&key.namespace, &job.parent_id);
            children_moved(state, index, &parent, &job.status, status);
        }
        let mut job = (*job).clone();
        job.status = status.to_string();
        job.modify_index = index;
        let job = Arc::new(job);
        // The history keeps the status of the version it holds.
        if let Some(versions) = state.job_versions.get_mut(key)
            && let Some(front) = versions.front_mut()
            && front.version == job.version
        {
            *front = job.clone();
        }
        state.jobs.insert(key.clone(), job);
        state.note(index, super::Changed::Job(key.clone()));
        state.index.bump(Table::Jobs, index);
    }
}

/// Writes the summary `allocs` and `evals` give (counts by client status
/// per group, queued from the latest evaluation), if it changed.
fn write_summary(
    state: &mut State,
    index: u64,
    key: &JobKey,
    job: &Job,
    allocs: &[Arc<Allocation>],
    evals: &[Arc<Evaluation>],
) {
    let Some(old) = state.summaries.get(key).cloned() else {
        return;
    };
    let mut groups = std::collections::BTreeMap::new();
    for g in &job.task_groups {
        groups.insert(g.name.clone(), TaskGroupSummary::default());
    }
    for a in allocs {
        // Look up before inserting: no name copy per allocation.
        let s = match groups.get_mut(a.task_group.as_str()) {
            Some(s) => s,
            None => groups.entry(a.task_group.clone()).or_default(),
        };
        match a.client_status.as_str() {
            ALLOC_CLIENT_PENDING => s.starting += 1,
            ALLOC_CLIENT_RUNNING => s.running += 1,
            ALLOC_CLIENT_COMPLETE => s.complete += 1,
            ALLOC_CLIENT_FAILED => s.failed += 1,
            ALLOC_CLIENT_LOST => s.lost += 1,
            _ => s.unknown += 1,
        }
    }
    // Queued: what the latest evaluation could not place yet.
    if let Some(latest) = evals.iter().max_by_key(|e| (e.create_index, e.id.clone())) {
        for (group, queued) in &latest.queued_allocations {
            groups.entry(group.clone()).or_default().queued = *queued;
        }
    }
    if groups != old.summary {
        let mut summary = (*old).clone();
        summary.summary = groups;
        summary.modify_index = index;
        state.summaries.insert(key.clone(), Arc::new(summary));
        state.index.bump(Table::JobSummaries, index);
    }
}

/// Nomad's job status: `running` while a live allocation exists, `pending`
/// while an evaluation is outstanding, otherwise `dead` once anything ran
/// (or once garbage collection took what ran: `collected`).
fn job_status(
    job: &Job,
    allocs: &[Arc<Allocation>],
    evals: &[Arc<Evaluation>],
    collected: bool,
) -> &'static str {
    let live_alloc = allocs.iter().any(|a| !a.terminal());
    if job.stop {
        return if live_alloc {
            JOB_STATUS_RUNNING
        } else {
            JOB_STATUS_DEAD
        };
    }
    if matches!(job.job_type.as_str(), JOB_TYPE_SYSTEM | JOB_TYPE_SYSBATCH)
        || job.is_periodic()
        || job.is_parameterized()
        || live_alloc
    {
        return JOB_STATUS_RUNNING;
    }
    if evals.iter().any(|e| !e.terminal()) {
        return JOB_STATUS_PENDING;
    }
    if collected || !allocs.is_empty() || !evals.is_empty() {
        return JOB_STATUS_DEAD;
    }
    JOB_STATUS_PENDING
}

/// A child of the job at `parent` went from status `from` to `to` (empty:
/// not counted, as before its first status or after its removal): the
/// parent's `Children` counts follow, without a scan of its children.
pub(crate) fn children_moved(state: &mut State, index: u64, parent: &JobKey, from: &str, to: &str) {
    let Some(old) = state.summaries.get(parent).cloned() else {
        return;
    };
    let mut summary = (*old).clone();
    let children = summary.children.get_or_insert_with(Default::default);
    bump(children, from, -1);
    bump(children, to, 1);
    summary.modify_index = index;
    state.summaries.insert(parent.clone(), Arc::new(summary));
    state.index.bump(Table::JobSummaries, index);
}

fn bump(c: &mut crate::structs::JobChildrenSummary, status: &str, by: i64) {
    let count = match status {
        JOB_STATUS_PENDING => &mut c.pending,
        JOB_STATUS_RUNNING => &mut c.running,
        JOB_STATUS_DEAD => &mut c.dead,
        _ => return,
    };
    *count = count.saturating_add(by).max(0);
}

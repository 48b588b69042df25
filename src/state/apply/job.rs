//! Job registration and deregistration, with `-check-index`.
//!
//! The compare-and-set runs here, in apply, against the `JobModifyIndex`
//! in the state this entry is applied to, so of several registrations that
//! expect the same index, at most one can win: the first one in log order
//! changes the index the others compare against.

use std::sync::Arc;

use crate::state::{Applied, ApplyError, JOB_TRACKED_VERSIONS, JobDeregister, JobKey, JobRegister};
use crate::state::{Changed, State, Table, apply::eval, apply::job_submission, summary};
use crate::structs::Job;

/// Checks `EnforceIndex` against the stored job, with Nomad's messages.
pub fn check_index(existing: Option<&Job>, expected: u64) -> Result<(), ApplyError> {
    match (expected, existing) {
        (0, Some(_)) => Err(ApplyError::CheckIndex(
            "Enforcing job modify index 0: job already exists".into(),
        )),
        (n, None) if n != 0 => Err(ApplyError::CheckIndex(format!(
            "Enforcing job modify index {n}: job does not exist"
        ))),
        (n, Some(job)) if job.job_modify_index != n => Err(ApplyError::CheckIndex(format!(
            "Enforcing job modify index {n}: job exists with conflicting job modify index: {}",
            job.job_modify_index
        ))),
        _ => Ok(()),
    }
}

pub fn register(state: &mut State, index: u64, req: JobRegister) -> Result<Applied, ApplyError> {
    let JobRegister {
        mut job,
        eval: new_eval,
        enforce_index,
        submission,
        scaling_event,
    } = req;
    if job.id.is_empty() {
        return Err(ApplyError::Invalid("Missing job ID".into()));
    }
    if !state.namespace_exists(&job.namespace) {
        return Err(ApplyError::Invalid(format!(
            "job {:?} is in nonexistent namespace {:?}",
            job.id, job.namespace
        )));
    }
    let key = JobKey::new(&job.namespace, &job.id);
    let existing = state.jobs.get(&key).cloned();
    if let Some(expected) = enforce_index {
        check_index(existing.as_deref(), expected)?;
    }
    let mut applied = Applied {
        job_found: existing.is_some(),
        ..Applied::default()
    };
    match &existing {
        Some(old) if old.job_type != job.job_type => {
            return Err(ApplyError::Invalid(format!(
                "cannot update job from type {:?} to {:?}",
                old.job_type, job.job_type
            )));
        }
        // An identical spec writes no new version; only the evaluation is
        // new. Nomad answers with the job's ModifyIndex in that case.
        Some(old) if !job.spec_changed(old) => {
            applied.job_modify_index = old.modify_index;
        }
        Some(old) => {
            job.create_index = old.create_index;
            job.version = old.version + 1;
            job.modify_index = index;
            job.job_modify_index = index;
            job.status = old.status.clone();
            put_job(state, index, job);
            applied.job_modify_index = index;
        }
        None => {
            job.create_index = index;
            job.modify_index = index;
            job.job_modify_index = index;
            job.version = 0;
            put_job(state, index, job);
            applied.job_modify_index = index;
        }
    }
    let new_eval_id = new_eval.as_ref().map(|e| e.id.clone());
    if let Some(mut e) = new_eval {
        e.job_modify_index = state
            .jobs
            .get(&key)
            .map(|j| j.job_modify_index)
            .unwrap_or_default();
        eval::put(state, index, e);
    }
    let current = state
        .jobs
        .get(&key)
        .map(|j| (j.version, j.job_modify_index));
    if let (Some(sub), Some((version, jmi))) = (submission, current)
        && applied.job_modify_index == index
    {
        job_submission::put(state, &key, sub, version, jmi);
    }
    if let Some(mut ev) = scaling_event {
        ev.event.eval_id = new_eval_id;
        job_submission::add_scaling_event(state, index, ev);
    }
    summary::ensure(state, index, &key);
    summary::refresh(state, index, &key);
    Ok(applied)
}

/// Stores `job` as the current version and records it in the history.
fn put_job(state: &mut State, index: u64, job: Job) {
    let key = JobKey::new(&job.namespace, &job.id);
    let job = Arc::new(job);
    let versions = state.job_versions.entry(key.clone()).or_default();
    versions.push_front(job.clone());
    // As Nomad: when the version about to be dropped is the newest stable
    // one, the one before it goes instead, so a stable version to revert
    // to stays while there is one.
    if versions.len() > JOB_TRACKED_VERSIONS {
        let newest_stable = versions.iter().position(|j| j.stable);
        if newest_stable == Some(JOB_TRACKED_VERSIONS) {
            versions.swap(JOB_TRACKED_VERSIONS - 1, JOB_TRACKED_VERSIONS);
        }
    }
    versions.truncate(JOB_TRACKED_VERSIONS);
    state.note(index, Changed::Job(key.clone()));
    state.jobs.insert(key, job);
    state.index.bump(Table::Jobs, index);
    state.index.bump(Table::JobVersions, index);
}

/// Removes a job, its stored versions and its summary (a purge, or
/// garbage collection); its evaluations and allocations are the caller's.
pub(crate) fn remove(state: &mut State, index: u64, key: &JobKey) {
    if let Some(old) = state.jobs.remove(key) {
        state.note(index, Changed::Job(key.clone()));
        if !old.parent_id.is_empty() {
            let parent = JobKey::new(&old.namespace, &old.parent_id);
            summary::children_moved(state, index, &parent, &old.status, "");
        }
    }
    state.job_versions.remove(key);
    state.submissions.remove(key);
    state.scaling_events.remove(key);
    state.periodic_launches.remove(key);
    state.summaries.remove(key);
    state.index.bump(Table::Jobs, index);
    state.index.bump(Table::JobVersions, index);
    state.index.bump(Table::JobSummaries, index);
}

pub fn deregister(
    state: &mut State,
    index: u64,
    req: JobDeregister,
) -> Result<Applied, ApplyError> {
    let key = JobKey::new(&req.namespace, &req.job_id);
    let Some(existing) = state.jobs.get(&key).cloned() else {
        return Ok(Applied::default());
    };
    let mut applied = Applied {
        job_found: true,
        ..Applied::default()
    };
    if req.purge {
        remove(state, index, &key);
        applied.job_modify_index = index;
    } else if existing.stop {
        applied.job_modify_index = existing.job_modify_index;
    } else {
        let mut job = (*existing).clone();
        job.stop = true;
        job.version += 1;
        job.modify_index = index;
        job.job_modify_index = index;
        job.submit_time = req.submit_time;
        put_job(state, index, job);
        applied.job_modify_index = index;
    }
    if let Some(mut e) = req.eval {
        e.job_modify_index = applied.job_modify_index;
        eval::put(state, index, e);
    }
    if !req.purge {
        summary::refresh(state, index, &key);
    }
    Ok(applied)
}

//! What may be collected, object by object: Nomad's `core_sched.go`
//! rules as pure predicates over a [`State`] and a [`GcCutoffs`]. The
//! leader's selection ([`super::select`]) and apply ([`crate::state::apply::gc`])
//! call the same functions, so an entry removes only what is still
//! collectable in the state it is applied to.

use std::collections::HashMap;
use std::sync::Arc;

use super::GcCutoffs;
use crate::state::{JobKey, State};
use crate::structs::{
    ALLOC_CLIENT_FAILED, ALLOC_CLIENT_RUNNING, ALLOC_DESIRED_STOP, Allocation, Evaluation,
    JOB_STATUS_DEAD, JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH, Job, NODE_STATUS_DOWN, Node,
};

/// Nomad's `jobIsGCable`: periodic and parameterized jobs once stopped;
/// others once dead and either stopped or batch (which finish by
/// themselves).
pub fn job_gcable(job: &Job) -> bool {
    if job.is_periodic() || job.is_parameterized() {
        return job.stop;
    }
    if job.status != JOB_STATUS_DEAD {
        return false;
    }
    job.stop || matches!(job.job_type.as_str(), JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH)
}

/// An allocation that is not terminal, or that its client still reports
/// running, is live: no rule ever collects it.
pub fn alloc_live(a: &Allocation) -> bool {
    !a.terminal() || a.client_status == ALLOC_CLIENT_RUNNING
}

/// Nomad's `allocGCEligible`: terminal and old, and not a failed
/// allocation its job may still reschedule (its replacement copies the
/// failed one's reschedule history).
pub fn alloc_eligible(a: &Allocation, job: Option<&Job>, now: i64, cutoff: i64) -> bool {
    if alloc_live(a) || a.modify_time > cutoff {
        return false;
    }
    let Some(job) = job else {
        return true;
    };
    if job.stop || job.status == JOB_STATUS_DEAD {
        return true;
    }
    if a.desired_status == ALLOC_DESIRED_STOP || a.client_status != ALLOC_CLIENT_FAILED {
        return true;
    }
    let Some(policy) = job
        .task_group(&a.task_group)
        .and_then(|g| g.reschedule_policy.as_ref())
    else {
        return true;
    };
    if !policy.unlimited && policy.attempts == 0 {
        return true;
    }
    if !a.next_allocation.is_empty() {
        return true;
    }
    if policy.unlimited {
        return false;
    }
    let Some(last) = a.reschedule_tracker.as_ref().and_then(|t| t.events.last()) else {
        return false;
    };
    now.saturating_sub(last.reschedule_time) > policy.interval
}

/// Nomad's `olderVersionTerminalAllocs` for one allocation: of a batch
/// job that still runs, only terminal allocations of older versions go,
/// or the scheduler would run the current ones again. Unlike Nomad, one
/// its client reports running stays.
fn older_version_terminal(a: &Allocation, job: &Job, cutoff: i64) -> bool {
    a.create_index < job.job_modify_index && a.modify_time <= cutoff && !alloc_live(a)
}

/// The time before which `eval` counts as old: batch evaluations have
/// their own threshold.
pub fn eval_cutoff(eval: &Evaluation, cutoffs: &GcCutoffs) -> i64 {
    if eval.eval_type == JOB_TYPE_BATCH {
        cutoffs.batch_eval
    } else {
        cutoffs.eval
    }
}

/// A terminal evaluation last changed at or before `cutoff`.
pub fn eval_old(eval: &Evaluation, cutoff: i64) -> bool {
    eval.terminal() && eval.modify_time <= cutoff
}

/// Whether allocation `a` of evaluation `eval` may go with it (the
/// evaluation being terminal and old). `allow_batch`: job GC, where a
/// dead batch job's allocations all go.
pub fn alloc_goes_with(
    eval: &Evaluation,
    job: Option<&Job>,
    a: &Allocation,
    now: i64,
    cutoff: i64,
    allow_batch: bool,
) -> bool {
    if eval.eval_type == JOB_TYPE_BATCH
        && let Some(job) = job
        && !(job.status == JOB_STATUS_DEAD && (job.stop || allow_batch))
    {
        return older_version_terminal(a, job, cutoff);
    }
    alloc_eligible(a, job, now, cutoff)
}

/// What Nomad's `gcEval` decides for one evaluation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EvalVerdict {
    /// The evaluation goes (every one of its allocations goes too).
    pub collect: bool,
    /// Its allocations that go, whether or not it does.
    pub allocs: Vec<String>,
}

/// Nomad's `gcEval`: an old terminal evaluation goes when all its
/// allocations may go; those that may go are collected either way.
pub fn eval_verdict(
    eval: &Evaluation,
    job: Option<&Job>,
    allocs: &[&Arc<Allocation>],
    now: i64,
    cutoff: i64,
    allow_batch: bool,
) -> EvalVerdict {
    if !eval_old(eval, cutoff) {
        return EvalVerdict::default();
    }
    let going: Vec<String> = allocs
        .iter()
        .filter(|a| alloc_goes_with(eval, job, a, now, cutoff, allow_batch))
        .map(|a| a.id.clone())
        .collect();
    EvalVerdict {
        collect: going.len() == allocs.len(),
        allocs: going,
    }
}

/// The cutoff for an allocation whose evaluation is gone: its job type's
/// evaluation threshold.
fn orphan_cutoff(a: &Allocation, job: Option<&Job>, cutoffs: &GcCutoffs) -> i64 {
    let batch = job
        .or(a.job.as_deref())
        .is_some_and(|j| j.job_type == JOB_TYPE_BATCH);
    if batch {
        cutoffs.batch_eval
    } else {
        cutoffs.eval
    }
}

/// Evaluation GC's rule for one allocation, as apply re-checks it: with
/// its evaluation when that is still stored (which must be terminal and
/// old), alone otherwise.
pub fn alloc_collectable(state: &State, a: &Allocation, cutoffs: &GcCutoffs) -> bool {
    let job = state.jobs.get(&JobKey::new(&a.namespace, &a.job_id));
    match state.evals.get(&a.eval_id) {
        Some(eval) => {
            let cutoff = eval_cutoff(eval, cutoffs);
            eval_old(eval, cutoff)
                && alloc_goes_with(eval, job.map(|j| &**j), a, cutoffs.now, cutoff, false)
        }
        None => {
            let job = job.map(|j| &**j);
            alloc_eligible(a, job, cutoffs.now, orphan_cutoff(a, job, cutoffs))
        }
    }
}

/// A job's allocations grouped by evaluation ID.
pub fn allocs_by_eval<'a>(
    state: &'a State,
    key: &JobKey,
) -> HashMap<&'a str, Vec<&'a Arc<Allocation>>> {
    let mut by_eval: HashMap<&str, Vec<&Arc<Allocation>>> = HashMap::new();
    if let Some(set) = state.allocs_by_job.get(key) {
        for a in set.values() {
            by_eval.entry(a.eval_id.as_str()).or_default().push(a);
        }
    }
    by_eval
}

/// Job GC's rule: a GC-able job submitted at or before the job cutoff
/// whose every evaluation and allocation may go (Nomad's `jobGC`, which
/// also asks every allocation to be collectable: here those whose
/// evaluation is gone are asked too). Returns how many objects go with
/// it: the job, its evaluations and its allocations.
pub fn job_collectable(state: &State, job: &Job, cutoffs: &GcCutoffs) -> Option<usize> {
    if !job_gcable(job) || job.submit_time > cutoffs.job {
        return None;
    }
    let key = JobKey::new(&job.namespace, &job.id);
    let mut by_eval = allocs_by_eval(state, &key);
    let mut objects = 1;
    if let Some(ids) = state.evals_by_job.get(&key) {
        for id in ids {
            let Some(eval) = state.evals.get(id) else {
                continue;
            };
            let allocs = by_eval.remove(id.as_str()).unwrap_or_default();
            let verdict = eval_verdict(eval, Some(job), &allocs, cutoffs.now, cutoffs.job, true);
            if !verdict.collect {
                return None;
            }
            objects += 1 + allocs.len();
        }
    }
    // Allocations whose evaluation is gone.
    for a in by_eval.values().flatten() {
        if !alloc_eligible(a, Some(job), cutoffs.now, cutoffs.job) {
            return None;
        }
        objects += 1;
    }
    Some(objects)
}

/// Node GC's rule: down since the node cutoff, with no live allocation
/// (the scheduler has not yet marked them lost otherwise).
pub fn node_collectable(state: &State, node: &Node, cutoffs: &GcCutoffs) -> bool {
    if node.status != NODE_STATUS_DOWN
        || node.status_updated_at.saturating_mul(1_000_000_000) > cutoffs.node
    {
        return false;
    }
    state
        .by_node
        .get(node.id.as_str())
        .is_none_or(|n| n.allocs.values().all(|a| a.terminal()))
}

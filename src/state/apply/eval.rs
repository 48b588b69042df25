//! Evaluations.

use std::sync::Arc;

use crate::state::summary;
use crate::state::{Applied, ApplyError, JobKey, State, Table};
use crate::structs::{EVAL_STATUS_BLOCKED, EVAL_STATUS_CANCELED, EVAL_STATUS_COMPLETE, Evaluation};

fn cancel_blocked(state: &mut State, index: u64, key: &JobKey, by: &str) {
    let blocked: Vec<Evaluation> = state
        .evals_by_job(&key.namespace, &key.id)
        .into_iter()
        .filter(|e| e.status == EVAL_STATUS_BLOCKED && e.id != by)
        .map(|e| (*e).clone())
        .collect();
    for mut e in blocked {
        e.status = EVAL_STATUS_CANCELED.into();
        e.status_description = format!("evaluation {by:?} successful");
        put(state, index, e);
    }
}

/// Inserts `eval` and maintains the by-job index.
pub(crate) fn insert(state: &mut State, eval: Arc<Evaluation>) {
    if let Some(old) = state.evals.get(&eval.id) {
        state
            .evals_by_index
            .remove(&(old.modify_index, old.id.clone()));
    }
    state
        .evals_by_index
        .insert((eval.modify_index, eval.id.clone()), ());
    let key = JobKey::new(&eval.namespace, &eval.job_id);
    state
        .evals_by_job
        .entry(key)
        .or_default()
        .insert(eval.id.clone());
    state.evals.insert(eval.id.clone(), eval);
}

/// Removes one evaluation from the table and its indexes (garbage
/// collection); returns it, if it was there.
pub(crate) fn remove(state: &mut State, index: u64, id: &str) -> Option<Arc<Evaluation>> {
    let old = state.evals.remove(id)?;
    state
        .evals_by_index
        .remove(&(old.modify_index, old.id.clone()));
    let key = JobKey::new(&old.namespace, &old.job_id);
    if let Some(ids) = state.evals_by_job.get_mut(&key) {
        ids.remove(id);
        if ids.is_empty() {
            state.evals_by_job.remove(&key);
        }
    }
    state.index.bump(Table::Evals, index);
    Some(old)
}

/// Stamps and stores one evaluation at `index`.
pub(crate) fn put(state: &mut State, index: u64, mut eval: Evaluation) {
    eval.create_index = state
        .evals
        .get(&eval.id)
        .map(|e| e.create_index)
        .unwrap_or(index);
    eval.modify_index = index;
    // Related evaluations are a read's view, never stored.
    eval.related_evals = None;
    insert(state, Arc::new(eval));
    state.index.bump(Table::Evals, index);
}

/// Refuses a batch of evaluations in which one has no ID (before anything
/// is applied).
pub(crate) fn check_ids(evals: &[Evaluation]) -> Result<(), ApplyError> {
    match evals.iter().find(|e| e.id.is_empty()) {
        Some(e) => Err(ApplyError::Invalid(format!(
            "evaluation for job {:?} has no ID",
            e.job_id
        ))),
        None => Ok(()),
    }
}

pub fn upsert(
    state: &mut State,
    index: u64,
    evals: Vec<Evaluation>,
) -> Result<Applied, ApplyError> {
    check_ids(&evals)?;
    let mut jobs = Vec::new();
    for eval in evals {
        let key = JobKey::new(&eval.namespace, &eval.job_id);
        // A successful evaluation makes the job's blocked ones moot.
        if eval.status == EVAL_STATUS_COMPLETE && eval.failed_tg_allocs.is_empty() {
            cancel_blocked(state, index, &key, &eval.id);
        }
        jobs.push(key);
        put(state, index, eval);
    }
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

//! Evaluations.

use std::sync::Arc;

use crate::state::summary;
use crate::state::{Applied, ApplyError, JobKey, State, Table};
use crate::structs::Evaluation;

/// Inserts `eval` and maintains the by-job index.
pub(crate) fn insert(state: &mut State, eval: Arc<Evaluation>) {
    let key = JobKey::new(&eval.namespace, &eval.job_id);
    state
        .evals_by_job
        .entry(key)
        .or_default()
        .insert(eval.id.clone());
    state.evals.insert(eval.id.clone(), eval);
}

/// Stamps and stores one evaluation at `index`.
pub(crate) fn put(state: &mut State, index: u64, mut eval: Evaluation) {
    eval.create_index = state
        .evals
        .get(&eval.id)
        .map(|e| e.create_index)
        .unwrap_or(index);
    eval.modify_index = index;
    insert(state, Arc::new(eval));
    state.index.bump(Table::Evals, index);
}

pub fn upsert(
    state: &mut State,
    index: u64,
    evals: Vec<Evaluation>,
) -> Result<Applied, ApplyError> {
    if let Some(e) = evals.iter().find(|e| e.id.is_empty()) {
        return Err(ApplyError::Invalid(format!(
            "evaluation for job {:?} has no ID",
            e.job_id
        )));
    }
    let mut jobs = Vec::new();
    for eval in evals {
        jobs.push(JobKey::new(&eval.namespace, &eval.job_id));
        put(state, index, eval);
    }
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

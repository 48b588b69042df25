//! Evaluations the servers create for a job: on registration, client
//! failures, node changes and drains.

use crate::ids;
use crate::structs::{EVAL_STATUS_PENDING, Evaluation, Job};

/// A pending evaluation of `job`, stamped with a new ID and `now`.
pub fn for_job(job: &Job, triggered_by: &str, now: i64) -> Evaluation {
    Evaluation {
        id: ids::uuid(),
        namespace: job.namespace.clone(),
        priority: job.priority,
        eval_type: job.job_type.clone(),
        triggered_by: triggered_by.into(),
        job_id: job.id.clone(),
        job_modify_index: job.job_modify_index,
        status: EVAL_STATUS_PENDING.into(),
        create_time: now,
        modify_time: now,
        ..Evaluation::default()
    }
}

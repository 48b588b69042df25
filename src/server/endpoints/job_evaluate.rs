//! `PUT /v1/job/{id}/evaluate`: a new evaluation of a job as it stands,
//! as Nomad's `Job.Evaluate`. With `EvalOptions.ForceReschedule`, the
//! job's failed allocations are marked to be replaced now, whatever their
//! reschedule policy says, in the same Raft entry as the evaluation.

use std::collections::BTreeMap;

use super::super::{Server, ServerError};
use crate::ids;
use crate::state::Command;
use crate::structs::{
    ALLOC_CLIENT_FAILED, DesiredTransition, TRIGGER_JOB_REGISTER, rpc::JobRegisterResponse,
};

pub use crate::structs::rpc::{EvalOptions, JobEvaluateRequest};

pub async fn evaluate(
    server: &Server,
    namespace: &str,
    job_id: &str,
    req: JobEvaluateRequest,
) -> Result<JobRegisterResponse, ServerError> {
    if !req.job_id.is_empty() && req.job_id != job_id {
        return Err(ServerError::BadRequest("Job ID does not match".into()));
    }
    let state = server.consistent_state().await?;
    let Some(job) = state.job(namespace, job_id) else {
        return Err(ServerError::NotFound("job not found".into()));
    };
    if job.is_periodic() {
        return Err(ServerError::BadRequest(
            "can't evaluate periodic job".into(),
        ));
    }
    if job.is_parameterized() {
        return Err(ServerError::BadRequest(
            "can't evaluate parameterized job".into(),
        ));
    }
    let eval = crate::server::evals::for_job(&job, TRIGGER_JOB_REGISTER, ids::now_nanos());
    let eval_id = eval.id.clone();
    let command = if req.eval_options.force_reschedule {
        let forced = DesiredTransition {
            force_reschedule: Some(true),
            ..DesiredTransition::default()
        };
        let allocs: BTreeMap<String, DesiredTransition> = state
            .allocs_by_job(namespace, job_id)
            .iter()
            .filter(|a| a.client_status == ALLOC_CLIENT_FAILED && !a.server_terminal())
            .map(|a| (a.id.clone(), forced.clone()))
            .collect();
        Command::AllocDesiredTransition {
            allocs,
            evals: vec![eval],
        }
    } else {
        Command::EvalUpsert { evals: vec![eval] }
    };
    let (index, _) = server.propose(&command).await?;
    Ok(JobRegisterResponse {
        eval_id,
        eval_create_index: index,
        job_modify_index: job.job_modify_index,
        warnings: String::new(),
        index,
    })
}

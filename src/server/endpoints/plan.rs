//! `PUT /v1/job/{id}/plan`: the scheduler's dry run. The job is registered
//! into a private copy of the state (an O(1) clone), the scheduler runs on
//! it, and nothing is committed.

use super::super::{Server, ServerError};
use crate::ids;
use crate::scheduler::{annotate::annotate, compute};
use crate::state::{Command, JobRegister, State, apply};
use crate::structs::diff::job_diff;
use crate::structs::{EVAL_STATUS_PENDING, Evaluation, Job, JobPlanResponse, PlanAnnotations};

pub use crate::structs::rpc::JobPlanRequest;

pub async fn plan(server: &Server, req: JobPlanRequest) -> Result<JobPlanResponse, ServerError> {
    let mut job = req
        .job
        .ok_or_else(|| ServerError::BadRequest("Job must be specified".into()))?;
    if job.id.is_empty() {
        return Err(ServerError::BadRequest("Job must have a valid ID".into()));
    }
    if job.region.is_empty() {
        job.region = server.config().region.clone();
    }
    let job = super::job::prepared(job).await?;
    let state = server.consistent_state().await?;
    // The dry run is scheduler work: off the runtime's worker threads.
    crate::offload::run(move || dry_run(&state, job, req.diff)).await?
}

fn dry_run(state: &State, job: Job, diff: bool) -> Result<JobPlanResponse, ServerError> {
    let existing = state.job(&job.namespace, &job.id);
    let job_modify_index = existing.as_ref().map(|j| j.job_modify_index).unwrap_or(0);

    let now = ids::now_nanos();
    let index = state.indexes().latest + 1;
    let eval = Evaluation {
        id: ids::uuid(),
        namespace: job.namespace.clone(),
        priority: job.priority,
        eval_type: job.job_type.clone(),
        triggered_by: "job-register".into(),
        job_id: job.id.clone(),
        status: EVAL_STATUS_PENDING.into(),
        annotate_plan: true,
        create_time: now,
        modify_time: now,
        ..Evaluation::default()
    };
    let mut scratch = (*state).clone();
    let register = Command::JobRegister(JobRegister {
        job: job.clone(),
        eval: Some(eval.clone()),
        enforce_index: None,
        ..Default::default()
    });
    apply::apply(&mut scratch, index, register)?;
    let eval = scratch.eval(&eval.id).map(|e| (*e).clone()).unwrap_or(eval);
    let outcome = compute(&scratch, &eval, now);

    let diff = diff.then(|| {
        let mut d = job_diff(existing.as_deref(), &job, false);
        annotate(&mut d, &outcome.annotations);
        d
    });
    Ok(JobPlanResponse {
        annotations: Some(PlanAnnotations {
            desired_tg_updates: outcome.annotations,
            preempted_allocs: Vec::new(),
        }),
        failed_tg_allocs: (!outcome.failed_tg_allocs.is_empty())
            .then_some(outcome.failed_tg_allocs),
        job_modify_index,
        created_evals: Vec::new(),
        diff,
        next_periodic_launch: crate::structs::periodic::PeriodicConfig::of(&job)
            .filter(|p| p.enabled)
            .and_then(|p| p.next_after(crate::ids::now_nanos()))
            .map_or_else(
                || "0001-01-01T00:00:00Z".into(),
                crate::structs::time::rfc3339,
            ),
        warnings: String::new(),
        index: job_modify_index,
    })
}

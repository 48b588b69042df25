//! Job registration and deregistration.

use super::super::{Server, ServerError};
use crate::ids;
use crate::jobspec;
use crate::state::{Command, JobDeregister, JobRegister};
use crate::structs::{
    Evaluation, GroupScalingEvent, Job, JobSubmission, MAX_SUBMISSION_SOURCE,
    TRIGGER_JOB_DEREGISTER, TRIGGER_JOB_REGISTER,
};

pub use crate::structs::rpc::{JobDeregisterResponse, JobRegisterRequest, JobRegisterResponse};

/// Canonicalises and validates a job as every write path does.
pub fn prepare(job: &mut Job) -> Result<(), ServerError> {
    jobspec::canonicalize(job);
    jobspec::validate(job).map_err(|e| ServerError::Validation(e.to_string()))
}

/// [`prepare`] off the runtime's worker threads (a job may have thousands
/// of groups): gives the job back canonicalised, or why it is invalid.
pub async fn prepared(mut job: Job) -> Result<Job, ServerError> {
    crate::offload::run_if(is_large(&job) || job.periodic.is_some(), move || {
        prepare(&mut job).map(|()| job)
    })
    .await?
}

/// Whether checking `job` is worth moving off the runtime: it has more
/// groups and tasks than a hand-written job (the checks cost microseconds
/// per task, the hop to another thread about as much as a small job).
pub(crate) fn is_large(job: &Job) -> bool {
    const INLINE_TASKS: usize = 64;
    job.task_groups.len() > INLINE_TASKS
        || job.task_groups.iter().map(|g| g.tasks.len()).sum::<usize>() > INLINE_TASKS
}

/// The range of a job's priority, and of the priority a registration may
/// give its evaluation.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = 1..=100;

fn new_eval(job: &Job, triggered_by: &str, priority: i64, now: i64) -> Evaluation {
    let mut e = crate::server::evals::for_job(job, triggered_by, now);
    if PRIORITY_RANGE.contains(&priority) {
        e.priority = priority;
    }
    e
}

pub async fn register(
    server: &Server,
    req: JobRegisterRequest,
) -> Result<JobRegisterResponse, ServerError> {
    let job = req
        .job
        .ok_or_else(|| ServerError::BadRequest("Job must be specified".into()))?;
    if job.id.is_empty() {
        return Err(ServerError::BadRequest(
            "Job ID hasn't been provided".into(),
        ));
    }
    if req.eval_priority != 0 && !PRIORITY_RANGE.contains(&req.eval_priority) {
        return Err(ServerError::BadRequest(format!(
            "EvalPriority must be between 1 and 100 (got {})",
            req.eval_priority
        )));
    }
    let enforce_index = req.enforce_index.then_some(req.job_modify_index);
    let extra = Extra {
        submission: req.submission,
        ..Extra::default()
    };
    submit_with(server, job, enforce_index, req.eval_priority, extra).await
}

/// What a registration may carry besides the job.
#[derive(Default)]
pub(crate) struct Extra {
    /// The job file (kept per version; dropped with a warning when over
    /// [`MAX_SUBMISSION_SOURCE`]).
    pub submission: Option<JobSubmission>,
    /// A scaling event recorded with the new version.
    pub scaling_event: Option<GroupScalingEvent>,
}

/// The path every registration takes (a new spec, a revert): canonicalise
/// and validate `job`, stamp it, and commit it with its evaluation in one
/// Raft entry. `enforce_index`: the `JobModifyIndex` the stored job must
/// have (checked again at apply).
pub(crate) async fn submit(
    server: &Server,
    job: Job,
    enforce_index: Option<u64>,
    eval_priority: i64,
) -> Result<JobRegisterResponse, ServerError> {
    submit_with(server, job, enforce_index, eval_priority, Extra::default()).await
}

/// [`submit`] with a job file and a scaling event.
pub(crate) async fn submit_with(
    server: &Server,
    mut job: Job,
    enforce_index: Option<u64>,
    eval_priority: i64,
    extra: Extra,
) -> Result<JobRegisterResponse, ServerError> {
    super::operator::check_registrations_allowed(server)?;
    if job.region.is_empty() {
        job.region = server.config().region.clone();
    }
    let mut job = prepared(job).await?;
    let now = ids::now_nanos();
    job.submit_time = now;
    job.status.clear();
    let eval = (!job.is_periodic() && !job.is_parameterized())
        .then(|| new_eval(&job, TRIGGER_JOB_REGISTER, eval_priority, now));
    let eval_id = eval.as_ref().map(|e| e.id.clone()).unwrap_or_default();
    let mut warnings = String::new();
    let submission = match extra.submission {
        Some(s) if s.size() > MAX_SUBMISSION_SOURCE => {
            warnings = format!(
                "job source size of {} exceeds maximum of {MAX_SUBMISSION_SOURCE} and will be discarded",
                s.size()
            );
            None
        }
        other => other,
    };
    let command = Command::JobRegister(JobRegister {
        job,
        eval,
        enforce_index,
        submission,
        scaling_event: extra.scaling_event,
    });
    let (index, applied) = server.propose(&command).await?;
    Ok(JobRegisterResponse {
        eval_create_index: if eval_id.is_empty() { 0 } else { index },
        eval_id,
        job_modify_index: applied.job_modify_index,
        warnings,
        index,
    })
}

pub async fn deregister(
    server: &Server,
    namespace: &str,
    job_id: &str,
    purge: bool,
    eval_priority: i64,
) -> Result<JobDeregisterResponse, ServerError> {
    let state = server.consistent_state().await?;
    let Some(job) = state.job(namespace, job_id) else {
        return Ok(JobDeregisterResponse {
            index: state.indexes().latest,
            ..JobDeregisterResponse::default()
        });
    };
    let now = ids::now_nanos();
    let eval = (!job.is_periodic() && !job.is_parameterized())
        .then(|| new_eval(&job, TRIGGER_JOB_DEREGISTER, eval_priority, now));
    let eval_id = eval.as_ref().map(|e| e.id.clone()).unwrap_or_default();
    let command = Command::JobDeregister(JobDeregister {
        namespace: namespace.into(),
        job_id: job_id.into(),
        purge,
        eval,
        submit_time: now,
    });
    let (index, applied) = server.propose(&command).await?;
    if !applied.job_found {
        return Ok(JobDeregisterResponse {
            index,
            ..JobDeregisterResponse::default()
        });
    }
    Ok(JobDeregisterResponse {
        eval_create_index: if eval_id.is_empty() { 0 } else { index },
        eval_id,
        job_modify_index: applied.job_modify_index,
        index,
    })
}

//! `PUT /v1/job/{id}/dispatch` (a parameterized job's child, with its
//! payload and meta, as Nomad's `Job.Dispatch`) and
//! `PUT /v1/job/{id}/periodic/force` (a periodic job's launch now).
//!
//! A dispatched child is `<parent>/dispatch-<unix seconds>-<8 hex>`,
//! named after its ID, with the parent's meta plus the dispatch's, and
//! the payload kept on the child (`Payload`, base64) for the client to
//! write to each task's `dispatch_payload` file. An `IdempotencyToken`
//! travels as the child's `nomad_dispatch_idempotency_token` meta; apply
//! answers a retried dispatch with the live child that carries it.

use base64::Engine;

use super::super::{Server, ServerError};
use crate::ids;
use crate::server::evals;
use crate::server::leader::periodic;
use crate::state::{Command, JobDispatch};
use crate::structs::parameterized::{DISPATCH_LAUNCH_SUFFIX, IDEMPOTENCY_TOKEN_META};
use crate::structs::{
    JobDispatchRequest, JobDispatchResponse, ParameterizedConfig, TRIGGER_JOB_REGISTER,
};

/// The largest meta a dispatch may add: keys and values of at most this.
const MAX_META_TEXT: usize = 4096;

pub async fn dispatch(
    server: &Server,
    namespace: &str,
    job_id: &str,
    req: JobDispatchRequest,
) -> Result<JobDispatchResponse, ServerError> {
    let payload = decode_payload(&req.payload)?;
    if req
        .meta
        .iter()
        .any(|(k, v)| k.len() > MAX_META_TEXT || v.len() > MAX_META_TEXT)
        || req.idempotency_token.len() > MAX_META_TEXT
    {
        return Err(ServerError::BadRequest(format!(
            "dispatch meta keys, values and idempotency tokens are limited to {MAX_META_TEXT} bytes"
        )));
    }
    let state = server.consistent_state().await?;
    let parent = state
        .job(namespace, job_id)
        .ok_or_else(|| ServerError::NotFound("job not found".into()))?;
    let Some(spec) = parent
        .parameterized_job
        .as_ref()
        .filter(|_| !parent.dispatched)
    else {
        return Err(ServerError::BadRequest(format!(
            "Specified job {job_id:?} is not a parameterized job"
        )));
    };
    if parent.stop {
        return Err(ServerError::BadRequest(format!(
            "Specified job {job_id:?} is stopped"
        )));
    }
    ParameterizedConfig::from_json(spec)
        .check(payload.len(), &req.meta)
        .map_err(ServerError::BadRequest)?;

    let now = ids::now_nanos();
    let suffix = &ids::uuid()[..8];
    let id = format!(
        "{job_id}{DISPATCH_LAUNCH_SUFFIX}{}-{suffix}",
        now.div_euclid(1_000_000_000)
    );
    let mut child = (*parent).clone();
    child.id = id.clone();
    child.name = id.clone();
    child.parent_id = parent.id.clone();
    child.dispatched = true;
    child.status.clear();
    child.stable = false;
    child.version = 0;
    child.submit_time = now;
    child.payload = (!payload.is_empty()).then(|| serde_json::Value::String(req.payload.clone()));
    child.meta.extend(req.meta.clone());
    if !req.idempotency_token.is_empty() {
        child
            .meta
            .insert(IDEMPOTENCY_TOKEN_META.into(), req.idempotency_token.clone());
    }
    let eval = evals::for_job(&child, TRIGGER_JOB_REGISTER, now);
    let eval_id = eval.id.clone();
    let cmd = Command::JobDispatch(JobDispatch {
        child,
        eval: Some(eval),
        idempotency_token: req.idempotency_token,
    });
    let (index, applied) = server.propose(&cmd).await?;
    if let Some(existing) = applied.existing_child {
        let st = server.state().snapshot();
        let job = st.job(namespace, &existing);
        return Ok(JobDispatchResponse {
            dispatched_job_id: existing,
            eval_id: String::new(),
            eval_create_index: 0,
            job_create_index: job.as_ref().map_or(0, |j| j.create_index),
            index: job.as_ref().map_or(index, |j| j.modify_index),
        });
    }
    Ok(JobDispatchResponse {
        dispatched_job_id: id,
        eval_id,
        eval_create_index: index,
        job_create_index: index,
        index,
    })
}

/// The payload's bytes: standard base64, as Go encodes `[]byte`.
fn decode_payload(text: &str) -> Result<Vec<u8>, ServerError> {
    // A payload over the limit is refused by size before decoding work.
    if text.len() > crate::structs::parameterized::DISPATCH_PAYLOAD_SIZE_LIMIT * 4 / 3 + 4 {
        return Err(ServerError::BadRequest(format!(
            "Payload exceeds maximum size; {} > {}",
            text.len() / 4 * 3,
            crate::structs::parameterized::DISPATCH_PAYLOAD_SIZE_LIMIT
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| ServerError::BadRequest(format!("Payload is not valid base64: {e}")))
}

/// `PUT /v1/job/{id}/periodic/force`: launches the periodic job now.
pub async fn periodic_force(
    server: &Server,
    namespace: &str,
    job_id: &str,
) -> Result<(String, u64), ServerError> {
    let state = server.consistent_state().await?;
    let parent = state
        .job(namespace, job_id)
        .ok_or_else(|| ServerError::NotFound("job not found".into()))?;
    if !parent.is_periodic() {
        return Err(ServerError::BadRequest(
            "can't force launch non-periodic job".into(),
        ));
    }
    if parent.stop {
        return Err(ServerError::BadRequest(
            "can't force launch a stopped periodic job".into(),
        ));
    }
    let now = ids::now_nanos();
    // Children are named by the launch second: a force in the second of
    // the last launch takes the next one.
    let after_last = state
        .periodic_launch(namespace, job_id)
        .map_or(i64::MIN, |l| {
            l.div_euclid(1_000_000_000)
                .saturating_add(1)
                .saturating_mul(1_000_000_000)
        });
    let cmd = periodic::launch_command(&parent, now.max(after_last), false, true, now);
    let eval_id = match &cmd {
        Command::PeriodicLaunch(l) => l.eval.as_ref().map(|e| e.id.clone()).unwrap_or_default(),
        _ => String::new(),
    };
    let (index, _) = server.propose(&cmd).await?;
    Ok((eval_id, index))
}

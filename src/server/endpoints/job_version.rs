//! Operations on a job's stored versions: revert to one, mark one stable.
//!
//! A revert registers the old version's spec again through the register
//! path ([`super::job::submit`]): it becomes a new version with a new
//! `JobModifyIndex` and an evaluation (`job-register`), in one Raft entry.
//! Marking a version stable is one [`JobStability`] command.

use super::super::{Server, ServerError};
use super::job::submit;
use crate::state::{Command, JobStability};
use crate::structs::rpc::{JobRegisterResponse, JobRevertRequest, JobStabilityRequest};

fn version_not_found(job_id: &str, namespace: &str, version: u64) -> ServerError {
    ServerError::NotFound(format!(
        "job {job_id:?} in namespace {namespace:?} at version {version} not found"
    ))
}

/// Registers version `req.job_version` of the job in `namespace` again.
///
/// Refused: an unknown job (404), the current version (400, `can't revert
/// to current version`), a version no longer stored (404), and, with
/// `EnforcePriorVersion`, a current version other than the one given
/// (400, naming both).
pub async fn revert(
    server: &Server,
    namespace: &str,
    req: JobRevertRequest,
) -> Result<JobRegisterResponse, ServerError> {
    if req.job_id.is_empty() {
        return Err(ServerError::BadRequest("JobID must be specified".into()));
    }
    let state = server.consistent_state().await?;
    let current = state
        .job(namespace, &req.job_id)
        .ok_or_else(|| ServerError::NotFound(format!("job {:?} not found", req.job_id)))?;
    if req.job_version == current.version {
        return Err(ServerError::BadRequest(
            "can't revert to current version".into(),
        ));
    }
    let old = state
        .job_versions(namespace, &req.job_id)
        .into_iter()
        .find(|j| j.version == req.job_version)
        .ok_or_else(|| version_not_found(&req.job_id, namespace, req.job_version))?;
    // The current version must still be the one the caller saw: checked
    // here for Nomad's message, and at apply against the JobModifyIndex
    // it had, so a registration in between makes the revert fail.
    let enforce_index = match req.enforce_prior_version {
        Some(prior) if prior != current.version => {
            return Err(ServerError::CheckIndex(format!(
                "Current job has version {}; enforcing version {prior}",
                current.version
            )));
        }
        Some(_) => Some(current.job_modify_index),
        None => None,
    };
    let mut job = (*old).clone();
    // A new registration: not stable until proven so.
    job.stable = false;
    submit(server, job, enforce_index, 0).await
}

/// Marks version `req.job_version` of the job in `namespace` stable (or
/// not); gives the index of the write. 404 when that version is not
/// stored.
pub async fn stable(
    server: &Server,
    namespace: &str,
    req: JobStabilityRequest,
) -> Result<u64, ServerError> {
    if req.job_id.is_empty() {
        return Err(ServerError::BadRequest("JobID must be specified".into()));
    }
    let state = server.consistent_state().await?;
    let stored = state
        .job_versions(namespace, &req.job_id)
        .iter()
        .any(|j| j.version == req.job_version);
    if !stored {
        return Err(version_not_found(&req.job_id, namespace, req.job_version));
    }
    let command = Command::JobStability(JobStability {
        namespace: namespace.to_string(),
        job_id: req.job_id.clone(),
        version: req.job_version,
        stable: req.stable,
    });
    let (index, applied) = server.propose(&command).await?;
    // Trimmed or purged between the check and the write.
    if !applied.job_found {
        return Err(version_not_found(&req.job_id, namespace, req.job_version));
    }
    Ok(index)
}

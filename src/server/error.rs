//! Errors of the server endpoints; the API maps each to an HTTP status.

use crate::state::ApplyError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The request itself is wrong (400).
    #[error("{0}")]
    BadRequest(String),
    /// The caller may not do this (403): e.g. a node call without the
    /// node's secret.
    #[error("{0}")]
    Forbidden(String),
    /// The job, node, ... does not exist (404); the text is Nomad's.
    #[error("{0}")]
    NotFound(String),
    /// A job failed validation (500 in Nomad; the text lists every error).
    #[error("{0}")]
    Validation(String),
    /// A `-check-index` compare-and-set failed (Nomad answers 500).
    #[error("{0}")]
    CheckIndex(String),
    /// The state refused the change.
    #[error("{0}")]
    Refused(String),
    /// A variable's check-and-set failed (409, with the variable as it is).
    #[error("cas error: variable at {:?} has modify index {}", .0.path, .0.modify_index)]
    VarConflict(Box<crate::structs::Variable>),
    /// No leader could be found in time.
    #[error("No cluster leader")]
    NoLeader,
    /// The leader could not be reached.
    #[error("cannot reach the cluster leader: {0}")]
    Unavailable(String),
    /// Too much CPU-heavy work is queued (503).
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Internal(String),
}

impl From<crate::offload::OffloadError> for ServerError {
    fn from(e: crate::offload::OffloadError) -> Self {
        match e {
            crate::offload::OffloadError::Busy => ServerError::Busy(e.to_string()),
            crate::offload::OffloadError::Panicked => ServerError::Internal(e.to_string()),
        }
    }
}

impl From<ApplyError> for ServerError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::CheckIndex(m) => ServerError::CheckIndex(m),
            ApplyError::Invalid(m) => ServerError::Refused(m),
            ApplyError::Decode(m) => ServerError::Internal(m),
            ApplyError::NotFound(m) => ServerError::NotFound(m),
            ApplyError::VarConflict(v) => ServerError::VarConflict(v),
        }
    }
}

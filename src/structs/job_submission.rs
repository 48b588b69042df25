//! The original job file a version was registered from
//! (`GET /v1/job/{id}/submission?version=N`), and a group's scaling
//! events (`GET /v1/job/{id}/scale`).

use serde::{Deserialize, Serialize};

use super::StrMap;

/// The largest source kept, as Nomad's `job_max_source_size` default
/// (1 MB); a larger one is dropped with a warning.
pub const MAX_SUBMISSION_SOURCE: usize = 1024 * 1024;
/// Scaling events kept per group, newest first (Nomad's
/// `JobTrackedScalingEvents`).
pub const TRACKED_SCALING_EVENTS: usize = 20;

/// Nomad's `JobSubmission`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobSubmission {
    pub source: String,
    /// `hcl2`, `hcl1` or `json`.
    pub format: String,
    pub variable_flags: StrMap,
    pub variables: String,
    pub namespace: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub version: u64,
    pub job_modify_index: u64,
}

impl JobSubmission {
    /// The bytes it holds, for the size limit.
    pub fn size(&self) -> usize {
        self.variable_flags.iter().fold(
            self.source.len().saturating_add(self.variables.len()),
            |n, (k, v)| n.saturating_add(k.len()).saturating_add(v.len()),
        )
    }
}

/// Nomad's `ScalingEvent`: a count change or a message from an
/// autoscaler.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScalingEvent {
    /// Unix nanoseconds.
    pub time: i64,
    pub count: Option<i64>,
    pub previous_count: i64,
    pub message: String,
    pub error: bool,
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(rename = "EvalID")]
    pub eval_id: Option<String>,
    pub create_index: u64,
}

/// A scaling event for one group of one job.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GroupScalingEvent {
    pub namespace: String,
    pub job_id: String,
    pub group: String,
    pub event: ScalingEvent,
}

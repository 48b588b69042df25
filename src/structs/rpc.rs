//! The request and response bodies of the HTTP API that are not entities
//! themselves: shared by the server's handlers and the typed API client
//! (`crate::api_client`), so both sides agree by construction.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Job, Node, SmallMap, TaskState};

/// The body of `PUT /v1/node/register`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeRegisterRequest {
    pub node: Option<Node>,
}

/// What registration and heartbeats answer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeUpdateResponse {
    /// Nanoseconds the client may wait before its next heartbeat.
    #[serde(rename = "HeartbeatTTL")]
    pub heartbeat_ttl: i64,
    #[serde(rename = "EvalIDs")]
    pub eval_ids: Vec<String>,
    pub eval_create_index: u64,
    pub node_modify_index: u64,
    pub index: u64,
}

/// What a client reports about one allocation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocClientUpdate {
    #[serde(rename = "ID")]
    pub id: String,
    pub client_status: String,
    pub client_description: String,
    pub task_states: SmallMap<String, TaskState>,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

/// The body of `PUT /v1/node/{id}/allocations`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocUpdateRequest {
    pub allocs: Vec<AllocClientUpdate>,
}

/// A write's answer that carries only its index.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IndexResponse {
    pub index: u64,
}

/// What a client pulls (`GET /v1/node/{id}/client-allocs`): the
/// allocations placed on its node, each with its `AllocModifyIndex`
/// (Nomad's `Node.GetClientAllocs`), so it fetches only those that changed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClientAllocs {
    pub allocs: BTreeMap<String, u64>,
    pub index: u64,
}

/// The body of `PUT /v1/jobs` and `PUT /v1/job/{id}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRegisterRequest {
    pub job: Option<Job>,
    /// The job file it came from, kept per version.
    pub submission: Option<super::JobSubmission>,
    pub enforce_index: bool,
    pub job_modify_index: u64,
    pub policy_override: bool,
    pub preserve_counts: bool,
    pub eval_priority: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRegisterResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub job_modify_index: u64,
    pub warnings: String,
    pub index: u64,
}

/// `PUT /v1/job/{id}/evaluate`'s body (Nomad's `JobEvaluateRequest`);
/// all optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobEvaluateRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub eval_options: EvalOptions,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EvalOptions {
    pub force_reschedule: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDeregisterResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub job_modify_index: u64,
    pub index: u64,
}

/// The body of `PUT /v1/job/{id}/plan`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobPlanRequest {
    pub job: Option<Job>,
    pub diff: bool,
    pub policy_override: bool,
}

/// The body of `PUT /v1/job/{id}/revert`: register `JobVersion` again as
/// a new version.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRevertRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_version: u64,
    /// When set, the revert happens only if the job's current version is
    /// this one (a compare-and-set, checked again at apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_prior_version: Option<u64>,
    /// The job's namespace; the `namespace` query parameter wins.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// The body of `PUT /v1/job/{id}/stable`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobStabilityRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_version: u64,
    pub stable: bool,
    /// The job's namespace; the `namespace` query parameter wins.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// What `PUT /v1/job/{id}/stable` answers: `{"Index": N}`, as Nomad's
/// `JobStabilityResponse`.
pub type JobStabilityResponse = IndexResponse;

/// What `GET /v1/job/{id}/versions` answers: the stored versions, newest
/// first, and with `diffs=true` the change from each version to the next
/// newer one (`Diffs[i]` goes from `Versions[i+1]` to `Versions[i]`;
/// `null` when not asked for or when there is a single version, as in
/// Nomad).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobVersionsResponse {
    pub versions: Vec<std::sync::Arc<Job>>,
    pub diffs: Option<Vec<super::JobDiff>>,
    pub index: u64,
}

/// `POST /v1/job/{id}/scale`'s body (Nomad's `ScalingRequest`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScalingRequest {
    /// None: only an event to record, no change.
    pub count: Option<i64>,
    /// `Group` (required), and `Job`/`Namespace` as the path says.
    pub target: BTreeMap<String, String>,
    pub message: String,
    pub error: bool,
    pub meta: Option<BTreeMap<String, serde_json::Value>>,
    pub policy_override: bool,
}

/// `GET /v1/job/{id}/scale` (Nomad's `JobScaleStatusResponse`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobScaleStatus {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub namespace: String,
    pub job_create_index: u64,
    pub job_modify_index: u64,
    pub job_stopped: bool,
    pub task_groups: BTreeMap<String, GroupScaleStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupScaleStatus {
    pub desired: i64,
    pub placed: i64,
    pub running: i64,
    pub healthy: i64,
    pub unhealthy: i64,
    /// Newest first, at most [`super::TRACKED_SCALING_EVENTS`].
    pub events: Vec<super::ScalingEvent>,
}

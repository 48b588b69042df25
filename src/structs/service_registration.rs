//! A service instance registered in the servers' replicated state (Nomad's
//! native `ServiceRegistration`), with the status of its health checks,
//! and the batch in which a client writes and removes them.

use serde::{Deserialize, Serialize};

use super::StrMap;

pub const CHECK_PASSING: &str = "passing";
pub const CHECK_WARNING: &str = "warning";
pub const CHECK_CRITICAL: &str = "critical";

/// One instance of a service: an allocation's address and port under a
/// service name. Nomad's fields first; `Provider`, `Meta`, `Checks`,
/// `TaskName` and `PortLabel` are Drover's (Nomad's clients ignore them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceRegistration {
    /// `_nomad-task-<alloc ID>-<task, or group-<group>>-<service name>-<port label>`.
    #[serde(rename = "ID")]
    pub id: String,
    pub service_name: String,
    pub namespace: String,
    #[serde(rename = "NodeID")]
    pub node_id: String,
    pub datacenter: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    #[serde(rename = "AllocID")]
    pub alloc_id: String,
    pub tags: Vec<String>,
    pub address: String,
    pub port: i64,
    /// `consul` or `nomad`: both are served by Drover's catalog.
    pub provider: String,
    pub meta: StrMap,
    /// The task that registered it; empty for a group-level service.
    pub task_name: String,
    pub port_label: String,
    /// Each health check's latest status.
    pub checks: Vec<CheckStatus>,
    pub create_index: u64,
    pub modify_index: u64,
}

/// A health check's status as its client last saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CheckStatus {
    /// The check's `name` (Nomad's default: `service: "<name>" check`).
    pub name: String,
    /// `tcp`, `http` or `script`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `passing`, `warning` or `critical`.
    pub status: String,
    /// What the last run said (an HTTP status line, a connection error,
    /// a script's output), bounded by the client.
    pub output: String,
}

impl ServiceRegistration {
    /// Whether every check passes (a service without checks passes).
    pub fn passing(&self) -> bool {
        self.checks.iter().all(|c| c.status == CHECK_PASSING)
    }
}

/// `PUT /v1/node/{id}/services`: a client's batch of registrations to
/// write (whole, replacing any with the same ID) and IDs to remove, for
/// allocations on its node; applied as one Raft entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceUpdateRequest {
    pub upserts: Vec<ServiceRegistration>,
    pub deletes: Vec<String>,
}

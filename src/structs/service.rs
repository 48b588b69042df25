//! Services a task or group advertises, and their health checks.

use serde::{Deserialize, Serialize};

use super::StrMap;

/// A named service at a port of an allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Service {
    pub name: String,
    pub task_name: String,
    pub port_label: String,
    pub address_mode: String,
    pub address: String,
    pub enable_tag_override: bool,
    pub tags: Vec<String>,
    pub canary_tags: Vec<String>,
    pub checks: Vec<ServiceCheck>,
    pub meta: StrMap,
    pub provider: String,
    pub on_update: String,
}

/// A health check of a service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceCheck {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub command: String,
    pub args: Vec<String>,
    pub path: String,
    pub protocol: String,
    pub port_label: String,
    pub address_mode: String,
    /// Nanoseconds.
    pub interval: i64,
    /// Nanoseconds.
    pub timeout: i64,
    pub initial_status: String,
    pub method: String,
    pub header: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(rename = "TLSSkipVerify")]
    pub tls_skip_verify: bool,
    #[serde(rename = "GRPCService")]
    pub grpc_service: String,
    #[serde(rename = "GRPCUseTLS")]
    pub grpc_use_tls: bool,
    pub check_restart: Option<serde_json::Value>,
    pub task_name: String,
    pub on_update: String,
    /// The address and port the check reaches, as the client resolved
    /// them from its `address_mode` and `port`; never sent or stored.
    #[serde(skip)]
    pub target: Option<(String, i64)>,
}

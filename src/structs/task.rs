//! A task: one process or container of a group.

use serde::{Deserialize, Serialize};

use super::{Affinity, Constraint, Resources, RestartPolicy, SECOND, Service, StrMap};

/// Driver-specific configuration, free-form (`image`, `port_map`, ...).
pub type DriverConfig = serde_json::Map<String, serde_json::Value>;

/// One task of a task group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Task {
    pub name: String,
    pub driver: String,
    pub user: String,
    pub config: DriverConfig,
    pub env: StrMap,
    pub services: Vec<Service>,
    pub constraints: Vec<Constraint>,
    pub affinities: Vec<Affinity>,
    /// Filled with defaults by canonicalisation when absent.
    pub resources: Option<Resources>,
    /// A task-level override of the group's restart policy.
    pub restart_policy: Option<RestartPolicy>,
    pub meta: StrMap,
    /// Nanoseconds.
    pub kill_timeout: i64,
    pub log_config: Option<LogConfig>,
    pub leader: bool,
    /// Nanoseconds.
    pub shutdown_delay: i64,
    pub kill_signal: String,
    pub kind: String,
    pub lifecycle: Option<serde_json::Value>,
    pub templates: Vec<serde_json::Value>,
    pub artifacts: Vec<serde_json::Value>,
    pub vault: Option<serde_json::Value>,
    pub dispatch_payload: Option<serde_json::Value>,
}

/// Default kill timeout: 5 s.
pub const DEFAULT_KILL_TIMEOUT: i64 = 5 * SECOND;

/// How a task's logs are rotated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LogConfig {
    pub max_files: i64,
    #[serde(rename = "MaxFileSizeMB")]
    pub max_file_size_mb: i64,
    pub disabled: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            max_files: 10,
            max_file_size_mb: 10,
            disabled: false,
        }
    }
}

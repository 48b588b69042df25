//! A task group: the unit of placement.

use serde::{Deserialize, Serialize};

use super::{
    Affinity, Constraint, EphemeralDisk, NetworkResource, ReschedulePolicy, RestartPolicy, Service,
    Spread, StrMap, Task, UpdateStrategy,
};

/// Tasks placed together on one node, `Count` times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskGroup {
    pub name: String,
    pub count: i64,
    pub update: Option<UpdateStrategy>,
    pub migrate: Option<serde_json::Value>,
    pub constraints: Vec<Constraint>,
    pub affinities: Vec<Affinity>,
    pub spreads: Vec<Spread>,
    pub restart_policy: Option<RestartPolicy>,
    pub reschedule_policy: Option<ReschedulePolicy>,
    pub tasks: Vec<Task>,
    pub ephemeral_disk: Option<EphemeralDisk>,
    pub meta: StrMap,
    /// Group networks (0.10+ form).
    pub networks: Vec<NetworkResource>,
    pub services: Vec<Service>,
    pub shutdown_delay: Option<i64>,
    pub scaling: Option<serde_json::Value>,
    pub volumes: Option<serde_json::Value>,
    pub stop_after_client_disconnect: Option<i64>,
    pub max_client_disconnect: Option<i64>,
}

impl Default for TaskGroup {
    fn default() -> Self {
        TaskGroup {
            name: String::new(),
            count: 1,
            update: None,
            migrate: None,
            constraints: Vec::new(),
            affinities: Vec::new(),
            spreads: Vec::new(),
            restart_policy: None,
            reschedule_policy: None,
            tasks: Vec::new(),
            ephemeral_disk: None,
            meta: StrMap::new(),
            networks: Vec::new(),
            services: Vec::new(),
            shutdown_delay: None,
            scaling: None,
            volumes: None,
            stop_after_client_disconnect: None,
            max_client_disconnect: None,
        }
    }
}

impl TaskGroup {
    pub fn task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.name == name)
    }
}

//! Rolling updates.

use serde::{Deserialize, Serialize};

use super::SECOND;

/// How a group's allocations are replaced on a job update.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateStrategy {
    pub stagger: i64,
    pub max_parallel: i64,
    pub health_check: String,
    pub min_healthy_time: i64,
    pub healthy_deadline: i64,
    pub progress_deadline: i64,
    pub auto_revert: bool,
    pub auto_promote: bool,
    pub canary: i64,
}

impl UpdateStrategy {
    /// Nomad's defaults when a service job has no `update` block.
    pub fn service_default() -> Self {
        UpdateStrategy {
            stagger: 30 * SECOND,
            max_parallel: 1,
            health_check: "checks".into(),
            min_healthy_time: 10 * SECOND,
            healthy_deadline: 5 * 60 * SECOND,
            progress_deadline: 10 * 60 * SECOND,
            auto_revert: false,
            auto_promote: false,
            canary: 0,
        }
    }
}

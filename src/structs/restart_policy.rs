//! How a client restarts a failed task.

use serde::{Deserialize, Serialize};

use super::SECOND;

/// Restart attempts within an interval, with a delay and a mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicy {
    pub attempts: i64,
    pub interval: i64,
    pub delay: i64,
    pub mode: String,
    pub render_templates: bool,
}

impl RestartPolicy {
    /// Nomad's defaults for a job type.
    pub fn default_for(job_type: &str) -> Self {
        match job_type {
            "batch" | "sysbatch" => RestartPolicy {
                attempts: 3,
                interval: 24 * 3600 * SECOND,
                delay: 15 * SECOND,
                mode: "fail".into(),
                render_templates: false,
            },
            _ => RestartPolicy {
                attempts: 2,
                interval: 30 * 60 * SECOND,
                delay: 15 * SECOND,
                mode: "fail".into(),
                render_templates: false,
            },
        }
    }
}

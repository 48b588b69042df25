//! How servers replace a failed allocation.

use serde::{Deserialize, Serialize};

use super::SECOND;

/// Rescheduling attempts, delays and their growth.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReschedulePolicy {
    pub attempts: i64,
    pub interval: i64,
    pub delay: i64,
    pub delay_function: String,
    pub max_delay: i64,
    pub unlimited: bool,
}

impl ReschedulePolicy {
    /// Nomad's defaults for a job type; system jobs are never rescheduled.
    pub fn default_for(job_type: &str) -> Option<Self> {
        match job_type {
            "service" => Some(ReschedulePolicy {
                attempts: 0,
                interval: 0,
                delay: 30 * SECOND,
                delay_function: "exponential".into(),
                max_delay: 3600 * SECOND,
                unlimited: true,
            }),
            "batch" => Some(ReschedulePolicy {
                attempts: 1,
                interval: 24 * 3600 * SECOND,
                delay: 5 * SECOND,
                delay_function: "constant".into(),
                max_delay: 0,
                unlimited: false,
            }),
            _ => None,
        }
    }
}

/// The reschedules that led to an allocation, carried from each failed
/// allocation to its replacement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RescheduleTracker {
    pub events: Vec<RescheduleEvent>,
}

/// One reschedule: when, from which allocation and node, after what delay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RescheduleEvent {
    /// Unix nanoseconds.
    pub reschedule_time: i64,
    #[serde(rename = "PrevAllocID")]
    pub prev_alloc_id: String,
    #[serde(rename = "PrevNodeID")]
    pub prev_node_id: String,
    /// Nanoseconds.
    pub delay: i64,
}

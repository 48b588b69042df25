//! What a scheduler decided for each task group, as `plan` reports it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AllocListStub, AllocMetric, Evaluation, JobDiff};

/// Counts of the scheduler's decisions for one task group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DesiredUpdates {
    pub ignore: u64,
    pub place: u64,
    pub migrate: u64,
    pub stop: u64,
    pub in_place_update: u64,
    pub destructive_update: u64,
    pub canary: u64,
    pub preemptions: u64,
}

/// The scheduler's decisions, attached to a dry-run plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PlanAnnotations {
    #[serde(rename = "DesiredTGUpdates")]
    pub desired_tg_updates: BTreeMap<String, DesiredUpdates>,
    pub preempted_allocs: Vec<AllocListStub>,
}

/// The answer to `PUT /v1/job/{id}/plan`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobPlanResponse {
    pub annotations: Option<PlanAnnotations>,
    #[serde(rename = "FailedTGAllocs")]
    pub failed_tg_allocs: Option<BTreeMap<String, AllocMetric>>,
    pub job_modify_index: u64,
    pub created_evals: Vec<Evaluation>,
    pub diff: Option<JobDiff>,
    pub next_periodic_launch: String,
    pub warnings: String,
    pub index: u64,
}

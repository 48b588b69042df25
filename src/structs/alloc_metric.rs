//! Why the scheduler placed an allocation where it did, or could not.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::SmallMap;

/// Placement bookkeeping for one allocation (or one failed group).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocMetric {
    pub nodes_evaluated: i64,
    pub nodes_filtered: i64,
    pub nodes_in_pool: i64,
    /// Ready nodes per datacenter the job asked for (shared by the
    /// placements of one evaluation).
    pub nodes_available: Arc<SmallMap<String, i64>>,
    pub class_filtered: SmallMap<String, i64>,
    pub constraint_filtered: SmallMap<String, i64>,
    pub nodes_exhausted: i64,
    pub class_exhausted: SmallMap<String, i64>,
    pub dimension_exhausted: SmallMap<String, i64>,
    pub quota_exhausted: Vec<String>,
    pub scores: SmallMap<String, f64>,
    pub score_meta_data: Vec<serde_json::Value>,
    /// Nanoseconds spent placing.
    pub allocation_time: i64,
    pub coalesced_failures: i64,
}

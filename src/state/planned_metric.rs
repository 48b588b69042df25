//! Placement metrics as they travel in a plan: every placement of a plan
//! carries one, so the log entry holds only what is particular to it. Empty
//! and zero fields are left out, the bin-pack score of the chosen node goes
//! without its `<node>.binpack` key, and `NodesAvailable`/`NodesInPool`
//! (the same for the whole plan) travel once in [`super::PlanResults`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::structs::{AllocMetric, SmallMap};

fn zero(n: &i64) -> bool {
    *n == 0
}

/// The compact form of an [`AllocMetric`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlannedMetric {
    #[serde(rename = "e", skip_serializing_if = "zero")]
    pub evaluated: i64,
    #[serde(rename = "f", skip_serializing_if = "zero")]
    pub filtered: i64,
    #[serde(rename = "x", skip_serializing_if = "zero")]
    pub exhausted: i64,
    #[serde(rename = "cf", skip_serializing_if = "SmallMap::is_empty")]
    pub class_filtered: SmallMap<String, i64>,
    #[serde(rename = "kf", skip_serializing_if = "SmallMap::is_empty")]
    pub constraint_filtered: SmallMap<String, i64>,
    #[serde(rename = "cx", skip_serializing_if = "SmallMap::is_empty")]
    pub class_exhausted: SmallMap<String, i64>,
    #[serde(rename = "dx", skip_serializing_if = "SmallMap::is_empty")]
    pub dimension_exhausted: SmallMap<String, i64>,
    #[serde(rename = "qx", skip_serializing_if = "Vec::is_empty")]
    pub quota_exhausted: Vec<String>,
    /// The chosen node's bin-pack score.
    #[serde(rename = "b", skip_serializing_if = "Option::is_none")]
    pub binpack: Option<f64>,
    /// Any other score.
    #[serde(rename = "s", skip_serializing_if = "SmallMap::is_empty")]
    pub scores: SmallMap<String, f64>,
    #[serde(rename = "sm", skip_serializing_if = "Vec::is_empty")]
    pub score_meta_data: Vec<serde_json::Value>,
    #[serde(rename = "t", skip_serializing_if = "zero")]
    pub allocation_time: i64,
    #[serde(rename = "c", skip_serializing_if = "zero")]
    pub coalesced_failures: i64,
}

impl PlannedMetric {
    /// The compact form of `m`, for an allocation placed on `node_id`.
    pub fn of(m: &AllocMetric, node_id: &str) -> Self {
        let own = format!("{node_id}.binpack");
        let mut scores = m.scores.clone();
        let binpack = scores.remove(own.as_str());
        PlannedMetric {
            evaluated: m.nodes_evaluated,
            filtered: m.nodes_filtered,
            exhausted: m.nodes_exhausted,
            class_filtered: m.class_filtered.clone(),
            constraint_filtered: m.constraint_filtered.clone(),
            class_exhausted: m.class_exhausted.clone(),
            dimension_exhausted: m.dimension_exhausted.clone(),
            quota_exhausted: m.quota_exhausted.clone(),
            binpack,
            scores,
            score_meta_data: m.score_meta_data.clone(),
            allocation_time: m.allocation_time,
            coalesced_failures: m.coalesced_failures,
        }
    }

    /// The full metric of an allocation on `node_id`, with what the plan
    /// shares.
    pub fn into_metric(
        self,
        node_id: &str,
        nodes_available: Arc<SmallMap<String, i64>>,
        nodes_in_pool: i64,
    ) -> AllocMetric {
        let mut scores = self.scores;
        if let Some(b) = self.binpack {
            scores.insert(format!("{node_id}.binpack"), b);
        }
        AllocMetric {
            nodes_evaluated: self.evaluated,
            nodes_filtered: self.filtered,
            nodes_in_pool,
            nodes_available,
            class_filtered: self.class_filtered,
            constraint_filtered: self.constraint_filtered,
            nodes_exhausted: self.exhausted,
            class_exhausted: self.class_exhausted,
            dimension_exhausted: self.dimension_exhausted,
            quota_exhausted: self.quota_exhausted,
            scores,
            score_meta_data: self.score_meta_data,
            allocation_time: self.allocation_time,
            coalesced_failures: self.coalesced_failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::PlannedMetric;
    use crate::structs::AllocMetric;

    #[test]
    fn a_metric_survives_the_compact_form_and_is_smaller() {
        let mut m = AllocMetric {
            nodes_evaluated: 13,
            nodes_filtered: 2,
            nodes_in_pool: 5000,
            nodes_exhausted: 1,
            ..AllocMetric::default()
        };
        m.nodes_available = Arc::new([("dc1".to_string(), 2500)].into_iter().collect());
        m.constraint_filtered
            .add("${attr.kernel.name} = windows", 2);
        m.dimension_exhausted.add("memory", 1);
        m.scores.insert("n1.binpack".into(), 0.25);
        m.scores.insert("n1.job-anti-affinity".into(), -0.5);
        let compact = PlannedMetric::of(&m, "n1");
        assert_eq!(compact.binpack, Some(0.25));
        let json = serde_json::to_string(&compact).expect("encodes");
        assert!(json.len() * 2 < serde_json::to_string(&m).expect("encodes").len());
        let back: PlannedMetric = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back.into_metric("n1", m.nodes_available.clone(), 5000), m);
    }
}

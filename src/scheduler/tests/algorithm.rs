//! The operator's `SchedulerAlgorithm`: `binpack` fills the fullest node
//! that fits, `spread` the emptiest (Nomad's `ScoreFitSpread`).

use std::collections::BTreeMap;

use super::fixtures::{node, sized};
use crate::scheduler::harness::Harness;
use crate::state::{Command, ConfigSet};
use crate::structs::SchedulerConfiguration;

/// Places `jobs` single-allocation jobs, one evaluation after the other,
/// on two equal nodes; returns the allocations per node.
fn place(algorithm: Option<&str>, jobs: usize) -> BTreeMap<String, usize> {
    let mut h = Harness::new();
    h.add_node(node(0, "dc1", 4000, 8192));
    h.add_node(node(1, "dc1", 4000, 8192));
    if let Some(algorithm) = algorithm {
        h.apply(Command::SchedulerConfigSet(ConfigSet {
            config: SchedulerConfiguration {
                scheduler_algorithm: algorithm.into(),
                ..SchedulerConfiguration::initial()
            },
            cas: None,
        }));
    }
    for i in 0..jobs {
        let eval = h.register(sized(&format!("job-{i}"), 1, 500, 256, None));
        let done = h.process(&eval);
        assert!(done.eval.failed_tg_allocs.is_empty(), "job-{i} placed");
    }
    let mut per_node = BTreeMap::new();
    for i in 0..jobs {
        for a in h.snapshot().allocs_by_job("default", &format!("job-{i}")) {
            *per_node.entry(a.node_id.clone()).or_default() += 1;
        }
    }
    per_node
}

#[test]
fn service_job_register_binpack_fills_one_node_first() {
    for algorithm in [None, Some("binpack")] {
        let per_node = place(algorithm, 6);
        assert_eq!(
            per_node.values().copied().collect::<Vec<_>>(),
            vec![6],
            "{algorithm:?}: {per_node:?}"
        );
    }
}

#[test]
fn service_job_register_spread_places_on_the_emptiest_node() {
    let per_node = place(Some("spread"), 6);
    assert_eq!(
        per_node.values().copied().collect::<Vec<_>>(),
        vec![3, 3],
        "{per_node:?}"
    );
}

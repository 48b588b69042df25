//! Randomised properties of the service scheduler, over many seeds: no
//! node is ever over-committed, placements never exceed count, ports never
//! collide on a node, and every failed placement carries a metric.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::fixtures::{example, node};
use crate::scheduler::harness::Harness;

#[test]
fn random_clusters_and_jobs_keep_the_safety_properties() {
    for seed in 0..60u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut h = Harness::new();
        let nodes = rng.random_range(1..12);
        for i in 0..nodes {
            let dc = if rng.random_bool(0.5) { "a" } else { "b" };
            h.add_node(node(
                i,
                dc,
                rng.random_range(500..4000),
                rng.random_range(256..2048),
            ));
        }
        let jobs = rng.random_range(1..5);
        for j in 0..jobs {
            let count = rng.random_range(0..25);
            let mut job = example(&["a", "b"], count);
            job.id = format!("job{j}");
            job.name = job.id.clone();
            let r = job.task_groups[0].tasks[0]
                .resources
                .as_mut()
                .expect("resources");
            r.cpu = rng.random_range(50..800);
            r.memory_mb = rng.random_range(10..600);
            if rng.random_bool(0.3) {
                job.stop = true;
            }
            let eval = h.register(job.clone());
            let done = h.process(&eval);
            let s = h.snapshot();
            let live: Vec<_> = s
                .allocs_by_job("default", &job.id)
                .into_iter()
                .filter(|a| !a.terminal())
                .collect();
            if job.stop {
                assert!(live.is_empty(), "seed {seed}: a stopped job got placements");
            } else {
                assert!(
                    live.len() as i64 <= count,
                    "seed {seed}: {} > count {count}",
                    live.len()
                );
                let failed = done.eval.failed_tg_allocs.get("cache");
                if (live.len() as i64) < count {
                    let m = failed.expect("a shortfall carries a failure metric");
                    assert_eq!(
                        m.coalesced_failures + 1 + live.len() as i64,
                        count,
                        "seed {seed}"
                    );
                }
            }
        }
        // Every node: live allocations fit and ports are distinct.
        let s = h.snapshot();
        for n in s.nodes() {
            let allocs: Vec<_> = s
                .allocs_by_node(&n.id)
                .into_iter()
                .filter(|a| !a.terminal())
                .collect();
            let cap = n.capacity();
            let cpu: i64 = allocs.iter().map(|a| a.usage().cpu).sum();
            let mem: i64 = allocs.iter().map(|a| a.usage().memory_mb).sum();
            assert!(
                cpu <= cap.cpu && mem <= cap.memory_mb,
                "seed {seed}: node {} over-committed",
                n.id
            );
            let mut ports = BTreeSet::new();
            for a in &allocs {
                for p in a.host_ports() {
                    assert!(
                        ports.insert(p),
                        "seed {seed}: port {p} used twice on {}",
                        n.id
                    );
                }
            }
            // The derived usage agrees with the allocations.
            assert_eq!(s.node_usage(&n.id).usage.memory_mb, mem, "seed {seed}");
        }
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for j in s.jobs() {
            for a in s
                .allocs_by_job("default", &j.id)
                .into_iter()
                .filter(|a| !a.terminal())
            {
                *names.entry(a.name.clone()).or_default() += 1;
            }
        }
        assert!(
            names.values().all(|c| *c == 1),
            "seed {seed}: duplicate live names"
        );
    }
}

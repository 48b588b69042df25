use super::fixtures::{example, node, seed_cluster};
use crate::scheduler::harness::Harness;

#[test]
fn system_job_register_places_one_alloc_per_eligible_node() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut n = node(99, "eu-west-1a", 4000, 768);
    n.scheduling_eligibility = "ineligible".into();
    h.add_node(n);
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 1);
    job.job_type = "system".into();
    let done = {
        let e = h.register(job.clone());
        h.process(&e)
    };
    assert_eq!(done.eval.status, "complete");
    let allocs = h.snapshot().allocs_by_job("default", "example");
    assert_eq!(allocs.len(), 11);
    let nodes: std::collections::BTreeSet<_> = allocs.iter().map(|a| a.node_id.clone()).collect();
    assert_eq!(nodes.len(), 11);

    // A new node gets one too; nothing else moves.
    h.add_node(node(50, "eu-west-1b", 4000, 768));
    let mut eval = done.eval.clone();
    eval.id = crate::ids::uuid();
    eval.status = "pending".into();
    let again = h.process(&eval);
    assert_eq!(again.placed, 1);
    assert_eq!(h.snapshot().allocs_by_job("default", "example").len(), 12);
}

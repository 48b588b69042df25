//! Two plans computed on the same snapshot race for the last room on a
//! node. Each fits alone; once the first commits, the applier's re-check
//! against the latest state must refuse the second plan's part on that
//! node and commit the rest (a partial commit). These tests guard
//! `plan_check`: with the re-check off, both plans commit and the node is
//! over-committed, or two allocations hold one static port.

use std::sync::Arc;

use super::fixtures::{node, sized};
use crate::scheduler::harness::Harness;
use crate::scheduler::{Plan, PlanResult, Planner, compute, plan_check};
use crate::state::State;
use crate::structs::{Evaluation, Job, Node};

/// What the two plans race for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scarce {
    Memory,
    Cpu,
    StaticPort,
}

/// The port both jobs ask for in [`Scarce::StaticPort`].
const PORT: u16 = 8080;

/// Two nodes that each have room for exactly one allocation, a job `first`
/// of one allocation and a job `second` of two (one per node).
pub(crate) fn race_setup(scarce: Scarce) -> (Vec<Node>, Job, Job) {
    let (node_cpu, node_mem, cpu, mem, port) = match scarce {
        Scarce::Memory => (4000, 512, 500, 300, None),
        Scarce::Cpu => (1000, 4096, 600, 256, None),
        Scarce::StaticPort => (4000, 4096, 500, 256, Some(i64::from(PORT))),
    };
    let nodes = (0..2).map(|i| node(i, "dc1", node_cpu, node_mem)).collect();
    (
        nodes,
        sized("first", 1, cpu, mem, port),
        sized("second", 2, cpu, mem, port),
    )
}

/// The node a plan of one placement puts it on.
pub(crate) fn only_node(plan: &Plan) -> String {
    let nodes: Vec<&String> = plan
        .node_allocation
        .iter()
        .filter(|(_, allocs)| !allocs.is_empty())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(nodes.len(), 1, "one node in {:?}", plan.node_allocation);
    nodes[0].clone()
}

/// Both plans, computed on one snapshot; each fits on it alone.
pub(crate) fn stale_plans(
    snapshot: &State,
    first: &Evaluation,
    second: &Evaluation,
) -> (Plan, Plan) {
    let p1 = compute(snapshot, first, 0).plan;
    let p2 = compute(snapshot, second, 0).plan;
    assert_eq!(p1.placements(), 1, "first fits on the snapshot");
    assert_eq!(p2.placements(), 2, "second fits on the snapshot");
    assert_eq!(p2.node_allocation.len(), 2, "one allocation per node");
    (p1, p2)
}

/// Checks what the second plan's commit left: refused on `taken`, placed
/// on the other node, and `taken` holds only the first job's allocation.
pub(crate) fn assert_partial(state: &State, r2: &PlanResult, taken: &str, scarce: Scarce) {
    assert!(!r2.accepted.contains(taken), "{scarce:?}: {r2:?}");
    assert_eq!((r2.accepted.len(), r2.placed), (1, 1), "{scarce:?}: {r2:?}");
    assert!(r2.refresh_index > 0, "a refusal asks for a re-plan");
    let on_taken: Vec<String> = state
        .allocs_by_node(taken)
        .iter()
        .map(|a| a.job_id.clone())
        .collect();
    assert_eq!(on_taken, vec!["first".to_string()], "{scarce:?}");
    let second = state.allocs_by_job("default", "second");
    assert_eq!(second.len(), 1, "{scarce:?}");
    assert_ne!(second[0].node_id, taken);
}

fn race(scarce: Scarce) {
    let mut h = Harness::new();
    let (nodes, first, second) = race_setup(scarce);
    for n in nodes {
        h.add_node(n);
    }
    let e1 = h.register(first);
    let e2 = h.register(second);
    let snapshot: Arc<State> = h.snapshot();
    let (p1, p2) = stale_plans(&snapshot, &e1, &e2);
    let taken = only_node(&p1);

    let r1 = futures::executor::block_on(h.submit(p1));
    let r1 = r1.expect("first plan");
    assert_eq!(r1.placed, 1);

    let (_, refused) = plan_check::evaluate(&*h.snapshot(), &p2);
    let why = refused.get(&taken).map(String::as_str).unwrap_or_default();
    let expected = match scarce {
        Scarce::Memory => "memory",
        Scarce::Cpu => "cpu",
        Scarce::StaticPort => "port collision",
    };
    assert!(why.contains(expected), "{scarce:?}: refused {refused:?}");

    let r2 = futures::executor::block_on(h.submit(p2)).expect("second plan");
    assert_partial(&h.snapshot(), &r2, &taken, scarce);
    if let Scarce::StaticPort = scarce {
        let holders = h
            .snapshot()
            .allocs_by_node(&taken)
            .iter()
            .filter(|a| !a.terminal() && a.host_ports().contains(&PORT))
            .count();
        assert_eq!(holders, 1, "port {PORT} held once");
    }
}

#[test]
fn plan_apply_recheck_refuses_a_stale_plan_on_a_node_whose_last_memory_was_taken() {
    race(Scarce::Memory);
}

#[test]
fn plan_apply_recheck_refuses_a_stale_plan_on_a_node_whose_last_cpu_was_taken() {
    race(Scarce::Cpu);
}

#[test]
fn plan_apply_recheck_refuses_a_stale_plan_for_a_static_port_another_plan_took() {
    race(Scarce::StaticPort);
}

/// With `AllAtOnce`, the refusal on one node drops the whole plan.
#[test]
fn plan_apply_recheck_drops_all_of_an_all_at_once_stale_plan() {
    let mut h = Harness::new();
    let (nodes, first, mut second) = race_setup(Scarce::Memory);
    second.all_at_once = true;
    for n in nodes {
        h.add_node(n);
    }
    let e1 = h.register(first);
    let e2 = h.register(second);
    let snapshot = h.snapshot();
    let (p1, p2) = stale_plans(&snapshot, &e1, &e2);
    assert!(p2.all_at_once);
    futures::executor::block_on(h.submit(p1)).expect("first plan");
    let r2 = futures::executor::block_on(h.submit(p2)).expect("second plan");
    assert_eq!((r2.placed, r2.accepted.len()), (0, 0), "{r2:?}");
    assert!(h.snapshot().allocs_by_job("default", "second").is_empty());
}

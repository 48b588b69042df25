//! The drainer's decisions, on states built in the scheduler harness.

use super::*;
use crate::scheduler::harness::Harness;
use crate::scheduler::tests::fixtures::{example, node};
use crate::state::AllocClientUpdate;
use crate::structs::time::rfc3339;
use crate::structs::{DrainStrategy, SECOND};

const T: i64 = 1_800_000_000 * SECOND;

/// Node 0 holds `count` allocations of a job of `job_type`; node 1 is
/// empty. Allocations are reported running.
fn cluster(job_type: &str, count: i64, max_parallel: Option<i64>) -> Harness {
    let mut h = Harness::new();
    h.add_node(node(0, "dc1", 8000, 8192));
    let mut job = example(&["dc1"], count);
    job.job_type = job_type.into();
    if let Some(n) = max_parallel {
        job.task_groups[0].migrate = Some(serde_json::json!({"MaxParallel": n}));
    }
    let eval = h.register(job);
    h.process(&eval);
    h.add_node(node(1, "dc1", 8000, 8192));
    run_all(&mut h);
    h
}

fn run_all(h: &mut Harness) {
    let updates = h
        .snapshot()
        .allocs_by_job("default", "example")
        .iter()
        .filter(|a| !a.terminal())
        .map(|a| AllocClientUpdate {
            id: a.id.clone(),
            client_status: "running".into(),
            ..AllocClientUpdate::default()
        })
        .collect();
    h.apply(Command::AllocClientUpdate {
        allocs: updates,
        evals: Vec::new(),
    });
}

fn drain(h: &mut Harness, deadline: i64, ignore_system_jobs: bool) {
    let strategy = DrainStrategy {
        deadline,
        ignore_system_jobs,
        force_deadline: if deadline > 0 {
            rfc3339(T + deadline)
        } else {
            String::new()
        },
        started_at: rfc3339(T),
    };
    h.apply(Command::NodeUpdateDrain(NodeUpdate {
        node_id: node(0, "dc1", 0, 0).id,
        drain: Some(strategy),
        ..NodeUpdate::default()
    }));
}

/// Writes the marks and runs their evaluations; returns how many moved.
fn step(h: &mut Harness, now: i64) -> usize {
    let w = work(&h.snapshot(), now);
    let moved = w.migrate.len();
    if let Some(cmd) = marks(&h.snapshot(), &w, now) {
        let Command::AllocDesiredTransition { evals, .. } = &cmd else {
            unreachable!("marks writes transitions")
        };
        let evals = evals.clone();
        h.apply(cmd);
        for e in &evals {
            h.process(e);
        }
    }
    moved
}

fn on_node(h: &Harness, i: usize) -> usize {
    h.snapshot()
        .allocs_by_node(&node(i, "dc1", 0, 0).id)
        .iter()
        .filter(|a| !a.terminal())
        .count()
}

#[test]
fn service_allocs_move_max_parallel_at_a_time_as_replacements_run() {
    let mut h = cluster("service", 3, None);
    assert_eq!(on_node(&h, 0), 3);
    drain(&mut h, 3600 * SECOND, false);
    assert_eq!(step(&mut h, T), 1, "max_parallel defaults to 1");
    assert_eq!((on_node(&h, 0), on_node(&h, 1)), (2, 1));
    // The replacement is not running yet: nothing else moves.
    assert_eq!(step(&mut h, T + SECOND), 0);
    run_all(&mut h);
    assert_eq!(step(&mut h, T + 2 * SECOND), 1);
    run_all(&mut h);
    assert_eq!(step(&mut h, T + 3 * SECOND), 1);
    assert_eq!((on_node(&h, 0), on_node(&h, 1)), (0, 3));
    let w = work(&h.snapshot(), T + 4 * SECOND);
    assert_eq!(w.done, [node(0, "dc1", 0, 0).id], "the drain completes");
}

#[test]
fn max_parallel_allows_more_at_once() {
    let mut h = cluster("service", 4, Some(2));
    drain(&mut h, 0, false);
    assert_eq!(step(&mut h, T), 2);
    assert_eq!(step(&mut h, T), 0);
}

#[test]
fn batch_allocs_wait_for_the_deadline_then_everything_moves() {
    let mut h = cluster("batch", 2, None);
    drain(&mut h, 60 * SECOND, false);
    assert_eq!(step(&mut h, T + 30 * SECOND), 0, "batch work may finish");
    assert_eq!(
        step(&mut h, T + 61 * SECOND),
        2,
        "the deadline forces the rest"
    );
    assert_eq!(on_node(&h, 0), 0);
}

#[test]
fn a_forced_drain_moves_everything_at_once() {
    let mut h = cluster("service", 3, None);
    drain(&mut h, -1, false);
    assert_eq!(step(&mut h, T), 3);
    assert_eq!((on_node(&h, 0), on_node(&h, 1)), (0, 3));
}

#[test]
fn system_allocs_go_last_unless_ignored() {
    for ignore in [false, true] {
        let mut h = Harness::new();
        h.add_node(node(0, "dc1", 8000, 8192));
        let service = h.register(example(&["dc1"], 1));
        h.process(&service);
        let mut sys = example(&["dc1"], 1);
        sys.id = "sys".into();
        sys.name = "sys".into();
        sys.job_type = "system".into();
        let e = h.register(sys);
        h.process(&e);
        h.add_node(node(1, "dc1", 8000, 8192));
        run_all(&mut h);
        assert_eq!(on_node(&h, 0), 2);
        drain(&mut h, 0, ignore);
        // The service allocation moves first; the system one stays.
        assert_eq!(step(&mut h, T), 1);
        assert_eq!(on_node(&h, 0), 1);
        let w = work(&h.snapshot(), T);
        if ignore {
            assert_eq!(
                w.done.len(),
                1,
                "ignored system allocs do not hold the drain"
            );
            assert!(w.migrate.is_empty());
        } else {
            assert_eq!(w.migrate.len(), 1, "then the system allocation");
            step(&mut h, T);
            assert_eq!(on_node(&h, 0), 0);
            assert_eq!(work(&h.snapshot(), T).done.len(), 1);
        }
    }
}

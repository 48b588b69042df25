//! Apply is all or nothing: a command refused part-way leaves every table
//! and index exactly as it was, in the published state and in the state
//! the next snapshot is taken from. The commands here fail after their
//! first steps ran (stops, then a valid placement, then a bad one), so
//! these tests fail if apply works on the live state instead of a clone.

use drover_raft::StateMachine;

use super::Fsm;
use crate::scheduler::harness::Harness;
use crate::scheduler::tests::fixtures::{example, node};
use crate::state::{
    AllocStop, ApplyError, Command, PlanResults, PlannedAlloc, State, StateHandle, decode_response,
};
use crate::structs::{ALLOC_DESIRED_STOP, Evaluation};

/// Every table and index of `state`, by name, as text.
fn tables(state: &State) -> Vec<(&'static str, String)> {
    vec![
        ("jobs", format!("{:?}", state.jobs)),
        ("job_versions", format!("{:?}", state.job_versions)),
        ("summaries", format!("{:?}", state.summaries)),
        ("evals", format!("{:?}", state.evals)),
        ("evals_by_job", format!("{:?}", state.evals_by_job)),
        ("evals_by_index", format!("{:?}", state.evals_by_index)),
        ("allocs", format!("{:?}", state.allocs)),
        ("allocs_by_job", format!("{:?}", state.allocs_by_job)),
        ("by_node", format!("{:?}", state.by_node)),
        ("allocs_by_index", format!("{:?}", state.allocs_by_index)),
        ("nodes", format!("{:?}", state.nodes)),
        ("heartbeats", format!("{:?}", state.heartbeats)),
        ("class_capacity", format!("{:?}", state.class_capacity)),
        ("services", format!("{:?}", state.services)),
        ("services_by_name", format!("{:?}", state.services_by_name)),
        (
            "services_by_alloc",
            format!("{:?}", state.services_by_alloc),
        ),
        ("services_by_node", format!("{:?}", state.services_by_node)),
        ("index", format!("{:?}", state.index)),
        // Anything not listed above.
        ("whole state", format!("{state:?}")),
    ]
}

fn assert_same(what: &str, expected: &State, actual: &State) {
    for ((name, want), (_, got)) in tables(expected).into_iter().zip(tables(actual)) {
        assert!(
            want == got,
            "{what}: table {name} changed by a refused command"
        );
    }
}

/// A state machine holding two nodes and a job of three placed
/// allocations, restored from a snapshot of a harness run.
fn populated() -> (Fsm, StateHandle) {
    let mut h = Harness::new();
    h.add_node(node(0, "dc1", 4000, 4096));
    h.add_node(node(1, "dc1", 4000, 4096));
    let eval = h.register(example(&["dc1"], 3));
    h.process(&eval);
    let state = h.snapshot();
    assert_eq!(state.allocs_by_job("default", "example").len(), 3);
    let (mut fsm, handle) = Fsm::new();
    fsm.restore(&Fsm::encode_snapshot((*state).clone()))
        .expect("restore");
    (fsm, handle)
}

/// A plan result that stops two allocations, places one valid new
/// allocation, adds a follow-up evaluation, and then ends with `last`.
fn plan(state: &State, last: Option<PlannedAlloc>, with_job: bool) -> Command {
    let allocs = state.allocs_by_job("default", "example");
    let job = state.job("default", "example").expect("job");
    let mut planned = vec![PlannedAlloc {
        id: "00000000-0000-4000-8000-0000000000aa".into(),
        new: Some(true),
        name: "example.cache[3]".into(),
        node_id: allocs[0].node_id.clone(),
        task_group: "cache".into(),
        time: 5,
        ..PlannedAlloc::default()
    }];
    planned.extend(last);
    Command::PlanResults(PlanResults {
        job: with_job.then(|| (*job).clone()),
        allocs: planned,
        stops: allocs[..2]
            .iter()
            .map(|a| AllocStop {
                alloc_id: a.id.clone(),
                desired_description: "stopped by the test".into(),
                client_status: None,
                modify_time: 5,
            })
            .collect(),
        eval_id: allocs[0].eval_id.clone(),
        evals: vec![Evaluation {
            id: "00000000-0000-4000-8000-0000000000ee".into(),
            namespace: "default".into(),
            job_id: "example".into(),
            status: "pending".into(),
            ..Evaluation::default()
        }],
        ..PlanResults::default()
    })
}

/// Applies the command `cmd` builds from the populated state as Raft would (encoded bytes) and checks that it is
/// refused and that nothing but the latest applied index moved.
fn refused_changes_nothing(what: &str, cmd: impl FnOnce(&State) -> Command) {
    let (mut fsm, handle) = populated();
    let before = handle.snapshot();
    let cmd = cmd(&before);
    if let Command::PlanResults(r) = &cmd {
        assert!(r.stops.iter().all(|s| before.alloc(&s.alloc_id).is_some()));
    }
    let index = before.index.latest + 1;
    let mut expected = (*before).clone();
    expected.index.latest = index;

    let out = fsm.apply(index, &cmd.encode().expect("encode"));
    fsm.entry_applied(index);
    match decode_response(&out) {
        Err(ApplyError::Invalid(_)) => {}
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
    assert_same(what, &expected, &handle.snapshot());
    assert_same(what, &expected, &fsm.snapshot());
}

#[test]
fn apply_is_all_or_nothing_a_plan_with_an_unnamed_placement_after_stops_changes_no_table() {
    let bad = PlannedAlloc {
        id: String::new(),
        new: Some(true),
        task_group: "cache".into(),
        ..PlannedAlloc::default()
    };
    refused_changes_nothing("unnamed placement", |state| plan(state, Some(bad), true));
}

#[test]
fn apply_is_all_or_nothing_a_plan_placing_without_a_job_after_stops_changes_no_table() {
    refused_changes_nothing("placement without a job", |state| plan(state, None, false));
}

/// The commands above are refused only for their last part: the same plan
/// without it changes the allocations, summaries and evaluations, so "no
/// table changed" above is not vacuous.
#[test]
fn apply_is_all_or_nothing_the_same_plan_without_its_bad_part_applies() {
    let (mut fsm, handle) = populated();
    let before = handle.snapshot();
    let index = before.index.latest + 1;
    let out = fsm.apply(index, &plan(&before, None, true).encode().expect("encode"));
    fsm.entry_applied(index);
    decode_response(&out).expect("applied");
    let after = handle.snapshot();
    let allocs = before.allocs_by_job("default", "example");
    for a in &allocs[..2] {
        let now = after.alloc(&a.id).expect("alloc");
        assert_eq!(now.desired_status, ALLOC_DESIRED_STOP);
    }
    assert_eq!(after.allocs_by_job("default", "example").len(), 4);
    assert!(after.eval("00000000-0000-4000-8000-0000000000ee").is_some());
    let changed: Vec<&str> = tables(&before)
        .into_iter()
        .zip(tables(&after))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((name, _), _)| name)
        .collect();
    for table in [
        "allocs",
        "allocs_by_job",
        "by_node",
        "allocs_by_index",
        "summaries",
        "evals",
    ] {
        assert!(changed.contains(&table), "{table} unchanged: {changed:?}");
    }
}

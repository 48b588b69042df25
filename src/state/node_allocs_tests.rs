//! The per-node allocations index: what moves it (placement, client
//! update, servers' changes, removal), what does not (another node's
//! allocations), its survival through a snapshot, and the wait built on
//! it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::structs::{
    ALLOC_CLIENT_RUNNING, DesiredTransition, EVAL_STATUS_PENDING, Evaluation, Job, TaskGroup,
};

fn job() -> Job {
    Job {
        id: "example".into(),
        name: "example".into(),
        namespace: "default".into(),
        job_type: "service".into(),
        datacenters: vec!["dc1".into()],
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            count: 3,
            ..TaskGroup::default()
        }],
        ..Job::default()
    }
}

/// A state machine with the example job registered at index 1.
fn fsm() -> (Fsm, StateHandle) {
    let (mut fsm, handle) = Fsm::new();
    let eval = Evaluation {
        id: "e1".into(),
        namespace: "default".into(),
        job_id: "example".into(),
        status: EVAL_STATUS_PENDING.into(),
        ..Evaluation::default()
    };
    fsm.apply_command(
        1,
        Command::JobRegister(JobRegister {
            job: job(),
            eval: Some(eval),
            enforce_index: None,
            ..Default::default()
        }),
    )
    .expect("register");
    (fsm, handle)
}

fn place(fsm: &mut Fsm, index: u64, id: &str, node: &str) {
    let planned = PlannedAlloc {
        id: id.into(),
        new: Some(true),
        name: format!("example.cache[{id}]"),
        node_id: node.into(),
        task_group: "cache".into(),
        ..PlannedAlloc::default()
    };
    fsm.apply_command(
        index,
        Command::PlanResults(PlanResults {
            job: Some(job()),
            allocs: vec![planned],
            eval_id: "e1".into(),
            ..PlanResults::default()
        }),
    )
    .expect("place");
}

fn report_running(fsm: &mut Fsm, index: u64, id: &str) {
    let update = AllocClientUpdate {
        id: id.into(),
        client_status: ALLOC_CLIENT_RUNNING.into(),
        ..AllocClientUpdate::default()
    };
    fsm.apply_command(
        index,
        Command::AllocClientUpdate {
            allocs: vec![update],
            evals: Vec::new(),
        },
    )
    .expect("client update");
}

fn stop(fsm: &mut Fsm, index: u64, id: &str) {
    fsm.apply_command(
        index,
        Command::PlanResults(PlanResults {
            job: Some(job()),
            stops: vec![AllocStop {
                alloc_id: id.into(),
                ..AllocStop::default()
            }],
            eval_id: "e1".into(),
            ..PlanResults::default()
        }),
    )
    .expect("stop");
}

fn changed_since(state: &State, index: u64) -> Vec<String> {
    state
        .nodes_with_allocs_changed_since(index)
        .map(str::to_string)
        .collect()
}

#[test]
fn each_change_to_a_nodes_allocations_moves_its_index_and_only_its() {
    let (mut fsm, handle) = fsm();
    assert_eq!(handle.snapshot().node_allocs_index("n1"), 0);

    place(&mut fsm, 4, "a1", "n1");
    place(&mut fsm, 5, "b1", "n2");
    let s = handle.snapshot();
    assert_eq!(s.node_allocs_index("n1"), 4);
    assert_eq!(s.node_allocs_index("n2"), 5);
    assert_eq!(changed_since(&s, 5), ["n2"]);
    assert_eq!(changed_since(&s, 4), ["n1", "n2"]);

    // Another node's allocations change: n1's index stays.
    report_running(&mut fsm, 6, "b1");
    stop(&mut fsm, 7, "b1");
    let s = handle.snapshot();
    assert_eq!(s.node_allocs_index("n1"), 4);
    assert_eq!(s.node_allocs_index("n2"), 7);
    assert_eq!(changed_since(&s, 6), ["n2"]);

    // The client's report, the servers' stop and the drainer's mark.
    report_running(&mut fsm, 8, "a1");
    assert_eq!(handle.snapshot().node_allocs_index("n1"), 8);
    stop(&mut fsm, 9, "a1");
    assert_eq!(handle.snapshot().node_allocs_index("n1"), 9);
    let mark = BTreeMap::from([(
        "a1".to_string(),
        DesiredTransition {
            migrate: Some(true),
            ..DesiredTransition::default()
        },
    )]);
    fsm.apply_command(
        10,
        Command::AllocDesiredTransition {
            allocs: mark,
            evals: Vec::new(),
        },
    )
    .expect("mark");
    let s = handle.snapshot();
    assert_eq!(s.node_allocs_index("n1"), 10);
    assert_eq!(changed_since(&s, 10), ["n1"]);
    // One table entry per node, however often it moved.
    assert_eq!(s.nodes_by_allocs_index.len(), 2);
}

#[test]
fn a_removal_or_a_move_to_another_node_moves_the_index_of_the_node_left() {
    let (mut fsm, handle) = fsm();
    place(&mut fsm, 4, "a1", "n1");
    place(&mut fsm, 5, "a2", "n1");
    // The same ID placed again on n2: it leaves n1.
    place(&mut fsm, 6, "a2", "n2");
    let s = handle.snapshot();
    assert_eq!(s.node_allocs_index("n1"), 6);
    assert_eq!(s.allocs_by_node("n1").len(), 1);
    assert_eq!(s.node_allocs_index("n2"), 6);

    let mut state = (*s).clone();
    apply::alloc::remove(&mut state, 7, &["a1".to_string(), "unknown".to_string()])
        .expect("remove");
    assert!(state.allocs_by_node("n1").is_empty());
    assert!(state.alloc("a1").is_none());
    assert_eq!(state.node_usage("n1").allocs, 0);
    assert_eq!(state.allocs_by_job("default", "example").len(), 1);
    assert_eq!(state.allocs_changed_after(0).len(), 1);
    // n1 has no allocation left, and still says when it lost the last.
    assert_eq!(state.node_allocs_index("n1"), 7);
    assert_eq!(state.node_allocs_index("n2"), 6);
    assert_eq!(state.index(Table::Allocs), 7);
    assert_eq!(changed_since(&state, 7), ["n1"]);

    // A snapshot keeps it, though no allocation shows it.
    let back = snapshot::decode(&snapshot::encode(&state)).expect("decode");
    assert_eq!(back.node_allocs_index("n1"), 7);
    assert_eq!(back.node_allocs_index("n2"), 6);
    assert_eq!(changed_since(&back, 6), ["n2", "n1"]);
}

#[test]
fn a_snapshot_written_without_node_indexes_recomputes_them_from_allocations() {
    let (mut fsm, handle) = fsm();
    place(&mut fsm, 4, "a1", "n1");
    place(&mut fsm, 5, "a2", "n1");
    report_running(&mut fsm, 6, "a1");
    let bytes = snapshot::encode(&handle.snapshot());
    let mut data: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    data.as_object_mut().expect("object").remove("node_allocs");
    let old = serde_json::to_vec(&data).expect("encode");
    let back = snapshot::decode(&old).expect("decode");
    assert_eq!(back.node_allocs_index("n1"), 6);
    assert_eq!(changed_since(&back, 0), ["n1"]);
}

#[tokio::test]
async fn a_wait_on_a_node_wakes_for_that_node_only() {
    let (mut fsm, handle) = fsm();
    place(&mut fsm, 4, "a1", "n1");
    let waiting = {
        let handle = handle.clone();
        tokio::spawn(async move {
            handle
                .wait_node_allocs("n1", 4, Duration::from_secs(60))
                .await
        })
    };
    tokio::task::yield_now().await;
    place(&mut fsm, 5, "b1", "n2");
    report_running(&mut fsm, 6, "b1");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "woken by another node's change");
    report_running(&mut fsm, 7, "a1");
    let state = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("woken")
        .expect("task");
    assert_eq!(state.node_allocs_index("n1"), 7);

    // Without a change, the wait ends with its timeout.
    let state = handle
        .wait_node_allocs("n1", 7, Duration::from_millis(20))
        .await;
    assert_eq!(state.node_allocs_index("n1"), 7);
}

/// Commands of one Raft entry share its index: readers see the entry
/// whole, or a reader that took the index as seen after part of it (a
/// node's pull, the evaluation feed) would miss the rest.
#[tokio::test]
async fn readers_see_a_raft_entry_whole() {
    use drover_raft::StateMachine;
    let (mut fsm, handle) = fsm();
    place(&mut fsm, 4, "a1", "n1");
    let waiting = {
        let handle = handle.clone();
        tokio::spawn(async move {
            handle
                .wait_node_allocs("n1", 4, Duration::from_secs(60))
                .await
        })
    };
    tokio::task::yield_now().await;
    let command = |id: &str| {
        Command::AllocClientUpdate {
            allocs: vec![AllocClientUpdate {
                id: id.into(),
                client_status: ALLOC_CLIENT_RUNNING.into(),
                ..AllocClientUpdate::default()
            }],
            evals: Vec::new(),
        }
        .encode()
        .expect("encode")
    };
    fsm.apply(5, &command("a1"));
    fsm.apply(5, &command("unknown"));
    let s = handle.snapshot();
    assert_eq!(s.indexes().latest, 4, "part of entry 5 is not shown");
    assert_eq!(s.node_allocs_index("n1"), 4);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "woken by part of an entry");
    fsm.entry_applied(5);
    let state = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("woken")
        .expect("task");
    assert_eq!(state.indexes().latest, 5);
    assert_eq!(state.node_allocs_index("n1"), 5);
}

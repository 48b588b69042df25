//! Unit tests of the service registrations table: upserts, deletes, the
//! removals that follow allocations and nodes, and snapshots.

use super::*;
use crate::structs::{
    ALLOC_CLIENT_COMPLETE, ALLOC_CLIENT_RUNNING, ALLOC_DESIRED_RUN, ALLOC_DESIRED_STOP, Allocation,
    NODE_STATUS_DOWN, NODE_STATUS_READY, Node, ServiceRegistration,
};

fn node(id: &str) -> Node {
    Node {
        id: id.into(),
        secret_id: format!("secret-{id}"),
        datacenter: "dc1".into(),
        status: NODE_STATUS_READY.into(),
        ..Node::default()
    }
}

fn alloc(id: &str, node_id: &str) -> Allocation {
    Allocation {
        id: id.into(),
        namespace: "default".into(),
        job_id: "web".into(),
        node_id: node_id.into(),
        task_group: "g".into(),
        desired_status: ALLOC_DESIRED_RUN.into(),
        client_status: ALLOC_CLIENT_RUNNING.into(),
        ..Allocation::default()
    }
}

fn reg(id: &str, name: &str, alloc_id: &str, node_id: &str) -> ServiceRegistration {
    ServiceRegistration {
        id: id.into(),
        service_name: name.into(),
        namespace: "default".into(),
        node_id: node_id.into(),
        alloc_id: alloc_id.into(),
        job_id: "web".into(),
        address: "10.0.0.1".into(),
        port: 8080,
        tags: vec!["v1".into()],
        ..ServiceRegistration::default()
    }
}

/// Two ready nodes, allocation a1 on n1 and a2 on n2.
fn setup() -> (Fsm, StateHandle) {
    let (mut fsm, handle) = Fsm::new();
    for (i, n) in ["n1", "n2"].iter().enumerate() {
        fsm.apply_command(i as u64 + 1, Command::NodeRegister { node: node(n) })
            .expect("node");
    }
    fsm.apply_command(
        3,
        Command::AllocUpsert {
            allocs: vec![alloc("a1", "n1"), alloc("a2", "n2")],
        },
    )
    .expect("allocs");
    (fsm, handle)
}

fn upsert(fsm: &mut Fsm, index: u64, regs: Vec<ServiceRegistration>) {
    fsm.apply_command(
        index,
        Command::ServiceUpdate {
            upserts: regs,
            deletes: Vec::new(),
        },
    )
    .expect("service update");
}

fn ids(regs: &[std::sync::Arc<ServiceRegistration>]) -> Vec<&str> {
    regs.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn upserts_are_stamped_found_by_name_alloc_and_node_and_identical_ones_move_nothing() {
    let (mut fsm, handle) = setup();
    upsert(
        &mut fsm,
        10,
        vec![
            reg("s1", "web", "a1", "n1"),
            reg("s2", "web", "a2", "n2"),
            reg("s3", "db", "a1", "n1"),
        ],
    );
    let s = handle.snapshot();
    assert_eq!(s.index(Table::Services), 10);
    assert_eq!(
        ids(&s.service_registrations("default", "web")),
        ["s1", "s2"]
    );
    assert_eq!(ids(&s.service_registrations("*", "web")), ["s1", "s2"]);
    assert!(s.service_registrations("other", "web").is_empty());
    assert_eq!(ids(&s.service_registrations_by_alloc("a1")), ["s1", "s3"]);
    assert_eq!(ids(&s.service_registrations_by_node("n2")), ["s2"]);
    let s1 = s.service_registration("default", "s1").expect("s1");
    assert_eq!((s1.create_index, s1.modify_index), (10, 10));

    // The same registration again: nothing is written.
    upsert(&mut fsm, 11, vec![reg("s1", "web", "a1", "n1")]);
    assert_eq!(handle.snapshot().index(Table::Services), 10);

    // A change (a check, a new name) replaces it whole; CreateIndex stays.
    let mut changed = reg("s1", "api", "a1", "n1");
    changed.tags = vec!["v2".into()];
    upsert(&mut fsm, 12, vec![changed]);
    let s = handle.snapshot();
    assert_eq!(s.index(Table::Services), 12);
    let s1 = s.service_registration("default", "s1").expect("s1");
    assert_eq!((s1.create_index, s1.modify_index), (10, 12));
    assert_eq!(s1.tags, ["v2"]);
    assert_eq!(ids(&s.service_registrations("default", "web")), ["s2"]);
    assert_eq!(ids(&s.service_registrations("default", "api")), ["s1"]);
    let names = s.service_names("default");
    assert_eq!(
        names["default"].keys().collect::<Vec<_>>(),
        ["api", "db", "web"]
    );
}

#[test]
fn deletes_remove_by_key_and_unknown_keys_move_nothing() {
    let (mut fsm, handle) = setup();
    upsert(&mut fsm, 10, vec![reg("s1", "web", "a1", "n1")]);
    let delete = |keys: Vec<ServiceKey>| Command::ServiceUpdate {
        upserts: Vec::new(),
        deletes: keys,
    };
    fsm.apply_command(11, delete(vec![ServiceKey::new("default", "nope")]))
        .expect("delete");
    assert_eq!(handle.snapshot().index(Table::Services), 10);
    fsm.apply_command(12, delete(vec![ServiceKey::new("default", "s1")]))
        .expect("delete");
    let s = handle.snapshot();
    assert_eq!(s.index(Table::Services), 12);
    assert!(s.service_registrations("default", "web").is_empty());
    assert!(s.service_registrations_by_alloc("a1").is_empty());
    assert!(s.service_registrations_by_node("n1").is_empty());
}

#[test]
fn upserts_the_state_no_longer_allows_are_skipped_and_bad_ones_refused() {
    let (mut fsm, handle) = setup();
    upsert(
        &mut fsm,
        10,
        vec![
            // Unknown allocation; allocation on another node.
            reg("s1", "web", "zz", "n1"),
            reg("s2", "web", "a2", "n1"),
        ],
    );
    assert_eq!(handle.snapshot().service_registrations_count(), 0);
    let mut no_ns = reg("s3", "web", "a1", "n1");
    no_ns.namespace.clear();
    let refused = fsm.apply_command(
        11,
        Command::ServiceUpdate {
            upserts: vec![no_ns],
            deletes: Vec::new(),
        },
    );
    assert!(matches!(refused, Err(ApplyError::Invalid(_))));
}

#[test]
fn a_client_terminal_allocation_drops_its_registrations_a_desired_stop_does_not() {
    let (mut fsm, handle) = setup();
    upsert(
        &mut fsm,
        10,
        vec![reg("s1", "web", "a1", "n1"), reg("s2", "web", "a2", "n2")],
    );
    // The scheduler wants a1 stopped: the client removes it later.
    let mut stopping = alloc("a1", "n1");
    stopping.desired_status = ALLOC_DESIRED_STOP.into();
    fsm.apply_command(
        11,
        Command::AllocUpsert {
            allocs: vec![stopping],
        },
    )
    .expect("stop");
    assert_eq!(handle.snapshot().service_registrations_count(), 2);
    // The client reports it complete: its registrations go.
    fsm.apply_command(
        12,
        Command::AllocClientUpdate {
            allocs: vec![AllocClientUpdate {
                id: "a1".into(),
                client_status: ALLOC_CLIENT_COMPLETE.into(),
                ..AllocClientUpdate::default()
            }],
            evals: Vec::new(),
        },
    )
    .expect("complete");
    let s = handle.snapshot();
    assert_eq!(ids(&s.service_registrations("default", "web")), ["s2"]);
    assert_eq!(s.index(Table::Services), 12);
    // A late upsert for the stopped allocation is skipped.
    upsert(&mut fsm, 13, vec![reg("s1", "web", "a1", "n1")]);
    assert_eq!(handle.snapshot().index(Table::Services), 12);
    // Removing an allocation removes its registrations too.
    let mut state = (*handle.snapshot()).clone();
    apply::alloc::remove(&mut state, 14, &["a2".to_string()]).expect("remove");
    assert_eq!(state.service_registrations_count(), 0);
    assert_eq!(state.index(Table::Services), 14);
}

#[test]
fn a_node_down_or_deregistered_drops_its_registrations() {
    let (mut fsm, handle) = setup();
    upsert(
        &mut fsm,
        10,
        vec![reg("s1", "web", "a1", "n1"), reg("s2", "web", "a2", "n2")],
    );
    fsm.apply_command(
        11,
        Command::NodeUpdateStatus(NodeUpdate {
            node_id: "n1".into(),
            status: NODE_STATUS_DOWN.into(),
            ..NodeUpdate::default()
        }),
    )
    .expect("down");
    let s = handle.snapshot();
    assert_eq!(ids(&s.service_registrations("default", "web")), ["s2"]);
    assert_eq!(s.index(Table::Services), 11);
    // A down node's upserts are skipped.
    upsert(&mut fsm, 12, vec![reg("s1", "web", "a1", "n1")]);
    assert_eq!(handle.snapshot().index(Table::Services), 11);
    fsm.apply_command(
        13,
        Command::NodeDeregister {
            node_ids: vec!["n2".into()],
            evals: Vec::new(),
        },
    )
    .expect("deregister");
    let s = handle.snapshot();
    assert_eq!(s.service_registrations_count(), 0);
    assert_eq!(s.index(Table::Services), 13);
}

#[test]
fn snapshots_carry_the_registrations_and_rebuild_their_indexes() {
    let (mut fsm, handle) = setup();
    upsert(
        &mut fsm,
        10,
        vec![reg("s1", "web", "a1", "n1"), reg("s2", "db", "a2", "n2")],
    );
    let state = handle.snapshot();
    let back = snapshot::decode(&snapshot::encode(&state)).expect("decode");
    assert_eq!(back.indexes(), state.indexes());
    assert_eq!(back.index(Table::Services), 10);
    assert_eq!(
        back.service_registration("default", "s1"),
        state.service_registration("default", "s1")
    );
    assert_eq!(ids(&back.service_registrations("default", "db")), ["s2"]);
    assert_eq!(ids(&back.service_registrations_by_alloc("a1")), ["s1"]);
    assert_eq!(ids(&back.service_registrations_by_node("n2")), ["s2"]);
    assert_eq!(
        format!("{:?}", back.services_by_name),
        format!("{:?}", state.services_by_name)
    );
}

//! Event derivation: types, keys, indexes and payloads per entry.

use super::*;
use crate::state::{Command, Fsm, JobDeregister, JobRegister};
use crate::structs::{
    ALLOC_CLIENT_RUNNING, ALLOC_DESIRED_RUN, EVAL_STATUS_PENDING, NODE_STATUS_READY, TaskGroup,
};

fn job(id: &str) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: "default".into(),
        job_type: "service".into(),
        datacenters: vec!["dc1".into()],
        task_groups: vec![TaskGroup {
            name: "g".into(),
            count: 1,
            ..TaskGroup::default()
        }],
        ..Job::default()
    }
}

fn register(id: &str) -> Command {
    Command::JobRegister(JobRegister {
        job: job(id),
        eval: Some(Evaluation {
            id: format!("eval-{id}"),
            namespace: "default".into(),
            job_id: id.into(),
            status: EVAL_STATUS_PENDING.into(),
            ..Evaluation::default()
        }),
        enforce_index: None,
        ..Default::default()
    })
}

fn node(id: &str) -> Node {
    Node {
        id: id.into(),
        secret_id: "s3cret".into(),
        datacenter: "dc1".into(),
        status: NODE_STATUS_READY.into(),
        ..Node::default()
    }
}

fn kinds(batches: &[EventBatch]) -> Vec<(u64, &'static str, &'static str, String)> {
    batches
        .iter()
        .flat_map(|b| b.events.iter())
        .map(|e| (e.index, e.topic, e.kind, e.key.clone()))
        .collect()
}

#[test]
fn a_registration_gives_the_job_and_its_evaluation_at_the_entry_index() {
    let (mut fsm, handle) = Fsm::new();
    let before = handle.snapshot();
    fsm.apply_command(5, register("web")).expect("register");
    let batches = derive(&before, &handle.snapshot(), 42);
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].index, 5);
    assert_eq!(batches[0].committed_ns, 42);
    let mut got = kinds(&batches);
    got.sort();
    assert_eq!(
        got,
        vec![
            (5, "Evaluation", "EvaluationUpdated", "eval-web".into()),
            (5, "Job", "JobRegistered", "web".into()),
        ]
    );
    let eval = batches[0]
        .events
        .iter()
        .find(|e| e.topic == "Evaluation")
        .expect("eval event");
    assert_eq!(eval.filter_keys[0], "web");
    let v: serde_json::Value = serde_json::from_str(&eval.json).expect("json");
    assert_eq!(v["Topic"], "Evaluation");
    assert_eq!(v["Type"], "EvaluationUpdated");
    assert_eq!(v["Index"], 5);
    assert_eq!(v["Payload"]["Evaluation"]["JobID"], "web");
}

#[test]
fn several_entries_between_two_states_keep_their_own_indexes() {
    let (mut fsm, handle) = Fsm::new();
    let before = handle.snapshot();
    fsm.apply_command(2, register("a")).expect("a");
    fsm.apply_command(3, register("b")).expect("b");
    fsm.apply_command(
        4,
        Command::JobDeregister(JobDeregister {
            namespace: "default".into(),
            job_id: "a".into(),
            purge: false,
            eval: None,
            submit_time: 1,
        }),
    )
    .expect("stop");
    let batches = derive(&before, &handle.snapshot(), 0);
    let idx: Vec<u64> = batches.iter().map(|b| b.index).collect();
    assert_eq!(idx, vec![2, 3, 4]);
    // Job a's last change is its stop, at 4; b registered at 3.
    let jobs: Vec<_> = kinds(&batches)
        .into_iter()
        .filter(|(_, t, _, _)| *t == "Job")
        .collect();
    assert_eq!(
        jobs,
        vec![
            (3, "Job", "JobRegistered", "b".into()),
            (4, "Job", "JobDeregistered", "a".into()),
        ]
    );
}

#[test]
fn purged_jobs_and_deregistered_nodes_carry_their_last_payload() {
    let (mut fsm, handle) = Fsm::new();
    fsm.apply_command(1, register("a")).expect("a");
    fsm.apply_command(2, Command::NodeRegister { node: node("n1") })
        .expect("node");
    let mid = handle.snapshot();
    let got = kinds(&derive(&handle.snapshot(), &mid, 0));
    assert!(got.is_empty(), "no change, no events: {got:?}");
    fsm.apply_command(
        3,
        Command::JobDeregister(JobDeregister {
            namespace: "default".into(),
            job_id: "a".into(),
            purge: true,
            eval: None,
            submit_time: 1,
        }),
    )
    .expect("purge");
    fsm.apply_command(
        4,
        Command::NodeDeregister {
            node_ids: vec!["n1".into()],
            evals: Vec::new(),
        },
    )
    .expect("node gone");
    let batches = derive(&mid, &handle.snapshot(), 0);
    assert_eq!(
        kinds(&batches),
        vec![
            (3, "Job", "JobDeregistered", "a".into()),
            (4, "Node", "NodeDeregistration", "n1".into()),
        ]
    );
    let node_json: serde_json::Value =
        serde_json::from_str(&batches[1].events[0].json).expect("json");
    assert_eq!(node_json["Payload"]["Node"]["ID"], "n1");
    assert_eq!(
        node_json["Payload"]["Node"]["SecretID"], "",
        "secret kept out"
    );
}

#[test]
fn allocations_are_typed_by_what_changed_and_carry_no_job() {
    let (mut fsm, handle) = Fsm::new();
    fsm.apply_command(1, Command::NodeRegister { node: node("n1") })
        .expect("node");
    let before = handle.snapshot();
    let mut a = Allocation {
        id: "a1".into(),
        namespace: "default".into(),
        job_id: "web".into(),
        job: Some(std::sync::Arc::new(job("web"))),
        node_id: "n1".into(),
        task_group: "g".into(),
        desired_status: ALLOC_DESIRED_RUN.into(),
        client_status: "pending".into(),
        ..Allocation::default()
    };
    fsm.apply_command(
        2,
        Command::AllocUpsert {
            allocs: vec![a.clone()],
        },
    )
    .expect("place");
    let placed = handle.snapshot();
    let batches = derive(&before, &placed, 0);
    assert_eq!(
        kinds(&batches),
        vec![(2, "Allocation", "PlanResult", "a1".into())]
    );
    let v: serde_json::Value = serde_json::from_str(&batches[0].events[0].json).expect("json");
    assert!(v["Payload"]["Allocation"]["Job"].is_null());
    assert_eq!(v["FilterKeys"][0], "web");
    a.client_status = ALLOC_CLIENT_RUNNING.into();
    fsm.apply_command(3, Command::AllocUpsert { allocs: vec![a] })
        .expect("running");
    let got = kinds(&derive(&placed, &handle.snapshot(), 0));
    assert!(
        got.contains(&(3, "Allocation", "AllocationUpdated", "a1".into())),
        "{got:?}"
    );
}

#[test]
fn service_registrations_and_their_removal_with_the_node() {
    use crate::structs::ServiceRegistration;
    let (mut fsm, handle) = Fsm::new();
    fsm.apply_command(1, Command::NodeRegister { node: node("n1") })
        .expect("node");
    let a = Allocation {
        id: "a1".into(),
        namespace: "default".into(),
        job_id: "web".into(),
        node_id: "n1".into(),
        task_group: "g".into(),
        desired_status: ALLOC_DESIRED_RUN.into(),
        client_status: ALLOC_CLIENT_RUNNING.into(),
        ..Allocation::default()
    };
    fsm.apply_command(2, Command::AllocUpsert { allocs: vec![a] })
        .expect("alloc");
    let before = handle.snapshot();
    let reg = ServiceRegistration {
        id: "s1".into(),
        service_name: "api".into(),
        namespace: "default".into(),
        node_id: "n1".into(),
        alloc_id: "a1".into(),
        job_id: "web".into(),
        ..ServiceRegistration::default()
    };
    fsm.apply_command(
        3,
        Command::ServiceUpdate {
            upserts: vec![reg],
            deletes: vec![],
        },
    )
    .expect("register");
    let registered = handle.snapshot();
    let batches = derive(&before, &registered, 0);
    assert_eq!(
        kinds(&batches),
        vec![(3, "Service", "ServiceRegistration", "s1".into())]
    );
    assert_eq!(batches[0].events[0].filter_keys, vec!["web", "api"]);
    fsm.apply_command(
        4,
        Command::NodeDeregister {
            node_ids: vec!["n1".into()],
            evals: Vec::new(),
        },
    )
    .expect("node gone");
    let got = kinds(&derive(&registered, &handle.snapshot(), 0));
    assert!(
        got.contains(&(4, "Service", "ServiceDeregistration", "s1".into())),
        "{got:?}"
    );
    assert!(got.contains(&(4, "Node", "NodeDeregistration", "n1".into())));
}

//! Unit tests of apply: check-index, versions, summaries, snapshots.

use super::*;
use crate::structs::{
    ALLOC_CLIENT_RUNNING, ALLOC_DESIRED_RUN, Allocation, EVAL_STATUS_PENDING, Evaluation, Job,
    TaskGroup,
};

fn job(id: &str, count: i64) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc1".into()],
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            count,
            ..TaskGroup::default()
        }],
        ..Job::default()
    }
}

fn eval(id: &str, job_id: &str) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: "default".into(),
        job_id: job_id.into(),
        status: EVAL_STATUS_PENDING.into(),
        ..Evaluation::default()
    }
}

fn register(
    fsm: &mut Fsm,
    index: u64,
    j: Job,
    enforce: Option<u64>,
) -> Result<Applied, ApplyError> {
    let e = eval(&format!("e{index}"), &j.id);
    fsm.apply_command(
        index,
        Command::JobRegister(JobRegister {
            job: j,
            eval: Some(e),
            enforce_index: enforce,
            ..Default::default()
        }),
    )
}

#[test]
fn register_stamps_indexes_and_creates_the_eval_in_the_same_entry() {
    let (mut fsm, handle) = Fsm::new();
    let applied = register(&mut fsm, 7, job("example", 1), Some(0)).expect("register");
    assert_eq!(applied.job_modify_index, 7);
    let s = handle.snapshot();
    let j = s.job("default", "example").expect("job");
    assert_eq!(
        (
            j.create_index,
            j.modify_index,
            j.job_modify_index,
            j.version
        ),
        (7, 7, 7, 0)
    );
    assert_eq!(j.status, "pending");
    let e = s.eval("e7").expect("eval");
    assert_eq!((e.create_index, e.job_modify_index), (7, 7));
    assert_eq!(s.index(Table::Jobs), 7);
    assert_eq!(s.index(Table::Evals), 7);
    assert!(s.job_summary("default", "example").is_some());
}

#[test]
fn check_index_is_a_compare_and_set() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 5, job("example", 1), Some(0)).expect("create");
    let err = register(&mut fsm, 6, job("example", 2), Some(0)).expect_err("exists");
    assert_eq!(
        err.to_string(),
        "Enforcing job modify index 0: job already exists"
    );
    let err = register(&mut fsm, 7, job("example", 2), Some(4)).expect_err("conflict");
    assert_eq!(
        err.to_string(),
        "Enforcing job modify index 4: job exists with conflicting job modify index: 5"
    );
    let err = register(&mut fsm, 8, job("other", 2), Some(3)).expect_err("missing");
    assert_eq!(
        err.to_string(),
        "Enforcing job modify index 3: job does not exist"
    );
    // Nothing changed on refusal: no version, no eval.
    let s = handle.snapshot();
    assert_eq!(
        s.job("default", "example").expect("job").task_groups[0].count,
        1
    );
    assert!(s.eval("e6").is_none() && s.eval("e7").is_none());
    assert!(s.job("default", "other").is_none());

    let ok = register(&mut fsm, 9, job("example", 15), Some(5)).expect("update");
    assert_eq!(ok.job_modify_index, 9);
    let j = handle.snapshot().job("default", "example").expect("job");
    assert_eq!((j.version, j.job_modify_index, j.create_index), (1, 9, 5));
    // Of two registrations expecting the same index, only the first wins.
    assert!(register(&mut fsm, 10, job("example", 3), Some(9)).is_ok());
    assert!(register(&mut fsm, 10, job("example", 4), Some(9)).is_err());
}

#[test]
fn identical_spec_writes_no_version_but_a_new_eval() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 1), None).expect("create");
    let applied = register(&mut fsm, 4, job("example", 1), None).expect("again");
    let s = handle.snapshot();
    let j = s.job("default", "example").expect("job");
    assert_eq!((j.version, j.job_modify_index), (0, 3));
    assert_eq!(applied.job_modify_index, j.modify_index);
    assert_eq!(s.job_versions("default", "example").len(), 1);
    assert!(s.eval("e4").is_some());
}

#[test]
fn versions_keep_the_last_six_newest_first() {
    let (mut fsm, handle) = Fsm::new();
    for i in 1..=9u64 {
        register(&mut fsm, i, job("example", i as i64), None).expect("register");
    }
    let versions = handle.snapshot().job_versions("default", "example");
    assert_eq!(versions.len(), JOB_TRACKED_VERSIONS);
    let got: Vec<u64> = versions.iter().map(|j| j.version).collect();
    assert_eq!(got, vec![8, 7, 6, 5, 4, 3]);
}

#[test]
fn deregister_stops_then_purge_removes() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 1), None).expect("create");
    let cmd = |purge| {
        Command::JobDeregister(JobDeregister {
            namespace: "default".into(),
            job_id: "example".into(),
            purge,
            eval: None,
            submit_time: 1,
        })
    };
    let applied = fsm.apply_command(4, cmd(false)).expect("stop");
    assert!(applied.job_found);
    let j = handle.snapshot().job("default", "example").expect("job");
    assert!(j.stop);
    assert_eq!(
        (j.version, j.job_modify_index, j.status.as_str()),
        (1, 4, "dead")
    );
    fsm.apply_command(5, cmd(true)).expect("purge");
    assert!(handle.snapshot().job("default", "example").is_none());
    let applied = fsm
        .apply_command(6, cmd(true))
        .expect("unknown job is a no-op");
    assert!(!applied.job_found);
}

#[test]
fn allocations_drive_the_summary_and_status() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 1), None).expect("create");
    let alloc = Allocation {
        id: "a1".into(),
        namespace: "default".into(),
        eval_id: "e3".into(),
        name: "example.cache[0]".into(),
        node_id: "n1".into(),
        job_id: "example".into(),
        task_group: "cache".into(),
        desired_status: ALLOC_DESIRED_RUN.into(),
        client_status: ALLOC_CLIENT_RUNNING.into(),
        ..Allocation::default()
    };
    fsm.apply_command(
        4,
        Command::AllocUpsert {
            allocs: vec![alloc],
        },
    )
    .expect("alloc");
    let s = handle.snapshot();
    assert_eq!(s.job("default", "example").expect("job").status, "running");
    let summary = s.job_summary("default", "example").expect("summary");
    assert_eq!(summary.summary["cache"].running, 1);
    assert_eq!(s.allocs_by_node("n1").len(), 1);
    assert_eq!(s.allocs_by_eval("e3").len(), 1);
    assert_eq!(s.allocs_by_job("default", "example").len(), 1);
    assert_eq!(s.alloc("a1").expect("alloc").index(), Some(0));
}

#[test]
fn snapshot_round_trips_and_rebuilds_indexes() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 1), None).expect("create");
    register(&mut fsm, 4, job("example", 2), None).expect("update");
    let state = handle.snapshot();
    let bytes = snapshot::encode(&state);
    let back = snapshot::decode(&bytes).expect("decode");
    assert_eq!(back.indexes(), state.indexes());
    assert_eq!(
        back.job("default", "example"),
        state.job("default", "example")
    );
    assert_eq!(back.job_versions("default", "example").len(), 2);
    assert_eq!(back.evals_by_job("default", "example").len(), 2);
    // Allocations get their job back from the stored versions.
    let alloc = Allocation {
        id: "a1".into(),
        namespace: "default".into(),
        job_id: "example".into(),
        node_id: "n1".into(),
        job: state.job("default", "example"),
        ..Allocation::default()
    };
    fsm.apply_command(
        5,
        Command::AllocUpsert {
            allocs: vec![alloc],
        },
    )
    .expect("alloc");
    let state = handle.snapshot();
    let bytes = snapshot::encode(&state);
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(
        text.matches("\"TaskGroups\"").count(),
        3,
        "jobs once per version + current"
    );
    let back = snapshot::decode(&bytes).expect("decode");
    let job = back
        .alloc("a1")
        .and_then(|a| a.job.clone())
        .expect("job re-attached");
    assert_eq!(job.version, 1);
    assert!(snapshot::decode(b"{not json").is_err());
}

#[test]
fn snapshots_keep_the_operator_configurations_and_older_ones_read_as_defaults() {
    let (mut fsm, handle) = Fsm::new();
    let config = crate::structs::SchedulerConfiguration {
        scheduler_algorithm: "spread".into(),
        reject_job_registration: true,
        ..crate::structs::SchedulerConfiguration::initial()
    };
    fsm.apply_command(
        7,
        Command::SchedulerConfigSet(ConfigSet { config, cas: None }),
    )
    .expect("set");
    let mut autopilot = crate::structs::AutopilotConfiguration::initial();
    autopilot.max_trailing_logs = 9;
    fsm.apply_command(
        8,
        Command::AutopilotConfigSet(ConfigSet {
            config: autopilot,
            cas: None,
        }),
    )
    .expect("set");
    let state = handle.snapshot();
    let back = snapshot::decode(&snapshot::encode(&state)).expect("decode");
    assert_eq!(back.scheduler_config(), state.scheduler_config());
    assert_eq!(back.scheduler_config().modify_index, 7);
    assert_eq!(back.autopilot_config().max_trailing_logs, 9);

    // A snapshot written before the configurations existed.
    let (_, empty) = Fsm::new();
    let mut old: serde_json::Value =
        serde_json::from_slice(&snapshot::encode(&empty.snapshot())).expect("json");
    if let Some(o) = old.as_object_mut() {
        o.remove("scheduler_config");
        o.remove("autopilot_config");
    }
    let back = snapshot::decode(&serde_json::to_vec(&old).expect("encode")).expect("decode");
    assert_eq!(
        *back.scheduler_config(),
        crate::structs::SchedulerConfiguration::initial()
    );
    assert_eq!(back.autopilot_config().max_trailing_logs, 250);
}

#[test]
fn a_bad_command_changes_nothing() {
    use drover_raft::StateMachine;
    let (mut fsm, handle) = Fsm::new();
    let out = fsm.apply(3, b"garbage");
    fsm.entry_applied(3);
    assert!(decode_response(&out).is_err());
    assert!(handle.snapshot().jobs_by_prefix("*", "").is_empty());
    assert_eq!(handle.snapshot().indexes().latest, 3);
}

#[test]
fn plan_results_in_the_earlier_log_form_still_apply() {
    use drover_raft::StateMachine;
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 1), None).expect("create");
    let job_json = serde_json::to_value(job("example", 1)).expect("job encodes");
    // Entries written before `new` and the compact metric existed.
    let plan = |time: i64| {
        serde_json::json!({"PlanResults": {
            "job": job_json, "eval_id": "e3", "stops": [],
            "allocs": [{"id": "a1", "name": "example.cache[0]", "node_id": "n1",
                "task_group": "cache", "time": time,
                "metrics": {"NodesEvaluated": 3, "NodesAvailable": {"dc1": 3}}}]}})
        .to_string()
    };
    fsm.apply(4, plan(10).as_bytes());
    fsm.entry_applied(4);
    fsm.apply(5, plan(20).as_bytes());
    fsm.entry_applied(5);
    let a = handle.snapshot().alloc("a1").expect("placed");
    // The second entry is an update of the first allocation, found by ID.
    assert_eq!((a.create_index, a.modify_index, a.modify_time), (4, 5, 20));
    let m = a.metrics.as_ref().expect("metrics kept");
    assert_eq!(
        (m.nodes_evaluated, m.nodes_available.get("dc1")),
        (3, Some(&3))
    );
}

#[test]
fn a_placement_marked_new_that_reuses_an_id_replaces_the_old_one_cleanly() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 1), None).expect("create");
    let planned = |node: &str| PlannedAlloc {
        id: "a1".into(),
        new: Some(true),
        name: "example.cache[0]".into(),
        node_id: node.into(),
        task_group: "cache".into(),
        ..PlannedAlloc::default()
    };
    let plan = |node: &str| {
        Command::PlanResults(PlanResults {
            job: Some(job("example", 1)),
            allocs: vec![planned(node)],
            eval_id: "e3".into(),
            ..PlanResults::default()
        })
    };
    fsm.apply_command(4, plan("n1")).expect("first");
    fsm.apply_command(5, plan("n2")).expect("second");
    let s = handle.snapshot();
    assert_eq!(s.allocs_count(), 1);
    assert_eq!(s.allocs_changed_after(0).len(), 1);
    assert!(s.allocs_by_node("n1").is_empty());
    assert_eq!(s.allocs_by_node("n2").len(), 1);
    assert_eq!(s.node_usage("n1").allocs, 0);
    assert_eq!(s.node_usage("n2").allocs, 1);
}

#[test]
fn planned_resources_sent_once_are_shared_by_the_following_allocations() {
    use crate::structs::{AllocatedResources, AllocatedSharedResources};
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 3, job("example", 4), None).expect("create");
    let res = |disk: i64| AllocatedResources {
        shared: AllocatedSharedResources {
            disk_mb: disk,
            ..AllocatedSharedResources::default()
        },
        ..AllocatedResources::default()
    };
    let planned = |i: usize, resources: Option<AllocatedResources>| PlannedAlloc {
        id: format!("a{i}"),
        new: Some(true),
        name: format!("example.cache[{i}]"),
        node_id: "n1".into(),
        task_group: "cache".into(),
        same_resources: resources.is_none(),
        resources: resources.map(Box::new),
        ..PlannedAlloc::default()
    };
    let allocs = vec![
        planned(0, Some(res(100))),
        planned(1, None),
        planned(2, Some(res(200))),
        planned(3, None),
    ];
    fsm.apply_command(
        4,
        Command::PlanResults(PlanResults {
            job: Some(job("example", 4)),
            allocs,
            eval_id: "e3".into(),
            ..PlanResults::default()
        }),
    )
    .expect("plan");
    let s = handle.snapshot();
    let disk = |id: &str| {
        let a = s.alloc(id).expect("placed");
        a.allocated_resources
            .as_ref()
            .expect("resources")
            .shared
            .disk_mb
    };
    assert_eq!(
        [disk("a0"), disk("a1"), disk("a2"), disk("a3")],
        [100, 100, 200, 200]
    );
    let (a0, a1) = (s.alloc("a0").expect("a0"), s.alloc("a1").expect("a1"));
    let (r0, r1) = (
        a0.allocated_resources.as_ref(),
        a1.allocated_resources.as_ref(),
    );
    assert!(std::sync::Arc::ptr_eq(r0.expect("r0"), r1.expect("r1")));
}

#[test]
fn allocations_are_found_by_id_and_by_prefix_whatever_their_id_looks_like() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 1, job("example", 3), None).expect("register");
    let ids = [
        "3d4c2402-0000-4000-8000-000000000001",
        "3d4c2402-ffff-4000-8000-000000000002",
        "3d4d0000-0000-4000-8000-000000000003",
        "3d4c-not-a-uuid",
    ];
    let allocs = ids
        .iter()
        .map(|id| Allocation {
            id: (*id).into(),
            namespace: "default".into(),
            job_id: "example".into(),
            node_id: "n1".into(),
            desired_status: ALLOC_DESIRED_RUN.into(),
            ..Allocation::default()
        })
        .collect();
    fsm.apply_command(2, Command::AllocUpsert { allocs })
        .expect("upsert");
    let s = handle.snapshot();
    for id in ids {
        assert_eq!(s.alloc(id).map(|a| a.id.clone()).as_deref(), Some(id));
    }
    assert!(s.alloc("3d4c2402-0000-4000-8000-00000000000f").is_none());
    let found = |p: &str| {
        s.allocs_by_prefix(p)
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(found("3d4c"), [ids[3], ids[0], ids[1]]);
    assert_eq!(found("3d4c2402-f"), [ids[1]]);
    assert_eq!(found(ids[2]), [ids[2]]);
    assert_eq!(found("3d4"), [ids[3], ids[0], ids[1], ids[2]]);
    assert!(found("4").is_empty());
    assert_eq!(s.allocs_by_node("n1").len(), 4);
}

#[test]
fn snapshots_carry_variables_and_namespaces() {
    use crate::structs::{Namespace, Variable};
    let (mut fsm, handle) = Fsm::new();
    let ns = Namespace {
        name: "prod".into(),
        description: "p".into(),
        ..Namespace::default()
    };
    fsm.apply_command(
        3,
        Command::NamespaceUpsert {
            namespaces: vec![ns],
        },
    )
    .expect("namespace");
    let mut var = Variable::absent("prod", "a/b");
    var.items.insert("k".into(), "v".into());
    fsm.apply_command(
        4,
        Command::VarApply(crate::state::VarApply {
            op: crate::state::VarOp::Set,
            var,
            time: 9,
        }),
    )
    .expect("variable");
    let state = handle.snapshot();
    let back = snapshot::decode(&snapshot::encode(&state)).expect("decode");
    assert_eq!(back.variable("prod", "a/b"), state.variable("prod", "a/b"));
    assert_eq!(back.namespace("prod"), state.namespace("prod"));
    assert_eq!(back.indexes(), state.indexes());
    assert_eq!(back.namespaces().len(), 2, "default and prod");
}

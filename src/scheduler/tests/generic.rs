use super::fixtures::{example, node, seed_cluster};
use crate::scheduler::compute;
use crate::scheduler::harness::Harness;
use crate::structs::{ALLOC_CLIENT_LOST, ALLOC_DESIRED_STOP, NODE_STATUS_DOWN, Node};

#[test]
fn service_job_register_in_an_unknown_datacenter_fails_with_no_nodes_available() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["dc1"], 1));
    let done = h.process(&eval);
    assert_eq!(done.eval.status, "complete");
    let m = &done.eval.failed_tg_allocs["cache"];
    assert_eq!(m.nodes_evaluated, 0);
    assert_eq!(m.nodes_available.get("dc1"), Some(&0));
    assert_eq!(done.eval.queued_allocations["cache"], 1);
    // A blocked evaluation waits for capacity.
    assert_eq!(done.created.len(), 1);
    assert_eq!(done.created[0].status, "blocked");
    assert_eq!(done.created[0].triggered_by, "queued-allocs");
    assert_eq!(done.eval.blocked_eval, done.created[0].id);
    assert!(h.snapshot().allocs_by_job("default", "example").is_empty());
}

#[test]
fn service_job_register_places_one_alloc_with_ports_and_resources() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 1));
    let done = h.process(&eval);
    assert_eq!(done.eval.status, "complete");
    assert!(done.eval.failed_tg_allocs.is_empty());
    let allocs = h.snapshot().allocs_by_job("default", "example");
    assert_eq!(allocs.len(), 1);
    let a = &allocs[0];
    assert_eq!(a.name, "example.cache[0]");
    assert_eq!(a.desired_status, "run");
    assert_eq!(a.client_status, "pending");
    assert_eq!(a.eval_id, eval.id);
    let r = a.allocated_resources.as_ref().expect("resources");
    assert_eq!(r.tasks["redis"].cpu.cpu_shares, 500);
    assert_eq!(r.tasks["redis"].memory.memory_mb, 256);
    let port = &r.tasks["redis"].networks[0].dynamic_ports[0];
    assert_eq!(port.label, "db");
    assert!((20000..32000).contains(&port.value));
    assert_eq!(a.job.as_ref().map(|j| j.version), Some(0));
    let summary = h
        .snapshot()
        .job_summary("default", "example")
        .expect("summary");
    assert_eq!(summary.summary["cache"].starting, 1);
    assert_eq!(
        h.snapshot().job("default", "example").expect("job").status,
        "running"
    );
}

#[test]
fn service_job_update_count_1_to_15_plans_14_create_1_in_place() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 1));
    h.process(&eval);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 15));
    let out = compute(&*h.snapshot(), &eval, 0);
    let u = &out.annotations["cache"];
    assert_eq!(
        (u.place, u.in_place_update, u.stop, u.destructive_update),
        (14, 1, 0, 0)
    );
    assert!(out.failed_tg_allocs.is_empty());
    let done = h.process(&eval);
    assert_eq!(done.eval.status, "complete");
    let allocs = h.snapshot().allocs_by_job("default", "example");
    assert_eq!(allocs.iter().filter(|a| !a.terminal()).count(), 15);
    let mut names: Vec<u64> = allocs.iter().filter_map(|a| a.index()).collect();
    names.sort();
    assert_eq!(names, (0..15).collect::<Vec<_>>());
    // The in-place update moved the first allocation to the new version.
    assert!(
        allocs
            .iter()
            .all(|a| a.job.as_ref().map(|j| j.version) == Some(1))
    );
}

#[test]
fn service_job_count_50_on_11_nodes_of_768mb_reports_memory_exhausted() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 15));
    h.process(&eval);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 50));
    let out = compute(&*h.snapshot(), &eval, 0);
    let u = &out.annotations["cache"];
    assert_eq!((u.place, u.in_place_update), (35, 15));
    let done = h.process(&eval);
    let live = h
        .snapshot()
        .allocs_by_job("default", "example")
        .iter()
        .filter(|a| !a.terminal())
        .count();
    assert_eq!(live, 33, "3 of 256 MB fit on each of 11 nodes of 768 MB");
    let m = &done.eval.failed_tg_allocs["cache"];
    assert_eq!(
        m.coalesced_failures + 1,
        17,
        "failed to place 17 allocations"
    );
    assert_eq!(m.nodes_exhausted, 11);
    assert_eq!(m.dimension_exhausted.get("memory"), Some(&11));
    assert_eq!(done.eval.queued_allocations["cache"], 17);
    assert_eq!(done.created[0].status, "blocked");
    let summary = h
        .snapshot()
        .job_summary("default", "example")
        .expect("summary");
    assert_eq!(summary.summary["cache"].queued, 17);
}

#[test]
fn service_job_scale_down_stops_the_highest_indexes() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 5));
    h.process(&eval);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 2));
    let done = h.process(&eval);
    assert_eq!(done.eval.status, "complete");
    let allocs = h.snapshot().allocs_by_job("default", "example");
    let mut live: Vec<u64> = allocs
        .iter()
        .filter(|a| !a.terminal())
        .filter_map(|a| a.index())
        .collect();
    live.sort();
    assert_eq!(live, vec![0, 1]);
    let stopped = allocs
        .iter()
        .filter(|a| a.desired_status == ALLOC_DESIRED_STOP)
        .count();
    assert_eq!(stopped, 3);
}

#[test]
fn service_job_image_change_is_a_destructive_update_keeping_names() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 3);
    {
        let e = h.register(job.clone());
        h.process(&e)
    };
    job.task_groups[0].tasks[0]
        .config
        .insert("image".into(), serde_json::json!("redis:7"));
    let eval = h.register(job);
    let out = compute(&*h.snapshot(), &eval, 0);
    // The default update block rolls one allocation at a time.
    assert_eq!(out.annotations["cache"].destructive_update, 1);
    assert_eq!(out.annotations["cache"].ignore, 2);
    let mut next = h.process(&eval);
    let mut rounds = 1;
    while let Some(follow) = next
        .created
        .iter()
        .find(|e| e.triggered_by == "rolling-update")
        .cloned()
    {
        assert_eq!(next.eval.next_eval, follow.id);
        next = h.process(&follow);
        rounds += 1;
        assert!(rounds <= 4, "the rolling update does not end");
    }
    assert_eq!(rounds, 3);
    let allocs = h.snapshot().allocs_by_job("default", "example");
    let live: Vec<_> = allocs.iter().filter(|a| !a.terminal()).collect();
    assert_eq!(live.len(), 3);
    assert!(live.iter().all(|a| !a.previous_allocation.is_empty()));
    assert!(
        live.iter()
            .all(|a| a.job.as_ref().map(|j| j.version) == Some(1))
    );
}

#[test]
fn service_job_stop_stops_everything_and_a_stopped_job_gets_no_placements() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 4);
    {
        let e = h.register(job.clone());
        h.process(&e)
    };
    job.stop = true;
    let eval = h.register(job);
    let out = compute(&*h.snapshot(), &eval, 0);
    assert_eq!(out.plan.placements(), 0);
    assert_eq!(out.annotations["cache"].stop, 4);
    h.process(&eval);
    let s = h.snapshot();
    assert!(
        s.allocs_by_job("default", "example")
            .iter()
            .all(|a| a.terminal())
    );
    assert_eq!(s.job("default", "example").expect("job").status, "dead");
}

#[test]
fn service_node_down_marks_allocs_lost_and_replaces_them_elsewhere() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 6));
    h.process(&eval);
    let victim = h.snapshot().allocs_by_job("default", "example")[0]
        .node_id
        .clone();
    let on_victim = h.snapshot().allocs_by_node(&victim).len();
    let mut down: Node = (*h.snapshot().node(&victim).expect("node")).clone();
    down.status = NODE_STATUS_DOWN.into();
    h.add_node(down);
    let mut eval = eval.clone();
    eval.id = crate::ids::uuid();
    eval.triggered_by = "node-update".into();
    eval.status = "pending".into();
    let done = h.process(&eval);
    assert_eq!(done.eval.status, "complete");
    let s = h.snapshot();
    let lost = s.allocs_by_node(&victim);
    assert_eq!(lost.len(), on_victim);
    assert!(
        lost.iter()
            .all(|a| a.client_status == ALLOC_CLIENT_LOST && a.desired_status == "stop")
    );
    let live: Vec<_> = s
        .allocs_by_job("default", "example")
        .into_iter()
        .filter(|a| !a.terminal())
        .collect();
    assert_eq!(live.len(), 6);
    assert!(live.iter().all(|a| a.node_id != victim));
    assert_eq!(
        s.job_summary("default", "example").expect("s").summary["cache"].lost,
        on_victim as i64
    );
}

#[test]
fn service_constraints_filter_nodes_with_reasons() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 1);
    job.constraints.push(crate::structs::Constraint {
        l_target: "${attr.kernel.name}".into(),
        r_target: "windows".into(),
        operand: "=".into(),
    });
    let done = {
        let e = h.register(job);
        h.process(&e)
    };
    let m = &done.eval.failed_tg_allocs["cache"];
    assert_eq!(m.nodes_evaluated, 11);
    assert_eq!(m.nodes_filtered, 11);
    assert_eq!(
        m.constraint_filtered.get("${attr.kernel.name} = windows"),
        Some(&11)
    );

    // distinct_hosts: at most one per node.
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 12);
    job.id = "spread".into();
    job.name = "spread".into();
    job.task_groups[0].tasks[0]
        .resources
        .as_mut()
        .expect("r")
        .memory_mb = 10;
    job.constraints.push(crate::structs::Constraint {
        operand: "distinct_hosts".into(),
        r_target: "true".into(),
        ..Default::default()
    });
    let done = {
        let e = h.register(job);
        h.process(&e)
    };
    let allocs = h.snapshot().allocs_by_job("default", "spread");
    let nodes: std::collections::BTreeSet<_> = allocs.iter().map(|a| a.node_id.clone()).collect();
    assert_eq!((allocs.len(), nodes.len()), (11, 11));
    assert_eq!(
        done.eval.failed_tg_allocs["spread".replace("spread", "cache").as_str()]
            .constraint_filtered
            .get("distinct_hosts"),
        Some(&11)
    );
}

#[test]
fn service_missing_driver_is_a_filter_reason() {
    let mut h = Harness::new();
    let mut n = node(1, "dc1", 4000, 4096);
    n.drivers.clear();
    h.add_node(n);
    let done = {
        let e = h.register(example(&["dc1"], 1));
        h.process(&e)
    };
    let m = &done.eval.failed_tg_allocs["cache"];
    assert_eq!(m.constraint_filtered.get("missing drivers"), Some(&1));
}

#[test]
fn batch_job_completed_allocs_are_not_rerun() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut job = example(&["eu-west-1a"], 2);
    job.job_type = "batch".into();
    let eval = h.register(job);
    h.process(&eval);
    let allocs = h.snapshot().allocs_by_job("default", "example");
    let mut done_allocs = Vec::new();
    for a in allocs {
        let mut a = (*a).clone();
        a.client_status = "complete".into();
        a.job = None;
        done_allocs.push(a);
    }
    h.apply(crate::state::Command::AllocUpsert {
        allocs: done_allocs,
    });
    let mut again = eval.clone();
    again.id = crate::ids::uuid();
    let out = compute(&*h.snapshot(), &again, 0);
    assert_eq!(out.plan.placements(), 0);
    assert_eq!(out.annotations["cache"].ignore, 2);
}

#[test]
fn service_distinct_property_allows_the_given_count_per_value() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    // Two allocations per datacenter at most, in a job of count 6.
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 6);
    job.task_groups[0].tasks[0]
        .resources
        .as_mut()
        .expect("r")
        .memory_mb = 10;
    job.constraints.push(crate::structs::Constraint {
        operand: "distinct_property".into(),
        l_target: "${node.datacenter}".into(),
        r_target: "2".into(),
    });
    let done = {
        let e = h.register(job);
        h.process(&e)
    };
    let state = h.snapshot();
    let allocs = state.allocs_by_job("default", "example");
    let mut per_dc = std::collections::BTreeMap::new();
    for a in &allocs {
        let dc = state.node(&a.node_id).expect("node").datacenter.clone();
        *per_dc.entry(dc).or_insert(0) += 1;
    }
    assert_eq!(per_dc.values().copied().collect::<Vec<_>>(), [2, 2]);
    let m = &done.eval.failed_tg_allocs["cache"];
    assert_eq!(m.coalesced_failures, 1);
    assert_eq!(
        m.constraint_filtered
            .get("distinct_property: ${node.datacenter}"),
        Some(&11)
    );
}

#[test]
fn service_constraint_on_a_unique_attribute_is_checked_per_node_not_per_class() {
    let mut h = Harness::new();
    for i in 0..4 {
        h.add_node(node(i, "dc1", 4000, 4096));
    }
    let s = h.snapshot();
    let classes: std::collections::BTreeSet<String> =
        s.nodes().map(|n| n.computed_class.clone()).collect();
    assert_eq!(classes.len(), 1, "the nodes differ only in unique values");
    let mut job = example(&["dc1"], 3);
    job.constraints.push(crate::structs::Constraint {
        l_target: "${attr.unique.hostname}".into(),
        r_target: "host-2".into(),
        operand: "=".into(),
    });
    let eval = h.register(job);
    h.process(&eval);
    let allocs = h.snapshot().allocs_by_job("default", "example");
    assert_eq!(allocs.len(), 3);
    let host2 = node(2, "dc1", 0, 0).id;
    assert!(allocs.iter().all(|a| a.node_id == host2));
}

use std::sync::Arc;

use drover::structs::{
    AllocMetric, AllocatedPortMapping, AllocatedResources, AllocatedTaskResources, Job,
    NetworkResource, Port, RescheduleEvent, ReschedulePolicy, RescheduleTracker, TaskGroup,
};

use super::*;

const S: i64 = 1_000_000_000;

fn resources() -> AllocatedResources {
    let mut r = AllocatedResources::default();
    let mut t = AllocatedTaskResources::default();
    t.cpu.cpu_shares = 500;
    t.memory.memory_mb = 256;
    r.tasks.insert("redis".to_string(), t);
    r.shared.disk_mb = 300;
    r.shared.networks = vec![NetworkResource {
        mode: "host".into(),
        ip: "127.0.1.3".into(),
        dynamic_ports: vec![Port {
            label: "db".into(),
            value: 22655,
            to: 6379,
            ..Port::default()
        }],
        ..NetworkResource::default()
    }];
    r.shared.ports = vec![AllocatedPortMapping {
        label: "db".into(),
        value: 22655,
        to: 6379,
        host_ip: "127.0.1.3".into(),
    }];
    r
}

fn event(kind: &str, at: i64) -> TaskEvent {
    TaskEvent {
        event_type: kind.into(),
        time: at,
        ..TaskEvent::default()
    }
}

fn alloc() -> Allocation {
    let mut a = Allocation {
        id: "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c".into(),
        eval_id: "72e0e5ea-0000-0000-0000-000000000000".into(),
        name: "example.cache[0]".into(),
        node_id: "ec28626d-0000-0000-0000-000000000000".into(),
        node_name: "dev".into(),
        job_id: "example".into(),
        job: Some(Arc::new(Job {
            version: 3,
            ..Job::default()
        })),
        task_group: "cache".into(),
        client_status: "running".into(),
        client_description: "Tasks are running".into(),
        desired_status: "run".into(),
        allocated_resources: Some(Arc::new(resources())),
        create_time: 100 * S,
        modify_time: 160 * S,
        ..Allocation::default()
    };
    a.task_states.insert(
        "redis".to_string(),
        TaskState {
            state: "running".into(),
            started_at: Some("2017-06-28T07:07:11Z".into()),
            events: vec![event("Received", 100 * S), event("Started", 101 * S)],
            ..TaskState::default()
        },
    );
    a
}

/// Event times are in the local zone; the test's expectations hold them
/// as the code renders them.
fn at(secs: i64) -> String {
    time_rfc3339(secs * S)
}

#[test]
fn the_page_of_a_running_allocation() {
    let opts = Opts {
        now: 165 * S,
        ..Opts::default()
    };
    let started = time_rfc3339(1_498_633_631 * S);
    let expected = format!(
        "ID                  = 8dd4be51-d9c2-fd55-a1ff-7ba8d777484c\n\
         Eval ID             = 72e0e5ea\n\
         Name                = example.cache[0]\n\
         Node ID             = ec28626d\n\
         Node Name           = dev\n\
         Job ID              = example\n\
         Job Version         = 3\n\
         Client Status       = running\n\
         Client Description  = Tasks are running\n\
         Desired Status      = run\n\
         Desired Description = <none>\n\
         Created             = 1m5s ago\n\
         Modified            = 5s ago\n\
         \n\
         Allocation Addresses (mode = \"host\"):\n\
         Label  Dynamic  Address\n\
         db     yes      127.0.1.3:22655 -> 6379\n\
         \n\
         Task \"redis\" is \"running\"\n\
         Task Resources:\n\
         CPU      Memory   Disk     Addresses\n\
         500 MHz  256 MiB  300 MiB  <none>\n\
         \n\
         Task Events:\n\
         Started At     = {started}\n\
         Finished At    = N/A\n\
         Total Restarts = 0\n\
         Last Restart   = N/A\n\
         \n\
         Recent Events:\n\
         Time{pad}  Type      Description\n\
         {t1}  Started   Task started by client\n\
         {t0}  Received  Task received by client",
        pad = " ".repeat(at(101).len() - 4),
        t1 = at(101),
        t0 = at(100),
    );
    assert_eq!(page(&alloc(), opts), expected);
}

#[test]
fn reserved_ports_are_not_dynamic_and_no_ports_no_table() {
    let mut r = resources();
    r.shared.networks[0].reserved_ports = vec![Port {
        label: "db".into(),
        value: 6379,
        ..Port::default()
    }];
    r.shared.networks[0].dynamic_ports.clear();
    r.shared.ports[0].value = 6379;
    r.shared.ports[0].to = 0;
    let mut a = alloc();
    a.allocated_resources = Some(Arc::new(r));
    assert_eq!(
        addresses(&a).unwrap(),
        "Allocation Addresses (mode = \"host\"):\n\
         Label  Dynamic  Address\n\
         db     no       127.0.1.3:6379"
    );
    a.allocated_resources = Some(Arc::new(AllocatedResources::default()));
    assert_eq!(addresses(&a), None);
}

#[test]
fn reschedules_and_the_replacement_show_when_relevant() {
    let mut a = alloc();
    a.next_allocation = "0b1c2d3e-0000-0000-0000-000000000000".into();
    a.reschedule_tracker = Some(Box::new(RescheduleTracker {
        events: vec![RescheduleEvent {
            reschedule_time: 150 * S,
            ..RescheduleEvent::default()
        }],
    }));
    a.job = Some(Arc::new(Job {
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            reschedule_policy: Some(ReschedulePolicy {
                attempts: 3,
                interval: 3_600 * S,
                ..ReschedulePolicy::default()
            }),
            ..TaskGroup::default()
        }],
        ..Job::default()
    }));
    let out = page(&a, Opts::default());
    assert!(
        out.contains("Reschedule Attempts  = 1/3\nReplacement Alloc ID = 0b1c2d3e\n"),
        "{out}"
    );
}

#[test]
fn verbose_adds_metrics_and_short_keeps_a_line_per_task() {
    let mut a = alloc();
    a.metrics = Some(AllocMetric {
        nodes_evaluated: 2,
        nodes_exhausted: 1,
        score_meta_data: vec![serde_json::json!({
            "NodeID": "ec28626d", "Scores": {"binpack": 0.5}, "NormScore": 0.5
        })],
        ..AllocMetric::default()
    });
    let out = page(
        &a,
        Opts {
            verbose: true,
            ..Opts::default()
        },
    );
    assert!(out.contains("Eval ID             = 72e0e5ea-0000-0000-0000-000000000000\n"));
    assert!(out.contains("Evaluated Nodes     = 2\n"), "{out}");
    assert!(
        out.ends_with(
            "\n\nPlacement Metrics\n  * Resources exhausted on 1 nodes\n\
             Node      binpack  final score\n\
             ec28626d  0.500    0.500"
        ),
        "{out}"
    );
    let short = page(
        &alloc(),
        Opts {
            short: true,
            now: 165 * S,
            ..Opts::default()
        },
    );
    assert_eq!(
        short,
        format!(
            "ID       = 8dd4be51-d9c2-fd55-a1ff-7ba8d777484c\n\
             Name     = example.cache[0]\n\
             Created  = 1m5s ago\n\
             Modified = 5s ago\n\
             \n\
             Tasks\n\
             Name   State    Last Event  Time\n\
             redis  running  Started     {}",
            at(101)
        )
    );
}

#[test]
fn a_docker_port_map_shows_as_the_mapping() {
    let mut r = resources();
    r.shared.ports[0].to = 0;
    let mut a = alloc();
    a.allocated_resources = Some(Arc::new(r));
    let mut config = drover::structs::DriverConfig::new();
    config.insert("port_map".into(), serde_json::json!([{"db": 6379}]));
    a.job = Some(Arc::new(Job {
        task_groups: vec![TaskGroup {
            name: a.task_group.clone(),
            tasks: vec![drover::structs::Task {
                name: "redis".into(),
                config,
                ..drover::structs::Task::default()
            }],
            ..TaskGroup::default()
        }],
        ..Job::default()
    }));
    let out = addresses(&a).unwrap_or_default();
    assert!(
        out.ends_with("db     yes      127.0.1.3:22655 -> 6379"),
        "{out}"
    );
}

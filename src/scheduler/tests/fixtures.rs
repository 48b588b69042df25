//! Nodes and jobs for scheduler tests.

use std::collections::BTreeMap;

use crate::structs::{
    DriverInfo, Job, NODE_ELIGIBLE, NODE_STATUS_READY, NetworkResource, Node, NodeCpu, NodeDisk,
    NodeMemory, NodeResources, Port, Resources, Task, TaskGroup,
};

/// A ready node with docker, `cpu` MHz and `memory` MB.
pub fn node(i: usize, dc: &str, cpu: i64, memory: i64) -> Node {
    let mut attributes = BTreeMap::new();
    attributes.insert("kernel.name".to_string(), "linux".to_string());
    attributes.insert("unique.hostname".to_string(), format!("host-{i}"));
    let mut drivers = BTreeMap::new();
    drivers.insert(
        "docker".to_string(),
        DriverInfo {
            detected: true,
            healthy: true,
            ..DriverInfo::default()
        },
    );
    Node {
        id: format!("00000000-0000-4000-8000-{i:012}"),
        name: format!("host-{i}"),
        datacenter: dc.into(),
        status: NODE_STATUS_READY.into(),
        scheduling_eligibility: NODE_ELIGIBLE.into(),
        http_addr: format!("10.0.{}.{}:4646", i / 250, i % 250 + 1),
        attributes,
        drivers,
        node_resources: Some(NodeResources {
            cpu: NodeCpu {
                cpu_shares: cpu,
                ..NodeCpu::default()
            },
            memory: NodeMemory { memory_mb: memory },
            disk: NodeDisk { disk_mb: 100_000 },
            networks: vec![NetworkResource {
                ip: format!("10.0.{}.{}", i / 250, i % 250 + 1),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            min_dynamic_port: 20000,
            max_dynamic_port: 32000,
        }),
        ..Node::default()
    }
}

/// The seed's job: group `cache` of `count` redis tasks (500 MHz, 256 MB,
/// a dynamic port `db`) in `dcs`.
pub fn example(dcs: &[&str], count: i64) -> Job {
    Job {
        id: "example".into(),
        name: "example".into(),
        datacenters: dcs.iter().map(|d| d.to_string()).collect(),
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            count,
            tasks: vec![Task {
                name: "redis".into(),
                driver: "docker".into(),
                config: serde_json::json!({"image": "redis:3.2", "port_map": [{"db": 6379}]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                resources: Some(Resources {
                    cpu: 500,
                    memory_mb: 256,
                    networks: vec![NetworkResource {
                        mbits: 10,
                        dynamic_ports: vec![Port {
                            label: "db".into(),
                            ..Port::default()
                        }],
                        ..NetworkResource::default()
                    }],
                    ..Resources::default()
                }),
                ..Task::default()
            }],
            ..TaskGroup::default()
        }],
        ..Job::default()
    }
}

/// The seed's cluster: 11 nodes of 768 MB over two datacenters.
pub fn seed_cluster(h: &mut crate::scheduler::harness::Harness) {
    for i in 0..11 {
        let dc = if i % 2 == 0 {
            "eu-west-1a"
        } else {
            "eu-west-1b"
        };
        h.add_node(node(i, dc, 4000, 768));
    }
}

/// A one-group job `id` of `count` allocations, each `cpu` MHz and
/// `memory` MB, holding the static host port `port` if one is given.
pub fn sized(id: &str, count: i64, cpu: i64, memory: i64, port: Option<i64>) -> Job {
    let mut job = example(&["dc1"], count);
    job.id = id.into();
    job.name = id.into();
    for task in &mut job.task_groups[0].tasks {
        if let Some(r) = task.resources.as_mut() {
            r.cpu = cpu;
            r.memory_mb = memory;
            if let Some(value) = port {
                r.networks[0].reserved_ports = vec![Port {
                    label: "http".into(),
                    value,
                    ..Port::default()
                }];
            }
        }
    }
    job
}

//! The ports of one task, read from its allocation the way the scheduler
//! wrote them.
//!
//! Two generations of job files coexist:
//!
//! * Nomad 0.5/0.6 task networks (`resources { network { port "db" {} } }`):
//!   the scheduler stores one offered network per ask under
//!   `AllocatedResources.Tasks[task].Networks` (older allocations carry
//!   them in `TaskResources[task].Networks`). Every port is published by
//!   the task's driver, inside the task at the docker `port_map` value or
//!   at the host port.
//! * Group networks (`network { port "http" { to = 8080 } }`): the ports
//!   are shared by the allocation's tasks and stored in
//!   `AllocatedResources.Shared.Ports`. A task publishes only the labels
//!   its driver config lists in `ports = [...]`, but every task's
//!   environment describes all of them.
//!
//! Nothing here does I/O; a value that is not a usable port number is
//! skipped rather than wrapped, so a corrupt allocation never publishes an
//! unrelated port.

use std::collections::BTreeSet;

use serde_json::Value;

use super::driver::PortBinding;
use crate::structs::{AllocatedPortMapping, Allocation, DriverConfig, NetworkResource, Task};

/// What a task publishes and what its environment says about ports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskPorts {
    /// Ports the driver publishes for this task.
    pub bindings: Vec<PortBinding>,
    /// Every port the task's environment describes, in the order the
    /// variables are written (a later entry wins on a shared name): the
    /// task's own legacy ports, its siblings' legacy ports, group ports.
    pub env: Vec<EnvPort>,
    /// Labels the driver config's `ports` names that the allocation does
    /// not hold, so the driver can refuse the task as Nomad does ("Port
    /// \"x\" not found, check network block") instead of silently not
    /// publishing it.
    pub unknown: Vec<String>,
}

/// One port as the task environment describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvPort {
    pub label: String,
    pub host_ip: String,
    pub host_port: u16,
    /// The port inside the task: `to` if > 0 (group ports), the `port_map`
    /// value (legacy ports), else the host port. For a sibling's port this
    /// is the host port, as Nomad only ever tells siblings host values.
    pub container_port: u16,
    /// `Some(task)` for a legacy port of another task of the allocation
    /// (`NOMAD_ADDR_<task>_<label>`).
    pub task: Option<String>,
    /// A group network port, which also gets the `NOMAD_HOST_*` and
    /// `NOMAD_ALLOC_PORT_*` variables legacy ports never had.
    pub group: bool,
}

/// The ports of `task` in `alloc`.
pub fn task_ports(alloc: &Allocation, task: &Task) -> TaskPorts {
    let mut out = TaskPorts::default();
    let port_map = PortMap::from_config(&task.config);
    let own = own_ports(alloc, &task.name, &port_map);
    for p in &own {
        out.bindings.push(binding(p));
    }
    out.env.extend(own.iter().cloned());
    out.env.extend(sibling_ports(alloc, &task.name));

    let group = group_ports(alloc);
    let published = config_ports(&task.config);
    let mut bound: BTreeSet<&str> = BTreeSet::new();
    for m in &group {
        let Some(p) = group_port(m) else { continue };
        if published.contains(&m.label) && bound.insert(m.label.as_str()) {
            out.bindings.push(binding(&p));
        }
        out.env.push(p);
    }
    out.unknown = unknown_labels(&published, &group, task_networks(alloc, &task.name));
    out
}

/// A usable host or container port: 1..=65535.
fn valid_port(v: i64) -> Option<u16> {
    u16::try_from(v).ok().filter(|p| *p > 0)
}

fn binding(p: &EnvPort) -> PortBinding {
    PortBinding {
        label: p.label.clone(),
        host_ip: p.host_ip.clone(),
        host_port: p.host_port,
        container_port: p.container_port,
    }
}

/// The legacy networks of one task: the scheduler's `AllocatedResources`
/// first, then the older `TaskResources` some allocations still carry.
fn task_networks<'a>(alloc: &'a Allocation, task: &str) -> &'a [NetworkResource] {
    let allocated = alloc
        .allocated_resources
        .as_ref()
        .and_then(|r| r.tasks.get(task))
        .map(|t| t.networks.as_slice())
        .filter(|n| !n.is_empty());
    allocated
        .or_else(|| {
            alloc
                .task_resources
                .get(task)
                .map(|r| r.networks.as_slice())
        })
        .unwrap_or(&[])
}

/// Every task of the allocation that may hold legacy networks.
fn task_names(alloc: &Allocation) -> BTreeSet<&str> {
    let allocated = alloc
        .allocated_resources
        .iter()
        .flat_map(|r| r.tasks.keys())
        .map(String::as_str);
    let legacy = alloc.task_resources.keys().map(String::as_str);
    allocated.chain(legacy).collect()
}

/// The task's own legacy ports, mapped through the docker `port_map`.
fn own_ports(alloc: &Allocation, task: &str, port_map: &PortMap) -> Vec<EnvPort> {
    let mut out = Vec::new();
    for net in task_networks(alloc, task) {
        for p in net.ports() {
            let Some(host_port) = valid_port(p.value) else {
                continue;
            };
            let container_port = match port_map.lookup(&p.label) {
                Mapping::Absent => host_port,
                Mapping::To(c) => c,
                Mapping::Invalid => continue,
            };
            out.push(EnvPort {
                label: p.label.clone(),
                host_ip: net.ip.clone(),
                host_port,
                container_port,
                task: None,
                group: false,
            });
        }
    }
    out
}

/// The legacy ports of the allocation's other tasks (host values only).
fn sibling_ports(alloc: &Allocation, task: &str) -> Vec<EnvPort> {
    let mut out = Vec::new();
    for name in task_names(alloc).into_iter().filter(|n| *n != task) {
        for net in task_networks(alloc, name) {
            for p in net.ports() {
                let Some(host_port) = valid_port(p.value) else {
                    continue;
                };
                out.push(EnvPort {
                    label: p.label.clone(),
                    host_ip: net.ip.clone(),
                    host_port,
                    container_port: host_port,
                    task: Some(name.to_string()),
                    group: false,
                });
            }
        }
    }
    out
}

/// The group ports: `Shared.Ports` as the scheduler writes them; when an
/// allocation has only the older `Shared.Networks`, the same mappings are
/// derived from those networks.
fn group_ports(alloc: &Allocation) -> Vec<AllocatedPortMapping> {
    let Some(r) = &alloc.allocated_resources else {
        return Vec::new();
    };
    if !r.shared.ports.is_empty() {
        return r.shared.ports.clone();
    }
    r.shared
        .networks
        .iter()
        .flat_map(|n| {
            n.ports().map(|p| AllocatedPortMapping {
                label: p.label.clone(),
                value: p.value,
                to: p.to,
                host_ip: n.ip.clone(),
            })
        })
        .collect()
}

/// A group port for the environment: inside the task at `to` when it is
/// positive (`to = -1` and `0` both mean "the host port").
fn group_port(m: &AllocatedPortMapping) -> Option<EnvPort> {
    let host_port = valid_port(m.value)?;
    let container_port = if m.to > 0 {
        valid_port(m.to)?
    } else {
        host_port
    };
    Some(EnvPort {
        label: m.label.clone(),
        host_ip: m.host_ip.clone(),
        host_port,
        container_port,
        task: None,
        group: true,
    })
}

/// Labels of `ports = [...]` found neither among the group ports nor the
/// task's own legacy ports (a port held with an unusable value is known:
/// it is skipped, not missing).
fn unknown_labels(
    published: &[String],
    group: &[AllocatedPortMapping],
    own: &[NetworkResource],
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    published
        .iter()
        .filter(|l| !group.iter().any(|m| &m.label == *l))
        .filter(|l| !own.iter().flat_map(|n| n.ports()).any(|p| &p.label == *l))
        .filter(|l| seen.insert(l.as_str()))
        .cloned()
        .collect()
}

/// The labels a driver config publishes: `ports = ["http", "db"]` (a lone
/// string is read as a one-label list; other values are ignored).
pub fn config_ports(config: &DriverConfig) -> Vec<String> {
    match config.get("ports") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// What the `port_map` says about one label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mapping {
    /// No entry (or `0`, which Nomad reads as "no mapping").
    Absent,
    To(u16),
    /// An entry that is no port number: the port is not published, rather
    /// than published somewhere the job did not ask for.
    Invalid,
}

/// The docker `port_map`. The HCL decoder stores a nested block as a list
/// of objects (`[{"db": 6379}]`), the JSON API may send either that or a
/// plain object; both are read, later objects winning.
#[derive(Debug, Default)]
struct PortMap {
    entries: Vec<(String, Mapping)>,
}

impl PortMap {
    fn from_config(config: &DriverConfig) -> Self {
        let mut map = PortMap::default();
        match config.get("port_map") {
            Some(Value::Object(o)) => map.add(o),
            Some(Value::Array(items)) => {
                for o in items.iter().filter_map(Value::as_object) {
                    map.add(o);
                }
            }
            _ => {}
        }
        map
    }

    fn add(&mut self, o: &serde_json::Map<String, Value>) {
        for (label, v) in o {
            self.entries.retain(|(l, _)| l != label);
            self.entries.push((label.clone(), mapping(v)));
        }
    }

    fn lookup(&self, label: &str) -> Mapping {
        self.entries
            .iter()
            .find(|(l, _)| l == label)
            .map_or(Mapping::Absent, |(_, m)| *m)
    }
}

/// One `port_map` value: an integer or an integer written as a string.
fn mapping(v: &Value) -> Mapping {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(0) => Mapping::Absent,
        Some(n) => valid_port(n).map_or(Mapping::Invalid, Mapping::To),
        None => Mapping::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::structs::{AllocatedResources, AllocatedTaskResources, Port, Resources};

    fn port(label: &str, value: i64) -> Port {
        Port {
            label: label.into(),
            value,
            ..Port::default()
        }
    }

    fn net(ip: &str, reserved: Vec<Port>, dynamic: Vec<Port>) -> NetworkResource {
        NetworkResource {
            ip: ip.into(),
            mbits: 10,
            reserved_ports: reserved,
            dynamic_ports: dynamic,
            ..NetworkResource::default()
        }
    }

    fn mapping_of(label: &str, value: i64, to: i64, ip: &str) -> AllocatedPortMapping {
        AllocatedPortMapping {
            label: label.into(),
            value,
            to,
            host_ip: ip.into(),
        }
    }

    fn alloc_with(r: AllocatedResources) -> Allocation {
        Allocation {
            id: "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c".into(),
            allocated_resources: Some(Arc::new(r)),
            ..Allocation::default()
        }
    }

    fn task(name: &str, config: serde_json::Value) -> Task {
        Task {
            name: name.into(),
            driver: "docker".into(),
            config: config.as_object().cloned().unwrap_or_default(),
            ..Task::default()
        }
    }

    fn legacy_alloc(tasks: Vec<(&str, Vec<NetworkResource>)>) -> Allocation {
        let mut r = AllocatedResources::default();
        for (name, networks) in tasks {
            r.tasks.insert(
                name.to_string(),
                AllocatedTaskResources {
                    networks,
                    ..AllocatedTaskResources::default()
                },
            );
        }
        alloc_with(r)
    }

    #[test]
    fn legacy_port_goes_through_the_hcl_port_map() {
        // The redis job of Nomad 0.6's `nomad init`: `port "db" {}` with
        // `port_map { db = 6379 }`, seen by docker as
        // `10.0.2.147:22655->6379`.
        let alloc = legacy_alloc(vec![(
            "redis",
            vec![net("10.0.2.147", vec![], vec![port("db", 22655)])],
        )]);
        let t = task(
            "redis",
            json!({"image": "redis:3.2", "port_map": [{"db": 6379}]}),
        );
        let ports = task_ports(&alloc, &t);
        assert_eq!(
            ports.bindings,
            vec![PortBinding {
                label: "db".into(),
                host_ip: "10.0.2.147".into(),
                host_port: 22655,
                container_port: 6379,
            }]
        );
        assert_eq!(ports.env.len(), 1);
        assert_eq!(ports.env[0].container_port, 6379);
        assert!(!ports.env[0].group);
        assert_eq!(ports.env[0].task, None);
        assert!(ports.unknown.is_empty());
    }

    #[test]
    fn port_map_as_a_plain_object_and_as_strings() {
        let alloc = legacy_alloc(vec![(
            "web",
            vec![net(
                "10.0.0.1",
                vec![port("admin", 9000)],
                vec![port("http", 23000)],
            )],
        )]);
        let t = task("web", json!({"port_map": {"http": "8080", "admin": 0}}));
        let ports = task_ports(&alloc, &t);
        let got: Vec<(u16, u16)> = ports
            .bindings
            .iter()
            .map(|b| (b.host_port, b.container_port))
            .collect();
        // Static ports first, `0` means no mapping.
        assert_eq!(got, vec![(9000, 9000), (23000, 8080)]);
    }

    #[test]
    fn later_port_map_objects_win() {
        let alloc = legacy_alloc(vec![(
            "t",
            vec![net("ip", vec![], vec![port("db", 20000)])],
        )]);
        let t = task("t", json!({"port_map": [{"db": 1}, {"db": 2}]}));
        assert_eq!(task_ports(&alloc, &t).bindings[0].container_port, 2);
    }

    #[test]
    fn legacy_ports_without_port_map_map_one_to_one() {
        let alloc = legacy_alloc(vec![(
            "t",
            vec![net("10.0.0.2", vec![], vec![port("db", 21000)])],
        )]);
        let ports = task_ports(&alloc, &task("t", json!({})));
        assert_eq!(ports.bindings[0].container_port, 21000);
        assert_eq!(ports.bindings[0].host_ip, "10.0.0.2");
    }

    #[test]
    fn legacy_ports_are_read_from_task_resources_too() {
        let mut alloc = Allocation::default();
        alloc.task_resources.insert(
            "t".into(),
            Resources {
                networks: vec![net("10.0.0.3", vec![port("db", 6379)], vec![])],
                ..Resources::default()
            },
        );
        let ports = task_ports(&alloc, &task("t", json!({})));
        assert_eq!(ports.bindings.len(), 1);
        assert_eq!(ports.bindings[0].host_port, 6379);
    }

    #[test]
    fn siblings_legacy_ports_are_described_not_published() {
        let alloc = legacy_alloc(vec![
            (
                "web",
                vec![net("10.0.0.1", vec![], vec![port("http", 25000)])],
            ),
            ("db", vec![net("10.0.0.1", vec![], vec![port("pg", 26000)])]),
        ]);
        let t = task("web", json!({"port_map": [{"pg": 5432}]}));
        let ports = task_ports(&alloc, &t);
        assert_eq!(ports.bindings.len(), 1);
        assert_eq!(ports.bindings[0].label, "http");
        let sib: Vec<&EnvPort> = ports.env.iter().filter(|p| p.task.is_some()).collect();
        assert_eq!(sib.len(), 1);
        assert_eq!(sib[0].task.as_deref(), Some("db"));
        // Siblings see host values; this task's port_map is not theirs.
        assert_eq!(sib[0].container_port, 26000);
    }

    #[test]
    fn group_ports_publish_only_listed_labels() {
        let alloc = alloc_with(AllocatedResources {
            shared: crate::structs::AllocatedSharedResources {
                ports: vec![
                    mapping_of("http", 24000, 8080, "10.0.0.9"),
                    mapping_of("metrics", 24001, -1, "10.0.0.9"),
                    mapping_of("raw", 24002, 0, "10.0.0.9"),
                ],
                ..Default::default()
            },
            ..AllocatedResources::default()
        });
        let t = task("web", json!({"ports": ["http", "raw", "http"]}));
        let ports = task_ports(&alloc, &t);
        let got: Vec<(&str, u16, u16)> = ports
            .bindings
            .iter()
            .map(|b| (b.label.as_str(), b.host_port, b.container_port))
            .collect();
        assert_eq!(got, vec![("http", 24000, 8080), ("raw", 24002, 24002)]);
        assert_eq!(ports.env.len(), 3);
        assert!(ports.env.iter().all(|p| p.group && p.task.is_none()));
        let metrics = ports.env.iter().find(|p| p.label == "metrics");
        assert_eq!(metrics.map(|p| p.container_port), Some(24001));
        assert!(ports.unknown.is_empty());
    }

    #[test]
    fn group_ports_fall_back_to_shared_networks() {
        let mut http = port("http", 24500);
        http.to = 80;
        let alloc = alloc_with(AllocatedResources {
            shared: crate::structs::AllocatedSharedResources {
                networks: vec![net("10.1.1.1", vec![], vec![http])],
                ..Default::default()
            },
            ..AllocatedResources::default()
        });
        let ports = task_ports(&alloc, &task("t", json!({"ports": ["http"]})));
        assert_eq!(
            ports.bindings,
            vec![PortBinding {
                label: "http".into(),
                host_ip: "10.1.1.1".into(),
                host_port: 24500,
                container_port: 80,
            }]
        );
    }

    #[test]
    fn unknown_labels_are_reported_once() {
        let alloc = alloc_with(AllocatedResources {
            shared: crate::structs::AllocatedSharedResources {
                ports: vec![mapping_of("http", 24000, 0, "ip")],
                ..Default::default()
            },
            ..AllocatedResources::default()
        });
        let t = task("t", json!({"ports": ["http", "nope", "nope", 7]}));
        let ports = task_ports(&alloc, &t);
        assert_eq!(ports.unknown, vec!["nope".to_string()]);
        assert_eq!(ports.bindings.len(), 1);
    }

    #[test]
    fn out_of_range_values_are_skipped() {
        let mut alloc = legacy_alloc(vec![(
            "t",
            vec![net(
                "ip",
                vec![port("neg", -1), port("big", 70000), port("zero", 0)],
                vec![port("bad_map", 20000), port("ok", 20001)],
            )],
        )]);
        let shared = crate::structs::AllocatedSharedResources {
            ports: vec![
                mapping_of("g_big", 1 << 40, 0, "ip"),
                mapping_of("g_to", 20002, 65536, "ip"),
                mapping_of("g_ok", 65535, 1, "ip"),
            ],
            ..Default::default()
        };
        if let Some(r) = alloc.allocated_resources.as_mut() {
            Arc::make_mut(r).shared = shared;
        }
        let t = task(
            "t",
            json!({"port_map": [{"bad_map": 99999}], "ports": ["g_big", "g_to", "g_ok"]}),
        );
        let ports = task_ports(&alloc, &t);
        let labels: Vec<&str> = ports.env.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, vec!["ok", "g_ok"]);
        let bound: Vec<&str> = ports.bindings.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(bound, vec!["ok", "g_ok"]);
    }

    #[test]
    fn odd_configs_are_ignored() {
        for config in [
            json!({"port_map": "db=6379", "ports": {"a": 1}}),
            json!({"port_map": [1, "x", null], "ports": null}),
            json!({"port_map": [{"db": "sixty"}], "ports": "db"}),
            json!({"port_map": [{"db": 6.5}]}),
        ] {
            let alloc = legacy_alloc(vec![(
                "t",
                vec![net("ip", vec![], vec![port("db", 20000)])],
            )]);
            let ports = task_ports(&alloc, &task("t", config.clone()));
            assert!(ports.bindings.len() <= 1, "{config}");
            assert!(ports.unknown.is_empty(), "{config}");
        }
        // A lone string names one label.
        let config = json!({"ports": "http"});
        let config = config.as_object().expect("object");
        assert_eq!(config_ports(config), vec!["http".to_string()]);
    }

    /// The first task of the first group of a parsed job file.
    fn parsed_task(src: &str) -> (crate::structs::TaskGroup, Task) {
        let job = crate::jobspec::parse("job.nomad", src).expect("parses");
        let group = job.task_groups[0].clone();
        let task = group.tasks[0].clone();
        (group, task)
    }

    #[test]
    fn a_nomad_0_6_job_file_publishes_through_its_port_map() {
        let (_, t) = parsed_task(
            r#"job "example" {
  datacenters = ["dc1"]
  group "cache" {
    task "redis" {
      driver = "docker"
      config {
        image = "redis:3.2"
        port_map {
          db = 6379
        }
      }
      resources {
        cpu    = 500
        memory = 256
        network {
          mbits = 10
          port "db" {}
        }
      }
    }
  }
}
"#,
        );
        // What the scheduler offers for the task's ask.
        let mut offered = t.resources.clone().unwrap_or_default().networks;
        assert_eq!(offered.len(), 1);
        offered[0].ip = "10.0.2.147".into();
        offered[0].dynamic_ports[0].value = 22655;
        let alloc = legacy_alloc(vec![("redis", offered)]);
        let ports = task_ports(&alloc, &t);
        assert_eq!(
            ports.bindings,
            vec![PortBinding {
                label: "db".into(),
                host_ip: "10.0.2.147".into(),
                host_port: 22655,
                container_port: 6379,
            }]
        );
    }

    #[test]
    fn a_group_network_job_file_publishes_its_listed_ports() {
        let (group, t) = parsed_task(
            r#"job "web" {
  datacenters = ["dc1"]
  group "web" {
    network {
      port "http" {
        to = 8080
      }
      port "debug" {}
    }
    task "app" {
      driver = "docker"
      config {
        image = "nginx"
        ports = ["http"]
      }
    }
  }
}
"#,
        );
        // Shared ports as the scheduler writes them.
        let mut shared = crate::structs::AllocatedSharedResources::default();
        for (i, p) in group.networks.iter().flat_map(|n| n.ports()).enumerate() {
            let value = 25000 + i as i64;
            shared.ports.push(mapping_of(
                &p.label,
                value,
                if p.to == 0 { value } else { p.to },
                "10.0.0.5",
            ));
        }
        let alloc = alloc_with(AllocatedResources {
            shared,
            ..AllocatedResources::default()
        });
        let ports = task_ports(&alloc, &t);
        let bound: Vec<(&str, u16, u16)> = ports
            .bindings
            .iter()
            .map(|b| (b.label.as_str(), b.host_port, b.container_port))
            .collect();
        assert_eq!(bound, vec![("http", 25000, 8080)]);
        let described: Vec<&str> = ports.env.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(described, vec!["http", "debug"]);
    }

    #[test]
    fn an_allocation_without_resources_has_no_ports() {
        let ports = task_ports(&Allocation::default(), &task("t", json!({"ports": ["x"]})));
        assert!(ports.bindings.is_empty());
        assert!(ports.env.is_empty());
        assert_eq!(ports.unknown, vec!["x".to_string()]);
    }
}

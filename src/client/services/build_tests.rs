use std::sync::Arc;

use super::*;
use crate::structs::{
    AllocatedPortMapping, AllocatedResources, AllocatedTaskResources, NetworkResource, Port,
};

const ALLOC: &str = "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c";

/// The seed's job with a group service on the group's port too.
const JOB: &str = r#"
job "example" {
  datacenters = ["eu-west-1a"]
  group "cache" {
    network {
      port "admin" {}
    }
    service {
      port = "admin"
      tags = ["g"]
      check {
        name     = "on-admin"
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
      check {
        name     = "own-port"
        type     = "tcp"
        port     = "admin"
        interval = "10s"
        timeout  = "2s"
      }
    }
    task "redis" {
      driver = "docker"
      config {
        image = "redis:3.2"
        port_map {
          db = 6379
        }
      }
      resources {
        network {
          mbits = 10
          port "db" {}
        }
      }
      service {
        name = "global-redis-check"
        tags = ["global", "cache"]
        port = "db"
        check {
          name     = "alive"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }
      service {
        name = "${JOB}-${TASK}-raw"
        port = "8080"
        provider = "nomad"
      }
    }
  }
}
"#;

fn alloc() -> Allocation {
    let job = crate::jobspec::parse_and_validate("t.nomad", JOB).expect("job");
    let mut r = AllocatedResources::default();
    r.tasks.insert(
        "redis".into(),
        AllocatedTaskResources {
            networks: vec![NetworkResource {
                ip: "127.0.1.3".into(),
                mbits: 10,
                dynamic_ports: vec![Port {
                    label: "db".into(),
                    value: 22655,
                    ..Port::default()
                }],
                ..NetworkResource::default()
            }],
            ..AllocatedTaskResources::default()
        },
    );
    r.shared.ports = vec![AllocatedPortMapping {
        label: "admin".into(),
        value: 24001,
        to: 0,
        host_ip: "127.0.1.3".into(),
    }];
    Allocation {
        id: ALLOC.into(),
        namespace: "default".into(),
        node_id: "node-1".into(),
        job_id: "example".into(),
        task_group: "cache".into(),
        job: Some(Arc::new(job)),
        allocated_resources: Some(Arc::new(r)),
        ..Allocation::default()
    }
}

#[test]
fn the_seed_service_is_at_the_published_host_port() {
    let regs = registrations(&alloc(), Some("redis"), "eu-west-1a", &none()).expect("build");
    assert_eq!(regs.len(), 2);
    let r = &regs[0];
    assert_eq!(r.service_name, "global-redis-check");
    assert_eq!(
        r.id,
        format!("_nomad-task-{ALLOC}-redis-global-redis-check-db")
    );
    assert_eq!((r.address.as_str(), r.port), ("127.0.1.3", 22655));
    assert_eq!(r.tags, ["global", "cache"]);
    assert_eq!(r.provider, "consul");
    assert_eq!(r.datacenter, "eu-west-1a");
    assert_eq!(
        (r.node_id.as_str(), r.job_id.as_str()),
        ("node-1", "example")
    );
    assert_eq!(r.checks.len(), 1);
    assert_eq!(r.checks[0].name, "alive");
    assert_eq!(r.checks[0].status, CHECK_CRITICAL);
    assert!(!r.passing());

    let raw = &regs[1];
    assert_eq!(raw.service_name, "example-redis-raw");
    assert_eq!((raw.address.as_str(), raw.port), ("127.0.1.3", 8080));
    assert_eq!(raw.provider, "nomad");
    assert!(raw.passing(), "no checks: passing");
}

#[test]
fn a_group_service_takes_the_default_name_and_the_group_port() {
    let regs = registrations(&alloc(), None, "eu-west-1a", &none()).expect("build");
    assert_eq!(regs.len(), 1);
    let r = &regs[0];
    assert_eq!(r.service_name, "example-cache");
    assert_eq!(
        r.id,
        format!("_nomad-task-{ALLOC}-group-cache-example-cache-admin")
    );
    assert_eq!((r.address.as_str(), r.port), ("127.0.1.3", 24001));
    assert_eq!(r.task_name, "");
}

#[test]
fn names_interpolate_and_default() {
    let s = Service {
        name: "${BASE}-x-${TASKGROUP}".into(),
        ..Service::default()
    };
    assert_eq!(service_name(&s, "j", "g", Some("t")), "j-g-t-x-g");
    assert_eq!(
        service_name(&Service::default(), "j", "g", Some("t")),
        "j-g-t"
    );
}

#[test]
fn an_unknown_port_label_is_an_error() {
    let mut a = alloc();
    let mut job = (**a.job.as_ref().expect("job")).clone();
    job.task_groups[0].tasks[0].services[0].port_label = "nope".into();
    a.job = Some(Arc::new(job));
    assert_eq!(
        registrations(&a, Some("redis"), "dc1", &none()),
        Err(BuildError::UnknownPort {
            service: "global-redis-check".into(),
            label: "nope".into()
        })
    );
}

#[test]
fn a_check_with_its_own_port_label_gets_the_host_port() {
    let regs = with_checks(&alloc(), None, "eu-west-1a", &none()).expect("build");
    let (r, defs) = &regs[0];
    assert_eq!(r.checks.len(), 2);
    assert_eq!(defs.len(), 2);
    let admin = Some(("127.0.1.3".to_string(), 24001));
    assert_eq!(defs[0].target, admin, "the service's port");
    assert_eq!(defs[1].target, admin, "the label's host port");
}

fn none() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// The allocation with the redis task's first service in `mode`.
fn in_mode(mode: &str, check_mode: &str) -> Allocation {
    let mut a = alloc();
    let mut job = (**a.job.as_ref().expect("job")).clone();
    let s = &mut job.task_groups[0].tasks[0].services[0];
    s.address_mode = mode.into();
    s.checks[0].address_mode = check_mode.into();
    a.job = Some(Arc::new(job));
    a
}

#[test]
fn driver_mode_uses_the_tasks_own_address_and_inside_port() {
    let ips = BTreeMap::from([("redis".to_string(), "172.17.0.5".to_string())]);
    let regs = with_checks(&in_mode("driver", ""), Some("redis"), "dc1", &ips).expect("build");
    let (r, defs) = &regs[0];
    assert_eq!((r.address.as_str(), r.port), ("172.17.0.5", 6379));
    // The check stays on the host unless it asks otherwise.
    assert_eq!(defs[0].target, Some(("127.0.1.3".to_string(), 22655)));

    let regs = with_checks(&in_mode("host", "driver"), Some("redis"), "dc1", &ips).expect("build");
    let (r, defs) = &regs[0];
    assert_eq!((r.address.as_str(), r.port), ("127.0.1.3", 22655));
    assert_eq!(defs[0].target, Some(("172.17.0.5".to_string(), 6379)));

    // Without an address from the driver, the service cannot be built.
    assert_eq!(
        registrations(&in_mode("driver", ""), Some("redis"), "dc1", &none()),
        Err(BuildError::NoDriverAddress {
            service: "global-redis-check".into(),
            task: "redis".into()
        })
    );
}

#[test]
fn alloc_and_unknown_modes_are_errors_and_a_custom_address_wins() {
    assert!(matches!(
        registrations(&in_mode("alloc", ""), Some("redis"), "dc1", &none()),
        Err(BuildError::NoAllocAddress { .. })
    ));
    assert!(matches!(
        registrations(&in_mode("nearby", ""), Some("redis"), "dc1", &none()),
        Err(BuildError::BadAddressMode { .. })
    ));
    let mut a = in_mode("auto", "");
    let mut job = (**a.job.as_ref().expect("job")).clone();
    job.task_groups[0].tasks[0].services[0].address = "redis.example.com".into();
    a.job = Some(Arc::new(job));
    let regs = registrations(&a, Some("redis"), "dc1", &none()).expect("build");
    assert_eq!(
        (regs[0].address.as_str(), regs[0].port),
        ("redis.example.com", 22655)
    );
}

#[test]
fn a_canary_advertises_its_canary_tags() {
    let mut a = alloc();
    let mut job = (**a.job.as_ref().expect("job")).clone();
    job.task_groups[0].tasks[0].services[0].canary_tags = vec!["canary".into()];
    a.job = Some(Arc::new(job));
    let regs = registrations(&a, Some("redis"), "dc1", &none()).expect("build");
    assert_eq!(
        regs[0].tags,
        vec!["global".to_string(), "cache".to_string()]
    );
    a.deployment_status = Some(Box::new(crate::structs::AllocDeploymentStatus {
        canary: true,
        ..Default::default()
    }));
    let regs = registrations(&a, Some("redis"), "dc1", &none()).expect("build");
    assert_eq!(regs[0].tags, vec!["canary".to_string()]);
    // A service without canary tags keeps its tags.
    assert_eq!(regs[1].tags, Vec::<String>::new());
}

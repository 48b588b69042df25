//! Test fixtures: the example job `nomad init` writes, and edits of it.

use serde_json::json;

use crate::structs::{
    EphemeralDisk, Job, NetworkResource, Port, Resources, RestartPolicy, SECOND, Service,
    ServiceCheck, Task, TaskGroup,
};

/// The example job `nomad init` writes: group `cache`, task `redis`.
pub fn example() -> Job {
    let redis = Task {
        name: "redis".into(),
        driver: "docker".into(),
        config: json!({"image": "redis:3.2", "port_map": [{"db": 6379}]})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        services: vec![Service {
            name: "global-redis-check".into(),
            tags: vec!["global".into(), "cache".into()],
            port_label: "db".into(),
            checks: vec![ServiceCheck {
                name: "alive".into(),
                kind: "tcp".into(),
                interval: 10 * SECOND,
                timeout: 2 * SECOND,
                ..ServiceCheck::default()
            }],
            ..Service::default()
        }],
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
        kill_timeout: 5 * SECOND,
        ..Task::default()
    };
    Job {
        id: "example".into(),
        name: "example".into(),
        region: "global".into(),
        namespace: "default".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc1".into()],
        task_groups: vec![TaskGroup {
            name: "cache".into(),
            count: 1,
            restart_policy: Some(RestartPolicy::default_for("service")),
            ephemeral_disk: Some(EphemeralDisk::default()),
            tasks: vec![redis],
            ..TaskGroup::default()
        }],
        ..Job::default()
    }
}

/// The example with its one task changed by `edit`.
pub fn with_task(edit: impl FnOnce(&mut Task)) -> Job {
    let mut job = example();
    if let Some(task) = job.task_groups.get_mut(0).and_then(|g| g.tasks.get_mut(0)) {
        edit(task);
    }
    job
}

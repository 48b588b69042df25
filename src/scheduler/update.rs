//! When a job update forces an allocation to be replaced rather than
//! updated in place.
//!
//! Destructive: a different set of tasks, or for any task a change of
//! driver, user, driver config, env, task meta, resources (CPU, cores,
//! memory, memory max, disk, networks with their ports and bandwidth),
//! artifacts, templates, vault, lifecycle, dispatch payload, or enabling /
//! disabling logging; for the group, a change of networks, ephemeral disk
//! or volumes.
//!
//! In place: everything else, notably count, restart / reschedule / update
//! policies, services, constraints, affinities, spreads, kill timeout and
//! signal, log rotation sizes, shutdown delay, group meta, and job-level
//! priority, datacenters and meta.

use crate::structs::{Job, NetworkResource, Resources, Task, TaskGroup};

/// True when an allocation of `group` in the `old` job version must be
/// replaced (stopped and a new one placed) to run the `new` version; false
/// when it can be updated in place. A group missing from either version
/// counts as destructive.
pub fn tasks_updated(old: &Job, new: &Job, group: &str) -> bool {
    match (old.task_group(group), new.task_group(group)) {
        (Some(a), Some(b)) => group_updated(a, b),
        _ => true,
    }
}

fn group_updated(a: &TaskGroup, b: &TaskGroup) -> bool {
    if a.tasks.len() != b.tasks.len()
        || a.ephemeral_disk != b.ephemeral_disk
        || a.volumes != b.volumes
        || networks_differ(&a.networks, &b.networks)
    {
        return true;
    }
    a.tasks.iter().any(|at| match b.task(&at.name) {
        Some(bt) => task_updated(at, bt),
        None => true,
    })
}

fn task_updated(a: &Task, b: &Task) -> bool {
    let logging = |t: &Task| t.log_config.as_ref().is_some_and(|l| l.disabled);
    a.driver != b.driver
        || a.user != b.user
        || a.config != b.config
        || a.env != b.env
        || a.meta != b.meta
        || a.artifacts != b.artifacts
        || a.templates != b.templates
        || a.vault != b.vault
        || a.lifecycle != b.lifecycle
        || a.dispatch_payload != b.dispatch_payload
        || logging(a) != logging(b)
        || resources_differ(a.resources.as_ref(), b.resources.as_ref())
}

fn resources_differ(a: Option<&Resources>, b: Option<&Resources>) -> bool {
    let blank = Resources::default();
    let (a, b) = (a.unwrap_or(&blank), b.unwrap_or(&blank));
    a.cpu != b.cpu
        || a.cores != b.cores
        || a.memory_mb != b.memory_mb
        || a.memory_max_mb != b.memory_max_mb
        || a.disk_mb != b.disk_mb
        || networks_differ(&a.networks, &b.networks)
}

/// Networks compared as asked for: the host port the scheduler assigned
/// to a dynamic port, and the address fields filled in on placement, are
/// ignored.
fn networks_differ(a: &[NetworkResource], b: &[NetworkResource]) -> bool {
    let asked = |n: &NetworkResource| {
        let mut n = n.clone();
        n.device.clear();
        n.cidr.clear();
        n.ip.clear();
        n.dynamic_ports.iter_mut().for_each(|p| p.value = 0);
        n
    };
    a.len() != b.len() || a.iter().zip(b).any(|(x, y)| asked(x) != asked(y))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::structs::diff::fixtures::{example, with_task};
    use crate::structs::{Constraint, Port, SECOND};

    fn updated(new: &Job) -> bool {
        tasks_updated(&example(), new, "cache")
    }

    fn with_resources(edit: impl FnOnce(&mut Resources)) -> Job {
        with_task(|t| {
            if let Some(r) = t.resources.as_mut() {
                edit(r);
            }
        })
    }

    #[test]
    fn destructive_changes() {
        assert!(updated(&with_task(|t| {
            t.config.insert("image".into(), json!("redis:4.0"));
        })));
        assert!(updated(&with_task(|t| t.driver = "exec".into())));
        assert!(updated(&with_task(|t| {
            t.env.insert("A".into(), "1".into());
        })));
        assert!(updated(&with_resources(|r| r.cpu = 1000)));
        assert!(updated(&with_resources(|r| r.memory_mb = 512)));
        assert!(updated(&with_resources(|r| r.networks[0].mbits = 20)));
        assert!(updated(&with_resources(|r| {
            r.networks[0].reserved_ports.push(Port {
                label: "http".into(),
                value: 8080,
                ..Port::default()
            })
        })));
        let mut two_tasks = example();
        let mut sidecar = two_tasks.task_groups[0].tasks[0].clone();
        sidecar.name = "sidecar".into();
        two_tasks.task_groups[0].tasks.push(sidecar);
        assert!(updated(&two_tasks));
        assert!(tasks_updated(&example(), &example(), "missing"));
    }

    #[test]
    fn in_place_changes() {
        assert!(!updated(&example()));
        let mut job = example();
        job.task_groups[0].count = 15;
        job.priority = 70;
        job.datacenters.push("dc2".into());
        job.meta.insert("owner".into(), "ops".into());
        job.version = 4;
        assert!(!updated(&job));
        assert!(!updated(&with_task(|t| t.services[0]
            .tags
            .push("x".into()))));
        assert!(!updated(&with_task(|t| t.kill_timeout = 30 * SECOND)));
        assert!(!updated(&with_task(|t| {
            t.constraints.push(Constraint {
                l_target: "${attr.kernel.name}".into(),
                r_target: "linux".into(),
                operand: "=".into(),
            })
        })));
        // The host port a dynamic port was given does not matter.
        assert!(!updated(&with_resources(|r| r.networks[0].dynamic_ports
            [0]
        .value = 23456)));
    }
}

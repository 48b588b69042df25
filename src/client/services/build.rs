//! From `service` blocks to `ServiceRegistration`s: the name (Nomad's
//! default and its `${JOB}`, `${TASKGROUP}`, `${TASK}`, `${BASE}`
//! interpolation), the ID, and the address and port the service is
//! reached at (the host address and port the allocation holds for the
//! port label, or a literal port number). Pure: no I/O.

use crate::client::ports::{EnvPort, task_ports};
use crate::structs::{
    Allocation, CHECK_CRITICAL, CHECK_PASSING, CHECK_WARNING, CheckStatus, Service, ServiceCheck,
    ServiceRegistration, Task,
};

/// Why a service could not be turned into a registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("service {service:?}: port label {label:?} is not one of the allocation's ports")]
    UnknownPort { service: String, label: String },
    #[error("allocation {0} has no job")]
    NoJob(String),
    #[error("allocation {alloc} has no task group {group:?}")]
    NoGroup { alloc: String, group: String },
}

/// The registrations of `task`'s own services (`task = Some`), or of the
/// group's services (`task = None`), for an allocation on a node in
/// `datacenter`.
pub fn registrations(
    alloc: &Allocation,
    task: Option<&str>,
    datacenter: &str,
) -> Result<Vec<ServiceRegistration>, BuildError> {
    Ok(with_checks(alloc, task, datacenter)?
        .into_iter()
        .map(|(r, _)| r)
        .collect())
}

/// As [`registrations`], each with its checks' definitions (in the order
/// of its `Checks`), for the client to run them.
pub fn with_checks(
    alloc: &Allocation,
    task: Option<&str>,
    datacenter: &str,
) -> Result<Vec<(ServiceRegistration, Vec<ServiceCheck>)>, BuildError> {
    let job = alloc
        .job
        .as_ref()
        .ok_or_else(|| BuildError::NoJob(alloc.id.clone()))?;
    let group = job
        .task_group(&alloc.task_group)
        .ok_or_else(|| BuildError::NoGroup {
            alloc: alloc.id.clone(),
            group: alloc.task_group.clone(),
        })?;
    let (services, ports, owner): (&[Service], Vec<EnvPort>, String) = match task {
        Some(name) => {
            let Some(t) = group.tasks.iter().find(|t| t.name == name) else {
                return Ok(Vec::new());
            };
            (&t.services, task_ports(alloc, t).env, name.to_string())
        }
        None => (
            &group.services,
            group
                .tasks
                .iter()
                .flat_map(|t: &Task| task_ports(alloc, t).env)
                .collect(),
            format!("group-{}", group.name),
        ),
    };
    let mut out = Vec::new();
    for s in services {
        let name = service_name(s, &job.id, &group.name, task);
        let (address, port) = address(s, &name, &ports)?;
        let reg = ServiceRegistration {
            id: service_id(&alloc.id, &owner, &name, &s.port_label),
            service_name: name,
            namespace: alloc.namespace.clone(),
            node_id: alloc.node_id.clone(),
            datacenter: datacenter.to_string(),
            job_id: alloc.job_id.clone(),
            alloc_id: alloc.id.clone(),
            tags: s.tags.clone(),
            address,
            port,
            provider: if s.provider.is_empty() {
                "consul".to_string()
            } else {
                s.provider.clone()
            },
            meta: s.meta.clone(),
            task_name: task.unwrap_or_default().to_string(),
            port_label: s.port_label.clone(),
            checks: s
                .checks
                .iter()
                .map(|c| CheckStatus {
                    name: if c.name.is_empty() {
                        format!("service: {name:?} check", name = s.name)
                    } else {
                        c.name.clone()
                    },
                    kind: c.kind.clone(),
                    status: initial_status(&c.initial_status).to_string(),
                    output: String::new(),
                })
                .collect(),
            create_index: 0,
            modify_index: 0,
        };
        let defs = check_defs(s, &reg.service_name, &ports);
        out.push((reg, defs));
    }
    Ok(out)
}

/// A check's status before its first run: `initial_status` when it names
/// one, else critical (as Consul starts checks).
fn initial_status(s: &str) -> &'static str {
    match s {
        CHECK_PASSING => CHECK_PASSING,
        CHECK_WARNING => CHECK_WARNING,
        _ => CHECK_CRITICAL,
    }
}

/// The service's checks, a check's own `port` label replaced by the host
/// port it stands for (a number, which the check runner takes as the
/// port to reach); an unknown label is left as it is (the service's port
/// is then used).
fn check_defs(s: &Service, name: &str, ports: &[EnvPort]) -> Vec<ServiceCheck> {
    s.checks
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if !c.port_label.is_empty() {
                let probe = Service {
                    port_label: c.port_label.clone(),
                    ..Service::default()
                };
                if let Ok((_, port)) = address(&probe, name, ports) {
                    c.port_label = port.to_string();
                }
            }
            c
        })
        .collect()
}

/// `name` with Nomad's variables, or Nomad's default name.
pub fn service_name(s: &Service, job: &str, group: &str, task: Option<&str>) -> String {
    let base = match task {
        Some(t) => format!("{job}-{group}-{t}"),
        None => format!("{job}-{group}"),
    };
    if s.name.is_empty() {
        return base;
    }
    s.name
        .replace("${JOB}", job)
        .replace("${TASKGROUP}", group)
        .replace("${TASK}", task.unwrap_or_default())
        .replace("${BASE}", &base)
}

/// `_nomad-task-<alloc>-<task or group-<group>>-<name>-<port label>`.
pub fn service_id(alloc: &str, owner: &str, name: &str, port_label: &str) -> String {
    format!("_nomad-task-{alloc}-{owner}-{name}-{port_label}")
}

/// The host address and port for the service's `port`: a label of the
/// allocation's ports, or a number (then at the first port's address).
fn address(s: &Service, name: &str, ports: &[EnvPort]) -> Result<(String, i64), BuildError> {
    let any_ip = || ports.first().map(|p| p.host_ip.clone()).unwrap_or_default();
    if s.port_label.is_empty() {
        return Ok((any_ip(), 0));
    }
    if let Some(p) = ports
        .iter()
        .filter(|p| p.task.is_none())
        .find(|p| p.label == s.port_label)
    {
        return Ok((p.host_ip.clone(), i64::from(p.host_port)));
    }
    if let Ok(n) = s.port_label.parse::<u16>() {
        return Ok((any_ip(), i64::from(n)));
    }
    Err(BuildError::UnknownPort {
        service: name.to_string(),
        label: s.port_label.clone(),
    })
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;

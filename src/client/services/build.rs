//! From `service` blocks to `ServiceRegistration`s: the name (Nomad's
//! default and its `${JOB}`, `${TASKGROUP}`, `${TASK}`, `${BASE}`
//! interpolation), the ID, and the address and port the service is
//! reached at (the host address and port the allocation holds for the
//! port label, or a literal port number). Pure: no I/O.

use std::collections::BTreeMap;

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
    #[error(
        "service {service:?}: address_mode \"driver\" needs the address of task {task:?}, which its driver did not give"
    )]
    NoDriverAddress { service: String, task: String },
    #[error(
        "service {service:?}: address_mode \"alloc\" needs a group network with an address of its own (bridge or cni mode), which this client does not provide"
    )]
    NoAllocAddress { service: String },
    #[error("service {service:?}: unknown address_mode {mode:?} (auto, host, driver or alloc)")]
    BadAddressMode { service: String, mode: String },
    #[error("allocation {0} has no job")]
    NoJob(String),
    #[error("allocation {alloc} has no task group {group:?}")]
    NoGroup { alloc: String, group: String },
}

/// The registrations of `task`'s own services (`task = Some`), or of the
/// group's services (`task = None`), for an allocation on a node in
/// `datacenter`; `addresses` are the tasks' own addresses, as their
/// drivers gave them (for `address_mode = "driver"`).
pub fn registrations(
    alloc: &Allocation,
    task: Option<&str>,
    datacenter: &str,
    addresses: &BTreeMap<String, String>,
) -> Result<Vec<ServiceRegistration>, BuildError> {
    Ok(with_checks(alloc, task, datacenter, addresses)?
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
    addresses: &BTreeMap<String, String>,
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
        let at = Resolver {
            service: &name,
            ports: &ports,
            // The task whose address `driver` mode means: the service's
            // own task, or the one a group service names.
            driver_ip: task
                .or(Some(s.task_name.as_str()).filter(|t| !t.is_empty()))
                .map(|t| (t, addresses.get(t).map(String::as_str))),
        };
        let mode = if s.address_mode.is_empty() {
            "auto"
        } else {
            s.address_mode.as_str()
        };
        let (mut address, port) = at.target(mode, &s.port_label)?;
        if !s.address.is_empty() {
            address = s.address.clone();
        }
        let reg = ServiceRegistration {
            id: service_id(&alloc.id, &owner, &name, &s.port_label),
            service_name: name.clone(),
            namespace: alloc.namespace.clone(),
            node_id: alloc.node_id.clone(),
            datacenter: datacenter.to_string(),
            job_id: alloc.job_id.clone(),
            alloc_id: alloc.id.clone(),
            // A canary advertises its service's `canary_tags` when it
            // has any.
            tags: if alloc.is_canary() && !s.canary_tags.is_empty() {
                s.canary_tags.clone()
            } else {
                s.tags.clone()
            },
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
        let defs = check_defs(s, &at);
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

/// The service's checks, each with the address and port it reaches:
/// its own `port` (else the service's) in its own `address_mode` (else
/// `host`). A target that cannot be resolved is left unset (the
/// registration's address and port are then used).
fn check_defs(s: &Service, at: &Resolver<'_>) -> Vec<ServiceCheck> {
    s.checks
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let label = if c.port_label.is_empty() {
                &s.port_label
            } else {
                &c.port_label
            };
            let mode = if c.address_mode.is_empty() {
                "host"
            } else {
                c.address_mode.as_str()
            };
            c.target = at.target(mode, label).ok();
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

/// Resolves a `port` in an `address_mode` for one service.
struct Resolver<'a> {
    service: &'a str,
    ports: &'a [EnvPort],
    /// The task `driver` mode refers to, with its address if known.
    driver_ip: Option<(&'a str, Option<&'a str>)>,
}

impl Resolver<'_> {
    /// The address and port of `label` (a port label or a number) in
    /// `mode`: `auto` and `host` the host's address and port, `driver`
    /// the task's own address and the port inside the task.
    fn target(&self, mode: &str, label: &str) -> Result<(String, i64), BuildError> {
        match mode {
            "auto" | "host" => self.host(label),
            "driver" => {
                let ip = match self.driver_ip {
                    Some((_, Some(ip))) => ip.to_string(),
                    Some((task, None)) => {
                        return Err(BuildError::NoDriverAddress {
                            service: self.service.to_string(),
                            task: task.to_string(),
                        });
                    }
                    None => {
                        return Err(BuildError::NoDriverAddress {
                            service: self.service.to_string(),
                            task: String::new(),
                        });
                    }
                };
                Ok((ip, self.inside(label)?))
            }
            "alloc" => Err(BuildError::NoAllocAddress {
                service: self.service.to_string(),
            }),
            other => Err(BuildError::BadAddressMode {
                service: self.service.to_string(),
                mode: other.to_string(),
            }),
        }
    }

    fn own_port(&self, label: &str) -> Option<&EnvPort> {
        self.ports
            .iter()
            .filter(|p| p.task.is_none())
            .find(|p| p.label == label)
    }

    fn unknown(&self, label: &str) -> BuildError {
        BuildError::UnknownPort {
            service: self.service.to_string(),
            label: label.to_string(),
        }
    }

    /// The host address and port for `label`: a label of the
    /// allocation's ports, or a number (then at the first port's address).
    fn host(&self, label: &str) -> Result<(String, i64), BuildError> {
        let any_ip = || {
            self.ports
                .first()
                .map(|p| p.host_ip.clone())
                .unwrap_or_default()
        };
        if label.is_empty() {
            return Ok((any_ip(), 0));
        }
        if let Some(p) = self.own_port(label) {
            return Ok((p.host_ip.clone(), i64::from(p.host_port)));
        }
        if let Ok(n) = label.parse::<u16>() {
            return Ok((any_ip(), i64::from(n)));
        }
        Err(self.unknown(label))
    }

    /// The port inside the task for `label` (its `to` or `port_map`
    /// value), or a number as it is.
    fn inside(&self, label: &str) -> Result<i64, BuildError> {
        if label.is_empty() {
            return Ok(0);
        }
        if let Some(p) = self.own_port(label) {
            return Ok(i64::from(p.container_port));
        }
        label
            .parse::<u16>()
            .map(i64::from)
            .map_err(|_| self.unknown(label))
    }
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;

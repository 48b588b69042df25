//! Nomad's job validation rules and messages, on a canonicalised job.
//!
//! Every failure carries the path of the block at fault (`group "cache" ->
//! task "redis"`) so a job file reader can point at its line; the messages
//! are Nomad's where it has one.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::structs::{JOB_TYPE_SYSTEM, Job, NetworkResource, Service, Task, TaskGroup};

use super::limits::{self, MAX_DISK_MB, control_char_error};
use super::parse::occurrence;
use super::validate_task::validate_task;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where: empty for the job itself, else `group "g"`,
    /// `group "g" -> task "t"`, `... -> resources`, `... -> service #1`.
    pub path: String,
    pub message: String,
    /// The attribute at fault when known (`memory`), to locate its line.
    pub field: Option<String>,
}

/// Every broken rule of a job, rendered as Nomad's multierror.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationErrors {
    pub errors: Vec<ValidationError>,
}

impl std::error::Error for ValidationErrors {}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
            1 => writeln!(f, "1 error occurred:")?,
            n => writeln!(f, "{n} errors occurred:")?,
        }
        for e in &self.errors {
            if e.path.is_empty() {
                writeln!(f, "\t* {}", e.message)?;
            } else {
                writeln!(f, "\t* {}: {}", e.path, e.message)?;
            }
        }
        writeln!(f)
    }
}

/// Collects errors while walking a job.
#[derive(Default)]
pub(crate) struct Errs(pub Vec<ValidationError>);

impl Errs {
    pub fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(ValidationError {
            path: path.to_string(),
            message: message.into(),
            field: None,
        });
    }

    pub fn at(&mut self, path: &str, field: &str, message: impl Into<String>) {
        self.0.push(ValidationError {
            path: path.to_string(),
            message: message.into(),
            field: Some(field.to_string()),
        });
    }
}

/// Checks `job` against Nomad's rules.
pub fn validate(job: &Job) -> Result<(), ValidationErrors> {
    let mut e = Errs::default();
    if job.region.is_empty() {
        e.at("", "region", "Missing job region");
    }
    if job.id.is_empty() {
        e.add("", "Missing job ID");
    } else if job.id.contains(' ') {
        e.add("", "Job ID contains a space");
    }
    for (what, field, value) in [
        ("Job ID", "id", &job.id),
        ("Job name", "name", &job.name),
        ("Job region", "region", &job.region),
        ("Job namespace", "namespace", &job.namespace),
        ("Job node pool", "node_pool", &job.node_pool),
    ] {
        if let Some(m) = control_char_error(what, value) {
            e.at("", field, m);
        }
    }
    for d in &job.datacenters {
        if let Some(m) = control_char_error("Datacenter name", d) {
            e.at("", "datacenters", m);
        }
    }
    if job.name.is_empty() {
        e.at("", "name", "Missing job name");
    }
    match job.job_type.as_str() {
        "" => e.at("", "type", "Missing job type"),
        "service" | "batch" | "system" | "sysbatch" => {}
        other => e.at("", "type", format!("Invalid job type: {other:?}")),
    }
    if !(1..=100).contains(&job.priority) {
        e.at("", "priority", "job priority must be between [1, 100]");
    }
    if job.datacenters.is_empty() || job.datacenters.iter().any(|d| d.is_empty()) {
        e.at("", "datacenters", "Missing job datacenters");
    }
    let system = job.job_type == JOB_TYPE_SYSTEM;
    for (i, c) in job.constraints.iter().enumerate() {
        check_operand(&mut e, &format!("constraint #{}", i + 1), &c.operand);
    }
    check_placement(&mut e, "", system, job.affinities.len(), job.spreads.len());
    for (i, a) in job.affinities.iter().enumerate() {
        check_affinity(
            &mut e,
            &format!("affinity #{}", i + 1),
            a.weight,
            &a.operand,
        );
    }
    super::validate_dispatch::check(&mut e, job);
    if job.task_groups.is_empty() {
        e.add("", "Missing job task groups");
    }
    // Each name's first group and how many groups have used it so far: one
    // pass, whatever the number of groups.
    let mut names: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, g) in job.task_groups.iter().enumerate() {
        let mut path = format!("group {:?}", g.name);
        let seen = names.entry(&g.name).or_insert((i, 0));
        seen.1 += 1;
        let (first, n) = *seen;
        if n > 1 {
            path = occurrence(&path, n);
        }
        if g.name.is_empty() {
            e.add("", format!("Job task group {} missing name", i + 1));
        } else if let Some(m) = control_char_error("Task group name", &g.name) {
            e.add(&path, m);
        } else if n > 1 {
            e.add(
                &path,
                format!(
                    "Job task group {} redefines '{}' from group {}",
                    i + 1,
                    g.name,
                    first + 1
                ),
            );
        }
        if system && g.count > 1 {
            e.at(
                &path,
                "count",
                format!(
                    "Job task group {} has count {}. Count cannot exceed 1 with system scheduler",
                    g.name, g.count
                ),
            );
        }
        validate_group(&mut e, &path, job, g);
    }
    if e.0.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors { errors: e.0 })
    }
}

/// The largest count a group may ask for: a scheduler run holds every
/// placement of a group in memory, so an absurd count is refused up front
/// rather than exhausting the leader (Nomad sets no limit).
pub const MAX_GROUP_COUNT: i64 = 1_000_000;

/// A group's `scaling` block: `max` given, `min <= max`, the count
/// between them, and a horizontal type (Nomad's rules).
fn check_scaling(e: &mut Errs, path: &str, g: &TaskGroup) {
    let Some(v) = &g.scaling else {
        return;
    };
    let spath = format!("{path} -> scaling");
    let Some(p) = v.as_object() else {
        e.at(&spath, "", "Scaling policy must be an object");
        return;
    };
    let int = |k: &str| p.get(k).and_then(serde_json::Value::as_i64);
    let kind = p
        .get("Type")
        .and_then(|t| t.as_str())
        .unwrap_or("horizontal");
    if kind != "horizontal" {
        e.at(
            &spath,
            "type",
            format!("Scaling policy type {kind:?} is not supported (horizontal is)"),
        );
    }
    let Some(max) = int("Max") else {
        e.at(&spath, "max", "Scaling policy must have a max");
        return;
    };
    let min = int("Min").unwrap_or(g.count);
    if max < 0 || min < 0 {
        e.at(
            &spath,
            "min",
            "Scaling policy min and max must not be negative",
        );
    } else if min > max {
        e.at(
            &spath,
            "min",
            format!("Scaling policy min ({min}) must not be greater than max ({max})"),
        );
    } else if g.count < min {
        e.at(
            &spath,
            "min",
            format!("Task group count ({}) must not be less than minimum count in scaling policy ({min})", g.count),
        );
    } else if g.count > max {
        e.at(
            &spath,
            "max",
            format!("Task group count ({}) must not be greater than maximum count in scaling policy ({max})", g.count),
        );
    }
}

fn validate_group(e: &mut Errs, path: &str, job: &Job, g: &TaskGroup) {
    check_scaling(e, path, g);
    let system = job.job_type == JOB_TYPE_SYSTEM || job.job_type == "sysbatch";
    if g.count < 0 {
        e.at(path, "count", "Task group count can't be negative");
    }
    if g.count > MAX_GROUP_COUNT {
        e.at(
            path,
            "count",
            format!(
                "Task group count can't exceed {MAX_GROUP_COUNT}; got {}",
                g.count
            ),
        );
    }
    if g.tasks.is_empty() {
        e.add(path, "Missing tasks for task group");
    }
    for (i, c) in g.constraints.iter().enumerate() {
        check_operand(e, &format!("{path} -> constraint #{}", i + 1), &c.operand);
    }
    check_placement(e, path, system, g.affinities.len(), g.spreads.len());
    for (i, a) in g.affinities.iter().enumerate() {
        check_affinity(
            e,
            &format!("{path} -> affinity #{}", i + 1),
            a.weight,
            &a.operand,
        );
    }
    if system && g.reschedule_policy.is_some() {
        e.add(
            &format!("{path} -> reschedule"),
            "System jobs should not have a reschedule policy",
        );
    }
    if let Some(r) = &g.restart_policy {
        check_restart(e, &format!("{path} -> restart"), &r.mode);
    }
    if let Some(d) = &g.ephemeral_disk {
        let dpath = format!("{path} -> ephemeral_disk");
        if d.size_mb < 0 {
            e.at(
                &dpath,
                "size",
                "Task group ephemeral disk size can't be negative",
            );
        }
        if let Some(m) = limits::above("ephemeral disk SizeMB", d.size_mb, MAX_DISK_MB) {
            e.at(&dpath, "size", m);
        }
    }
    for n in &g.networks {
        super::validate_task::check_network(e, &format!("{path} -> network"), n);
    }
    let group_labels = port_labels(
        g.networks.iter().chain(
            g.tasks
                .iter()
                .flat_map(|t| t.resources.iter().flat_map(|r| r.networks.iter())),
        ),
    );
    for (i, s) in g.services.iter().enumerate() {
        let spath = format!("{path} -> service #{}", i + 1);
        check_service(e, &spath, s, g, None);
        check_service_port(e, &spath, s, &group_labels);
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut leaders = 0;
    for (i, t) in g.tasks.iter().enumerate() {
        let mut tpath = format!("{path} -> task {:?}", t.name);
        let n = seen.entry(&t.name).or_insert(0);
        *n += 1;
        if !t.name.is_empty() && *n > 1 {
            tpath = occurrence(&tpath, *n);
            e.add(
                &tpath,
                format!("Task {} redefines '{}' from an earlier task", i + 1, t.name),
            );
        }
        if t.leader {
            leaders += 1;
        }
        validate_task(e, &tpath, t);
        let mut names: HashMap<(&str, &str), usize> = HashMap::new();
        for (j, s) in t.services.iter().enumerate() {
            let spath = format!("{tpath} -> service #{}", j + 1);
            check_service(e, &spath, s, g, Some(&t.name));
            let labels = port_labels(
                g.networks
                    .iter()
                    .chain(t.resources.iter().flat_map(|r| r.networks.iter())),
            );
            check_service_port(e, &spath, s, &labels);
            let n = names.entry((&s.name, &s.port_label)).or_insert(0);
            *n += 1;
            if *n == 2 {
                e.at(
                    &spath,
                    "name",
                    format!("Service {:?} is defined twice in task {:?}", s.name, t.name),
                );
            }
        }
        check_task_placement(e, &tpath, t);
    }
    if leaders > 1 {
        e.add(path, "Only one task may be marked as leader");
    }
}

fn check_task_placement(e: &mut Errs, path: &str, t: &Task) {
    for (i, c) in t.constraints.iter().enumerate() {
        check_operand(e, &format!("{path} -> constraint #{}", i + 1), &c.operand);
    }
    for (i, a) in t.affinities.iter().enumerate() {
        check_affinity(
            e,
            &format!("{path} -> affinity #{}", i + 1),
            a.weight,
            &a.operand,
        );
    }
    if let Some(r) = &t.restart_policy {
        check_restart(e, &format!("{path} -> restart"), &r.mode);
    }
}

fn check_placement(e: &mut Errs, path: &str, system: bool, affinities: usize, spreads: usize) {
    if system && affinities > 0 {
        e.add(path, "System jobs may not have an affinity block");
    }
    if system && spreads > 0 {
        e.add(path, "System jobs may not have a spread block");
    }
}

fn check_affinity(e: &mut Errs, path: &str, weight: i8, operand: &str) {
    if weight == 0 {
        e.at(path, "weight", "Affinity weight cannot be zero");
    }
    if !(-100..=100).contains(&weight) {
        e.at(
            path,
            "weight",
            format!("Affinity weight must be within the range [-100,100], got {weight}"),
        );
    }
    check_operand(e, path, operand);
}

/// The operators Nomad knows.
pub const OPERATORS: &[&str] = &[
    "=",
    "==",
    "is",
    "!=",
    "not",
    ">",
    ">=",
    "<",
    "<=",
    "regexp",
    "version",
    "semver",
    "set_contains",
    "set_contains_all",
    "set_contains_any",
    "distinct_hosts",
    "distinct_property",
    "is_set",
    "is_not_set",
];

fn check_operand(e: &mut Errs, path: &str, operand: &str) {
    if !OPERATORS.contains(&operand) {
        e.at(
            path,
            "operator",
            format!("Unknown constraint type {operand:?}"),
        );
    }
}

fn check_restart(e: &mut Errs, path: &str, mode: &str) {
    if mode != "delay" && mode != "fail" {
        e.at(path, "mode", format!("Unsupported restart mode: {mode:?}"));
    }
}

/// The port labels the networks declare.
fn port_labels<'a>(nets: impl Iterator<Item = &'a NetworkResource>) -> HashSet<&'a str> {
    nets.flat_map(|n| n.reserved_ports.iter().chain(n.dynamic_ports.iter()))
        .map(|p| p.label.as_str())
        .collect()
}

/// A service's `port` is a label the networks declare, or a port number.
fn check_service_port(e: &mut Errs, path: &str, s: &Service, labels: &HashSet<&str>) {
    let p = s.port_label.as_str();
    if p.is_empty() || labels.contains(p) || p.parse::<u16>().is_ok_and(|n| n > 0) {
        return;
    }
    e.at(
        path,
        "port",
        format!(
            "Service {:?}: port label {p:?} is not a port of the task's or group's network",
            s.name
        ),
    );
}

/// What no client of this cluster can carry out, named for the error.
const NO_ALLOC_NETWORK: &str = "address_mode \"alloc\" is not supported: Drover's clients give an allocation no network namespace of its own";

fn check_service(e: &mut Errs, path: &str, s: &Service, g: &TaskGroup, own_task: Option<&str>) {
    let driver_of = |task: &str| {
        g.tasks
            .iter()
            .find(|t| t.name == task)
            .map(|t| t.driver.as_str())
    };
    if s.name.is_empty() {
        e.at(path, "name", "Missing service name");
    } else if let Some(m) = control_char_error("Service name", &s.name) {
        e.at(path, "name", m);
    }
    match s.address_mode.as_str() {
        "" | "auto" | "host" | "driver" => {}
        "alloc" => e.at(path, "address_mode", NO_ALLOC_NETWORK),
        other => e.at(
            path,
            "address_mode",
            format!(
                "Service {:?}: invalid address_mode {other:?} (auto, host, driver or alloc)",
                s.name
            ),
        ),
    }
    if !s.address.is_empty() && !matches!(s.address_mode.as_str(), "" | "auto") {
        e.at(
            path,
            "address",
            format!(
                "Service {:?}: address_mode must be \"auto\" when address is set",
                s.name
            ),
        );
    }
    for (i, c) in s.checks.iter().enumerate() {
        let cpath = format!("{path} -> check #{}", i + 1);
        if let Some(m) = control_char_error("Check name", &c.name) {
            e.at(&cpath, "name", m);
        }
        match c.kind.as_str() {
            "tcp" | "http" | "script" | "grpc" => {
                if c.interval <= 0 {
                    e.at(
                        &cpath,
                        "interval",
                        format!("{} check interval must be greater than 0", c.kind),
                    );
                }
                if c.timeout <= 0 {
                    e.at(
                        &cpath,
                        "timeout",
                        format!("{} check timeout must be greater than 0", c.kind),
                    );
                }
            }
            "" => e.at(&cpath, "type", format!("check {:?}: missing type", c.name)),
            other => e.at(
                &cpath,
                "type",
                format!("check {:?}: invalid type {other:?}", c.name),
            ),
        }
        match c.address_mode.as_str() {
            "" | "host" | "driver" => {}
            "alloc" => e.at(&cpath, "address_mode", NO_ALLOC_NETWORK),
            other => e.at(
                &cpath,
                "address_mode",
                format!(
                    "check {:?}: invalid address_mode {other:?} (host, driver or alloc)",
                    c.name
                ),
            ),
        }
        if c.kind == "http" {
            match c.protocol.as_str() {
                "" | "http" | "https" => {}
                other => e.at(
                    &cpath,
                    "protocol",
                    format!(
                        "check {:?}: invalid protocol {other:?} (http or https)",
                        c.name
                    ),
                ),
            }
        }
        if c.kind == "script" {
            let task = if c.task_name.is_empty() {
                own_task
            } else {
                Some(c.task_name.as_str())
            };
            match task.map(|t| (t, driver_of(t))) {
                None => e.at(
                    &cpath,
                    "task",
                    format!("check {:?}: a script check of a group service must name its task", c.name),
                ),
                Some((t, None)) => e.at(
                    &cpath,
                    "task",
                    format!("check {:?}: task {t:?} is not a task of the group", c.name),
                ),
                Some((t, Some(d))) if !matches!(d, "raw_exec" | "docker") => e.at(
                    &cpath,
                    "type",
                    format!("check {:?}: script checks run in docker and raw_exec tasks on Drover's clients, and task {t:?} uses {d:?}", c.name),
                ),
                Some(_) => {}
            }
        }
        if c.kind == "http" && c.path.is_empty() {
            e.at(
                &cpath,
                "path",
                format!("check {:?}: http checks need a path", c.name),
            );
        }
    }
}

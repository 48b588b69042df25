//! Validation of one task: name, driver, resources, networks and the
//! driver config checks this project knows (docker's `image`).

use std::collections::HashSet;

use crate::structs::{NetworkResource, Task};

use super::limits::{self, MAX_CORES, MAX_CPU_MHZ, MAX_IOPS, MAX_MBITS, MAX_MEMORY_MB};
use super::validate::Errs;

pub(crate) fn validate_task(e: &mut Errs, path: &str, t: &Task) {
    if t.name.is_empty() {
        e.add(path, "Missing task name");
    } else if t.name.contains('/') {
        e.add(path, "Task name cannot include slashes");
    } else if t.name.contains('\0') {
        e.add(path, "Task name cannot include null characters");
    } else if let Some(m) = limits::control_char_error("Task name", &t.name) {
        e.add(path, m);
    }
    if t.driver.is_empty() {
        e.at(path, "driver", "Missing task driver");
    }
    if t.kill_timeout < 0 {
        e.at(path, "kill_timeout", "KillTimeout must be a positive value");
    }
    if t.shutdown_delay < 0 {
        e.at(
            path,
            "shutdown_delay",
            "ShutdownDelay must be a positive value",
        );
    }
    if t.log_config.is_none() {
        e.add(path, "Missing Log Config");
    }
    if let Some(l) = &t.log_config {
        let lpath = format!("{path} -> logs");
        if l.max_files < 1 {
            e.at(
                &lpath,
                "max_files",
                format!("minimum number of files is 1; got {}", l.max_files),
            );
        }
        if l.max_file_size_mb < 1 {
            e.at(
                &lpath,
                "max_file_size",
                format!("minimum file size is 1MB; got {}", l.max_file_size_mb),
            );
        }
    }
    let rpath = format!("{path} -> resources");
    match &t.resources {
        None => e.add(path, "Missing task resources"),
        Some(r) => {
            if r.cores > 0 && r.cpu > 0 {
                e.at(
                    &rpath,
                    "cores",
                    "Task can only ask for 'cpu' or 'cores' resource, not both.",
                );
            } else if r.cores == 0 && r.cpu < 1 {
                e.at(
                    &rpath,
                    "cpu",
                    format!("minimum CPU value is 1; got {}", r.cpu),
                );
            }
            if r.cores < 0 {
                e.at(
                    &rpath,
                    "cores",
                    format!("minimum cores value is 0; got {}", r.cores),
                );
            }
            if r.memory_mb < 10 {
                e.at(
                    &rpath,
                    "memory",
                    format!("minimum MemoryMB value is 10; got {}", r.memory_mb),
                );
            }
            if r.memory_max_mb != 0 && r.memory_max_mb < r.memory_mb {
                e.at(
                    &rpath,
                    "memory_max",
                    format!(
                        "MemoryMaxMB value ({}) should be larger than MemoryMB value ({})",
                        r.memory_max_mb, r.memory_mb
                    ),
                );
            }
            for (field, what, value, max) in [
                ("cpu", "CPU", r.cpu, MAX_CPU_MHZ),
                ("cores", "cores", r.cores, MAX_CORES),
                ("memory", "MemoryMB", r.memory_mb, MAX_MEMORY_MB),
                ("memory_max", "MemoryMaxMB", r.memory_max_mb, MAX_MEMORY_MB),
                ("iops", "IOPS", r.iops, MAX_IOPS),
            ] {
                if let Some(m) = limits::above(what, value, max) {
                    e.at(&rpath, field, m);
                }
            }
            if r.disk_mb > 0 {
                e.at(
                    &rpath,
                    "disk",
                    "Task can't ask for disk resources, they have to be specified at the task group level.",
                );
            }
            for n in &r.networks {
                check_network(e, &format!("{rpath} -> network"), n);
            }
        }
    }
    if t.driver == "docker" {
        let cpath = format!("{path} -> config");
        match t.config.get("image") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
            Some(_) => e.at(
                &cpath,
                "image",
                "docker config \"image\" must be a non-empty string",
            ),
            None => e.add(&cpath, "Missing required docker config \"image\""),
        }
    }
    let mut dests: Vec<&str> = Vec::new();
    for (i, tpl) in t.templates.iter().enumerate() {
        let Some(dest) = tpl.get("DestPath").and_then(|d| d.as_str()) else {
            continue;
        };
        if let Some(j) = dests.iter().position(|d| *d == dest) {
            e.add(
                path,
                format!("Template {} has same destination as {}", i + 1, j + 1),
            );
        }
        dests.push(dest);
    }
}

/// Port labels, uniqueness and numbers of one network.
pub(crate) fn check_network(e: &mut Errs, path: &str, n: &NetworkResource) {
    if n.mbits < 0 {
        e.at(
            path,
            "mbits",
            format!("minimum MBits value is 0; got {}", n.mbits),
        );
    }
    if let Some(m) = limits::above("MBits", n.mbits, MAX_MBITS) {
        e.at(path, "mbits", m);
    }
    let mut labels: HashSet<String> = HashSet::new();
    for p in n.ports() {
        let ppath = format!("{path} -> port {:?}", p.label);
        let label_ok = !p.label.is_empty()
            && p.label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !label_ok {
            e.add(
                &ppath,
                format!(
                    "Port label {:?} is invalid: labels must match ^[a-zA-Z0-9_]+$",
                    p.label
                ),
            );
        }
        if !labels.insert(p.label.to_lowercase()) {
            e.add(&ppath, format!("Found duplicate port label {:?}", p.label));
        }
        if !(0..=65535).contains(&p.value) {
            e.at(
                &ppath,
                "static",
                format!("Port {:?} has invalid port number {}", p.label, p.value),
            );
        }
        if !(-1..=65535).contains(&p.to) {
            e.at(
                &ppath,
                "to",
                format!("Port {:?} has invalid mapped port number {}", p.label, p.to),
            );
        }
    }
}

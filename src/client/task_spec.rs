//! What a driver is given for one task of an allocation: the environment,
//! the ports, the directories and the resources, from the allocation, its
//! job and the node.

use std::path::Path;
use std::time::Duration;

use super::allocdir::AllocDir;
use super::driver::{LogSpec, TaskSpec};
use super::env::{EnvContext, TaskDirs, interpolate_config, task_env};
use super::ports::task_ports;
use crate::structs::{Allocation, Job, LogConfig, Node, Task, TaskGroup};

const MB: u64 = 1024 * 1024;

/// The container or process name: `<task with / replaced by _>-<alloc id>`.
pub fn instance_name(task: &str, alloc_id: &str) -> String {
    format!("{}-{alloc_id}", task.replace('/', "_"))
}

/// The task's kill timeout, capped by the client's `max_kill_timeout`.
pub fn kill_timeout(task: &Task, max: Duration) -> Duration {
    let asked = if task.kill_timeout > 0 {
        Duration::from_nanos(task.kill_timeout as u64)
    } else {
        Duration::from_nanos(crate::structs::DEFAULT_KILL_TIMEOUT as u64)
    };
    asked.min(max)
}

/// Inputs shared by the tasks of one allocation.
pub struct SpecInputs<'a> {
    pub alloc: &'a Allocation,
    pub job: &'a Job,
    pub group: &'a TaskGroup,
    pub node: &'a Node,
    pub region: &'a str,
    pub dir: &'a AllocDir,
}

/// Builds the driver's view of `task`.
pub fn build(inputs: &SpecInputs<'_>, task: &Task) -> TaskSpec {
    let alloc = inputs.alloc;
    let ports = task_ports(alloc, task);
    // Containers see their directories at fixed paths; host processes
    // (raw_exec) see the host paths.
    let in_container = task.driver != "raw_exec";
    let dirs = if in_container {
        TaskDirs {
            alloc_dir: "/alloc".into(),
            task_dir: "/local".into(),
            secrets_dir: "/secrets".into(),
        }
    } else {
        let s = |p: &Path| p.display().to_string();
        TaskDirs {
            alloc_dir: s(&inputs.dir.shared()),
            task_dir: s(&inputs.dir.local(&task.name)),
            secrets_dir: s(&inputs.dir.secrets(&task.name)),
        }
    };
    let ctx = EnvContext {
        alloc,
        job: inputs.job,
        group: inputs.group,
        task,
        node: inputs.node,
        region: inputs.region.to_string(),
        ports: &ports,
        dirs,
    };
    let env = task_env(&ctx);
    let config = interpolate_config(&task.config, &env, inputs.node);
    let (cpu, memory, memory_max) = resources(alloc, task);
    let logs = task.log_config.clone().unwrap_or_default();
    let LogConfig {
        max_files,
        max_file_size_mb,
        ..
    } = logs;
    TaskSpec {
        alloc_id: alloc.id.clone(),
        task_name: task.name.clone(),
        node_id: inputs.node.id.clone(),
        instance_name: instance_name(&task.name, &alloc.id),
        config,
        env,
        cpu_mhz: cpu,
        memory_mb: memory,
        memory_max_mb: memory_max,
        ports: ports.bindings.clone(),
        alloc_dir: inputs.dir.shared(),
        local_dir: inputs.dir.local(&task.name),
        secrets_dir: inputs.dir.secrets(&task.name),
        task_dir: inputs.dir.task_dir(&task.name),
        logs: LogSpec {
            dir: inputs.dir.logs(),
            task: task.name.clone(),
            max_files: max_files.clamp(1, 1000) as u32,
            max_file_size: (max_file_size_mb.clamp(1, 100_000) as u64) * MB,
        },
        user: task.user.clone(),
    }
}

/// CPU MHz, memory MB and memory max MB given to `task` on its node.
fn resources(alloc: &Allocation, task: &Task) -> (i64, i64, i64) {
    if let Some(r) = alloc
        .allocated_resources
        .as_ref()
        .and_then(|a| a.tasks.get(&task.name))
    {
        return (r.cpu.cpu_shares, r.memory.memory_mb, r.memory.memory_max_mb);
    }
    if let Some(r) = alloc.task_resources.get(&task.name) {
        return (r.cpu, r.memory_mb, r.memory_max_mb);
    }
    task.resources
        .as_ref()
        .map(|r| (r.cpu, r.memory_mb, r.memory_max_mb))
        .unwrap_or((
            crate::jobspec::DEFAULT_CPU,
            crate::jobspec::DEFAULT_MEMORY_MB,
            0,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kill_timeouts() {
        assert_eq!(instance_name("a/b", "x-1"), "a_b-x-1");
        let t = Task {
            kill_timeout: 60 * crate::structs::SECOND,
            ..Task::default()
        };
        assert_eq!(
            kill_timeout(&t, Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert_eq!(
            kill_timeout(&Task::default(), Duration::from_secs(30)),
            Duration::from_secs(5)
        );
    }
}

//! Task drivers: what starts, watches and stops a task's process.
//!
//! A driver is a [`Driver`] trait object chosen by the task's `driver`
//! name. The task runner owns the life cycle (restarts, events); a driver
//! only does one step at a time and says what happened. Every handle a
//! driver returns is serialisable so that the client's local state can
//! keep it and a restarted client can [`Driver::recover`] the task.
//!
//! Drivers: `docker` (the Docker engine through bollard), `raw_exec` (a
//! host process; off unless the client config enables it) and, in unit
//! tests only, `mock`.

pub mod docker;
#[cfg(test)]
pub mod mock;
pub mod raw_exec;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::structs::DriverConfig;

/// Label on every container the client creates: the allocation it runs.
pub const LABEL_ALLOC_ID: &str = "com.hashicorp.nomad.alloc_id";
/// Label naming the node (client) that owns a container: a client only
/// ever recovers or removes containers carrying its own node ID.
pub const LABEL_NODE_ID: &str = "com.hashicorp.nomad.node_id";
/// Label naming the task of the allocation.
pub const LABEL_TASK_NAME: &str = "com.hashicorp.nomad.task_name";
/// Label keeping the image reference the task asked for (the container is
/// created from the image ID).
pub const LABEL_IMAGE_REF: &str = "io.drover.image_ref";

/// A host port published for a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortBinding {
    pub label: String,
    /// The node address the port is bound on.
    pub host_ip: String,
    pub host_port: u16,
    /// The port inside the task (`to`, the 0.6 `port_map`, or the host port).
    pub container_port: u16,
}

/// Where a task's output goes and how it is rotated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSpec {
    /// `<alloc dir>/alloc/logs`.
    pub dir: PathBuf,
    /// Files are `<task>.stdout.<n>` and `<task>.stderr.<n>`.
    pub task: String,
    pub max_files: u32,
    pub max_file_size: u64,
}

/// Everything a driver needs to start one task.
#[derive(Clone, Debug)]
pub struct TaskSpec {
    pub alloc_id: String,
    pub task_name: String,
    /// The owning node (labelled on containers, see [`LABEL_NODE_ID`]).
    pub node_id: String,
    /// `<task name with / replaced by _>-<alloc id>`.
    pub instance_name: String,
    /// The task's `config` block, as the job gave it.
    pub config: DriverConfig,
    /// The full task environment, interpolated.
    pub env: BTreeMap<String, String>,
    pub cpu_mhz: i64,
    pub memory_mb: i64,
    /// 0 when not set.
    pub memory_max_mb: i64,
    pub ports: Vec<PortBinding>,
    /// Host paths: the shared `alloc` dir and the task's `local` and
    /// `secrets` dirs (mounted at `/alloc`, `/local`, `/secrets`).
    pub alloc_dir: PathBuf,
    pub local_dir: PathBuf,
    pub secrets_dir: PathBuf,
    /// The task's working directory on the host (raw_exec).
    pub task_dir: PathBuf,
    pub logs: LogSpec,
    pub user: String,
}

/// The `TaskHandle::details` key of the task's own network address (a
/// container's IP), when its driver gives it one.
pub const DETAIL_IP_ADDRESS: &str = "ip_address";

/// A running task as a driver knows it; kept in the client's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskHandle {
    pub driver: String,
    /// The container ID, or the process ID as text.
    pub id: String,
    /// Unix nanoseconds.
    pub started_at: i64,
    /// Driver-specific details (e.g. the image ID, a process start time).
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

/// What a command run inside a task said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub exit_code: i64,
    /// Its standard output and error, interleaved, bounded.
    pub output: Vec<u8>,
}

/// How a task ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitResult {
    pub exit_code: i64,
    pub signal: i64,
    pub oom_killed: bool,
    /// Set when the driver lost track of the task instead of seeing it end.
    pub err: Option<String>,
}

impl ExitResult {
    pub fn successful(&self) -> bool {
        self.exit_code == 0 && self.signal == 0 && !self.oom_killed && self.err.is_none()
    }
}

/// What a driver reports about itself for the node's fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriverFingerprint {
    pub detected: bool,
    pub healthy: bool,
    pub description: String,
    /// Node attributes such as `driver.docker.version`.
    pub attributes: BTreeMap<String, String>,
}

/// Resource use of a running task (for `/v1/client/allocation/{id}/stats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskUsage {
    pub memory_rss_bytes: u64,
    pub cpu_total_ticks: f64,
    pub cpu_percent: f64,
}

/// Why a driver step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// The task's configuration is wrong (no image, a bad option): starting
    /// again will not help.
    #[error("{0}")]
    Config(String),
    /// Something outside the task failed (the engine is down, a port is
    /// taken): the restart policy may try again.
    #[error("{0}")]
    Recoverable(String),
    /// The handle names nothing that exists any more.
    #[error("task not found: {0}")]
    NotFound(String),
}

impl DriverError {
    /// Whether starting again may succeed.
    pub fn recoverable(&self) -> bool {
        !matches!(self, DriverError::Config(_))
    }
}

/// A task driver. Every method is one step and may be called again after
/// an error; none of them blocks the runtime's worker threads.
pub trait Driver: Send + Sync + 'static {
    /// `docker`, `raw_exec`, ...
    fn name(&self) -> &'static str;

    /// Whether the driver can run tasks on this node, and its attributes.
    fn fingerprint(&self) -> BoxFuture<'_, DriverFingerprint>;

    /// Starts the task (after cleaning up a leftover instance of the same
    /// name) and begins capturing its output into `spec.logs`.
    fn start<'a>(&'a self, spec: &'a TaskSpec) -> BoxFuture<'a, Result<TaskHandle, DriverError>>;

    /// After a client restart: whether the task behind `handle` still runs;
    /// if it does, output capture is resumed. `Ok(false)` when it exited.
    fn recover<'a>(
        &'a self,
        handle: &'a TaskHandle,
        spec: &'a TaskSpec,
    ) -> BoxFuture<'a, Result<bool, DriverError>>;

    /// Waits until the task ends, however it ends (including outside the
    /// client: `docker stop`, a crash).
    fn wait<'a>(&'a self, handle: &'a TaskHandle)
    -> BoxFuture<'a, Result<ExitResult, DriverError>>;

    /// Stops the task: `signal` (empty: the driver's default, SIGTERM), then
    /// a forced kill after `timeout`.
    fn stop<'a>(
        &'a self,
        handle: &'a TaskHandle,
        signal: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Removes what is left of the task (the container); idempotent.
    fn destroy<'a>(&'a self, handle: &'a TaskHandle) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Sends a signal (`SIGHUP`, ...).
    fn signal<'a>(
        &'a self,
        handle: &'a TaskHandle,
        signal: &'a str,
    ) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Current resource use.
    fn stats<'a>(&'a self, handle: &'a TaskHandle)
    -> BoxFuture<'a, Result<TaskUsage, DriverError>>;

    /// Tasks this driver runs for `node_id` (by label or record), so that a
    /// restarted client can remove those of allocations that are gone.
    fn owned<'a>(&'a self, node_id: &'a str) -> BoxFuture<'a, Vec<TaskHandle>>;

    /// Runs `cmd` inside the running task (script checks), keeping at most
    /// `limit` bytes of its output. Drivers that cannot say so.
    fn exec<'a>(
        &'a self,
        handle: &'a TaskHandle,
        cmd: &'a [String],
        limit: usize,
    ) -> BoxFuture<'a, Result<ExecOutput, DriverError>> {
        let _ = (handle, cmd, limit);
        let name = self.name();
        Box::pin(async move {
            Err(DriverError::Config(format!(
                "the {name} driver cannot run commands inside a task"
            )))
        })
    }
}

/// Parses a signal name (`SIGINT`, `INT`, `2`) into its number.
pub fn signal_number(name: &str) -> Option<i32> {
    let n = name.trim();
    if let Ok(v) = n.parse::<i32>() {
        return (1..=64).contains(&v).then_some(v);
    }
    let upper = n.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    Some(match bare {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" | "IOT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        "STKFLT" => 16,
        "CHLD" => 17,
        "CONT" => 18,
        "STOP" => 19,
        "TSTP" => 20,
        "TTIN" => 21,
        "TTOU" => 22,
        "URG" => 23,
        "XCPU" => 24,
        "XFSZ" => 25,
        "VTALRM" => 26,
        "PROF" => 27,
        "WINCH" => 28,
        "IO" | "POLL" => 29,
        "PWR" => 30,
        "SYS" => 31,
        _ => return None,
    })
}

/// The drivers a client offers, from its settings: `docker` always (its
/// fingerprint says whether the engine answers) and `raw_exec` (healthy
/// only when enabled).
pub fn defaults(
    config: &crate::client::ClientConfig,
) -> BTreeMap<String, std::sync::Arc<dyn Driver>> {
    let mut out: BTreeMap<String, std::sync::Arc<dyn Driver>> = BTreeMap::new();
    let docker = docker::DockerDriver::new(docker::DockerOptions {
        volumes_enabled: config.docker_volumes_enabled,
        allow_privileged: config.docker_allow_privileged,
        ..docker::DockerOptions::default()
    });
    out.insert("docker".into(), std::sync::Arc::new(docker));
    let executor = config
        .executor_path
        .clone()
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("drover"));
    let raw = raw_exec::RawExecDriver::new(executor, config.raw_exec_enabled);
    out.insert("raw_exec".into(), std::sync::Arc::new(raw));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_parse() {
        assert_eq!(signal_number("SIGTERM"), Some(15));
        assert_eq!(signal_number("int"), Some(2));
        assert_eq!(signal_number("9"), Some(9));
        assert_eq!(signal_number("SIGNOPE"), None);
        assert_eq!(signal_number("0"), None);
    }
}

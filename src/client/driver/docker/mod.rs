//! The `docker` driver: runs each task as a container of the local Docker
//! engine, through bollard.
//!
//! - [`config`]: the task's `config` block.
//! - [`create`]: image resolution, the container's configuration, creation
//!   (with name conflicts) and start.
//! - [`logs`]: copies the container's output into the task's log files.
//! - [`lifecycle`]: wait, stop, signal, stats, recovery and listing.
//!
//! Every container carries the labels of `super` (alloc, node, task, image
//! reference); the node label is what keeps two clients sharing an engine
//! from touching each other's containers.

pub mod config;
mod create;
mod exec;
mod lifecycle;
mod logs;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as EngineError;
use futures::future::BoxFuture;

use super::{
    Driver, DriverError, DriverFingerprint, ExecOutput, ExitResult, TaskHandle, TaskSpec, TaskUsage,
};

/// The driver's name in job files and handles.
pub const DRIVER_NAME: &str = "docker";

/// Client-side settings of the driver (the `plugin "docker"` block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerOptions {
    /// Whether tasks may mount host paths with `volumes`.
    pub volumes_enabled: bool,
    /// Whether `destroy` removes the container.
    pub gc_container: bool,
    /// Whether tasks may ask for `privileged = true`.
    pub allow_privileged: bool,
    /// How long an image pull may take before the start fails.
    pub pull_timeout: Duration,
    /// The engine's address (`unix:///var/run/docker.sock`,
    /// `tcp://host:2375`); `None` follows `DOCKER_HOST`, as the `docker`
    /// CLI does.
    pub endpoint: Option<String>,
}

impl Default for DockerOptions {
    fn default() -> Self {
        DockerOptions {
            volumes_enabled: false,
            gc_container: true,
            allow_privileged: false,
            pull_timeout: Duration::from_secs(5 * 60),
            endpoint: None,
        }
    }
}

/// The Docker driver. Cheap to share: the engine client is reference
/// counted, and it connects on first use so that a node without an engine
/// still starts (its fingerprint then says the driver is undetected).
pub struct DockerDriver {
    options: DockerOptions,
    client: Mutex<Option<Docker>>,
    /// The output followers, by container ID (see [`logs`]).
    followers: logs::Followers,
}

impl DockerDriver {
    pub fn new(options: DockerOptions) -> DockerDriver {
        DockerDriver {
            options,
            client: Mutex::new(None),
            followers: logs::Followers::default(),
        }
    }

    pub fn options(&self) -> &DockerOptions {
        &self.options
    }

    /// The engine client, connecting on first use (to the configured
    /// endpoint, else to `DOCKER_HOST`'s, else to the local socket).
    fn docker(&self) -> Result<Docker, DriverError> {
        let mut slot = self
            .client
            .lock()
            .map_err(|_| DriverError::Recoverable("docker: client state is poisoned".into()))?;
        if let Some(d) = slot.as_ref() {
            return Ok(d.clone());
        }
        let connected = match &self.options.endpoint {
            Some(host) => Docker::connect_with_host(host),
            None => Docker::connect_with_defaults(),
        };
        let d = connected.map_err(|e| {
            DriverError::Recoverable(format!("failed to connect to the Docker engine: {e}"))
        })?;
        *slot = Some(d.clone());
        Ok(d)
    }

    async fn fingerprint_now(&self) -> DriverFingerprint {
        let undetected = |e: String| DriverFingerprint {
            detected: false,
            healthy: false,
            description: format!("Failed to connect to docker daemon: {e}"),
            attributes: BTreeMap::new(),
        };
        let docker = match self.docker() {
            Ok(d) => d,
            Err(e) => return undetected(e.to_string()),
        };
        if let Err(e) = docker.ping().await {
            return undetected(describe(&e));
        }
        let version = match docker.version().await {
            Ok(v) => v,
            Err(e) => return undetected(describe(&e)),
        };
        let flag = |b: bool| if b { "true" } else { "false" }.to_string();
        let mut attributes = BTreeMap::new();
        attributes.insert("driver.docker".into(), "1".into());
        attributes.insert(
            "driver.docker.version".into(),
            version.version.unwrap_or_default(),
        );
        attributes.insert(
            "driver.docker.os_type".into(),
            version.os.unwrap_or_default(),
        );
        attributes.insert(
            "driver.docker.volumes.enabled".into(),
            flag(self.options.volumes_enabled),
        );
        attributes.insert(
            "driver.docker.privileged.enabled".into(),
            flag(self.options.allow_privileged),
        );
        DriverFingerprint {
            detected: true,
            healthy: true,
            description: "Healthy".into(),
            attributes,
        }
    }
}

/// The HTTP status of an engine answer, if the engine answered.
fn status(e: &EngineError) -> Option<u16> {
    match e {
        EngineError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// An engine error in words: the engine's own message when it answered.
fn describe(e: &EngineError) -> String {
    match e {
        EngineError::DockerResponseServerError {
            status_code,
            message,
        } => format!("{} (status {status_code})", message.trim()),
        other => other.to_string(),
    }
}

/// `failed to <what>: <engine message>`, as a recoverable error: the
/// engine may answer differently next time, and the restart policy
/// decides.
fn failed(what: &str, e: &EngineError) -> DriverError {
    DriverError::Recoverable(format!("failed to {what}: {}", describe(e)))
}

impl Driver for DockerDriver {
    fn name(&self) -> &'static str {
        DRIVER_NAME
    }

    fn fingerprint(&self) -> BoxFuture<'_, DriverFingerprint> {
        Box::pin(self.fingerprint_now())
    }

    fn start<'a>(&'a self, spec: &'a TaskSpec) -> BoxFuture<'a, Result<TaskHandle, DriverError>> {
        Box::pin(self.start_task(spec))
    }

    fn recover<'a>(
        &'a self,
        handle: &'a TaskHandle,
        spec: &'a TaskSpec,
    ) -> BoxFuture<'a, Result<bool, DriverError>> {
        Box::pin(self.recover_task(handle, spec))
    }

    fn wait<'a>(
        &'a self,
        handle: &'a TaskHandle,
    ) -> BoxFuture<'a, Result<ExitResult, DriverError>> {
        Box::pin(self.wait_task(&handle.id))
    }

    fn stop<'a>(
        &'a self,
        handle: &'a TaskHandle,
        signal: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(self.stop_task(&handle.id, signal, timeout))
    }

    fn destroy<'a>(&'a self, handle: &'a TaskHandle) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(self.destroy_task(&handle.id))
    }

    fn signal<'a>(
        &'a self,
        handle: &'a TaskHandle,
        signal: &'a str,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(self.signal_task(&handle.id, signal))
    }

    fn stats<'a>(
        &'a self,
        handle: &'a TaskHandle,
    ) -> BoxFuture<'a, Result<TaskUsage, DriverError>> {
        Box::pin(self.stats_task(&handle.id))
    }

    fn owned<'a>(&'a self, node_id: &'a str) -> BoxFuture<'a, Vec<TaskHandle>> {
        Box::pin(self.owned_tasks(node_id))
    }

    fn exec<'a>(
        &'a self,
        handle: &'a TaskHandle,
        cmd: &'a [String],
        limit: usize,
    ) -> BoxFuture<'a, Result<ExecOutput, DriverError>> {
        Box::pin(self.exec_task(&handle.id, cmd, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::driver::LogSpec;

    fn unreachable() -> DockerDriver {
        DockerDriver::new(DockerOptions {
            endpoint: Some("unix:///nonexistent/docker.sock".into()),
            ..DockerOptions::default()
        })
    }

    #[tokio::test]
    async fn an_unreachable_engine_is_undetected_and_fails_starts_cleanly() {
        let driver = unreachable();
        let fp = driver.fingerprint().await;
        assert!(!fp.detected && !fp.healthy);
        assert!(
            fp.description
                .starts_with("Failed to connect to docker daemon"),
            "{}",
            fp.description
        );
        let mut config = crate::structs::DriverConfig::new();
        config.insert("image".into(), "busybox".into());
        let spec = TaskSpec {
            alloc_id: "a".into(),
            task_name: "t".into(),
            node_id: "n".into(),
            instance_name: "t-a".into(),
            config,
            env: BTreeMap::new(),
            cpu_mhz: 100,
            memory_mb: 64,
            memory_max_mb: 0,
            ports: Vec::new(),
            alloc_dir: "/nonexistent/alloc".into(),
            local_dir: "/nonexistent/local".into(),
            secrets_dir: "/nonexistent/secrets".into(),
            task_dir: "/nonexistent".into(),
            logs: LogSpec {
                dir: "/nonexistent/logs".into(),
                task: "t".into(),
                max_files: 1,
                max_file_size: 1,
            },
            user: String::new(),
        };
        let err = driver.start(&spec).await.unwrap_err();
        assert!(err.recoverable());
        assert!(
            err.to_string()
                .starts_with("failed to connect to the Docker engine"),
            "{err}"
        );
        assert!(driver.owned("n").await.is_empty());
    }
}

//! A started container's life: waiting for its end, stopping, signalling,
//! removing, resource use, recovery after a client restart, and listing a
//! node's containers.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::errors::Error as EngineError;
use bollard::models::{ContainerStatsResponse, ContainerSummary};
use bollard::query_parameters::{
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StatsOptionsBuilder, StopContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures::StreamExt;

use super::logs::{LONG_REQUEST, resume_since};
use super::{DRIVER_NAME, DockerDriver, describe, failed, status};
use crate::client::driver::{
    DriverError, ExitResult, LABEL_ALLOC_ID, LABEL_IMAGE_REF, LABEL_NODE_ID, LABEL_TASK_NAME,
    TaskHandle, TaskSpec, TaskUsage, signal_number,
};

/// How long a wait keeps trying while the engine cannot be reached (an
/// engine restart) before it gives up.
const ENGINE_GRACE: Duration = Duration::from_secs(30);
/// The longest pause between two attempts to reach the engine again.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Extra time a `docker stop` request gets beyond the stop timeout itself.
const STOP_SLACK: Duration = Duration::from_secs(60);
/// The deadline for the inspect that reads a finished container's state.
const INSPECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What one wait request learnt.
enum Waited {
    /// The container is not running; its exit code.
    Exited(i64),
    /// The container does not exist.
    Gone,
    /// The engine did not answer (or the connection dropped).
    Lost(String),
}

impl DockerDriver {
    pub(super) async fn recover_task(
        &self,
        handle: &TaskHandle,
        spec: &TaskSpec,
    ) -> Result<bool, DriverError> {
        let docker = self.docker()?;
        let c = match docker.inspect_container(&handle.id, None).await {
            Ok(c) => c,
            Err(e) if status(&e) == Some(404) => return Ok(false),
            Err(e) => return Err(failed("inspect container", &e)),
        };
        let labels = c.config.and_then(|c| c.labels).unwrap_or_default();
        let node = labels.get(LABEL_NODE_ID).map(String::as_str).unwrap_or("");
        if node != spec.node_id {
            return Err(DriverError::NotFound(format!(
                "container {} belongs to node {node:?}, not to this node",
                handle.id
            )));
        }
        if c.state.and_then(|s| s.running) != Some(true) {
            return Ok(false);
        }
        self.follow_logs(&docker, &handle.id, spec, resume_since(&spec.logs));
        Ok(true)
    }

    /// Waits for the container to stop, however it stops. Engine restarts
    /// are ridden out for [`ENGINE_GRACE`]; the wait itself has no
    /// deadline (its client's request timeout is [`LONG_REQUEST`]).
    pub(super) async fn wait_task(&self, id: &str) -> Result<ExitResult, DriverError> {
        let docker = self.docker()?.with_timeout(LONG_REQUEST);
        loop {
            let why = match wait_once(&docker, id).await {
                Waited::Exited(code) => return Ok(exit_result(&docker, id, code).await),
                Waited::Gone => return Ok(gone(id)),
                Waited::Lost(why) => why,
            };
            tracing::warn!(container = %id, reason = %why, "lost the Docker engine while waiting on a container; checking again");
            if let Some(done) = reconnect(&docker, id, &why).await? {
                return Ok(done);
            }
            tracing::info!(container = %id, "reached the Docker engine again; the container still runs");
        }
    }

    /// Stops the container: without a signal, `docker stop` (the image's
    /// stop signal, then SIGKILL after the timeout); with one, that signal,
    /// then SIGKILL if the container still runs after the timeout.
    pub(super) async fn stop_task(
        &self,
        id: &str,
        signal: &str,
        timeout: Duration,
    ) -> Result<(), DriverError> {
        let docker = self.docker()?;
        if signal.trim().is_empty() {
            return docker_stop(&docker, id, timeout).await;
        }
        let number = parse_signal(signal)?;
        if !kill(&docker, id, number).await? {
            return Ok(());
        }
        let waiter = docker.clone().with_timeout(LONG_REQUEST);
        if let Ok(Waited::Exited(_) | Waited::Gone) =
            tokio::time::timeout(timeout, wait_once(&waiter, id)).await
        {
            return Ok(());
        }
        kill(&docker, id, 9).await.map(|_| ())
    }

    /// Removes the container (when the client collects them) and ends its
    /// output follower. Without `gc_container` the container is only
    /// killed, so that nothing of the task keeps running.
    pub(super) async fn destroy_task(&self, id: &str) -> Result<(), DriverError> {
        let docker = self.docker()?;
        let result = if self.options.gc_container {
            let options = RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            match docker.remove_container(id, Some(options)).await {
                // 409: a removal is already under way.
                Err(e) if !matches!(status(&e), Some(404) | Some(409)) => {
                    Err(failed("remove container", &e))
                }
                _ => Ok(()),
            }
        } else {
            kill(&docker, id, 9).await.map(|_| ())
        };
        self.stop_following(id).await;
        result
    }

    pub(super) async fn signal_task(&self, id: &str, signal: &str) -> Result<(), DriverError> {
        let docker = self.docker()?;
        let number = parse_signal(signal)?;
        let options = KillContainerOptionsBuilder::default()
            .signal(&number.to_string())
            .build();
        match docker.kill_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if status(&e) == Some(404) => Err(DriverError::NotFound(id.to_string())),
            Err(e) => Err(failed("signal container", &e)),
        }
    }

    /// One sample of the container's resource use (the engine takes two
    /// readings for the CPU share, so this takes about a second).
    pub(super) async fn stats_task(&self, id: &str) -> Result<TaskUsage, DriverError> {
        let docker = self.docker()?;
        let options = StatsOptionsBuilder::default().stream(false).build();
        let mut samples = docker.stats(id, Some(options));
        match samples.next().await {
            Some(Ok(s)) => Ok(usage(&s)),
            Some(Err(e)) if status(&e) == Some(404) => Err(DriverError::NotFound(id.to_string())),
            Some(Err(e)) => Err(failed("read container stats", &e)),
            None => Err(DriverError::Recoverable(format!(
                "failed to read container stats: the engine sent none for {id}"
            ))),
        }
    }

    /// The containers labelled with `node_id`, running or not. An engine
    /// that cannot be asked owns nothing we could act on: empty.
    pub(super) async fn owned_tasks(&self, node_id: &str) -> Vec<TaskHandle> {
        let Ok(docker) = self.docker() else {
            return Vec::new();
        };
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{LABEL_NODE_ID}={node_id}")],
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        match docker.list_containers(Some(options)).await {
            Ok(list) => list.into_iter().filter_map(summary_handle).collect(),
            Err(e) => {
                tracing::warn!("cannot list the node's containers: {}", describe(&e));
                Vec::new()
            }
        }
    }
}

/// One wait request for "not running". bollard reports a non-zero exit
/// code as an error, which is turned back into an exit here.
async fn wait_once(docker: &Docker, id: &str) -> Waited {
    let options = WaitContainerOptionsBuilder::default()
        .condition("not-running")
        .build();
    let mut answers = docker.wait_container(id, Some(options));
    match answers.next().await {
        Some(Ok(r)) => Waited::Exited(r.status_code),
        Some(Err(EngineError::DockerContainerWaitError { code, .. })) => Waited::Exited(code),
        Some(Err(e)) if status(&e) == Some(404) => Waited::Gone,
        Some(Err(e)) => Waited::Lost(describe(&e)),
        None => Waited::Lost("the engine closed the wait without an answer".into()),
    }
}

/// How the container ended: its state's exit code and OOM flag (falling
/// back to the wait's code when it cannot be inspected). The engine does
/// not report a killing signal; by shell convention a code above 128 is
/// taken as 128 + the signal.
async fn exit_result(docker: &Docker, id: &str, waited_code: i64) -> ExitResult {
    let state = tokio::time::timeout(INSPECT_TIMEOUT, docker.inspect_container(id, None))
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|c| c.state);
    let exit_code = state
        .as_ref()
        .and_then(|s| s.exit_code)
        .unwrap_or(waited_code);
    let oom_killed = state.and_then(|s| s.oom_killed).unwrap_or(false);
    let signal = if (129..=128 + 64).contains(&exit_code) {
        exit_code - 128
    } else {
        0
    };
    ExitResult {
        exit_code,
        signal,
        oom_killed,
        err: None,
    }
}

fn gone(id: &str) -> ExitResult {
    ExitResult {
        exit_code: -1,
        signal: 0,
        oom_killed: false,
        err: Some(format!("container {id} no longer exists")),
    }
}

fn parse_signal(signal: &str) -> Result<i32, DriverError> {
    signal_number(signal)
        .ok_or_else(|| DriverError::Config(format!("docker: unknown signal {signal:?}")))
}

/// `docker stop` with the timeout rounded up to whole seconds (at least
/// one). The request lasts as long as the stop, so its client deadline is
/// the timeout plus [`STOP_SLACK`].
async fn docker_stop(docker: &Docker, id: &str, timeout: Duration) -> Result<(), DriverError> {
    let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    let secs = i32::try_from(secs.max(1)).unwrap_or(i32::MAX);
    let client = docker.clone().with_timeout(timeout + STOP_SLACK);
    let options = StopContainerOptionsBuilder::default().t(secs).build();
    match client.stop_container(id, Some(options)).await {
        // 304: already stopped; 404: already gone.
        Err(e) if !matches!(status(&e), Some(304) | Some(404)) => Err(failed("stop container", &e)),
        _ => Ok(()),
    }
}

/// Sends signal `number`; `Ok(false)` when the container is not running
/// (409) or gone (404).
async fn kill(docker: &Docker, id: &str, number: i32) -> Result<bool, DriverError> {
    let options = KillContainerOptionsBuilder::default()
        .signal(&number.to_string())
        .build();
    match docker.kill_container(id, Some(options)).await {
        Ok(()) => Ok(true),
        Err(e) if matches!(status(&e), Some(404) | Some(409)) => Ok(false),
        Err(e) => Err(failed("kill container", &e)),
    }
}

/// Memory: the resident set (cgroup v1 `rss`, v2 `anon`), else the usage.
/// CPU: the share of one core used between the engine's two readings
/// (100 = one full core), and the container's total CPU time in
/// nanoseconds as its ticks (the node's MHz are the caller's to apply).
fn usage(s: &ContainerStatsResponse) -> TaskUsage {
    let memory = s.memory_stats.as_ref();
    let stats = memory.and_then(|m| m.stats.as_ref());
    let rss = stats
        .and_then(|st| st.get("rss").or_else(|| st.get("anon")).copied())
        .or_else(|| memory.and_then(|m| m.usage))
        .unwrap_or(0);
    let total = |c: Option<&bollard::models::ContainerCpuStats>| {
        c.and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let system = |c: Option<&bollard::models::ContainerCpuStats>| {
        c.and_then(|c| c.system_cpu_usage).unwrap_or(0)
    };
    let (cpu, pre) = (s.cpu_stats.as_ref(), s.precpu_stats.as_ref());
    let cpu_delta = total(cpu).saturating_sub(total(pre)) as f64;
    let system_delta = system(cpu).saturating_sub(system(pre)) as f64;
    let cpus = cpu
        .and_then(|c| c.online_cpus)
        .filter(|n| *n > 0)
        .or_else(|| {
            cpu.and_then(|c| c.cpu_usage.as_ref())
                .and_then(|u| u.percpu_usage.as_ref())
                .map(|p| p.len() as u32)
        });
    let cpu_percent = if system_delta > 0.0 {
        cpu_delta / system_delta * f64::from(cpus.unwrap_or(1)) * 100.0
    } else {
        0.0
    };
    TaskUsage {
        memory_rss_bytes: rss,
        cpu_total_ticks: total(cpu) as f64,
        cpu_percent,
    }
}

/// A listed container as a handle; its labels say which task it runs.
fn summary_handle(c: ContainerSummary) -> Option<TaskHandle> {
    let id = c.id?;
    let labels = c.labels.unwrap_or_default();
    let mut details = BTreeMap::new();
    for (key, label) in [
        ("alloc_id", LABEL_ALLOC_ID),
        ("task_name", LABEL_TASK_NAME),
        ("image_ref", LABEL_IMAGE_REF),
    ] {
        if let Some(v) = labels.get(label) {
            details.insert(key.to_string(), v.clone());
        }
    }
    if let Some(image) = c.image_id {
        details.insert("image_id".to_string(), image);
    }
    Some(TaskHandle {
        driver: DRIVER_NAME.to_string(),
        id,
        started_at: c.created.unwrap_or(0).saturating_mul(1_000_000_000),
        details,
    })
}

/// After the engine was lost during a wait: inspects the container with
/// backoff until the engine answers. `None` when it still runs (wait
/// again), its exit when it ended meanwhile, an error when the engine
/// stays unreachable past [`ENGINE_GRACE`].
async fn reconnect(
    docker: &Docker,
    id: &str,
    why: &str,
) -> Result<Option<ExitResult>, DriverError> {
    let since = Instant::now();
    let mut backoff = Duration::from_millis(100);
    loop {
        match docker.inspect_container(id, None).await {
            Ok(c) if c.state.as_ref().and_then(|s| s.running) == Some(true) => return Ok(None),
            Ok(c) => {
                let code = c.state.and_then(|s| s.exit_code).unwrap_or(-1);
                return Ok(Some(exit_result(docker, id, code).await));
            }
            Err(e) if status(&e) == Some(404) => return Ok(Some(gone(id))),
            Err(e) if since.elapsed() >= ENGINE_GRACE => {
                return Err(DriverError::Recoverable(format!(
                    "failed to wait for container {id}: the engine stayed unreachable \
                     for {ENGINE_GRACE:?} ({why}; then {})",
                    describe(&e)
                )));
            }
            Err(e) => {
                tracing::debug!(container = %id, error = %describe(&e), "the Docker engine is still unreachable");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};

    #[test]
    fn usage_uses_the_two_readings() {
        let cpu = |total, system| ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        };
        let s = ContainerStatsResponse {
            cpu_stats: Some(cpu(300, 2000)),
            precpu_stats: Some(cpu(100, 1000)),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(9000),
                stats: Some(HashMap::from([("rss".to_string(), 4096)])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = usage(&s);
        assert_eq!(u.memory_rss_bytes, 4096);
        assert!((u.cpu_percent - 40.0).abs() < 1e-9, "{}", u.cpu_percent);
        assert_eq!(u.cpu_total_ticks, 300.0);
    }

    #[test]
    fn a_container_gone_is_an_exit_with_an_error() {
        let r = gone("abc");
        assert!(!r.successful());
        assert_eq!(r.exit_code, -1);
    }
}

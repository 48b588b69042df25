//! The raw_exec driver: a task is a process on the host, run with the
//! task's environment in the task directory, with no isolation at all
//! (hence off unless the client configuration enables it). Resource limits
//! (`cpu`, `memory`) are not enforced.
//!
//! Each task gets an executor: the `drover` binary itself, run as the
//! hidden `drover executor <spec file>` command in a session of its own
//! (see [`executor`]). The executor starts the task in a process group of
//! its own, copies its output into the task's log files and records its
//! end in a status file. Because of it the task survives the client agent,
//! even a SIGKILL of it: a restarted client re-attaches with
//! [`Driver::recover`] from the handle in its state, keeps waiting for the
//! end through the status files, and stops the task by signalling its
//! process group. No output is lost or duplicated meanwhile, since the
//! executor never stopped copying it.
//!
//! The handle's ID is the task's process ID, which is also its process
//! group ID; the details keep the status directory, the executor's process
//! ID and both processes' start times, which tell them from later processes
//! given the same IDs.

pub mod config;
pub mod executor;
pub mod files;
pub mod host;
mod instance;
mod launch;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::time::Instant;

use self::instance::{DRIVER_NAME, Instance, file_error, poll_until};
use super::{
    Driver, DriverError, DriverFingerprint, ExitResult, TaskHandle, TaskSpec, TaskUsage,
    signal_number,
};

/// How often [`Driver::wait`] looks for the task's end.
const WAIT_POLL: Duration = Duration::from_millis(100);
/// How long a SIGKILLed task may take to end before `stop` gives up.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// The result of a task whose end nobody recorded.
pub const LOST_EXIT: &str = "process exited while no executor watched it";

/// See the module documentation.
pub struct RawExecDriver {
    /// The `drover` binary, run as `<executor> executor <spec file>`.
    executor: PathBuf,
    enabled: bool,
    /// The last CPU reading per task, to turn tick counts into a percentage.
    cpu_samples: Mutex<HashMap<String, (Instant, u64)>>,
}

impl RawExecDriver {
    /// `executor` is the `drover` binary (the agent passes
    /// `std::env::current_exe()`); `enabled` comes from the client
    /// configuration.
    pub fn new(executor: PathBuf, enabled: bool) -> RawExecDriver {
        RawExecDriver {
            executor,
            enabled,
            cpu_samples: Mutex::new(HashMap::new()),
        }
    }

    async fn start_task(&self, spec: &TaskSpec) -> Result<TaskHandle, DriverError> {
        if !self.enabled {
            return Err(DriverError::Config(
                "raw_exec is disabled on this node: enable it in the client configuration \
                 (plugin \"raw_exec\" { config { enabled = true } })"
                    .into(),
            ));
        }
        if !spec.user.is_empty() {
            return Err(DriverError::Config(format!(
                "raw_exec cannot run a task as another user (user = {:?})",
                spec.user
            )));
        }
        let instance = launch::launch(&self.executor, spec).await?;
        Ok(instance.to_handle(crate::ids::now_nanos()))
    }

    async fn wait_task(&self, handle: &TaskHandle) -> Result<ExitResult, DriverError> {
        let instance = Instance::from_handle(handle)?;
        loop {
            if let Some(record) = instance.exit()? {
                return Ok(record.result);
            }
            if !instance.task_running()? && !instance.executor_running()? {
                // The executor writes the file before it exits: look again.
                if let Some(record) = instance.exit()? {
                    return Ok(record.result);
                }
                return Ok(ExitResult {
                    exit_code: -1,
                    err: Some(LOST_EXIT.into()),
                    ..ExitResult::default()
                });
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }

    async fn stop_task(
        &self,
        handle: &TaskHandle,
        signal: &str,
        timeout: Duration,
    ) -> Result<(), DriverError> {
        let instance = Instance::from_handle(handle)?;
        let sig = if signal.trim().is_empty() {
            libc::SIGTERM
        } else {
            parse_signal(signal)?
        };
        if instance.task_ended()? {
            return Ok(());
        }
        instance.signal_group(sig)?;
        if poll_until(timeout, || instance.task_ended()).await? {
            return Ok(());
        }
        instance.signal_group(libc::SIGKILL)?;
        if poll_until(KILL_GRACE, || instance.task_ended()).await? {
            return Ok(());
        }
        Err(DriverError::Recoverable(format!(
            "raw_exec: process {} still runs after SIGKILL",
            instance.pids.pid
        )))
    }

    async fn destroy_task(&self, handle: &TaskHandle) -> Result<(), DriverError> {
        let instance = Instance::from_handle(handle)?;
        instance.end().await?;
        self.forget_cpu(handle);
        files::remove_dir(&instance.paths).map_err(file_error)
    }

    fn signal_task(&self, handle: &TaskHandle, signal: &str) -> Result<(), DriverError> {
        let instance = Instance::from_handle(handle)?;
        let sig = parse_signal(signal)?;
        if instance.task_ended()? || !instance.signal_group(sig)? {
            return Err(DriverError::NotFound(format!(
                "raw_exec: process {} is not running",
                instance.pids.pid
            )));
        }
        Ok(())
    }

    /// Memory and CPU of the task's main process only (its children are
    /// not counted): raw_exec puts the task in no cgroup that would sum
    /// them.
    fn task_stats(&self, handle: &TaskHandle) -> Result<TaskUsage, DriverError> {
        let instance = Instance::from_handle(handle)?;
        let not_running = || {
            DriverError::NotFound(format!(
                "raw_exec: process {} is not running",
                instance.pids.pid
            ))
        };
        if !instance.task_running()? {
            return Err(not_running());
        }
        let proc_error = |e: std::io::Error| DriverError::Recoverable(format!("raw_exec: {e}"));
        let stat = host::read_stat(instance.pids.pid)
            .map_err(proc_error)?
            .ok_or_else(not_running)?;
        let rss = host::rss_bytes(instance.pids.pid)
            .map_err(proc_error)?
            .ok_or_else(not_running)?;
        let ticks = stat.utime + stat.stime;
        Ok(TaskUsage {
            memory_rss_bytes: rss,
            cpu_total_ticks: ticks as f64,
            cpu_percent: self.cpu_percent(handle, ticks),
        })
    }

    /// The CPU use since the previous reading of the same task, in percent
    /// of one core; 0 on the first reading.
    fn cpu_percent(&self, handle: &TaskHandle, ticks: u64) -> f64 {
        let now = Instant::now();
        let key = cpu_key(handle);
        let mut samples = self.cpu_samples.lock().unwrap_or_else(|e| e.into_inner());
        let previous = samples.insert(key, (now, ticks));
        let Some((then, old_ticks)) = previous else {
            return 0.0;
        };
        let secs = now.duration_since(then).as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        let used = ticks.saturating_sub(old_ticks) as f64 / host::clock_ticks_per_second() as f64;
        used / secs * 100.0
    }

    fn forget_cpu(&self, handle: &TaskHandle) {
        let mut samples = self.cpu_samples.lock().unwrap_or_else(|e| e.into_inner());
        samples.remove(&cpu_key(handle));
    }
}

fn cpu_key(handle: &TaskHandle) -> String {
    let start = handle.details.get("start_time").map_or("", String::as_str);
    format!("{}@{start}", handle.id)
}

fn parse_signal(signal: &str) -> Result<i32, DriverError> {
    signal_number(signal)
        .ok_or_else(|| DriverError::Config(format!("raw_exec: unknown signal {signal:?}")))
}

impl Driver for RawExecDriver {
    fn name(&self) -> &'static str {
        DRIVER_NAME
    }

    /// Always detected (it needs nothing but the host); healthy, and
    /// advertised as `driver.raw_exec = 1`, only when enabled.
    fn fingerprint(&self) -> BoxFuture<'_, DriverFingerprint> {
        let mut attributes = BTreeMap::new();
        if self.enabled {
            attributes.insert("driver.raw_exec".to_string(), "1".to_string());
        }
        let description = if self.enabled {
            "Healthy"
        } else {
            "disabled in the client configuration"
        };
        futures::future::ready(DriverFingerprint {
            detected: true,
            healthy: self.enabled,
            description: description.to_string(),
            attributes,
        })
        .boxed()
    }

    fn start<'a>(&'a self, spec: &'a TaskSpec) -> BoxFuture<'a, Result<TaskHandle, DriverError>> {
        self.start_task(spec).boxed()
    }

    /// `Ok(true)` while the task's main process runs. There is nothing to
    /// resume: the executor kept copying the output and will record the
    /// end; [`Driver::wait`] reads it from the status files.
    fn recover<'a>(
        &'a self,
        handle: &'a TaskHandle,
        _spec: &'a TaskSpec,
    ) -> BoxFuture<'a, Result<bool, DriverError>> {
        async move {
            let instance = Instance::from_handle(handle)?;
            if instance.exit()?.is_some() {
                return Ok(false);
            }
            instance.task_running()
        }
        .boxed()
    }

    fn wait<'a>(
        &'a self,
        handle: &'a TaskHandle,
    ) -> BoxFuture<'a, Result<ExitResult, DriverError>> {
        self.wait_task(handle).boxed()
    }

    fn stop<'a>(
        &'a self,
        handle: &'a TaskHandle,
        signal: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        self.stop_task(handle, signal, timeout).boxed()
    }

    fn destroy<'a>(&'a self, handle: &'a TaskHandle) -> BoxFuture<'a, Result<(), DriverError>> {
        self.destroy_task(handle).boxed()
    }

    fn signal<'a>(
        &'a self,
        handle: &'a TaskHandle,
        signal: &'a str,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        futures::future::ready(self.signal_task(handle, signal)).boxed()
    }

    fn stats<'a>(
        &'a self,
        handle: &'a TaskHandle,
    ) -> BoxFuture<'a, Result<TaskUsage, DriverError>> {
        futures::future::ready(self.task_stats(handle)).boxed()
    }

    /// Always empty: a raw_exec task carries no label to find it by on the
    /// host (scanning every process would be guesswork), so the client
    /// knows its raw_exec tasks from its own state only.
    fn owned<'a>(&'a self, _node_id: &'a str) -> BoxFuture<'a, Vec<TaskHandle>> {
        futures::future::ready(Vec::new()).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fingerprint_follows_the_enabled_flag() {
        let on = RawExecDriver::new("/bin/false".into(), true)
            .fingerprint()
            .await;
        assert!(on.detected && on.healthy);
        assert_eq!(
            on.attributes.get("driver.raw_exec").map(String::as_str),
            Some("1")
        );
        let off = RawExecDriver::new("/bin/false".into(), false)
            .fingerprint()
            .await;
        assert!(off.detected && !off.healthy);
        assert!(off.attributes.is_empty());
    }

    #[test]
    fn signals_parse_or_fail_as_config() {
        assert_eq!(parse_signal("SIGINT").unwrap(), libc::SIGINT);
        assert!(matches!(
            parse_signal("SIGNOPE"),
            Err(DriverError::Config(_))
        ));
    }
}

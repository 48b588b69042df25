//! One started task as the driver finds it again from a handle: its status
//! files and its processes.

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use super::files::{self, ExitRecord, Pids, StatusPaths};
use super::host;
use crate::client::driver::{DriverError, TaskHandle};

pub const DRIVER_NAME: &str = "raw_exec";

const DETAIL_STATUS_DIR: &str = "status_dir";
const DETAIL_START_TIME: &str = "start_time";
const DETAIL_EXECUTOR_PID: &str = "executor_pid";
const DETAIL_EXECUTOR_START_TIME: &str = "executor_start_time";

/// How often the state of a task is looked at while waiting for a change.
pub const POLL: Duration = Duration::from_millis(20);

/// How long an executor may take to record the end of a task whose group
/// was killed (it copies the last output for up to 2 s).
const EXECUTOR_GRACE: Duration = Duration::from_secs(3);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub paths: StatusPaths,
    pub pids: Pids,
}

fn bad_handle(handle: &TaskHandle, what: &str) -> DriverError {
    DriverError::NotFound(format!("raw_exec handle {:?}: {what}", handle.id))
}

pub fn file_error(e: files::FileError) -> DriverError {
    DriverError::Recoverable(format!("raw_exec: {e}"))
}

fn proc_error(e: std::io::Error) -> DriverError {
    DriverError::Recoverable(format!("raw_exec: reading /proc: {e}"))
}

impl Instance {
    /// Reads back what [`Instance::to_handle`] stored.
    pub fn from_handle(handle: &TaskHandle) -> Result<Instance, DriverError> {
        if handle.driver != DRIVER_NAME {
            return Err(bad_handle(handle, "not a raw_exec handle"));
        }
        let detail = |key: &str| {
            handle
                .details
                .get(key)
                .ok_or_else(|| bad_handle(handle, &format!("no {key}")))
        };
        let number = |key: &str| -> Result<u64, DriverError> {
            detail(key)?
                .parse()
                .map_err(|_| bad_handle(handle, &format!("invalid {key}")))
        };
        let pid = |text: &str, key: &str| -> Result<i32, DriverError> {
            text.parse::<i32>()
                .ok()
                .filter(|p| *p > 1)
                .ok_or_else(|| bad_handle(handle, &format!("invalid {key}")))
        };
        Ok(Instance {
            paths: StatusPaths {
                dir: PathBuf::from(detail(DETAIL_STATUS_DIR)?),
            },
            pids: Pids {
                pid: pid(&handle.id, "process ID")?,
                start_time: number(DETAIL_START_TIME)?,
                executor_pid: pid(detail(DETAIL_EXECUTOR_PID)?, DETAIL_EXECUTOR_PID)?,
                executor_start_time: number(DETAIL_EXECUTOR_START_TIME)?,
            },
        })
    }

    pub fn to_handle(&self, started_at: i64) -> TaskHandle {
        let details = [
            (
                DETAIL_STATUS_DIR,
                self.paths.dir.to_string_lossy().into_owned(),
            ),
            (DETAIL_START_TIME, self.pids.start_time.to_string()),
            (DETAIL_EXECUTOR_PID, self.pids.executor_pid.to_string()),
            (
                DETAIL_EXECUTOR_START_TIME,
                self.pids.executor_start_time.to_string(),
            ),
        ];
        TaskHandle {
            driver: DRIVER_NAME.to_string(),
            id: self.pids.pid.to_string(),
            started_at,
            details: details
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// The executor's record of the task's end, once written.
    pub fn exit(&self) -> Result<Option<ExitRecord>, DriverError> {
        files::read_json(&self.paths.exit()).map_err(file_error)
    }

    /// Whether the task's main process runs (a zombie has ended).
    pub fn task_running(&self) -> Result<bool, DriverError> {
        host::is_running(self.pids.pid, self.pids.start_time).map_err(proc_error)
    }

    pub fn executor_running(&self) -> Result<bool, DriverError> {
        host::is_running(self.pids.executor_pid, self.pids.executor_start_time).map_err(proc_error)
    }

    /// Whether the task's main process has ended (recorded or not).
    pub fn task_ended(&self) -> Result<bool, DriverError> {
        Ok(self.exit()?.is_some() || !self.task_running()?)
    }

    /// Signals the task's process group. Only while its leader still exists
    /// as the process we started (running or a zombie): once the leader is
    /// gone, its ID, and so the group ID, may belong to someone else.
    /// `Ok(false)` when there was nothing to signal.
    pub fn signal_group(&self, sig: i32) -> Result<bool, DriverError> {
        let leader = host::read_stat(self.pids.pid).map_err(proc_error)?;
        let ours = leader.is_some_and(|s| s.start_time == self.pids.start_time);
        if !ours {
            return Ok(false);
        }
        host::signal_group(self.pids.pid, sig).map_err(|e| {
            DriverError::Recoverable(format!(
                "raw_exec: signalling process group {}: {e}",
                self.pids.pid
            ))
        })
    }

    /// Kills the task and makes sure its executor is gone too, so it cannot
    /// write into a status directory that a later start of the same task
    /// reuses. An executor still there after [`EXECUTOR_GRACE`] is killed.
    pub async fn end(&self) -> Result<(), DriverError> {
        if self.exit()?.is_none() {
            self.signal_group(libc::SIGKILL)?;
        }
        let gone = |i: &Instance| Ok(!i.executor_running()? && !i.task_running()?);
        if poll_until(EXECUTOR_GRACE, || gone(self)).await? {
            return Ok(());
        }
        if self.executor_running()? {
            let _ = host::signal_process(self.pids.executor_pid, libc::SIGKILL);
        }
        poll_until(EXECUTOR_GRACE, || gone(self)).await?;
        Ok(())
    }
}

/// Polls `done` every [`POLL`] until it holds (`true`) or `limit` passes
/// (`false`).
pub async fn poll_until(
    limit: Duration,
    mut done: impl FnMut() -> Result<bool, DriverError>,
) -> Result<bool, DriverError> {
    let deadline = Instant::now() + limit;
    loop {
        if done()? {
            return Ok(true);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> Instance {
        Instance {
            paths: StatusPaths {
                dir: "/data/alloc/a1/web/.raw_exec".into(),
            },
            pids: Pids {
                pid: 4242,
                start_time: 99,
                executor_pid: 4241,
                executor_start_time: 98,
            },
        }
    }

    #[test]
    fn handles_round_trip() {
        let h = instance().to_handle(5);
        assert_eq!(h.driver, "raw_exec");
        assert_eq!(h.id, "4242");
        assert_eq!(h.details["start_time"], "99");
        assert_eq!(h.details["executor_pid"], "4241");
        assert_eq!(Instance::from_handle(&h).unwrap(), instance());
    }

    #[test]
    fn malformed_handles_are_refused() {
        let mut h = instance().to_handle(5);
        h.id = "1".into();
        assert!(matches!(
            Instance::from_handle(&h),
            Err(DriverError::NotFound(_))
        ));
        let mut h = instance().to_handle(5);
        h.details.remove("start_time");
        assert!(Instance::from_handle(&h).is_err());
        let mut h = instance().to_handle(5);
        h.driver = "docker".into();
        assert!(Instance::from_handle(&h).is_err());
    }
}

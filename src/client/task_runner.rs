//! One task's life on the client: start it through its driver (or
//! re-attach after a client restart), wait for it to end however it ends,
//! and restart it by the restart policy, reporting every step as a task
//! event. Killing (the allocation stops), restarting and signalling come
//! in as [`TaskCmd`]s; `detach` (the client itself stopping) leaves the
//! task running for the next client to recover.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::alloc_runner::ControlError;
use super::driver::{DETAIL_IP_ADDRESS, Driver, DriverError, ExitResult, TaskHandle, TaskSpec};
use super::restart::{Decision, RestartTracker};
use super::state::{ClientState, StoredTask};
use super::task_events::{self as ev, TASK_DEAD, TASK_PENDING, TASK_RUNNING, event, push};
use crate::structs::TaskState;

/// A request to a running task.
#[derive(Debug)]
pub enum TaskCmd {
    /// Stop for good (the allocation is stopping).
    Kill,
    /// Stop and start again, outside the restart policy.
    Restart,
    /// A health check failed `check_restart`'s limit: stop, and start
    /// again through the restart policy (a failure). Carries the reason.
    CheckRestart(String),
    /// Send a signal; the answer says whether it was delivered.
    Signal(String, oneshot::Sender<Result<(), ControlError>>),
    /// Answer with the running instance, if the task runs now.
    Live(oneshot::Sender<Option<LiveTask>>),
}

/// A task's running instance: what reading its resource use needs.
pub struct LiveTask {
    pub driver: Arc<dyn Driver>,
    pub handle: TaskHandle,
}

impl std::fmt::Debug for LiveTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveTask")
            .field("driver", &self.driver.name())
            .field("handle", &self.handle)
            .finish()
    }
}

/// Extra time, past the kill timeout, to wait for a stopped task to be
/// seen gone before giving up on it.
const STOP_SLACK: Duration = Duration::from_secs(10);

/// Everything one task runner needs.
pub struct TaskRunner {
    pub driver: Arc<dyn Driver>,
    pub state: ClientState,
    pub spec: TaskSpec,
    pub kill_signal: String,
    pub kill_timeout: Duration,
    pub tracker: RestartTracker,
    /// What the client's state held for this task (after a restart).
    pub restored: Option<StoredTask>,
    /// The task's state, published (with the task's name) after every
    /// change.
    pub out: mpsc::UnboundedSender<(String, TaskState)>,
    pub cmds: mpsc::Receiver<TaskCmd>,
    /// The client is stopping: leave the task running.
    pub detach: CancellationToken,
    /// The task's own network address (as its driver gives it), by task
    /// name, shared with the allocation's runner for its services.
    pub addresses: DriverAddresses,
}

/// Each task's own network address, by task name.
pub type DriverAddresses = Arc<std::sync::Mutex<BTreeMap<String, String>>>;

/// How waiting on a running task ended.
enum Outcome {
    Exited(ExitResult),
    Killed,
    Restart,
    CheckFailed,
    Detached,
}

impl TaskRunner {
    fn alloc_id(&self) -> &str {
        &self.spec.alloc_id
    }

    async fn save(&self, ts: &TaskState, handle: Option<&TaskHandle>, durable: bool) {
        let _ = self.out.send((self.spec.task_name.clone(), ts.clone()));
        let stored = StoredTask {
            handle: handle.cloned(),
            state: ts.clone(),
        };
        if let Err(e) = self
            .state
            .put_task(self.alloc_id(), &self.spec.task_name, &stored, durable)
            .await
        {
            tracing::error!(alloc = %self.alloc_id(), task = %self.spec.task_name, error = %e, "cannot record the task's state");
        }
    }

    /// Runs the task until it is dead for good or the client detaches.
    pub async fn run(mut self) {
        let (mut ts, mut handle) = match self.restored.take() {
            Some(s) => (s.state, s.handle),
            None => {
                let mut ts = TaskState {
                    state: TASK_PENDING.into(),
                    ..TaskState::default()
                };
                push(&mut ts, event(ev::RECEIVED, "Task received by client"));
                push(&mut ts, event(ev::TASK_SETUP, "Building Task Directory"));
                (ts, None)
            }
        };
        if ts.state == TASK_DEAD {
            let _ = self.out.send((self.spec.task_name.clone(), ts));
            return;
        }
        self.save(&ts, handle.as_ref(), false).await;
        loop {
            let running = match handle.take() {
                Some(h) => self.reattach(&mut ts, h).await,
                None => self.start(&mut ts).await,
            };
            let decision = match running {
                Ok(h) => match self.watch(&mut ts, &h).await {
                    Outcome::Detached => return,
                    Outcome::Killed => {
                        self.finish(&mut ts, false).await;
                        return;
                    }
                    Outcome::Restart => {
                        ts.restarts += 1;
                        ts.last_restart = ev::now_rfc3339();
                        push(&mut ts, ev::restarting(Duration::ZERO, "Restart signaled"));
                        ts.state = TASK_PENDING.into();
                        self.save(&ts, None, true).await;
                        continue;
                    }
                    // `stop` already removed it.
                    Outcome::CheckFailed => self.tracker.on_check_failure(Instant::now()),
                    Outcome::Exited(exit) => {
                        push(&mut ts, ev::terminated(&exit));
                        self.destroy(&h).await;
                        self.tracker.on_exit(Instant::now(), &exit)
                    }
                },
                Err(e) => {
                    let mut failure = event(ev::DRIVER_FAILURE, e.to_string());
                    failure.driver_error = e.to_string();
                    push(&mut ts, failure);
                    self.tracker.on_start_error(Instant::now(), e.recoverable())
                }
            };
            match decision {
                Decision::Restart { delay, reason } => {
                    push(&mut ts, ev::restarting(delay, &reason));
                    ts.state = TASK_PENDING.into();
                    self.save(&ts, None, true).await;
                    if !self.pause(&mut ts, delay).await {
                        return;
                    }
                    ts.restarts += 1;
                    ts.last_restart = ev::now_rfc3339();
                }
                Decision::NoRestart { reason, failed } => {
                    if failed {
                        let mut e = event(ev::NOT_RESTARTING, reason);
                        e.fails_task = true;
                        push(&mut ts, e);
                    }
                    self.finish(&mut ts, failed).await;
                    return;
                }
            }
        }
    }

    /// Waits out a restart delay; false when the task was killed (then it
    /// is recorded dead) or the client detached.
    async fn pause(&mut self, ts: &mut TaskState, delay: Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return true,
                _ = self.detach.cancelled() => return false,
                cmd = self.cmds.recv() => match cmd {
                    Some(TaskCmd::Restart) => return true,
                    // Not running: nothing for a check to restart.
                    Some(TaskCmd::CheckRestart(_)) => {}
                    Some(TaskCmd::Signal(_, reply)) => {
                        let _ = reply.send(Err(ControlError::NotRunning(self.spec.task_name.clone())));
                    }
                    Some(TaskCmd::Live(reply)) => {
                        let _ = reply.send(None);
                    }
                    Some(TaskCmd::Kill) | None => {
                        push(ts, event(ev::KILLED, "Task successfully killed"));
                        self.finish(ts, false).await;
                        return false;
                    }
                },
            }
        }
    }

    /// Records the address the driver gave the task (before its running
    /// state is published, so that its services see it).
    fn note_address(&self, h: &TaskHandle) {
        let mut map = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
        match h.details.get(DETAIL_IP_ADDRESS) {
            Some(ip) => map.insert(self.spec.task_name.clone(), ip.clone()),
            None => map.remove(&self.spec.task_name),
        };
    }

    async fn finish(&self, ts: &mut TaskState, failed: bool) {
        ts.state = TASK_DEAD.into();
        ts.failed = failed;
        ts.finished_at = ev::now_rfc3339();
        self.save(ts, None, true).await;
    }

    async fn start(&self, ts: &mut TaskState) -> Result<TaskHandle, DriverError> {
        let h = self.driver.start(&self.spec).await?;
        self.note_address(&h);
        ts.state = TASK_RUNNING.into();
        ts.started_at = ev::now_rfc3339();
        ts.finished_at = None;
        push(ts, event(ev::STARTED, "Task started by client"));
        // On disk before anything relies on it: a client killed now finds
        // the task when it comes back.
        self.save(ts, Some(&h), true).await;
        Ok(h)
    }

    /// After a client restart: the task still runs (keep waiting on it),
    /// or it ended while no client watched (report how, if the driver
    /// knows), or it cannot be found (start again).
    async fn reattach(&self, ts: &mut TaskState, h: TaskHandle) -> Result<TaskHandle, DriverError> {
        match self.driver.recover(&h, &self.spec).await {
            Ok(true) => {
                self.note_address(&h);
                tracing::info!(alloc = %self.alloc_id(), task = %self.spec.task_name, id = %h.id, "re-attached to running task");
                Ok(h)
            }
            Ok(false) => {
                let exit = match tokio::time::timeout(STOP_SLACK, self.driver.wait(&h)).await {
                    Ok(Ok(exit)) => exit,
                    _ => ExitResult {
                        exit_code: -1,
                        err: Some("the task ended while the client was down".into()),
                        ..ExitResult::default()
                    },
                };
                push(ts, ev::terminated(&exit));
                self.destroy(&h).await;
                self.start(ts).await
            }
            Err(e) => {
                push(ts, event(ev::FAILED_RESTORING, e.to_string()));
                self.destroy(&h).await;
                self.start(ts).await
            }
        }
    }

    async fn destroy(&self, h: &TaskHandle) {
        if let Err(e) = self.driver.destroy(h).await {
            tracing::warn!(alloc = %self.alloc_id(), task = %self.spec.task_name, error = %e, "cannot remove the task's remains");
        }
    }

    /// Waits on a running task, serving commands meanwhile.
    async fn watch(&mut self, ts: &mut TaskState, h: &TaskHandle) -> Outcome {
        let driver = self.driver.clone();
        let wait = driver.wait(h);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                exit = &mut wait => {
                    return Outcome::Exited(exit.unwrap_or_else(|e| ExitResult {
                        exit_code: -1,
                        err: Some(e.to_string()),
                        ..ExitResult::default()
                    }));
                }
                _ = self.detach.cancelled() => return Outcome::Detached,
                cmd = self.cmds.recv() => match cmd {
                    Some(TaskCmd::Signal(sig, reply)) => {
                        push(ts, event(ev::SIGNALING, format!("Task being sent signal {sig}")));
                        self.save(ts, Some(h), false).await;
                        let r = self
                            .driver
                            .signal(h, &sig)
                            .await
                            .map_err(|e| ControlError::Driver(e.to_string()));
                        let _ = reply.send(r);
                    }
                    Some(TaskCmd::Live(reply)) => {
                        let _ = reply.send(Some(LiveTask {
                            driver: self.driver.clone(),
                            handle: h.clone(),
                        }));
                    }
                    Some(TaskCmd::Restart) => {
                        push(ts, event(ev::RESTART_SIGNALED, "User requested task to restart"));
                        self.stop(ts, h, &mut wait).await;
                        return Outcome::Restart;
                    }
                    Some(TaskCmd::CheckRestart(reason)) => {
                        let mut e = event(ev::RESTART_SIGNALED, reason.clone());
                        e.restart_reason = reason;
                        push(ts, e);
                        self.stop(ts, h, &mut wait).await;
                        return Outcome::CheckFailed;
                    }
                    Some(TaskCmd::Kill) | None => {
                        self.stop(ts, h, &mut wait).await;
                        push(ts, event(ev::KILLED, "Task successfully killed"));
                        return Outcome::Killed;
                    }
                },
            }
        }
    }

    /// Stops the task with its kill signal and timeout, waits for it to be
    /// gone, and removes it.
    async fn stop<F>(&self, ts: &mut TaskState, h: &TaskHandle, wait: &mut std::pin::Pin<&mut F>)
    where
        F: std::future::Future<Output = Result<ExitResult, DriverError>>,
    {
        let signal = if self.kill_signal.is_empty() {
            "SIGTERM"
        } else {
            &self.kill_signal
        };
        push(
            ts,
            event(
                ev::KILLING,
                format!(
                    "Sent interrupt. Waiting {} before force killing",
                    crate::jobspec::format_duration(self.kill_timeout.as_nanos() as i64)
                ),
            ),
        );
        self.save(ts, Some(h), false).await;
        if let Err(e) = self
            .driver
            .stop(h, &self.kill_signal, self.kill_timeout)
            .await
        {
            tracing::warn!(alloc = %self.alloc_id(), task = %self.spec.task_name, signal, error = %e, "stopping the task failed");
        }
        let _ = tokio::time::timeout(self.kill_timeout + STOP_SLACK, wait.as_mut()).await;
        self.destroy(h).await;
    }
}

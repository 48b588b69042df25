//! One allocation on the client: builds its directories, runs a task
//! runner per task, derives the allocation's client status from its
//! tasks' states and reports it, follows the servers' changes to the
//! allocation (a stop kills its tasks), and destroys it when asked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::ClientShared;
use super::allocdir::AllocDir;
use super::restart::{RestartTracker, effective_policy};
use super::services;
use super::state::StoredTask;
use super::task_events::{self as ev, TASK_DEAD, TASK_PENDING, TASK_RUNNING, alloc_status};
use super::task_runner::{DriverAddresses, LiveTask, TaskCmd, TaskRunner};
use super::task_spec::{self, SpecInputs};
use crate::structs::rpc::AllocClientUpdate;
use crate::structs::{Allocation, CHECK_CRITICAL, TaskState};

/// Why a request to an allocation (restart, signal, stats) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// This client runs no such allocation (Nomad's text).
    #[error("Unknown allocation {0:?}")]
    UnknownAlloc(String),
    /// The allocation's task group has no such task.
    #[error("Unknown task {0:?}: the allocation has no task of that name")]
    UnknownTask(String),
    /// The task exists but is not running now (dead, or waiting to restart).
    #[error("Task {0:?} is not running")]
    NotRunning(String),
    /// The allocation's runner ended while the request was under way.
    #[error("The allocation stopped while the request was being handled")]
    Stopped,
    /// The driver could not do it.
    #[error("{0}")]
    Driver(String),
}

/// The live tasks of an allocation, each answering with its running
/// instance (None when it is not running).
pub type LiveTasks = Vec<(String, oneshot::Receiver<Option<LiveTask>>)>;

/// A request to an allocation runner.
#[derive(Debug)]
pub enum AllocCmd {
    /// The servers changed the allocation.
    Update(Arc<Allocation>),
    /// Restart one task (or all of them).
    Restart(Option<String>, oneshot::Sender<Result<(), ControlError>>),
    /// Signal one task (or all of them).
    Signal(
        Option<String>,
        String,
        oneshot::Sender<Result<(), ControlError>>,
    ),
    /// Ask every task for its running instance. The answer comes at once
    /// and the tasks answer on their own channels, so that the slow work
    /// done with the instances (reading resource use) blocks no runner.
    Live(oneshot::Sender<LiveTasks>),
    /// Stop everything and remove what is left; answers when done.
    Destroy(oneshot::Sender<()>),
}

/// The handle the client keeps on a running allocation runner.
pub struct AllocRunnerHandle {
    pub cmds: mpsc::UnboundedSender<AllocCmd>,
    /// The allocation as last received.
    pub alloc: Arc<Allocation>,
    pub done: tokio::task::JoinHandle<()>,
}

struct AllocRunner {
    shared: Arc<ClientShared>,
    alloc: Arc<Allocation>,
    dir: AllocDir,
    tasks: BTreeMap<String, mpsc::Sender<TaskCmd>>,
    states: BTreeMap<String, TaskState>,
    reported: Option<(String, String)>,
    killing: bool,
    detach: CancellationToken,
    /// The health checks of the registrations wanted now.
    checks: services::checks::CheckSet,
    /// What checks need of each started task.
    task_ctx: BTreeMap<String, services::checks::TaskCtx>,
    /// The tasks' own addresses, as their drivers gave them.
    addresses: DriverAddresses,
}

/// Starts a runner for `alloc`; `restored` holds what the client's state
/// kept of its tasks after a restart.
pub fn spawn(
    shared: Arc<ClientShared>,
    alloc: Arc<Allocation>,
    restored: BTreeMap<String, StoredTask>,
    detach: CancellationToken,
) -> AllocRunnerHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let dir = AllocDir::new(&shared.alloc_base, &alloc.id);
    let runner = AllocRunner {
        shared: shared.clone(),
        alloc: alloc.clone(),
        dir,
        tasks: BTreeMap::new(),
        states: BTreeMap::new(),
        reported: None,
        killing: false,
        detach,
        checks: services::checks::CheckSet::new(&alloc.id, shared.services.clone()),
        task_ctx: BTreeMap::new(),
        addresses: DriverAddresses::default(),
    };
    let done = tokio::spawn(runner.run(rx, restored));
    AllocRunnerHandle {
        cmds: tx,
        alloc,
        done,
    }
}

impl AllocRunner {
    async fn run(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<AllocCmd>,
        restored: BTreeMap<String, StoredTask>,
    ) {
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        if let Err(e) = self.shared.state.put_alloc(&self.alloc) {
            tracing::error!(alloc = %self.alloc.id, error = %e, "cannot record the allocation");
        }
        self.start_tasks(restored, out_tx);
        let setup_failed = self
            .states
            .values()
            .any(|s| s.state == TASK_DEAD && s.failed);
        if self.alloc.server_terminal() || setup_failed {
            self.kill_all();
        }
        loop {
            tokio::select! {
                _ = self.detach.cancelled() => return,
                Some((task, ts)) = out_rx.recv() => self.task_changed(task, ts),
                cmd = cmds.recv() => match cmd {
                    Some(AllocCmd::Update(a)) => self.update(a),
                    Some(AllocCmd::Restart(task, reply)) => {
                        let r = self.each_task(task.as_deref(), |_| TaskCmd::Restart).await;
                        let _ = reply.send(r);
                    }
                    Some(AllocCmd::Signal(task, sig, reply)) => {
                        let r = self.signal(task.as_deref(), &sig).await;
                        let _ = reply.send(r);
                    }
                    Some(AllocCmd::Live(reply)) => {
                        let _ = reply.send(self.live());
                    }
                    Some(AllocCmd::Destroy(reply)) => {
                        self.destroy(&mut out_rx).await;
                        let _ = reply.send(());
                        return;
                    }
                    None => return,
                },
            }
        }
    }

    /// Builds the directories and starts a runner per task. A task that
    /// cannot be set up is recorded as failed with the reason.
    fn start_tasks(
        &mut self,
        mut restored: BTreeMap<String, StoredTask>,
        out: mpsc::UnboundedSender<(String, TaskState)>,
    ) {
        let alloc = self.alloc.clone();
        let Some(job) = alloc.job.clone() else {
            self.fail_setup("the allocation carries no job");
            return;
        };
        let Some(group) = job.task_group(&alloc.task_group).cloned() else {
            self.fail_setup(&format!("the job has no task group {:?}", alloc.task_group));
            return;
        };
        // Stopped before this client ever ran it: nothing to start.
        if alloc.server_terminal() && restored.is_empty() {
            for task in &group.tasks {
                let ts = TaskState {
                    state: TASK_DEAD.into(),
                    finished_at: ev::now_rfc3339(),
                    ..TaskState::default()
                };
                self.states.insert(task.name.clone(), ts);
            }
            self.report();
            return;
        }
        if let Err(e) = self.dir.build(group.tasks.iter().map(|t| t.name.as_str())) {
            self.fail_setup(&format!(
                "cannot build the allocation directory {}: {e}",
                self.dir.root.display()
            ));
            return;
        }
        if let Err(e) = super::dispatch_payload::write(&self.dir, &job, &group) {
            self.fail_setup(&e);
            return;
        }
        let node = self.shared.node();
        let inputs = SpecInputs {
            alloc: &alloc,
            job: &job,
            group: &group,
            node: &node,
            region: &self.shared.config.region,
            dir: &self.dir,
        };
        for task in &group.tasks {
            let prior = restored.remove(&task.name);
            let Some(driver) = self.shared.drivers.get(&task.driver).cloned() else {
                let mut ts = prior.map(|p| p.state).unwrap_or_default();
                let mut e = ev::event(
                    ev::SETUP_FAILURE,
                    format!(
                        "unknown driver {:?} (this node has: {})",
                        task.driver,
                        self.shared.driver_names()
                    ),
                );
                e.fails_task = true;
                e.setup_error = e.message.clone();
                ev::push(&mut ts, e);
                ts.state = TASK_DEAD.into();
                ts.failed = true;
                ts.finished_at = ev::now_rfc3339();
                self.states.insert(task.name.clone(), ts);
                continue;
            };
            let spec = task_spec::build(&inputs, task);
            let policy = effective_policy(&group, task, &job.job_type);
            let (tx, rx) = mpsc::channel(8);
            self.task_ctx.insert(
                task.name.clone(),
                services::checks::TaskCtx {
                    driver: task.driver.clone(),
                    env: spec.env.clone(),
                    dir: spec.task_dir.clone(),
                    cmds: tx.clone(),
                },
            );
            let runner = TaskRunner {
                driver,
                state: self.shared.state.clone(),
                spec,
                kill_signal: task.kill_signal.clone(),
                kill_timeout: task_spec::kill_timeout(task, self.shared.config.max_kill_timeout),
                tracker: RestartTracker::new(&policy, &job.job_type),
                restored: prior,
                out: out.clone(),
                cmds: rx,
                detach: self.detach.clone(),
                addresses: self.addresses.clone(),
            };
            self.states.insert(
                task.name.clone(),
                TaskState {
                    state: ev::TASK_PENDING.into(),
                    ..TaskState::default()
                },
            );
            self.tasks.insert(task.name.clone(), tx);
            tokio::spawn(runner.run());
        }
        self.report();
    }

    fn fail_setup(&mut self, why: &str) {
        tracing::warn!(alloc = %self.alloc.id, reason = why, "allocation cannot run");
        let mut ts = TaskState::default();
        let mut e = ev::event(ev::SETUP_FAILURE, why);
        e.fails_task = true;
        e.setup_error = why.to_string();
        ev::push(&mut ts, e);
        ts.state = TASK_DEAD.into();
        ts.failed = true;
        let name = self
            .alloc
            .job
            .as_ref()
            .and_then(|j| j.task_group(&self.alloc.task_group))
            .and_then(|g| g.tasks.first())
            .map(|t| t.name.clone())
            .unwrap_or_else(|| "setup".into());
        self.states.insert(name, ts);
        self.report();
    }

    fn task_changed(&mut self, task: String, ts: TaskState) {
        let failed = ts.state == TASK_DEAD && ts.failed;
        self.states.insert(task.clone(), ts);
        // A failed task takes its siblings down (the allocation failed).
        if failed && !self.killing {
            tracing::info!(alloc = %self.alloc.id, task, "task failed; stopping its siblings");
            self.kill_all();
        }
        self.report();
    }

    /// States the service registrations the allocation wants now: those
    /// of its live tasks (running, or waiting to restart after a failure),
    /// and the group's while any task is live; none once it is being
    /// stopped. Checks run for the running tasks; the checks of a task
    /// waiting to restart are critical until it runs again, so that the
    /// catalog shows the instance as unhealthy rather than losing it.
    fn sync_services(&mut self) {
        let mut live = Vec::new();
        if !self.killing {
            let dc = self.shared.node().datacenter.clone();
            let alive = |s: &TaskState| {
                s.state == TASK_RUNNING || (s.state == TASK_PENDING && s.started_at.is_some())
            };
            let running: BTreeSet<&str> = self
                .states
                .iter()
                .filter(|(_, s)| s.state == TASK_RUNNING)
                .map(|(n, _)| n.as_str())
                .collect();
            let mut owners: Vec<(Option<&str>, bool)> = Vec::new();
            if self.states.values().any(alive) {
                owners.push((None, !running.is_empty()));
            }
            owners.extend(
                self.states
                    .iter()
                    .filter(|(_, s)| alive(s))
                    .map(|(t, _)| (Some(t.as_str()), running.contains(t.as_str()))),
            );
            let addresses = self
                .addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            for (owner, checked) in owners {
                match services::build::with_checks(&self.alloc, owner, &dc, &addresses) {
                    Ok(r) => live.extend(r.into_iter().map(|r| (r, checked))),
                    Err(e) => {
                        tracing::warn!(alloc = %self.alloc.id, error = %e, "cannot register services")
                    }
                }
            }
        }
        let sync = &self.shared.services;
        sync.set_alloc(
            &self.alloc.id,
            live.iter().map(|((r, _), _)| r.clone()).collect(),
        );
        let mut checked = Vec::new();
        for ((reg, defs), run) in live {
            if run {
                checked.push((reg, defs));
                continue;
            }
            for c in &reg.checks {
                sync.set_check(
                    &self.alloc.id,
                    &reg.id,
                    &c.name,
                    CHECK_CRITICAL,
                    services::checks::NOT_RUNNING,
                );
            }
        }
        self.checks.set(&checked, &self.task_ctx);
    }

    /// Sends the allocation's status when it changed.
    fn report(&mut self) {
        self.sync_services();
        let (status, description) = alloc_status(self.states.values());
        let urgent = self.reported.as_ref().map(|(s, _)| s.as_str()) != Some(status);
        self.reported = Some((status.to_string(), description.clone()));
        let update = AllocClientUpdate {
            id: self.alloc.id.clone(),
            client_status: status.to_string(),
            client_description: description,
            task_states: self.states.clone().into_iter().collect(),
            modify_time: crate::ids::now_nanos(),
        };
        self.shared.updates.push(update, urgent);
    }

    fn update(&mut self, alloc: Arc<Allocation>) {
        self.alloc = alloc;
        if let Err(e) = self.shared.state.put_alloc(&self.alloc) {
            tracing::error!(alloc = %self.alloc.id, error = %e, "cannot record the allocation");
        }
        if self.alloc.server_terminal() && !self.killing {
            tracing::info!(alloc = %self.alloc.id, desired = %self.alloc.desired_status, "stopping allocation");
            self.kill_all();
        } else {
            // An in-place update or a promoted canary changes what its
            // services say (only differences are sent).
            self.sync_services();
        }
    }

    fn kill_all(&mut self) {
        self.killing = true;
        // Out of the catalog before the stop signal, as Nomad does.
        self.sync_services();
        for tx in self.tasks.values() {
            let _ = tx.try_send(TaskCmd::Kill);
        }
    }

    /// Sends a command to one task (`task` named) or to every task still
    /// running. A named task that is not running is an error; for all
    /// tasks, those that ended are skipped, and it is an error only when
    /// none took the command.
    async fn each_task(
        &self,
        task: Option<&str>,
        mut cmd: impl FnMut(&str) -> TaskCmd,
    ) -> Result<(), ControlError> {
        if let Some(name) = task {
            let tx = self.tasks.get(name).ok_or_else(|| {
                if self.states.contains_key(name) {
                    ControlError::NotRunning(name.to_string())
                } else {
                    ControlError::UnknownTask(name.to_string())
                }
            })?;
            return tx
                .send(cmd(name))
                .await
                .map_err(|_| ControlError::NotRunning(name.to_string()));
        }
        let mut any = false;
        for (name, tx) in &self.tasks {
            any |= tx.send(cmd(name)).await.is_ok();
        }
        if any {
            Ok(())
        } else {
            Err(ControlError::NotRunning(
                self.tasks.keys().cloned().collect::<Vec<_>>().join(", "),
            ))
        }
    }

    async fn signal(&self, task: Option<&str>, sig: &str) -> Result<(), ControlError> {
        let mut replies = Vec::new();
        self.each_task(task, |name| {
            let (tx, rx) = oneshot::channel();
            replies.push((name.to_string(), rx));
            TaskCmd::Signal(sig.to_string(), tx)
        })
        .await?;
        for (name, r) in replies {
            match r.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) if task.is_some() => return Err(ControlError::NotRunning(name)),
                // A task that ended meanwhile had nothing to signal.
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Asks each task for its running instance without waiting: a task
    /// whose queue is full or that ended answers None.
    fn live(&self) -> LiveTasks {
        self.tasks
            .iter()
            .map(|(name, tx)| {
                let (reply, rx) = oneshot::channel();
                // A refused command drops `reply`, which the caller sees as
                // "not running".
                let _ = tx.try_send(TaskCmd::Live(reply));
                (name.clone(), rx)
            })
            .collect()
    }

    /// Kills every task, waits for them to be dead, removes the directory
    /// and forgets the allocation.
    async fn destroy(&mut self, out: &mut mpsc::UnboundedReceiver<(String, TaskState)>) {
        self.kill_all();
        let deadline = tokio::time::Instant::now()
            + self.shared.config.max_kill_timeout
            + std::time::Duration::from_secs(15);
        while self.states.values().any(|s| s.state != TASK_DEAD) && !self.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, out.recv()).await {
                Ok(Some((task, ts))) => {
                    self.states.insert(task, ts);
                }
                _ => break,
            }
        }
        self.checks.stop_all();
        self.shared.services.set_alloc(&self.alloc.id, Vec::new());
        if let Err(e) = self.dir.destroy() {
            tracing::warn!(alloc = %self.alloc.id, error = %e, "cannot remove the allocation directory");
        }
        if let Err(e) = self.shared.state.remove_alloc(&self.alloc.id) {
            tracing::warn!(alloc = %self.alloc.id, error = %e, "cannot forget the allocation");
        }
        tracing::info!(alloc = %self.alloc.id, "allocation destroyed");
    }
}

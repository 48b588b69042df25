//! One allocation on the client: builds its directories, runs a task
//! runner per task, derives the allocation's client status from its
//! tasks' states and reports it, follows the servers' changes to the
//! allocation (a stop kills its tasks), and destroys it when asked.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::ClientShared;
use super::allocdir::AllocDir;
use super::restart::{RestartTracker, effective_policy};
use super::state::StoredTask;
use super::task_events::{self as ev, TASK_DEAD, alloc_status};
use super::task_runner::{TaskCmd, TaskRunner};
use super::task_spec::{self, SpecInputs};
use crate::structs::rpc::AllocClientUpdate;
use crate::structs::{Allocation, TaskState};

/// A request to an allocation runner.
#[derive(Debug)]
pub enum AllocCmd {
    /// The servers changed the allocation.
    Update(Arc<Allocation>),
    /// Restart one task (or all of them).
    Restart(Option<String>, oneshot::Sender<Result<(), String>>),
    /// Signal one task (or all of them).
    Signal(Option<String>, String, oneshot::Sender<Result<(), String>>),
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
        shared,
        alloc: alloc.clone(),
        dir,
        tasks: BTreeMap::new(),
        states: BTreeMap::new(),
        reported: None,
        killing: false,
        detach,
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

    /// Sends the allocation's status when it changed.
    fn report(&mut self) {
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
        }
    }

    fn kill_all(&mut self) {
        self.killing = true;
        for tx in self.tasks.values() {
            let _ = tx.try_send(TaskCmd::Kill);
        }
    }

    async fn each_task(
        &self,
        task: Option<&str>,
        mut cmd: impl FnMut(&str) -> TaskCmd,
    ) -> Result<(), String> {
        let mut any = false;
        for (name, tx) in &self.tasks {
            if task.is_some_and(|t| t != name) {
                continue;
            }
            any = true;
            tx.send(cmd(name))
                .await
                .map_err(|_| format!("task {name:?} is not running"))?;
        }
        if any {
            Ok(())
        } else {
            Err(format!(
                "no task {:?} in this allocation",
                task.unwrap_or("")
            ))
        }
    }

    async fn signal(&self, task: Option<&str>, sig: &str) -> Result<(), String> {
        let mut replies = Vec::new();
        self.each_task(task, |_| {
            let (tx, rx) = oneshot::channel();
            replies.push(rx);
            TaskCmd::Signal(sig.to_string(), tx)
        })
        .await
        .ok();
        if replies.is_empty() {
            return Err(format!(
                "no task {:?} in this allocation",
                task.unwrap_or("")
            ));
        }
        for r in replies {
            r.await.map_err(|_| "task is not running".to_string())??;
        }
        Ok(())
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
        if let Err(e) = self.dir.destroy() {
            tracing::warn!(alloc = %self.alloc.id, error = %e, "cannot remove the allocation directory");
        }
        if let Err(e) = self.shared.state.remove_alloc(&self.alloc.id) {
            tracing::warn!(alloc = %self.alloc.id, error = %e, "cannot forget the allocation");
        }
        tracing::info!(alloc = %self.alloc.id, "allocation destroyed");
    }
}

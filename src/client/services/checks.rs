//! The health checks of one allocation's registrations: one tokio task
//! per check, started when its registration enters the allocation's
//! desired set and stopped when it leaves (the task stopped, restarted
//! or the allocation is stopping). Each runs at its interval (the first
//! run soon after start, jittered), bounded by its timeout, and writes a
//! status into the desired registration only when the status changed;
//! with `check_restart`, it asks its task to restart once the check has
//! been unhealthy `limit` times in a row past the grace.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::check_restart::{CheckRestart, RestartCounter};
use super::check_run::{CheckDef, run_once};
use super::sync::ServiceSync;
use crate::client::task_runner::TaskCmd;
use crate::structs::{ServiceCheck, ServiceRegistration};

/// Interval and timeout when the check sets none (Consul's default).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The output of the checks of a task waiting to restart.
pub const NOT_RUNNING: &str = "task not running: waiting to restart";
/// No check runs more often than this.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// The first run comes within this long of the check's start.
const FIRST_RUN_MAX: Duration = Duration::from_secs(1);

/// What a check needs of the task it belongs to.
#[derive(Clone, Debug)]
pub struct TaskCtx {
    pub driver: String,
    pub env: BTreeMap<String, String>,
    pub dir: PathBuf,
    pub cmds: mpsc::Sender<TaskCmd>,
}

/// The running checks of one allocation, by registration ID and check
/// name.
pub struct CheckSet {
    alloc: String,
    sync: Arc<ServiceSync>,
    running: HashMap<(String, String), CancellationToken>,
}

impl CheckSet {
    pub fn new(alloc: &str, sync: Arc<ServiceSync>) -> Self {
        Self {
            alloc: alloc.to_string(),
            sync,
            running: HashMap::new(),
        }
    }

    /// Number of checks running (for tests).
    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Runs the checks of `wanted` (registrations with their checks'
    /// definitions), starting new ones and stopping those gone.
    pub fn set(
        &mut self,
        wanted: &[(ServiceRegistration, Vec<ServiceCheck>)],
        tasks: &BTreeMap<String, TaskCtx>,
    ) {
        let mut keep = HashMap::new();
        for (reg, defs) in wanted {
            for (status, def) in reg.checks.iter().zip(defs) {
                let key = (reg.id.clone(), status.name.clone());
                if let Some(tok) = self.running.remove(&key) {
                    keep.insert(key, tok);
                    continue;
                }
                let owner = if def.task_name.is_empty() {
                    &reg.task_name
                } else {
                    &def.task_name
                };
                let task = tasks.get(owner);
                let tok = CancellationToken::new();
                let run = CheckLoop {
                    alloc: self.alloc.clone(),
                    reg: reg.id.clone(),
                    name: status.name.clone(),
                    // A check started again (its task restarted) goes on
                    // from the status it last wrote.
                    last: self
                        .sync
                        .check_status(&self.alloc, &reg.id, &status.name)
                        .unwrap_or_else(|| status.status.clone()),
                    interval: interval(def),
                    def: resolve(reg, def, task),
                    restart: CheckRestart::parse(def.check_restart.as_ref())
                        .zip(task.map(|t| t.cmds.clone())),
                    sync: self.sync.clone(),
                    stop: tok.clone(),
                };
                tokio::spawn(run.run());
                keep.insert(key, tok);
            }
        }
        for tok in self.running.values() {
            tok.cancel();
        }
        self.running = keep;
    }

    pub fn stop_all(&mut self) {
        for (_, tok) in self.running.drain() {
            tok.cancel();
        }
    }
}

impl Drop for CheckSet {
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn nanos(n: i64) -> Option<Duration> {
    u64::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .map(Duration::from_nanos)
}

fn interval(def: &ServiceCheck) -> Duration {
    nanos(def.interval)
        .unwrap_or(DEFAULT_INTERVAL)
        .max(MIN_INTERVAL)
}

/// The check's run parameters: its registration's address and port (or
/// the check's own port), its
/// task's driver and environment; the timeout never past the interval.
pub fn resolve(reg: &ServiceRegistration, def: &ServiceCheck, task: Option<&TaskCtx>) -> CheckDef {
    let timeout = nanos(def.timeout)
        .unwrap_or(DEFAULT_TIMEOUT)
        .min(interval(def));
    // Where the check reaches, as `build` resolved it, else the service's
    // address and port.
    let (address, port) = def
        .target
        .clone()
        .unwrap_or_else(|| (reg.address.clone(), reg.port));
    CheckDef {
        kind: def.kind.clone(),
        address,
        port,
        path: def.path.clone(),
        protocol: def.protocol.clone(),
        method: def.method.clone(),
        header: def.header.clone(),
        tls_skip_verify: def.tls_skip_verify,
        grpc_service: def.grpc_service.clone(),
        grpc_use_tls: def.grpc_use_tls,
        command: def.command.clone(),
        args: def.args.clone(),
        timeout,
        driver: task.map(|t| t.driver.clone()).unwrap_or_default(),
        env: task.map(|t| t.env.clone()).unwrap_or_default(),
        dir: task.map(|t| t.dir.clone()),
        task: task.map(|t| t.cmds.clone()),
    }
}

/// The reason of the restart a failing check asks for (Nomad's wording).
pub fn restart_reason(check: &str) -> String {
    format!("healthcheck: check {check:?} unhealthy")
}

struct CheckLoop {
    alloc: String,
    reg: String,
    name: String,
    /// The status last written into the registration.
    last: String,
    interval: Duration,
    def: CheckDef,
    restart: Option<(CheckRestart, mpsc::Sender<TaskCmd>)>,
    sync: Arc<ServiceSync>,
    stop: CancellationToken,
}

impl CheckLoop {
    async fn run(mut self) {
        let mut counter = self
            .restart
            .as_ref()
            .map(|(cfg, _)| RestartCounter::new(*cfg, Instant::now()));
        let first = FIRST_RUN_MAX
            .min(self.interval)
            .mul_f64(rand::random::<f64>());
        let mut next = tokio::time::Instant::now() + first;
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep_until(next) => {}
            }
            next = tokio::time::Instant::now() + self.interval;
            let r = tokio::select! {
                _ = self.stop.cancelled() => return,
                r = run_once(&self.def) => r,
            };
            if r.status != self.last {
                tracing::debug!(alloc = %self.alloc, check = %self.name, status = r.status, output = %r.output, "check status changed");
                self.sync
                    .set_check(&self.alloc, &self.reg, &self.name, r.status, &r.output);
                self.last = r.status.to_string();
            }
            if let (Some(c), Some((_, cmds))) = (counter.as_mut(), self.restart.as_ref())
                && c.observe(Instant::now(), r.status)
            {
                tracing::info!(alloc = %self.alloc, check = %self.name, "check unhealthy too many times; restarting its task");
                let _ = cmds.try_send(TaskCmd::CheckRestart(restart_reason(&self.name)));
            }
        }
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;

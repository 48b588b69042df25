//! The periodic dispatcher: while this server leads, launches each
//! periodic job's child (`<job>/periodic-<unix seconds>`) when its cron
//! schedule comes due.
//!
//! Nothing is kept in memory between passes: each pass reads every
//! periodic job and its last launch from the replicated state, so a new
//! leader carries on where the last one stopped. A launch the previous
//! leader already made is refused in apply (the launch time must pass the
//! recorded one), so none happens twice; launches missed while no leader
//! ran (a failover, a cluster restart) are made up by one launch at the
//! latest missed time, as Nomad makes up one. With `prohibit_overlap`, a
//! launch while an earlier child still runs is skipped, and the skip is
//! recorded like a launch.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::ids;
use crate::server::{Server, evals};
use crate::state::{Command, JobKey, PeriodicLaunch, State, Table};
use crate::structs::periodic::{PERIODIC_LAUNCH_SUFFIX, PeriodicConfig, child_id};
use crate::structs::{JOB_STATUS_DEAD, Job};

/// The trigger of a periodic child's evaluation, as Nomad's.
pub const TRIGGER_PERIODIC_JOB: &str = "periodic-job";
/// The longest a pass waits when nothing is due sooner.
const IDLE: Duration = Duration::from_secs(30);
/// Slack after a due time, so that the pass finds it passed.
const SLACK: Duration = Duration::from_millis(5);

/// A launch to make now.
#[derive(Debug, PartialEq, Eq)]
pub struct Due {
    pub key: JobKey,
    /// The scheduled time (unix ns).
    pub launch: i64,
    /// `prohibit_overlap` and a child still runs: record, launch nothing.
    pub skip: bool,
}

/// The launches due at `now`, and the next time one comes due.
pub fn due(state: &State, now: i64) -> (Vec<Due>, Option<i64>) {
    let mut out = Vec::new();
    let mut next: Option<i64> = None;
    for job in state.jobs.values() {
        let Some(cfg) = PeriodicConfig::of(job) else {
            continue;
        };
        if !cfg.enabled || job.stop || job.is_parameterized() || !job.parent_id.is_empty() {
            continue;
        }
        let base = state
            .periodic_launch(&job.namespace, &job.id)
            .unwrap_or(job.submit_time);
        if let Some(latest) = cfg.latest_at_or_before(now)
            && latest > base
        {
            out.push(Due {
                key: JobKey::new(&job.namespace, &job.id),
                launch: latest,
                skip: cfg.prohibit_overlap && running_child(state, job),
            });
        }
        if let Some(n) = cfg.next_after(now.max(base)) {
            next = Some(next.map_or(n, |m| m.min(n)));
        }
    }
    (out, next)
}

/// Whether a child of periodic `job` is not dead yet.
fn running_child(state: &State, job: &Job) -> bool {
    let prefix = format!("{}{PERIODIC_LAUNCH_SUFFIX}", job.id);
    state
        .jobs_with_id_prefix(&job.namespace, &prefix)
        .any(|c| c.status != JOB_STATUS_DEAD)
}

/// The child a launch of `parent` at `launch` registers, as Nomad derives
/// it: the parent's spec under the child's ID and name, without the
/// periodic block.
pub fn derive_child(parent: &Job, launch: i64, now: i64) -> Job {
    let id = child_id(&parent.id, launch);
    Job {
        id: id.clone(),
        name: id,
        parent_id: parent.id.clone(),
        periodic: None,
        stop: false,
        status: String::new(),
        status_description: String::new(),
        stable: false,
        version: 0,
        submit_time: now,
        create_index: 0,
        modify_index: 0,
        job_modify_index: 0,
        ..parent.clone()
    }
}

/// The command that launches `parent` at `launch` (a child and its
/// evaluation, or only the record when `skip`).
pub fn launch_command(parent: &Job, launch: i64, skip: bool, force: bool, now: i64) -> Command {
    let (child, eval) = if skip {
        (None, None)
    } else {
        let child = derive_child(parent, launch, now);
        let eval = evals::for_job(&child, TRIGGER_PERIODIC_JOB, now);
        (Some(child), Some(eval))
    };
    Command::PeriodicLaunch(PeriodicLaunch {
        namespace: parent.namespace.clone(),
        job_id: parent.id.clone(),
        launch,
        force,
        child,
        eval,
    })
}

pub async fn run(server: Server, stop: CancellationToken) {
    loop {
        let state = server.state().snapshot();
        let now = ids::now_nanos();
        // A pass reads every job: off the runtime's worker thread.
        let (launches, next) = crate::offload::off_worker(|| due(&state, now));
        for d in launches {
            let Some(parent) = state.job(&d.key.namespace, &d.key.id) else {
                continue;
            };
            if d.skip {
                tracing::info!(job = %d.key.id, "skipping periodic launch: a previous child is still running (prohibit_overlap)");
            }
            let cmd = launch_command(&parent, d.launch, d.skip, false, ids::now_nanos());
            let result = tokio::select! {
                _ = stop.cancelled() => return,
                r = server.propose(&cmd) => r,
            };
            match result {
                Ok(_) if !d.skip => {
                    tracing::info!(job = %d.key.id, child = %child_id(&d.key.id, d.launch), "launched periodic job");
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(job = %d.key.id, error = %e, "periodic launch not made"),
            }
        }
        let wait = next
            .map(|n| {
                let ns = n.saturating_sub(ids::now_nanos()).max(0);
                Duration::from_nanos(u64::try_from(ns).unwrap_or(0)) + SLACK
            })
            .unwrap_or(IDLE)
            .min(IDLE);
        let seen = state.index(Table::Jobs);
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = server.state().wait_past(Table::Jobs, seen, wait) => {}
        }
    }
}

#[cfg(test)]
#[path = "periodic_tests.rs"]
mod tests;

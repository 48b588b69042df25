//! The node drainer (leader only): moves allocations off draining nodes a
//! few at a time, and completes drains.
//!
//! ```text
//!  every second, per draining node:
//!    deadline passed (or forced)? ─▶ mark everything left for migration
//!    service allocs ─▶ per job group, mark up to
//!                      running − (count − migrate.max_parallel)
//!    batch allocs   ─▶ left to finish until the deadline
//!    system allocs  ─▶ marked once nothing else is left (unless ignored)
//!    nothing left   ─▶ "Node drain complete" (the node stays ineligible)
//! ```
//! Marking writes `DesiredTransition.Migrate` with one `node-drain`
//! evaluation per job; the scheduler then stops each marked allocation
//! ("alloc is being migrated") and places its replacement elsewhere.
//! "Running" stands in for Nomad's deployment health: a replacement counts
//! once its client reports it running.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::ids;
use crate::server::endpoints::node::event;
use crate::server::{Server, evals};
use crate::state::{Command, JobKey, NodeUpdate, State};
use crate::structs::time::parse_rfc3339;
use crate::structs::{
    ALLOC_CLIENT_RUNNING, Allocation, DesiredTransition, JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH,
    JOB_TYPE_SYSTEM, Job, Node,
};

/// How often draining nodes are looked at (Nomad batches marks in 1 s).
const TICK: Duration = Duration::from_secs(1);

/// What one look at the draining nodes decided.
#[derive(Debug, Default)]
pub struct DrainWork {
    /// Allocations to mark for migration.
    pub migrate: BTreeSet<String>,
    /// Jobs whose allocations were marked (one evaluation each).
    pub jobs: BTreeSet<JobKey>,
    /// Nodes whose drain is complete.
    pub done: Vec<String>,
}

fn is_system(a: &Allocation) -> bool {
    a.job
        .as_ref()
        .is_some_and(|j| j.job_type == JOB_TYPE_SYSTEM || j.job_type == JOB_TYPE_SYSBATCH)
}

fn marked(a: &Allocation) -> bool {
    a.desired_transition.migrate == Some(true)
}

/// `migrate.max_parallel` of `group` (Nomad's default 1).
fn max_parallel(job: &Job, group: &str) -> i64 {
    job.task_group(group)
        .and_then(|g| g.migrate.as_ref())
        .and_then(|m| m.get("MaxParallel"))
        .and_then(|v| v.as_i64())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

fn deadline_passed(node: &Node, now: i64) -> bool {
    let Some(d) = &node.drain_strategy else {
        return false;
    };
    d.deadline < 0
        || (d.deadline > 0 && parse_rfc3339(&d.force_deadline).is_some_and(|t| t > 0 && t <= now))
}

/// Decides what to mark and which drains are complete, on `state` at `now`.
pub fn work(state: &State, now: i64) -> DrainWork {
    let mut out = DrainWork::default();
    // Service allocations waiting to move, by job and group.
    let mut waiting: BTreeMap<(JobKey, String), Vec<Arc<Allocation>>> = BTreeMap::new();
    for node in state.nodes().filter(|n| n.drain_strategy.is_some()) {
        let ignore_system = node
            .drain_strategy
            .as_ref()
            .is_some_and(|d| d.ignore_system_jobs);
        let live: Vec<Arc<Allocation>> = state
            .allocs_by_node(&node.id)
            .into_iter()
            .filter(|a| !a.terminal())
            .collect();
        let (system, others): (Vec<_>, Vec<_>) = live.into_iter().partition(|a| is_system(a));
        let system: Vec<_> = system.into_iter().filter(|_| !ignore_system).collect();
        if others.is_empty() && system.is_empty() {
            out.done.push(node.id.clone());
            continue;
        }
        let mark = |a: &Allocation, out: &mut DrainWork| {
            if !marked(a) {
                out.migrate.insert(a.id.clone());
                out.jobs.insert(JobKey::new(&a.namespace, &a.job_id));
            }
        };
        if deadline_passed(node, now) {
            for a in others.iter().chain(&system) {
                mark(a, &mut out);
            }
            continue;
        }
        if others.is_empty() {
            for a in &system {
                mark(a, &mut out);
            }
            continue;
        }
        for a in others {
            let batch = a.job.as_ref().is_some_and(|j| j.job_type == JOB_TYPE_BATCH);
            if !batch && !marked(&a) {
                waiting
                    .entry((JobKey::new(&a.namespace, &a.job_id), a.task_group.clone()))
                    .or_default()
                    .push(a);
            }
        }
    }
    for ((key, group), mut allocs) in waiting {
        let job = state
            .job(&key.namespace, &key.id)
            .filter(|j| !j.stop && j.task_group(&group).is_some());
        let allowed = match &job {
            // Stopping anyway: nothing to protect.
            None => allocs.len() as i64,
            Some(job) => {
                let count = job.task_group(&group).map_or(0, |g| g.count);
                let running = state
                    .allocs_by_job(&key.namespace, &key.id)
                    .iter()
                    .filter(|a| {
                        a.task_group == group
                            && !a.server_terminal()
                            && !marked(a)
                            && a.client_status == ALLOC_CLIENT_RUNNING
                    })
                    .count() as i64;
                running - (count - max_parallel(job, &group))
            }
        };
        allocs.sort_by(|a, b| a.name.cmp(&b.name));
        for a in allocs.iter().take(allowed.max(0) as usize) {
            out.migrate.insert(a.id.clone());
            out.jobs.insert(key.clone());
        }
    }
    out
}

/// The command that marks `work`'s allocations, with one evaluation per job.
fn marks(state: &State, work: &DrainWork, now: i64) -> Option<Command> {
    if work.migrate.is_empty() {
        return None;
    }
    let evals = work
        .jobs
        .iter()
        .filter_map(|k| state.job(&k.namespace, &k.id))
        .map(|job| evals::for_job(&job, "node-drain", now))
        .collect();
    let migrate = DesiredTransition {
        migrate: Some(true),
        ..DesiredTransition::default()
    };
    Some(Command::AllocDesiredTransition {
        allocs: work
            .migrate
            .iter()
            .map(|id| (id.clone(), migrate.clone()))
            .collect(),
        evals,
    })
}

pub async fn run(server: Server, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        let state = server.state().snapshot();
        let now = ids::now_nanos();
        let work = work(&state, now);
        let mut commands: Vec<Command> = marks(&state, &work, now).into_iter().collect();
        for node_id in &work.done {
            tracing::info!(node_id = %node_id, "node drain complete");
            commands.push(Command::NodeUpdateDrain(NodeUpdate {
                node_id: node_id.clone(),
                event: Some(event("Node drain complete", "Drain", now)),
                time: now,
                ..NodeUpdate::default()
            }));
        }
        if !super::propose_all(
            &server,
            commands,
            &stop,
            "drainer write failed; retrying next tick",
        )
        .await
        {
            return;
        }
    }
}

#[cfg(test)]
#[path = "drainer_tests.rs"]
mod tests;

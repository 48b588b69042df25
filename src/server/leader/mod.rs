//! Leader duties, started when this server becomes the Raft leader and
//! stopped when it stops being one: the evaluation broker, the scheduling
//! workers, the plan applier, blocked evaluations, node heartbeats, the
//! node drainer, the periodic dispatcher and garbage collection.
//!
//! ```text
//!  state (evals changed) ──▶ eval feed ──▶ broker ──▶ workers ──▶ plan applier ──▶ raft
//!        │ capacity index                   ▲            │ finish
//!        └──────────▶ blocked evals ────────┘            └──────────────────────▶ raft
//! ```
//! Nothing here is persisted: a new leader rebuilds all of it from the
//! replicated state.

pub mod blocked;
pub mod drainer;
pub mod eval_broker;
pub mod gc;
pub mod heartbeat;
pub mod periodic;
pub mod plan_apply;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use blocked::BlockedEvals;
use eval_broker::EvalBroker;

use super::Server;
use crate::state::Command;
use crate::structs::{EVAL_STATUS_BLOCKED, EVAL_STATUS_CANCELED, EVAL_STATUS_PENDING, Evaluation};

/// The leader's in-memory scheduling machinery (shared for inspection).
#[derive(Default)]
pub struct Duties {
    pub broker: Arc<EvalBroker>,
    pub blocked: Arc<BlockedEvals>,
}

/// Runs leader duties whenever this server leads, until `stop`.
pub async fn run(server: Server, duties: Arc<Duties>, workers: usize, stop: CancellationToken) {
    let mut leader = server.raft().leader();
    loop {
        // Wait to lead.
        while !server.raft().is_leader() {
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = leader.changed() => if changed.is_err() { return },
            }
        }
        tracing::info!("leadership gained, starting leader duties");
        let token = stop.child_token();
        let tasks = TaskTracker::new();
        duties.broker.set_enabled(true);
        duties.blocked.clear();
        let (plan_tx, plan_rx) = mpsc::channel(64);
        tasks.spawn(plan_apply::run(
            server.clone(),
            duties.broker.clone(),
            plan_rx,
            token.clone(),
        ));
        for _ in 0..workers.max(1) {
            tasks.spawn(worker::run(
                server.clone(),
                duties.broker.clone(),
                plan_tx.clone(),
                token.clone(),
            ));
        }
        tasks.spawn(eval_feed(server.clone(), duties.clone(), token.clone()));
        tasks.spawn(heartbeat::run(server.clone(), token.clone()));
        tasks.spawn(drainer::run(server.clone(), token.clone()));
        tasks.spawn(periodic::run(server.clone(), token.clone()));
        tasks.spawn(gc::run(server.clone(), token.clone()));
        tasks.close();
        // Lead until we do not.
        while server.raft().is_leader() {
            tokio::select! {
                _ = stop.cancelled() => break,
                changed = leader.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!("leadership lost, stopping leader duties");
        token.cancel();
        tasks.wait().await;
        duties.broker.set_enabled(false);
        duties.blocked.clear();
        if stop.is_cancelled() {
            return;
        }
    }
}

/// Proposes `commands` in order; a failure is logged as `what` and the
/// rest still go. Returns false when `stop` fires: shutdown or lost
/// leadership must not wait for a write that cannot commit.
async fn propose_all(
    server: &Server,
    commands: Vec<Command>,
    stop: &CancellationToken,
    what: &str,
) -> bool {
    for cmd in commands {
        let result = tokio::select! {
            _ = stop.cancelled() => return false,
            r = server.propose(&cmd) => r,
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "{what}");
        }
    }
    true
}

/// Feeds evaluations from the replicated state to the broker and the
/// blocked tracker, and unblocks blocked ones when capacity appears.
async fn eval_feed(server: Server, duties: Arc<Duties>, stop: CancellationToken) {
    let mut seen = 0u64;
    let mut latest = 0u64;
    loop {
        let state = tokio::select! {
            _ = stop.cancelled() => return,
            s = server.state().wait_applied(latest + 1, Duration::from_secs(1)) => s,
        };
        let state = state.unwrap_or_else(|| server.state().snapshot());
        latest = state.indexes().latest;
        let cancel = feed(&duties, &state, &mut seen);
        if !cancel.is_empty() {
            let cmd = Command::EvalUpsert { evals: cancel };
            let result = tokio::select! {
                _ = stop.cancelled() => return,
                r = server.propose(&cmd) => r,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot cancel superseded blocked evaluations");
            }
        }
    }
}

/// One pass of the feed over `state`: evaluations changed after `seen`
/// go to the broker (pending) or the blocked tracker (blocked), then the
/// blocked ones that capacity may help go to the broker. Returns the
/// blocked evaluations superseded by newer ones, to cancel.
///
/// A blocked evaluation is parked even while the broker holds it: a
/// worker that retried it and found it still blocked writes it before
/// acking its delivery. Released before that ack, it runs again after it
/// (capacity that appeared meanwhile is not missed).
fn feed(duties: &Duties, state: &crate::state::State, seen: &mut u64) -> Vec<Evaluation> {
    let mut cancel = Vec::new();
    let changed = state.evals_changed_after(*seen);
    if let Some(max) = changed.iter().map(|e| e.modify_index).max() {
        *seen = (*seen).max(max);
    }
    for e in changed {
        match e.status.as_str() {
            EVAL_STATUS_PENDING if !duties.broker.knows(&e.id) => {
                // `Wait` counts from now; `WaitUntil` is a time.
                let until = e.wait_until.saturating_sub(crate::ids::now_nanos());
                let wait = e.wait.max(until);
                if wait > 0 {
                    let broker = duties.broker.clone();
                    let eval = (*e).clone();
                    let wait = Duration::from_nanos(wait as u64);
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        broker.enqueue(eval);
                    });
                } else {
                    duties.broker.enqueue((*e).clone());
                }
            }
            EVAL_STATUS_BLOCKED => {
                if let Some(mut old) = duties.blocked.block((*e).clone()) {
                    old.status = EVAL_STATUS_CANCELED.into();
                    old.status_description = "superseded by a newer blocked evaluation".into();
                    cancel.push(old);
                }
            }
            _ if e.terminal() => duties.blocked.forget(&e),
            _ => {}
        }
    }
    for e in duties.blocked.unblock(state) {
        duties.broker.enqueue_unblocked(e);
    }
    cancel
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod feed_tests;

//! Garbage collection on the leader: every `eval_gc_interval`,
//! `job_gc_interval` and `node_gc_interval` (the first one an interval
//! after leadership starts, as Nomad's tickers), a collection of that
//! kind with the configured thresholds. `PUT /v1/system/gc` runs
//! [`collect`] with every kind and zero thresholds, on whichever server
//! it reaches.
//!
//! ```text
//!  pass: consistent state ─▶ select (blocking thread, ≤ MAX_PER_PASS)
//!        ─▶ GcReap entries of ≤ 1,000 objects, proposed one at a time
//!        ─▶ another pass while the last one stopped at its limit
//! ```
//! Selection reads an immutable snapshot on a blocking thread, never on
//! the runtime's workers, and a pass is bounded, so a large backlog is
//! collected as a series of small entries with other writes (heartbeats,
//! plans) between them. Nomad runs these as `_core` evaluations through
//! its broker; here they are a leader task, since nothing else needs to
//! see them.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ids;
use crate::server::{Server, ServerError};
use crate::state::Command;
use crate::state::gc::{GcKinds, GcThresholds, GcWork, MAX_PER_COMMAND, select};

/// The most objects one pass selects.
pub const MAX_PER_PASS: usize = 20 * MAX_PER_COMMAND;

/// Passes one collection runs at most (a guard: passes repeat only while
/// the previous one stopped at its limit and found something new).
const MAX_PASSES: usize = 10_000;

/// What a collection proposed to remove.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    pub jobs: usize,
    pub evals: usize,
    pub allocs: usize,
    pub nodes: usize,
    /// Raft entries written.
    pub entries: usize,
}

impl GcStats {
    fn add(&mut self, work: &GcWork, entries: usize) {
        self.jobs += work.jobs.len();
        self.evals += work.evals.iter().filter(|g| g.eval.is_some()).count();
        self.allocs += work.evals.iter().map(|g| g.allocs.len()).sum::<usize>();
        self.nodes += work.nodes.len();
        self.entries += entries;
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }
}

/// Collects what `kinds` may collect under `thresholds`, judged by this
/// server's clock, until a pass finds no more (or `stop` fires). Works
/// on any server: reads pass a read barrier and writes go to the leader,
/// whose apply re-checks every object.
pub async fn collect(
    server: &Server,
    kinds: GcKinds,
    thresholds: GcThresholds,
    stop: &CancellationToken,
) -> Result<GcStats, ServerError> {
    let mut stats = GcStats::default();
    let mut last = GcWork::default();
    for _ in 0..MAX_PASSES {
        let state = tokio::select! {
            _ = stop.cancelled() => return Ok(stats),
            s = server.consistent_state() => s?,
        };
        let cutoffs = thresholds.cutoffs(ids::now_nanos());
        let work =
            tokio::task::spawn_blocking(move || select(&state, &cutoffs, kinds, MAX_PER_PASS))
                .await
                .map_err(|e| {
                    ServerError::Internal(format!("garbage collection pass failed: {e}"))
                })?;
        let commands = work.commands(cutoffs, MAX_PER_COMMAND);
        for cmd in &commands {
            let cmd = Command::GcReap(cmd.clone());
            tokio::select! {
                _ = stop.cancelled() => return Ok(stats),
                r = server.propose(&cmd) => { r?; }
            }
        }
        stats.add(&work, commands.len());
        if !work.truncated || work == last {
            break;
        }
        last = work;
    }
    Ok(stats)
}

/// The kinds whose time has come at `now`; their next time is set.
fn due(next: &mut [Instant; 3], intervals: [Duration; 3], now: Instant) -> GcKinds {
    let mut fire = [false; 3];
    for i in 0..3 {
        if next[i] <= now {
            fire[i] = true;
            next[i] = now + intervals[i];
        }
    }
    GcKinds {
        evals: fire[0],
        jobs: fire[1],
        nodes: fire[2],
    }
}

/// Runs the periodic collections while this server leads (until `stop`).
pub async fn run(server: Server, stop: CancellationToken) {
    let cfg = server.config().gc;
    let intervals = [cfg.eval_interval, cfg.job_interval, cfg.node_interval];
    let start = Instant::now();
    let mut next = intervals.map(|d| start + d);
    loop {
        let wake = next.iter().min().copied().unwrap_or(start);
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(wake) => {}
        }
        let kinds = due(&mut next, intervals, Instant::now());
        if !kinds.any() {
            continue;
        }
        match collect(&server, kinds, cfg.thresholds, &stop).await {
            Ok(s) if !s.is_empty() => tracing::info!(
                jobs = s.jobs,
                evals = s.evals,
                allocs = s.allocs,
                nodes = s.nodes,
                entries = s.entries,
                "garbage collected"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "garbage collection failed; retrying next interval")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_fires_on_its_own_interval() {
        let t0 = Instant::now();
        let iv = [
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(3),
        ];
        let mut next = iv.map(|d| t0 + d);
        assert!(!due(&mut next, iv, t0).any());
        let k = due(&mut next, iv, t0 + Duration::from_secs(2));
        assert_eq!((k.evals, k.jobs, k.nodes), (true, true, false));
        assert_eq!(next[0], t0 + Duration::from_secs(3));
        let k = due(&mut next, iv, t0 + Duration::from_secs(3));
        assert_eq!((k.evals, k.jobs, k.nodes), (true, false, true));
    }
}

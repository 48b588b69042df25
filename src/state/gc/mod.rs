//! Garbage collection of terminal evaluations and allocations, dead
//! jobs and down nodes: Nomad's core scheduler (`nomad/core_sched.go`)
//! as pure functions over a [`State`](crate::state::State).
//!
//! ```text
//!  leader, every interval        every server, in log order
//!  now, thresholds ─▶ cutoffs
//!  select(state) ─▶ IDs ──raft──▶ GcReap: each named object removed only
//!  (off the async threads)        if `rules` still hold for it here
//! ```
//! "Old" is decided by the proposing server: it turns its clock and the
//! thresholds into [`GcCutoffs`] (times before which an object counts as
//! old) and writes them into the entry, so apply re-checks every rule
//! against the same times on every server and reads no clock. Times are
//! the ones Nomad compares: an evaluation's and allocation's
//! `ModifyTime`, a job's `SubmitTime`, a node's `StatusUpdatedAt`.
//!
//! Where Drover differs from Nomad:
//! - an allocation its client reports `running` is never collected, even
//!   by the batch rule for older job versions (Nomad's
//!   `olderVersionTerminalAllocs` does not look);
//! - job GC asks every allocation of the job to be collectable, also
//!   those whose evaluation is gone, and removes them with the job (Nomad
//!   removes only the allocations it found through evaluations);
//!   evaluation GC collects such allocations alone, with their job type's
//!   threshold;
//! - job summaries are derived from the allocations that remain, so
//!   collected allocations leave the counts (Nomad's summaries keep
//!   counting them until `reconcile/summaries`);
//! - jobs have no version tags, so no version keeps a job.

mod rules;
mod select;

pub use rules::{
    EvalVerdict, alloc_collectable, alloc_eligible, alloc_goes_with, alloc_live, allocs_by_eval,
    eval_cutoff, eval_old, eval_verdict, job_collectable, job_gcable, node_collectable,
};
pub use select::{EvalGroup, GcKinds, GcWork, MAX_PER_COMMAND, select};

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How old each kind of object must be to be collected (Nomad's
/// `*_gc_threshold`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcThresholds {
    pub eval: Duration,
    /// Evaluations of batch jobs.
    pub batch_eval: Duration,
    pub job: Duration,
    pub node: Duration,
}

impl Default for GcThresholds {
    /// Nomad's defaults: 1 h, 24 h, 4 h, 24 h.
    fn default() -> Self {
        GcThresholds {
            eval: Duration::from_secs(3600),
            batch_eval: Duration::from_secs(24 * 3600),
            job: Duration::from_secs(4 * 3600),
            node: Duration::from_secs(24 * 3600),
        }
    }
}

impl GcThresholds {
    /// A forced collection: everything terminal is old enough.
    pub const ZERO: GcThresholds = GcThresholds {
        eval: Duration::ZERO,
        batch_eval: Duration::ZERO,
        job: Duration::ZERO,
        node: Duration::ZERO,
    };

    /// The cutoffs these thresholds give at `now` (unix ns).
    pub fn cutoffs(&self, now: i64) -> GcCutoffs {
        let before =
            |d: Duration| now.saturating_sub(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        GcCutoffs {
            now,
            eval: before(self.eval),
            batch_eval: before(self.batch_eval),
            job: before(self.job),
            node: before(self.node),
        }
    }
}

/// The times (unix ns) at or before which objects count as old, and the
/// clock they were taken from; carried in the entry so that apply decides
/// as the proposer did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcCutoffs {
    /// The proposer's clock: reschedule intervals count up to it.
    pub now: i64,
    pub eval: i64,
    pub batch_eval: i64,
    pub job: i64,
    pub node: i64,
}

#[cfg(test)]
mod tests;

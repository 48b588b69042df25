//! The scheduler: a pure function of (state snapshot, evaluation) -> plan.
//!
//! ```text
//!  Evaluation ──▶ compute(state, eval) ──▶ Outcome { plan, failures, queued, annotations }
//!                    │ service/batch: generic (reconcile ▶ stack)
//!                    │ system:        system (one alloc per eligible node)
//!                    ▼
//!  process(): submit the plan through a Planner; on a partial commit,
//!  re-plan on a fresher state (bounded attempts); then finish the
//!  evaluation (complete, blocked, failed) and create follow-ups.
//! ```
//!
//! *Boundary*: the scheduler never writes state. It reads a `State`
//! snapshot and hands plans and evaluation updates to a [`Planner`]: the
//! leader's plan applier in production, an in-memory one in tests
//! ([`harness`]). IDs and the random node order are drawn here, on the
//! leader, never in the state machine.

pub mod annotate;
pub mod constraint;
pub mod fit;
pub mod generic;
pub mod harness;
pub mod plan;
pub mod plan_check;
pub mod ports;
pub mod process;
pub mod reconcile;
pub mod reschedule;
pub mod stack;
pub mod system;
pub mod update;
pub mod view;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

pub use plan::{Plan, PlanResult};
pub use process::{Planner, SchedError, process};
pub use view::StateView;

use crate::structs::{
    AllocMetric, DesiredUpdates, Evaluation, JOB_TYPE_SYSBATCH, JOB_TYPE_SYSTEM, Job,
};

/// What one scheduler run decided.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub plan: Plan,
    /// Groups with placements that found no node, and why.
    pub failed_tg_allocs: BTreeMap<String, AllocMetric>,
    /// Placements not made, per group.
    pub queued: BTreeMap<String, i64>,
    /// The decisions per group (`plan`'s DesiredTGUpdates).
    pub annotations: BTreeMap<String, DesiredUpdates>,
    /// Destructive updates were held back by `max_parallel`: a follow-up
    /// evaluation continues the rolling update.
    pub more_updates: bool,
    /// For failed groups: which computed node classes could run them
    /// (`ClassEligibility` of a blocked evaluation), and whether the job's
    /// constraints look at node-unique values, which classes cannot tell
    /// apart (`EscapedComputedClass`).
    pub class_eligibility: BTreeMap<String, bool>,
    pub escaped_computed_class: bool,
}

impl Outcome {
    fn new(eval: &Evaluation, job: Option<Arc<Job>>, snapshot_index: u64) -> Self {
        Outcome {
            plan: Plan {
                eval_id: eval.id.clone(),
                priority: eval.priority,
                all_at_once: job.as_ref().is_some_and(|j| j.all_at_once),
                job,
                snapshot_index,
                ..Plan::default()
            },
            ..Outcome::default()
        }
    }
}

/// Whether any constraint of `job` targets a node-unique value.
pub fn escapes_classes(job: &Job) -> bool {
    let unique = |c: &crate::structs::Constraint| {
        [&c.l_target, &c.r_target]
            .iter()
            .any(|t| t.contains(".unique.") || t.contains("{node.id}") || t.contains("{node.name}"))
    };
    job.constraints.iter().any(unique)
        || job.task_groups.iter().any(|g| {
            g.constraints.iter().any(unique)
                || g.tasks.iter().any(|t| t.constraints.iter().any(unique))
        })
}

/// Runs the scheduler that `eval` names on `state`.
pub fn compute(state: &dyn StateView, eval: &Evaluation, now: i64) -> Outcome {
    match eval.eval_type.as_str() {
        JOB_TYPE_SYSTEM | JOB_TYPE_SYSBATCH => system::compute(state, eval, now),
        _ => generic::compute(state, eval, now),
    }
}

/// The seed of an evaluation's node order: retries at a newer index
/// shuffle differently.
pub fn seed_for(eval_id: &str, index: u64) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    eval_id.hash(&mut h);
    h.finish() ^ index
}

#[cfg(test)]
pub(crate) mod tests;

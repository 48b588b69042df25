//! Running one evaluation to its end: plan, submit, re-plan on conflicts,
//! then finish the evaluation. Shared by the leader's workers and the test
//! harness, so both follow exactly the same rules.

use std::future::Future;
use std::sync::Arc;

use super::{Outcome, Plan, PlanResult, compute};
use crate::ids;
use crate::state::State;
use crate::structs::{
    EVAL_STATUS_BLOCKED, EVAL_STATUS_COMPLETE, EVAL_STATUS_FAILED, EVAL_STATUS_PENDING, Evaluation,
    JOB_TYPE_BATCH, SECOND,
};

/// Why an evaluation could not be processed (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum SchedError {
    #[error("no cluster leader")]
    NoLeader,
    #[error("state did not reach index {0} in time")]
    StaleState(u64),
    #[error("evaluation is no longer outstanding (its delivery timed out)")]
    NotOutstanding,
    #[error("{0}")]
    Other(String),
}

/// Where the scheduler sends its plans and evaluation updates.
pub trait Planner: Send {
    /// A state that has applied at least `min_index`.
    fn state(
        &mut self,
        min_index: u64,
    ) -> impl Future<Output = Result<Arc<State>, SchedError>> + Send;
    /// Commits what fits of `plan`.
    fn submit(&mut self, plan: Plan)
    -> impl Future<Output = Result<PlanResult, SchedError>> + Send;
    /// Writes the evaluation's final state with the evaluations it created.
    fn finish(
        &mut self,
        eval: Evaluation,
        created: Vec<Evaluation>,
    ) -> impl Future<Output = Result<(), SchedError>> + Send;
}

/// What processing an evaluation produced.
#[derive(Debug, Default)]
pub struct Processed {
    pub eval: Evaluation,
    pub created: Vec<Evaluation>,
    /// The last outcome computed (for the plan endpoint and tests).
    pub placed: usize,
}

/// Processes `eval` to its end through `planner`.
pub async fn process<P: Planner>(
    planner: &mut P,
    eval: &Evaluation,
) -> Result<Processed, SchedError> {
    let max_attempts = if eval.eval_type == JOB_TYPE_BATCH {
        2
    } else {
        5
    };
    let mut attempts = 0;
    let mut min_index = eval.modify_index;
    let mut placed = 0;
    loop {
        let state = planner.state(min_index).await?;
        let now = ids::now_nanos();
        let mut outcome = compute(&*state, eval, now);
        if outcome.plan.is_noop() {
            return finish(planner, eval, outcome, state.indexes().latest, placed, None).await;
        }
        // The plan travels to the applier; the outcome keeps its job.
        let plan = std::mem::take(&mut outcome.plan);
        outcome.plan.job = plan.job.clone();
        let wanted = (plan.placements(), plan.stops());
        let result = planner.submit(plan).await?;
        placed += result.placed;
        if (result.placed, result.stopped) == wanted {
            return finish(planner, eval, outcome, state.indexes().latest, placed, None).await;
        }
        // A partial commit: something changed under us. Progress resets the
        // attempt counter; conflicts without progress use it up.
        let progress = !result.is_empty();
        attempts = if progress { 0 } else { attempts + 1 };
        if attempts >= max_attempts {
            return finish(
                planner,
                eval,
                outcome,
                state.indexes().latest,
                placed,
                Some(attempts),
            )
            .await;
        }
        min_index = result.refresh_index.max(min_index);
    }
}

async fn finish<P: Planner>(
    planner: &mut P,
    eval: &Evaluation,
    outcome: Outcome,
    snapshot_index: u64,
    placed: usize,
    exhausted: Option<u32>,
) -> Result<Processed, SchedError> {
    let now = ids::now_nanos();
    let mut e = eval.clone();
    let mut created = Vec::new();
    e.snapshot_index = snapshot_index;
    e.modify_time = now;
    e.queued_allocations = outcome.queued.clone();
    e.failed_tg_allocs = outcome.failed_tg_allocs.clone();
    let child = |triggered_by: &str, status: &str, description: &str| Evaluation {
        id: ids::uuid(),
        namespace: eval.namespace.clone(),
        priority: eval.priority,
        eval_type: eval.eval_type.clone(),
        triggered_by: triggered_by.into(),
        job_id: eval.job_id.clone(),
        job_modify_index: eval.job_modify_index,
        status: status.into(),
        status_description: description.into(),
        previous_eval: eval.id.clone(),
        create_time: now,
        modify_time: now,
        ..Evaluation::default()
    };
    if let Some(n) = exhausted {
        let blocked = child(
            "max-plan-attempts",
            EVAL_STATUS_BLOCKED,
            "created due to placement conflicts",
        );
        e.blocked_eval = blocked.id.clone();
        e.status = EVAL_STATUS_FAILED.into();
        e.status_description = format!("maximum attempts reached ({n})");
        created.push(blocked);
    } else if !outcome.failed_tg_allocs.is_empty() {
        if eval.status == EVAL_STATUS_BLOCKED {
            // Still short of capacity: the same evaluation stays blocked.
            e.status = EVAL_STATUS_BLOCKED.into();
            e.class_eligibility = outcome.class_eligibility.clone();
            e.escaped_computed_class = outcome.escaped_computed_class;
        } else {
            let mut blocked = child(
                "queued-allocs",
                EVAL_STATUS_BLOCKED,
                "created to place remaining allocations",
            );
            blocked.failed_tg_allocs = outcome.failed_tg_allocs.clone();
            blocked.snapshot_index = snapshot_index;
            blocked.queued_allocations = outcome.queued.clone();
            blocked.class_eligibility = outcome.class_eligibility.clone();
            blocked.escaped_computed_class = outcome.escaped_computed_class;
            e.blocked_eval = blocked.id.clone();
            e.status = EVAL_STATUS_COMPLETE.into();
            created.push(blocked);
        }
    } else {
        e.status = EVAL_STATUS_COMPLETE.into();
    }
    if outcome.more_updates {
        let stagger = outcome
            .plan
            .job
            .as_ref()
            .and_then(|j| j.task_groups.iter().find_map(|g| g.update.as_ref()))
            .map(|u| u.stagger)
            .unwrap_or(30 * SECOND);
        let mut next = child("rolling-update", EVAL_STATUS_PENDING, "");
        next.wait = stagger;
        e.next_eval = next.id.clone();
        created.push(next);
    }
    planner.finish(e.clone(), created.clone()).await?;
    Ok(Processed {
        eval: e,
        created,
        placed,
    })
}

//! The service and batch schedulers: reconcile every group, then place.
//!
//! ```text
//!  job + its allocs ─▶ reconcile (per group) ─▶ stops, in-place updates
//!                                           └─▶ placements ─▶ Stack::select
//!                                                              │ none fits
//!                                                              ▼
//!                                             FailedTGAllocs + queued count
//! ```
//! Stops go into the plan first so that destructive updates and
//! replacements can reuse what the stopped allocations free.

use std::sync::Arc;

use super::Outcome;
use super::reconcile::{self, GroupPlan};
use super::reschedule;
use super::seed_for;
use super::stack::Stack;
use super::update::tasks_updated;
use super::view::StateView;
use crate::ids;
use crate::state::Followup;
use crate::structs::{
    ALLOC_CLIENT_PENDING, ALLOC_DESIRED_RUN, ALLOC_DESIRED_STOP, AllocatedResources, Allocation,
    EVAL_STATUS_PENDING, Evaluation, JOB_TYPE_BATCH, Job, TRIGGER_ALLOC_FAILURE,
};

/// Computes the plan for `eval` on `state` (pure apart from the IDs and the
/// random node order it draws).
pub fn compute(state: &dyn StateView, eval: &Evaluation, now: i64) -> Outcome {
    let job = state.job(&eval.namespace, &eval.job_id);
    let batch = job
        .as_ref()
        .map(|j| j.job_type == JOB_TYPE_BATCH)
        .unwrap_or(eval.eval_type == JOB_TYPE_BATCH);
    let allocs = state.allocs_by_job(&eval.namespace, &eval.job_id);
    let mut out = Outcome::new(eval, job.clone(), state.latest_index());

    // Every group the job names or an allocation still belongs to.
    let mut groups: Vec<String> = job
        .iter()
        .flat_map(|j| j.task_groups.iter().map(|g| g.name.clone()))
        .collect();
    for a in &allocs {
        if !groups.contains(&a.task_group) {
            groups.push(a.task_group.clone());
        }
    }

    let new_job = job.as_deref();
    let mut plans: Vec<(String, GroupPlan)> = Vec::new();
    for g in &groups {
        let mine: Vec<Arc<Allocation>> = allocs
            .iter()
            .filter(|a| &a.task_group == g)
            .cloned()
            .collect();
        let destructive = |old: &Job| new_job.is_some_and(|new| tasks_updated(old, new, g));
        let cx = reconcile::Context {
            state,
            eval_id: &eval.id,
            now,
            batch,
        };
        let plan = reconcile::reconcile_group(&cx, job.as_deref(), g, &mine, &destructive);
        plans.push((g.clone(), plan));
    }

    let for_stack = job.clone();
    let mut stack = for_stack
        .as_deref()
        .map(|j| Stack::new(state, j, seed_for(&eval.id, state.latest_index()), batch));
    for (g, plan) in &plans {
        out.annotations.insert(g.clone(), plan.updates.clone());
        for s in &plan.stop {
            if let Some(stack) = stack.as_mut() {
                stack.note_stop(&s.alloc);
            }
            let mut a = (*s.alloc).clone();
            a.desired_status = ALLOC_DESIRED_STOP.into();
            a.desired_description = s.description.into();
            if let Some(cs) = s.client_status {
                a.client_status = cs.into();
            }
            a.job = None;
            a.modify_time = now;
            out.plan.push_stop(a);
        }
        if let Some(job) = &job {
            for a in &plan.in_place {
                let mut a = (**a).clone();
                a.job = Some(job.clone());
                a.eval_id = eval.id.clone();
                a.desired_description = "alloc updating in-place".into();
                a.modify_time = now;
                out.plan.push_alloc(a);
            }
        }
        if plan.more_updates {
            out.more_updates = true;
        }
    }
    follow_ups(&mut out, eval, &plans, now);

    let (Some(job), Some(stack)) = (job, stack.as_mut()) else {
        return out;
    };
    let mut shared = SharedResources::default();
    for (g, plan) in &plans {
        let Some(group) = job.task_group(g) else {
            continue;
        };
        for p in &plan.place {
            if let Some(failed) = out.failed_tg_allocs.get_mut(g) {
                failed.coalesced_failures += 1;
                *out.queued.entry(g.clone()).or_default() += 1;
                continue;
            }
            // A rescheduled allocation avoids the nodes it failed on.
            let avoid: Vec<String> = p
                .reschedule
                .iter()
                .flat_map(|t| t.events.iter().map(|e| e.prev_node_id.clone()))
                .collect();
            stack.set_penalty(avoid);
            match stack.select(group) {
                Ok(sel) => {
                    let alloc = Allocation {
                        id: ids::uuid(),
                        namespace: job.namespace.clone(),
                        eval_id: eval.id.clone(),
                        name: p.name.clone(),
                        node_id: sel.node.id.clone(),
                        node_name: sel.node.name.clone(),
                        job_id: job.id.clone(),
                        job: Some(job.clone()),
                        task_group: g.clone(),
                        allocated_resources: Some(shared.share(sel.resources)),
                        metrics: Some(sel.metric),
                        desired_status: ALLOC_DESIRED_RUN.into(),
                        client_status: ALLOC_CLIENT_PENDING.into(),
                        previous_allocation: p
                            .previous
                            .as_ref()
                            .map(|a| a.id.clone())
                            .unwrap_or_default(),
                        reschedule_tracker: p.reschedule.clone().map(Box::new),
                        create_time: now,
                        modify_time: now,
                        ..Allocation::default()
                    };
                    out.plan.push_alloc(alloc);
                }
                Err(metric) => {
                    out.failed_tg_allocs.insert(g.clone(), *metric);
                    *out.queued.entry(g.clone()).or_default() += 1;
                    for (class, eligible) in stack.class_eligibility(g) {
                        *out.class_eligibility.entry(class).or_insert(false) |= eligible;
                    }
                    out.escaped_computed_class |= stack.escapes_classes();
                }
            }
        }
        out.queued.entry(g.clone()).or_default();
    }
    out
}

/// One follow-up evaluation per window of reschedule times; each failed
/// allocation is annotated with the evaluation that will replace it.
fn follow_ups(out: &mut Outcome, eval: &Evaluation, plans: &[(String, GroupPlan)], now: i64) {
    let later: Vec<&(Arc<Allocation>, i64)> = plans
        .iter()
        .flat_map(|(_, p)| &p.reschedule_later)
        .collect();
    if later.is_empty() {
        return;
    }
    let times: Vec<i64> = later.iter().map(|(_, at)| *at).collect();
    let windows = reschedule::batch_times(&times);
    let mut evals: Vec<Evaluation> = Vec::new();
    for ((alloc, _), window) in later.into_iter().zip(windows) {
        let id = match evals.iter().find(|e| e.wait_until == window) {
            Some(e) => e.id.clone(),
            None => {
                let e = Evaluation {
                    id: ids::uuid(),
                    namespace: eval.namespace.clone(),
                    priority: eval.priority,
                    eval_type: eval.eval_type.clone(),
                    triggered_by: TRIGGER_ALLOC_FAILURE.into(),
                    job_id: eval.job_id.clone(),
                    job_modify_index: eval.job_modify_index,
                    status: EVAL_STATUS_PENDING.into(),
                    status_description: "created for delayed rescheduling".into(),
                    previous_eval: eval.id.clone(),
                    wait_until: window,
                    create_time: now,
                    modify_time: now,
                    ..Evaluation::default()
                };
                let id = e.id.clone();
                evals.push(e);
                id
            }
        };
        out.plan.followups.push(Followup {
            alloc_id: alloc.id.clone(),
            eval_id: id,
        });
    }
    out.plan.followup_evals = evals;
}

/// Hands out one `Arc` for equal resources in a row, so the placements of a
/// group without ports share theirs.
#[derive(Default)]
pub struct SharedResources {
    last: Option<Arc<AllocatedResources>>,
}

impl SharedResources {
    pub fn share(&mut self, r: AllocatedResources) -> Arc<AllocatedResources> {
        match &self.last {
            Some(last) if **last == r => last.clone(),
            _ => {
                let r = Arc::new(r);
                self.last = Some(r.clone());
                r
            }
        }
    }
}

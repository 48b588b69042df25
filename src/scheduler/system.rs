//! The system scheduler: one allocation of each group on every eligible
//! node of the job's datacenters.
//!
//! ```text
//!  each ready node in the job's datacenters, feasible for the group
//!     ├─ no live alloc of the group there ─▶ place on that node
//!     └─ live alloc ─▶ ignore / in-place / destructive (as the generic one)
//!  live allocs on down or gone nodes ─▶ lost; on nodes no longer wanted ─▶ stop
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::reconcile::{DESC_LOST, DESC_NOT_NEEDED, DESC_UPDATING, alloc_name};
use super::stack::{Stack, check_node, dc_matches};
use super::update::tasks_updated;
use super::view::StateView;
use super::{Outcome, seed_for};
use crate::ids;
use crate::structs::{
    ALLOC_CLIENT_LOST, ALLOC_CLIENT_PENDING, ALLOC_DESIRED_RUN, ALLOC_DESIRED_STOP, Allocation,
    Evaluation, NODE_STATUS_DOWN,
};

fn stopped(a: &Allocation, description: &str, lost: bool, now: i64) -> Allocation {
    let mut a = a.clone();
    a.desired_status = ALLOC_DESIRED_STOP.into();
    a.desired_description = description.into();
    if lost {
        a.client_status = ALLOC_CLIENT_LOST.into();
    }
    a.job = None;
    a.modify_time = now;
    a
}

pub fn compute(state: &dyn StateView, eval: &Evaluation, now: i64) -> Outcome {
    let job = state.job(&eval.namespace, &eval.job_id);
    let allocs = state.allocs_by_job(&eval.namespace, &eval.job_id);
    let mut out = Outcome::new(eval, job.clone(), state.latest_index());
    let live: Vec<&Arc<Allocation>> = allocs.iter().filter(|a| !a.terminal()).collect();
    let Some(job) = job.filter(|j| !j.stop) else {
        for a in live {
            let lost = state
                .node(&a.node_id)
                .is_none_or(|n| n.status == NODE_STATUS_DOWN);
            let desc = if lost { DESC_LOST } else { DESC_NOT_NEEDED };
            out.plan.push_stop(stopped(a, desc, lost, now));
            let g = out.annotations.entry(a.task_group.clone()).or_default();
            g.stop += 1;
        }
        return out;
    };
    let mut stack = Stack::new(state, &job, seed_for(&eval.id, state.latest_index()), false);
    // (node, group) pairs that already run.
    let mut running: BTreeMap<(String, String), &Arc<Allocation>> = BTreeMap::new();
    for a in &live {
        let node = state.node(&a.node_id);
        let group = job.task_group(&a.task_group);
        let lost = node.as_ref().is_none_or(|n| n.status == NODE_STATUS_DOWN);
        let wanted = match (&node, group) {
            (Some(n), Some(g)) => {
                !lost
                    // A draining node keeps its system allocations until
                    // the drainer marks them (after everything else).
                    && (n.drain_strategy.is_none() || a.desired_transition.migrate != Some(true))
                    && job.datacenters.iter().any(|d| dc_matches(d, &n.datacenter))
                    && check_node(&job, g, n).is_ok()
            }
            _ => false,
        };
        let dup = running.contains_key(&(a.node_id.clone(), a.task_group.clone()));
        if !wanted || dup {
            stack.note_stop(a);
            let desc = if lost { DESC_LOST } else { DESC_NOT_NEEDED };
            out.plan.push_stop(stopped(a, desc, lost, now));
            out.annotations
                .entry(a.task_group.clone())
                .or_default()
                .stop += 1;
            continue;
        }
        running.insert((a.node_id.clone(), a.task_group.clone()), a);
    }
    let mut replace: BTreeSet<(String, String)> = BTreeSet::new();
    for ((node_id, group), a) in &running {
        let updates = out.annotations.entry(group.clone()).or_default();
        let Some(old) = a.job.as_deref() else {
            updates.ignore += 1;
            continue;
        };
        if old.job_modify_index == job.job_modify_index {
            updates.ignore += 1;
        } else if tasks_updated(old, &job, group) {
            updates.destructive_update += 1;
            stack.note_stop(a);
            out.plan.push_stop(stopped(a, DESC_UPDATING, false, now));
            replace.insert((node_id.clone(), group.clone()));
        } else {
            updates.in_place_update += 1;
            let mut a = (***a).clone();
            a.job = Some(job.clone());
            a.eval_id = eval.id.clone();
            a.modify_time = now;
            out.plan.push_alloc(a);
        }
    }
    let nodes: Vec<_> = state
        .nodes()
        .into_iter()
        .filter(|n| n.ready() && job.datacenters.iter().any(|d| dc_matches(d, &n.datacenter)))
        .collect();
    for group in &job.task_groups {
        out.queued.entry(group.name.clone()).or_default();
        for node in &nodes {
            let key = (node.id.clone(), group.name.clone());
            if running.contains_key(&key) && !replace.contains(&key) {
                continue;
            }
            if !stack.is_feasible(node, group) {
                continue;
            }
            let is_new = !replace.contains(&key);
            match stack.select_on(group, &node.id) {
                Ok(sel) => {
                    if is_new {
                        out.annotations.entry(group.name.clone()).or_default().place += 1;
                    }
                    out.plan.push_alloc(Allocation {
                        id: ids::uuid(),
                        namespace: job.namespace.clone(),
                        eval_id: eval.id.clone(),
                        name: alloc_name(&job.id, &group.name, 0),
                        node_id: node.id.clone(),
                        node_name: node.name.clone(),
                        job_id: job.id.clone(),
                        job: Some(job.clone()),
                        task_group: group.name.clone(),
                        allocated_resources: Some(std::sync::Arc::new(sel.resources)),
                        metrics: Some(sel.metric),
                        desired_status: ALLOC_DESIRED_RUN.into(),
                        client_status: ALLOC_CLIENT_PENDING.into(),
                        create_time: now,
                        modify_time: now,
                        ..Allocation::default()
                    });
                }
                Err(metric) => {
                    *out.queued.entry(group.name.clone()).or_default() += 1;
                    match out.failed_tg_allocs.get_mut(&group.name) {
                        Some(m) => m.coalesced_failures += 1,
                        None => {
                            out.failed_tg_allocs.insert(group.name.clone(), *metric);
                        }
                    }
                }
            }
        }
    }
    out
}

//! Plan results: the only way allocations are placed or stopped by
//! schedulers.

use std::sync::Arc;

use crate::state::keys::AllocId;
use crate::state::summary;
use crate::state::{
    AllocStop, Applied, ApplyError, Followup, JobKey, PlanResults, State, Table,
    apply::{alloc, eval},
};
use crate::structs::{ALLOC_CLIENT_PENDING, ALLOC_DESIRED_RUN, ALLOC_DESIRED_STOP, Allocation};

pub fn apply(state: &mut State, index: u64, results: PlanResults) -> Result<Applied, ApplyError> {
    eval::check_ids(&results.evals)?;
    let job = results.job.map(Arc::new);
    let nodes_available = Arc::new(results.nodes_available);
    let nodes_in_pool = results.nodes_in_pool;
    let mut previous_resources: Option<Arc<crate::structs::AllocatedResources>> = None;
    let mut jobs: Vec<JobKey> = Vec::new();
    let mut touch = |namespace: &str, id: &str| {
        if !jobs.iter().any(|k| k.namespace == namespace && k.id == id) {
            jobs.push(JobKey::new(namespace, id));
        }
    };
    for AllocStop {
        alloc_id,
        desired_description,
        client_status,
        modify_time,
    } in results.stops
    {
        let Some(old) = state.allocs.get(&AllocId::new(&alloc_id)).cloned() else {
            continue;
        };
        let mut a: Allocation = (*old).clone();
        a.desired_status = ALLOC_DESIRED_STOP.into();
        a.desired_description = desired_description;
        if let Some(cs) = client_status {
            a.client_status = cs;
        }
        a.modify_time = modify_time;
        a.modify_index = index;
        a.alloc_modify_index = index;
        touch(&a.namespace, &a.job_id);
        alloc::insert(state, Arc::new(a));
    }
    for mut p in results.allocs {
        if p.id.is_empty() {
            return Err(ApplyError::Invalid("a planned allocation has no ID".into()));
        }
        // Every planned allocation, new or updated, counts as "previous"
        // for the next one's `same_resources`.
        let resources = if p.same_resources {
            previous_resources.clone()
        } else {
            p.resources.take().map(|r| Arc::new(*r))
        };
        previous_resources = resources.clone();
        let existing = match p.new {
            Some(true) => None,
            _ => state.allocs.get(&AllocId::new(&p.id)),
        };
        let a = match existing {
            // An in-place update: same node, name and resources; new job.
            Some(old) => {
                let mut a: Allocation = (**old).clone();
                if let Some(j) = &job {
                    a.job = Some(j.clone());
                }
                a.eval_id = results.eval_id.clone();
                if !p.desired_description.is_empty() {
                    a.desired_description = p.desired_description;
                }
                a.modify_time = p.time;
                a
            }
            None => {
                let Some(j) = &job else {
                    return Err(ApplyError::Invalid(format!(
                        "allocation {} is placed without a job",
                        p.id
                    )));
                };
                let metrics = match p.metric {
                    Some(m) => {
                        Some(m.into_metric(&p.node_id, nodes_available.clone(), nodes_in_pool))
                    }
                    None => p.metrics.map(|m| *m),
                };
                Allocation {
                    id: p.id,
                    namespace: j.namespace.clone(),
                    eval_id: results.eval_id.clone(),
                    name: p.name,
                    node_id: p.node_id,
                    node_name: p.node_name,
                    job_id: j.id.clone(),
                    job: Some(j.clone()),
                    task_group: p.task_group,
                    allocated_resources: resources,
                    metrics,
                    desired_status: ALLOC_DESIRED_RUN.into(),
                    desired_description: p.desired_description,
                    client_status: ALLOC_CLIENT_PENDING.into(),
                    previous_allocation: p.previous_allocation,
                    reschedule_tracker: p.reschedule_tracker,
                    create_index: index,
                    create_time: p.time,
                    modify_time: p.time,
                    ..Allocation::default()
                }
            }
        };
        let mut a = a;
        a.modify_index = index;
        a.alloc_modify_index = index;
        touch(&a.namespace, &a.job_id);
        // Link a replaced allocation to its replacement.
        if a.create_index == index && !a.previous_allocation.is_empty() {
            link_previous(state, index, &a);
        }
        if p.new == Some(true) {
            alloc::insert_new(state, Arc::new(a));
        } else {
            alloc::insert(state, Arc::new(a));
        }
    }
    for Followup { alloc_id, eval_id } in results.followups {
        let Some(old) = state.allocs.get(&AllocId::new(&alloc_id)).cloned() else {
            continue;
        };
        let mut a: Allocation = (*old).clone();
        a.followup_eval_id = eval_id;
        a.modify_index = index;
        touch(&a.namespace, &a.job_id);
        alloc::insert(state, Arc::new(a));
    }
    for e in results.evals {
        eval::put(state, index, e);
    }
    state.index.bump(Table::Allocs, index);
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

/// Sets `NextAllocation` on the allocation `replacement` replaces.
fn link_previous(state: &mut State, index: u64, replacement: &Allocation) {
    let Some(old) = state
        .allocs
        .get(&AllocId::new(&replacement.previous_allocation))
        .cloned()
    else {
        return;
    };
    if old.next_allocation == replacement.id {
        return;
    }
    let mut prev: Allocation = (*old).clone();
    prev.next_allocation = replacement.id.clone();
    prev.modify_index = index;
    alloc::insert(state, Arc::new(prev));
}

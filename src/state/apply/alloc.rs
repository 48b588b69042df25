//! Allocations.

use std::sync::Arc;

use crate::state::summary;
use crate::state::{Applied, ApplyError, JobKey, State, Table};
use crate::structs::Allocation;

fn account(state: &mut State, alloc: &Allocation, add: bool) {
    if alloc.terminal() {
        return;
    }
    let entry = state.node_usage.entry(alloc.node_id.clone()).or_default();
    let ports = alloc.host_ports();
    if add {
        entry.usage.add(alloc.usage());
        entry.allocs += 1;
        for p in ports {
            entry.ports.insert(p);
        }
    } else {
        entry.usage.sub(alloc.usage());
        entry.allocs = entry.allocs.saturating_sub(1);
        for p in ports {
            entry.ports.remove(&p);
        }
    }
}

/// Inserts `alloc` and maintains the by-job, by-node and by-eval indexes
/// and the node usage.
pub(crate) fn insert(state: &mut State, alloc: Arc<Allocation>) {
    account(state, &alloc, true);
    if let Some(old) = state.allocs.get(&alloc.id).cloned() {
        account(state, &old, false);
        state
            .allocs_by_index
            .remove(&(old.modify_index, old.id.clone()));
        if !old.terminal() && alloc.terminal() {
            state.index.capacity = state.index.capacity.max(alloc.modify_index);
        }
        if old.node_id != alloc.node_id
            && let Some(set) = state.allocs_by_node.get_mut(&old.node_id)
        {
            set.remove(&old.id);
        }
        if old.eval_id != alloc.eval_id
            && let Some(set) = state.allocs_by_eval.get_mut(&old.eval_id)
        {
            set.remove(&old.id);
        }
    }
    let id = alloc.id.clone();
    state
        .allocs_by_index
        .insert((alloc.modify_index, id.clone()), ());
    state
        .allocs_by_job
        .entry(JobKey::new(&alloc.namespace, &alloc.job_id))
        .or_default()
        .insert(id.clone());
    state
        .allocs_by_node
        .entry(alloc.node_id.clone())
        .or_default()
        .insert(id.clone());
    state
        .allocs_by_eval
        .entry(alloc.eval_id.clone())
        .or_default()
        .insert(id.clone());
    state.allocs.insert(id, alloc);
}

pub fn upsert(
    state: &mut State,
    index: u64,
    allocs: Vec<Allocation>,
) -> Result<Applied, ApplyError> {
    if let Some(a) = allocs
        .iter()
        .find(|a| a.id.is_empty() || a.job_id.is_empty())
    {
        return Err(ApplyError::Invalid(format!(
            "allocation {:?} needs an ID and a job ID",
            a.name
        )));
    }
    let mut jobs = Vec::new();
    for mut alloc in allocs {
        match state.allocs.get(&alloc.id) {
            Some(old) => {
                alloc.create_index = old.create_index;
                alloc.alloc_modify_index =
                    if old.desired_status != alloc.desired_status || old.node_id != alloc.node_id {
                        index
                    } else {
                        old.alloc_modify_index
                    };
            }
            None => {
                alloc.create_index = index;
                alloc.alloc_modify_index = index;
            }
        }
        alloc.modify_index = index;
        let key = JobKey::new(&alloc.namespace, &alloc.job_id);
        if !jobs.contains(&key) {
            jobs.push(key);
        }
        insert(state, Arc::new(alloc));
    }
    state.index.bump(Table::Allocs, index);
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

/// What clients report: client status, description and task states.
/// Allocations the servers no longer know are skipped.
pub fn client_update(
    state: &mut State,
    index: u64,
    updates: Vec<crate::state::AllocClientUpdate>,
    evals: Vec<crate::structs::Evaluation>,
) -> Result<Applied, ApplyError> {
    let mut jobs = Vec::new();
    for u in updates {
        let Some(old) = state.allocs.get(&u.id).cloned() else {
            continue;
        };
        let mut a = (*old).clone();
        a.client_status = u.client_status;
        a.client_description = u.client_description;
        if !u.task_states.is_empty() {
            a.task_states = u.task_states;
        }
        a.modify_time = u.modify_time;
        a.modify_index = index;
        let key = JobKey::new(&a.namespace, &a.job_id);
        if !jobs.contains(&key) {
            jobs.push(key);
        }
        insert(state, Arc::new(a));
    }
    for e in evals {
        let key = JobKey::new(&e.namespace, &e.job_id);
        if !jobs.contains(&key) {
            jobs.push(key);
        }
        crate::state::apply::eval::put(state, index, e);
    }
    state.index.bump(Table::Allocs, index);
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

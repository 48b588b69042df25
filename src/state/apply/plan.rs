//! Plan results: the only way allocations are placed or stopped by
//! schedulers.

use std::sync::Arc;

use crate::state::summary;
use crate::state::{
    AllocStop, Applied, ApplyError, JobKey, PlanResults, State, Table, apply::alloc,
};
use crate::structs::{ALLOC_DESIRED_STOP, Allocation};

pub fn apply(state: &mut State, index: u64, results: PlanResults) -> Result<Applied, ApplyError> {
    let job = results.job.map(Arc::new);
    let mut jobs: Vec<JobKey> = Vec::new();
    let mut touch = |key: JobKey| {
        if !jobs.contains(&key) {
            jobs.push(key);
        }
    };
    for AllocStop {
        alloc_id,
        desired_description,
        client_status,
        modify_time,
    } in results.stops
    {
        let Some(old) = state.allocs.get(&alloc_id).cloned() else {
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
        touch(JobKey::new(&a.namespace, &a.job_id));
        alloc::insert(state, Arc::new(a));
    }
    for mut a in results.allocs {
        if a.id.is_empty() {
            return Err(ApplyError::Invalid("a planned allocation has no ID".into()));
        }
        a.job = job
            .clone()
            .or_else(|| state.allocs.get(&a.id).and_then(|o| o.job.clone()));
        match state.allocs.get(&a.id) {
            Some(old) => {
                a.create_index = old.create_index;
                // Keep what the client reported.
                a.client_status = old.client_status.clone();
                a.client_description = old.client_description.clone();
                a.task_states = old.task_states.clone();
            }
            None => a.create_index = index,
        }
        a.modify_index = index;
        a.alloc_modify_index = index;
        touch(JobKey::new(&a.namespace, &a.job_id));
        alloc::insert(state, Arc::new(a));
    }
    // Link replaced allocations to their replacements.
    state.index.bump(Table::Allocs, index);
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

//! Garbage collection ([`GcReap`]) and the rebuild of job summaries.
//!
//! Apply removes only what the entry names, and only what the GC rules
//! ([`crate::state::gc`]) still find collectable here, at the entry's
//! cutoffs; anything else is skipped, never refused, so an entry decided
//! on an older state (or proposed twice) removes no live object.
//! Order: evaluation GC's allocations, then its evaluations (each only
//! once none of its allocations remain), then jobs with what they still
//! hold (up to `budget` objects), then nodes.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::state::apply::{alloc, eval, job, node};
use crate::state::gc::{
    alloc_collectable, eval_cutoff, eval_old, job_collectable, node_collectable,
};
use crate::state::keys::AllocId;
use crate::state::{Applied, ApplyError, GcReap, JobKey, State, summary};

pub fn reap(state: &mut State, index: u64, reap: GcReap) -> Result<Applied, ApplyError> {
    let GcReap {
        cutoffs,
        allocs,
        evals,
        jobs,
        budget,
        nodes,
    } = reap;
    let mut touched: BTreeSet<JobKey> = BTreeSet::new();
    // Nodes that lost allocations or were removed: an entry of a node that
    // is gone and holds nothing is dropped at the end.
    let mut nodes_left: BTreeSet<String> = BTreeSet::new();

    let going: Vec<&str> = allocs
        .iter()
        .filter(|id| {
            state
                .allocs
                .get(&AllocId::new(id))
                .is_some_and(|a| alloc_collectable(state, a, &cutoffs))
        })
        .map(String::as_str)
        .collect();
    nodes_left.extend(nodes_of(state, going.iter().copied()));
    touched.extend(alloc::remove_only(state, index, going));

    // Per job, the evaluations that still have allocations.
    let mut held: HashMap<JobKey, HashSet<String>> = HashMap::new();
    for id in &evals {
        let Some(e) = state.evals.get(id) else {
            continue;
        };
        if !eval_old(e, eval_cutoff(e, &cutoffs)) {
            continue;
        }
        let key = JobKey::new(&e.namespace, &e.job_id);
        let holding = held.entry(key.clone()).or_insert_with(|| {
            state
                .allocs_by_job
                .get(&key)
                .map(|set| set.values().map(|a| a.eval_id.clone()).collect())
                .unwrap_or_default()
        });
        if !holding.contains(id) {
            eval::remove(state, index, id);
            touched.insert(key);
        }
    }

    let mut left = budget;
    for key in jobs {
        if left == 0 {
            break;
        }
        let collectable = state
            .jobs
            .get(&key)
            .is_some_and(|j| job_collectable(state, j, &cutoffs).is_some());
        if collectable {
            left = remove_job(state, index, &key, left, &mut nodes_left);
            touched.insert(key);
        }
    }

    for id in nodes {
        if state
            .nodes
            .get(&id)
            .is_some_and(|n| node_collectable(state, n, &cutoffs))
        {
            node::remove(state, index, &id);
            nodes_left.insert(id);
        }
    }

    for key in &touched {
        summary::refresh_collected(state, index, key);
    }
    for id in &nodes_left {
        alloc::forget_node_if_empty(state, id);
    }
    Ok(Applied::default())
}

/// The nodes the allocations `ids` are on.
fn nodes_of<'a>(state: &State, ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    ids.filter_map(|id| state.allocs.get(&AllocId::new(id)))
        .map(|a| a.node_id.clone())
        .collect()
}

/// Removes a collectable job's allocations and evaluations, at most
/// `budget` objects, and the job itself (versions, summary) once nothing
/// of it is left; returns the budget left.
fn remove_job(
    state: &mut State,
    index: u64,
    key: &JobKey,
    budget: u64,
    nodes_left: &mut BTreeSet<String>,
) -> u64 {
    let mut left = budget;
    let allocs: Vec<String> = state
        .allocs_by_job
        .get(key)
        .map(|set| {
            set.values()
                .take(left as usize)
                .map(|a| a.id.clone())
                .collect()
        })
        .unwrap_or_default();
    left -= allocs.len() as u64;
    nodes_left.extend(nodes_of(state, allocs.iter().map(String::as_str)));
    alloc::remove_only(state, index, allocs.iter().map(String::as_str));
    let evals: Vec<String> = state
        .evals_by_job
        .get(key)
        .map(|ids| ids.iter().take(left as usize).cloned().collect())
        .unwrap_or_default();
    left -= evals.len() as u64;
    for id in &evals {
        eval::remove(state, index, id);
    }
    let empty = !state.allocs_by_job.contains_key(key) && !state.evals_by_job.contains_key(key);
    if empty && left > 0 {
        job::remove(state, index, key);
        left -= 1;
    }
    left
}

/// Rebuilds every job's summary from its allocations (creating missing
/// ones); statuses are left as they are, as in Nomad.
pub fn reconcile_summaries(state: &mut State, index: u64) -> Result<Applied, ApplyError> {
    let keys: Vec<JobKey> = state.jobs.keys().cloned().collect();
    for key in keys {
        summary::ensure(state, index, &key);
        summary::refresh_summary(state, index, &key);
    }
    Ok(Applied::default())
}

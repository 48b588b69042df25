//! Allocations.

use std::sync::Arc;

use crate::state::apply::service;
use crate::state::summary;

use crate::state::NodeUsage;
use crate::state::keys::{AllocId, Id};
use crate::state::{Applied, ApplyError, JobKey, State, Table};
use crate::structs::Allocation;

/// Adds (or takes back) what a live `alloc` holds to its node's usage.
fn account(usage: &mut NodeUsage, alloc: &Allocation, add: bool) {
    if alloc.terminal() {
        return;
    }
    let ports = alloc.host_ports();
    if add {
        usage.usage.add(alloc.usage());
        usage.allocs += 1;
        for p in ports {
            usage.ports.insert(p);
        }
    } else {
        usage.usage.sub(alloc.usage());
        usage.allocs = usage.allocs.saturating_sub(1);
        for p in ports {
            usage.ports.remove(&p);
        }
    }
}

/// Inserts `alloc` and maintains the by-job, by-node and by-index indexes,
/// the node usage and the node's allocations index.
pub(crate) fn insert(state: &mut State, alloc: Arc<Allocation>) {
    let id = AllocId::new(&alloc.id);
    if let Some(old) = state.allocs.get(&id).cloned() {
        retire(state, &old, &alloc, &id);
    }
    state.allocs.insert(id.clone(), alloc.clone());
    drop_services_if_stopped(state, &alloc);
    add(state, alloc, id);
}

/// A client-terminal allocation's service registrations go (Nomad's
/// rule: a stop the scheduler wants leaves them to the client, which
/// removes them as its tasks stop).
fn drop_services_if_stopped(state: &mut State, alloc: &Allocation) {
    if alloc.client_terminal() {
        service::remove_alloc(state, alloc.modify_index, &alloc.id);
    }
}

/// [`insert`] for an allocation the plan says is new: no lookup first. If
/// the ID was taken after all, the displaced version is retired as in an
/// update, so the tables stay consistent either way.
pub(crate) fn insert_new(state: &mut State, alloc: Arc<Allocation>) {
    let id = AllocId::new(&alloc.id);
    if let Some(old) = state.allocs.insert(id.clone(), alloc.clone()) {
        retire(state, &old, &alloc, &id);
    }
    drop_services_if_stopped(state, &alloc);
    add(state, alloc, id);
}

/// Records that `node_id`'s allocations changed at `index` (kept as the
/// largest index seen, so a restore that inserts allocations in ID order
/// ends with the latest), and moves the node's entry in the by-index table.
pub(crate) fn node_changed(state: &mut State, node_id: &str, index: u64) {
    let node = match state.by_node.get_mut(node_id) {
        Some(node) => node,
        None => state.by_node.entry(Id::from(node_id)).or_default(),
    };
    if node.index >= index {
        return;
    }
    let before = std::mem::replace(&mut node.index, index);
    let key = Id::from(node_id);
    if before > 0 {
        state.nodes_by_allocs_index.remove(&(before, key.clone()));
    }
    state.nodes_by_allocs_index.insert((index, key), ());
}

/// Undoes what `old` held in the usage and indexes, as `new` replaces it.
fn retire(state: &mut State, old: &Allocation, new: &Allocation, id: &AllocId) {
    if let Some(node) = state.by_node.get_mut(old.node_id.as_str()) {
        account(&mut node.usage, old, false);
        if old.node_id != new.node_id {
            node.allocs.remove(id);
            node_changed(state, &old.node_id, new.modify_index);
        }
    }
    state
        .allocs_by_index
        .remove(&(old.modify_index, id.clone()));
    if !old.terminal() && new.terminal() {
        let class = state
            .nodes
            .get(old.node_id.as_str())
            .map(|n| n.computed_class.clone())
            .unwrap_or_default();
        state.capacity_appeared(&class, new.modify_index);
    }
}

/// Accounts `alloc` on its node and enters it in the indexes.
fn add(state: &mut State, alloc: Arc<Allocation>, id: AllocId) {
    let node = match state.by_node.get_mut(alloc.node_id.as_str()) {
        Some(node) => node,
        None => state
            .by_node
            .entry(Id::from(alloc.node_id.as_str()))
            .or_default(),
    };
    account(&mut node.usage, &alloc, true);
    node.allocs.insert(id.clone(), alloc.clone());
    // Once per node and entry: the allocations an entry places on one
    // node share its index.
    if node.index < alloc.modify_index {
        node_changed(state, &alloc.node_id, alloc.modify_index);
    }
    state
        .allocs_by_index
        .insert((alloc.modify_index, id.clone()), ());
    state
        .allocs_by_job
        .entry(JobKey::new(&alloc.namespace, &alloc.job_id))
        .or_default()
        .insert(id.clone(), alloc.clone());
}

/// Removes allocations for good, from every table and index and from
/// their node's usage; unknown IDs are skipped. This is the one way an
/// allocation leaves the state (garbage collection): it moves the node's
/// allocations index to `index`, so a client's blocking pull sees the
/// allocation gone even though no remaining allocation changed. The
/// summaries and statuses of their jobs are refreshed.
pub fn remove(state: &mut State, index: u64, ids: &[String]) -> Result<Applied, ApplyError> {
    let jobs = remove_only(state, index, ids.iter().map(String::as_str));
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

/// [`remove`] without refreshing the jobs' summaries; returns the jobs
/// whose allocations were removed, for the caller to refresh.
pub(crate) fn remove_only<'a>(
    state: &mut State,
    index: u64,
    ids: impl IntoIterator<Item = &'a str>,
) -> Vec<JobKey> {
    let mut jobs = std::collections::BTreeSet::new();
    for alloc_id in ids {
        let id = AllocId::new(alloc_id);
        let Some(old) = state.allocs.remove(&id) else {
            continue;
        };
        service::remove_alloc(state, index, alloc_id);
        if let Some(node) = state.by_node.get_mut(old.node_id.as_str()) {
            account(&mut node.usage, &old, false);
            node.allocs.remove(&id);
        }
        node_changed(state, &old.node_id, index);
        state
            .allocs_by_index
            .remove(&(old.modify_index, id.clone()));
        let key = JobKey::new(&old.namespace, &old.job_id);
        if let Some(set) = state.allocs_by_job.get_mut(&key) {
            set.remove(&id);
            if set.is_empty() {
                state.allocs_by_job.remove(&key);
            }
        }
        if !old.terminal() {
            let class = state
                .nodes
                .get(old.node_id.as_str())
                .map(|n| n.computed_class.clone())
                .unwrap_or_default();
            state.capacity_appeared(&class, index);
        }
        jobs.insert(key);
        state.index.bump(Table::Allocs, index);
    }
    jobs.into_iter().collect()
}

/// Drops the allocations entry of a node that is no longer registered
/// once its last allocation is gone, so garbage collection leaves nothing
/// of collected nodes behind (a node still registered keeps its entry
/// and index, which its client's blocking pull reads).
pub(crate) fn forget_node_if_empty(state: &mut State, node_id: &str) {
    if state.nodes.contains_key(node_id) {
        return;
    }
    let Some(node) = state.by_node.get(node_id) else {
        return;
    };
    if !node.allocs.is_empty() {
        return;
    }
    let at = node.index;
    state.by_node.remove(node_id);
    state.nodes_by_allocs_index.remove(&(at, Id::from(node_id)));
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
        match state.allocs.get(&AllocId::new(&alloc.id)) {
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
        let Some(old) = state.allocs.get(&AllocId::new(&u.id)).cloned() else {
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

/// Merges servers' wishes into allocations (fields left `None` keep their
/// value) and stores the evaluations that act on them. Unknown
/// allocations are skipped.
pub fn desired_transition(
    state: &mut State,
    index: u64,
    transitions: std::collections::BTreeMap<String, crate::structs::DesiredTransition>,
    evals: Vec<crate::structs::Evaluation>,
) -> Result<Applied, ApplyError> {
    crate::state::apply::eval::check_ids(&evals)?;
    for (id, t) in transitions {
        let Some(old) = state.allocs.get(&AllocId::new(&id)).cloned() else {
            continue;
        };
        let mut a = (*old).clone();
        let d = &mut a.desired_transition;
        d.migrate = t.migrate.or(d.migrate);
        d.reschedule = t.reschedule.or(d.reschedule);
        d.force_reschedule = t.force_reschedule.or(d.force_reschedule);
        d.no_shutdown_delay = t.no_shutdown_delay.or(d.no_shutdown_delay);
        a.modify_index = index;
        insert(state, Arc::new(a));
    }
    for e in evals {
        crate::state::apply::eval::put(state, index, e);
    }
    state.index.bump(Table::Allocs, index);
    Ok(Applied::default())
}

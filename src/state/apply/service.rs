//! Service registrations: a client's batch of writes and removals, and
//! the removals that follow from other changes (an allocation stopped on
//! its client or removed, a node down or gone).

use std::sync::Arc;

use crate::state::keys::{AllocId, ServiceKey};
use crate::state::services::keys_under;
use crate::state::{Applied, ApplyError, State, Table};
use crate::structs::{NODE_STATUS_DOWN, ServiceRegistration};

/// Writes `upserts` (whole, replacing a registration with the same key)
/// and removes `deletes`, in one entry.
///
/// An upsert is skipped, not refused, when the state no longer allows
/// it: its allocation is gone, stopped on its client or not on the
/// registration's node, or that node is gone or down. The endpoint
/// checked all that on an earlier state; in log order the allocation may
/// have stopped since, and its registrations must not outlive it.
///
/// A registration equal to the stored one is not written again, so a
/// client's periodic re-send does not move the table's index.
pub fn update(
    state: &mut State,
    index: u64,
    upserts: Vec<ServiceRegistration>,
    deletes: Vec<ServiceKey>,
) -> Result<Applied, ApplyError> {
    if let Some(r) = upserts
        .iter()
        .find(|r| r.id.is_empty() || r.namespace.is_empty() || r.service_name.is_empty())
    {
        return Err(ApplyError::Invalid(format!(
            "service registration {:?} needs an ID, a namespace and a service name",
            r.id
        )));
    }
    let mut changed = false;
    for mut reg in upserts {
        if !allowed(state, &reg) {
            continue;
        }
        let key = ServiceKey::new(&reg.namespace, &reg.id);
        match state.services.get(&key).cloned() {
            Some(old) => {
                reg.create_index = old.create_index;
                reg.modify_index = old.modify_index;
                if *old == reg {
                    continue;
                }
                unindex(state, &old, &key);
            }
            None => reg.create_index = index,
        }
        reg.modify_index = index;
        state.note(index, crate::state::Changed::Service(key));
        insert(state, Arc::new(reg));
        changed = true;
    }
    for key in deletes {
        changed |= remove(state, index, &key);
    }
    if changed {
        state.index.bump(Table::Services, index);
    }
    Ok(Applied::default())
}

/// Whether `reg` may be written now: its allocation is live on its
/// client and placed on the registration's node, which is up.
fn allowed(state: &State, reg: &ServiceRegistration) -> bool {
    let Some(alloc) = state.allocs.get(&AllocId::new(&reg.alloc_id)) else {
        return false;
    };
    let node_up = state
        .nodes
        .get(&reg.node_id)
        .is_some_and(|n| n.status != NODE_STATUS_DOWN);
    alloc.node_id == reg.node_id && !alloc.client_terminal() && node_up
}

/// Enters `reg` in the table and its indexes (also used by restore).
pub(crate) fn insert(state: &mut State, reg: Arc<ServiceRegistration>) {
    let key = ServiceKey::new(&reg.namespace, &reg.id);
    state
        .services_by_name
        .insert((reg.service_name.clone(), key.clone()));
    state
        .services_by_alloc
        .insert((reg.alloc_id.clone(), key.clone()));
    state
        .services_by_node
        .insert((reg.node_id.clone(), key.clone()));
    state.services.insert(key, reg);
}

fn unindex(state: &mut State, reg: &ServiceRegistration, key: &ServiceKey) {
    state
        .services_by_name
        .remove(&(reg.service_name.clone(), key.clone()));
    state
        .services_by_alloc
        .remove(&(reg.alloc_id.clone(), key.clone()));
    state
        .services_by_node
        .remove(&(reg.node_id.clone(), key.clone()));
}

/// Removes one registration; whether it existed.
fn remove(state: &mut State, index: u64, key: &ServiceKey) -> bool {
    let Some(old) = state.services.remove(key) else {
        return false;
    };
    state.note(index, crate::state::Changed::Service(key.clone()));
    unindex(state, &old, key);
    true
}

/// Removes every registration under `first` in `by` (one of the
/// secondary indexes), moving the table's index when any went.
fn remove_under(state: &mut State, index: u64, by: By, first: &str) {
    let set = match by {
        By::Alloc => &state.services_by_alloc,
        By::Node => &state.services_by_node,
    };
    let keys: Vec<ServiceKey> = keys_under(set, first, "*").cloned().collect();
    if keys.is_empty() {
        return;
    }
    for key in &keys {
        remove(state, index, key);
    }
    state.index.bump(Table::Services, index);
}

#[derive(Clone, Copy)]
enum By {
    Alloc,
    Node,
}

/// An allocation stopped on its client or was removed: its
/// registrations go (at `index`).
pub(crate) fn remove_alloc(state: &mut State, index: u64, alloc_id: &str) {
    remove_under(state, index, By::Alloc, alloc_id);
}

/// A node went down or was removed: the registrations of its
/// allocations go (at `index`).
pub(crate) fn remove_node(state: &mut State, index: u64, node_id: &str) {
    remove_under(state, index, By::Node, node_id);
}

//! Client nodes: registration, heartbeats, status, eligibility, drain.

use std::sync::Arc;

use crate::state::apply::{eval, service};
use crate::state::{Applied, ApplyError, NodeUpdate, State, Table, summary};
use crate::structs::{
    NODE_ELIGIBLE, NODE_INELIGIBLE, NODE_STATUS_DOWN, NODE_STATUS_READY, Node, NodeEvent,
    computed_class,
};

/// Events kept per node.
const MAX_EVENTS: usize = 10;

/// Why a registration of a known node with another secret is refused.
pub const SECRET_MISMATCH: &str = "node secret ID does not match";

pub fn register(state: &mut State, index: u64, mut node: Node) -> Result<Applied, ApplyError> {
    if node.id.is_empty() {
        return Err(ApplyError::Invalid("node has no ID".into()));
    }
    match state.nodes.get(&node.id) {
        // Checked again here, in log order: two first registrations of one
        // ID racing with different secrets cannot both win.
        Some(old) if !old.secret_id.is_empty() && old.secret_id != node.secret_id => {
            return Err(ApplyError::Invalid(SECRET_MISMATCH.into()));
        }
        Some(old) => {
            node.create_index = old.create_index;
            // Drain and eligibility are the servers' to change.
            node.drain_strategy = old.drain_strategy.clone();
            node.drain = old.drain_strategy.is_some();
            if old.scheduling_eligibility == NODE_INELIGIBLE {
                node.scheduling_eligibility = NODE_INELIGIBLE.into();
            }
            if node.events.is_empty() {
                node.events = old.events.clone();
            }
        }
        None => {
            node.create_index = index;
            // The time comes from the command (the server that proposed
            // it), so every replica records the same one.
            let timestamp = if node.status_updated_at > 0 {
                crate::structs::time::rfc3339(node.status_updated_at.saturating_mul(1_000_000_000))
            } else {
                String::new()
            };
            node.events.push(NodeEvent {
                message: "Node registered".into(),
                subsystem: "Cluster".into(),
                timestamp,
                create_index: index,
                ..NodeEvent::default()
            });
        }
    }
    node.modify_index = index;
    node.computed_class = computed_class(&node);
    state
        .heartbeats
        .insert(node.id.clone(), node.status_updated_at * 1_000_000_000);
    state.capacity_appeared(&node.computed_class, index);
    state.note(index, crate::state::Changed::Node(node.id.clone()));
    state.nodes.insert(node.id.clone(), Arc::new(node));
    state.index.bump(Table::Nodes, index);
    Ok(Applied::default())
}

/// Removes nodes (unknown IDs are skipped) with their heartbeats and
/// service registrations, and stores the evaluations that replace what
/// they ran. Their allocations stay: the scheduler finds them on a node
/// that is gone and treats them as lost.
pub fn deregister(
    state: &mut State,
    index: u64,
    node_ids: Vec<String>,
    evals: Vec<crate::structs::Evaluation>,
) -> Result<Applied, ApplyError> {
    eval::check_ids(&evals)?;
    for id in node_ids {
        remove(state, index, &id);
    }
    state.index.bump(Table::Nodes, index);
    let mut jobs = Vec::new();
    for mut e in evals {
        e.node_modify_index = index;
        jobs.push(crate::state::JobKey::new(&e.namespace, &e.job_id));
        eval::put(state, index, e);
    }
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

/// Removes one node, its heartbeat and its service registrations.
pub(crate) fn remove(state: &mut State, index: u64, id: &str) {
    if state.nodes.remove(id).is_some() {
        state.note(index, crate::state::Changed::Node(id.to_string()));
    }
    state.heartbeats.remove(id);
    service::remove_node(state, index, id);
    state.index.bump(Table::Nodes, index);
}

pub fn heartbeat(
    state: &mut State,
    _index: u64,
    node_id: &str,
    time: i64,
) -> Result<Applied, ApplyError> {
    if !state.nodes.contains_key(node_id) {
        return Err(ApplyError::Invalid("node not found".into()));
    }
    state.heartbeats.insert(node_id.to_string(), time);
    Ok(Applied::default())
}

/// Which part of a node an update changes.
pub enum Change {
    Status,
    Eligibility,
    Drain,
}

pub fn update(
    state: &mut State,
    index: u64,
    u: NodeUpdate,
    change: Change,
) -> Result<Applied, ApplyError> {
    let Some(old) = state.nodes.get(&u.node_id).cloned() else {
        return Err(ApplyError::Invalid("node not found".into()));
    };
    let mut node = (*old).clone();
    match change {
        Change::Status => {
            node.status = u.status.clone();
            node.status_updated_at = u.time / 1_000_000_000;
            if u.status == NODE_STATUS_READY {
                state.heartbeats.insert(node.id.clone(), u.time);
            }
            if u.status == NODE_STATUS_DOWN {
                service::remove_node(state, index, &node.id);
            }
        }
        Change::Eligibility => {
            if node.drain_strategy.is_some() && u.eligibility == NODE_ELIGIBLE {
                return Err(ApplyError::Invalid(
                    "can not set node's scheduling eligibility to eligible while it is draining"
                        .into(),
                ));
            }
            node.scheduling_eligibility = u.eligibility.clone();
        }
        Change::Drain => {
            node.drain = u.drain.is_some();
            if u.drain.is_some() {
                node.scheduling_eligibility = NODE_INELIGIBLE.into();
            } else if !u.eligibility.is_empty() {
                node.scheduling_eligibility = u.eligibility.clone();
            }
            node.drain_strategy = u.drain.clone();
        }
    }
    if let Some(mut e) = u.event {
        e.create_index = index;
        node.events.push(e);
        let extra = node.events.len().saturating_sub(MAX_EVENTS);
        node.events.drain(..extra);
    }
    node.modify_index = index;
    state.capacity_appeared(&node.computed_class, index);
    state.note(index, crate::state::Changed::Node(node.id.clone()));
    state.nodes.insert(node.id.clone(), Arc::new(node));
    state.index.bump(Table::Nodes, index);
    let mut jobs = Vec::new();
    for mut e in u.evals {
        e.node_modify_index = index;
        jobs.push(crate::state::JobKey::new(&e.namespace, &e.job_id));
        eval::put(state, index, e);
    }
    for key in jobs {
        summary::refresh(state, index, &key);
    }
    Ok(Applied::default())
}

//! Client nodes.

use std::sync::Arc;

use crate::state::{Applied, ApplyError, State, Table};
use crate::structs::Node;

pub fn register(state: &mut State, index: u64, mut node: Node) -> Result<Applied, ApplyError> {
    if node.id.is_empty() {
        return Err(ApplyError::Invalid("node has no ID".into()));
    }
    node.create_index = state
        .nodes
        .get(&node.id)
        .map(|n| n.create_index)
        .unwrap_or(index);
    node.modify_index = index;
    state.nodes.insert(node.id.clone(), Arc::new(node));
    state.index.bump(Table::Nodes, index);
    state.index.capacity = index;
    Ok(Applied::default())
}

pub fn deregister(
    state: &mut State,
    index: u64,
    node_ids: Vec<String>,
) -> Result<Applied, ApplyError> {
    for id in node_ids {
        state.nodes.remove(&id);
    }
    state.index.bump(Table::Nodes, index);
    Ok(Applied::default())
}

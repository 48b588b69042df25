//! Node registration (the client side arrives with the scheduler and the
//! client agent; this is the write the API and simulators use today).

use super::super::{Server, ServerError, ids};
use crate::state::Command;
use crate::structs::{NODE_ELIGIBLE, NODE_STATUS_READY, Node};

/// Registers or updates `node` and returns the commit index.
pub async fn register(server: &Server, mut node: Node) -> Result<u64, ServerError> {
    if node.id.is_empty() {
        return Err(ServerError::BadRequest("missing node ID".into()));
    }
    if !ids::is_id_prefix(&node.id) || node.id.len() != 36 {
        return Err(ServerError::BadRequest(format!(
            "invalid node ID {:?}: must be a UUID",
            node.id
        )));
    }
    if node.datacenter.is_empty() {
        return Err(ServerError::BadRequest("missing node datacenter".into()));
    }
    if node.status.is_empty() {
        node.status = NODE_STATUS_READY.into();
    }
    if node.scheduling_eligibility.is_empty() {
        node.scheduling_eligibility = NODE_ELIGIBLE.into();
    }
    node.status_updated_at = ids::now_nanos() / 1_000_000_000;
    let (index, _) = server.propose(&Command::NodeRegister { node }).await?;
    Ok(index)
}

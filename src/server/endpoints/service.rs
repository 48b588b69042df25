//! Service registrations: a client's batch for its node (authenticated
//! by the node's secret) and an operator's delete. Each proposes at most
//! one command.

use super::node::authenticate;
use crate::server::{Server, ServerError};
use crate::state::{Command, ServiceKey, State, Table, apply};
use crate::structs::{NODE_STATUS_DOWN, ServiceRegistration, ServiceUpdateRequest};

use super::service_validate as limits;

/// Writes and removes registrations of allocations on `node_id`.
///
/// Each upsert must name this node (an empty `NodeID` is filled in) and an
/// allocation placed on it; an empty `Namespace`, `JobID` or `Datacenter`
/// is filled from the allocation and the node, a different one is
/// refused. Deletes name registration IDs; IDs of registrations not on
/// this node (or no longer stored: the servers drop an allocation's
/// registrations when it stops) are ignored, so a client re-sending a
/// delete is not refused. A batch that would change nothing is not
/// written: the answer is then the table's current index.
pub async fn update(
    server: &Server,
    node_id: &str,
    secret: &str,
    req: ServiceUpdateRequest,
) -> Result<u64, ServerError> {
    limits::batch(req.upserts.len(), req.deletes.len()).map_err(ServerError::BadRequest)?;
    for r in &req.upserts {
        limits::registration(r).map_err(ServerError::BadRequest)?;
    }
    let state = server.consistent_state().await?;
    let node = state
        .node(node_id)
        .ok_or_else(|| ServerError::NotFound("node not found".into()))?;
    authenticate(&node, secret)?;
    if node.status == NODE_STATUS_DOWN {
        return Err(ServerError::BadRequest(
            "node is down and may not register services".into(),
        ));
    }
    let mut upserts = Vec::with_capacity(req.upserts.len());
    for r in req.upserts {
        upserts.push(complete(&state, &node.datacenter, node_id, r)?);
    }
    let on_node = state.service_registrations_by_node(node_id);
    let deletes: Vec<ServiceKey> = req
        .deletes
        .iter()
        .filter_map(|id| on_node.iter().find(|r| &r.id == id))
        .map(|r| ServiceKey::new(&r.namespace, &r.id))
        .collect();
    let cmd = Command::ServiceUpdate { upserts, deletes };
    if !changes(&state, &cmd)? {
        return Ok(state.index(Table::Services).max(1));
    }
    Ok(server.propose(&cmd).await?.0)
}

/// Checks `r` against its allocation and node and fills what it left
/// empty.
fn complete(
    state: &State,
    datacenter: &str,
    node_id: &str,
    mut r: ServiceRegistration,
) -> Result<ServiceRegistration, ServerError> {
    let bad = |m: String| Err(ServerError::BadRequest(m));
    if r.node_id.is_empty() {
        r.node_id = node_id.into();
    } else if r.node_id != node_id {
        return bad(format!(
            "service registration {:?} names node {}, not {node_id}",
            r.id, r.node_id
        ));
    }
    let Some(alloc) = state.alloc(&r.alloc_id) else {
        return bad(format!(
            "service registration {:?}: allocation {} not found",
            r.id, r.alloc_id
        ));
    };
    if alloc.node_id != node_id {
        return bad(format!(
            "service registration {:?}: allocation {} does not belong to node {node_id}",
            r.id, r.alloc_id
        ));
    }
    for (what, field, from_alloc) in [
        ("Namespace", &mut r.namespace, &alloc.namespace),
        ("JobID", &mut r.job_id, &alloc.job_id),
    ] {
        if field.is_empty() {
            field.clone_from(from_alloc);
        } else if field != from_alloc {
            return bad(format!(
                "service registration {:?}: {what} {field:?} is not the allocation's ({from_alloc:?})",
                r.id
            ));
        }
    }
    if r.datacenter.is_empty() {
        r.datacenter = datacenter.into();
    }
    // Stamped at apply.
    r.create_index = 0;
    r.modify_index = 0;
    Ok(r)
}

/// Whether `cmd` would change the table: applied to a copy of `state`
/// (O(1) to make), so the rule is exactly apply's.
fn changes(state: &State, cmd: &Command) -> Result<bool, ServerError> {
    let mut probe = state.clone();
    let before = probe.index(Table::Services);
    let next = probe.indexes().latest + 1;
    apply::apply(&mut probe, next, cmd.clone())
        .map_err(|e| ServerError::BadRequest(e.to_string()))?;
    Ok(probe.index(Table::Services) != before)
}

/// An operator removes one registration of service `name`.
pub async fn delete(
    server: &Server,
    namespace: &str,
    name: &str,
    id: &str,
) -> Result<u64, ServerError> {
    let state = server.consistent_state().await?;
    let found = state
        .service_registration(namespace, id)
        .filter(|r| r.service_name == name)
        .ok_or_else(|| ServerError::NotFound("service registration not found".into()))?;
    let cmd = Command::ServiceUpdate {
        upserts: Vec::new(),
        deletes: vec![ServiceKey::new(&found.namespace, &found.id)],
    };
    Ok(server.propose(&cmd).await?.0)
}

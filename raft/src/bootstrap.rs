//! Cluster formation: `bootstrap_expect` plus `retry_join`, with no manual
//! init step.
//!
//! Until this server holds a membership, it asks every `retry_join` address
//! who is there. If one of them already belongs to a cluster, this server
//! asks that cluster's leader to add it. Otherwise, once `bootstrap_expect`
//! servers (this one included) have found each other and none belongs to a
//! cluster, the one with the lowest id initialises the group with all of
//! them; the others receive the membership from it.
//!
//! *Invariant*: a server whose data directory holds a membership never
//! bootstraps again, so restarts cannot create a second cluster.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::BasicNode;

use crate::node::NodeInner;
use crate::rpc::{NodeInfo, RemoteFailure, RpcRequest, RpcResponse};
use crate::types::NodeId;

const INFO_TIMEOUT: Duration = Duration::from_secs(2);
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

enum Step {
    Done,
    Wait,
}

pub(crate) async fn run(node: Arc<NodeInner>) {
    loop {
        let result = step(&node).await;
        let error = match result {
            Ok(Step::Done) => {
                set_error(&node, None);
                return;
            }
            Ok(Step::Wait) => None,
            Err(e) => {
                tracing::error!(node_id = node.id, error = %e, "cannot form or join a cluster");
                Some(e)
            }
        };
        set_error(&node, error);
        tokio::select! {
            _ = node.shutdown.cancelled() => return,
            _ = tokio::time::sleep(node.config.retry_interval) => {}
        }
    }
}

fn set_error(node: &NodeInner, error: Option<String>) {
    *node
        .formation_error
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = error;
}

async fn step(node: &NodeInner) -> Result<Step, String> {
    if node
        .raft
        .is_initialized()
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(Step::Done);
    }
    let peers = discover(node).await;

    if let Some(member) = peers.iter().find(|p| p.initialized) {
        let target = member
            .leader
            .as_ref()
            .map(|(_, addr)| addr.clone())
            .unwrap_or_else(|| member.addr.clone());
        let req = RpcRequest::Join {
            id: node.id,
            addr: node.addr.clone(),
        };
        return match node.transport.call(&target, req, JOIN_TIMEOUT).await {
            Ok(RpcResponse::Join(Ok(()))) => {
                tracing::info!(node_id = node.id, leader = %target, "joined the cluster");
                Ok(Step::Wait)
            }
            Ok(RpcResponse::Join(Err(
                RemoteFailure::NoLeader
                | RemoteFailure::NotLeader { .. }
                | RemoteFailure::MembershipChangeInProgress,
            ))) => Ok(Step::Wait),
            Ok(RpcResponse::Join(Err(e))) => Err(format!("join refused by {target}: {e}")),
            Ok(other) => Err(format!("unexpected answer from {target}: {other:?}")),
            Err(e) => {
                tracing::debug!(error = %e, "join attempt failed");
                Ok(Step::Wait)
            }
        };
    }

    let expect = node.config.bootstrap_expect;
    if expect == 0 {
        return Ok(Step::Wait);
    }
    let mut members: BTreeMap<NodeId, BasicNode> = node.initial_members();
    for p in &peers {
        if let Some(existing) = members.get(&p.id)
            && existing.addr != p.addr
        {
            return Err(format!(
                "node id {} is used by both {} and {}",
                p.id, existing.addr, p.addr
            ));
        }
        members.insert(p.id, BasicNode::new(p.addr.clone()));
    }
    if members.len() < expect {
        tracing::debug!(
            found = members.len(),
            expect,
            "waiting for servers to bootstrap"
        );
        return Ok(Step::Wait);
    }
    if members.keys().next() != Some(&node.id) {
        // The lowest id bootstraps; this server will receive the membership.
        return Ok(Step::Wait);
    }
    tracing::info!(node_id = node.id, servers = ?members.keys().collect::<Vec<_>>(), "bootstrapping cluster");
    match node.raft.initialize(members).await {
        Ok(()) => Ok(Step::Done),
        Err(e) => {
            // Another path may have initialised us meanwhile; check again next round.
            tracing::warn!(error = %e, "bootstrap did not initialise");
            Ok(Step::Wait)
        }
    }
}

/// Asks every `retry_join` address (and those given to `join`) who is
/// there, skipping this server.
async fn discover(node: &NodeInner) -> Vec<NodeInfo> {
    let addrs = node.discovery_addrs();
    let calls = addrs
        .iter()
        .filter(|addr| **addr != node.addr)
        .map(|addr| node.transport.call(addr, RpcRequest::Info, INFO_TIMEOUT));
    futures::future::join_all(calls)
        .await
        .into_iter()
        .filter_map(|r| match r {
            Ok(RpcResponse::Info(info)) if info.id != node.id || info.addr != node.addr => {
                Some(info)
            }
            _ => None,
        })
        .collect()
}

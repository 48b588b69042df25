//! Node liveness, on the leader.
//!
//! A node is marked `down` when its last heartbeat (replicated, stamped by
//! the server that received it) is older than the TTL plus the grace
//! period; after a leadership change every node gets a full window from
//! the moment this server started leading. Going down creates node-update
//! evaluations, which mark the node's allocations lost and replace them.
//! Drains are the drainer's (`drainer.rs`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::ids;
use crate::server::Server;
use crate::server::endpoints::node::{event, node_evals};
use crate::state::{Command, NodeUpdate};
use crate::structs::{NODE_STATUS_DOWN, NODE_STATUS_INIT, NODE_STATUS_READY};

/// How often deadlines are checked.
const TICK: Duration = Duration::from_millis(250);

pub async fn run(server: Server, stop: CancellationToken) {
    let leading_since = ids::now_nanos();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        let state = server.state().snapshot();
        let now = ids::now_nanos();
        let cfg = server.config();
        let window =
            (cfg.heartbeat_ttl(state.nodes().count()) + cfg.heartbeat_grace).as_nanos() as i64;
        let mut commands = Vec::new();
        for node in state.nodes() {
            if node.status == NODE_STATUS_READY || node.status == NODE_STATUS_INIT {
                let last = state
                    .last_heartbeat(&node.id)
                    .unwrap_or(0)
                    .max(leading_since);
                if now > last + window {
                    tracing::warn!(node_id = %node.id, "node missed its heartbeat, marking it down");
                    commands.push(Command::NodeUpdateStatus(NodeUpdate {
                        node_id: node.id.clone(),
                        status: NODE_STATUS_DOWN.into(),
                        event: Some(event("Node heartbeat missed", "Heartbeat", now)),
                        time: now,
                        evals: node_evals(&state, node, "node-update", now),
                        ..NodeUpdate::default()
                    }));
                }
            }
        }
        if !super::propose_all(&server, commands, &stop, "cannot update a node").await {
            return;
        }
    }
}

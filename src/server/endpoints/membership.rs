//! Server membership by hand: `operator raft remove-peer`, `server join`
//! and `server force-leave`. There is no gossip pool: each acts on the
//! Raft configuration directly (see `drover_raft::join`).
//!
//! Servers are named as `/v1/agent/members` names them: this server by
//! `<name>.<region>`, the others by `<rpc address>.<region>`; a bare name,
//! RPC address or Raft id names a server too.

use drover_raft::{MembershipError, NodeId, RemoteFailure};

use super::super::autopilot::alive;
use super::super::{Server, ServerError};

/// The default RPC port, added to a join address given without one.
const RPC_PORT: u16 = drover_raft::DEFAULT_RPC_PORT;

/// Removes the voter whose Raft id is `id` (Nomad's message when there is
/// none).
pub async fn remove_peer_by_id(server: &Server, id: &str) -> Result<(), ServerError> {
    let voters = server.raft().info().voters;
    let found = id
        .parse::<NodeId>()
        .ok()
        .filter(|n| voters.iter().any(|(v, _)| v == n));
    let Some(target) = found else {
        return Err(ServerError::BadRequest(format!(
            "id {id:?} was not found in the Raft configuration"
        )));
    };
    remove(server, target).await
}

/// Removes the voter at RPC address `address`.
pub async fn remove_peer_by_address(server: &Server, address: &str) -> Result<(), ServerError> {
    let voters = server.raft().info().voters;
    let Some((target, _)) = voters.iter().find(|(_, a)| a == address) else {
        return Err(ServerError::BadRequest(format!(
            "address {address:?} was not found in the Raft configuration"
        )));
    };
    remove(server, *target).await
}

async fn remove(server: &Server, id: NodeId) -> Result<(), ServerError> {
    tracing::warn!(peer_id = id, "removing raft peer");
    server
        .raft()
        .remove_server(id)
        .await
        .map_err(membership_error)
}

/// What `force-leave` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForceLeave {
    /// The failed server was removed from Raft.
    Removed(NodeId),
    /// No server has that name (Nomad's gossip ignores unknown names).
    Unknown,
    /// The server answers the leader: only failed servers are removed (an
    /// alive Nomad server refutes its forced leave).
    Alive(NodeId),
}

/// `PUT /v1/agent/force-leave?node=NAME`.
pub async fn force_leave(server: &Server, node: &str) -> Result<ForceLeave, ServerError> {
    let Some(id) = resolve(server, node) else {
        tracing::warn!(node, "force-leave: no server has that name");
        return Ok(ForceLeave::Unknown);
    };
    let stats = server
        .raft()
        .cluster_stats()
        .await
        .map_err(super::super::write_error)?;
    if stats.servers.iter().any(|s| s.id == id && alive(s)) {
        tracing::warn!(
            node,
            peer_id = id,
            "force-leave: the server is alive; not removed"
        );
        return Ok(ForceLeave::Alive(id));
    }
    remove(server, id).await?;
    Ok(ForceLeave::Removed(id))
}

/// The Raft id of the voter `name` names.
fn resolve(server: &Server, name: &str) -> Option<NodeId> {
    let info = server.raft().info();
    let cfg = server.config();
    let region_suffix = format!(".{}", cfg.region);
    let bare = name.strip_suffix(&region_suffix).unwrap_or(name);
    info.voters.iter().find_map(|(id, addr)| {
        let me = *id == info.id && bare == cfg.node_name;
        (me || bare == addr || name == id.to_string()).then_some(*id)
    })
}

/// What `server join` did: Nomad's `{num_joined, error}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JoinResult {
    pub num_joined: usize,
    /// Empty unless no address could be joined (as gossip reports it).
    pub error: String,
}

/// Joins each of `addrs` (RPC addresses; port 4647 when none is given).
pub async fn join(server: &Server, addrs: &[String]) -> JoinResult {
    let mut result = JoinResult::default();
    let mut failures = Vec::new();
    for given in addrs {
        let addr = with_port(given);
        match server.raft().join(&addr).await {
            Ok(joined) => {
                tracing::info!(addr, outcome = ?joined, "server join");
                result.num_joined += 1;
            }
            Err(e) => {
                tracing::warn!(addr, error = %e, "server join failed");
                failures.push(format!("Failed to join {addr}: {e}"));
            }
        }
    }
    if result.num_joined == 0 {
        result.error = failures.join("; ");
    }
    result
}

/// `host` -> `host:4647`; `host:port` and `[v6]:port` unchanged.
fn with_port(addr: &str) -> String {
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        return format!("[{addr}]:{RPC_PORT}");
    }
    let has_port = match addr.rsplit_once(':') {
        Some((host, port)) => {
            port.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    };
    if has_port {
        addr.to_string()
    } else {
        format!("{addr}:{RPC_PORT}")
    }
}

fn membership_error(e: MembershipError) -> ServerError {
    match e {
        MembershipError::Remote(RemoteFailure::NoLeader | RemoteFailure::NotLeader { .. }) => {
            ServerError::NoLeader
        }
        MembershipError::Transport(t) => ServerError::Unavailable(t.to_string()),
        other => ServerError::Internal(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_addresses_get_the_rpc_port_when_they_have_none() {
        assert_eq!(with_port("10.0.0.1"), "10.0.0.1:4647");
        assert_eq!(with_port("10.0.0.1:5000"), "10.0.0.1:5000");
        assert_eq!(with_port("server.example"), "server.example:4647");
        assert_eq!(with_port("[::1]:4647"), "[::1]:4647");
        assert_eq!(with_port("::1"), "[::1]:4647");
    }
}

//! The Raft group's replication as the leader sees it: per server, the
//! last log entry the leader knows it holds and when the leader last heard
//! from it. The orchestrator turns this into Nomad's autopilot health.
//!
//! Only the leader knows this (openraft keeps replication progress on the
//! leader only), so a follower asks the leader over the RPC port
//! ([`crate::rpc::RpcRequest::Health`]) rather than answer from its own,
//! older view.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::node::NodeInner;
use crate::rpc::RemoteFailure;
use crate::types::NodeId;

/// One server of the group, from the leader's point of view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStats {
    pub id: NodeId,
    /// Its RPC address.
    pub addr: String,
    pub voter: bool,
    pub leader: bool,
    /// Nanoseconds since the leader last heard from it: 0 for the leader
    /// itself, `None` when it never answered this leader.
    pub last_contact_ns: Option<u64>,
    /// The term and index of the last entry the leader knows it holds
    /// (0 when none is known yet).
    pub last_term: u64,
    pub last_index: u64,
}

/// The whole group, from the leader's point of view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStats {
    pub leader: NodeId,
    pub term: u64,
    /// The leader's last log index.
    pub last_index: u64,
    /// Every member (voters and learners), in id order.
    pub servers: Vec<ServerStats>,
}

impl NodeInner {
    /// The group's replication; this server must be the leader.
    pub(crate) fn cluster_stats_local(&self) -> Result<ClusterStats, RemoteFailure> {
        let m = self.raft.metrics().borrow().clone();
        if m.current_leader != Some(self.id) {
            return Err(self.not_leader());
        }
        // Set once the leader's replication streams exist.
        let Some(replication) = m.replication.as_ref() else {
            return Err(RemoteFailure::NoLeader);
        };
        let membership = m.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let last_index = m.last_log_index.unwrap_or(0);
        let servers = membership
            .nodes()
            .map(|(id, node)| {
                let voter = voters.contains(id);
                if *id == self.id {
                    return ServerStats {
                        id: *id,
                        addr: node.addr.clone(),
                        voter,
                        leader: true,
                        last_contact_ns: Some(0),
                        last_term: m.current_term,
                        last_index,
                    };
                }
                let matched = replication.get(id).copied().flatten();
                ServerStats {
                    id: *id,
                    addr: node.addr.clone(),
                    voter,
                    leader: false,
                    last_contact_ns: self
                        .contacts
                        .since(*id)
                        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
                    last_term: matched.map(|l| l.leader_id.term).unwrap_or(0),
                    last_index: matched.map(|l| l.index).unwrap_or(0),
                }
            })
            .collect();
        Ok(ClusterStats {
            leader: self.id,
            term: m.current_term,
            last_index,
            servers,
        })
    }
}

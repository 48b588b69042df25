//! `GET /v1/operator/autopilot/health`: Nomad's `OperatorHealthReply`.

use serde::{Deserialize, Serialize};

/// One server's health, from the leader's point of view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerHealth {
    /// The server's Raft id.
    #[serde(rename = "ID")]
    pub id: String,
    pub name: String,
    /// Its RPC address.
    pub address: String,
    /// `alive` or `failed`: there is no gossip, so this says whether the
    /// leader heard from it lately (see `server::autopilot`).
    pub serf_status: String,
    pub version: String,
    pub leader: bool,
    /// Since the leader last heard from it, as a Go duration (`"12ms"`;
    /// `"-1ns"` when it never answered this leader).
    pub last_contact: String,
    pub last_term: u64,
    pub last_index: u64,
    pub healthy: bool,
    pub voter: bool,
    /// RFC 3339: when `Healthy` last changed, as far as the answering
    /// server saw.
    pub stable_since: String,
}

/// The whole cluster's health.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OperatorHealthReply {
    /// Every server is healthy.
    pub healthy: bool,
    /// Healthy voters that could be lost with the cluster still holding a
    /// quorum.
    pub failure_tolerance: i64,
    pub servers: Vec<ServerHealth>,
    /// The leader's Raft id.
    pub leader: String,
    /// The voters' Raft ids.
    pub voters: Vec<String>,
}

//! The messages servers exchange on the Raft port, and their wire codec.
//!
//! Raft's own RPCs (append, vote, snapshot chunks) travel with the cluster
//! RPCs drover adds on top: `Info` for discovery at bootstrap, `Join` and
//! `Leave` for membership, `Write` to forward a command to the leader and
//! `ReadIndex` to ask it for a linearizable read index.
//! Frames are postcard-encoded; openraft's error types, which postcard cannot
//! carry, travel as JSON text inside the frame.

use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};

use serde_bytes::ByteBuf;

use crate::types::{NodeId, TypeConfig};

/// A request from one server to another.
#[derive(Debug, Serialize, Deserialize)]
pub enum RpcRequest {
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    InstallSnapshot(InstallSnapshotRequest<TypeConfig>),
    /// Who are you, and what do you know of the cluster?
    Info,
    /// Add the sender as a voting server (sent to any server; forwarded to the leader).
    Join {
        id: NodeId,
        addr: String,
    },
    /// Remove a server (sent to any server; forwarded to the leader).
    Leave {
        id: NodeId,
    },
    /// Commit a command (sent to any server; forwarded to the leader).
    Write(ByteBuf),
    /// The leader's linearizable read index (sent to the leader).
    ReadIndex,
    /// The group's replication as the leader sees it (sent to the leader).
    Health,
    /// The sender, in no cluster yet, was asked to join this server:
    /// count it for formation too (see `join`).
    Discover {
        addr: String,
    },
}

/// What a server knows of itself and the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub id: NodeId,
    pub addr: String,
    /// Whether this server holds a membership, i.e. belongs to a cluster.
    pub initialized: bool,
    pub leader: Option<(NodeId, String)>,
    pub voters: Vec<(NodeId, String)>,
}

/// A committed command's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committed {
    pub index: u64,
    #[serde(with = "serde_bytes")]
    pub response: Vec<u8>,
}

/// A cluster RPC refused by the remote server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RemoteFailure {
    #[error("no cluster leader")]
    NoLeader,
    #[error("not the leader")]
    NotLeader { leader: Option<(NodeId, String)> },
    #[error("another membership change is in progress")]
    MembershipChangeInProgress,
    #[error("node id {id} is already used by server {existing_addr}")]
    IdClash { id: NodeId, existing_addr: String },
    #[error("address {addr} is already used by server {existing_id}")]
    AddrClash { addr: String, existing_id: NodeId },
    #[error("{0}")]
    Other(String),
}

/// The answer to an [`RpcRequest`].
#[derive(Debug, Serialize, Deserialize)]
pub enum RpcResponse {
    /// `Ok` carries the response; `Err` a JSON-encoded `RaftError`.
    AppendEntries(Result<AppendEntriesResponse<NodeId>, String>),
    Vote(Result<VoteResponse<NodeId>, String>),
    InstallSnapshot(Result<InstallSnapshotResponse<NodeId>, String>),
    Info(NodeInfo),
    Join(Result<(), RemoteFailure>),
    Leave(Result<(), RemoteFailure>),
    Write(Result<Committed, RemoteFailure>),
    ReadIndex(Result<u64, RemoteFailure>),
    Health(Result<crate::health::ClusterStats, RemoteFailure>),
    Discover,
}

/// The largest frame accepted on the wire (snapshot chunks are the largest).
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Encodes a message for the wire.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_stdvec(msg)
}

/// Decodes a message from the wire.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, postcard::Error> {
    postcard::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openraft::{Entry, EntryPayload, LogId, Vote};

    #[test]
    fn append_entries_round_trips() {
        let req = AppendEntriesRequest::<TypeConfig> {
            vote: Vote::new_committed(3, 1),
            prev_log_id: Some(LogId::new(openraft::CommittedLeaderId::new(3, 1), 7)),
            entries: vec![Entry {
                log_id: LogId::new(openraft::CommittedLeaderId::new(3, 1), 8),
                payload: EntryPayload::Normal(crate::types::Commands(vec![ByteBuf::from(
                    b"set x 1".to_vec(),
                )])),
            }],
            leader_commit: None,
        };
        let bytes = encode(&RpcRequest::AppendEntries(req.clone())).expect("encode");
        let RpcRequest::AppendEntries(back) = decode(&bytes).expect("decode") else {
            panic!("wrong variant");
        };
        assert_eq!(format!("{back:?}"), format!("{req:?}"));
    }

    #[test]
    fn failures_round_trip() {
        let resp = RpcResponse::Join(Err(RemoteFailure::IdClash {
            id: 7,
            existing_addr: "127.0.0.1:4647".into(),
        }));
        let bytes = encode(&resp).expect("encode");
        let back: RpcResponse = decode(&bytes).expect("decode");
        assert!(matches!(
            back,
            RpcResponse::Join(Err(RemoteFailure::IdClash { id: 7, .. }))
        ));
    }
}

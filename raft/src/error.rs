//! Errors of the consensus crate.
//!
//! Callers branch on these: a [`WriteError::ForwardToLeader`] means "retry
//! at this address", [`WriteError::NoLeader`] "retry later", and
//! [`WriteError::Fatal`] "this server is shutting down or broken".

use crate::transport::TransportError;
use crate::types::NodeId;

/// A configuration value that breaks a rule.
#[derive(Debug, thiserror::Error)]
#[error("invalid raft configuration: {field}: {rule}")]
pub struct ConfigError {
    pub field: &'static str,
    pub rule: String,
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] drover_storage::StorageError),
    #[error("cannot restore the snapshot in {path}: {cause}")]
    Snapshot { path: String, cause: String },
    /// The server id file is damaged, missing, or names another server
    /// than the Raft data beside it.
    #[error("cannot use the server id in {path}: {problem}")]
    NodeId { path: String, problem: String },
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot start raft: {0}")]
    Raft(String),
}

/// The current leader, as far as this server knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leader {
    pub id: NodeId,
    pub addr: String,
}

/// Why a write was not committed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// This server is not the leader; the leader, if known, is named.
    #[error("not the leader{}", .0.as_ref().map(|l| format!("; the leader is {} at {}", l.id, l.addr)).unwrap_or_default())]
    ForwardToLeader(Option<Leader>),
    /// No leader is known right now.
    #[error("no cluster leader")]
    NoLeader,
    /// The leader could not be reached to forward the write.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server is shutting down or its storage failed.
    #[error("raft is stopped: {0}")]
    Fatal(String),
}

/// Why a membership change failed.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error(transparent)]
    Remote(#[from] crate::rpc::RemoteFailure),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("membership change failed: {0}")]
    Raft(String),
}

/// Why a server at an address could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// Nobody answered at the address.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server there already belongs to another Raft group; there is no
    /// way to merge two groups.
    #[error("server {addr} already belongs to another cluster; clusters cannot be merged")]
    OtherCluster { addr: String },
    /// The membership change was refused.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    #[error("unexpected answer from {addr}: {answer}")]
    Unexpected { addr: String, answer: String },
}

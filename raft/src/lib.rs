//! Consensus for drover servers.
//!
//! This crate runs an openraft group over the durable sled log of
//! `drover-storage` and replicates opaque commands into a caller-supplied
//! [`StateMachine`]. It owns server start-up and shutdown, cluster formation
//! (`bootstrap_expect` + `retry_join`), adding and removing servers, the
//! leadership watch, write forwarding, snapshots with log compaction, and the
//! server-to-server transport (TCP, port 4647 by default).
//!
//! *Boundary*: nothing here knows what a job, a node or an allocation is.
//!
//! Layout:
//! - [`types`]: the openraft type configuration (commands are bytes);
//! - [`state_machine`]: the trait the orchestrator implements;
//! - [`node`]: [`RaftNode`], one running server;
//! - `bootstrap`: cluster formation;
//! - `node_id`: the server id, checked against the Raft data on start;
//! - `resumed`: the read index of a leader restored at start;
//! - [`join`]: joining a server by address (no gossip: Raft membership);
//! - [`health`], [`contacts`]: replication and last contact per server, as
//!   the leader sees them;
//! - `sm_store`: openraft's state-machine traits with snapshots on disk;
//! - [`network`], [`transport`], [`rpc`]: how servers talk;
//! - [`config`], [`error`].

// openraft's error types (`StorageError`, `RPCError`) are large and fixed by
// its traits; boxing them would only add conversions at every call.
#![allow(clippy::result_large_err)]

mod batcher;
mod bootstrap;
mod commit_stats;
pub mod config;
pub mod contacts;
pub mod error;
pub mod health;
pub mod join;
pub mod network;
mod node;
mod node_id;
mod resumed;
pub mod rpc;
mod sm_store;
pub mod state_machine;
pub mod transport;
pub mod types;

pub use commit_stats::CommitStats;
pub use config::{DEFAULT_RPC_PORT, RaftConfig};
pub use error::{ConfigError, JoinError, Leader, MembershipError, StartError, WriteError};
pub use health::{ClusterStats, ServerStats};
pub use join::Joined;
pub use node::RaftNode;
pub use rpc::{Committed, NodeInfo, RemoteFailure};
pub use state_machine::StateMachine;
pub use transport::{RpcHandler, Transport, TransportError};
pub use types::{Commands, NodeId, Responses, TypeConfig};
#[cfg(any(test, feature = "testing"))]
pub mod testing;

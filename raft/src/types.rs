//! The openraft type configuration shared by every drover server.
//!
//! *Boundary*: a command is opaque bytes. This crate never looks inside one;
//! the orchestrator's state machine decodes it.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

/// One replicated command: opaque bytes produced by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command(#[serde(with = "serde_bytes")] pub Vec<u8>);

/// The state machine's answer to one applied command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResponse(#[serde(with = "serde_bytes")] pub Vec<u8>);

/// A server's identity in the Raft group.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The Raft types of a drover server group.
    pub TypeConfig:
        D = Command,
        R = CommandResponse,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The openraft handle specialised to drover's types.
pub type Raft = openraft::Raft<TypeConfig>;

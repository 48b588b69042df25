//! The openraft type configuration shared by every drover server.
//!
//! *Boundary*: a command is opaque bytes. This crate never looks inside one;
//! the orchestrator's state machine decodes it.
//!
//! One log entry carries a batch of commands: concurrent writes are gathered
//! into one entry so that they share one disk flush on every server (see
//! `batcher`). The commands of a batch are applied in order and share the
//! entry's log index.

use std::io::Cursor;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// The payload of one log entry: commands, in the order they are applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commands(pub Vec<ByteBuf>);

/// The state machine's answers, one per command of the entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responses(pub Vec<ByteBuf>);

/// A server's identity in the Raft group.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The Raft types of a drover server group.
    pub TypeConfig:
        D = Commands,
        R = Responses,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The openraft handle specialised to drover's types.
pub type Raft = openraft::Raft<TypeConfig>;

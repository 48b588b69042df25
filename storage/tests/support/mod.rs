#![allow(dead_code)]
//! A test-only in-memory state machine and type config, enough for
//! openraft's storage conformance suite to drive the sled log store.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, OptionalSend, RaftSnapshotBuilder, StorageError,
    StoredMembership,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Req(pub String);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resp(pub Option<String>);

openraft::declare_raft_types!(
    pub TC:
        D = Req,
        R = Resp,
        NodeId = u64,
        Node = BasicNode,
        Entry = Entry<TC>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

type Current = Arc<Mutex<Option<(SnapshotMeta<u64, BasicNode>, Vec<u8>)>>>;

#[derive(Default, Clone, Serialize, Deserialize)]
struct State {
    last_applied: Option<LogId<u64>>,
    membership: StoredMembership<u64, BasicNode>,
    data: BTreeMap<u64, String>,
}

/// An in-memory state machine: a map from log index to request text.
#[derive(Default)]
pub struct MemSm {
    state: State,
    current: Current,
    built: u64,
}

pub struct MemBuilder {
    state: State,
    seq: u64,
    current: Current,
}

impl RaftSnapshotBuilder<TC> for MemBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TC>, StorageError<u64>> {
        let data = serde_json::to_vec(&self.state).expect("encode state");
        let meta = SnapshotMeta {
            last_log_id: self.state.last_applied,
            last_membership: self.state.membership.clone(),
            snapshot_id: format!("snap-{}", self.seq),
        };
        *self.current.lock().expect("lock") = Some((meta.clone(), data.clone()));
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TC> for MemSm {
    type SnapshotBuilder = MemBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>), StorageError<u64>> {
        Ok((self.state.last_applied, self.state.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Resp>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TC>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut out = Vec::new();
        for e in entries {
            self.state.last_applied = Some(e.log_id);
            match e.payload {
                EntryPayload::Blank => out.push(Resp(None)),
                EntryPayload::Normal(Req(s)) => {
                    let prev = self.state.data.insert(e.log_id.index, s);
                    out.push(Resp(prev));
                }
                EntryPayload::Membership(m) => {
                    self.state.membership = StoredMembership::new(Some(e.log_id), m);
                    out.push(Resp(None));
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> MemBuilder {
        self.built += 1;
        MemBuilder {
            state: self.state.clone(),
            seq: self.built,
            current: self.current.clone(),
        }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let data = snapshot.into_inner();
        self.state = serde_json::from_slice(&data).expect("decode state");
        *self.current.lock().expect("lock") = Some((meta.clone(), data));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TC>>, StorageError<u64>> {
        Ok(self
            .current
            .lock()
            .expect("lock")
            .as_ref()
            .map(|(meta, data)| Snapshot {
                meta: meta.clone(),
                snapshot: Box::new(Cursor::new(data.clone())),
            }))
    }
}

/// Opens the database at `path` after a handle to it was dropped. sled
/// releases its file lock from a background thread a moment after the
/// last handle goes, so a lock still held is waited for (up to 5 s); any
/// other outcome is returned as it is.
pub fn reopen(path: &std::path::Path) -> Result<drover_storage::Db, drover_storage::StorageError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match drover_storage::Db::open(path) {
            Err(e)
                if e.to_string().contains("WouldBlock") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

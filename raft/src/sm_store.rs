//! openraft's state-machine traits over a [`StateMachine`], with the latest
//! snapshot persisted to disk.
//!
//! The state machine itself lives in memory. At start it is restored from the
//! snapshot file; openraft then re-applies the committed log entries after
//! the snapshot, so nothing acknowledged is lost. A snapshot is written to
//! disk (atomically, by `drover-storage`) before openraft may purge the log
//! entries it covers.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use drover_storage::SnapshotFile;
use openraft::storage::{RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, OptionalSend, RaftSnapshotBuilder, StorageError,
    StorageIOError, StoredMembership,
};

use crate::error::StartError;
use crate::state_machine::StateMachine;
use serde_bytes::ByteBuf;

use crate::types::{NodeId, Responses, TypeConfig};

type Meta = SnapshotMeta<NodeId, BasicNode>;

/// The latest snapshot: on disk, and in memory for followers to fetch.
struct SnapshotSlot {
    file: SnapshotFile,
    current: Mutex<Option<(Meta, Arc<Vec<u8>>)>>,
}

impl SnapshotSlot {
    /// Persists a snapshot and makes it the current one, unless a newer one
    /// is already current.
    fn store(&self, meta: &Meta, data: Vec<u8>) -> Result<(), StorageError<NodeId>> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cur, _)) = current.as_ref()
            && cur.last_log_id > meta.last_log_id
        {
            return Ok(());
        }
        let meta_bytes = serde_json::to_vec(meta)
            .map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        self.file
            .save(&meta_bytes, &data)
            .map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        *current = Some((meta.clone(), Arc::new(data)));
        Ok(())
    }

    fn current(&self) -> Option<Snapshot<TypeConfig>> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.as_ref().map(|(meta, data)| Snapshot {
            meta: meta.clone(),
            snapshot: Box::new(Cursor::new(data.as_ref().clone())),
        })
    }
}

/// The replicated state machine as openraft sees it.
pub struct SmStore<S: StateMachine> {
    sm: S,
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, BasicNode>,
    slot: Arc<SnapshotSlot>,
}

impl<S: StateMachine> SmStore<S> {
    /// Wraps `sm`, restoring it from the snapshot in `file` if there is one.
    pub fn open(mut sm: S, file: SnapshotFile) -> Result<Self, StartError> {
        let path = file.path().display().to_string();
        let mut store_meta = None;
        let mut last_applied = None;
        let mut membership = StoredMembership::default();
        if let Some(stored) = file.load()? {
            let meta: Meta =
                serde_json::from_slice(&stored.meta).map_err(|e| StartError::Snapshot {
                    path: path.clone(),
                    cause: format!("snapshot metadata cannot be decoded: {e}"),
                })?;
            sm.restore(&stored.data).map_err(|e| StartError::Snapshot {
                path: path.clone(),
                cause: e.to_string(),
            })?;
            last_applied = meta.last_log_id;
            membership = meta.last_membership.clone();
            store_meta = Some((meta, Arc::new(stored.data)));
        }
        Ok(Self {
            sm,
            last_applied,
            membership,
            slot: Arc::new(SnapshotSlot {
                file,
                current: Mutex::new(store_meta),
            }),
        })
    }
}

/// Builds a snapshot from a view taken when the builder was made.
pub struct SmSnapshotBuilder<S: StateMachine> {
    view: Option<S::Snapshot>,
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, BasicNode>,
    slot: Arc<SnapshotSlot>,
}

impl<S: StateMachine> RaftSnapshotBuilder<TypeConfig> for SmSnapshotBuilder<S> {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let view = self.view.take().ok_or_else(|| {
            StorageIOError::read_state_machine(&std::io::Error::other(
                "snapshot builder used twice",
            ))
        })?;
        let data = S::encode_snapshot(view);
        let snapshot_id = match self.last_applied {
            Some(id) => format!(
                "{}-{}-{:08x}",
                id.leader_id,
                id.index,
                rand::random::<u32>()
            ),
            None => format!("none-{:08x}", rand::random::<u32>()),
        };
        let meta = Meta {
            last_log_id: self.last_applied,
            last_membership: self.membership.clone(),
            snapshot_id,
        };
        self.slot.store(&meta, data.clone())?;
        tracing::info!(snapshot = %meta.snapshot_id, bytes = data.len(), "snapshot built");
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl<S: StateMachine> RaftStateMachine<TypeConfig> for SmStore<S> {
    type SnapshotBuilder = SmSnapshotBuilder<S>;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, BasicNode>), StorageError<NodeId>>
    {
        Ok((self.last_applied, self.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Responses>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries = entries.into_iter();
        let mut out = Vec::with_capacity(entries.size_hint().0);
        for entry in entries {
            self.last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => out.push(Responses::default()),
                EntryPayload::Normal(commands) => {
                    let index = entry.log_id.index;
                    let answers = commands
                        .0
                        .iter()
                        .map(|cmd| ByteBuf::from(self.sm.apply(index, cmd)))
                        .collect();
                    self.sm.entry_applied(index);
                    out.push(Responses(answers));
                }
                EntryPayload::Membership(m) => {
                    self.membership = StoredMembership::new(Some(entry.log_id), m);
                    out.push(Responses::default());
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> SmSnapshotBuilder<S> {
        SmSnapshotBuilder {
            view: Some(self.sm.snapshot()),
            last_applied: self.last_applied,
            membership: self.membership.clone(),
            slot: self.slot.clone(),
        }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let data = snapshot.into_inner();
        self.sm.restore(&data).map_err(|e| {
            StorageIOError::read_snapshot(
                Some(meta.signature()),
                &std::io::Error::other(e.to_string()),
            )
        })?;
        self.last_applied = meta.last_log_id;
        self.membership = meta.last_membership.clone();
        self.slot.store(meta, data)?;
        tracing::info!(snapshot = %meta.snapshot_id, "snapshot installed");
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<NodeId>> {
        Ok(self.slot.current())
    }
}

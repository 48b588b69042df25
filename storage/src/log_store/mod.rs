//! The Raft log on sled: openraft's `RaftLogStorage`.
//!
//! Layout: tree `raft_logs` maps the 8-byte big-endian index to the
//! postcard-encoded entry; tree `raft_meta` holds `vote`, `committed`,
//! `last_purged` and `node_id` (the server the log belongs to) as JSON.
//!
//! *Invariants*: a saved vote, a truncation and a purge are durable before
//! the call returns; `last_purged` is written before the entries it covers
//! are deleted; appended entries are readable when `append` returns and are
//! reported durable only after a flush ([`flusher`]). Opening the store
//! checks the whole log and refuses a damaged one.

mod flusher;
mod reader;

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::RangeBounds;
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{
    LogId, OptionalSend, RaftLogId, RaftLogReader, RaftTypeConfig, StorageIOError, Vote,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use flusher::Completion;
use flusher::Flusher;
pub use reader::SledLogReader;

use crate::db::{Batch, Db, Tree, key_u64, u64_key};
use crate::error::StorageError;

type NodeId = u64;
type RaftResult<T> = Result<T, openraft::StorageError<NodeId>>;

const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const LAST_PURGED: &str = "last_purged";
/// Entries removed per sled batch when the log is purged.
const PURGE_BATCH: usize = 1024;
const NODE_ID: &str = "node_id";

/// The Raft log, vote and committed index of one server, on sled.
pub struct SledLogStore<C> {
    db: Db,
    logs: Tree,
    meta: Tree,
    flusher: Arc<Flusher>,
    _types: PhantomData<C>,
}

impl<C> SledLogStore<C>
where
    C: RaftTypeConfig<NodeId = NodeId>,
    C::Entry: Serialize + DeserializeOwned,
{
    /// Opens the log in `db`, checking every entry; a damaged log is
    /// refused with [`StorageError::Corrupt`].
    pub fn open(db: &Db) -> Result<Self, StorageError> {
        let store = SledLogStore {
            db: db.clone(),
            logs: db.tree("raft_logs")?,
            meta: db.tree("raft_meta")?,
            flusher: Arc::new(
                Flusher::start(db.clone()).map_err(|source| StorageError::Io {
                    path: db.path().to_path_buf(),
                    source,
                })?,
            ),
            _types: PhantomData,
        };
        store.check()?;
        Ok(store)
    }

    fn corrupt(&self, what: String) -> StorageError {
        StorageError::Corrupt {
            path: self.db.path().to_path_buf(),
            what,
        }
    }

    fn read_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        match self.meta.get(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.corrupt(format!("raft {key} cannot be decoded: {e}"))),
        }
    }

    fn write_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| self.corrupt(format!("raft {key} cannot be encoded: {e}")))?;
        self.meta.insert(key, bytes)
    }

    /// Checks the metadata and every entry, and finishes a purge that a
    /// crash interrupted (entries at or below `last_purged` are removed).
    fn check(&self) -> Result<(), StorageError> {
        let _: Option<Vote<NodeId>> = self.read_meta(VOTE)?;
        let _: Option<LogId<NodeId>> = self.read_meta(COMMITTED)?;
        let _: Option<NodeId> = self.read_meta(NODE_ID)?;
        let purged: Option<LogId<NodeId>> = self.read_meta(LAST_PURGED)?;
        if let Some(p) = purged {
            let mut leftovers = Batch::default();
            for pair in self.logs.range(..=u64_key(p.index)) {
                leftovers.remove(pair?.0);
            }
            self.logs.apply_batch(leftovers)?;
        }
        let mut expect = purged.map(|p| p.index + 1);
        for pair in self.logs.iter() {
            let (key, value) = pair?;
            let index = key_u64(&key)
                .ok_or_else(|| self.corrupt(format!("log key {key:?} is not an index")))?;
            let entry: C::Entry = postcard::from_bytes(&value).map_err(|e| {
                self.corrupt(format!("log entry at index {index} cannot be decoded: {e}"))
            })?;
            if entry.get_log_id().index != index {
                return Err(self.corrupt(format!(
                    "log entry stored at index {index} says it is {}",
                    entry.get_log_id().index
                )));
            }
            if let Some(e) = expect
                && index != e
            {
                return Err(self.corrupt(format!("hole in log between {} and {index}", e - 1)));
            }
            expect = Some(index + 1);
        }
        Ok(())
    }

    /// The database directory.
    pub fn path(&self) -> &std::path::Path {
        self.db.path()
    }

    /// The id of the server this log was written by, if one was recorded.
    pub fn owner(&self) -> Result<Option<NodeId>, StorageError> {
        self.read_meta(NODE_ID)
    }

    /// Records `id` as the server this log belongs to; durable on return.
    pub fn set_owner(&self, id: NodeId) -> Result<(), StorageError> {
        self.write_meta(NODE_ID, &id)?;
        self.db.flush()?;
        Ok(())
    }

    /// Writes entries (readable at once) and runs `done` once they are
    /// durable, sharing one flush with every other pending append.
    pub fn append_with<I>(&self, entries: I, done: Completion) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = C::Entry>,
    {
        let mut batch = Batch::default();
        for entry in entries {
            let bytes = postcard::to_stdvec(&entry).map_err(|e| {
                self.corrupt(format!(
                    "log entry {} cannot be encoded: {e}",
                    entry.get_log_id().index
                ))
            })?;
            batch.insert(u64_key(entry.get_log_id().index), bytes);
        }
        self.logs.apply_batch(batch)?;
        self.flusher.submit(done);
        Ok(())
    }

    fn reader(&self) -> SledLogReader<C> {
        SledLogReader::new(self.logs.clone())
    }
}

impl<C> RaftLogReader<C> for SledLogStore<C>
where
    C: RaftTypeConfig<NodeId = NodeId>,
    C::Entry: Serialize + DeserializeOwned,
{
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> RaftResult<Vec<C::Entry>> {
        self.reader().try_get_log_entries(range).await
    }
}

impl<C> RaftLogStorage<C> for SledLogStore<C>
where
    C: RaftTypeConfig<NodeId = NodeId>,
    C::Entry: Serialize + DeserializeOwned,
{
    type LogReader = SledLogReader<C>;

    async fn get_log_state(&mut self) -> RaftResult<LogState<C>> {
        let last_purged: Option<LogId<NodeId>> = self
            .read_meta(LAST_PURGED)
            .map_err(|e| StorageIOError::read_logs(&e))?;
        let last = match self
            .logs
            .last()
            .map_err(|e| StorageIOError::read_logs(&e))?
        {
            None => None,
            Some((_, bytes)) => {
                let entry: C::Entry =
                    postcard::from_bytes(&bytes).map_err(|e| StorageIOError::read_logs(&e))?;
                Some(*entry.get_log_id())
            }
        };
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last.or(last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> SledLogReader<C> {
        self.reader()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> RaftResult<()> {
        self.write_meta(VOTE, vote)
            .map_err(|e| StorageIOError::write_vote(&e))?;
        self.db
            .flush_async()
            .await
            .map_err(|e| StorageIOError::write_vote(&e))?;
        Ok(())
    }

    async fn read_vote(&mut self) -> RaftResult<Option<Vote<NodeId>>> {
        Ok(self
            .read_meta(VOTE)
            .map_err(|e| StorageIOError::read_vote(&e))?)
    }

    /// Not flushed on its own: the next flush carries it. A lost committed
    /// index only means re-applying fewer entries at start.
    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> RaftResult<()> {
        self.write_meta(COMMITTED, &committed)
            .map_err(|e| StorageIOError::write(&e))?;
        Ok(())
    }

    async fn read_committed(&mut self) -> RaftResult<Option<LogId<NodeId>>> {
        let c: Option<Option<LogId<NodeId>>> = self
            .read_meta(COMMITTED)
            .map_err(|e| StorageIOError::read(&e))?;
        Ok(c.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<C>) -> RaftResult<()>
    where
        I: IntoIterator<Item = C::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.append_with(entries, Box::new(move |res| callback.log_io_completed(res)))
            .map_err(|e| StorageIOError::write_logs(&e).into())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> RaftResult<()> {
        let mut batch = Batch::default();
        for pair in self.logs.range(u64_key(log_id.index)..) {
            batch.remove(pair.map_err(|e| StorageIOError::write_logs(&e))?.0);
        }
        self.logs
            .apply_batch(batch)
            .map_err(|e| StorageIOError::write_logs(&e))?;
        self.db
            .flush_async()
            .await
            .map_err(|e| StorageIOError::write_logs(&e))?;
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> RaftResult<()> {
        self.write_meta(LAST_PURGED, &log_id)
            .map_err(|e| StorageIOError::write_logs(&e))?;
        self.db
            .flush_async()
            .await
            .map_err(|e| StorageIOError::write_logs(&e))?;
        // In batches: sled applies one batch of 64k removals with ~800 MB
        // of transient memory (measured with 2 KB entries), in 1,024-key
        // batches with almost none. `last_purged` is already durable, so
        // a crash between batches is finished on open.
        loop {
            let mut batch = Batch::default();
            let mut n = 0;
            for pair in self.logs.range(..=u64_key(log_id.index)).take(PURGE_BATCH) {
                batch.remove(pair.map_err(|e| StorageIOError::write_logs(&e))?.0);
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            self.logs
                .apply_batch(batch)
                .map_err(|e| StorageIOError::write_logs(&e))?;
        }
    }
}

//! Concurrent reads of the log, for openraft's replication tasks.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};

use openraft::{OptionalSend, RaftLogReader, RaftTypeConfig, StorageIOError};
use serde::de::DeserializeOwned;

use crate::db::{Tree, u64_key};

/// A cheap, independent reader of the log tree.
pub struct SledLogReader<C> {
    logs: Tree,
    _types: PhantomData<C>,
}

impl<C> Clone for SledLogReader<C> {
    fn clone(&self) -> Self {
        Self::new(self.logs.clone())
    }
}

impl<C> SledLogReader<C> {
    pub(crate) fn new(logs: Tree) -> Self {
        SledLogReader {
            logs,
            _types: PhantomData,
        }
    }
}

fn key_bound(b: Bound<&u64>) -> Bound<[u8; 8]> {
    match b {
        Bound::Included(i) => Bound::Included(u64_key(*i)),
        Bound::Excluded(i) => Bound::Excluded(u64_key(*i)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl<C> RaftLogReader<C> for SledLogReader<C>
where
    C: RaftTypeConfig<NodeId = u64>,
    C::Entry: DeserializeOwned,
{
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<C::Entry>, openraft::StorageError<u64>> {
        let range = (key_bound(range.start_bound()), key_bound(range.end_bound()));
        let mut out = Vec::new();
        for pair in self.logs.range(range) {
            let (_, bytes) = pair.map_err(|e| StorageIOError::read_logs(&e))?;
            let entry: C::Entry =
                postcard::from_bytes(&bytes).map_err(|e| StorageIOError::read_logs(&e))?;
            out.push(entry);
        }
        Ok(out)
    }
}

//! openraft's storage conformance suite against the sled log store.

mod support;

use drover_storage::{Db, SledLogStore};
use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};
use support::{MemSm, TC};
use tempfile::TempDir;

struct SledBuilder;

impl StoreBuilder<TC, SledLogStore<TC>, MemSm, TempDir> for SledBuilder {
    async fn build(&self) -> Result<(TempDir, SledLogStore<TC>, MemSm), StorageError<u64>> {
        let dir = tempfile::tempdir().map_err(|e| openraft::StorageIOError::write(&e))?;
        let db =
            Db::open(dir.path().join("raft")).map_err(|e| openraft::StorageIOError::write(&e))?;
        let store = SledLogStore::open(&db).map_err(|e| openraft::StorageIOError::write(&e))?;
        Ok((dir, store, MemSm::default()))
    }
}

/// A plain test: the suite builds its own runtime for every case.
#[test]
fn sled_log_store_passes_openraft_conformance_suite() {
    Suite::test_all(SledBuilder).expect("conformance suite");
}

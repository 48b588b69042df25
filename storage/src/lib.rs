//! Durability for drover: a facade over sled, the Raft log store, and the
//! snapshot file.
//!
//! *Boundary*: this crate knows bytes and openraft's log types; it never
//! names a job, a node or an allocation. It is the only crate that imports
//! sled.
//!
//! - [`db`]: `Db`, `Tree`, `Batch`, the sled facade;
//! - [`log_store`]: `SledLogStore`, openraft's log storage, group-committed;
//! - [`snapshot_file`]: the latest snapshot, saved atomically and checksummed;
//! - [`error`]: `StorageError`, which always names the path;
//! - `flush_probe` (feature `testing`, a fake): counts, holds and fails a
//!   database's flushes, for tests of "acknowledged only after a flush".

pub mod db;
pub mod error;
#[cfg(feature = "testing")]
pub mod flush_probe;
pub mod log_store;
pub mod snapshot_file;

pub use db::{Batch, Db, Tree};
pub use error::StorageError;
pub use log_store::{SledLogReader, SledLogStore};
pub use snapshot_file::{SnapshotFile, StoredSnapshot};

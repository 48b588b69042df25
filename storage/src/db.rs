//! A small facade over sled: a database of named trees, with batches.
//!
//! *Boundary*: the rest of drover reaches sled only through this module.
//! Keys that are numbers are stored big-endian so that sled's byte order is
//! numeric order.

use std::ops::RangeBounds;
use std::path::{Path, PathBuf};

use crate::error::StorageError;

const MARKER_FILE: &str = "drover.marker";
const MARKER_KEY: &[u8] = b"__drover_marker";

/// sled's page cache per database.
pub const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// An open database. Cheap to clone; the directory stays locked until every
/// clone is dropped.
#[derive(Clone)]
pub struct Db {
    inner: sled::Db,
    path: PathBuf,
    /// Test-only view of this database's flushes.
    #[cfg(feature = "testing")]
    probe: std::sync::Arc<crate::flush_probe::FlushProbe>,
}

impl Db {
    /// Opens (or creates) the database in `path`.
    ///
    /// sled can panic instead of returning an error on some damaged files;
    /// the panic is caught here and reported as [`StorageError::Open`], so a
    /// damaged directory stops the node with a message, not a crash.
    ///
    /// sled opens a directory whose files were truncated as an empty
    /// database. To tell that from a new one, the first open writes a marker
    /// key inside the database and then a marker file beside its files; a
    /// later open that finds the file but not the key refuses the database.
    /// The page cache is bounded at [`CACHE_BYTES`] (sled's default is
    /// 1 GiB): the Raft log is read back rarely, the state lives in memory.
    pub fn open(path: impl AsRef<Path>) -> Result<Db, StorageError> {
        let path = path.as_ref().to_path_buf();
        let marker_file = path.join(MARKER_FILE);
        let had_marker = marker_file.exists();
        let opened = std::panic::catch_unwind(|| {
            sled::Config::new()
                .path(&path)
                .cache_capacity(CACHE_BYTES)
                .open()
        });
        match opened {
            Ok(Ok(inner)) => {
                let db = Db {
                    inner,
                    path,
                    #[cfg(feature = "testing")]
                    probe: Default::default(),
                };
                db.check_marker(&marker_file, had_marker)?;
                Ok(db)
            }
            Ok(Err(e)) => Err(StorageError::Open {
                path,
                cause: e.to_string(),
            }),
            Err(panic) => {
                let cause = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "sled panicked while opening".into());
                Err(StorageError::Open { path, cause })
            }
        }
    }

    fn check_marker(&self, marker_file: &Path, had_marker: bool) -> Result<(), StorageError> {
        let has_key = self
            .inner
            .contains_key(MARKER_KEY)
            .map_err(|e| self.err(e))?;
        if had_marker && !has_key {
            return Err(StorageError::Corrupt {
                path: self.path.clone(),
                what: "the database has lost its contents (its files were truncated or replaced)"
                    .into(),
            });
        }
        if !has_key {
            self.inner
                .insert(MARKER_KEY, &b"drover"[..])
                .map_err(|e| self.err(e))?;
            self.flush()?;
        }
        if !had_marker {
            let io = |source| StorageError::Io {
                path: marker_file.to_path_buf(),
                source,
            };
            std::fs::write(marker_file, b"drover database\n").map_err(io)?;
            std::fs::File::open(marker_file)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens (or creates) the tree `name`.
    pub fn tree(&self, name: &str) -> Result<Tree, StorageError> {
        let inner = self.inner.open_tree(name).map_err(|e| self.err(e))?;
        Ok(Tree {
            inner,
            path: self.path.clone(),
        })
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<usize, StorageError> {
        #[cfg(feature = "testing")]
        self.probe.before_flush().map_err(|e| self.io(e))?;
        let flushed = self.inner.flush().map_err(|e| self.err(e))?;
        #[cfg(feature = "testing")]
        self.probe.after_flush();
        Ok(flushed)
    }

    /// Makes every write so far durable, without blocking the runtime.
    pub async fn flush_async(&self) -> Result<usize, StorageError> {
        #[cfg(feature = "testing")]
        self.probe.before_flush().map_err(|e| self.io(e))?;
        let flushed = self.inner.flush_async().await.map_err(|e| self.err(e))?;
        #[cfg(feature = "testing")]
        self.probe.after_flush();
        Ok(flushed)
    }

    /// The test-only probe on this database's flushes.
    #[cfg(feature = "testing")]
    pub fn flush_probe(&self) -> &crate::flush_probe::FlushProbe {
        &self.probe
    }

    #[cfg(feature = "testing")]
    fn io(&self, source: std::io::Error) -> StorageError {
        StorageError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn err(&self, source: sled::Error) -> StorageError {
        StorageError::Sled {
            path: self.path.clone(),
            source,
        }
    }
}

/// A keyspace within a [`Db`].
#[derive(Clone)]
pub struct Tree {
    inner: sled::Tree,
    path: PathBuf,
}

/// A raw key/value pair as stored.
pub type Pair = (Vec<u8>, Vec<u8>);

impl Tree {
    fn err(&self, source: sled::Error) -> StorageError {
        StorageError::Sled {
            path: self.path.clone(),
            source,
        }
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, StorageError> {
        let v = self.inner.get(key).map_err(|e| self.err(e))?;
        Ok(v.map(|v| v.to_vec()))
    }

    pub fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), StorageError> {
        self.inner
            .insert(key.as_ref(), value.as_ref())
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), StorageError> {
        self.inner.remove(key).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Applies every operation of `batch` atomically.
    pub fn apply_batch(&self, batch: Batch) -> Result<(), StorageError> {
        self.inner.apply_batch(batch.inner).map_err(|e| self.err(e))
    }

    /// The pairs whose keys fall in `range`, in key order.
    pub fn range<K, R>(&self, range: R) -> impl Iterator<Item = Result<Pair, StorageError>> + '_
    where
        K: AsRef<[u8]>,
        R: RangeBounds<K>,
    {
        self.inner.range(range).map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(|e| self.err(e))
        })
    }

    /// Every pair, in key order.
    pub fn iter(&self) -> impl Iterator<Item = Result<Pair, StorageError>> + '_ {
        self.inner.iter().map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(|e| self.err(e))
        })
    }

    pub fn first(&self) -> Result<Option<Pair>, StorageError> {
        let p = self.inner.first().map_err(|e| self.err(e))?;
        Ok(p.map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    pub fn last(&self) -> Result<Option<Pair>, StorageError> {
        let p = self.inner.last().map_err(|e| self.err(e))?;
        Ok(p.map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    pub fn clear(&self) -> Result<(), StorageError> {
        self.inner.clear().map_err(|e| self.err(e))
    }
}

/// Writes applied together by [`Tree::apply_batch`].
#[derive(Default)]
pub struct Batch {
    inner: sled::Batch,
}

impl Batch {
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.inner.insert(key.as_ref(), value.as_ref());
    }

    pub fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.inner.remove(key.as_ref());
    }
}

/// A `u64` as a big-endian key, so that byte order is numeric order.
pub fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Reads a key written by [`u64_key`].
pub fn key_u64(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_batches_and_numeric_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(dir.path().join("db")).expect("open");
        let t = db.tree("t").expect("tree");
        let mut batch = Batch::default();
        for n in [300u64, 2, 70000, 1] {
            batch.insert(u64_key(n), n.to_string());
        }
        t.apply_batch(batch).expect("batch");
        let keys: Vec<u64> = t
            .iter()
            .map(|r| key_u64(&r.expect("pair").0).expect("u64 key"))
            .collect();
        assert_eq!(keys, vec![1, 2, 300, 70000]);
        assert_eq!(t.first().expect("first").map(|p| p.1), Some(b"1".to_vec()));
        assert_eq!(
            t.last().expect("last").map(|p| p.1),
            Some(b"70000".to_vec())
        );
        let mid: Vec<_> = t.range(u64_key(2)..u64_key(70000)).collect();
        assert_eq!(mid.len(), 2);
        t.remove(u64_key(2)).expect("remove");
        assert_eq!(t.get(u64_key(2)).expect("get"), None);
        assert_eq!(t.len(), 3);
        db.flush().expect("flush");
    }

    #[test]
    fn data_survives_reopen_and_a_second_open_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        {
            let db = Db::open(&path).expect("open");
            db.tree("t")
                .expect("tree")
                .insert("k", "v")
                .expect("insert");
            db.flush().expect("flush");
            let second = Db::open(&path).err().expect("locked");
            assert!(second.is_locked(), "{second}");
            assert!(second.to_string().contains(&path.display().to_string()));
        }
        let db = Db::open(&path).expect("reopen");
        assert_eq!(
            db.tree("t").expect("tree").get("k").expect("get"),
            Some(b"v".to_vec())
        );
    }
}

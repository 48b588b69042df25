//! The latest state-machine snapshot, kept in one file.
//!
//! Written to a temporary file in the same directory, fsynced, renamed over
//! the old one, and the directory fsynced: a crash at any point leaves
//! either the old snapshot or the new one, never a mix. The file is framed
//! so that damage is detected on load:
//!
//! ```text
//! "DRVSNAP" 0x01 | meta len: u32 BE | meta | data len: u64 BE | data | crc32 of all before: u32 BE
//! ```
//!
//! `meta` and `data` are opaque bytes to this crate.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::StorageError;

const MAGIC: &[u8; 8] = b"DRVSNAP\x01";

/// A snapshot as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSnapshot {
    pub meta: Vec<u8>,
    pub data: Vec<u8>,
}

/// The snapshot file at one path.
#[derive(Clone, Debug)]
pub struct SnapshotFile {
    path: PathBuf,
}

impl SnapshotFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SnapshotFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn tmp_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        self.path.with_file_name(name)
    }

    fn io(&self, path: &Path, source: std::io::Error) -> StorageError {
        StorageError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Replaces the stored snapshot atomically and durably.
    pub fn save(&self, meta: &[u8], data: &[u8]) -> Result<(), StorageError> {
        let meta_len = u32::try_from(meta.len()).map_err(|_| {
            self.io(
                &self.path,
                std::io::Error::other("snapshot metadata over 4 GiB"),
            )
        })?;
        let mut buf = Vec::with_capacity(8 + 4 + meta.len() + 8 + data.len() + 4);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&meta_len.to_be_bytes());
        buf.extend_from_slice(meta);
        buf.extend_from_slice(&(data.len() as u64).to_be_bytes());
        buf.extend_from_slice(data);
        let crc = crc32fast::hash(&buf);
        buf.extend_from_slice(&crc.to_be_bytes());

        let tmp = self.tmp_path();
        let mut file = File::create(&tmp).map_err(|e| self.io(&tmp, e))?;
        file.write_all(&buf).map_err(|e| self.io(&tmp, e))?;
        file.sync_all().map_err(|e| self.io(&tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| self.io(dir, e))?;
        }
        Ok(())
    }

    /// Loads the stored snapshot, `None` if there is none. A leftover
    /// temporary file from an interrupted save is removed.
    pub fn load(&self) -> Result<Option<StoredSnapshot>, StorageError> {
        let tmp = self.tmp_path();
        if tmp.exists() {
            std::fs::remove_file(&tmp).map_err(|e| self.io(&tmp, e))?;
        }
        let buf = match std::fs::read(&self.path) {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&self.path, e)),
        };
        self.decode(&buf).map(Some)
    }

    fn corrupt(&self, what: &str) -> StorageError {
        StorageError::Corrupt {
            path: self.path.clone(),
            what: format!("snapshot {what}"),
        }
    }

    fn decode(&self, buf: &[u8]) -> Result<StoredSnapshot, StorageError> {
        if buf.len() < MAGIC.len() + 4 + 8 + 4 {
            return Err(self.corrupt(&format!("is truncated ({} bytes)", buf.len())));
        }
        if &buf[..8] != MAGIC {
            return Err(self.corrupt("has a bad magic number (not a drover snapshot)"));
        }
        let (body, crc) = buf.split_at(buf.len() - 4);
        let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let actual = crc32fast::hash(body);
        let mut rest = &body[8..];
        let meta_len =
            take(&mut rest, 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let meta = meta_len.and_then(|n| take(&mut rest, n));
        let data_len = meta.and_then(|_| take(&mut rest, 8)).map(|b| {
            let mut n = [0u8; 8];
            n.copy_from_slice(b);
            u64::from_be_bytes(n) as usize
        });
        let data = data_len.and_then(|n| take(&mut rest, n));
        match (meta, data) {
            (Some(meta), Some(data)) if rest.is_empty() => {
                if stored != actual {
                    return Err(self.corrupt(&format!(
                        "checksum mismatch (stored {stored:08x}, computed {actual:08x})"
                    )));
                }
                Ok(StoredSnapshot {
                    meta: meta.to_vec(),
                    data: data.to_vec(),
                })
            }
            _ => Err(self.corrupt("is truncated or its lengths are damaged")),
        }
    }
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_replace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = SnapshotFile::new(dir.path().join("snapshot.bin"));
        assert_eq!(f.load().expect("load"), None);
        f.save(b"m1", b"data one").expect("save");
        f.save(b"m2", b"data two").expect("save");
        let s = f.load().expect("load").expect("some");
        assert_eq!(
            (s.meta.as_slice(), s.data.as_slice()),
            (&b"m2"[..], &b"data two"[..])
        );
    }

    #[test]
    fn damage_is_reported_with_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("snapshot.bin");
        let f = SnapshotFile::new(&path);
        f.save(b"meta", &[7u8; 1000]).expect("save");
        let good = std::fs::read(&path).expect("read");

        let mut flipped = good.clone();
        flipped[500] ^= 0x40;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated", good[..good.len() - 10].to_vec()),
            ("checksum mismatch", flipped),
            ("bad magic", b"garbage garbage garbage garbage".to_vec()),
            ("truncated", b"DRV".to_vec()),
        ];
        for (expect, bytes) in cases {
            std::fs::write(&path, bytes).expect("write");
            let err = f.load().expect_err("damaged snapshot refused");
            let text = err.to_string();
            assert!(matches!(err, StorageError::Corrupt { .. }), "{text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(expect), "{text} should say {expect}");
        }
    }

    #[test]
    fn an_interrupted_save_leaves_the_old_snapshot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = SnapshotFile::new(dir.path().join("snapshot.bin"));
        f.save(b"old", b"old data").expect("save");
        // A crash mid-write leaves a partial temporary file behind.
        std::fs::write(dir.path().join("snapshot.bin.tmp"), b"DRVSNAP\x01partial").expect("write");
        let s = f.load().expect("load").expect("some");
        assert_eq!(s.data, b"old data");
        assert!(!dir.path().join("snapshot.bin.tmp").exists());
    }
}

//! Errors of the storage crate. Every error names the file or directory it
//! concerns and the cause.

use std::path::PathBuf;

/// A storage failure, with the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database could not be opened (locked, unreadable or corrupt).
    #[error("cannot open database {}: {cause}", path.display())]
    Open { path: PathBuf, cause: String },
    /// Data on disk is damaged; the node must not serve from it.
    #[error("corrupt data in {}: {what}", path.display())]
    Corrupt { path: PathBuf, what: String },
    /// A file operation failed.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A database operation failed.
    #[error("database error in {}: {source}", path.display())]
    Sled { path: PathBuf, source: sled::Error },
}

impl StorageError {
    /// Whether the database is held by another open handle (sled locks it).
    pub fn is_locked(&self) -> bool {
        matches!(self, StorageError::Open { cause, .. } if cause.contains("WouldBlock") || cause.contains("lock"))
    }
}

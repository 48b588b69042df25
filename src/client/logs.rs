//! Task log files: `<alloc dir>/alloc/logs/<task>.<stream>.<n>`, rotated
//! when a file reaches `max_file_size`, keeping the newest `max_files`
//! (Nomad's layout, so `logs` readers find them where they expect).
//!
//! Writes are plain buffered-by-the-kernel file appends: each is small and
//! lands in the page cache, so the drivers call them from async tasks.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One stream's (`stdout` or `stderr`) rotating log.
pub struct RotatingWriter {
    dir: PathBuf,
    /// `<task>.<stream>`
    base: String,
    max_files: u32,
    max_size: u64,
    index: u64,
    file: File,
    size: u64,
}

/// The index of a log file named `<base>.<n>`, if `name` is one.
pub fn file_index(name: &str, base: &str) -> Option<u64> {
    name.strip_prefix(base)?.strip_prefix('.')?.parse().ok()
}

/// The indexes of the existing files of `base` in `dir`, sorted.
pub fn file_indexes(dir: &Path, base: &str) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = file_index(name, base) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

impl RotatingWriter {
    /// Opens the newest file of `<task>.<stream>` in `dir` for appending
    /// (a restarted client continues where it left off).
    pub fn open(
        dir: &Path,
        task: &str,
        stream: &str,
        max_files: u32,
        max_size: u64,
    ) -> io::Result<RotatingWriter> {
        std::fs::create_dir_all(dir)?;
        let base = format!("{task}.{stream}");
        let index = file_indexes(dir, &base)?.last().copied().unwrap_or(0);
        let path = dir.join(format!("{base}.{index}"));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(RotatingWriter {
            dir: dir.to_path_buf(),
            base,
            max_files: max_files.max(1),
            max_size: max_size.max(1),
            index,
            file,
            size,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.index += 1;
        let path = self.dir.join(format!("{}.{}", self.base, self.index));
        self.file = OpenOptions::new().create(true).append(true).open(path)?;
        self.size = 0;
        let indexes = file_indexes(&self.dir, &self.base)?;
        let keep = self.max_files as usize;
        if indexes.len() > keep {
            for old in &indexes[..indexes.len() - keep] {
                let _ = std::fs::remove_file(self.dir.join(format!("{}.{old}", self.base)));
            }
        }
        Ok(())
    }

    /// Appends `buf`, splitting it across files at the size limit.
    pub fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            if self.size >= self.max_size {
                self.rotate()?;
            }
            let room = (self.max_size - self.size) as usize;
            let n = room.min(buf.len());
            self.file.write_all(&buf[..n])?;
            self.size += n as u64;
            buf = &buf[n..];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_and_keeps_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RotatingWriter::open(dir.path(), "redis", "stdout", 3, 10).unwrap();
        w.write_all(&[b'a'; 25]).unwrap();
        w.write_all(&[b'b'; 20]).unwrap();
        let idx = file_indexes(dir.path(), "redis.stdout").unwrap();
        assert_eq!(idx, vec![2, 3, 4]);
        let last = std::fs::read(dir.path().join("redis.stdout.4")).unwrap();
        assert_eq!(last, vec![b'b'; 5]);
        // Reopening appends to the newest file.
        let mut w = RotatingWriter::open(dir.path(), "redis", "stdout", 3, 10).unwrap();
        w.write_all(b"cc").unwrap();
        let last = std::fs::read(dir.path().join("redis.stdout.4")).unwrap();
        assert_eq!(last.len(), 7);
    }
}

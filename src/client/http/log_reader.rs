//! Reads a task's rotated log files (`<task>.<type>.0`, `.1`, ...) as one
//! stream, from a position counted from the start or the end of all of
//! them, optionally waiting for more.
//!
//! One chunk of at most [`CHUNK`] bytes is held at a time, whatever the
//! size of the logs. The writer rotates by moving to the next index and
//! removing the oldest files ([`crate::client::logs`]); the reader notices
//! by listing the directory whenever its file has no more bytes, and moves
//! on to the next file that exists (a file removed under it is skipped).

use std::io::{self, SeekFrom};
use std::path::PathBuf;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::client::logs::file_index;

/// The largest piece read (and sent) at once.
pub const CHUNK: usize = 64 * 1024;

/// Where the log files are, relative to the allocation directory (how
/// frames name them).
pub const LOGS_DIR: &str = "alloc/logs";

/// What `offset` counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Start,
    End,
}

/// What one step of reading found.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Bytes of `file` (`alloc/logs/<task>.<type>.<n>`); `offset` is the
    /// position in that file just past them.
    Data {
        file: String,
        offset: u64,
        data: Bytes,
    },
    /// `file` became shorter than what was read of it: reading starts
    /// again at its beginning.
    Truncated { file: String },
    /// Nothing more for now; when not following, nothing more at all.
    End,
}

/// The file (by index) and the offset in it where reading starts, given
/// the existing files as `(index, size)` sorted by index: `offset` bytes
/// from the start of the first file or from the end of the last one,
/// clamped to what exists. None when there is no file.
pub fn locate(files: &[(u64, u64)], origin: Origin, offset: u64) -> Option<(u64, u64)> {
    let (first, last) = (files.first()?, files.last()?);
    let mut rest = offset;
    match origin {
        Origin::Start => {
            for &(index, size) in files {
                if rest <= size {
                    return Some((index, rest));
                }
                rest -= size;
            }
            Some((last.0, last.1))
        }
        Origin::End => {
            for &(index, size) in files.iter().rev() {
                if rest <= size {
                    return Some((index, size - rest));
                }
                rest -= size;
            }
            Some((first.0, 0))
        }
    }
}

/// The log files of `base` (`<task>.<type>`) in `dir` as `(index, size)`,
/// sorted; none when the directory is gone.
async fn files(dir: &std::path::Path, base: &str) -> io::Result<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name();
        let Some(index) = name.to_str().and_then(|n| file_index(n, base)) else {
            continue;
        };
        // A file removed since the listing is simply not there.
        if let Ok(meta) = entry.metadata().await {
            out.push((index, meta.len()));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// A position in a task's log and the open file at it.
pub struct LogReader {
    dir: PathBuf,
    base: String,
    index: u64,
    offset: u64,
    file: Option<tokio::fs::File>,
    /// When not following: the newest file when reading began, where
    /// reading ends.
    last: Option<u64>,
    buf: Vec<u8>,
}

impl LogReader {
    /// A reader of `<base>.<n>` in `dir` at `offset` bytes from `origin`;
    /// None when there is no such log file.
    pub async fn open(
        dir: PathBuf,
        base: String,
        origin: Origin,
        offset: u64,
        follow: bool,
    ) -> io::Result<Option<LogReader>> {
        let files = files(&dir, &base).await?;
        let Some((index, offset)) = locate(&files, origin, offset) else {
            return Ok(None);
        };
        let last = if follow {
            None
        } else {
            files.last().map(|f| f.0)
        };
        Ok(Some(LogReader {
            dir,
            base,
            index,
            offset,
            file: None,
            last,
            buf: vec![0; CHUNK],
        }))
    }

    fn name(&self) -> String {
        format!("{}.{}", self.base, self.index)
    }

    fn shown_name(&self) -> String {
        format!("{LOGS_DIR}/{}", self.name())
    }

    /// The smallest index after the current one that exists now.
    async fn next_index(&self) -> io::Result<Option<u64>> {
        Ok(files(&self.dir, &self.base)
            .await?
            .into_iter()
            .map(|(index, _)| index)
            .find(|i| *i > self.index))
    }

    /// The current file, opened at the current offset; None when it does
    /// not exist (rotated out, not written yet, or the directory is gone).
    async fn open_current(&mut self) -> io::Result<Option<tokio::fs::File>> {
        let mut f = match tokio::fs::File::open(self.dir.join(self.name())).await {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let len = f.metadata().await?.len();
        self.offset = self.offset.min(len);
        f.seek(SeekFrom::Start(self.offset)).await?;
        Ok(Some(f))
    }

    /// Reads what follows in the open file `f`.
    async fn read_more(&mut self, f: &mut tokio::fs::File) -> io::Result<Option<Step>> {
        let n = f.read(&mut self.buf).await?;
        if n == 0 {
            return Ok(None);
        }
        self.offset += n as u64;
        Ok(Some(Step::Data {
            file: self.shown_name(),
            offset: self.offset,
            data: Bytes::copy_from_slice(&self.buf[..n]),
        }))
    }

    /// The next piece of the log.
    pub async fn step(&mut self) -> io::Result<Step> {
        loop {
            let mut f = match self.file.take() {
                Some(f) => f,
                None => match self.open_current().await? {
                    Some(f) => f,
                    None => match self.next_index().await? {
                        Some(next) if self.last.is_none_or(|last| self.index < last) => {
                            self.index = next;
                            self.offset = 0;
                            continue;
                        }
                        _ => return Ok(Step::End),
                    },
                },
            };
            match self.step_in(&mut f).await? {
                InFile::Found(step) => {
                    self.file = Some(f);
                    return Ok(step);
                }
                // `f` is dropped; the next file is opened on the next turn.
                InFile::Done => {}
            }
        }
    }

    /// One step within the open file `f`.
    async fn step_in(&mut self, f: &mut tokio::fs::File) -> io::Result<InFile> {
        if let Some(data) = self.read_more(f).await? {
            return Ok(InFile::Found(data));
        }
        if self.last.is_some_and(|last| self.index >= last) {
            return Ok(InFile::Found(Step::End));
        }
        let Some(next) = self.next_index().await? else {
            // Still the newest file: nothing more yet, unless it shrank.
            if f.metadata().await?.len() < self.offset {
                self.offset = 0;
                f.seek(SeekFrom::Start(0)).await?;
                return Ok(InFile::Found(Step::Truncated {
                    file: self.shown_name(),
                }));
            }
            return Ok(InFile::Found(Step::End));
        };
        // The writer moved on; what it wrote here before that comes first.
        if let Some(data) = self.read_more(f).await? {
            return Ok(InFile::Found(data));
        }
        self.index = next;
        self.offset = 0;
        Ok(InFile::Done)
    }
}

/// What reading in one file came to.
enum InFile {
    Found(Step),
    /// The file is read to its end and a newer one exists.
    Done,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_across_rotated_files() {
        let files = [(2, 10), (3, 10), (4, 5)];
        assert_eq!(locate(&files, Origin::Start, 0), Some((2, 0)));
        assert_eq!(locate(&files, Origin::Start, 10), Some((2, 10)));
        assert_eq!(locate(&files, Origin::Start, 11), Some((3, 1)));
        assert_eq!(locate(&files, Origin::Start, 24), Some((4, 4)));
        assert_eq!(locate(&files, Origin::Start, 1000), Some((4, 5)));
        assert_eq!(locate(&files, Origin::End, 0), Some((4, 5)));
        assert_eq!(locate(&files, Origin::End, 5), Some((4, 0)));
        assert_eq!(locate(&files, Origin::End, 6), Some((3, 9)));
        assert_eq!(locate(&files, Origin::End, 25), Some((2, 0)));
        assert_eq!(locate(&files, Origin::End, 1000), Some((2, 0)));
        assert_eq!(locate(&[], Origin::Start, 0), None);
    }

    fn write(dir: &std::path::Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    async fn read_all(r: &mut LogReader) -> (String, Vec<String>) {
        let mut text = String::new();
        let mut files = Vec::new();
        loop {
            match r.step().await.unwrap() {
                Step::Data { file, data, .. } => {
                    text.push_str(std::str::from_utf8(&data).unwrap());
                    if files.last() != Some(&file) {
                        files.push(file);
                    }
                }
                Step::Truncated { .. } => panic!("unexpected truncation"),
                Step::End => return (text, files),
            }
        }
    }

    async fn reader(dir: &std::path::Path, origin: Origin, offset: u64, follow: bool) -> LogReader {
        LogReader::open(
            dir.to_path_buf(),
            "web.stdout".into(),
            origin,
            offset,
            follow,
        )
        .await
        .unwrap()
        .expect("log files")
    }

    #[tokio::test]
    async fn reads_rotated_files_in_order_from_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "web.stdout.1", "abcde");
        write(dir.path(), "web.stdout.2", "fghij");
        write(dir.path(), "web.stdout.10", "klm");
        write(dir.path(), "web.stderr.1", "nope");
        let mut r = reader(dir.path(), Origin::Start, 0, false).await;
        let (text, files) = read_all(&mut r).await;
        assert_eq!(text, "abcdefghijklm");
        assert_eq!(
            files,
            [
                "alloc/logs/web.stdout.1",
                "alloc/logs/web.stdout.2",
                "alloc/logs/web.stdout.10"
            ]
        );
        let mut r = reader(dir.path(), Origin::Start, 7, false).await;
        assert_eq!(read_all(&mut r).await.0, "hijklm");
        let mut r = reader(dir.path(), Origin::End, 4, false).await;
        assert_eq!(read_all(&mut r).await.0, "jklm");
        let mut r = reader(dir.path(), Origin::End, 100, false).await;
        assert_eq!(read_all(&mut r).await.0, "abcdefghijklm");
    }

    #[tokio::test]
    async fn offsets_in_data_steps_are_positions_in_their_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "web.stdout.0", "0123456789");
        let mut r = reader(dir.path(), Origin::Start, 4, false).await;
        let step = r.step().await.unwrap();
        assert_eq!(
            step,
            Step::Data {
                file: "alloc/logs/web.stdout.0".into(),
                offset: 10,
                data: Bytes::from_static(b"456789"),
            }
        );
        assert_eq!(r.step().await.unwrap(), Step::End);
    }

    #[tokio::test]
    async fn a_reader_not_following_stops_at_the_files_that_existed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "web.stdout.0", "one ");
        let mut r = reader(dir.path(), Origin::Start, 0, false).await;
        write(dir.path(), "web.stdout.1", "two");
        assert_eq!(read_all(&mut r).await.0, "one ");
    }

    #[tokio::test]
    async fn a_follower_sees_appends_rotations_and_removed_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut w =
            crate::client::logs::RotatingWriter::open(dir.path(), "web", "stdout", 1, 4).unwrap();
        w.write_all(b"abc").unwrap();
        let mut r = reader(dir.path(), Origin::Start, 0, true).await;
        assert_eq!(read_all(&mut r).await.0, "abc");
        // Appends and two rotations; keeping one file, the writer removes
        // .0 (which the reader still has open) and .1 before it is read.
        w.write_all(b"defghijkl").unwrap();
        let (text, files) = read_all(&mut r).await;
        assert_eq!(text, "dijkl", "file .1 (efgh) was removed unread");
        assert_eq!(files.last().unwrap(), "alloc/logs/web.stdout.2");
        assert_eq!(r.step().await.unwrap(), Step::End);
        w.write_all(b"m").unwrap();
        assert_eq!(read_all(&mut r).await.0, "m");
    }

    #[tokio::test]
    async fn a_truncated_file_is_read_again_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "web.stdout.0", "long line\n");
        let mut r = reader(dir.path(), Origin::Start, 0, true).await;
        assert_eq!(read_all(&mut r).await.0, "long line\n");
        write(dir.path(), "web.stdout.0", "new\n");
        assert_eq!(
            r.step().await.unwrap(),
            Step::Truncated {
                file: "alloc/logs/web.stdout.0".into()
            }
        );
        assert_eq!(read_all(&mut r).await.0, "new\n");
    }

    #[tokio::test]
    async fn no_log_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let r = LogReader::open(
            dir.path().join("gone"),
            "web.stdout".into(),
            Origin::Start,
            0,
            true,
        )
        .await
        .unwrap();
        assert!(r.is_none());
    }
}

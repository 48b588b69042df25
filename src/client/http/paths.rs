//! Paths inside an allocation directory, given by users, opened only when
//! what they name lies inside that directory.
//!
//! Tasks write into the allocation directory and may plant symbolic links
//! there (`/alloc/data/x -> /etc`), so a path is checked three times: its
//! `..` components may not climb above the root; its fully resolved form
//! (every link followed) must lie under the resolved root; and the file
//! actually opened is checked again through `/proc/self/fd`, which catches
//! a link swapped in between the check and the open.

use std::fs::{File, Metadata};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// Why a path cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("path {0:?} escapes the allocation directory")]
    Escapes(String),
    #[error("path {0:?} is not valid: it contains a NUL byte")]
    Invalid(String),
    #[error("no file or directory at {0:?} in the allocation directory")]
    NotFound(String),
    #[error("cannot open {path:?} in the allocation directory: {source}")]
    Io { path: String, source: io::Error },
}

/// A file or directory opened inside an allocation directory.
#[derive(Debug)]
pub struct Inside {
    pub file: File,
    /// Its resolved path on the host.
    pub real: PathBuf,
    pub meta: Metadata,
    /// Its resolved path relative to the allocation directory.
    pub relative: PathBuf,
}

impl Inside {
    /// A path that names exactly the opened file, for calls that take a
    /// path (listing a directory): its `/proc/self/fd` entry when there is
    /// one.
    pub fn stable_path(&self) -> PathBuf {
        let fd = PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()));
        if fd.exists() { fd } else { self.real.clone() }
    }
}

/// `requested` (absolute or not, always taken from the allocation
/// directory's root) as a relative path with `.` and `..` resolved
/// lexically; `..` above the root is an escape.
pub fn lexical(requested: &str) -> Result<PathBuf, PathError> {
    if requested.contains('\0') {
        return Err(PathError::Invalid(requested.to_string()));
    }
    let mut out = PathBuf::new();
    for c in Path::new(requested).components() {
        match c {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                if !out.pop() {
                    return Err(PathError::Escapes(requested.to_string()));
                }
            }
            Component::Normal(part) => out.push(part),
        }
    }
    Ok(out)
}

fn io_error(requested: &str, e: io::Error) -> PathError {
    if e.kind() == io::ErrorKind::NotFound {
        PathError::NotFound(requested.to_string())
    } else {
        PathError::Io {
            path: requested.to_string(),
            source: e,
        }
    }
}

/// Opens `requested` inside `root` (blocking). Opening never waits on a
/// named pipe; the caller decides what kinds of file it serves.
pub fn open_inside(root: &Path, requested: &str) -> Result<Inside, PathError> {
    let relative = lexical(requested)?;
    let root = std::fs::canonicalize(root).map_err(|e| io_error("/", e))?;
    let real = std::fs::canonicalize(root.join(&relative)).map_err(|e| io_error(requested, e))?;
    let escapes = || PathError::Escapes(requested.to_string());
    let relative = real
        .strip_prefix(&root)
        .map_err(|_| escapes())?
        .to_path_buf();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(&real)
        .map_err(|e| io_error(requested, e))?;
    // What was opened, whatever changed since the check.
    if let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        && !opened.starts_with(&root)
    {
        return Err(escapes());
    }
    let meta = file.metadata().map_err(|e| io_error(requested, e))?;
    Ok(Inside {
        file,
        real,
        meta,
        relative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn alloc_dir() -> (tempfile::TempDir, PathBuf) {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("a1");
        std::fs::create_dir_all(root.join("alloc/logs")).unwrap();
        std::fs::create_dir_all(root.join("web/local")).unwrap();
        std::fs::write(root.join("alloc/logs/web.stdout.0"), "hello\n").unwrap();
        std::fs::write(base.path().join("outside.txt"), "secret").unwrap();
        (base, root)
    }

    fn escapes(r: Result<Inside, PathError>) -> bool {
        matches!(r, Err(PathError::Escapes(_)))
    }

    #[test]
    fn paths_inside_open() {
        let (_base, root) = alloc_dir();
        for p in [
            "/",
            "",
            "alloc",
            "/alloc/logs/",
            "alloc/./logs/../logs/web.stdout.0",
        ] {
            let inside = open_inside(&root, p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(
                inside
                    .real
                    .starts_with(std::fs::canonicalize(&root).unwrap())
            );
        }
        let f = open_inside(&root, "/alloc/logs/web.stdout.0").unwrap();
        assert_eq!(f.relative, Path::new("alloc/logs/web.stdout.0"));
        assert!(f.meta.is_file());
    }

    #[test]
    fn dot_dot_above_the_root_is_refused() {
        let (_base, root) = alloc_dir();
        for p in [
            "..",
            "../",
            "../outside.txt",
            "alloc/../../outside.txt",
            "/../a1/alloc",
        ] {
            assert!(escapes(open_inside(&root, p)), "{p} was not refused");
        }
        let e = open_inside(&root, "../outside.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "path \"../outside.txt\" escapes the allocation directory"
        );
    }

    #[test]
    fn absolute_paths_are_taken_from_the_root_not_the_host() {
        let (_base, root) = alloc_dir();
        let e = open_inside(&root, "/etc/passwd").unwrap_err();
        assert!(matches!(e, PathError::NotFound(_)), "{e}");
    }

    #[test]
    fn links_pointing_outside_are_refused() {
        let (base, root) = alloc_dir();
        symlink("/etc", root.join("web/local/etc")).unwrap();
        symlink(base.path().join("outside.txt"), root.join("alloc/abs")).unwrap();
        symlink("../../../outside.txt", root.join("web/local/rel")).unwrap();
        symlink("/", root.join("alloc/hostroot")).unwrap();
        for p in [
            "web/local/etc/passwd",
            "web/local/etc",
            "alloc/abs",
            "web/local/rel",
            "alloc/hostroot",
        ] {
            assert!(escapes(open_inside(&root, p)), "{p} was not refused");
        }
        // A link that stays inside is followed.
        symlink("../alloc/logs", root.join("web/logs")).unwrap();
        let f = open_inside(&root, "web/logs/web.stdout.0").unwrap();
        assert_eq!(f.relative, Path::new("alloc/logs/web.stdout.0"));
    }

    #[test]
    fn missing_files_and_nul_bytes() {
        let (_base, root) = alloc_dir();
        assert!(matches!(
            open_inside(&root, "alloc/nothing"),
            Err(PathError::NotFound(_))
        ));
        assert!(matches!(
            open_inside(&root, "a\0b"),
            Err(PathError::Invalid(_))
        ));
    }

    #[test]
    fn a_named_pipe_opens_without_waiting() {
        let (_base, root) = alloc_dir();
        let fifo = root.join("alloc/pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let f = open_inside(&root, "alloc/pipe").unwrap();
        assert!(!f.meta.is_file() && !f.meta.is_dir());
    }
}

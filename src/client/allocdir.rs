//! An allocation's directories on the host (Nomad's layout):
//! `<data_dir>/alloc/<alloc id>/alloc/{logs,tmp,data}` shared by its tasks,
//! and `<data_dir>/alloc/<alloc id>/<task>/{local,secrets,tmp}` per task.
//! Containers see them at `/alloc`, `/local` and `/secrets`.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The directories of one allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocDir {
    pub root: PathBuf,
}

/// A task name as a single path component.
fn component(task: &str) -> String {
    task.replace(['/', '\0'], "_")
}

impl AllocDir {
    pub fn new(alloc_base: &Path, alloc_id: &str) -> AllocDir {
        AllocDir {
            root: alloc_base.join(component(alloc_id)),
        }
    }

    /// The directory every task shares (`/alloc`).
    pub fn shared(&self) -> PathBuf {
        self.root.join("alloc")
    }

    pub fn logs(&self) -> PathBuf {
        self.shared().join("logs")
    }

    pub fn task_dir(&self, task: &str) -> PathBuf {
        self.root.join(component(task))
    }

    pub fn local(&self, task: &str) -> PathBuf {
        self.task_dir(task).join("local")
    }

    pub fn secrets(&self, task: &str) -> PathBuf {
        self.task_dir(task).join("secrets")
    }

    /// Creates the directories (idempotent). The shared and scratch
    /// directories are writable by any user a task runs as.
    pub fn build<'a>(&self, tasks: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        let open = |p: &Path, mode: u32| -> io::Result<()> {
            std::fs::create_dir_all(p)?;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        };
        open(&self.shared(), 0o777)?;
        open(&self.logs(), 0o777)?;
        open(&self.shared().join("tmp"), 0o1777)?;
        open(&self.shared().join("data"), 0o777)?;
        for t in tasks {
            open(&self.local(t), 0o777)?;
            open(&self.secrets(t), 0o777)?;
            open(&self.task_dir(t).join("tmp"), 0o1777)?;
        }
        Ok(())
    }

    /// Removes everything; a directory already gone is fine.
    pub fn destroy(&self) -> io::Result<()> {
        match std::fs::remove_dir_all(&self.root) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_layout_and_destroys_it() {
        let base = tempfile::tempdir().unwrap();
        let d = AllocDir::new(base.path(), "a1");
        d.build(["redis", "odd/name"]).unwrap();
        assert!(d.logs().is_dir());
        assert!(d.local("redis").is_dir());
        assert!(d.secrets("redis").is_dir());
        assert!(base.path().join("a1/odd_name/local").is_dir());
        d.destroy().unwrap();
        d.destroy().unwrap();
        assert!(!d.root.exists());
    }
}

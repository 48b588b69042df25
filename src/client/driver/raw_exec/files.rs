//! The files through which the driver and its executor talk.
//!
//! They live in the task's status directory (`<task dir>/.raw_exec/`, kept
//! apart from `local` and `secrets`, which the task treats as its own):
//!
//! * `spec.json`: what to run, written by the driver before it starts the
//!   executor;
//! * `pid.json`: the task's and the executor's process IDs and start times,
//!   written by the executor once the task runs;
//! * `exit.json`: how the task ended (or why it never started), written by
//!   the executor last;
//! * `executor.log`: the executor's own complaints (its stderr).
//!
//! Files are the whole protocol: they outlive the client agent, so a
//! restarted client learns everything it needs from them and from `/proc`.
//! The executor writes each file once, to a temporary name then renamed, so
//! a reader never sees half of one.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::driver::ExitResult;

/// The status directory's name inside the task directory.
pub const STATUS_DIR: &str = ".raw_exec";

/// The paths of one task's status files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPaths {
    pub dir: PathBuf,
}

impl StatusPaths {
    pub fn for_task_dir(task_dir: &Path) -> StatusPaths {
        StatusPaths {
            dir: task_dir.join(STATUS_DIR),
        }
    }

    pub fn spec(&self) -> PathBuf {
        self.dir.join("spec.json")
    }

    pub fn pids(&self) -> PathBuf {
        self.dir.join("pid.json")
    }

    pub fn exit(&self) -> PathBuf {
        self.dir.join("exit.json")
    }

    pub fn executor_log(&self) -> PathBuf {
        self.dir.join("executor.log")
    }
}

/// What the executor runs, and where it reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutorSpec {
    /// Already resolved by the driver (absolute, or relative to `cwd`).
    pub command: PathBuf,
    pub args: Vec<String>,
    /// The complete task environment; the executor's own is not inherited.
    pub env: BTreeMap<String, String>,
    pub cwd: PathBuf,
    pub log_dir: PathBuf,
    pub log_task: String,
    pub log_max_files: u32,
    pub log_max_file_size: u64,
    pub pid_file: PathBuf,
    pub exit_file: PathBuf,
}

/// The running task, as the executor saw it right after starting it.
///
/// Start times (`/proc/<pid>/stat` field 22) tell a live process from a
/// later one that was given the same ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pids {
    /// Also the task's process group ID.
    pub pid: i32,
    pub start_time: u64,
    pub executor_pid: i32,
    pub executor_start_time: u64,
}

/// Why the command never ran: whether starting again may help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartFailure {
    /// The command cannot be executed (missing, not executable, bad format).
    Config,
    /// Something outside the task failed (no memory, log files unwritable).
    Recoverable,
}

/// The contents of `exit.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    #[serde(flatten)]
    pub result: ExitResult,
    /// Set when the command never started; `result.err` then says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_failure: Option<StartFailure>,
}

impl ExitRecord {
    pub fn start_failed(kind: StartFailure, message: String) -> ExitRecord {
        ExitRecord {
            result: ExitResult {
                exit_code: -1,
                err: Some(message),
                ..ExitResult::default()
            },
            start_failure: Some(kind),
        }
    }
}

/// A status file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: invalid contents: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl FileError {
    fn io(path: &Path, source: io::Error) -> FileError {
        FileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `value` as JSON to `path` through a temporary file in the same
/// directory and a rename, so readers see either nothing or all of it.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), FileError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| FileError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| FileError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| FileError::io(path, e))
}

/// Reads a JSON status file; `None` when it does not exist (yet).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, FileError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::io(path, e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| FileError::Json {
            path: path.to_path_buf(),
            source,
        })
}

/// Removes the status directory; a missing one is fine.
pub fn remove_dir(paths: &StatusPaths) -> Result<(), FileError> {
    match std::fs::remove_dir_all(&paths.dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::io(&paths.dir, e)),
    }
}

/// Creates an empty status directory.
pub fn create_dir(paths: &StatusPaths) -> Result<(), FileError> {
    std::fs::create_dir_all(&paths.dir).map_err(|e| FileError::io(&paths.dir, e))
}

/// The last `max` bytes of the executor's log, for error messages.
pub fn executor_log_tail(paths: &StatusPaths, max: usize) -> String {
    let Ok(bytes) = std::fs::read(paths.executor_log()) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(max);
    String::from_utf8_lossy(&bytes[start..]).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_record_keeps_the_exit_result_fields_at_the_top() {
        let rec = ExitRecord {
            result: ExitResult {
                exit_code: 137,
                signal: 9,
                ..ExitResult::default()
            },
            start_failure: None,
        };
        let v = serde_json::to_value(&rec).unwrap();
        assert_eq!(v["exit_code"], 137);
        assert_eq!(v["signal"], 9);
        assert!(v.get("start_failure").is_none());
        // A plain ExitResult reads the same file.
        let plain: ExitResult = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(plain, rec.result);
        let back: ExitRecord = serde_json::from_value(v).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn start_failures_round_trip() {
        let rec = ExitRecord::start_failed(StartFailure::Config, "no such file".into());
        let text = serde_json::to_string(&rec).unwrap();
        assert!(text.contains("\"start_failure\":\"config\""), "{text}");
        let back: ExitRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.result.exit_code, -1);
    }

    #[test]
    fn atomic_writes_leave_no_temporary_file_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pid.json");
        assert!(read_json::<Pids>(&path).unwrap().is_none());
        let pids = Pids {
            pid: 42,
            start_time: 7,
            executor_pid: 41,
            executor_start_time: 6,
        };
        write_json_atomic(&path, &pids).unwrap();
        assert_eq!(read_json::<Pids>(&path).unwrap(), Some(pids));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["pid.json"]);
    }

    #[test]
    fn garbage_is_a_typed_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exit.json");
        std::fs::write(&path, b"{not json").unwrap();
        let err = read_json::<ExitRecord>(&path).unwrap_err();
        assert!(matches!(err, FileError::Json { .. }));
        assert!(err.to_string().contains("exit.json"), "{err}");
    }

    #[test]
    fn spec_round_trips() {
        let spec = ExecutorSpec {
            command: "/bin/sh".into(),
            args: vec!["-c".into(), "true".into()],
            env: BTreeMap::from([("FOO".into(), "bar".into())]),
            cwd: "/tmp/t".into(),
            log_dir: "/tmp/logs".into(),
            log_task: "web".into(),
            log_max_files: 10,
            log_max_file_size: 10 << 20,
            pid_file: "/tmp/t/.raw_exec/pid.json".into(),
            exit_file: "/tmp/t/.raw_exec/exit.json".into(),
        };
        let text = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<ExecutorSpec>(&text).unwrap(), spec);
    }
}

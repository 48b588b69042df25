//! Copies a container's output into the task's rotating log files.
//!
//! One tokio task per container follows the engine's log stream (the
//! container keeps its own bounded `json-file` copy, so the follower can
//! start late or resume after a client restart) and appends each chunk to
//! `<task>.stdout.<n>` / `<task>.stderr.<n>`. It ends by itself when the
//! container stops; `destroy` ends it otherwise.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures::StreamExt;
use tokio::task::JoinHandle;

use super::DockerDriver;
use crate::client::driver::{LogSpec, TaskSpec};
use crate::client::logs::{RotatingWriter, file_indexes};

/// A log stream has no response deadline: it lasts as long as the
/// container runs.
pub(super) const LONG_REQUEST: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How long `destroy` lets a follower drain what a stopped container
/// printed last before cutting it off.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The running followers, by container ID.
#[derive(Default)]
pub(super) struct Followers(Mutex<HashMap<String, JoinHandle<()>>>);

impl Followers {
    /// Takes the follower of `id`, if any.
    fn take(&self, id: &str) -> Option<JoinHandle<()>> {
        self.0.lock().ok().and_then(|mut m| m.remove(id))
    }

    /// Keeps `task` as the follower of `id` unless one still runs.
    fn insert_unless_running(&self, id: &str, spawn: impl FnOnce() -> JoinHandle<()>) {
        let Ok(mut map) = self.0.lock() else { return };
        map.retain(|_, t| !t.is_finished());
        if !map.contains_key(id) {
            map.insert(id.to_string(), spawn());
        }
    }
}

/// A driver dropped (the client shutting down) stops copying: the
/// containers keep their output, and a recovering client resumes from the
/// log files' last write.
impl Drop for Followers {
    fn drop(&mut self) {
        if let Ok(map) = self.0.get_mut() {
            for task in map.values() {
                task.abort();
            }
        }
    }
}

impl DockerDriver {
    /// Starts following `id`'s output from `since` (unix seconds; 0 for
    /// all of it), unless it is already followed.
    pub(super) fn follow_logs(&self, docker: &Docker, id: &str, spec: &TaskSpec, since: i64) {
        let docker = docker.clone().with_timeout(LONG_REQUEST);
        let logs = spec.logs.clone();
        let container = id.to_string();
        self.followers.insert_unless_running(id, move || {
            tokio::spawn(follow(docker, container, logs, since))
        });
    }

    /// Ends `id`'s follower: it gets a moment to write what is still in
    /// flight (the stream ends by itself once the container stopped).
    pub(super) async fn stop_following(&self, id: &str) {
        if let Some(mut task) = self.followers.take(id)
            && tokio::time::timeout(DRAIN_GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

/// Where a resumed follower starts: the newest log file's modification
/// time, in unix seconds. The engine's `since` is whole seconds, so lines
/// of that last second may be written twice; none is lost.
pub(super) fn resume_since(logs: &LogSpec) -> i64 {
    ["stdout", "stderr"]
        .iter()
        .filter_map(|stream| newest_mtime(logs, stream))
        .max()
        .unwrap_or(0)
}

fn newest_mtime(logs: &LogSpec, stream: &str) -> Option<i64> {
    let base = format!("{}.{stream}", logs.task);
    let index = file_indexes(&logs.dir, &base).ok()?.last().copied()?;
    let modified = std::fs::metadata(logs.dir.join(format!("{base}.{index}")))
        .and_then(|m| m.modified())
        .ok()?;
    let secs = modified.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// The follower's body: copies chunks until the stream ends or a file
/// cannot be written.
async fn follow(docker: Docker, id: String, logs: LogSpec, since: i64) {
    let open = |stream| {
        RotatingWriter::open(
            &logs.dir,
            &logs.task,
            stream,
            logs.max_files,
            logs.max_file_size,
        )
    };
    let (mut stdout, mut stderr) = match (open("stdout"), open("stderr")) {
        (Ok(o), Ok(e)) => (o, e),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(container = %id, dir = %logs.dir.display(), "cannot open the task's log files: {e}");
            return;
        }
    };
    let mut since = since;
    loop {
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .since(i32::try_from(since).unwrap_or(0))
            .build();
        let mut stream = docker.logs(&id, Some(options));
        let mut broken = None;
        while let Some(item) = stream.next().await {
            let written = match item {
                Ok(LogOutput::StdErr { message }) => stderr.write_all(&message),
                Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                    stdout.write_all(&message)
                }
                Ok(LogOutput::StdIn { .. }) => Ok(()),
                Err(e) => {
                    broken = Some(e);
                    break;
                }
            };
            since = now_secs();
            if let Err(e) = written {
                tracing::warn!(container = %id, "cannot write the task's logs: {e}");
                return;
            }
        }
        // The stream ends when the container does; an error means the
        // engine went away: follow again once it is back, if the
        // container still runs (a few lines of that second may repeat).
        let Some(e) = broken else { return };
        tracing::debug!(container = %id, "log stream broken: {e}");
        if !still_running(&docker, &id).await {
            return;
        }
        tracing::debug!(container = %id, "following the container's logs again");
    }
}

/// Unix seconds now.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Waits (with backoff, up to a minute) for the engine to answer; whether
/// the container then still runs.
async fn still_running(docker: &Docker, id: &str) -> bool {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut backoff = std::time::Duration::from_millis(100);
    while tokio::time::Instant::now() < deadline {
        match docker.inspect_container(id, None).await {
            Ok(c) => return c.state.and_then(|s| s.running) == Some(true),
            Err(e) if super::status(&e) == Some(404) => return false,
            Err(_) => {}
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_secs() -> i64 {
        std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    #[test]
    fn resume_since_is_the_newest_file_time() {
        let dir = tempfile::tempdir().unwrap();
        let logs = LogSpec {
            dir: dir.path().to_path_buf(),
            task: "web".into(),
            max_files: 3,
            max_file_size: 1000,
        };
        assert_eq!(resume_since(&logs), 0);
        let mut w = RotatingWriter::open(dir.path(), "web", "stderr", 3, 1000).unwrap();
        w.write_all(b"x").unwrap();
        let t = resume_since(&logs);
        assert!((now_secs() - t).abs() <= 2, "{t}");
    }
}

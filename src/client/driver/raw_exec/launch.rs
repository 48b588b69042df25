//! Starting a task: the executor's spec, the executor itself, and the wait
//! until it reports the task running.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::config::{RawExecConfig, resolve_command};
use super::files::{self, ExecutorSpec, ExitRecord, Pids, StartFailure, StatusPaths};
use super::host;
use super::instance::{Instance, POLL, file_error};
use crate::client::driver::{DriverError, TaskSpec};

/// How long the executor may take to start the task.
const START_DEADLINE: Duration = Duration::from_secs(5);

/// Starts `spec`'s task through an executor run from `binary`. On failure
/// nothing is left: no status directory, no process.
pub async fn launch(binary: &Path, spec: &TaskSpec) -> Result<Instance, DriverError> {
    let exec_spec = executor_spec(spec)?;
    let paths = StatusPaths::for_task_dir(&spec.task_dir);
    end_leftover(&paths).await?;
    files::create_dir(&paths).map_err(file_error)?;
    match start_executor(binary, &paths, &exec_spec).await {
        Ok(pids) => Ok(Instance { paths, pids }),
        Err(e) => {
            let _ = files::remove_dir(&paths);
            Err(e)
        }
    }
}

/// Writes the spec, starts the executor and waits until it started the
/// task.
async fn start_executor(
    binary: &Path,
    paths: &StatusPaths,
    spec: &ExecutorSpec,
) -> Result<Pids, DriverError> {
    files::write_json_atomic(&paths.spec(), spec).map_err(file_error)?;
    let executor = spawn_executor(binary, paths).await?;
    await_task_start(paths, &executor).await
}

/// What the executor is to run: the task's command, found now so that a
/// wrong one fails before any process starts.
fn executor_spec(spec: &TaskSpec) -> Result<ExecutorSpec, DriverError> {
    let config = RawExecConfig::parse(&spec.config)?;
    let path_var = spec
        .env
        .get("PATH")
        .map(OsString::from)
        .or_else(|| std::env::var_os("PATH"));
    let command = resolve_command(&config.command, &spec.task_dir, path_var.as_deref())?;
    let paths = StatusPaths::for_task_dir(&spec.task_dir);
    Ok(ExecutorSpec {
        command,
        args: config.args,
        env: spec.env.clone(),
        cwd: spec.task_dir.clone(),
        log_dir: spec.logs.dir.clone(),
        log_task: spec.logs.task.clone(),
        log_max_files: spec.logs.max_files,
        log_max_file_size: spec.logs.max_file_size,
        pid_file: paths.pids(),
        exit_file: paths.exit(),
    })
}

/// Ends what a previous start of the same task left (a client that died
/// before it kept the handle, or never destroyed it), so no task runs
/// twice, then clears the status directory.
async fn end_leftover(paths: &StatusPaths) -> Result<(), DriverError> {
    if let Ok(Some(pids)) = files::read_json::<Pids>(&paths.pids()) {
        let leftover = Instance {
            paths: paths.clone(),
            pids,
        };
        leftover.end().await?;
    }
    files::remove_dir(paths).map_err(file_error)
}

/// The executor process as a child of this client.
struct ExecutorChild {
    pid: i32,
    /// Set by the reaper once the executor exited and was reaped.
    exited: Arc<AtomicBool>,
}

/// Starts the executor from a thread that then waits for it, so that an
/// ended executor never stays a zombie while this client runs (after a
/// client restart, init adopts and reaps it instead). The fork happens on
/// that thread too, off the async runtime.
async fn spawn_executor(binary: &Path, paths: &StatusPaths) -> Result<ExecutorChild, DriverError> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.executor_log())
        .map_err(|e| {
            DriverError::Recoverable(format!("raw_exec: {}: {e}", paths.executor_log().display()))
        })?;
    let mut cmd = Command::new(binary);
    cmd.arg("executor")
        .arg(paths.spec())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    host::start_in_new_session(&mut cmd);
    let exited = Arc::new(AtomicBool::new(false));
    let reaped = Arc::clone(&exited);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("raw_exec-reaper".into())
        .spawn(move || match cmd.spawn() {
            Err(e) => {
                let _ = tx.send(Err(e));
            }
            Ok(mut child) => {
                let _ = tx.send(Ok(child.id()));
                let _ = child.wait();
                reaped.store(true, Ordering::SeqCst);
            }
        });
    let cannot_start = |e: String| {
        DriverError::Recoverable(format!(
            "raw_exec: cannot start the executor {}: {e}",
            binary.display()
        ))
    };
    thread.map_err(|e| cannot_start(e.to_string()))?;
    let pid = rx
        .await
        .map_err(|e| cannot_start(e.to_string()))?
        .map_err(|e| cannot_start(e.to_string()))?;
    Ok(ExecutorChild {
        pid: pid as i32,
        exited,
    })
}

/// Waits for the executor to report the task started (`pid.json`) or could
/// not start (`exit.json`). An executor that reports neither in time is
/// killed; should it have started the task without recording it, that
/// task is not found again (the next start of the task cannot see it).
async fn await_task_start(
    paths: &StatusPaths,
    executor: &ExecutorChild,
) -> Result<Pids, DriverError> {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        // Read before the files: an executor that had exited by now has
        // written all it ever will.
        let exited = executor.exited.load(Ordering::SeqCst);
        if let Some(pids) = files::read_json::<Pids>(&paths.pids()).map_err(file_error)? {
            return Ok(pids);
        }
        if let Some(record) = files::read_json::<ExitRecord>(&paths.exit()).map_err(file_error)? {
            return Err(start_error(record));
        }
        if exited {
            return Err(DriverError::Recoverable(format!(
                "raw_exec: the executor exited before starting the task: {}",
                files::executor_log_tail(paths, 2000)
            )));
        }
        if Instant::now() >= deadline {
            if !executor.exited.load(Ordering::SeqCst) {
                let _ = host::signal_process(executor.pid, libc::SIGKILL);
            }
            return Err(DriverError::Recoverable(format!(
                "raw_exec: the executor did not start the task within {START_DEADLINE:?}"
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn start_error(record: ExitRecord) -> DriverError {
    let message = record
        .result
        .err
        .unwrap_or_else(|| "the task did not start".into());
    match record.start_failure {
        Some(StartFailure::Config) => DriverError::Config(format!("raw_exec: {message}")),
        _ => DriverError::Recoverable(format!("raw_exec: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_errors_keep_their_kind() {
        let config = ExitRecord::start_failed(StartFailure::Config, "bad format".into());
        assert!(matches!(start_error(config), DriverError::Config(m) if m.contains("bad format")));
        let other = ExitRecord::start_failed(StartFailure::Recoverable, "no memory".into());
        assert!(start_error(other).recoverable());
    }
}

//! The executor: the process that runs one raw_exec task and watches it.
//!
//! The client agent starts it as `drover executor <spec file>` in a session
//! of its own, so it outlives the agent (even a SIGKILL of the agent) and
//! keeps doing the agent's part meanwhile: it copies the task's output into
//! the rotating log files and, when the task ends, reaps it and records how
//! in `exit.json`. A restarted agent finds the task through the status
//! files (see `files`) and `/proc`; it never needs the executor to talk.
//!
//! The task runs in a process group of its own (its ID is the task's
//! process ID): the driver signals that group, which never contains the
//! executor. When the task's main process ends, what is left of its group
//! is killed, as Nomad does for tasks it tracks in a cgroup, so nothing of
//! a finished task lingers and the output pipes reach end-of-file.

use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::files::{self, ExecutorSpec, ExitRecord, Pids, StartFailure};
use super::host;
use crate::client::driver::ExitResult;
use crate::client::logs::RotatingWriter;

/// How long output still in the pipes is copied after the task ended.
/// Only a process that left the task's group (and so was not killed with
/// it) can hold the pipes open longer; the executor does not wait for it.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Shells report death by signal N as exit status 128 + N; so does Nomad.
const SIGNAL_EXIT_BASE: i64 = 128;

/// Runs the task described by the spec file and records its end. The exit
/// code says whether `exit.json` was written (0) or not (1); the task's
/// own status is in the file.
pub fn run(spec_path: &Path) -> ExitCode {
    if let Err(e) = host::ensure_own_session() {
        eprintln!("executor: cannot start a session: {e}");
    }
    // The executor must live to write `exit.json`: signals a terminal or an
    // impatient operator sends it are ignored (SIGKILL still works).
    if let Err(e) = host::survive_signals(&[libc::SIGHUP, libc::SIGINT, libc::SIGTERM]) {
        eprintln!("executor: cannot set signal handlers: {e}");
    }
    let spec: ExecutorSpec = match files::read_json(spec_path) {
        Ok(Some(spec)) => spec,
        Ok(None) => {
            eprintln!("executor: {}: no such file", spec_path.display());
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("executor: {e}");
            return ExitCode::from(1);
        }
    };
    let record = supervise(&spec);
    match files::write_json_atomic(&spec.exit_file, &record) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("executor: cannot record the task's exit: {e}");
            ExitCode::from(1)
        }
    }
}

/// Starts the task, waits for it and says how it ended.
fn supervise(spec: &ExecutorSpec) -> ExitRecord {
    let (stdout_log, stderr_log) = match open_logs(spec) {
        Ok(w) => w,
        Err(e) => {
            let msg = format!(
                "cannot open the task's log files in {}: {e}",
                spec.log_dir.display()
            );
            return ExitRecord::start_failed(StartFailure::Recoverable, msg);
        }
    };
    let mut child = match task_command(spec).spawn() {
        Ok(c) => c,
        Err(e) => {
            let msg = format!(
                "failed to start command \"{}\": {e}",
                spec.command.display()
            );
            return ExitRecord::start_failed(start_failure_kind(&e), msg);
        }
    };
    let pid = child.id() as i32;
    let copiers = start_copiers(&mut child, stdout_log, stderr_log);
    if let Err(e) = record_pids(spec, pid) {
        let _ = host::signal_group(pid, libc::SIGKILL);
        let _ = child.wait();
        drain(copiers);
        let msg = format!("cannot record the task's process ID: {e}");
        return ExitRecord::start_failed(StartFailure::Recoverable, msg);
    }
    let result = match child.wait() {
        Ok(status) => exit_result(status),
        Err(e) => ExitResult {
            exit_code: -1,
            err: Some(format!("cannot wait for the task: {e}")),
            ..ExitResult::default()
        },
    };
    // The group outlives its leader while other members run; they belong to
    // the task, which is over. The ID cannot name another group yet: Linux
    // does not reuse an ID while a group of that ID exists.
    let _ = host::signal_group(pid, libc::SIGKILL);
    drain(copiers);
    ExitRecord {
        result,
        start_failure: None,
    }
}

fn open_logs(spec: &ExecutorSpec) -> io::Result<(RotatingWriter, RotatingWriter)> {
    let open = |stream| {
        RotatingWriter::open(
            &spec.log_dir,
            &spec.log_task,
            stream,
            spec.log_max_files,
            spec.log_max_file_size,
        )
    };
    Ok((open("stdout")?, open("stderr")?))
}

/// The task's command: only the task environment (plus the host's `PATH`
/// when the task sets none, so scripts find the usual tools), the task
/// directory as working directory, no input, output into pipes, and a
/// process group of its own.
fn task_command(spec: &ExecutorSpec) -> Command {
    let mut cmd = Command::new(&spec.command);
    cmd.args(&spec.args)
        .env_clear()
        .envs(&spec.env)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if !spec.env.contains_key("PATH")
        && let Some(path) = std::env::var_os("PATH")
    {
        cmd.env("PATH", path);
    }
    cmd
}

/// Whether a failure to execute the command is the command's fault (it
/// will fail again) or the host's (it may work later).
fn start_failure_kind(e: &io::Error) -> StartFailure {
    let config_errnos = [
        libc::ENOENT,
        libc::EACCES,
        libc::EPERM,
        libc::ENOEXEC,
        libc::ENOTDIR,
        libc::EISDIR,
        libc::ELOOP,
        libc::ENAMETOOLONG,
    ];
    match e.raw_os_error() {
        Some(errno) if config_errnos.contains(&errno) => StartFailure::Config,
        _ if e.kind() == io::ErrorKind::InvalidInput => StartFailure::Config,
        _ => StartFailure::Recoverable,
    }
}

fn record_pids(spec: &ExecutorSpec, pid: i32) -> Result<(), String> {
    // The task is our unreaped child, so its /proc entry exists even if it
    // already exited.
    let start_time = own_start_time(pid)?;
    let executor_pid = std::process::id() as i32;
    let pids = Pids {
        pid,
        start_time,
        executor_pid,
        executor_start_time: own_start_time(executor_pid)?,
    };
    files::write_json_atomic(&spec.pid_file, &pids).map_err(|e| e.to_string())
}

fn own_start_time(pid: i32) -> Result<u64, String> {
    match host::read_stat(pid) {
        Ok(Some(stat)) => Ok(stat.start_time),
        Ok(None) => Err(format!("process {pid} is not in /proc")),
        Err(e) => Err(format!("/proc/{pid}/stat: {e}")),
    }
}

/// One thread per output stream; each reports on the channel when its
/// stream reached end-of-file.
struct Copiers {
    done: mpsc::Receiver<()>,
    running: usize,
}

fn start_copiers(child: &mut Child, stdout: RotatingWriter, stderr: RotatingWriter) -> Copiers {
    let (tx, done) = mpsc::channel();
    let mut running = 0;
    if let Some(out) = child.stdout.take() {
        running += spawn_copier(out, stdout, "stdout", tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        running += spawn_copier(err, stderr, "stderr", tx);
    }
    Copiers { done, running }
}

fn spawn_copier(
    from: impl Read + Send + 'static,
    to: RotatingWriter,
    stream: &'static str,
    done: mpsc::Sender<()>,
) -> usize {
    let spawned = std::thread::Builder::new()
        .name(format!("copy-{stream}"))
        .spawn(move || {
            copy_stream(from, to, stream);
            let _ = done.send(());
        });
    match spawned {
        Ok(_) => 1,
        Err(e) => {
            eprintln!("executor: cannot start the {stream} copier: {e}");
            0
        }
    }
}

/// Copies until end-of-file. Write failures (a full disk) are reported once
/// and the output is still read, so the task never blocks on a full pipe.
fn copy_stream(mut from: impl Read, mut to: RotatingWriter, stream: &str) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut warned = false;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("executor: reading the task's {stream}: {e}");
                return;
            }
        };
        if let Err(e) = to.write_all(&buf[..n])
            && !warned
        {
            eprintln!("executor: writing the task's {stream} log: {e}");
            warned = true;
        }
    }
}

/// Waits (at most [`DRAIN_GRACE`]) for the copiers to finish.
fn drain(copiers: Copiers) {
    let deadline = Instant::now() + DRAIN_GRACE;
    for _ in 0..copiers.running {
        let left = deadline.saturating_duration_since(Instant::now());
        if copiers.done.recv_timeout(left).is_err() {
            eprintln!("executor: output still open after the task ended; not waiting for it");
            return;
        }
    }
}

/// A wait status as Nomad reports it: the exit code, or the signal with
/// exit code 128 + signal.
pub fn exit_result(status: ExitStatus) -> ExitResult {
    if let Some(code) = status.code() {
        return ExitResult {
            exit_code: i64::from(code),
            ..ExitResult::default()
        };
    }
    let signal = i64::from(status.signal().unwrap_or(0));
    ExitResult {
        exit_code: SIGNAL_EXIT_BASE + signal,
        signal,
        ..ExitResult::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_become_exit_results() {
        // Raw wait statuses: exit code in the high byte, signal in the low.
        let exited = exit_result(ExitStatus::from_raw(7 << 8));
        assert_eq!((exited.exit_code, exited.signal), (7, 0));
        let killed = exit_result(ExitStatus::from_raw(9));
        assert_eq!((killed.exit_code, killed.signal), (137, 9));
        assert!(exit_result(ExitStatus::from_raw(0)).successful());
    }

    #[test]
    fn exec_failures_are_classified() {
        let not_found = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(start_failure_kind(&not_found), StartFailure::Config);
        let bad_format = io::Error::from_raw_os_error(libc::ENOEXEC);
        assert_eq!(start_failure_kind(&bad_format), StartFailure::Config);
        let no_memory = io::Error::from_raw_os_error(libc::ENOMEM);
        assert_eq!(start_failure_kind(&no_memory), StartFailure::Recoverable);
    }
}

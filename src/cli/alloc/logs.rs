//! `drover alloc logs [-stderr] [-f] [-tail] [-n N] [-c BYTES] ALLOC
//! [TASK]`: a task's stdout (or stderr), raw, from its node's client.
//!
//! Without `-tail` the log is printed from its start; `-tail` prints its
//! last 10 lines, `-n N` its last N lines, `-c B` its last B bytes (`-n`
//! and `-c` imply `-tail`). `-f` then keeps printing what the task writes
//! until interrupted or the allocation is gone.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use drover::api_client::{ApiClient, LogRequest};
use drover::structs::Allocation;

use super::logs_tail::{BYTES_PER_LINE, enough, last_lines};
use super::lookup;
use super::restart::{check_task, group_tasks};
use crate::cli::common::{self, ApiArgs, CliError, describe, format};

/// Lines `-tail` prints by default.
const DEFAULT_TAIL_LINES: u64 = 10;
/// When following the end of a log by lines, what arrives within this
/// quiet time after the start is the backlog that is cut to N lines.
const BACKLOG_QUIET: Duration = Duration::from_millis(500);
const BACKLOG_MAX: Duration = Duration::from_secs(1);

#[derive(Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Read stderr instead of stdout.
    #[arg(long)]
    pub stderr: bool,
    /// Read stdout (the default).
    #[arg(long)]
    pub stdout: bool,
    /// Keep printing what the task writes.
    #[arg(short = 'f')]
    pub follow: bool,
    /// Print the end of the log (10 lines unless -n or -c says).
    #[arg(long)]
    pub tail: bool,
    /// The number of lines to print from the end.
    #[arg(short = 'n', value_name = "LINES")]
    pub lines: Option<u64>,
    /// The number of bytes to print from the end.
    #[arg(short = 'c', value_name = "BYTES")]
    pub bytes: Option<u64>,
    /// The task (also given as the second argument).
    #[arg(long, value_name = "TASK")]
    pub task: Option<String>,
    /// The allocation ID (or prefix).
    pub alloc: String,
    /// The task; may be left out when the group has one task.
    #[arg(value_name = "TASK")]
    pub task_arg: Option<String>,
}

pub fn run(a: LogsArgs) -> ExitCode {
    common::run(logs(a))
}

/// Where to start and what to keep.
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// The whole log.
    Beginning,
    /// The last N bytes.
    Bytes(u64),
    /// The last N lines.
    Lines(u64),
}

/// The start the flags ask for.
pub fn start(a: &LogsArgs) -> Result<Start, CliError> {
    match (a.lines, a.bytes) {
        (Some(_), Some(_)) => Err(CliError::new("-n and -c cannot be used together")),
        (Some(n), None) => Ok(Start::Lines(n)),
        (None, Some(c)) => Ok(Start::Bytes(c)),
        (None, None) if a.tail => Ok(Start::Lines(DEFAULT_TAIL_LINES)),
        (None, None) => Ok(Start::Beginning),
    }
}

/// The task to read: the one named, or the group's only task.
pub fn pick_task(alloc: &Allocation, named: Option<&str>) -> Result<String, CliError> {
    if let Some(t) = named {
        check_task(alloc, t)?;
        return Ok(t.to_string());
    }
    let tasks = group_tasks(alloc);
    match tasks.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::new(format!(
            "Could not find the task group {:?} of allocation {:?}",
            alloc.task_group,
            format::short_id(&alloc.id, false)
        ))),
        many => Err(CliError::new(format!(
            "Allocation {:?} is running the tasks {}: please specify the task",
            format::short_id(&alloc.id, false),
            many.join(", ")
        ))),
    }
}

async fn logs(a: LogsArgs) -> Result<u8, CliError> {
    if a.stdout && a.stderr {
        return Err(CliError::new("Unable to support both stdout and stderr"));
    }
    let start = start(&a)?;
    let named = match (&a.task, &a.task_arg) {
        (Some(_), Some(_)) => {
            return Err(CliError::new(
                "Give the task either with -task or as an argument, not both",
            ));
        }
        (t, u) => t.clone().or_else(|| u.clone()),
    };
    let api = a.api.client()?;
    let alloc = lookup::alloc(&api, &a.alloc).await?;
    let task = pick_task(&alloc, named.as_deref())?;
    let kind = if a.stderr { "stderr" } else { "stdout" };
    let req = LogRequest {
        task,
        kind: kind.to_string(),
        follow: a.follow,
        from_end: start != Start::Beginning,
        offset: match start {
            Start::Beginning => 0,
            Start::Bytes(c) => c,
            Start::Lines(n) => n.saturating_mul(BYTES_PER_LINE),
        },
    };
    let fail = |e| CliError::new(format!("Failed to read {kind} file: {}", describe(&e)));
    match start {
        Start::Lines(n) if !a.follow => {
            let tail = tail_lines(&api, &alloc.id, req, n).await.map_err(fail)?;
            write_out(&tail).map(|_| 0)
        }
        Start::Lines(n) => {
            let resp = api.alloc_log_stream(&alloc.id, &req).await.map_err(fail)?;
            until_interrupted(follow_lines(resp, n, kind)).await
        }
        _ => {
            let resp = api.alloc_log_stream(&alloc.id, &req).await.map_err(fail)?;
            until_interrupted(copy(resp, kind)).await
        }
    }
}

/// The last `n` lines of a log that is not followed: read from `n` times
/// a guessed line length before the end, and further back while that
/// does not hold `n` whole lines.
async fn tail_lines(
    api: &ApiClient,
    alloc_id: &str,
    mut req: LogRequest,
    n: u64,
) -> Result<Vec<u8>, drover::api_client::ApiClientError> {
    let want = usize::try_from(n).unwrap_or(usize::MAX);
    loop {
        let resp = api.alloc_log_stream(alloc_id, &req).await?;
        let buf = resp
            .bytes()
            .await
            .map_err(|e| drover::api_client::ApiClientError::Decode {
                url: format!("/v1/client/fs/logs/{alloc_id}"),
                message: e.to_string(),
            })?;
        if enough(&buf, want, req.offset) || req.offset >= u64::MAX / 2 {
            return Ok(last_lines(&buf, want).to_vec());
        }
        req.offset = req.offset.saturating_mul(2).max(BYTES_PER_LINE);
    }
}

/// Writes to stdout; a reader that went away (a closed pipe) ends the
/// output quietly.
fn write_out(bytes: &[u8]) -> Result<bool, CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(CliError::new(format!("Error writing the log: {e}"))),
    }
}

/// Runs `fut` until it ends or the user interrupts (which is not an
/// error: following ends that way).
async fn until_interrupted<F>(fut: F) -> Result<u8, CliError>
where
    F: std::future::Future<Output = Result<u8, CliError>>,
{
    tokio::select! {
        r = fut => r,
        _ = tokio::signal::ctrl_c() => Ok(0),
    }
}

fn read_error(kind: &str, e: reqwest::Error) -> CliError {
    CliError::new(format!("Error reading the {kind} log: {e}"))
}

/// Copies the answer's bytes to stdout as they arrive.
async fn copy(mut resp: reqwest::Response, kind: &str) -> Result<u8, CliError> {
    while let Some(chunk) = resp.chunk().await.map_err(|e| read_error(kind, e))? {
        if !write_out(&chunk)? {
            return Ok(0);
        }
    }
    Ok(0)
}

/// Follows a log from its last `n` lines: what arrives at first (until a
/// quiet moment) is cut to those lines, the rest is copied as it comes.
async fn follow_lines(mut resp: reqwest::Response, n: u64, kind: &str) -> Result<u8, CliError> {
    let want = usize::try_from(n).unwrap_or(usize::MAX);
    let mut backlog = Vec::new();
    let until = tokio::time::Instant::now() + BACKLOG_MAX;
    loop {
        let wait = BACKLOG_QUIET.min(until.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, resp.chunk()).await {
            Ok(Ok(Some(chunk))) => backlog.extend_from_slice(&chunk),
            Ok(Ok(None)) => {
                write_out(last_lines(&backlog, want))?;
                return Ok(0);
            }
            Ok(Err(e)) => return Err(read_error(kind, e)),
            Err(_) => break,
        }
        if tokio::time::Instant::now() >= until {
            break;
        }
    }
    if !write_out(last_lines(&backlog, want))? {
        return Ok(0);
    }
    copy(resp, kind).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use drover::structs::{Job, Task, TaskGroup};
    use std::sync::Arc;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: LogsArgs,
    }

    fn args(flags: &[&str]) -> LogsArgs {
        let mut v = vec!["logs".to_string()];
        v.extend(flags.iter().map(|s| s.to_string()));
        Cli::parse_from(v).a
    }

    #[test]
    fn where_reading_starts() {
        assert_eq!(start(&args(&["a1"])).unwrap(), Start::Beginning);
        assert_eq!(start(&args(&["--tail", "a1"])).unwrap(), Start::Lines(10));
        assert_eq!(
            start(&args(&["--tail", "-n", "3", "a1"])).unwrap(),
            Start::Lines(3)
        );
        assert_eq!(start(&args(&["-c", "50", "a1"])).unwrap(), Start::Bytes(50));
        assert!(start(&args(&["-n", "1", "-c", "5", "a1"])).is_err());
        let a = args(&["-f", "--stderr", "a1", "web"]);
        assert!(a.follow && a.stderr);
        assert_eq!(a.task_arg.as_deref(), Some("web"));
    }

    fn alloc(tasks: &[&str]) -> Allocation {
        let group = TaskGroup {
            name: "g".into(),
            tasks: tasks
                .iter()
                .map(|t| Task {
                    name: t.to_string(),
                    ..Task::default()
                })
                .collect(),
            ..TaskGroup::default()
        };
        Allocation {
            id: "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c".into(),
            task_group: "g".into(),
            job: Some(Arc::new(Job {
                task_groups: vec![group],
                ..Job::default()
            })),
            ..Allocation::default()
        }
    }

    #[test]
    fn the_task_may_be_left_out_when_there_is_one() {
        assert_eq!(pick_task(&alloc(&["t"]), None).unwrap(), "t");
        assert_eq!(
            pick_task(&alloc(&["a", "b"]), None).unwrap_err().message,
            "Allocation \"8dd4be51\" is running the tasks a, b: please specify the task"
        );
        assert_eq!(pick_task(&alloc(&["a", "b"]), Some("b")).unwrap(), "b");
        let e = pick_task(&alloc(&["a"]), Some("zz")).unwrap_err().message;
        assert!(e.starts_with("Could not find task named \"zz\""), "{e}");
    }
}

//! The raw_exec driver against real processes: the `drover` binary built
//! for these tests is the executor. Each test has its own temporary
//! allocation directory; every wait is bounded by a deadline.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use drover::client::driver::raw_exec::RawExecDriver;
use drover::client::driver::{Driver, DriverError, ExitResult, LogSpec, TaskHandle, TaskSpec};
use drover::client::logs::file_indexes;
use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_secs(15);

fn executor() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_drover"))
}

fn driver() -> RawExecDriver {
    RawExecDriver::new(executor(), true)
}

/// A task's directories under a temporary allocation directory.
struct Task {
    _root: tempfile::TempDir,
    spec: TaskSpec,
}

fn task_in(root: tempfile::TempDir, config: Value, env: &[(&str, &str)]) -> Task {
    let alloc_dir = root.path().join("alloc");
    let task_dir = root.path().join("web");
    let local_dir = task_dir.join("local");
    let secrets_dir = task_dir.join("secrets");
    for d in [&alloc_dir, &local_dir, &secrets_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let spec = TaskSpec {
        alloc_id: "6b8d5e3c-0000-4000-8000-000000000001".into(),
        task_name: "web".into(),
        node_id: "node-1".into(),
        instance_name: "web-6b8d5e3c-0000-4000-8000-000000000001".into(),
        config: config.as_object().expect("config is an object").clone(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        cpu_mhz: 100,
        memory_mb: 64,
        memory_max_mb: 0,
        ports: Vec::new(),
        logs: LogSpec {
            dir: alloc_dir.join("logs"),
            task: "web".into(),
            max_files: 10,
            max_file_size: 10 << 20,
        },
        alloc_dir,
        local_dir,
        secrets_dir,
        task_dir,
        user: String::new(),
    };
    Task { _root: root, spec }
}

fn task(config: Value, env: &[(&str, &str)]) -> Task {
    task_in(tempfile::tempdir().unwrap(), config, env)
}

fn shell(script: &str) -> Value {
    json!({"command": "sh", "args": ["-c", script]})
}

fn log(t: &Task, stream: &str, index: u64) -> String {
    let path = t.spec.logs.dir.join(format!("web.{stream}.{index}"));
    std::fs::read_to_string(path).unwrap_or_default()
}

async fn wait_exit(d: &RawExecDriver, h: &TaskHandle) -> ExitResult {
    tokio::time::timeout(DEADLINE, d.wait(h))
        .await
        .expect("the task ended in time")
        .expect("wait succeeds")
}

/// Polls `cond` until it holds or [`DEADLINE`] passes.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

/// Processes (not zombies) whose process group is `pgid`.
fn group_members(pgid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let (Some(state), Some(pgrp)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        if *state != "Z" && pgrp.parse::<i32>() == Ok(pgid) {
            out.push(pid);
        }
    }
    out
}

fn pid_of(h: &TaskHandle) -> i32 {
    h.id.parse().expect("the handle ID is a process ID")
}

fn status_dir(t: &Task) -> PathBuf {
    t.spec.task_dir.join(".raw_exec")
}

#[tokio::test]
async fn output_and_environment_reach_the_log_files() {
    let t = task(
        shell("echo out; echo err >&2; echo $FOO; pwd"),
        &[("FOO", "bar")],
    );
    let d = driver();
    let h = d.start(&t.spec).await.unwrap();
    assert_eq!(h.driver, "raw_exec");
    let exit = wait_exit(&d, &h).await;
    assert!(exit.successful(), "{exit:?}");
    let out = log(&t, "stdout", 0);
    let cwd = t.spec.task_dir.canonicalize().unwrap();
    assert_eq!(out, format!("out\nbar\n{}\n", cwd.display()));
    assert_eq!(log(&t, "stderr", 0), "err\n");
    d.destroy(&h).await.unwrap();
    assert!(!status_dir(&t).exists());
    d.destroy(&h).await.unwrap();
}

#[tokio::test]
async fn the_exit_code_is_the_tasks() {
    let t = task(shell("exit 7"), &[]);
    let d = driver();
    let h = d.start(&t.spec).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    assert_eq!((exit.exit_code, exit.signal, exit.err), (7, 0, None));
    d.destroy(&h).await.unwrap();
}

/// Starts `script` (which must print `ready` once its traps are set) and
/// waits for the `ready`.
async fn start_ready(d: &RawExecDriver, t: &Task) -> TaskHandle {
    let h = d.start(&t.spec).await.unwrap();
    assert!(
        eventually(|| log(t, "stdout", 0).contains("ready")).await,
        "the task never got ready"
    );
    h
}

#[tokio::test]
async fn stop_sends_the_given_signal() {
    let t = task(
        shell("trap 'exit 3' INT; echo ready; while true; do sleep 0.1; done"),
        &[],
    );
    let d = driver();
    let h = start_ready(&d, &t).await;
    d.stop(&h, "SIGINT", Duration::from_secs(10)).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    assert_eq!((exit.exit_code, exit.signal), (3, 0), "{exit:?}");
    d.destroy(&h).await.unwrap();
}

#[tokio::test]
async fn stop_kills_a_task_that_ignores_the_signal_after_the_timeout() {
    let t = task(
        shell("trap '' TERM; echo ready; while true; do sleep 0.1; done"),
        &[],
    );
    let d = driver();
    let h = start_ready(&d, &t).await;
    let timeout = Duration::from_millis(500);
    let began = Instant::now();
    d.stop(&h, "", timeout).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    let took = began.elapsed();
    assert_eq!((exit.signal, exit.exit_code), (9, 137), "{exit:?}");
    assert!(took >= timeout, "killed before the timeout: {took:?}");
    assert!(took < timeout + Duration::from_secs(2), "took {took:?}");
    d.destroy(&h).await.unwrap();
}

#[tokio::test]
async fn stop_ends_the_whole_process_group() {
    let t = task(shell("sleep 1000 & echo ready; wait"), &[]);
    let d = driver();
    let h = start_ready(&d, &t).await;
    let pgid = pid_of(&h);
    assert!(group_members(pgid).len() >= 2, "sh and sleep run");
    d.stop(&h, "SIGTERM", Duration::from_secs(5)).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    assert_eq!(exit.signal, 15, "{exit:?}");
    assert!(
        eventually(|| group_members(pgid).is_empty()).await,
        "left in the group: {:?}",
        group_members(pgid)
    );
    d.destroy(&h).await.unwrap();
}

#[tokio::test]
async fn a_group_left_behind_by_its_leader_is_killed_when_the_task_ends() {
    let t = task(shell("sleep 1000 & echo $! > bg.pid; exit 0"), &[]);
    let d = driver();
    let h = d.start(&t.spec).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    assert!(exit.successful(), "{exit:?}");
    assert!(eventually(|| group_members(pid_of(&h)).is_empty()).await);
    d.destroy(&h).await.unwrap();
}

#[tokio::test]
async fn a_new_driver_recovers_and_stops_a_running_task() {
    let t = task(
        shell("echo ready; while true; do echo tick; sleep 0.1; done"),
        &[],
    );
    let h = {
        let first = driver();
        start_ready(&first, &t).await
    };
    let d = driver();
    assert!(d.recover(&h, &t.spec).await.unwrap());
    // The executor still copies the output.
    let before = log(&t, "stdout", 0).len();
    assert!(eventually(|| log(&t, "stdout", 0).len() > before).await);
    let usage = d.stats(&h).await.unwrap();
    assert!(usage.memory_rss_bytes > 0);
    d.signal(&h, "SIGCONT").await.unwrap();
    d.stop(&h, "", Duration::from_secs(5)).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    assert_eq!(exit.signal, 15, "{exit:?}");
    assert_eq!(log(&t, "stdout", 0).matches("ready").count(), 1);
    assert!(!d.recover(&h, &t.spec).await.unwrap());
    assert!(matches!(
        d.signal(&h, "SIGHUP").await,
        Err(DriverError::NotFound(_))
    ));
    d.destroy(&h).await.unwrap();
}

#[tokio::test]
async fn an_exit_while_no_driver_watched_is_read_back() {
    let t = task(shell("echo ready; read line < go; exit 5"), &[]);
    let fifo = t.spec.task_dir.join("go");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let h = {
        let first = driver();
        start_ready(&first, &t).await
    };
    // Nobody watches while the task ends.
    std::fs::write(&fifo, "go\n").unwrap();
    let d = driver();
    assert!(eventually(|| status_dir(&t).join("exit.json").exists()).await);
    assert!(!d.recover(&h, &t.spec).await.unwrap());
    let exit = wait_exit(&d, &h).await;
    assert_eq!(exit.exit_code, 5, "{exit:?}");
    d.stop(&h, "", Duration::from_secs(1)).await.unwrap();
    d.destroy(&h).await.unwrap();
}

/// Where the handle is written by [`client_process`].
const CLIENT_DIR_ENV: &str = "DROVER_RAW_EXEC_TEST_CLIENT_DIR";

/// Not a test of its own: the body of a stand-in client process that
/// [`the_task_survives_a_sigkill_of_the_client`] runs (this test binary,
/// filtered to this test) and kills. It starts a task, writes its handle
/// next to it, then idles until killed.
#[tokio::test]
async fn client_process() {
    let Some(root) = std::env::var_os(CLIENT_DIR_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let t = task_in(
        tempfile::TempDir::with_prefix_in("task", &root).unwrap(),
        shell("echo ready; while true; do echo tick; sleep 0.1; done"),
        &[],
    );
    let h = start_ready(&driver(), &t).await;
    let spec = serde_json::to_vec(&(h, &t.spec.task_dir, &t.spec.logs.dir)).unwrap();
    std::fs::write(root.join("handle.json.tmp"), spec).unwrap();
    std::fs::rename(root.join("handle.json.tmp"), root.join("handle.json")).unwrap();
    // Keep the task directory: the test removes `root`.
    std::mem::forget(t);
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test]
async fn the_task_survives_a_sigkill_of_the_client() {
    let root = tempfile::tempdir().unwrap();
    let mut client = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "client_process", "--nocapture"])
        .env(CLIENT_DIR_ENV, root.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let handle_file = root.path().join("handle.json");
    assert!(
        eventually(|| handle_file.exists()).await,
        "the client started no task"
    );
    client.kill().unwrap(); // SIGKILL
    client.wait().unwrap();

    let (h, task_dir, log_dir): (TaskHandle, PathBuf, PathBuf) =
        serde_json::from_slice(&std::fs::read(&handle_file).unwrap()).unwrap();
    let stdout = log_dir.join("web.stdout.0");
    let size = || std::fs::metadata(&stdout).map(|m| m.len()).unwrap_or(0);
    let before = size();
    assert!(
        eventually(|| size() > before).await,
        "output is still copied"
    );

    let mut t = task_in(tempfile::tempdir().unwrap(), json!({}), &[]);
    t.spec.task_dir = task_dir.clone();
    let d = driver();
    assert!(d.recover(&h, &t.spec).await.unwrap());
    d.stop(&h, "SIGTERM", Duration::from_secs(5)).await.unwrap();
    let exit = wait_exit(&d, &h).await;
    assert_eq!(exit.signal, 15, "{exit:?}");
    assert!(eventually(|| group_members(pid_of(&h)).is_empty()).await);
    d.destroy(&h).await.unwrap();
    assert!(!task_dir.join(".raw_exec").exists());
}

#[tokio::test]
async fn starting_again_ends_the_previous_instance() {
    let t = task(shell("echo ready; while true; do sleep 0.1; done"), &[]);
    let d = driver();
    let old = start_ready(&d, &t).await;
    // As if the client lost the handle: the same task starts again.
    let new = d.start(&t.spec).await.unwrap();
    assert_ne!(old.id, new.id);
    assert!(eventually(|| group_members(pid_of(&old)).is_empty()).await);
    assert!(d.recover(&new, &t.spec).await.unwrap());
    d.stop(&new, "", Duration::from_secs(5)).await.unwrap();
    d.destroy(&new).await.unwrap();
}

#[tokio::test]
async fn a_missing_command_fails_before_anything_starts() {
    let t = task(json!({"command": "no-such-command-anywhere"}), &[]);
    let err = driver().start(&t.spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("\"no-such-command-anywhere\" not found")),
        "{err:?}"
    );
    assert!(!status_dir(&t).exists());

    let t = task(json!({"args": ["x"]}), &[]);
    let err = driver().start(&t.spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("command")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_command_that_cannot_execute_fails_as_config() {
    use std::os::unix::fs::PermissionsExt;
    let t = task(json!({"command": "local/not-a-program"}), &[]);
    let program = t.spec.local_dir.join("not-a-program");
    std::fs::write(&program, "no interpreter line\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = driver().start(&t.spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("failed to start command")),
        "{err:?}"
    );
    assert!(!status_dir(&t).exists());
}

#[tokio::test]
async fn a_disabled_driver_refuses_to_start() {
    let t = task(shell("true"), &[]);
    let d = RawExecDriver::new(executor(), false);
    let err = d.start(&t.spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("disabled")),
        "{err:?}"
    );
    assert!(!status_dir(&t).exists());
}

#[tokio::test]
async fn logs_rotate_keeping_max_files() {
    // 200 lines of 50 bytes: 10 000 bytes into files of 1 000.
    let script = "i=0; while [ $i -lt 200 ]; do \
                  echo 0123456789012345678901234567890123456789012345678; \
                  i=$((i+1)); done";
    let mut t = task(shell(script), &[]);
    t.spec.logs.max_files = 3;
    t.spec.logs.max_file_size = 1000;
    let d = driver();
    let h = d.start(&t.spec).await.unwrap();
    assert!(wait_exit(&d, &h).await.successful());
    let indexes = file_indexes(&t.spec.logs.dir, "web.stdout").unwrap();
    assert_eq!(indexes, vec![7, 8, 9]);
    for i in indexes {
        assert_eq!(log(&t, "stdout", i).len(), 1000);
    }
    d.destroy(&h).await.unwrap();
}

//! The agent's own log on stderr: no terminal colour codes when it goes to
//! a file, JSON lines with `-log-json`, and a clear refusal (exit 1) of a
//! log level that is not one of Nomad's.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A child process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` to exit; fails the test after `within`.
fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the agent did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `drover agent` as a one-server cluster in `dir`, stdout discarded and
/// stderr written to `log`, with `extra` flags.
fn spawn_server(dir: &Path, log: &Path, extra: &[&str]) -> (Guard, u16) {
    let http = super::free_port();
    let rpc = super::free_port();
    let err = std::fs::File::create(log).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_drover"))
        .args(["agent", "-server", "-bootstrap-expect", "1"])
        .args(["-bind", "127.0.0.1"])
        .arg("-data-dir")
        .arg(dir.join("data"))
        .args(["-http-port", &http.to_string()])
        .args(["-rpc-port", &rpc.to_string()])
        .args(extra)
        .env_remove("DROVER_LOG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawn drover agent");
    (Guard(child), http)
}

/// Runs an agent until it leads its one-server cluster, then stops it
/// with SIGTERM (so start-up and shutdown are both logged); gives its log.
async fn log_of_a_run(extra: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("stderr.log");
    let (mut agent, http) = spawn_server(dir.path(), &log, extra);
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((200, Value::String(leader))) =
            super::get(&client, http, "/v1/status/leader").await
            && !leader.is_empty()
        {
            break;
        }
        if let Ok(Some(status)) = agent.0.try_wait() {
            panic!(
                "the agent exited ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no leader within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &agent.0.id().to_string()])
        .status();
    let status = wait_exit(&mut agent.0, Duration::from_secs(60));
    assert!(status.success(), "agent exit: {status}");
    std::fs::read_to_string(&log).expect("read log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_written_to_a_file_has_no_colour_codes() {
    let text = log_of_a_run(&[]).await;
    assert!(text.contains(" INFO "), "no log lines at all:\n{text}");
    assert!(text.contains("agent stopped"), "{text}");
    assert!(
        !text.contains("\x1b["),
        "escape sequences in a log file:\n{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_json_writes_one_object_per_line() {
    let text = log_of_a_run(&["-log-json", "-log-level", "DEBUG"]).await;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "too few lines:\n{text}");
    for line in &lines {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
        let level = v["level"].as_str().unwrap_or_else(|| panic!("{line}"));
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level),
            "{line}"
        );
        assert!(v["message"].as_str().is_some(), "no message: {line}");
        assert!(v["timestamp"].as_str().is_some(), "no timestamp: {line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"message\":\"agent stopped\"")),
        "{text}"
    );
}

#[test]
fn an_unknown_log_level_is_refused_with_the_valid_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("stderr.log");
    let (mut agent, _) = spawn_server(dir.path(), &log, &["-log-level", "loud"]);
    let status = wait_exit(&mut agent.0, Duration::from_secs(30));
    let text = std::fs::read_to_string(&log).expect("read log");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("-log-level"), "{text}");
    assert!(text.contains("\"loud\""), "{text}");
    assert!(text.contains("trace, debug, info, warn, error"), "{text}");

    // The same rule for the agent file's `log_level`, naming the file.
    let config = dir.path().join("agent.hcl");
    std::fs::write(&config, "log_level = \"verbose\"\n").expect("write config");
    let config = config.to_string_lossy().into_owned();
    let (mut agent, _) = spawn_server(dir.path(), &log, &["-config", &config]);
    let status = wait_exit(&mut agent.0, Duration::from_secs(30));
    let text = std::fs::read_to_string(&log).expect("read log");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains(&config), "{text}");
    assert!(text.contains("log_level"), "{text}");
    assert!(text.contains("trace, debug, info, warn, error"), "{text}");
}

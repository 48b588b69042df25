//! The task runner with the mock driver: restarts by policy, failing for
//! good, killing, and re-attaching.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::driver::mock::MockDriver;
use super::driver::{Driver, LogSpec, TaskSpec};
use super::restart::RestartTracker;
use super::state::ClientState;
use super::task_runner::{TaskCmd, TaskRunner};
use crate::structs::{RestartPolicy, SECOND, TaskState};

struct Rig {
    driver: Arc<MockDriver>,
    states: mpsc::UnboundedReceiver<(String, TaskState)>,
    cmds: mpsc::Sender<TaskCmd>,
    detach: CancellationToken,
    done: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn spec(config: serde_json::Value) -> TaskSpec {
    TaskSpec {
        alloc_id: "a1".into(),
        task_name: "t".into(),
        node_id: "n1".into(),
        instance_name: "t-a1".into(),
        config: config.as_object().cloned().unwrap_or_default(),
        env: BTreeMap::new(),
        cpu_mhz: 100,
        memory_mb: 64,
        memory_max_mb: 0,
        ports: Vec::new(),
        alloc_dir: "/tmp".into(),
        local_dir: "/tmp".into(),
        secrets_dir: "/tmp".into(),
        task_dir: "/tmp".into(),
        logs: LogSpec {
            dir: "/tmp".into(),
            task: "t".into(),
            max_files: 1,
            max_file_size: 1,
        },
        user: String::new(),
    }
}

fn rig(config: serde_json::Value, attempts: i64, driver: Arc<MockDriver>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let state = ClientState::open(dir.path()).unwrap();
    let (out, states) = mpsc::unbounded_channel();
    let (cmds, rx) = mpsc::channel(4);
    let detach = CancellationToken::new();
    let policy = RestartPolicy {
        attempts,
        interval: 60 * SECOND,
        delay: SECOND / 100,
        mode: "fail".into(),
        render_templates: false,
    };
    let runner = TaskRunner {
        driver: driver.clone() as Arc<dyn Driver>,
        state,
        spec: spec(config),
        kill_signal: String::new(),
        kill_timeout: Duration::from_secs(1),
        tracker: RestartTracker::new(&policy, "service").with_jitter(|| 0.0),
        restored: None,
        out,
        cmds: rx,
        detach: detach.clone(),
        addresses: Default::default(),
    };
    Rig {
        driver,
        states,
        cmds,
        detach,
        done: tokio::spawn(runner.run()),
        _dir: dir,
    }
}

impl Rig {
    /// Waits for a published state that satisfies `f`.
    async fn until(&mut self, f: impl Fn(&TaskState) -> bool) -> TaskState {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let (_, s) = tokio::time::timeout_at(deadline, self.states.recv())
                .await
                .expect("state in time")
                .expect("runner alive");
            if f(&s) {
                return s;
            }
        }
    }
}

fn kinds(s: &TaskState) -> Vec<&str> {
    s.events.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test]
async fn a_crashing_task_restarts_until_the_policy_gives_up() {
    let mut r = rig(
        serde_json::json!({"exit_after_ms": 10, "exit_code": 1}),
        2,
        Arc::new(MockDriver::default()),
    );
    let s = r.until(|s| s.state == "dead").await;
    assert!(s.failed);
    assert_eq!(s.restarts, 2);
    assert_eq!(r.driver.starts(), 3);
    let k = kinds(&s);
    assert_eq!(k.last(), Some(&"Not Restarting"), "{k:?}");
    assert!(
        k.contains(&"Restarting") && k.contains(&"Terminated"),
        "{k:?}"
    );
    r.done.await.unwrap();
}

#[tokio::test]
async fn a_killed_task_is_dead_but_not_failed() {
    let mut r = rig(serde_json::json!({}), 2, Arc::new(MockDriver::default()));
    r.until(|s| s.state == "running").await;
    r.cmds.send(TaskCmd::Kill).await.unwrap();
    let s = r.until(|s| s.state == "dead").await;
    assert!(!s.failed);
    let k = kinds(&s);
    assert!(k.contains(&"Killing") && k.contains(&"Killed"), "{k:?}");
    assert!(r.driver.running().is_empty());
    r.done.await.unwrap();
}

#[tokio::test]
async fn a_start_error_that_cannot_recover_fails_at_once() {
    let mut r = rig(
        serde_json::json!({"start_error": "no image"}),
        2,
        Arc::new(MockDriver::default()),
    );
    let s = r.until(|s| s.state == "dead").await;
    assert!(s.failed);
    assert_eq!(r.driver.starts(), 0);
    assert!(kinds(&s).contains(&"Driver Failure"));
}

#[tokio::test]
async fn a_detached_runner_leaves_the_task_running_for_the_next() {
    let driver = Arc::new(MockDriver::default());
    let mut r = rig(serde_json::json!({}), 2, driver.clone());
    r.until(|s| s.state == "running").await;
    r.detach.cancel();
    r.done.await.unwrap();
    assert_eq!(
        driver.running().len(),
        1,
        "detaching leaves the task running"
    );
    // The task crashes later: a task runner that re-attached sees it.
    let id = driver.running()[0].clone();
    driver.exit(&id, 0);
}

#[tokio::test]
async fn a_check_restart_counts_as_a_failure_of_the_restart_policy() {
    let driver = Arc::new(MockDriver::default());
    let mut r = rig(serde_json::json!({}), 1, driver.clone());
    let reason = "healthcheck: check \"c\" unhealthy".to_string();
    r.until(|s| s.state == "running").await;
    r.cmds
        .send(TaskCmd::CheckRestart(reason.clone()))
        .await
        .unwrap();
    let s = r.until(|s| s.state == "running" && s.restarts == 1).await;
    let signaled = s
        .events
        .iter()
        .find(|e| e.event_type == "Restart Signaled")
        .expect("a Restart Signaled event");
    assert_eq!(signaled.restart_reason, reason);
    assert_eq!(driver.starts(), 2);
    // The second one exhausts the single attempt: the task fails.
    r.cmds.send(TaskCmd::CheckRestart(reason)).await.unwrap();
    let s = r.until(|s| s.state == "dead").await;
    assert!(s.failed, "{:?}", kinds(&s));
    assert_eq!(kinds(&s).last(), Some(&"Not Restarting"));
    r.done.await.unwrap();
}

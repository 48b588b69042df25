//! Checks started and stopped with their registrations, statuses written
//! once per change, and `check_restart` asking the task to restart.

use std::time::Duration;

use super::*;
use crate::structs::{CHECK_CRITICAL, CHECK_PASSING, CheckStatus};

const DEADLINE: Duration = Duration::from_secs(10);

fn tcp_check(name: &str, check_restart: Option<serde_json::Value>) -> ServiceCheck {
    ServiceCheck {
        name: name.into(),
        kind: "tcp".into(),
        interval: 100_000_000,
        timeout: 1_000_000_000,
        check_restart,
        ..ServiceCheck::default()
    }
}

fn reg(port: u16, check: &ServiceCheck) -> ServiceRegistration {
    ServiceRegistration {
        id: "r1".into(),
        service_name: "web".into(),
        alloc_id: "a1".into(),
        address: "127.0.0.1".into(),
        port: i64::from(port),
        task_name: "t".into(),
        checks: vec![CheckStatus {
            name: check.name.clone(),
            kind: check.kind.clone(),
            status: CHECK_CRITICAL.into(),
            output: String::new(),
        }],
        ..ServiceRegistration::default()
    }
}

fn ctx(cmds: mpsc::Sender<TaskCmd>) -> BTreeMap<String, TaskCtx> {
    BTreeMap::from([(
        "t".to_string(),
        TaskCtx {
            driver: "raw_exec".into(),
            env: BTreeMap::new(),
            dir: std::env::temp_dir(),
            cmds,
        },
    )])
}

/// Polls `f` until true or the deadline.
async fn eventually(f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_status_change_is_written_once() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let sync = Arc::new(ServiceSync::default());
    let check = tcp_check("c", None);
    let r = reg(port, &check);
    sync.set_alloc("a1", vec![r.clone()]);
    let _ = sync.take();
    let (tx, _rx) = mpsc::channel(4);
    let mut set = CheckSet::new("a1", sync.clone());
    set.set(&[(r.clone(), vec![check.clone()])], &ctx(tx));
    assert_eq!(set.len(), 1);
    eventually(|| sync.desired("a1")[0].checks[0].status == CHECK_PASSING).await;
    let sent = sync.take();
    assert_eq!(sent.upserts.len(), 1);
    assert_eq!(sent.upserts[0].checks[0].status, CHECK_PASSING);
    // Several more runs, all passing: nothing more to send. (Absence can
    // only be checked over a bounded wait: ten intervals.)
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(sync.pending(), 0);
    // The listener goes: critical, written once.
    drop(l);
    eventually(|| sync.desired("a1")[0].checks[0].status == CHECK_CRITICAL).await;
    assert_eq!(sync.take().upserts.len(), 1);
    // The registration goes: its check stops.
    set.set(&[], &BTreeMap::new());
    assert!(set.is_empty());
}

#[tokio::test]
async fn check_restart_asks_the_task_to_restart_after_the_limit() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sync = Arc::new(ServiceSync::default());
    let check = tcp_check("c", Some(serde_json::json!({"Limit": 2, "Grace": 0})));
    let r = reg(port, &check);
    sync.set_alloc("a1", vec![r.clone()]);
    let (tx, mut rx) = mpsc::channel(4);
    let mut set = CheckSet::new("a1", sync.clone());
    set.set(&[(r, vec![check])], &ctx(tx));
    let cmd = tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("a restart in time")
        .expect("channel open");
    match cmd {
        TaskCmd::CheckRestart(reason) => assert_eq!(reason, "healthcheck: check \"c\" unhealthy"),
        other => panic!("unexpected {other:?}"),
    }
    set.stop_all();
}

#[tokio::test]
async fn the_grace_holds_restarts_back() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sync = Arc::new(ServiceSync::default());
    // A grace of an hour: the failing check never restarts the task.
    let check = tcp_check(
        "c",
        Some(serde_json::json!({"Limit": 1, "Grace": 3_600_000_000_000u64})),
    );
    let mut r = reg(port, &check);
    // Starts passing, so that the first failing run is written.
    r.checks[0].status = CHECK_PASSING.into();
    sync.set_alloc("a1", vec![r.clone()]);
    let (tx, mut rx) = mpsc::channel(4);
    let mut set = CheckSet::new("a1", sync.clone());
    set.set(&[(r, vec![check])], &ctx(tx));
    // Runs happen (the output is written) but no restart is asked for.
    eventually(|| !sync.desired("a1")[0].checks[0].output.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.try_recv().is_err());
}

#[test]
fn resolve_takes_the_checks_own_target_and_caps_the_timeout() {
    let mut check = tcp_check("c", None);
    let r = reg(8080, &check);
    let d = resolve(&r, &check, None);
    assert_eq!(d.port, 8080);
    assert_eq!(
        d.timeout,
        Duration::from_millis(100),
        "never past the interval"
    );
    check.target = Some(("127.0.0.9".into(), 9000));
    check.interval = 0;
    check.timeout = 0;
    let d = resolve(&r, &check, None);
    assert_eq!((d.address.as_str(), d.port), ("127.0.0.9", 9000));
    assert_eq!(d.timeout, DEFAULT_TIMEOUT);
    assert_eq!(d.driver, "", "no task: scripts are unsupported");
}

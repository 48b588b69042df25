//! A restarted client: recovering its containers, never another node's.

use std::time::Duration;

use drover::client::driver::{Driver, DriverError, TaskHandle};

use crate::*;

/// The highest `n` of the `line<n>` lines written so far.
fn last_line(spec: &drover::client::driver::TaskSpec) -> Option<u64> {
    log_text(spec, "stdout")
        .lines()
        .filter_map(|l| l.strip_prefix("line")?.parse().ok())
        .max()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_driver_recovers_running_containers_and_resumes_logs() {
    let Some(ctx) = setup().await else { return };
    let first = ctx.driver();
    let counting = ctx.shell(
        "count",
        "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done",
    );
    let running = first.start(&counting).await.unwrap();
    let done = ctx.shell("done", "exit 0");
    let exited = first.start(&done).await.unwrap();
    assert!(first.wait(&exited).await.unwrap().successful());
    eventually(Duration::from_secs(10), "a few lines", || {
        last_line(&counting).is_some_and(|n| n >= 2)
    })
    .await;
    // The client goes away; its followers stop with it.
    drop(first);
    let before = last_line(&counting).unwrap_or(0);

    let second = ctx.driver();
    assert!(second.recover(&running, &counting).await.unwrap());
    assert!(!second.recover(&exited, &done).await.unwrap());
    let missing = TaskHandle {
        id: "0000000000000000000000000000000000000000000000000000000000000000".into(),
        ..running.clone()
    };
    assert!(!second.recover(&missing, &counting).await.unwrap());
    eventually(Duration::from_secs(10), "output after the recovery", || {
        last_line(&counting).is_some_and(|n| n >= before + 5)
    })
    .await;
    // Every line is there (the resumed stream may repeat a few).
    let text = log_text(&counting, "stdout");
    let last = last_line(&counting).unwrap();
    for n in 0..=last {
        assert!(text.contains(&format!("line{n}\n")), "line{n} missing");
    }
    finish(&second, &running).await;
    second.destroy(&exited).await.unwrap();
}

/// Two clients sharing an engine: each sees and touches only its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_nodes_containers_are_left_alone() {
    let Some(ctx) = setup().await else { return };
    let other = NodeGuard(format!("other-{}", drover::ids::uuid()));
    let driver = ctx.driver();

    let mut foreign = ctx.shell("foreign", "sleep 1000");
    foreign.node_id = other.0.clone();
    let foreign_handle = driver.start(&foreign).await.unwrap();
    let mine = ctx.shell("mine", "sleep 1000");
    let mine_handle = driver.start(&mine).await.unwrap();

    // Recovering the foreign container as this node fails and leaves it.
    let mut as_mine = foreign.clone();
    as_mine.node_id = ctx.node.clone();
    let err = driver.recover(&foreign_handle, &as_mine).await.unwrap_err();
    assert!(matches!(err, DriverError::NotFound(_)), "{err:?}");
    // So does starting a task of this node under the foreign name.
    let err = driver.start(&as_mine).await.unwrap_err();
    assert!(matches!(err, DriverError::Recoverable(_)), "{err:?}");
    assert!(err.to_string().contains(&other.0), "{err}");
    let c = ctx
        .docker
        .inspect_container(&foreign_handle.id, None)
        .await
        .unwrap();
    assert_eq!(c.state.unwrap().running, Some(true));

    let owned = driver.owned(&ctx.node).await;
    assert_eq!(owned.len(), 1, "{owned:?}");
    assert_eq!(owned[0].id, mine_handle.id);
    assert_eq!(owned[0].details["alloc_id"], mine.alloc_id);
    assert_eq!(owned[0].details["task_name"], "mine");
    let theirs = driver.owned(&other.0).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].id, foreign_handle.id);

    finish(&driver, &mine_handle).await;
    finish(&driver, &foreign_handle).await;
}

//! Scaling down stops containers, stopping the job removes them, and a
//! job the node cannot run (an image that cannot be had, an unknown
//! driver) fails with an event that says why, leaving nothing behind.

use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};

use crate::common::{TestCluster, wait_for};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_down_and_stopping_remove_containers() {
    if !docker_ready("scaling_down_and_stopping_remove_containers") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.3", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    api.job_run(&redis_job("scale", 3, "1s")).await.unwrap();
    running(&api, "scale", 3, Duration::from_secs(90)).await;
    wait_for("3 containers", Duration::from_secs(10), || async {
        (containers_of(&node, false).len() == 3).then_some(())
    })
    .await;

    api.job_run(&redis_job("scale", 1, "1s")).await.unwrap();
    wait_for(
        "1 container after scaling down",
        Duration::from_secs(60),
        || async { (containers_of(&node, true).len() == 1).then_some(()) },
    )
    .await;
    let stopped = wait_for(
        "stopped allocations complete",
        Duration::from_secs(30),
        || async {
            let all = allocs(&api, "scale").await;
            let done: Vec<_> = all
                .iter()
                .filter(|a| a.desired_status == "stop" && a.client_status == "complete")
                .collect();
            (done.len() == 2).then_some(done.len())
        },
    )
    .await;
    assert_eq!(stopped, 2);

    api.job_deregister("scale", false).await.unwrap();
    wait_for(
        "no container after stopping the job",
        Duration::from_secs(60),
        || async { containers_of(&node, true).is_empty().then_some(()) },
    )
    .await;
    drop(client);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tasks_fail_with_a_reason_and_leave_nothing() {
    if !docker_ready("bad_tasks_fail_with_a_reason_and_leave_nothing") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.4", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    let job = job(r#"
job "bad" {
  datacenters = ["dc1"]
  group "g" {
    restart {
      attempts = 0
      mode = "fail"
    }
    reschedule {
      attempts = 0
      unlimited = false
    }
    task "missing" {
      driver = "docker"
      config {
        image = "drover-test/does-not-exist:1"
      }
      resources {
        cpu = 100
        memory = 32
      }
    }
  }
}
"#);
    api.job_run(&job).await.unwrap();
    let alloc = wait_for(
        "the allocation to fail",
        Duration::from_secs(120),
        || async {
            allocs(&api, "bad")
                .await
                .into_iter()
                .find(|a| a.client_status == "failed")
        },
    )
    .await;
    let ts = alloc.task_states.get("missing").expect("task state");
    let failure = ts
        .events
        .iter()
        .find(|e| e.event_type == "Driver Failure")
        .unwrap_or_else(|| panic!("no driver failure in {:?}", ts.events));
    assert!(
        failure.message.contains("drover-test/does-not-exist:1"),
        "the event names the image: {}",
        failure.message
    );
    assert!(containers_of(&node, true).is_empty(), "nothing left behind");
    let (a, _) = api
        .allocation(&alloc.id, &QueryOptions::default())
        .await
        .unwrap();
    assert_eq!(a.client_status, "failed");
    drop(client);
    cluster.shutdown().await;
}

//! A task whose container is stopped outside Drover (`docker stop`,
//! `docker kill`) is started again by the restart policy; when the policy
//! gives up, the allocation fails and the servers replace it.

use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};

use crate::common::{TestCluster, wait_for};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_container_is_relaunched_then_the_alloc_fails_and_is_replaced() {
    if !docker_ready("a_stopped_container_is_relaunched") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.2", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    api.job_run(&redis_job("restarts", 1, "1s")).await.unwrap();
    let alloc = running(&api, "restarts", 1, Duration::from_secs(60))
        .await
        .remove(0);
    let name = format!("redis-{}", alloc.id);
    let first = inspect(&name, "{{.Id}}");

    // Attempt 1 of 2: `docker stop`.
    docker(&["stop", "-t", "1", &name]);
    let second = wait_for(
        "a relaunched container",
        Duration::from_secs(30),
        || async {
            let id = inspect(&name, "{{.Id}}");
            let up = inspect(&name, "{{.State.Running}}") == "true";
            (up && !id.is_empty() && id != first).then_some(id)
        },
    )
    .await;
    let ts = wait_for(
        "the restart to be reported",
        Duration::from_secs(10),
        || async {
            let (a, _) = api
                .allocation(&alloc.id, &QueryOptions::default())
                .await
                .ok()?;
            let ts = a.task_states.get("redis")?.clone();
            (ts.restarts == 1 && ts.state == "running").then_some(ts)
        },
    )
    .await;
    let kinds: Vec<&str> = ts.events.iter().map(|e| e.event_type.as_str()).collect();
    assert!(
        kinds.contains(&"Terminated") && kinds.contains(&"Restarting"),
        "{kinds:?}"
    );

    // Attempt 2 of 2: `docker kill`.
    docker(&["kill", &name]);
    let third = wait_for("a second relaunch", Duration::from_secs(30), || async {
        let id = inspect(&name, "{{.Id}}");
        let up = inspect(&name, "{{.State.Running}}") == "true";
        (up && !id.is_empty() && id != second).then_some(id)
    })
    .await;

    // The third exit exceeds the policy: the allocation fails and the
    // servers place a replacement (on the only node there is).
    docker(&["kill", &third]);
    wait_for(
        "the allocation to fail",
        Duration::from_secs(30),
        || async {
            let (a, _) = api
                .allocation(&alloc.id, &QueryOptions::default())
                .await
                .ok()?;
            let ts = a.task_states.get("redis")?;
            (a.client_status == "failed" && ts.failed).then_some(())
        },
    )
    .await;
    let replacement = wait_for(
        "a replacement allocation",
        Duration::from_secs(90),
        || async {
            allocs(&api, "restarts")
                .await
                .into_iter()
                .find(|a| a.id != alloc.id && a.client_status == "running")
        },
    )
    .await;
    assert_eq!(replacement.previous_allocation, alloc.id);
    assert_eq!(replacement.node_id, node);

    api.job_deregister("restarts", true).await.unwrap();
    wait_for("containers removed", Duration::from_secs(30), || async {
        containers_of(&node, true).is_empty().then_some(())
    })
    .await;
    drop(client);
    cluster.shutdown().await;
}

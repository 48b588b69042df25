//! A client killed with SIGKILL and started again re-attaches to its
//! running containers: no duplicate, the same container, and it still
//! follows them (a later `docker stop` is restarted).

use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};

use crate::common::{TestCluster, wait_for};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_client_reattaches_without_duplicates() {
    if !docker_ready("a_killed_client_reattaches_without_duplicates") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.5", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    api.job_run(&redis_job("reattach", 2, "1s")).await.unwrap();
    let before = running(&api, "reattach", 2, Duration::from_secs(90)).await;
    let mut ids_before = containers_of(&node, false);
    ids_before.sort();
    assert_eq!(ids_before.len(), 2);

    client.kill();
    // A container of an allocation the client does not know, labelled
    // with its node: removed when the client comes back.
    let stray = docker(&[
        "run",
        "-d",
        "--label",
        &format!("com.hashicorp.nomad.node_id={node}"),
        "--label",
        "com.hashicorp.nomad.alloc_id=not-an-alloc",
        "busybox:latest",
        "sleep",
        "1000",
    ]);
    // Another node's container must be left alone.
    let foreign = docker(&[
        "run",
        "-d",
        "--label",
        "com.hashicorp.nomad.node_id=some-other-node",
        "busybox:latest",
        "sleep",
        "1000",
    ]);
    client.restart();
    wait_for(
        "the stray container to be removed",
        Duration::from_secs(30),
        || async { (!containers_of(&node, true).contains(&stray)).then_some(()) },
    )
    .await;
    assert_eq!(
        inspect(&foreign, "{{.State.Running}}"),
        "true",
        "another node's container is untouched"
    );
    docker(&["rm", "-f", &foreign]);

    // Same containers, still running, no duplicate; the servers still see
    // the allocations running.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut ids_after = containers_of(&node, true);
    ids_after.sort();
    assert_eq!(ids_after, ids_before, "{}", client.log());
    let after = running(&api, "reattach", 2, Duration::from_secs(30)).await;
    let mut a: Vec<_> = before.iter().map(|a| a.id.clone()).collect();
    let mut b: Vec<_> = after.iter().map(|a| a.id.clone()).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // It still watches them: a stop outside Drover is restarted.
    let name = format!("redis-{}", after[0].id);
    docker(&["stop", "-t", "1", &name]);
    wait_for(
        "the re-attached task to be restarted",
        Duration::from_secs(30),
        || async {
            let (al, _) = api
                .allocation(&after[0].id, &QueryOptions::default())
                .await
                .ok()?;
            let ts = al.task_states.get("redis")?;
            (ts.restarts >= 1 && ts.state == "running").then_some(())
        },
    )
    .await;

    api.job_deregister("reattach", true).await.unwrap();
    wait_for("containers removed", Duration::from_secs(60), || async {
        containers_of(&node, true).is_empty().then_some(())
    })
    .await;
    drop(client);
    cluster.shutdown().await;
}

//! A client stopped for good: after its TTL the servers mark the node
//! down, its allocations lost and its service registrations removed, and
//! place replacements on another client, which registers them again.

use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};

use crate::common::{TestCluster, wait_for};
use crate::support::*;
use crate::t11_service_health::{SERVICE, registrations};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_clients_allocations_are_replaced_elsewhere() {
    if !docker_ready("a_dead_clients_allocations_are_replaced_elsewhere") {
        return;
    }
    let cluster = TestCluster::start_with(1, |c| {
        c.min_heartbeat_ttl = Duration::from_secs(1);
        c.heartbeat_grace = Duration::from_secs(1);
    })
    .await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut first = ClientProc::start("127.0.1.6", d1.path(), &cluster.http, &[]);
    let node1 = first.node_id(&api).await;

    api.job_run(&redis_job_with("lost", 1, "1s", SERVICE))
        .await
        .unwrap();
    let alloc = running(&api, "lost", 1, Duration::from_secs(60))
        .await
        .remove(0);
    assert_eq!(alloc.node_id, node1);

    wait_for("the registration", Duration::from_secs(30), || async {
        let regs = registrations(&api, "redis-health").await?;
        regs.iter().any(|r| r.node_id == node1).then_some(())
    })
    .await;

    let mut second = ClientProc::start("127.0.1.7", d2.path(), &cluster.http, &[]);
    let node2 = second.node_id(&api).await;
    first.kill();
    // Its container would keep running on a real machine that lost its
    // network; here it is removed so that only the replacement remains.
    for c in containers_of(&node1, true) {
        docker(&["rm", "-f", &c]);
    }

    wait_for("the node to be down", Duration::from_secs(30), || async {
        let n = api.node(&node1).await.ok()?;
        (n.status == "down").then_some(())
    })
    .await;
    let (old, _) = api
        .allocation(&alloc.id, &QueryOptions::default())
        .await
        .unwrap();
    let replacement = wait_for(
        "a replacement on the other client",
        Duration::from_secs(60),
        || async {
            allocs(&api, "lost")
                .await
                .into_iter()
                .find(|a| a.id != alloc.id && a.node_id == node2 && a.client_status == "running")
        },
    )
    .await;
    let (old_now, _) = api
        .allocation(&alloc.id, &QueryOptions::default())
        .await
        .unwrap();
    assert!(
        old.client_status == "lost" || old_now.client_status == "lost",
        "the old allocation is lost: {}",
        old_now.client_status
    );
    // The lost node's registration is gone (the servers removed it; its
    // client never said so), and the replacement's is there.
    wait_for(
        "only the replacement registered",
        Duration::from_secs(30),
        || async {
            let regs = registrations(&api, "redis-health").await?;
            (regs.len() == 1 && regs[0].alloc_id == replacement.id && regs[0].node_id == node2)
                .then_some(())
        },
    )
    .await;
    let name = format!("redis-{}", replacement.id);
    assert_eq!(inspect(&name, "{{.State.Running}}"), "true");

    api.job_deregister("lost", true).await.unwrap();
    wait_for("containers removed", Duration::from_secs(60), || async {
        containers_of(&node2, true).is_empty().then_some(())
    })
    .await;
    drop(second);
    drop(first);
    cluster.shutdown().await;
}

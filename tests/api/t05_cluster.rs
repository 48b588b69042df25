use std::time::Duration;

use serde_json::json;

use crate::common::{TestCluster, job_json, register_body, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_server_takes_writes_and_serves_consistent_reads() {
    let mut c = TestCluster::start(3).await;
    let leader = c.wait_leader().await;
    let follower = c.follower(leader);
    for k in 0..10 {
        let (status, resp) = c
            .put(
                follower,
                "/v1/jobs",
                &register_body(job_json(&format!("j{k}"), 1), Some(0)),
            )
            .await;
        assert_eq!(status, 200, "{resp}");
        // Read-your-writes on every server, without `stale`.
        for i in 0..3 {
            let (status, _) = c.get(i, &format!("/v1/job/j{k}")).await;
            assert_eq!(status, 200, "server {i} misses j{k}");
        }
    }

    // The leader goes away: a new one is elected and writes continue.
    c.stop(leader).await;
    let new_leader = c.wait_leader().await;
    assert_ne!(new_leader, leader);
    let other = c.follower(new_leader);
    let (status, resp) = wait_for(
        "a write after failover",
        Duration::from_secs(20),
        || async {
            let r = c
                .put(
                    other,
                    "/v1/jobs",
                    &register_body(job_json("after", 1), None),
                )
                .await;
            (r.0 == 200).then_some(r)
        },
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    let (_, list) = c.get(new_leader, "/v1/jobs").await;
    assert_eq!(list.as_array().map(Vec::len), Some(11));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_leader_requests_fail_with_no_cluster_leader() {
    let mut c = TestCluster::start(3).await;
    let leader = c.wait_leader().await;
    let survivor = c.follower(leader);
    for i in 0..3 {
        if i != survivor {
            c.stop(i).await;
        }
    }
    let (status, body) = c
        .put(survivor, "/v1/jobs", &register_body(job_json("x", 1), None))
        .await;
    assert_eq!((status, body), (500, json!("No cluster leader")));
    let (status, body) = c.get(survivor, "/v1/jobs").await;
    assert_eq!((status, body), (500, json!("No cluster leader")));
    // A stale read is still answered from local state.
    let (status, _) = c.get(survivor, "/v1/jobs?stale=true").await;
    assert_eq!(status, 200);
    let (status, _) = c.get(survivor, "/v1/agent/health").await;
    assert_eq!(status, 500);
    c.shutdown().await;
}

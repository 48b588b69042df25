//! Registrations follow their allocations and nodes: a blocking read of
//! a service wakes on a new registration; an allocation its client
//! reports complete, or a node that goes down, takes its registrations
//! with it.

use std::time::Duration;

use serde_json::json;

use crate::common::{TestCluster, node_secret, wait_for};
use crate::t22_services::{add_node, get_indexed, node_id, placed, reg, update};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_read_of_a_service_wakes_on_a_new_registration() {
    let c = TestCluster::start(1).await;
    add_node(&c, 0, "dc1").await;
    let n0 = node_id(0);
    let allocs = placed(&c, "web", "dc1", 1).await;
    let (_, start, list) = get_indexed(&c, "/v1/service/web").await;
    assert_eq!(list, json!([]));

    let path = format!("/v1/service/web?index={start}&wait=60s");
    let read = {
        let req = c.client.get(c.url(0, &path));
        tokio::spawn(async move {
            let r = req.send().await.expect("GET");
            let index: u64 = r
                .headers()
                .get("X-Nomad-Index")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            (
                index,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        })
    };
    // A change elsewhere (a job) does not answer it.
    placed(&c, "other", "dc1", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!read.is_finished(), "answered without a registration");

    let (status, body) = update(
        &c,
        &n0,
        &node_secret(&n0),
        vec![reg("svc-a", "web", &allocs[0], 8080, &[])],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (index, list) = tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("the read answered")
        .expect("read");
    assert!(index > start);
    assert_eq!(list[0]["ID"], "svc-a");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allocation_reported_complete_drops_its_registrations() {
    let c = TestCluster::start(1).await;
    add_node(&c, 0, "dc1").await;
    let n0 = node_id(0);
    let secret = node_secret(&n0);
    let allocs = placed(&c, "web", "dc1", 2).await;
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![
            reg("svc-0", "web", &allocs[0], 8080, &[]),
            reg("svc-1", "web", &allocs[1], 8081, &[]),
        ],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = c
        .put_as(
            0,
            &format!("/v1/node/{n0}/allocations"),
            &json!({"Allocs": [{"ID": allocs[0], "ClientStatus": "complete"}]}),
            &secret,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = c.get(0, "/v1/service/web").await;
    let left: Vec<_> = list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r["AllocID"].clone())
        .collect();
    assert_eq!(left, [json!(allocs[1])], "{list}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_marked_down_drops_its_registrations() {
    let c = TestCluster::start_with(1, |cfg| {
        cfg.min_heartbeat_ttl = Duration::from_millis(500);
        cfg.heartbeat_grace = Duration::from_millis(500);
    })
    .await;
    add_node(&c, 0, "dc1").await;
    let n0 = node_id(0);
    let secret = node_secret(&n0);
    // Heartbeats keep the node up while its allocation is placed and
    // its service registered.
    let beat = {
        let req = c
            .client
            .put(c.url(0, &format!("/v1/node/{n0}/heartbeat")))
            .header("X-Nomad-Token", secret.clone());
        tokio::spawn(async move {
            loop {
                if let Some(r) = req.try_clone() {
                    let _ = r.send().await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let allocs = placed(&c, "web", "dc1", 1).await;
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![reg("svc-0", "web", &allocs[0], 8080, &[])],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = c.get(0, "/v1/service/web").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    beat.abort();
    wait_for("the node down", Duration::from_secs(20), || async {
        let (_, node) = c.get(0, &format!("/v1/node/{n0}")).await;
        (node["Status"] == "down").then_some(())
    })
    .await;
    let (_, list) = c.get(0, "/v1/service/web").await;
    assert_eq!(list, json!([]));
    // A down node may not register.
    let (status, _) = update(
        &c,
        &n0,
        &secret,
        vec![reg("svc-0", "web", &allocs[0], 8080, &[])],
        vec![],
    )
    .await;
    assert_eq!(status, 400);
    c.shutdown().await;
}

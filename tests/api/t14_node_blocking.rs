//! Blocking reads of one node's allocations (`client-allocs`, the client's
//! pull, and the operator's `allocations`) answer when that node's
//! allocations change, and only then: placements and updates on another
//! node leave them waiting.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::common::{TestCluster, job_json, node_secret, register_body, wait_for};
use crate::t06_scheduling::node_json;

fn node_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// What a read of a node's allocations answered: status, `X-Nomad-Index`
/// and body.
type Answer = (u16, u64, Value);

/// `GET /v1/node/{node}/{route}?index={index}`, with the node's secret.
fn read(c: &TestCluster, node: &str, route: &str, index: u64) -> JoinHandle<Answer> {
    let req = c
        .client
        .get(c.url(
            0,
            &format!("/v1/node/{node}/{route}?index={index}&wait=60s"),
        ))
        .header("X-Nomad-Token", node_secret(node));
    tokio::spawn(async move {
        let r = req.send().await.expect("GET");
        let status = r.status().as_u16();
        let index = r
            .headers()
            .get("X-Nomad-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        (status, index, r.json().await.unwrap_or(Value::Null))
    })
}

/// Both reads of `node`'s allocations, waiting past `index`.
fn both(c: &TestCluster, node: &str, index: u64) -> [JoinHandle<Answer>; 2] {
    [
        read(c, node, "client-allocs", index),
        read(c, node, "allocations", index),
    ]
}

/// The current index of `node`'s allocations, from an immediate read.
async fn index_now(c: &TestCluster, node: &str) -> u64 {
    let (status, index, body) = read(c, node, "client-allocs", 0).await.expect("read");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Index"].as_u64(), Some(index), "body and header agree");
    index
}

/// Asserts that both reads are still waiting a while after the change
/// that should not wake them was confirmed visible.
async fn still_waiting(reads: &[JoinHandle<Answer>; 2], after: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (r, route) in reads.iter().zip(["client-allocs", "allocations"]) {
        assert!(!r.is_finished(), "{route} answered after {after}");
    }
}

/// Waits for both reads to answer (well before their 60 s wait ends) and
/// returns the client's pull and the allocation list.
async fn answered(reads: [JoinHandle<Answer>; 2], after: &str, past: u64) -> (Value, Value) {
    let mut out = Vec::new();
    for r in reads {
        let (status, index, body) = tokio::time::timeout(Duration::from_secs(15), r)
            .await
            .unwrap_or_else(|_| panic!("no answer after {after}"))
            .expect("read");
        assert_eq!(status, 200, "{body}");
        assert!(
            index > past,
            "index {index} after {after}, waited past {past}"
        );
        out.push(body);
    }
    let list = out.pop().unwrap_or_default();
    let pull = out.pop().unwrap_or_default();
    (pull, list)
}

async fn allocs_of(c: &TestCluster, node: &str) -> Vec<Value> {
    let (_, list) = c.get(0, &format!("/v1/node/{node}/allocations")).await;
    list.as_array().cloned().unwrap_or_default()
}

async fn report(c: &TestCluster, node: &str, allocs: &[Value], status: &str) {
    let updates: Vec<Value> = allocs
        .iter()
        .map(|a| json!({"ID": a["ID"], "ClientStatus": status}))
        .collect();
    let (code, body) = c
        .put_as(
            0,
            &format!("/v1/node/{node}/allocations"),
            &json!({ "Allocs": updates }),
            &node_secret(node),
        )
        .await;
    assert_eq!(code, 200, "{body}");
}

fn job_in(id: &str, dc: &str, count: i64) -> Value {
    let mut job = job_json(id, count);
    job["Datacenters"] = json!([dc]);
    register_body(job, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_blocking_reads_answer_for_its_own_allocations_only() {
    let c = TestCluster::start(1).await;
    // Node A alone in dc1, node B alone in dc2: a job's datacenter picks
    // the node.
    let (a, b) = (node_id(0), node_id(1));
    for (i, dc) in [(0, "dc1"), (1, "dc2")] {
        let (status, body) = c.put(0, "/v1/node/register", &node_json(i, dc, 4096)).await;
        assert_eq!(status, 200, "{body}");
    }
    let start = index_now(&c, &a).await;
    assert!(start >= 1);
    let reads = both(&c, &a, start);

    // B gets allocations, reports them running, and they are stopped.
    c.put(0, "/v1/jobs", &job_in("on-b", "dc2", 2)).await;
    let on_b = wait_for("2 allocations on B", Duration::from_secs(20), || async {
        let l = allocs_of(&c, &b).await;
        (l.len() == 2).then_some(l)
    })
    .await;
    still_waiting(&reads, "placements on B").await;
    report(&c, &b, &on_b, "running").await;
    wait_for(
        "B's allocations running",
        Duration::from_secs(20),
        || async {
            let l = allocs_of(&c, &b).await;
            l.iter()
                .all(|x| x["ClientStatus"] == "running")
                .then_some(())
        },
    )
    .await;
    still_waiting(&reads, "B's client update").await;
    c.delete(0, "/v1/job/on-b").await;
    wait_for(
        "B's allocations stopped",
        Duration::from_secs(20),
        || async {
            let l = allocs_of(&c, &b).await;
            l.iter().all(|x| x["DesiredStatus"] == "stop").then_some(())
        },
    )
    .await;
    still_waiting(&reads, "B's allocations stopped").await;
    assert_eq!(index_now(&c, &a).await, start, "A's index did not move");

    // A placement on A answers both.
    c.put(0, "/v1/jobs", &job_in("on-a", "dc1", 1)).await;
    let (pull, list) = answered(reads, "a placement on A", start).await;
    let allocs = pull["Allocs"].as_object().cloned().unwrap_or_default();
    assert_eq!(allocs.len(), 1, "{pull}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let placed = index_now(&c, &a).await;
    let (id, ami) = allocs
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap_or_default();

    // A's own client update answers both.
    let reads = both(&c, &a, placed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    report(&c, &a, &[json!({ "ID": id })], "running").await;
    let (pull, list) = answered(reads, "A's client update", placed).await;
    assert_eq!(
        pull["Allocs"][&id], ami,
        "a client update keeps AllocModifyIndex"
    );
    assert_eq!(list[0]["ClientStatus"], "running");
    let running = index_now(&c, &a).await;

    // Stopping A's allocation answers both, with a new AllocModifyIndex.
    let reads = both(&c, &a, running);
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.delete(0, "/v1/job/on-a").await;
    let (pull, list) = answered(reads, "A's allocation stopped", running).await;
    assert!(pull["Allocs"][&id].as_u64() > ami.as_u64(), "{pull}");
    assert_eq!(list[0]["DesiredStatus"], "stop");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_a_node_that_does_not_exist_behave_as_before() {
    let c = TestCluster::start(1).await;
    let ghost = node_id(7);
    // The client's pull needs a node to authenticate against.
    let (status, _, _) = read(&c, &ghost, "client-allocs", 0).await.expect("read");
    assert_eq!(status, 404);
    // The operator's read lists nothing, with an index of at least 1.
    let (status, index, body) = read(&c, &ghost, "allocations", 0).await.expect("read");
    assert_eq!((status, &body), (200, &json!([])));
    assert!(index >= 1);
    c.shutdown().await;
}

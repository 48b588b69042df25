//! Blocked evaluations are released by a node that becomes usable again:
//! a drain disabled (`MarkEligible`), eligibility restored, a down node
//! back to ready. Node eligibility and drain are not properties of a
//! node's class: a blocked evaluation that saw the node ineligible must
//! still be retried when it turns eligible.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, node_secret, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

fn node_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

async fn heartbeat(c: &TestCluster, node: &str) {
    let (status, resp) = c
        .put_as(
            0,
            &format!("/v1/node/{node}/heartbeat"),
            &json!({}),
            &node_secret(node),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
}

async fn live_allocs(c: &TestCluster) -> Vec<Value> {
    let (_, allocs) = c.get(0, "/v1/job/example/allocations").await;
    allocs
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a["DesiredStatus"] == "run")
        .collect()
}

async fn eval(c: &TestCluster, id: &str) -> Value {
    c.get(0, &format!("/v1/evaluation/{id}")).await.1
}

/// The blocked evaluation `eval_id` left behind.
async fn blocked_eval_of(c: &TestCluster, eval_id: &str) -> String {
    wait_for("a blocked evaluation", Duration::from_secs(20), || async {
        let e = eval(c, eval_id).await;
        (e["Status"] == "complete")
            .then(|| e["BlockedEval"].as_str().map(str::to_string))
            .flatten()
            .filter(|b| !b.is_empty())
    })
    .await
}

/// The newest evaluation of the job that is blocked.
async fn some_blocked_eval(c: &TestCluster) -> Value {
    wait_for(
        "a blocked evaluation of the job",
        Duration::from_secs(20),
        || async {
            let (_, evals) = c.get(0, "/v1/job/example/evaluations").await;
            evals
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e["Status"] == "blocked")
                .max_by_key(|e| e["CreateIndex"].as_u64())
        },
    )
    .await
}

async fn drain(c: &TestCluster, node: &str, body: Value) -> Value {
    let (status, resp) = c.put(0, &format!("/v1/node/{node}/drain"), &body).await;
    assert_eq!(status, 200, "{resp}");
    resp
}

/// Waits for the drainer to complete the drain of `node` (it stays
/// ineligible); returns the node's ModifyIndex then.
async fn drain_complete(c: &TestCluster, node: &str) -> u64 {
    wait_for("drain completion", Duration::from_secs(20), || async {
        let (_, n) = c.get(0, &format!("/v1/node/{node}")).await;
        assert_eq!(n["SchedulingEligibility"], "ineligible");
        (n["DrainStrategy"].is_null() && n["Drain"] == false)
            .then(|| n["ModifyIndex"].as_u64())
            .flatten()
    })
    .await
}

/// Waits until the blocked evaluation `id` was retried after `index`
/// (capacity appeared on the still ineligible node) and is blocked again.
async fn reblocked_after(c: &TestCluster, id: &str, index: u64) {
    wait_for(
        "the blocked evaluation to be retried and blocked again",
        Duration::from_secs(20),
        || async {
            let e = eval(c, id).await;
            assert_eq!(e["Status"], "blocked", "{e}");
            e["ModifyIndex"]
                .as_u64()
                .is_some_and(|m| m > index)
                .then_some(())
        },
    )
    .await;
}

/// Waits for the job's allocation to be placed on `node` and for the
/// blocked evaluation `id` to be released (no longer blocked).
async fn placed_and_released(c: &TestCluster, node: &str, id: &str) {
    wait_for(
        "the job placed again and its blocked evaluation released",
        Duration::from_secs(10),
        || async {
            heartbeat(c, node).await;
            let live = live_allocs(c).await;
            let e = eval(c, id).await;
            (live.len() == 1 && live[0]["NodeID"] == node && e["Status"] != "blocked").then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_drain_releases_a_job_registered_while_draining() {
    let c = TestCluster::start(1).await;
    let node = node_id(0);
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    drain(
        &c,
        &node,
        json!({"DrainSpec": {"Deadline": 3_600_000_000_000i64}}),
    )
    .await;
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let first = resp["EvalID"].as_str().expect("eval").to_string();
    let blocked = blocked_eval_of(&c, &first).await;
    // The drain completes (the node had nothing to move): a node change
    // that retries the blocked evaluation, which blocks again.
    let done = drain_complete(&c, &node).await;
    if eval(&c, &blocked).await["ModifyIndex"]
        .as_u64()
        .is_some_and(|m| m < done)
    {
        reblocked_after(&c, &blocked, done).await;
    }
    assert!(live_allocs(&c).await.is_empty());

    // `node drain -disable -yes`: eligible again, and the job is placed.
    drain(&c, &node, json!({"DrainSpec": null, "MarkEligible": true})).await;
    placed_and_released(&c, &node, &blocked).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_drain_places_again_what_the_drain_moved_off() {
    let c = TestCluster::start(1).await;
    let node = node_id(0);
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    c.put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let placed = wait_for("one allocation", Duration::from_secs(20), || async {
        let a = live_allocs(&c).await;
        (a.len() == 1).then_some(a)
    })
    .await;
    let alloc = placed[0]["ID"].as_str().expect("id").to_string();
    let report = |status: &'static str| {
        let c = &c;
        let node = node.clone();
        let alloc = alloc.clone();
        async move {
            let body = json!({"Allocs": [{"ID": alloc, "ClientStatus": status}]});
            let (code, resp) = c
                .put_as(
                    0,
                    &format!("/v1/node/{node}/allocations"),
                    &body,
                    &node_secret(&node),
                )
                .await;
            assert_eq!(code, 200, "{resp}");
        }
    };
    report("running").await;

    // The drain moves the allocation off; nowhere else to go: blocked.
    drain(
        &c,
        &node,
        json!({"DrainSpec": {"Deadline": 3_600_000_000_000i64}}),
    )
    .await;
    let blocked = some_blocked_eval(&c).await;
    let blocked = blocked["ID"].as_str().expect("id").to_string();
    wait_for(
        "the allocation stopped",
        Duration::from_secs(20),
        || async { live_allocs(&c).await.is_empty().then_some(()) },
    )
    .await;
    // The client stops it; the drain completes.
    report("complete").await;
    drain_complete(&c, &node).await;
    assert!(live_allocs(&c).await.is_empty());

    drain(&c, &node, json!({"DrainSpec": null, "MarkEligible": true})).await;
    placed_and_released(&c, &node, &blocked).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_restored_releases_a_blocked_evaluation() {
    let c = TestCluster::start(1).await;
    let node = node_id(0);
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    let set = |e: &'static str| {
        let c = &c;
        let node = node.clone();
        async move {
            let (status, resp) = c
                .put(
                    0,
                    &format!("/v1/node/{node}/eligibility"),
                    &json!({"Eligibility": e}),
                )
                .await;
            assert_eq!(status, 200, "{resp}");
            resp["Index"].as_u64().expect("index")
        }
    };
    set("ineligible").await;
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let first = resp["EvalID"].as_str().expect("eval").to_string();
    let blocked = blocked_eval_of(&c, &first).await;
    // Still ineligible, but changed: retried, blocked again.
    let index = set("ineligible").await;
    reblocked_after(&c, &blocked, index).await;
    set("eligible").await;
    placed_and_released(&c, &node, &blocked).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_node_back_to_ready_releases_a_blocked_evaluation() {
    let c = TestCluster::start_with(1, |c| {
        c.min_heartbeat_ttl = Duration::from_millis(500);
        c.heartbeat_grace = Duration::from_millis(500);
    })
    .await;
    let node = node_id(0);
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    // No heartbeats: the node goes down before the job is registered.
    wait_for("the node to go down", Duration::from_secs(20), || async {
        let (_, n) = c.get(0, &format!("/v1/node/{node}")).await;
        (n["Status"] == "down").then_some(())
    })
    .await;
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let first = resp["EvalID"].as_str().expect("eval").to_string();
    let blocked = blocked_eval_of(&c, &first).await;
    // Nothing of the job's is on the node: coming back makes no
    // evaluation of its own, only the blocked one can place the job.
    heartbeat(&c, &node).await;
    let (_, n) = c.get(0, &format!("/v1/node/{node}")).await;
    assert_eq!(n["Status"], "ready");
    placed_and_released(&c, &node, &blocked).await;
    c.shutdown().await;
}

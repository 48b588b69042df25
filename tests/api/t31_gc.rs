//! Garbage collection through the API: `PUT /v1/system/gc` takes
//! terminal evaluations and allocations, dead jobs and down nodes and
//! keeps live ones; the leader collects on its own with small thresholds;
//! `PUT /v1/system/reconcile/summaries`; `PUT /v1/node/{id}/purge`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, node_secret, register_body, wait_for};
use crate::t06_scheduling::node_json;

fn node_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn batch_job(id: &str) -> Value {
    let mut job = job_json(id, 1);
    job["Type"] = json!("batch");
    job
}

/// Heartbeats node `i` every 100 ms until the task is aborted.
fn keep_alive(c: &TestCluster, i: usize) -> tokio::task::JoinHandle<()> {
    let client = c.client.clone();
    let id = node_id(i);
    let url = c.url(0, &format!("/v1/node/{id}/heartbeat"));
    tokio::spawn(async move {
        loop {
            let _ = client
                .put(&url)
                .header("X-Nomad-Token", node_secret(&id))
                .json(&json!({}))
                .send()
                .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// Registers `job` and waits for its one allocation.
async fn placed(c: &TestCluster, job: Value) -> Value {
    let id = job["ID"].as_str().expect("job id").to_string();
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    wait_for("an allocation", Duration::from_secs(20), || async {
        let (_, list) = c.get(0, &format!("/v1/job/{id}/allocations")).await;
        list.as_array()?.first().cloned()
    })
    .await
}

/// Reports allocation `alloc` as `status` on its node's behalf.
async fn report(c: &TestCluster, alloc: &Value, status: &str) {
    let node = alloc["NodeID"].as_str().expect("node");
    let body = json!({"Allocs": [{"ID": alloc["ID"], "ClientStatus": status}]});
    let (code, resp) = c
        .put_as(
            0,
            &format!("/v1/node/{node}/allocations"),
            &body,
            &node_secret(node),
        )
        .await;
    assert_eq!(code, 200, "{resp}");
}

async fn status_of(c: &TestCluster, path: &str) -> u16 {
    c.get(0, path).await.0
}

async fn job_status(c: &TestCluster, id: &str) -> Option<String> {
    let (_, job) = c.get(0, &format!("/v1/job/{id}")).await;
    job["Status"].as_str().map(str::to_string)
}

/// A node that went down, a batch job run to completion, and a service
/// job still running, on a one-server cluster with fast heartbeats and
/// GC thresholds given by `tune`.
struct Scene {
    c: TestCluster,
    alive: tokio::task::JoinHandle<()>,
    done: Value,
    done_eval: String,
    web: Value,
    web_eval: String,
}

async fn scene(tune: impl Fn(&mut drover::agent::AgentConfig)) -> Scene {
    let c = TestCluster::start_with(1, |cfg| {
        cfg.min_heartbeat_ttl = Duration::from_millis(300);
        cfg.heartbeat_grace = Duration::from_millis(300);
        tune(cfg);
    })
    .await;
    // Node 1 registers and never heartbeats: it goes down before any job.
    let (status, body) = c
        .put(0, "/v1/node/register", &node_json(1, "dc1", 4096))
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for("node 1 down", Duration::from_secs(20), || async {
        let (_, n) = c.get(0, &format!("/v1/node/{}", node_id(1))).await;
        (n["Status"] == "down").then_some(())
    })
    .await;
    let (status, body) = c
        .put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    assert_eq!(status, 200, "{body}");
    let alive = keep_alive(&c, 0);

    let done = placed(&c, batch_job("done")).await;
    report(&c, &done, "complete").await;
    wait_for("the batch job dead", Duration::from_secs(20), || async {
        (job_status(&c, "done").await.as_deref() == Some("dead")).then_some(())
    })
    .await;
    let web = placed(&c, job_json("web", 1)).await;
    report(&c, &web, "running").await;
    let done_eval = done["EvalID"].as_str().expect("eval").to_string();
    let web_eval = web["EvalID"].as_str().expect("eval").to_string();
    wait_for(
        "the service evaluation done",
        Duration::from_secs(20),
        || async {
            let (_, e) = c.get(0, &format!("/v1/evaluation/{web_eval}")).await;
            (e["Status"] == "complete").then_some(())
        },
    )
    .await;
    Scene {
        c,
        alive,
        done,
        done_eval,
        web,
        web_eval,
    }
}

impl Scene {
    /// The dead job, its evaluation and allocation, and the down node
    /// are gone; the running job, its evaluation and allocation, and the
    /// live node are there.
    async fn collected(&self) -> bool {
        let c = &self.c;
        let done_alloc = self.done["ID"].as_str().unwrap_or_default();
        status_of(c, "/v1/job/done").await == 404
            && status_of(c, &format!("/v1/evaluation/{}", self.done_eval)).await == 404
            && status_of(c, &format!("/v1/allocation/{done_alloc}")).await == 404
            && status_of(c, &format!("/v1/node/{}", node_id(1))).await == 404
    }

    async fn assert_live_kept(&self) {
        let c = &self.c;
        let web_alloc = self.web["ID"].as_str().expect("id");
        assert_eq!(job_status(c, "web").await.as_deref(), Some("running"));
        assert_eq!(
            status_of(c, &format!("/v1/evaluation/{}", self.web_eval)).await,
            200,
            "an evaluation with a running allocation stays"
        );
        let (status, a) = c.get(0, &format!("/v1/allocation/{web_alloc}")).await;
        assert_eq!((status, &a["ClientStatus"]), (200, &json!("running")));
        assert_eq!(status_of(c, &format!("/v1/node/{}", node_id(0))).await, 200);
    }

    async fn shutdown(self) {
        self.alive.abort();
        self.c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_collection_takes_what_is_finished_and_keeps_what_runs() {
    // Default thresholds (hours): only the forced collection takes anything.
    let s = scene(|_| {}).await;
    assert!(!s.collected().await);
    let r =
        s.c.client
            .put(s.c.url(0, "/v1/system/gc"))
            .send()
            .await
            .expect("PUT");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.expect("body"), "");
    // It answers when done.
    assert!(s.collected().await, "collected by the time it answered");
    s.assert_live_kept().await;
    let (_, evals) = s.c.get(0, "/v1/evaluations").await;
    let ids: Vec<&str> = evals
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["ID"].as_str())
        .collect();
    assert_eq!(ids, vec![s.web_eval.as_str()]);
    // Only PUT.
    let (status, _) = s.c.get(0, "/v1/system/gc").await;
    assert_eq!(status, 405);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_collects_on_its_own_past_small_thresholds() {
    let s = scene(|cfg| {
        let short = Duration::from_millis(200);
        cfg.gc.thresholds.eval = Duration::from_secs(1);
        cfg.gc.thresholds.batch_eval = Duration::from_secs(1);
        cfg.gc.thresholds.job = Duration::from_secs(1);
        cfg.gc.thresholds.node = Duration::from_secs(1);
        cfg.gc.eval_interval = short;
        cfg.gc.job_interval = short;
        cfg.gc.node_interval = short;
    })
    .await;
    wait_for(
        "the leader's collection",
        Duration::from_secs(20),
        || async { s.collected().await.then_some(()) },
    )
    .await;
    s.assert_live_kept().await;
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_summaries_rebuilds_them_from_the_allocations() {
    let s = scene(|_| {}).await;
    let r =
        s.c.client
            .put(s.c.url(0, "/v1/system/reconcile/summaries"))
            .send()
            .await
            .expect("PUT");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("X-Nomad-Index"));
    assert_eq!(r.text().await.expect("body"), "");
    let (_, summary) = s.c.get(0, "/v1/job/web/summary").await;
    assert_eq!(summary["Summary"]["cache"]["Running"], 1, "{summary}");
    let (_, summary) = s.c.get(0, "/v1/job/done/summary").await;
    assert_eq!(summary["Summary"]["cache"]["Complete"], 1, "{summary}");
    let r =
        s.c.client
            .post(s.c.url(0, "/v1/system/reconcile/summaries"))
            .send()
            .await
            .expect("POST");
    assert_eq!(r.status().as_u16(), 405);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_a_node_deregisters_it_and_evaluates_its_jobs() {
    let s = scene(|_| {}).await;
    let c = &s.c;
    let node = node_id(0);
    let (status, resp) = c
        .put(0, &format!("/v1/node/{node}/purge"), &json!({}))
        .await;
    assert_eq!(status, 200, "{resp}");
    let evals = resp["EvalIDs"].as_array().expect("EvalIDs");
    assert_eq!(evals.len(), 1, "one evaluation for the running job: {resp}");
    let index = resp["Index"].as_u64().expect("Index");
    assert_eq!(resp["EvalCreateIndex"].as_u64(), Some(index));
    assert_eq!(resp["NodeModifyIndex"].as_u64(), Some(index));
    let (status, _) = c.get(0, &format!("/v1/node/{node}")).await;
    assert_eq!(status, 404);
    let eval_id = evals[0].as_str().expect("id");
    let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
    assert_eq!(
        (&e["JobID"], &e["TriggeredBy"], &e["NodeID"]),
        (&json!("web"), &json!("node-update"), &json!(node)),
        "{e}"
    );
    // The scheduler finds the allocation on a node that is gone: lost.
    let web_alloc = s.web["ID"].as_str().expect("id").to_string();
    wait_for("the allocation lost", Duration::from_secs(20), || async {
        let (_, a) = c.get(0, &format!("/v1/allocation/{web_alloc}")).await;
        (a["ClientStatus"] == "lost").then_some(())
    })
    .await;
    let (status, body) = c
        .put(
            0,
            "/v1/node/00000000-0000-4000-8000-999999999999/purge",
            &json!({}),
        )
        .await;
    assert_eq!((status, body), (404, json!("node not found")));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_runs_a_forced_collection_through_the_leader() {
    let c = TestCluster::start(3).await;
    let leader = c.wait_leader().await;
    let follower = c.follower(leader);
    let (status, body) = c
        .put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = placed(&c, batch_job("done")).await;
    report(&c, &done, "complete").await;
    wait_for("the batch job dead", Duration::from_secs(20), || async {
        (job_status(&c, "done").await.as_deref() == Some("dead")).then_some(())
    })
    .await;
    let r = c
        .client
        .put(c.url(follower, "/v1/system/gc"))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 200);
    // Every server's state has it gone (the entry is committed; the
    // follower answered after applying it).
    assert_eq!(c.get(follower, "/v1/job/done?stale").await.0, 404);
    let alloc = done["ID"].as_str().expect("id");
    for i in 0..3 {
        assert_eq!(c.get(i, &format!("/v1/allocation/{alloc}")).await.0, 404);
    }
    c.shutdown().await;
}

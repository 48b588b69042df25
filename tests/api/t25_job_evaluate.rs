//! `PUT /v1/job/{id}/evaluate`: a new evaluation of the job as it stands;
//! with `EvalOptions.ForceReschedule` a failed allocation that its policy
//! would never replace is replaced now.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, node_secret, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

async fn allocs(c: &TestCluster) -> Vec<Value> {
    let (_, list) = c.get(0, "/v1/job/example/allocations").await;
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluate_creates_an_evaluation_and_force_reschedule_replaces_failures() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    // Never rescheduled by policy.
    let mut job = seed_job(&["dc1"], 1);
    job["TaskGroups"][0]["ReschedulePolicy"] = json!({"Attempts": 0, "Unlimited": false});
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    let placed = wait_for("an allocation", Duration::from_secs(20), || async {
        allocs(&c).await.into_iter().next()
    })
    .await;

    // Unknown job, mismatched ID.
    let (status, _) = c.put(0, "/v1/job/nope/evaluate", &json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = c
        .put(0, "/v1/job/example/evaluate", &json!({"JobID": "other"}))
        .await;
    assert_eq!(status, 400);

    // A plain evaluation, with an empty body.
    let (status, text) = c.put_raw("/v1/job/example/evaluate", "").await;
    assert_eq!(status, 200, "{text}");
    let resp: Value = serde_json::from_str(&text).expect("JSON");
    let eval_id = resp["EvalID"].as_str().expect("EvalID").to_string();
    assert!(resp["EvalCreateIndex"].as_u64() > Some(0), "{resp}");
    let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
    assert_eq!(e["JobID"], "example", "{e}");
    assert_eq!(e["TriggeredBy"], "job-register", "{e}");

    // The allocation fails; its policy allows no reschedule.
    let id = placed["ID"].as_str().expect("id").to_string();
    let node = placed["NodeID"].as_str().expect("node").to_string();
    let body = json!({"Allocs": [{"ID": id, "ClientStatus": "failed"}]});
    c.put_as(
        0,
        &format!("/v1/node/{node}/allocations"),
        &body,
        &node_secret(&node),
    )
    .await;
    wait_for("the failure evaluated", Duration::from_secs(20), || async {
        let (_, evals) = c.get(0, "/v1/job/example/evaluations").await;
        evals
            .as_array()?
            .iter()
            .any(|e| e["TriggeredBy"] == "alloc-failure" && e["Status"] == "complete")
            .then_some(())
    })
    .await;
    assert_eq!(allocs(&c).await.len(), 1, "no replacement by policy");

    let (status, resp) = c
        .put(
            0,
            "/v1/job/example/evaluate",
            &json!({"JobID": "example", "EvalOptions": {"ForceReschedule": true}}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let replacement = wait_for("a forced replacement", Duration::from_secs(20), || async {
        allocs(&c)
            .await
            .into_iter()
            .find(|a| a["ID"] != id.as_str())
    })
    .await;
    let rid = replacement["ID"].as_str().expect("id");
    let (_, full) = c.get(0, &format!("/v1/allocation/{rid}")).await;
    assert_eq!(full["PreviousAllocation"], id.as_str(), "{full}");
    let (_, old) = c.get(0, &format!("/v1/allocation/{id}")).await;
    assert_eq!(old["DesiredTransition"]["ForceReschedule"], true, "{old}");
    c.shutdown().await;
}

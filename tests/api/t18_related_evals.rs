//! `GET /v1/evaluation/{id}?related=true`: `RelatedEvals` lists the
//! evaluations linked through NextEval / PreviousEval / BlockedEval.

use std::time::Duration;

use drover::api_client::ApiClient;
use serde_json::Value;

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::seed_job;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_evals_follow_the_blocked_chain_both_ways() {
    let c = TestCluster::start(1).await;
    let api = ApiClient::new(&[c.http[0].clone()]).expect("api client");
    // No nodes: the evaluation completes and leaves a blocked one.
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let first = resp["EvalID"].as_str().expect("eval").to_string();
    let blocked = wait_for("a blocked evaluation", Duration::from_secs(20), || async {
        let (_, e) = c.get(0, &format!("/v1/evaluation/{first}")).await;
        e["BlockedEval"]
            .as_str()
            .filter(|b| !b.is_empty())
            .map(str::to_string)
    })
    .await;

    // Without `related`, the field is there and null (Nomad's shape).
    let (_, plain) = c.get(0, &format!("/v1/evaluation/{first}")).await;
    assert!(
        plain
            .as_object()
            .expect("object")
            .contains_key("RelatedEvals")
    );
    assert_eq!(plain["RelatedEvals"], Value::Null);

    let (status, e) = c
        .get(0, &format!("/v1/evaluation/{first}?related=true"))
        .await;
    assert_eq!(status, 200, "{e}");
    let related = e["RelatedEvals"].as_array().expect("a list").clone();
    assert_eq!(related.len(), 1, "{related:?}");
    let stub = &related[0];
    assert_eq!(stub["ID"], blocked.as_str());
    assert_eq!(stub["PreviousEval"], first.as_str());
    assert_eq!(stub["Status"], "blocked");
    assert_eq!(stub["JobID"], "example");
    let mut keys: Vec<&str> = stub
        .as_object()
        .expect("stub")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "BlockedEval",
            "CreateIndex",
            "CreateTime",
            "DeploymentID",
            "ID",
            "JobID",
            "ModifyIndex",
            "ModifyTime",
            "Namespace",
            "NextEval",
            "NodeID",
            "PreviousEval",
            "Priority",
            "Status",
            "StatusDescription",
            "TriggeredBy",
            "Type",
            "WaitUntil",
        ]
    );
    assert_eq!(
        e["ID"],
        first.as_str(),
        "the evaluation itself is not listed"
    );

    // And back from the blocked one, through the typed client.
    let back = api.evaluation_related(&blocked).await.expect("related");
    let ids: Vec<String> = back
        .related_evals
        .expect("filled in")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec![first.clone()]);

    // An evaluation linked to none has an empty list, not null: the
    // deregistration's (nothing left to place, so nothing blocked).
    let (_, resp) = c.delete(0, "/v1/job/example").await;
    let stop = resp["EvalID"].as_str().expect("eval").to_string();
    let e = wait_for(
        "the deregistration to be evaluated",
        Duration::from_secs(20),
        || async {
            let (_, e) = c
                .get(0, &format!("/v1/evaluation/{stop}?related=true"))
                .await;
            (e["Status"] == "complete").then_some(e)
        },
    )
    .await;
    assert_eq!(e["RelatedEvals"], serde_json::json!([]), "{e}");
    c.shutdown().await;
}

//! `GET /v1/job/{id}/scale` and `POST /v1/job/{id}/scale`: a group's
//! count, placed and running allocations; a count change is a new job
//! version with its evaluation.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, node_secret, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

async fn scale_status(c: &TestCluster) -> Value {
    let (status, body) = c.get(0, "/v1/job/example/scale").await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_status_and_a_count_change() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 8192))
        .await;
    let (status, body) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 2), None))
        .await;
    assert_eq!(status, 200, "{body}");
    let s = wait_for("2 placed", Duration::from_secs(20), || async {
        let s = scale_status(&c).await;
        (s["TaskGroups"]["cache"]["Placed"] == 2).then_some(s)
    })
    .await;
    assert_eq!(s["JobID"], "example");
    assert_eq!(s["Namespace"], "default");
    assert_eq!(s["JobStopped"], false);
    assert_eq!(s["TaskGroups"]["cache"]["Desired"], 2);
    assert_eq!(s["TaskGroups"]["cache"]["Running"], 0);

    // One reports running.
    let (_, allocs) = c.get(0, "/v1/job/example/allocations").await;
    let a = &allocs[0];
    let node = a["NodeID"].as_str().expect("node");
    let body = json!({"Allocs": [{"ID": a["ID"], "ClientStatus": "running"}]});
    c.put_as(
        0,
        &format!("/v1/node/{node}/allocations"),
        &body,
        &node_secret(node),
    )
    .await;
    wait_for("1 running", Duration::from_secs(20), || async {
        (scale_status(&c).await["TaskGroups"]["cache"]["Running"] == 1).then_some(())
    })
    .await;

    // Bad requests.
    for (body, want) in [
        (json!({"Count": 3}), "missing task group"),
        (
            json!({"Count": 3, "Target": {"Group": "nope"}}),
            "does not exist",
        ),
        (
            json!({"Count": -1, "Target": {"Group": "cache"}}),
            "between 0 and",
        ),
        (
            json!({"Count": 3, "Target": {"Group": "cache", "Job": "other"}}),
            "did not match",
        ),
    ] {
        let (status, text) = c
            .put_raw(
                "/v1/job/example/scale",
                serde_json::to_vec(&body).expect("json"),
            )
            .await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(want), "{body}: {text}");
    }
    let (status, _) = c
        .put(
            0,
            "/v1/job/nope/scale",
            &json!({"Count": 1, "Target": {"Group": "cache"}}),
        )
        .await;
    assert_eq!(status, 404);

    // Scale to 3: a new version and a third placement.
    let (_, before) = c.get(0, "/v1/job/example").await;
    let (status, resp) = c
        .put(
            0,
            "/v1/job/example/scale",
            &json!({"Count": 3, "Target": {"Group": "cache"}, "Message": "more", "Meta": {"by": "test"}}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    assert!(
        resp["EvalID"].as_str().is_some_and(|e| !e.is_empty()),
        "{resp}"
    );
    let (_, after) = c.get(0, "/v1/job/example").await;
    assert_eq!(
        after["Version"],
        before["Version"].as_u64().expect("version") + 1
    );
    assert_eq!(after["TaskGroups"][0]["Count"], 3);
    wait_for("3 placed", Duration::from_secs(20), || async {
        let s = scale_status(&c).await;
        (s["TaskGroups"]["cache"]["Placed"] == 3 && s["TaskGroups"]["cache"]["Desired"] == 3)
            .then_some(())
    })
    .await;

    // The change is a scaling event; an event without a count is one too.
    let (status, _) = c
        .put(
            0,
            "/v1/job/example/scale",
            &json!({"Target": {"Group": "cache"}, "Message": "cooling down", "Error": true}),
        )
        .await;
    assert_eq!(status, 200);
    let events = scale_status(&c).await["TaskGroups"]["cache"]["Events"].clone();
    assert_eq!(events.as_array().map_or(0, Vec::len), 2, "{events}");
    assert_eq!(events[0]["Message"], "cooling down");
    assert_eq!(events[0]["Error"], true);
    assert_eq!(events[0]["Count"], Value::Null);
    assert_eq!(events[1]["Count"], 3);
    assert_eq!(events[1]["PreviousCount"], 2);
    assert_eq!(events[1]["Message"], "more");
    assert_eq!(events[1]["Meta"]["by"], "test");
    assert_eq!(events[1]["EvalID"], resp["EvalID"]);
    assert!(events[1]["CreateIndex"].as_u64().unwrap_or(0) > 0);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_submissions_are_kept_per_version() {
    let c = TestCluster::start(1).await;
    let source = "job \"example\" { }";
    let mut body = register_body(seed_job(&["dc1"], 1), None);
    body["Submission"] = json!({"Source": source, "Format": "hcl2", "VariableFlags": {"a": "b"}});
    let (status, resp) = c.put(0, "/v1/jobs", &body).await;
    assert_eq!(status, 200, "{resp}");
    let (status, sub) = c.get(0, "/v1/job/example/submission?version=0").await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["Source"], source);
    assert_eq!(sub["Format"], "hcl2");
    assert_eq!(sub["JobID"], "example");
    assert_eq!(sub["Version"], 0);
    assert_eq!(sub["VariableFlags"]["a"], "b");
    let (status, _) = c.get(0, "/v1/job/example/submission?version=1").await;
    assert_eq!(status, 404);
    let (status, text) = c.get(0, "/v1/job/example/submission").await;
    assert_eq!(status, 400, "{text}");

    // A source over 1 MiB is dropped with a warning; the job goes in.
    let mut big = register_body(seed_job(&["dc1"], 2), None);
    big["Submission"] = json!({"Source": "x".repeat(1024 * 1024 + 1), "Format": "hcl2"});
    let (status, resp) = c.put(0, "/v1/jobs", &big).await;
    assert_eq!(status, 200, "{resp}");
    assert!(
        resp["Warnings"]
            .as_str()
            .unwrap_or("")
            .contains("exceeds maximum"),
        "{resp}"
    );
    let (status, _) = c.get(0, "/v1/job/example/submission?version=1").await;
    assert_eq!(status, 404);
    let (status, _) = c.get(0, "/v1/job/example/submission?version=0").await;
    assert_eq!(status, 200);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_policies_are_listed_and_bound_scale_requests() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 8192))
        .await;
    let mut job = seed_job(&["dc1"], 2);
    job["TaskGroups"][0]["Scaling"] = json!({"Min": 1, "Max": 3, "Policy": {"cooldown": "1m"}});
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");

    let (status, list) = c.get(0, "/v1/scaling/policies").await;
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().expect("a list").clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["Type"], "horizontal");
    assert_eq!(list[0]["Enabled"], true);
    assert_eq!(list[0]["Target"]["Group"], "cache");
    assert_eq!(list[0]["Target"]["Job"], "example");
    let id = list[0]["ID"].as_str().expect("ID").to_string();
    let (status, one) = c.get(0, &format!("/v1/scaling/policy/{id}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        (one["Min"].as_i64(), one["Max"].as_i64()),
        (Some(1), Some(3))
    );
    assert_eq!(one["Policy"]["cooldown"], "1m");
    let (status, _) = c.get(0, "/v1/scaling/policy/nope").await;
    assert_eq!(status, 404);
    let (_, none) = c.get(0, "/v1/scaling/policies?job=other").await;
    assert_eq!(none, json!([]));

    // Beyond the policy: refused, unless overridden.
    let (status, text) = c
        .put_raw(
            "/v1/job/example/scale",
            serde_json::to_vec(&json!({"Count": 5, "Target": {"Group": "cache"}})).expect("json"),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("greater than scaling policy maximum: 5 > 3"),
        "{text}"
    );
    let (status, resp) = c
        .put(
            0,
            "/v1/job/example/scale",
            &json!({"Count": 5, "Target": {"Group": "cache"}, "PolicyOverride": true}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let (_, after) = c.get(0, "/v1/job/example").await;
    assert_eq!(after["TaskGroups"][0]["Count"], 5);
    // The policy's ID is the same across the job's versions.
    let (_, again) = c.get(0, "/v1/scaling/policies").await;
    assert_eq!(again[0]["ID"], id.as_str());
    c.shutdown().await;
}

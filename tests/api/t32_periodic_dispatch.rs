//! Periodic jobs (launched by the leader on schedule, carried on by the
//! next leader without a repeat, forced with `periodic/force`) and
//! parameterized jobs (`dispatch` with payload, meta and an idempotency
//! token).

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, register_body, wait_for};

/// A child's ID in a path, escaped as Nomad's clients send it.
fn esc(id: &str) -> String {
    id.replace('/', "%2F")
}

fn batch_job(id: &str) -> Value {
    let mut j = job_json(id, 1);
    j["Type"] = json!("batch");
    j
}

async fn children(c: &TestCluster, i: usize, prefix: &str) -> BTreeSet<String> {
    let (_, jobs) = c.get(i, &format!("/v1/jobs?prefix={prefix}")).await;
    jobs.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|j| j["ID"].as_str().map(str::to_string))
                .filter(|id| id.contains("/periodic-"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_jobs_launch_on_schedule_across_a_leader_change() {
    let mut c = TestCluster::start(3).await;
    let mut job = batch_job("tick");
    // Every second (seven fields: seconds first, year last).
    job["Periodic"] = json!({"Spec": "* * * * * * *", "SpecType": "cron", "Enabled": true});
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["EvalID"], "", "a periodic parent gets no evaluation");

    let first = wait_for("two launches", Duration::from_secs(20), || async {
        let kids = children(&c, 0, "tick/").await;
        (kids.len() >= 2).then_some(kids)
    })
    .await;
    let (_, child) = c
        .get(
            0,
            &format!("/v1/job/{}", esc(first.iter().next().expect("child"))),
        )
        .await;
    assert_eq!(child["ParentID"], "tick");
    assert_eq!(child["Periodic"], Value::Null);
    let (_, summary) = c.get(0, "/v1/job/tick/summary").await;
    let kids = &summary["Children"];
    let counted = kids["Pending"].as_i64().unwrap_or(0)
        + kids["Running"].as_i64().unwrap_or(0)
        + kids["Dead"].as_i64().unwrap_or(0);
    assert!(counted >= 2, "{summary}");

    // The leader goes; the next one carries on.
    let leader = c.wait_leader().await;
    c.stop(leader).await;
    let other = c.wait_leader().await;
    let before = children(&c, other, "tick/").await;
    let after = wait_for(
        "launches by the new leader",
        Duration::from_secs(20),
        || async {
            let kids = children(&c, other, "tick/").await;
            (kids.len() >= before.len() + 2).then_some(kids)
        },
    )
    .await;
    // Every launch second appears once (the IDs carry it), and launches
    // did not stop.
    assert!(after.is_superset(&before));

    // Forced now; a non-periodic job cannot be.
    let (status, forced) = c
        .put(other, "/v1/job/tick/periodic/force", &json!({}))
        .await;
    assert_eq!(status, 200, "{forced}");
    assert!(
        !forced["EvalID"].as_str().unwrap_or("").is_empty(),
        "{forced}"
    );
    c.put(other, "/v1/jobs", &register_body(batch_job("plain"), None))
        .await;
    let (status, body) = c
        .put(other, "/v1/job/plain/periodic/force", &json!({}))
        .await;
    assert_eq!(
        (status, body),
        (400, json!("can't force launch non-periodic job"))
    );

    // Stopping the parent stops the launches.
    c.delete(other, "/v1/job/tick").await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_periodic_blocks_are_refused() {
    let c = TestCluster::start(1).await;
    for (periodic, kind, want) in [
        (json!({"Spec": "61 * * * *"}), "batch", "Invalid cron spec"),
        (json!({"Spec": "* * 31 2 *"}), "batch", "never fires"),
        (
            json!({"Spec": "* * * * *", "TimeZone": "Mars/Base"}),
            "batch",
            "Invalid time zone",
        ),
        (
            json!({"Spec": "* * * * *"}),
            "service",
            "Periodic can only be used with",
        ),
    ] {
        let mut job = batch_job("bad");
        job["Type"] = json!(kind);
        job["Periodic"] = periodic;
        let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
        assert!(status >= 400, "{body}");
        assert!(body.to_string().contains(want), "{want}: {body}");
    }
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_with_payload_meta_and_idempotency() {
    let c = TestCluster::start(1).await;
    let mut job = batch_job("work");
    job["ParameterizedJob"] = json!({
        "Payload": "optional", "MetaRequired": ["who"], "MetaOptional": ["why"]
    });
    job["TaskGroups"][0]["Tasks"][0]["DispatchPayload"] = json!({"File": "input.txt"});
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["EvalID"], "");

    let payload = base64::engine::general_purpose::STANDARD.encode(b"hello");
    let req = json!({"Payload": payload, "Meta": {"who": "me"}, "IdempotencyToken": "t-1"});
    let (status, first) = c.put(0, "/v1/job/work/dispatch", &req).await;
    assert_eq!(status, 200, "{first}");
    let child_id = first["DispatchedJobID"]
        .as_str()
        .expect("child")
        .to_string();
    assert!(child_id.starts_with("work/dispatch-"), "{child_id}");
    assert!(!first["EvalID"].as_str().unwrap_or("").is_empty());
    let (_, child) = c.get(0, &format!("/v1/job/{}", esc(&child_id))).await;
    assert_eq!(child["ParentID"], "work");
    assert_eq!(child["Dispatched"], true);
    assert_eq!(child["Payload"], json!(payload));
    assert_eq!(child["Meta"]["who"], "me");

    // The same token: the same child, no new one.
    let (status, again) = c.put(0, "/v1/job/work/dispatch", &req).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["DispatchedJobID"], json!(child_id));
    assert_eq!(again["EvalID"], "");
    let (_, jobs) = c.get(0, "/v1/jobs?prefix=work/dispatch-").await;
    assert_eq!(jobs.as_array().map_or(0, Vec::len), 1);

    for (body, want) in [
        (json!({"Meta": {}}), "required meta keys"),
        (
            json!({"Meta": {"who": "x", "extra": "y"}}),
            "unpermitted metadata keys",
        ),
        (
            json!({"Meta": {"who": "x"}, "Payload": "%%%"}),
            "not valid base64",
        ),
        (
            json!({"Meta": {"who": "x"},
                   "Payload": base64::engine::general_purpose::STANDARD.encode(vec![0u8; 17_000])}),
            "exceeds maximum size",
        ),
    ] {
        let (status, text) = c.put(0, "/v1/job/work/dispatch", &body).await;
        assert_eq!(status, 400, "{want}: {text}");
        assert!(text.to_string().contains(want), "{want}: {text}");
    }
    c.put(0, "/v1/jobs", &register_body(batch_job("plain"), None))
        .await;
    let (status, text) = c.put(0, "/v1/job/plain/dispatch", &json!({})).await;
    assert_eq!(status, 400);
    assert!(
        text.to_string().contains("is not a parameterized job"),
        "{text}"
    );
    let (status, _) = c.put(0, "/v1/job/none/dispatch", &json!({})).await;
    assert_eq!(status, 404);
    c.shutdown().await;
}

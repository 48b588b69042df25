//! Namespaces: `default` always there; create, read, list, update and
//! delete; jobs, allocations, evaluations and variables scoped by
//! `?namespace=` (with `*`); a namespace in use cannot be deleted.

use std::time::Duration;

use serde_json::json;

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_scope_what_they_hold() {
    let c = TestCluster::start(1).await;
    let (status, list) = c.get(0, "/v1/namespaces").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["Name"], "default");
    assert_eq!(list[0]["Description"], "Default shared namespace");

    // A job in an unknown namespace is refused.
    let mut job = seed_job(&["dc1"], 1);
    job["Namespace"] = json!("prod");
    let (status, body) = c
        .put(0, "/v1/jobs", &register_body(job.clone(), None))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        text(&body).contains("nonexistent namespace \"prod\""),
        "{body}"
    );

    // Create it; then the job goes in.
    let (status, body) = c
        .put(
            0,
            "/v1/namespace/prod",
            &json!({"Name": "prod", "Description": "production"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, ns) = c.get(0, "/v1/namespace/prod").await;
    assert_eq!(status, 200);
    assert_eq!(ns["Description"], "production");
    assert!(ns["CreateIndex"].as_u64().unwrap_or(0) > 1);
    let (status, body) = c
        .put(0, "/v1/namespace/prod", &json!({"Name": "other"}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = c.put(0, "/v1/namespace", &json!({"Name": "a b"})).await;
    assert_eq!(status, 400);

    c.put(0, "/v1/node/register", &node_json(0, "dc1", 8192))
        .await;
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    wait_for("placed in prod", Duration::from_secs(20), || async {
        let (_, a) = c.get(0, "/v1/allocations?namespace=prod").await;
        (a.as_array().map_or(0, Vec::len) == 1).then_some(())
    })
    .await;

    // Scoped lists.
    for (path, want) in [
        ("/v1/jobs", 0),
        ("/v1/jobs?namespace=prod", 1),
        ("/v1/jobs?namespace=*", 1),
        ("/v1/allocations", 0),
        ("/v1/allocations?namespace=*", 1),
        ("/v1/evaluations", 0),
        ("/v1/evaluations?namespace=prod", 1),
    ] {
        let (status, list) = c.get(0, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(list.as_array().map_or(0, Vec::len), want, "{path}: {list}");
    }
    let (status, _) = c.get(0, "/v1/job/example").await;
    assert_eq!(status, 404);
    let (status, _) = c.get(0, "/v1/job/example?namespace=prod").await;
    assert_eq!(status, 200);

    // In use: a live job, then a variable.
    let (status, body) = c.delete(0, "/v1/namespace/prod").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        text(&body).contains("non-terminal job \"example\""),
        "{body}"
    );
    let (status, _) = c
        .delete(0, "/v1/job/example?namespace=prod&purge=true")
        .await;
    assert_eq!(status, 200);
    let (status, _) = c
        .put(0, "/v1/var/x?namespace=prod", &json!({"Items": {"a": "b"}}))
        .await;
    assert_eq!(status, 200);
    let (_, vars) = c.get(0, "/v1/vars").await;
    assert_eq!(vars, json!([]));
    let (_, vars) = c.get(0, "/v1/vars?namespace=*").await;
    assert_eq!(vars[0]["Namespace"], "prod");
    let (status, body) = c.delete(0, "/v1/namespace/prod").await;
    assert_eq!(status, 400, "{body}");
    assert!(text(&body).contains("at least one variable"), "{body}");
    c.delete(0, "/v1/var/x?namespace=prod").await;
    let (status, body) = c.delete(0, "/v1/namespace/prod").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c.get(0, "/v1/namespace/prod").await;
    assert_eq!(status, 404);

    let (status, body) = c.delete(0, "/v1/namespace/default").await;
    assert_eq!(status, 400);
    assert!(text(&body).contains("default namespace can not be deleted"));
    c.shutdown().await;
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

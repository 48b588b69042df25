use serde_json::json;

use crate::common::{TestCluster, job_json, register_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_parameters_get_clear_4xx_and_write_nothing() {
    let c = TestCluster::start(1).await;
    let (status, body) = c.put_raw("/v1/jobs", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert!(body.contains("not valid JSON"), "{body}");
    let (status, body) = c.put_raw("/v1/jobs", Vec::new()).await;
    assert_eq!((status, body.as_str()), (400, "Request body is empty"));
    let (status, body) = c
        .put(
            0,
            "/v1/jobs",
            &json!({"Job": {"ID": "x", "Priority": "high"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body.as_str().is_some_and(|b| b.contains("Job.Priority")),
        "{body}"
    );
    let (status, body) = c.put(0, "/v1/jobs", &json!({})).await;
    assert_eq!((status, body), (400, json!("Job must be specified")));
    let (status, body) = c.put(0, "/v1/jobs", &json!({"Job": {"Name": "x"}})).await;
    assert_eq!((status, body), (400, json!("Job ID hasn't been provided")));
    let (status, body) = c
        .put(0, "/v1/job/other", &register_body(job_json("x", 1), None))
        .await;
    assert_eq!((status, body), (400, json!("Job ID does not match name")));
    let (status, _) = c.put_raw("/v1/jobs", vec![b' '; 5 * 1024 * 1024]).await;
    assert_eq!(status, 413);

    // Go clients send null for unset values: they decode as absent.
    let mut job = job_json("nulls", 1);
    job["Meta"] = serde_json::Value::Null;
    job["Constraints"] = serde_json::Value::Null;
    job["TaskGroups"][0]["Tasks"][0]["Env"] = serde_json::Value::Null;
    let (status, body) = c
        .put(0, "/v1/jobs", &json!({"Job": job, "EnforceIndex": null}))
        .await;
    assert_eq!(status, 200, "{body}");

    for q in ["index=abc", "wait=forever", "stale=maybe"] {
        let (status, _) = c.get(0, &format!("/v1/jobs?{q}")).await;
        assert_eq!(status, 400, "{q}");
    }
    let r = c
        .client
        .patch(c.url(0, "/v1/jobs"))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.text().await.expect("body"), "Invalid method");

    // Only the one valid job was written.
    let (_, list) = c.get(0, "/v1/jobs").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_and_validate_endpoints() {
    let c = TestCluster::start(1).await;
    let hcl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/jobspec/good/example.nomad"
    ))
    .expect("example job file");
    let (status, job) = c
        .put(
            0,
            "/v1/jobs/parse",
            &json!({"JobHCL": hcl, "Canonicalize": true}),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["ID"], "example");
    assert_eq!(
        job["TaskGroups"][0]["Tasks"][0]["Config"]["port_map"],
        json!([{"db": 6379}])
    );
    assert_eq!(
        job["TaskGroups"][0]["Tasks"][0]["Resources"]["MemoryMB"],
        256
    );
    // The parsed job registers as is.
    let (status, resp) = c.put(0, "/v1/jobs", &json!({"Job": job})).await;
    assert_eq!(status, 200, "{resp}");

    let (status, body) = c
        .put(
            0,
            "/v1/jobs/parse",
            &json!({"JobHCL": "job \"x\" {\n  group \"g\" {\n    bogus = 1\n  }\n}\n"}),
        )
        .await;
    assert_eq!(status, 400);
    let text = body.as_str().unwrap_or_default();
    assert!(
        text.starts_with("Failed to parse job: ") && text.contains(":3:") && text.contains("bogus"),
        "{text}"
    );
    let (status, body) = c.put(0, "/v1/jobs/parse", &json!({"JobHCL": "  "})).await;
    assert_eq!((status, body), (400, json!("Job spec is empty")));

    // Validation: a job with no task groups is refused with Nomad's text,
    // and nothing is written.
    let (status, resp) = c
        .put(
            0,
            "/v1/validate/job",
            &json!({"Job": {"ID": "empty", "Datacenters": ["dc1"]}}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        resp["ValidationErrors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|m| m == "Missing job task groups")),
        "{resp}"
    );
    let (status, body) = c
        .put(
            0,
            "/v1/jobs",
            &json!({"Job": {"ID": "empty", "Datacenters": ["dc1"]}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body.as_str()
            .is_some_and(|b| b.contains("Missing job task groups")),
        "{body}"
    );
    let (status, _) = c.get(0, "/v1/job/empty").await;
    assert_eq!(status, 404);
    let (_, resp) = c
        .put(0, "/v1/validate/job", &json!({"Job": job_json("fine", 1)}))
        .await;
    assert_eq!(resp["ValidationErrors"], json!([]));
    c.shutdown().await;
}

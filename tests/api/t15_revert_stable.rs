//! `PUT /v1/job/{id}/revert` and `PUT /v1/job/{id}/stable`, over HTTP and
//! through the typed API client.

use drover::api_client::ApiClient;
use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, register_body};

fn client(c: &TestCluster) -> ApiClient {
    ApiClient::new(&[c.http[0].clone()]).expect("api client")
}

async fn register(c: &TestCluster, count: i64) -> Value {
    let (status, resp) = c
        .put(
            0,
            "/v1/jobs",
            &register_body(job_json("example", count), None),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    resp
}

fn count_of(job: &Value) -> &Value {
    &job["TaskGroups"][0]["Count"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_registers_the_old_spec_as_a_new_version_with_an_evaluation() {
    let c = TestCluster::start(1).await;
    let api = client(&c);
    register(&c, 1).await;
    let v1 = register(&c, 3).await;
    let v1_jmi = v1["JobModifyIndex"].as_u64().expect("index");

    let resp = api.job_revert("example", 0, None).await.expect("revert");
    assert!(resp.job_modify_index > v1_jmi, "{resp:?}");
    assert_eq!(resp.index, resp.job_modify_index);
    assert_eq!(
        resp.eval_create_index, resp.index,
        "job and eval in one entry"
    );
    assert!(!resp.eval_id.is_empty());

    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(job["Version"], 2);
    assert_eq!(count_of(&job), 1, "the spec of version 0");
    assert_eq!(job["JobModifyIndex"].as_u64(), Some(resp.job_modify_index));
    assert_eq!(job["Stable"], false);
    let (_, versions) = c.get(0, "/v1/job/example/versions").await;
    let versions = versions["Versions"].as_array().expect("versions").clone();
    assert_eq!(versions.len(), 3);
    let spec = |j: &Value| {
        (
            j["TaskGroups"].clone(),
            j["Priority"].clone(),
            j["Type"].clone(),
        )
    };
    assert_eq!(spec(&versions[0]), spec(&versions[2]), "v2 has v0's spec");

    let (_, eval) = c.get(0, &format!("/v1/evaluation/{}", resp.eval_id)).await;
    assert_eq!(eval["TriggeredBy"], "job-register");
    assert_eq!(eval["JobID"], "example");
    assert_eq!(eval["JobModifyIndex"].as_u64(), Some(resp.job_modify_index));

    // With the current version enforced.
    let resp = api.job_revert("example", 1, Some(2)).await.expect("revert");
    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(
        (job["Version"].clone(), count_of(&job).clone()),
        (json!(3), json!(3))
    );
    assert_eq!(job["JobModifyIndex"].as_u64(), Some(resp.job_modify_index));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_refusals_name_the_reason_and_change_nothing() {
    let c = TestCluster::start(1).await;
    let api = client(&c);
    register(&c, 1).await;
    register(&c, 3).await;
    let (_, before) = c.get(0, "/v1/job/example").await;

    let e = api
        .job_revert("example", 1, None)
        .await
        .expect_err("current");
    assert_eq!(e.status(), Some(400));
    assert!(
        e.to_string().contains("can't revert to current version"),
        "{e}"
    );

    let e = api
        .job_revert("example", 9, None)
        .await
        .expect_err("unknown");
    assert_eq!(e.status(), Some(404));
    assert!(
        e.to_string()
            .contains(r#"job "example" in namespace "default" at version 9 not found"#),
        "{e}"
    );

    let e = api
        .job_revert("example", 0, Some(0))
        .await
        .expect_err("prior");
    assert_eq!(e.status(), Some(400));
    assert!(
        e.to_string()
            .contains("Current job has version 1; enforcing version 0"),
        "{e}"
    );

    let e = api.job_revert("nope", 0, None).await.expect_err("no job");
    assert_eq!(e.status(), Some(404));
    assert!(e.to_string().contains(r#"job "nope" not found"#), "{e}");

    let body = json!({"JobID": "other", "JobVersion": 0});
    let (status, text) = c.put(0, "/v1/job/example/revert", &body).await;
    assert_eq!((status, text), (400, json!("Job ID does not match")));
    let (status, text) = c
        .put(0, "/v1/job/example/revert", &json!({"JobVersion": 0}))
        .await;
    assert_eq!((status, text), (400, json!("JobID must be specified")));

    let (_, after) = c.get(0, "/v1/job/example").await;
    assert_eq!(before, after, "refused reverts change nothing");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stable_flips_the_flag_on_the_version_and_the_current_job() {
    let c = TestCluster::start(1).await;
    let api = client(&c);
    register(&c, 1).await;
    register(&c, 3).await;
    let (_, before) = c.get(0, "/v1/job/example").await;

    // An older version: the current job is left alone.
    let index = api.job_stable("example", 0, true).await.expect("stable");
    assert!(index > before["ModifyIndex"].as_u64().expect("index"));
    let stable_of = |versions: &Value| -> Vec<(u64, bool)> {
        versions["Versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|j| (j["Version"].as_u64().unwrap_or(99), j["Stable"] == true))
            .collect()
    };
    let (_, versions) = c.get(0, "/v1/job/example/versions").await;
    assert_eq!(stable_of(&versions), vec![(1, false), (0, true)]);
    assert_eq!(versions["Versions"][1]["ModifyIndex"].as_u64(), Some(index));
    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(
        (job["Stable"].clone(), job["Version"].clone()),
        (json!(false), json!(1))
    );

    // The current version: the job changes too, its spec index does not.
    let (status, resp) = c
        .put(
            0,
            "/v1/job/example/stable",
            &json!({"JobID": "example", "JobVersion": 1, "Stable": true}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let index = resp["Index"].as_u64().expect("Index");
    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(job["Stable"], true);
    assert_eq!(job["ModifyIndex"].as_u64(), Some(index));
    assert_eq!(job["JobModifyIndex"], before["JobModifyIndex"]);
    assert_eq!(job["Version"], 1);
    let (_, versions) = c.get(0, "/v1/job/example/versions").await;
    assert_eq!(stable_of(&versions), vec![(1, true), (0, true)]);

    api.job_stable("example", 1, false).await.expect("unstable");
    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(job["Stable"], false);

    let e = api
        .job_stable("example", 7, true)
        .await
        .expect_err("version");
    assert_eq!(e.status(), Some(404));
    assert!(
        e.to_string()
            .contains(r#"job "example" in namespace "default" at version 7 not found"#),
        "{e}"
    );
    let e = api.job_stable("nope", 0, true).await.expect_err("job");
    assert_eq!(e.status(), Some(404));
    c.shutdown().await;
}

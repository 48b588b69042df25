//! `GET /v1/job/{id}/versions?diffs=true`: `Diffs[i]` is the change from
//! `Versions[i+1]` to `Versions[i]`.

use drover::api_client::ApiClient;
use drover::structs::DiffType;
use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, register_body};

async fn register(c: &TestCluster, job: Value) {
    let (status, resp) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_diffs_go_from_each_version_to_the_next_newer() {
    let c = TestCluster::start(1).await;
    let api = ApiClient::new(&[c.http[0].clone()]).expect("api client");
    register(&c, job_json("example", 1)).await;

    // One version: nothing to compare, Diffs stays null (as Nomad's).
    let (_, one) = c.get(0, "/v1/job/example/versions?diffs=true").await;
    assert_eq!(one["Diffs"], Value::Null);
    assert_eq!(one["Versions"].as_array().map(Vec::len), Some(1));

    register(&c, job_json("example", 3)).await;
    let mut v2 = job_json("example", 3);
    v2["Priority"] = json!(70);
    register(&c, v2).await;

    let (status, plain) = c.get(0, "/v1/job/example/versions").await;
    assert_eq!(status, 200);
    assert_eq!(plain["Diffs"], Value::Null, "only when asked");

    let r = api.job_versions("example", true).await.expect("versions");
    let versions: Vec<u64> = r.versions.iter().map(|j| j.version).collect();
    assert_eq!(versions, vec![2, 1, 0]);
    let diffs = r.diffs.expect("diffs");
    assert_eq!(diffs.len(), r.versions.len() - 1);

    // Diffs[0]: version 1 -> 2, the priority.
    assert_eq!(diffs[0].diff_type, DiffType::Edited);
    assert_eq!(diffs[0].id, "example");
    let priority = diffs[0]
        .fields
        .iter()
        .find(|f| f.name == "Priority")
        .expect("Priority changed");
    assert_eq!(
        (
            priority.diff_type,
            priority.old.as_str(),
            priority.new.as_str()
        ),
        (DiffType::Edited, "50", "70")
    );
    assert!(
        diffs[0]
            .task_groups
            .iter()
            .all(|g| g.diff_type == DiffType::None),
        "{:?}",
        diffs[0].task_groups
    );

    // Diffs[1]: version 0 -> 1, the count.
    assert_eq!(diffs[1].diff_type, DiffType::Edited);
    let group = &diffs[1].task_groups[0];
    assert_eq!(
        (group.name.as_str(), group.diff_type),
        ("cache", DiffType::Edited)
    );
    let count = group
        .fields
        .iter()
        .find(|f| f.name == "Count")
        .expect("Count changed");
    assert_eq!(
        (count.diff_type, count.old.as_str(), count.new.as_str()),
        (DiffType::Edited, "1", "3")
    );
    assert!(diffs[1].fields.iter().all(|f| f.name != "Priority"));

    let r = api.job_versions("example", false).await.expect("versions");
    assert!(r.diffs.is_none());
    assert_eq!(r.versions.len(), 3);
    c.shutdown().await;
}

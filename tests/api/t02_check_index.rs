use crate::common::{TestCluster, job_json, register_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_twenty_concurrent_registrations_with_the_same_index_exactly_one_wins() {
    let c = TestCluster::start(3).await;
    let (status, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json("race", 1), Some(0)))
        .await;
    assert_eq!(status, 200, "{resp}");
    let index = resp["JobModifyIndex"].as_u64().expect("index");

    let mut tasks = Vec::new();
    for k in 0..20usize {
        let url = c.url(k % 3, "/v1/jobs");
        let client = c.client.clone();
        let body = register_body(job_json("race", 2 + k as i64), Some(index));
        tasks.push(tokio::spawn(async move {
            let resp = client.put(url).json(&body).send().await.expect("PUT");
            (resp.status().as_u16(), resp.text().await.expect("body"))
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let (status, body) = t.await.expect("task");
        match status {
            200 => wins += 1,
            400 => assert!(
                body.starts_with(&format!("Enforcing job modify index {index}: job exists with conflicting job modify index: ")),
                "unexpected refusal: {body}"
            ),
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!(wins, 1, "exactly one registration may win");
    // The winner made exactly one new version, seen by every server.
    for i in 0..3 {
        let (_, versions) = c.get(i, "/v1/job/race/versions").await;
        assert_eq!(
            versions["Versions"].as_array().map(Vec::len),
            Some(2),
            "server {i}"
        );
    }
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_index_messages_match_nomads() {
    let c = TestCluster::start(1).await;
    let (status, body) = c
        .put(0, "/v1/jobs", &register_body(job_json("j", 1), Some(7)))
        .await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            Some("Enforcing job modify index 7: job does not exist")
        )
    );
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json("j", 1), Some(0)))
        .await;
    let index = resp["JobModifyIndex"].as_u64().expect("index");
    let (status, body) = c
        .put(0, "/v1/jobs", &register_body(job_json("j", 2), Some(0)))
        .await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            Some("Enforcing job modify index 0: job already exists")
        )
    );
    let (status, body) = c
        .put(
            0,
            "/v1/jobs",
            &register_body(job_json("j", 2), Some(index + 100)),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body.as_str(),
        Some(format!("Enforcing job modify index {}: job exists with conflicting job modify index: {index}", index + 100).as_str())
    );
    // Nothing changed.
    let (_, job) = c.get(0, "/v1/job/j").await;
    assert_eq!(job["TaskGroups"][0]["Count"], 1);
    assert_eq!(job["Version"], 0);
    c.shutdown().await;
}

use std::time::{Duration, Instant};

use crate::common::{TestCluster, job_json, register_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_query_wakes_on_a_change_and_times_out_without_one() {
    let c = TestCluster::start(1).await;
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json("a", 1), None))
        .await;
    let index = resp["Index"].as_u64().expect("index");

    // Nothing changes: the query returns after `wait` with the same index.
    let started = Instant::now();
    let r = c
        .client
        .get(c.url(0, &format!("/v1/jobs?index={index}&wait=300ms")))
        .send()
        .await
        .expect("GET");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        r.headers()["X-Nomad-Index"].to_str().ok(),
        Some(index.to_string().as_str())
    );
    assert_eq!(
        r.headers()["X-Nomad-KnownLeader"].to_str().ok(),
        Some("true")
    );

    // A registration wakes a waiting query well before its wait ends.
    let url = c.url(0, &format!("/v1/jobs?index={index}&wait=60s"));
    let client = c.client.clone();
    let waiter = tokio::spawn(async move {
        let started = Instant::now();
        let r = client.get(url).send().await.expect("GET");
        let idx: u64 = r.headers()["X-Nomad-Index"]
            .to_str()
            .expect("hdr")
            .parse()
            .expect("num");
        let body: serde_json::Value = r.json().await.expect("json");
        (started.elapsed(), idx, body)
    });
    // The waiter is parked on the jobs table; a change releases it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json("b", 1), None))
        .await;
    let new_index = resp["Index"].as_u64().expect("index");
    let (elapsed, idx, body) = waiter.await.expect("waiter");
    assert!(elapsed < Duration::from_secs(30), "woke after {elapsed:?}");
    assert!(idx >= new_index && idx > index);
    assert_eq!(body.as_array().map(Vec::len), Some(2));

    // A stale read is answered locally and carries the index too.
    let r = c
        .client
        .get(c.url(0, "/v1/jobs?stale"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("X-Nomad-Index"));
    c.shutdown().await;
}

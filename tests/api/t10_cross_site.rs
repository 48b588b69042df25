//! Browser pages of other sites cannot write; curl, the CLI and API
//! libraries write as before.

use reqwest::header::{ACCESS_CONTROL_ALLOW_ORIGIN as ALLOW_ORIGIN, CONTENT_TYPE, HOST, ORIGIN};
use serde_json::Value;

use crate::common::{TestCluster, job_json, register_body};

async fn job_count(c: &TestCluster) -> usize {
    let (_, jobs) = c.get(0, "/v1/jobs").await;
    jobs.as_array().map(Vec::len).unwrap_or_default()
}

fn job_text(id: &str) -> String {
    register_body(job_json(id, 1), None).to_string()
}

async fn send(req: reqwest::RequestBuilder) -> (u16, String) {
    let r = req.send().await.expect("request");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_plain_post_from_a_foreign_origin_is_refused_and_stores_nothing() {
    let c = TestCluster::start(1).await;
    let (status, text) = send(
        c.client
            .post(c.url(0, "/v1/jobs"))
            .header(ORIGIN, "http://evil.example")
            .header(CONTENT_TYPE, "text/plain")
            .body(job_text("pwned")),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.starts_with("Cross-origin write refused: Origin \"http://evil.example\" is not allowed (add it to http_api"),
        "{text}"
    );
    // A deregistration is a write too.
    let (status, _) = send(
        c.client
            .delete(c.url(0, "/v1/job/anything"))
            .header(ORIGIN, "http://evil.example"),
    )
    .await;
    assert_eq!(status, 403);
    // Reads stay open to any page.
    let (status, _) = send(
        c.client
            .get(c.url(0, "/v1/jobs"))
            .header(ORIGIN, "http://evil.example"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(job_count(&c).await, 0, "no job was stored");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_under_a_rebound_dns_name_is_refused() {
    let c = TestCluster::start(1).await;
    let port = c.http[0].rsplit(':').next().expect("port").to_string();
    let rebound = format!("evil.example:{port}");
    let (status, text) = send(
        c.client
            .post(c.url(0, "/v1/jobs"))
            .header(HOST, &rebound)
            .header(ORIGIN, format!("http://{rebound}"))
            .header(CONTENT_TYPE, "application/json")
            .body(job_text("rebound")),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("rebound DNS name"), "{text}");
    // A page that really came from this agent (its address as host) writes.
    let local = c.http[0].trim_start_matches("http://").to_string();
    let (status, text) = send(
        c.client
            .post(c.url(0, "/v1/jobs"))
            .header(HOST, &local)
            .header(ORIGIN, format!("http://{local}"))
            .header(CONTENT_TYPE, "application/json")
            .body(job_text("same-origin")),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(job_count(&c).await, 1);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_style_writes_with_a_form_content_type_still_work() {
    let c = TestCluster::start(1).await;
    // What `curl -X PUT -d '{...}'` sends: a form content type, no Origin.
    let (status, text) = send(
        c.client
            .put(c.url(0, "/v1/jobs"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(job_text("from-curl")),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let reply: Value = serde_json::from_str(&text).expect("json");
    assert!(reply["EvalID"].is_string(), "{reply}");
    assert_eq!(job_count(&c).await, 1);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_passes_preflight_and_writes_json_but_not_simple_bodies() {
    let c = TestCluster::start_with(1, |config| {
        config.allowed_origins = vec!["https://ui.example.com".into()];
    })
    .await;
    // The browser's preflight is answered for the allowed origin only.
    let preflight = |origin: &'static str| {
        c.client
            .request(reqwest::Method::OPTIONS, c.url(0, "/v1/jobs"))
            .header(ORIGIN, origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let r = preflight("https://ui.example.com").await.expect("OPTIONS");
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        r.headers()[ALLOW_ORIGIN].to_str().ok(),
        Some("https://ui.example.com")
    );
    let r = preflight("http://evil.example").await.expect("OPTIONS");
    assert!(!r.headers().contains_key(ALLOW_ORIGIN));

    let r = c
        .client
        .post(c.url(0, "/v1/jobs"))
        .header(ORIGIN, "https://ui.example.com")
        .header("Sec-Fetch-Site", "cross-site")
        .header(CONTENT_TYPE, "application/json")
        .body(job_text("from-ui"))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()[ALLOW_ORIGIN].to_str().ok(),
        Some("https://ui.example.com"),
        "the page may read the answer"
    );
    let (status, text) = send(
        c.client
            .post(c.url(0, "/v1/jobs"))
            .header(ORIGIN, "https://ui.example.com")
            .header(CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(job_text("simple-body")),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(text.starts_with("Browser write refused"), "{text}");
    assert_eq!(job_count(&c).await, 1);
    c.shutdown().await;
}

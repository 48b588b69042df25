//! Connection deadlines and caps, seen from raw TCP clients.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::{TestCluster, job_json, register_body};

/// How long a test waits for something the server must do.
const WITHIN: Duration = Duration::from_secs(5);

fn addr(c: &TestCluster) -> std::net::SocketAddr {
    c.http[0]
        .trim_start_matches("http://")
        .parse()
        .expect("http address")
}

async fn connect_from(c: &TestCluster, local: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{local}:0").parse().expect("local address"))
        .expect("bind");
    socket.connect(addr(c)).await.expect("connect")
}

/// Sends a GET and reads one whole answer; returns its status line and body.
async fn request(stream: &mut TcpStream, path: &str) -> (String, String) {
    let send = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(send.as_bytes()).await.expect("write");
    tokio::time::timeout(WITHIN, read_answer(stream))
        .await
        .expect("an answer in time")
}

async fn read_answer(stream: &mut TcpStream) -> (String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                let status = head.lines().next().unwrap_or_default().to_string();
                return (status, body.to_string());
            }
        }
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "closed before a whole answer: {text:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until the server closes the connection; panics after [`WITHIN`].
async fn closed_by_server(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout(WITHIN, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the server kept the connection open for {WITHIN:?}"),
        }
    }
}

fn no_pool_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_or_trickled_header_is_closed_at_the_header_deadline() {
    let c = TestCluster::start_with(1, |config| {
        config.http_limits.header_read_timeout = Duration::from_millis(300);
    })
    .await;
    let mut partial = TcpStream::connect(addr(&c)).await.expect("connect");
    partial
        .write_all(b"GET /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    closed_by_server(&mut partial).await;

    // One byte every 50 ms never completes a header: the deadline counts
    // from the first byte, not the last.
    let stream = TcpStream::connect(addr(&c)).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for b in b"GET /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if writer.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut chunk = [0u8; 64];
    let closed = tokio::time::timeout(WITHIN, reader.read(&mut chunk)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "a trickling client was not closed: {closed:?}"
    );
    trickle.abort();

    // A whole request is answered as before.
    let mut whole = TcpStream::connect(addr(&c)).await.expect("connect");
    let (status, _) = request(&mut whole, "/v1/status/leader").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_but_a_blocking_query_outlasts_the_idle_timeout() {
    let mut c = TestCluster::start_with(1, |config| {
        config.http_limits.header_read_timeout = Duration::from_millis(300);
        config.http_limits.idle_timeout = Duration::from_millis(500);
    })
    .await;
    c.client = no_pool_client();
    let mut idle = TcpStream::connect(addr(&c)).await.expect("connect");
    let (status, _) = request(&mut idle, "/v1/status/leader").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let open_for = closed_by_server(&mut idle).await;
    assert!(
        open_for >= Duration::from_millis(400),
        "closed after {open_for:?}"
    );

    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json("a", 1), None))
        .await;
    let index = resp["Index"].as_u64().expect("index");
    let started = Instant::now();
    let r = c
        .client
        .get(c.url(0, &format!("/v1/jobs?index={index}&wait=1500ms")))
        .send()
        .await
        .expect("the blocking query is answered");
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let jobs: serde_json::Value = r.json().await.expect("json");
    assert_eq!(jobs.as_array().map(Vec::len), Some(1));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_cap_is_answered_503_and_closed() {
    let c = TestCluster::start_with(1, |config| {
        config.http_limits.max_conns = 2;
    })
    .await;
    let mut first = TcpStream::connect(addr(&c)).await.expect("connect");
    let mut second = TcpStream::connect(addr(&c)).await.expect("connect");
    for s in [&mut first, &mut second] {
        let (status, _) = request(s, "/v1/status/leader").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
    }
    let mut third = TcpStream::connect(addr(&c)).await.expect("connect");
    let (status, body) = request(&mut third, "/v1/status/leader").await;
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    assert_eq!(body, "Too many connections\n");
    closed_by_server(&mut third).await;

    // A closed connection frees its place.
    drop(first);
    crate::common::wait_for("a free place", WITHIN, || async {
        let mut s = TcpStream::connect(addr(&c)).await.ok()?;
        let (status, _) = request(&mut s, "/v1/status/leader").await;
        (status == "HTTP/1.1 200 OK").then_some(())
    })
    .await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_client_cap_counts_each_address_apart() {
    let c = TestCluster::start_with(1, |config| {
        config.http_limits.max_conns_per_client = 1;
    })
    .await;
    let mut mine = connect_from(&c, "127.0.0.1").await;
    let (status, _) = request(&mut mine, "/v1/status/leader").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let mut again = connect_from(&c, "127.0.0.1").await;
    let (status, body) = request(&mut again, "/v1/status/leader").await;
    assert_eq!(
        (status.as_str(), body.as_str()),
        (
            "HTTP/1.1 503 Service Unavailable",
            "Too many connections from this address\n"
        )
    );
    let mut other = connect_from(&c, "127.0.0.2").await;
    let (status, _) = request(&mut other, "/v1/status/leader").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    c.shutdown().await;
}

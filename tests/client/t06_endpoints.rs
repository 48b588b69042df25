//! The `/v1/client/*` endpoints of a client agent, asked through a server
//! (which forwards them to the node that runs the allocation): logs plain,
//! framed and followed, the allocation directory, resource use, signals
//! and restarts; then `PUT /v1/allocation/{id}/stop`, which replaces the
//! allocation. A combined server and client agent answers them in process.

use std::time::Duration;

use base64::Engine;
use drover::api_client::{ApiClient, QueryOptions};
use serde_json::{Value, json};

use crate::common::{TestCluster, wait_for};
use crate::support::*;

/// A busybox task printing a numbered line every 0.2 s, saying so when it
/// gets SIGHUP and leaving at once on SIGTERM.
fn printer_job(id: &str) -> drover::structs::Job {
    let hcl = r#"
job "JOB" {
  datacenters = ["dc1"]
  type = "service"
  group "print" {
    restart {
      attempts = 3
      interval = "5m"
      delay    = "1s"
      mode     = "fail"
    }
    task "printer" {
      driver = "docker"
      config {
        image   = "busybox:latest"
        command = "sh"
        args    = ["-c", "trap 'echo got hup' HUP; trap 'exit 0' TERM; i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done"]
      }
      kill_timeout = "2s"
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
"#;
    job(&hcl.replace("JOB", id))
}

async fn get(http: &reqwest::Client, url: &str) -> (u16, String) {
    let r = http.get(url).send().await.expect("GET");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

async fn put(http: &reqwest::Client, url: &str, body: Value) -> (u16, String) {
    let r = http.put(url).json(&body).send().await.expect("PUT");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The data of a framed log, decoded, and the files the frames named.
fn unframe(body: &str) -> (String, Vec<String>) {
    let mut data = Vec::new();
    let mut files = Vec::new();
    for frame in serde_json::Deserializer::from_str(body).into_iter::<Value>() {
        let frame = frame.expect("a JSON frame");
        if let Some(d) = frame["Data"].as_str() {
            data.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(d)
                    .expect("base64 data"),
            );
        }
        if let Some(f) = frame["File"].as_str() {
            files.push(f.to_string());
        }
    }
    (String::from_utf8_lossy(&data).into_owned(), files)
}

/// Reads a streamed answer until `want` shows in what came, or `within`.
async fn read_until(mut r: reqwest::Response, want: &str, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = String::new();
    while !seen.contains(want) {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {want:?} within {within:?}; got {seen:?}"))
            .expect("read the stream")
            .unwrap_or_else(|| panic!("the stream ended before {want:?}; got {seen:?}"));
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_endpoints_through_a_server_and_alloc_stop() {
    if !docker_ready("client_endpoints_through_a_server_and_alloc_stop") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.20", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    // The client agent says what it is.
    let own = format!("http://{}:{}", client.ip, client.http_port);
    let (status, text) = get(&http, &format!("{own}/v1/agent/self")).await;
    assert_eq!(status, 200, "{text}");
    let me = json_of(&text);
    assert_eq!(me["config"]["Client"]["Enabled"], true, "{me}");
    assert_eq!(me["stats"]["client"]["node_id"], node.as_str(), "{me}");
    // Its writes are guarded against cross-site pages like the servers'.
    let refused = http
        .put(format!("{own}/v1/client/allocation/x/restart"))
        .header("Origin", "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(refused.status().as_u16(), 403);

    api.job_run(&printer_job("endpoints")).await.unwrap();
    let alloc = running(&api, "endpoints", 1, Duration::from_secs(60))
        .await
        .remove(0);
    let id = alloc.id.clone();
    let server = &cluster.http[0];
    let base = format!("{server}/v1/client");
    let logs = format!("{base}/fs/logs/{id}?task=printer&type=stdout");

    // Logs, plain and framed.
    wait_for(
        "line 0 in the plain log",
        Duration::from_secs(30),
        || async {
            let (status, text) = get(&http, &format!("{logs}&plain=true")).await;
            (status == 200 && text.contains("line 0\n")).then_some(())
        },
    )
    .await;
    let (status, framed) = get(&http, &logs).await;
    assert_eq!(status, 200, "{framed}");
    let (data, files) = unframe(&framed);
    assert!(data.starts_with("line 0\n"), "{data:?}");
    assert!(
        files.iter().all(|f| f == "alloc/logs/printer.stdout.0"),
        "{files:?}"
    );
    // The last 7 bytes (and whatever was printed while they were read).
    let (status, tail) = get(&http, &format!("{logs}&plain=true&origin=end&offset=7")).await;
    assert_eq!(status, 200, "{tail}");
    assert!((7..100).contains(&tail.len()), "{tail:?}");

    // Following: a line printed after the request comes through.
    let follow = http
        .get(format!("{logs}&plain=true&follow=true&origin=end&offset=0"))
        .send()
        .await
        .expect("follow");
    assert_eq!(follow.status().as_u16(), 200);
    let seen = read_until(follow, "\n", Duration::from_secs(10)).await;
    assert!(seen.contains("line "), "{seen:?}");

    // Bad parameters and unknown allocations, in plain words.
    let (status, text) = get(&http, &format!("{base}/fs/logs/{id}?task=printer")).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "type is required: stdout or stderr")
    );
    let (status, text) = get(
        &http,
        &format!("{base}/fs/logs/nope?task=printer&type=stdout"),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (404, "Unknown allocation \"nope\"")
    );

    // The allocation directory.
    let (status, text) = get(&http, &format!("{base}/fs/ls/{id}?path=/alloc/logs")).await;
    assert_eq!(status, 200, "{text}");
    let entries = json_of(&text);
    let stdout = entries
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["Name"] == "printer.stdout.0")
        .unwrap_or_else(|| panic!("no printer.stdout.0 in {entries}"));
    assert_eq!(stdout["IsDir"], false);
    assert!(
        stdout["FileMode"].as_str().unwrap().starts_with('-'),
        "{stdout}"
    );
    let (status, text) = get(
        &http,
        &format!("{base}/fs/stat/{id}?path=alloc/logs/printer.stdout.0"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(json_of(&text)["Size"].as_u64().unwrap() > 0, "{text}");
    let (status, text) = get(
        &http,
        &format!("{base}/fs/cat/{id}?path=/alloc/logs/printer.stdout.0"),
    )
    .await;
    assert!(
        status == 200 && text.starts_with("line 0\n"),
        "{status} {text:?}"
    );
    let (status, text) = get(
        &http,
        &format!("{base}/fs/cat/{id}?path=../../../etc/passwd"),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("escapes the allocation directory"), "{text}");

    // Resource use, of the allocation and of the host.
    let usage = wait_for(
        "the allocation's stats",
        Duration::from_secs(30),
        || async {
            let (status, text) = get(&http, &format!("{base}/allocation/{id}/stats")).await;
            let v = json_of(&text);
            let rss = v["Tasks"]["printer"]["ResourceUsage"]["MemoryStats"]["RSS"].as_u64();
            (status == 200 && rss.is_some_and(|r| r > 0)).then_some(v)
        },
    )
    .await;
    assert!(
        usage["ResourceUsage"]["MemoryStats"]["RSS"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(usage["Timestamp"].as_i64().unwrap() > 0);
    let (status, text) = get(&http, &format!("{base}/stats?node_id={node}")).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        json_of(&text)["Memory"]["Total"].as_u64().unwrap() > 0,
        "{text}"
    );
    let (status, text) = get(&http, &format!("{base}/stats")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("node_id is required"), "{text}");

    // A signal reaches the task (its trap prints), then a restart.
    let (status, text) = put(
        &http,
        &format!("{base}/allocation/{id}/signal"),
        json!({"Task": "printer", "Signal": "SIGHUP"}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    wait_for("the trap's line", Duration::from_secs(10), || async {
        let (_, text) = get(&http, &format!("{logs}&plain=true")).await;
        text.contains("got hup").then_some(())
    })
    .await;
    let (status, text) = put(
        &http,
        &format!("{base}/allocation/{id}/signal"),
        json!({"Task": "printer", "Signal": "SIGNOPE"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = put(
        &http,
        &format!("{base}/allocation/{id}/restart"),
        json!({"TaskName": "printer"}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    wait_for("the restart counted", Duration::from_secs(30), || async {
        let (a, _) = api.allocation(&id, &QueryOptions::default()).await.ok()?;
        let ts = a.task_states.get("printer")?;
        (ts.restarts >= 1 && ts.state == "running").then_some(())
    })
    .await;

    // Stopping the allocation: the scheduler replaces it, and the old
    // container goes.
    let (status, text) = put(
        &http,
        &format!("{server}/v1/allocation/{id}/stop"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let stopped = json_of(&text);
    assert!(
        !stopped["EvalID"].as_str().unwrap_or_default().is_empty(),
        "{stopped}"
    );
    assert!(stopped["Index"].as_u64().unwrap() > 0, "{stopped}");
    let replacement = wait_for(
        "a replacement allocation running",
        Duration::from_secs(60),
        || async {
            allocs(&api, "endpoints")
                .await
                .into_iter()
                .find(|a| a.id != id && a.client_status == "running")
        },
    )
    .await;
    assert_eq!(replacement.previous_allocation, id);
    let old = format!("printer-{id}");
    wait_for(
        "the old container removed",
        Duration::from_secs(30),
        || async { inspect(&old, "{{.Id}}").is_empty().then_some(()) },
    )
    .await;
    let (a, _) = api.allocation(&id, &QueryOptions::default()).await.unwrap();
    assert_eq!(a.desired_status, "stop");
    let (status, text) = put(
        &http,
        &format!("{server}/v1/allocation/nope/stop"),
        json!({}),
    )
    .await;
    assert_eq!((status, text.as_str()), (404, "alloc not found"));

    api.job_deregister("endpoints", true).await.unwrap();
    wait_for("containers removed", Duration::from_secs(30), || async {
        containers_of(&node, true).is_empty().then_some(())
    })
    .await;
    drop(client);
    cluster.shutdown().await;
}

/// Removes the containers of an in-process client's node when dropped
/// (a failed test leaves none behind; a client process's `ClientProc`
/// does this for it).
struct RemoveContainers(String);

impl Drop for RemoveContainers {
    fn drop(&mut self) {
        for c in containers_of(&self.0, true) {
            docker(&["rm", "-f", &c]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combined_agent_serves_its_own_client_endpoints() {
    if !docker_ready("a_combined_agent_serves_its_own_client_endpoints") {
        return;
    }
    let cluster = TestCluster::start_with(1, |c| c.client = true).await;
    let http = reqwest::Client::new();
    let server = &cluster.http[0];
    let agent = cluster.agents[0].as_ref().expect("agent");
    let node = agent
        .client
        .as_ref()
        .expect("the agent runs a client")
        .node_id()
        .to_string();
    let _cleanup = RemoveContainers(node.clone());

    let (status, text) = get(&http, &format!("{server}/v1/agent/self")).await;
    assert_eq!(status, 200, "{text}");
    let me = json_of(&text);
    assert_eq!(me["config"]["Client"]["Enabled"], true, "{me}");
    assert_eq!(me["config"]["Server"]["Enabled"], true, "{me}");
    assert_eq!(me["stats"]["client"]["node_id"], node.as_str(), "{me}");
    let (status, text) = get(&http, &format!("{server}/v1/agent/health")).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        json_of(&text)["client"],
        json!({"ok": true, "message": "ok"})
    );
    // Its own host stats need no node_id.
    let (status, text) = get(&http, &format!("{server}/v1/client/stats")).await;
    assert_eq!(status, 200, "{text}");
    assert!(json_of(&text)["Uptime"].as_u64().unwrap() > 0, "{text}");

    let api = ApiClient::new(&cluster.http).unwrap();
    api.job_run(&printer_job("combined")).await.unwrap();
    let alloc = running(&api, "combined", 1, Duration::from_secs(60))
        .await
        .remove(0);
    assert_eq!(alloc.node_id, node);
    let logs = format!(
        "{server}/v1/client/fs/logs/{}?task=printer&type=stdout&plain=true",
        alloc.id
    );
    wait_for("line 0 in the log", Duration::from_secs(30), || async {
        let (status, text) = get(&http, &logs).await;
        (status == 200 && text.contains("line 0\n")).then_some(())
    })
    .await;

    api.job_deregister("combined", true).await.unwrap();
    wait_for("containers removed", Duration::from_secs(30), || async {
        containers_of(&node, true).is_empty().then_some(())
    })
    .await;
    cluster.shutdown().await;
}

//! Agent and operator endpoints: the scheduler and autopilot
//! configurations (check-and-set, replicated), the spread algorithm's
//! effect on placement, Raft peer removal, autopilot health, server join
//! and force-leave, the client's server list and the log monitor.

use std::time::Duration;

use base64::Engine as _;
use drover::agent::{Agent, AgentConfig};
use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

const DEADLINE: Duration = Duration::from_secs(20);

const SCHED: &str = "/v1/operator/scheduler/configuration";
const AUTOPILOT: &str = "/v1/operator/autopilot/configuration";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_configuration_check_and_set_is_replicated() {
    let c = TestCluster::start(3).await;
    let leader = c.wait_leader().await;
    let follower = c.follower(leader);

    let (status, body) = c.get(follower, SCHED).await;
    assert_eq!(status, 200, "{body}");
    let config = &body["SchedulerConfig"];
    assert_eq!(config["SchedulerAlgorithm"], "binpack");
    assert_eq!(config["PreemptionConfig"]["SystemSchedulerEnabled"], true);
    assert_eq!(config["PreemptionConfig"]["ServiceSchedulerEnabled"], false);
    assert_eq!(config["RejectJobRegistration"], false);
    assert_eq!(config["ModifyIndex"], 0);
    assert_eq!(body["Index"], 0);
    assert_eq!(body["KnownLeader"], true);

    // A wrong check-and-set index writes nothing.
    let spread = json!({"SchedulerAlgorithm": "spread"});
    let (status, body) = c.put(leader, &format!("{SCHED}?cas=5"), &spread).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Updated"], false);
    // The right one (0: never set) writes.
    let (status, body) = c.put(follower, &format!("{SCHED}?cas=0"), &spread).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Updated"], true);
    let index = body["Index"].as_u64().expect("index");
    assert!(index > 0);

    // Visible on every server (consistent reads).
    for i in 0..3 {
        let (_, body) = c.get(i, SCHED).await;
        assert_eq!(
            body["SchedulerConfig"]["SchedulerAlgorithm"], "spread",
            "{i}"
        );
        assert_eq!(body["SchedulerConfig"]["ModifyIndex"], index, "{i}");
        assert_eq!(body["SchedulerConfig"]["CreateIndex"], index, "{i}");
        assert_eq!(body["Index"], index, "{i}");
    }
    let (_, body) = c.put(leader, &format!("{SCHED}?cas=0"), &spread).await;
    assert_eq!(body["Updated"], false, "stale index");
    let (_, body) = c
        .put(leader, SCHED, &json!({"SchedulerAlgorithm": "binpack"}))
        .await;
    assert_eq!(body["Updated"], true, "no cas: written");

    // Refusals.
    let (status, text) = c
        .put(0, SCHED, &json!({"SchedulerAlgorithm": "tetris"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(text, "invalid scheduler algorithm: tetris");
    let (status, text) = c.put(0, &format!("{SCHED}?cas=x"), &spread).await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        "Error parsing cas value: strconv.ParseUint: parsing \"x\": invalid syntax"
    );
    let (status, text) = c.put(0, SCHED, &json!({"SchedulerAlgorithm": 3})).await;
    assert_eq!(status, 400);
    assert!(
        text.as_str()
            .is_some_and(|t| t.starts_with("Error parsing scheduler config: ")),
        "{text}"
    );

    // RejectJobRegistration refuses registrations until it is cleared.
    let (_, body) = c
        .put(leader, SCHED, &json!({"RejectJobRegistration": true}))
        .await;
    assert_eq!(body["Updated"], true);
    let (status, text) = c
        .put(
            leader,
            "/v1/jobs",
            &register_body(seed_job(&["dc1"], 1), None),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        "Job registration, dispatch, and scale are disabled by the scheduler configuration"
    );
    let (_, body) = c.put(leader, SCHED, &json!({})).await;
    assert_eq!(body["Updated"], true);
    let (status, body) = c
        .put(
            leader,
            "/v1/jobs",
            &register_body(seed_job(&["dc1"], 1), None),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    c.shutdown().await;
}

/// A copy of the seed job named `id`.
fn job(id: &str) -> Value {
    let mut job = seed_job(&["dc1"], 1);
    job["ID"] = json!(id);
    job["Name"] = json!(id);
    job
}

/// Registers `id` and waits for its allocation; returns its node.
async fn place(c: &TestCluster, id: &str) -> String {
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job(id), None)).await;
    assert_eq!(status, 200, "{body}");
    wait_for(&format!("{id} placed"), DEADLINE, || async {
        let (_, allocs) = c.get(0, &format!("/v1/job/{id}/allocations")).await;
        allocs
            .as_array()
            .and_then(|a| a.first())
            .and_then(|a| a["NodeID"].as_str())
            .map(str::to_string)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spread_algorithm_places_on_the_emptiest_node_and_binpack_packs() {
    let c = TestCluster::start(1).await;
    for i in 0..2 {
        let (status, body) = c
            .put(0, "/v1/node/register", &node_json(i, "dc1", 4096))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, body) = c
        .put(0, SCHED, &json!({"SchedulerAlgorithm": "spread"}))
        .await;
    assert_eq!(body["Updated"], true);
    let mut spread = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..4 {
        *spread.entry(place(&c, &format!("s{i}")).await).or_default() += 1;
    }
    assert_eq!(
        spread.values().copied().collect::<Vec<_>>(),
        vec![2, 2],
        "{spread:?}"
    );

    let (_, body) = c
        .put(0, SCHED, &json!({"SchedulerAlgorithm": "binpack"}))
        .await;
    assert_eq!(body["Updated"], true);
    let mut packed = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..4 {
        *packed.entry(place(&c, &format!("b{i}")).await).or_default() += 1;
    }
    assert_eq!(
        packed.values().copied().collect::<Vec<_>>(),
        vec![4],
        "{packed:?}"
    );
    c.shutdown().await;
}

/// Waits for a health answer that satisfies `ok`.
async fn health_until(c: &TestCluster, i: usize, ok: impl Fn(u16, &Value) -> bool) -> Value {
    wait_for("the expected autopilot health", DEADLINE, || async {
        let (status, body) = c.get(i, "/v1/operator/autopilot/health").await;
        ok(status, &body).then_some(body)
    })
    .await
}

/// The Raft id of server `i`, from the Raft configuration.
async fn raft_id(c: &TestCluster, i: usize) -> String {
    let (_, config) = c.get(0, "/v1/operator/raft/configuration").await;
    config["Servers"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["Address"] == c.rpc[i].as_str()))
        .and_then(|s| s["ID"].as_str())
        .map(str::to_string)
        .expect("server in the configuration")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autopilot_health_and_raft_peer_removal() {
    let mut c = TestCluster::start(3).await;
    let leader = c.wait_leader().await;
    let follower = c.follower(leader);

    // Health, asked of a follower: three healthy voters.
    let health = health_until(&c, follower, |status, h| {
        status == 200 && h["Healthy"] == true && h["Servers"].as_array().map(Vec::len) == Some(3)
    })
    .await;
    assert_eq!(health["FailureTolerance"], 1);
    let servers = health["Servers"].as_array().expect("servers");
    assert_eq!(servers.iter().filter(|s| s["Leader"] == true).count(), 1);
    for s in servers {
        assert_eq!(s["Healthy"], true, "{s}");
        assert_eq!(s["Voter"], true, "{s}");
        assert_eq!(s["SerfStatus"], "alive", "{s}");
        assert!(s["LastContact"].as_str().is_some(), "{s}");
        assert!(s["LastIndex"].as_u64().is_some_and(|i| i > 0), "{s}");
        assert!(s["StableSince"].as_str().is_some(), "{s}");
    }
    assert_eq!(health["Leader"], raft_id(&c, leader).await);
    assert_eq!(health["Voters"].as_array().map(Vec::len), Some(3));

    // The autopilot configuration: Nomad's defaults, check-and-set.
    let (status, config) = c.get(follower, AUTOPILOT).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["CleanupDeadServers"], true);
    assert_eq!(config["LastContactThreshold"], "200ms");
    assert_eq!(config["MaxTrailingLogs"], 250);
    assert_eq!(config["MinQuorum"], 0);
    assert_eq!(config["ServerStabilizationTime"], "10s");
    let mut changed = config.clone();
    changed["MaxTrailingLogs"] = json!(500);
    changed["LastContactThreshold"] = json!("1s");
    let (_, updated) = c.put(leader, &format!("{AUTOPILOT}?cas=9"), &changed).await;
    assert_eq!(updated, false);
    let (status, updated) = c.put(leader, &format!("{AUTOPILOT}?cas=0"), &changed).await;
    assert_eq!(status, 200);
    assert_eq!(updated, true);
    let (_, config) = c.get(follower, AUTOPILOT).await;
    assert_eq!(config["MaxTrailingLogs"], 500);
    assert_eq!(config["LastContactThreshold"], "1s");
    assert!(config["ModifyIndex"].as_u64().is_some_and(|i| i > 0));

    // Peer removal: unknown IDs and addresses, then a follower.
    let (status, text) = c.delete(leader, "/v1/operator/raft/peer?id=999").await;
    assert_eq!(status, 400);
    assert_eq!(text, "id \"999\" was not found in the Raft configuration");
    let (status, text) = c
        .delete(leader, "/v1/operator/raft/peer?address=10.9.9.9:4647")
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        "address \"10.9.9.9:4647\" was not found in the Raft configuration"
    );
    let (status, text) = c.delete(leader, "/v1/operator/raft/peer").await;
    assert_eq!(status, 400);
    assert_eq!(text, "Must specify the peer's ID to remove");

    let removed = follower;
    let other = (0..3)
        .find(|i| *i != leader && *i != removed)
        .expect("other");
    let id = raft_id(&c, removed).await;
    let (status, body) = c
        .delete(other, &format!("/v1/operator/raft/peer?id={id}"))
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for("two servers in the configuration", DEADLINE, || async {
        let (_, config) = c.get(leader, "/v1/operator/raft/configuration").await;
        (config["Servers"].as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await;
    c.stop(removed).await;
    let health = health_until(&c, other, |status, h| {
        status == 200 && h["Servers"].as_array().map(Vec::len) == Some(2)
    })
    .await;
    assert_eq!(health["FailureTolerance"], 0);
    assert!(
        health["Servers"]
            .as_array()
            .expect("servers")
            .iter()
            .all(|s| s["ID"] != id.as_str())
    );
    // Writes still commit.
    let (status, body) = c.put(other, SCHED, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    c.shutdown().await;
}

/// A server agent that forms no cluster on its own (its `retry_join`
/// names nobody), on fresh port-0 listeners.
async fn lone_server(dir: &std::path::Path) -> (Agent, String) {
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let rpc = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let rpc_addr = rpc.local_addr().expect("addr").to_string();
    let config = AgentConfig {
        server: true,
        data_dir: Some(dir.to_path_buf()),
        bind_addr: std::net::Ipv4Addr::LOCALHOST.into(),
        bootstrap_expect: 0,
        retry_join: vec!["127.0.0.1:1".into()],
        name: "lone".into(),
        ..AgentConfig::default()
    };
    let agent = Agent::start_with_listeners(config, http, rpc)
        .await
        .expect("agent starts");
    (agent, rpc_addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_adds_a_server_and_force_leave_removes_it_once_failed() {
    // Two servers and a third joined: losing the third keeps a quorum, so
    // it can be removed.
    let c = TestCluster::start(2).await;
    let dir = tempfile::tempdir().expect("dir");
    let (lone, lone_rpc) = lone_server(dir.path()).await;

    let (status, text) = c.put(0, "/v1/agent/join", &json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(text, "missing address to join");
    let (status, body) = c
        .put(0, &format!("/v1/agent/join?address={lone_rpc}"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["num_joined"], 1, "{body}");
    assert_eq!(body["error"], "");
    wait_for("three voters", DEADLINE, || async {
        let (_, peers) = c.get(0, "/v1/status/peers").await;
        (peers.as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    // Nobody at the address: nothing joined, and why.
    let (_, body) = c
        .put(0, "/v1/agent/join?address=127.0.0.1:1", &json!({}))
        .await;
    assert_eq!(body["num_joined"], 0);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Failed to join 127.0.0.1:1")),
        "{body}"
    );

    // Alive: force-leave leaves it alone.
    let name = format!("{lone_rpc}.global");
    let (status, _) = c
        .put(0, &format!("/v1/agent/force-leave?node={name}"), &json!({}))
        .await;
    assert_eq!(status, 200);
    let (_, peers) = c.get(0, "/v1/status/peers").await;
    assert_eq!(peers.as_array().map(Vec::len), Some(3));
    let (status, text) = c.put(0, "/v1/agent/force-leave", &json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(text, "missing node to force leave");

    // Failed: removed.
    lone.shutdown().await;
    wait_for("the joined server to count as failed", DEADLINE, || async {
        let (_, h) = c.get(0, "/v1/operator/autopilot/health").await;
        let failed = h["Servers"]
            .as_array()?
            .iter()
            .any(|s| s["Address"] == lone_rpc.as_str() && s["SerfStatus"] == "failed");
        failed.then_some(())
    })
    .await;
    let (status, body) = c
        .put(0, &format!("/v1/agent/force-leave?node={name}"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for("two voters again", DEADLINE, || async {
        let (_, peers) = c.get(0, "/v1/status/peers").await;
        (peers.as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await;

    // No client on this agent: its server list cannot be set.
    let (status, text) = c
        .put(0, "/v1/agent/servers?address=127.0.0.1:4646", &json!({}))
        .await;
    assert_eq!(status, 501);
    assert_eq!(text, "Invalid method");
    c.shutdown().await;
}

/// Reads the monitor stream at `path` until `found` accepts a decoded
/// frame's text; frames are `{"Data": base64}` lines, heartbeats `{}`.
async fn monitor_until(c: &TestCluster, path: &str, found: impl Fn(&str) -> bool) -> String {
    let mut resp = c.client.get(c.url(0, path)).send().await.expect("GET");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut pending = String::new();
    loop {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("a log line before the deadline")
            .expect("stream")
            .expect("stream open");
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find('\n') {
            let frame: Value = serde_json::from_str(&pending[..end]).expect("a JSON frame");
            pending.drain(..=end);
            let Some(data) = frame["Data"].as_str() else {
                continue;
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .expect("base64");
            let text = String::from_utf8(bytes).expect("utf-8");
            if found(&text) {
                return text;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_streams_the_agents_log() {
    let c = TestCluster::start(1).await;
    let (status, text) = c.get(0, "/v1/agent/monitor?log_level=loud").await;
    assert_eq!(status, 400);
    assert_eq!(text, "Unknown log level: loud");

    // Debug lines come through although the agent logs at warn; the
    // monitor's own start is the first.
    let text = monitor_until(&c, "/v1/agent/monitor?log_level=debug", |t| {
        t.contains("monitor started")
    })
    .await;
    assert!(
        text.contains("[INFO]  drover::api::agent_monitor: monitor started"),
        "{text}"
    );

    let text = monitor_until(&c, "/v1/agent/monitor?log_level=info&log_json=true", |t| {
        t.contains("monitor started")
    })
    .await;
    let line = text
        .lines()
        .find(|l| l.contains("monitor started"))
        .expect("the line");
    let line: Value = serde_json::from_str(line).expect("hclog JSON");
    assert_eq!(line["@level"], "info");
    assert_eq!(line["@message"], "monitor started");
    assert_eq!(line["log_level"], "info");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_agents_server_list_is_replaced_and_used() {
    let c = TestCluster::start(1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Configured with a server that does not answer: the node cannot
    // register until the list is replaced.
    let mut config = AgentConfig {
        client: true,
        data_dir: Some(dir.path().to_path_buf()),
        bind_addr: std::net::Ipv4Addr::LOCALHOST.into(),
        name: "client-servers".into(),
        ..AgentConfig::default()
    };
    config.client_config.servers = vec!["http://127.0.0.9:1".to_string()];
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let agent = drover::agent::ClientAgent::start_with_listener(config, http)
        .await
        .expect("client agent starts");
    let base = format!("http://{}", agent.http_addr);
    let put = |path: &str| c.client.put(format!("{base}{path}")).send();

    let r = put("/v1/agent/servers").await.expect("PUT");
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.text().await.expect("body"), "missing server address");
    let r = put("/v1/agent/join?address=127.0.0.1:4647")
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 501);

    let server = c.http[0].trim_start_matches("http://").to_string();
    let r = put(&format!(
        "/v1/agent/servers?address={server}&address=127.0.0.9:1"
    ))
    .await
    .expect("PUT");
    assert_eq!(r.status().as_u16(), 200);
    let listed: Vec<String> = c
        .client
        .get(format!("{base}/v1/agent/servers"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let mut expected = vec![server, "127.0.0.9:1".to_string()];
    expected.sort();
    assert_eq!(listed, expected);
    // The client now reaches the cluster: its node registers.
    wait_for("the client's node", DEADLINE, || async {
        let (_, nodes) = c.get(0, "/v1/nodes").await;
        nodes
            .as_array()
            .and_then(|n| n.iter().find(|n| n["Name"] == "client-servers"))
            .map(|_| ())
    })
    .await;
    agent.shutdown().await;
    c.shutdown().await;
}

//! The event stream and the metrics endpoint: a subscriber on a follower
//! sees a registration's job and evaluation events and its placements,
//! filtered by topic, key and namespace; resuming by index; heartbeats;
//! `/v1/metrics` in JSON and Prometheus text.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

const DEADLINE: Duration = Duration::from_secs(30);

/// An open event stream, read line by line.
struct EventStream {
    resp: reqwest::Response,
    pending: String,
}

impl EventStream {
    async fn open(c: &TestCluster, i: usize, query: &str) -> Self {
        let resp = c
            .client
            .get(c.url(i, &format!("/v1/event/stream?{query}")))
            .send()
            .await
            .expect("GET");
        assert_eq!(resp.status().as_u16(), 200);
        EventStream {
            resp,
            pending: String::new(),
        }
    }

    /// The next line, decoded; panics at the deadline.
    async fn next(&mut self) -> Value {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.pending.find('\n') {
                let line: Value = serde_json::from_str(&self.pending[..end]).expect("JSON line");
                self.pending.drain(..=end);
                return line;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .expect("a line before the deadline")
                .expect("stream")
                .expect("stream open");
            self.pending.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events until `done` accepts one; returns all of them.
    async fn events_until(&mut self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let line = self.next().await;
            let Some(events) = line["Events"].as_array() else {
                continue;
            };
            for e in events {
                assert_eq!(
                    e["Index"], line["Index"],
                    "events carry their frame's index"
                );
                seen.push(e.clone());
                if done(e) {
                    return seen;
                }
            }
        }
    }
}

fn is(e: &Value, topic: &str, kind: &str, key: &str) -> bool {
    e["Topic"] == topic && e["Type"] == kind && e["Key"] == key
}

async fn gauge(c: &TestCluster, i: usize, name: &str) -> Option<f64> {
    let (_, m) = c.get(i, "/v1/metrics").await;
    m["Gauges"].as_array()?.iter().find(|g| g["Name"] == name)?["Value"].as_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_streams_a_registration_and_its_placements_filtered() {
    let c = TestCluster::start_with(3, |cfg| {
        cfg.event_heartbeat = Duration::from_millis(200);
    })
    .await;
    let leader = c.wait_leader().await;
    let follower = c.follower(leader);
    for i in 0..2 {
        let (status, body) = c
            .put(leader, "/v1/node/register", &node_json(i, "dc1", 4096))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // Live only: subscribe, then wait until the server counts it.
    let mut live = EventStream::open(
        &c,
        follower,
        "topic=Job:example&topic=Evaluation:example&topic=Allocation:example",
    )
    .await;
    wait_for("the subscriber to be counted", DEADLINE, || async {
        (gauge(&c, follower, "nomad.event.subscribers").await? >= 1.0).then_some(())
    })
    .await;

    let (status, resp) = c
        .put(
            leader,
            "/v1/jobs",
            &register_body(seed_job(&["dc1"], 2), None),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let register_index = resp["JobModifyIndex"].as_u64().expect("index");
    let mut other = seed_job(&["dc1"], 1);
    other["ID"] = json!("other");
    other["Name"] = json!("other");
    let (status, _) = c.put(leader, "/v1/jobs", &register_body(other, None)).await;
    assert_eq!(status, 200);

    let seen = live
        .events_until(|e| {
            e["Topic"] == "Allocation"
                && e["Payload"]["Allocation"]["JobID"] == "example"
                && e["Index"].as_u64() > Some(register_index)
        })
        .await;
    let registered = seen
        .iter()
        .find(|e| is(e, "Job", "JobRegistered", "example"))
        .expect("JobRegistered");
    assert_eq!(registered["Index"].as_u64(), Some(register_index));
    assert_eq!(registered["Namespace"], "default");
    assert_eq!(registered["Payload"]["Job"]["ID"], "example");
    let eval = seen
        .iter()
        .find(|e| e["Topic"] == "Evaluation" && e["Type"] == "EvaluationUpdated")
        .expect("EvaluationUpdated");
    assert_eq!(eval["Payload"]["Evaluation"]["JobID"], "example");
    assert_eq!(eval["FilterKeys"][0], "example");
    // Everything matched the filter: nothing of `other`, no nodes.
    for e in &seen {
        assert_ne!(e["Topic"], "Node", "{e}");
        assert!(
            e["Key"] == "example" || e["FilterKeys"][0] == "example",
            "filtered out: {e}"
        );
    }
    // A placement arrives as a plan result without its job.
    let alloc = seen
        .iter()
        .find(|e| e["Topic"] == "Allocation")
        .expect("allocation event");
    assert_eq!(alloc["Type"], "PlanResult");
    assert!(alloc["Payload"]["Allocation"]["Job"].is_null());

    // Resume: from just before the registration it is the first event;
    // from the registration on, later events only.
    let mut resumed = EventStream::open(
        &c,
        follower,
        &format!("topic=Job:example&index={}", register_index - 1),
    )
    .await;
    let first = resumed.events_until(|_| true).await;
    assert!(
        is(&first[0], "Job", "JobRegistered", "example"),
        "{}",
        first[0]
    );
    assert_eq!(first[0]["Index"].as_u64(), Some(register_index));
    let (status, _) = c.delete(leader, "/v1/job/example").await;
    assert_eq!(status, 200);
    let mut after = EventStream::open(
        &c,
        follower,
        &format!("topic=Job:example&index={register_index}"),
    )
    .await;
    let later = after
        .events_until(|e| is(e, "Job", "JobDeregistered", "example"))
        .await;
    assert!(
        later
            .iter()
            .all(|e| e["Index"].as_u64() > Some(register_index))
    );

    // Namespaces: another namespace sees none of it, only heartbeats;
    // `*` sees it all.
    let mut elsewhere = EventStream::open(&c, follower, "topic=Job&namespace=nope&index=1").await;
    assert_eq!(elsewhere.next().await, json!({}), "a heartbeat, no events");
    let mut everywhere = EventStream::open(&c, follower, "topic=Job&namespace=*&index=1").await;
    let any = everywhere.events_until(|_| true).await;
    assert_eq!(any[0]["Topic"], "Job");

    // A bad topic is refused.
    let (status, text) = c.get(follower, "/v1/event/stream?topic=a:b:c").await;
    assert_eq!(status, 400, "{text}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_in_json_and_prometheus_text() {
    let c = TestCluster::start(1).await;
    let (status, body) = c
        .put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    assert_eq!(status, 200);
    wait_for("the job to run or place", DEADLINE, || async {
        let (_, allocs) = c.get(0, "/v1/job/example/allocations").await;
        (!allocs.as_array()?.is_empty()).then_some(())
    })
    .await;

    let (status, m) = c.get(0, "/v1/metrics").await;
    assert_eq!(status, 200, "{m}");
    assert!(m["Timestamp"].as_str().is_some_and(|t| t.ends_with("UTC")));
    let names = |kind: &str| -> Vec<String> {
        m[kind]
            .as_array()
            .expect(kind)
            .iter()
            .filter_map(|g| g["Name"].as_str().map(String::from))
            .collect()
    };
    let gauges = names("Gauges");
    for g in [
        "nomad.broker.total_ready",
        "nomad.broker.total_unacked",
        "nomad.blocked_evals.total_blocked",
        "nomad.nomad.job_status.pending",
        "nomad.nomad.job_status.running",
        "nomad.nomad.job_summary.allocations",
        "nomad.event.subscribers",
    ] {
        assert!(gauges.iter().any(|n| n == g), "gauge {g} in {gauges:?}");
    }
    let counters = names("Counters");
    for n in [
        "nomad.raft.apply",
        "nomad.raft.entries",
        "nomad.server.writes",
        "nomad.plan.submit",
        "nomad.heartbeat.received",
        "nomad.event.published",
    ] {
        assert!(
            counters.iter().any(|c| c == n),
            "counter {n} in {counters:?}"
        );
    }
    let samples = names("Samples");
    for n in [
        "nomad.raft.commitTime",
        "nomad.server.propose",
        "nomad.plan.apply",
        "nomad.event.lag",
        "nomad.http.request",
    ] {
        assert!(samples.iter().any(|s| s == n), "sample {n} in {samples:?}");
    }
    let commit = m["Samples"]
        .as_array()
        .expect("samples")
        .iter()
        .find(|s| s["Name"] == "nomad.raft.commitTime")
        .expect("commit time");
    assert!(commit["Count"].as_u64() >= Some(2), "{commit}");

    let text = c
        .client
        .get(c.url(0, "/v1/metrics?format=prometheus"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("# TYPE nomad_raft_commitTime summary"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE nomad_broker_total_ready gauge"),
        "{text}"
    );
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').expect("name value");
        assert!(value.parse::<f64>().is_ok(), "a number: {line}");
        let bare = name.split('{').next().unwrap_or_default();
        assert!(
            !bare.is_empty()
                && bare
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
            "a metric name: {line}"
        );
    }
    let (status, _) = c.get(0, "/v1/metrics?format=xml").await;
    assert_eq!(status, 400);
    c.shutdown().await;
}

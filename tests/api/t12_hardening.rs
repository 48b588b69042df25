//! What a hostile or careless client sends cannot stall, overflow or trick
//! a server: large job files are parsed off the runtime, node calls need
//! the node's secret, figures and names are bounded, blocking reads of
//! missing objects wait.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, node_secret, register_body};
use crate::t06_scheduling::node_json;

/// A job file of `groups` groups like the seed's `cache` (about 400 bytes
/// each).
fn big_job_file(groups: usize) -> String {
    let mut s = String::from("job \"big\" {\n  datacenters = [\"dc1\"]\n");
    for g in 0..groups {
        s.push_str(&format!(
            "  group \"g{g}\" {{\n    count = 1\n    restart {{ attempts = 10  interval = \"5m\"  delay = \"25s\"  mode = \"delay\" }}\n    task \"redis\" {{\n      driver = \"docker\"\n      config {{ image = \"redis:3.2\"  port_map {{ db = 6379 }} }}\n      resources {{\n        cpu = 500\n        memory = 256\n        network {{ mbits = 10  port \"db\" {{}} }}\n      }}\n    }}\n  }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

async fn job_ids(c: &TestCluster) -> Vec<String> {
    let (_, list) = c.get(0, "/v1/jobs").await;
    list.as_array()
        .map(|l| {
            l.iter()
                .filter_map(|j| j["ID"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Before parsing was linear and ran off the runtime, four 1 MB files
/// took tens of seconds of the runtime's threads and heartbeats waited
/// behind them (21 s were seen).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_job_files_do_not_delay_heartbeats() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    let node = "00000000-0000-4000-8000-000000000000";
    let file = big_job_file(3_200);
    assert!(file.len() > 1_000_000, "{} bytes", file.len());
    let body = json!({ "JobHCL": file, "Canonicalize": true });
    let parses: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, body) = (c.client.clone(), c.url(0, "/v1/jobs/parse"), body.clone());
            tokio::spawn(async move {
                let r = client.put(url).json(&body).send().await.expect("parse");
                let status = r.status().as_u16();
                let job: Value = r.json().await.unwrap_or(Value::Null);
                (status, job["TaskGroups"].as_array().map(Vec::len))
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    while !parses.iter().all(|p| p.is_finished()) {
        let t = Instant::now();
        let (status, resp) = c
            .put_as(
                0,
                &format!("/v1/node/{node}/heartbeat"),
                &json!({}),
                &node_secret(node),
            )
            .await;
        assert_eq!(status, 200, "{resp}");
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for p in parses {
        assert_eq!(p.await.expect("task"), (200, Some(3_200)));
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a heartbeat took {slowest:?} while job files were parsed"
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_calls_need_the_nodes_secret_and_a_wrong_one_changes_nothing() {
    let c = TestCluster::start(1).await;
    let node = "00000000-0000-4000-8000-000000000000";
    let (status, _) = c
        .put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    assert_eq!(status, 200);
    let (_, before) = c.get(0, &format!("/v1/node/{node}")).await;

    let hb = format!("/v1/node/{node}/heartbeat");
    let (status, body) = c.put(0, &hb, &json!({})).await;
    assert_eq!(status, 403, "no secret: {body}");
    let (status, _) = c.put_as(0, &hb, &json!({}), "guess").await;
    assert_eq!(status, 403, "wrong secret");
    let (status, _) = c.put_as(0, &hb, &json!({}), &node_secret(node)).await;
    assert_eq!(status, 200, "right secret");

    // Re-registering a known node: without its secret, or with another.
    let mut hijack = node_json(0, "dc1", 1);
    hijack["Node"]["Name"] = json!("hijacked");
    hijack["Node"]["SecretID"] = json!("");
    let (status, body) = c.put(0, "/v1/node/register", &hijack).await;
    assert_eq!(status, 400, "{body}");
    hijack["Node"]["SecretID"] = json!("another-secret");
    let (status, body) = c.put(0, "/v1/node/register", &hijack).await;
    assert_eq!(status, 403, "{body}");

    // Allocation updates on the node's behalf.
    let (status, _) = c
        .put_as(
            0,
            &format!("/v1/node/{node}/allocations"),
            &json!({"Allocs": []}),
            "guess",
        )
        .await;
    assert_eq!(status, 403);

    // The client's pull of its allocations.
    let pull = |token: String| {
        let (client, url) = (
            c.client.clone(),
            c.url(0, &format!("/v1/node/{node}/client-allocs")),
        );
        async move {
            let r = client
                .get(url)
                .header("X-Nomad-Token", token)
                .send()
                .await
                .expect("GET");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(pull(String::new()).await.0, 403);
    assert_eq!(pull("guess".into()).await.0, 403);
    let (status, allocs) = pull(node_secret(node)).await;
    assert_eq!((status, &allocs["Allocs"]), (200, &json!({})), "{allocs}");

    let (_, after) = c.get(0, &format!("/v1/node/{node}")).await;
    assert_eq!(after["Name"], before["Name"]);
    assert_eq!(after["ModifyIndex"], before["ModifyIndex"]);
    assert_eq!(after["NodeResources"], before["NodeResources"]);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_beyond_their_bounds_and_explicit_zero_cpu_are_refused() {
    let c = TestCluster::start(1).await;
    let cases: [(&str, Value, &str); 4] = [
        (
            "huge-cpu",
            json!(5_000_000_000_000_000_000i64),
            "maximum CPU value",
        ),
        ("zero-cpu", json!(0), "minimum CPU value is 1; got 0"),
        ("neg-cpu", json!(-7), "minimum CPU value is 1; got -7"),
        ("max-cpu", json!(i64::MAX), "maximum CPU value"),
    ];
    for (id, cpu, message) in cases {
        let mut job = job_json(id, 1);
        job["TaskGroups"][0]["Tasks"][0]["Resources"]["CPU"] = cpu;
        let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
        assert_eq!(status, 400, "{id}: {body}");
        assert!(
            body.as_str().is_some_and(|b| b.contains(message)),
            "{id}: {body}"
        );
    }
    // Two tasks whose sum would pass i64: each is refused on its own.
    let mut job = job_json("sum", 1);
    let mut task = job["TaskGroups"][0]["Tasks"][0].clone();
    task["Name"] = json!("second");
    job["TaskGroups"][0]["Tasks"]
        .as_array_mut()
        .expect("tasks")
        .push(task);
    for t in 0..2 {
        job["TaskGroups"][0]["Tasks"][t]["Resources"]["MemoryMB"] = json!(i64::MAX / 2 + 1);
    }
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.as_str()
            .is_some_and(|b| b.contains("maximum MemoryMB value"))
    );
    assert!(job_ids(&c).await.is_empty(), "nothing was stored");

    // Left out, CPU and memory take Nomad's defaults.
    let mut job = job_json("defaults", 1);
    job["TaskGroups"][0]["Tasks"][0]["Resources"] = json!({});
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    let (_, stored) = c.get(0, "/v1/job/defaults").await;
    assert_eq!(stored["TaskGroups"][0]["Tasks"][0]["Resources"]["CPU"], 100);
    assert_eq!(
        stored["TaskGroups"][0]["Tasks"][0]["Resources"]["MemoryMB"],
        300
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_ids_and_names_are_refused() {
    let c = TestCluster::start(1).await;
    for bad in ["nul\0id", "new\nline", "esc\u{1b}[31m", "tab\tid"] {
        let (status, body) = c
            .put(0, "/v1/jobs", &register_body(job_json(bad, 1), None))
            .await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert!(
            body.as_str()
                .is_some_and(|b| b.contains("control character")),
            "{bad:?}: {body}"
        );
    }
    let mut job = job_json("good-id", 1);
    job["TaskGroups"][0]["Name"] = json!("ca\u{7}che");
    let (status, _) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 400);
    let mut node = node_json(5, "dc\n1", 4096);
    node["Node"]["Name"] = json!("host\u{1b}");
    let (status, _) = c.put(0, "/v1/node/register", &node).await;
    assert_eq!(status, 400);
    assert!(job_ids(&c).await.is_empty(), "nothing was stored");

    // Slashes, unicode and long IDs keep working.
    let long = "x".repeat(2_000);
    for good in ["web/frontend", "cache-日本-äöü", long.as_str()] {
        let (status, body) = c
            .put(0, "/v1/jobs", &register_body(job_json(good, 1), None))
            .await;
        assert_eq!(status, 200, "{good}: {body}");
    }
    assert_eq!(job_ids(&c).await.len(), 3);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_priority_outside_1_to_100_is_refused() {
    let c = TestCluster::start(1).await;
    for p in [100_000, -7, 101] {
        let body = json!({"Job": job_json("prio", 1), "EvalPriority": p});
        let (status, resp) = c.put(0, "/v1/jobs", &body).await;
        assert_eq!(status, 400, "{p}: {resp}");
        assert!(
            resp.as_str().is_some_and(|r| r.contains("EvalPriority")),
            "{resp}"
        );
    }
    assert!(job_ids(&c).await.is_empty());
    let body = json!({"Job": job_json("prio", 1), "EvalPriority": 70});
    let (status, resp) = c.put(0, "/v1/jobs", &body).await;
    assert_eq!(status, 200, "{resp}");
    let eval = resp["EvalID"].as_str().expect("eval id").to_string();
    let (_, e) = c.get(0, &format!("/v1/evaluation/{eval}")).await;
    assert_eq!(e["Priority"], 70);
    c.shutdown().await;
}

async fn index_of(c: &TestCluster, path: &str) -> u64 {
    let r = c.client.get(c.url(0, path)).send().await.expect("GET");
    r.headers()
        .get("X-Nomad-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("X-Nomad-Index")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_read_of_a_missing_object_waits_for_it() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/jobs", &register_body(job_json("other", 1), None))
        .await;
    let index = index_of(&c, "/v1/jobs").await;

    // Nothing changes: the read waits out its wait, then answers 404.
    let t = Instant::now();
    let (status, _) = c
        .get(0, &format!("/v1/job/nonexist?index={index}&wait=1s"))
        .await;
    assert_eq!(status, 404);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );

    // The job appears while the read waits: it is the answer.
    let waiting = {
        let (client, url) = (
            c.client.clone(),
            c.url(0, &format!("/v1/job/later?index={index}&wait=20s")),
        );
        tokio::spawn(async move {
            let r = client.get(url).send().await.expect("GET");
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "the read answered before the job existed"
    );
    let (status, _) = c
        .put(0, "/v1/jobs", &register_body(job_json("later", 1), None))
        .await;
    assert_eq!(status, 200);
    let (status, job) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered once the job exists")
        .expect("task");
    assert_eq!(status, 200);
    assert_eq!(job["ID"], "later");
    c.shutdown().await;
}

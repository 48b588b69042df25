//! A running agent under hostile input: malformed bodies and a seeded
//! mutation fuzz of valid jobs (JSON) and job files (HCL), bounded in
//! count. Every answer must be a 2xx or a 4xx, never a 5xx; a refused
//! write must leave the state as it was; nothing may panic anywhere in the
//! process (a panic hook counts them); and the agent must still answer at
//! the end.
//!
//! `DROVER_FUZZ_CASES` sets the number of mutated requests (default 1,000);
//! `DROVER_FUZZ_SEED` the seed (default fixed, so a failure reproduces).

#[path = "../common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use common::{TestCluster, job_json, node_secret};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
}

const SEED_FILE: &str = include_str!("../jobspec/good/example.nomad");
const MODERN_FILE: &str = include_str!("../jobspec/good/modern.nomad");

/// A value that is wrong somewhere a job field is expected.
fn hostile_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..16) {
        0 => json!(5_000_000_000_000_000_000u64),
        1 => json!(i64::MIN),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(1e300),
        5 => json!(1.5),
        6 => json!("x\u{0}\n\u{1b}[2J"),
        7 => json!("x".repeat(rng.random_range(1..100_000))),
        8 => Value::Null,
        9 => json!([]),
        10 => json!({}),
        11 => json!(true),
        12 => {
            let mut v = json!(1);
            for _ in 0..rng.random_range(10..200) {
                v = json!([v]);
            }
            v
        }
        13 => json!(["a", 1, null, {"b": []}]),
        14 => json!(u64::MAX),
        _ => json!("${NOMAD_ADDR}/../../etc/passwd"),
    }
}

/// Every path (object keys and array positions) of `v`.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(json!(k));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(json!(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            Value::String(k) => cur.get_mut(k.as_str())?,
            Value::Number(i) => cur.get_mut(i.as_u64()? as usize)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// A valid job with one to three fields replaced by hostile values.
fn mutated_job(rng: &mut StdRng, base: &Value) -> Value {
    let mut job = base.clone();
    let mut all = Vec::new();
    paths(&job, &mut Vec::new(), &mut all);
    for _ in 0..rng.random_range(1..=3) {
        let path = &all[rng.random_range(1..all.len())];
        if let Some(slot) = at_mut(&mut job, path) {
            *slot = hostile_value(rng);
        }
    }
    job
}

/// A job file with byte-level edits (kept valid UTF-8 through lossy
/// conversion, as an HTTP body in JSON must be).
fn mutated_file(rng: &mut StdRng) -> String {
    let base = if rng.random_bool(0.5) {
        SEED_FILE
    } else {
        MODERN_FILE
    };
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..8) {
        let i = rng.random_range(0..bytes.len());
        match rng.random_range(0..4) {
            0 => {
                const SIGNIFICANT: &[u8] = b"{}[]\"=#\n$%<>\\0\x1b";
                bytes[i] = SIGNIFICANT[rng.random_range(0..SIGNIFICANT.len())];
            }
            1 => {
                bytes.remove(i);
            }
            2 => bytes.insert(i, rng.random()),
            _ => {
                let end = (i + rng.random_range(1..400)).min(bytes.len());
                let piece = bytes[i..end].to_vec();
                bytes.splice(end..end, piece);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

struct Agent {
    c: TestCluster,
}

impl Agent {
    async fn send(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> (u16, String) {
        let r = self
            .c
            .client
            .request(method, self.c.url(0, path))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the agent answers");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// Each stored job's ID and spec version (`JobModifyIndex`). The
    /// scheduler keeps changing summaries and statuses in the background;
    /// a write moves the version.
    async fn jobs(&self) -> Vec<(String, u64)> {
        let (_, list) = self.c.get(0, "/v1/jobs").await;
        let mut jobs: Vec<(String, u64)> = list
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|j| {
                        (
                            j["ID"].as_str().unwrap_or_default().to_string(),
                            j["JobModifyIndex"].as_u64().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        jobs.sort();
        jobs
    }
}

fn assert_not_5xx(status: u16, what: &str, body: &str) {
    assert!(
        (200..500).contains(&status),
        "{what}: status {status}: {body}"
    );
}

/// The malformed inputs that once got through or broke something, each
/// refused with a 4xx and leaving the state as it was.
async fn known_bad_inputs(a: &Agent) {
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("/v1/jobs", b"{not json".to_vec()),
        ("/v1/jobs", b"[]".to_vec()),
        ("/v1/jobs", b"\"a string\"".to_vec()),
        ("/v1/jobs", deep.clone().into_bytes()),
        ("/v1/jobs", format!("{{\"Job\": {deep}}}").into_bytes()),
        ("/v1/jobs", vec![0xff, 0xfe, 0x00]),
        (
            "/v1/jobs/parse",
            b"{\"JobHCL\": \"job \\\"x\\\" {\"}".to_vec(),
        ),
        ("/v1/jobs/parse", b"{\"JobHCL\": 7}".to_vec()),
        ("/v1/validate/job", b"{\"Job\": \"x\"}".to_vec()),
        ("/v1/job/x/plan", b"{\"Job\": {\"ID\": \"y\"}}".to_vec()),
    ];
    let before = a.jobs().await;
    for (path, body) in cases {
        let (status, text) = a.send(reqwest::Method::PUT, path, body).await;
        assert!((400..500).contains(&status), "{path}: {status}: {text}");
    }
    let mut bad_jobs = Vec::new();
    for id in ["nul\u{0}", "line\nbreak", "\u{1b}[31mred"] {
        bad_jobs.push(job_json(id, 1));
    }
    let mut huge = job_json("huge", 1);
    huge["TaskGroups"][0]["Tasks"][0]["Resources"]["CPU"] = json!(5e18 as i64);
    bad_jobs.push(huge);
    let mut zero = job_json("zero", 1);
    zero["TaskGroups"][0]["Tasks"][0]["Resources"]["CPU"] = json!(0);
    bad_jobs.push(zero);
    for job in bad_jobs {
        let body = serde_json::to_vec(&json!({ "Job": job })).expect("encode");
        let (status, text) = a.send(reqwest::Method::PUT, "/v1/jobs", body).await;
        assert_eq!(status, 400, "{text}");
    }
    let body = serde_json::to_vec(&json!({"Job": job_json("p", 1), "EvalPriority": 100_000}))
        .expect("encode");
    let (status, _) = a.send(reqwest::Method::PUT, "/v1/jobs", body).await;
    assert_eq!(status, 400);
    assert_eq!(a.jobs().await, before, "refused writes changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_mutated_requests_get_4xx_change_nothing_when_refused_and_never_panic() {
    count_panics();
    let cases: usize = std::env::var("DROVER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let seed: u64 = std::env::var("DROVER_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0d20_7e12);
    let a = Agent {
        c: TestCluster::start(1).await,
    };
    // A node, so that plans and registrations reach the scheduler.
    let node_id = "00000000-0000-4000-8000-000000000001";
    let node = json!({"Node": {
        "ID": node_id, "SecretID": node_secret(node_id), "Name": "fuzz", "Datacenter": "dc1",
        "Attributes": {"kernel.name": "linux", "driver.docker": "1"},
        "Drivers": {"docker": {"Detected": true, "Healthy": true}},
        "NodeResources": {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192},
            "Disk": {"DiskMB": 100000}, "Networks": [{"IP": "127.0.0.9", "MBits": 1000}]}
    }});
    let (status, body) = a.c.put(0, "/v1/node/register", &node).await;
    assert_eq!(status, 200, "{body}");

    known_bad_inputs(&a).await;

    let mut rng = StdRng::seed_from_u64(seed);
    let base = job_json("fuzz", 2);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases {
        let what = format!("case {case} (seed {seed})");
        match rng.random_range(0..4) {
            // A registration: refused ones must change nothing.
            0 => {
                let job = mutated_job(&mut rng, &base);
                let before = a.jobs().await;
                let body = serde_json::to_vec(&json!({ "Job": job })).expect("encode");
                let (status, text) = a.send(reqwest::Method::PUT, "/v1/jobs", body).await;
                assert_not_5xx(status, &what, &text);
                if status >= 400 {
                    refused += 1;
                    assert_eq!(
                        a.jobs().await,
                        before,
                        "{what}: a refused write changed state"
                    );
                } else {
                    accepted += 1;
                }
            }
            1 => {
                let job = mutated_job(&mut rng, &base);
                // (An ID too long for a URL is planned under another: the
                // mismatch is refused, which is fine too.)
                let id = job["ID"]
                    .as_str()
                    .filter(|id| id.len() < 1_000)
                    .unwrap_or("fuzz")
                    .to_string();
                let path = format!("/v1/job/{}/plan", urlencode(&id));
                let body =
                    serde_json::to_vec(&json!({ "Job": job, "Diff": true })).expect("encode");
                let (status, text) = a.send(reqwest::Method::PUT, &path, body).await;
                assert_not_5xx(status, &what, &text);
            }
            2 => {
                let job = mutated_job(&mut rng, &base);
                let body = serde_json::to_vec(&json!({ "Job": job })).expect("encode");
                let (status, text) = a.send(reqwest::Method::PUT, "/v1/validate/job", body).await;
                assert_not_5xx(status, &what, &text);
            }
            _ => {
                let file = mutated_file(&mut rng);
                let body = serde_json::to_vec(&json!({ "JobHCL": file, "Canonicalize": true }))
                    .expect("encode");
                let (status, text) = a.send(reqwest::Method::PUT, "/v1/jobs/parse", body).await;
                assert_not_5xx(status, &what, &text);
                // What parses is registered as it came out.
                if status == 200
                    && let Ok(job) = serde_json::from_str::<Value>(&text)
                {
                    let body = serde_json::to_vec(&json!({ "Job": job })).expect("encode");
                    let (status, text) = a.send(reqwest::Method::PUT, "/v1/jobs", body).await;
                    assert_not_5xx(status, &what, &text);
                }
            }
        }
    }
    eprintln!(
        "{cases} mutated requests (seed {seed}): {accepted} registrations accepted, {refused} refused"
    );
    let (status, _) = a.c.get(0, "/v1/status/leader").await;
    assert_eq!(status, 200, "the agent still answers");
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "something panicked while serving hostile input (see the log above)"
    );
    a.c.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

//! Steady churn of short batch jobs against one server, to show that
//! garbage collection keeps the state and the server's memory flat.
//!
//!   bench-gc --addr http://127.0.0.1:4646 --pid PID [--rate 20] [--seconds 240]
//!            [--sample 10] [--nodes 4] [--node-churn 5] [--hour 5]
//!
//! It registers `--nodes` simulated nodes (datacenter dc1) and keeps them
//! alive; registers `--rate` batch jobs per second (`gc-N`, one small
//! allocation each); reports each allocation `complete` as soon as it is
//! placed (one blocking query over changed allocations, reports on the
//! nodes' behalf with their secrets); and every `--node-churn` seconds
//! registers a node in datacenter `churn` that never heartbeats, so it
//! goes down and is left for node GC. Every `--sample` seconds it prints
//! the number of jobs, evaluations, allocations and nodes the server
//! holds, the JSON bytes of those four lists, and the server's RSS.
//! `--hour` is how many real seconds stand for an hour (for the
//! simulated-time column only: the thresholds are the server's).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Args {
    addr: String,
    pid: Option<u32>,
    rate: f64,
    seconds: u64,
    sample: u64,
    nodes: usize,
    node_churn: u64,
    hour: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addr: "http://127.0.0.1:4646".into(),
        pid: None,
        rate: 20.0,
        seconds: 240,
        sample: 10,
        nodes: 4,
        node_churn: 5,
        hour: 5.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad {flag} {v}");
        match flag.as_str() {
            "--addr" => a.addr = v.clone(),
            "--pid" => a.pid = Some(v.parse().map_err(|_| bad())?),
            "--rate" => a.rate = v.parse().map_err(|_| bad())?,
            "--seconds" => a.seconds = v.parse().map_err(|_| bad())?,
            "--sample" => a.sample = v.parse().map_err(|_| bad())?,
            "--nodes" => a.nodes = v.parse().map_err(|_| bad())?,
            "--node-churn" => a.node_churn = v.parse().map_err(|_| bad())?,
            "--hour" => a.hour = v.parse().map_err(|_| bad())?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.rate <= 0.0 || a.sample == 0 || a.hour <= 0.0 {
        return Err("--rate, --sample and --hour must be positive".into());
    }
    Ok(a)
}

fn node_id(n: usize) -> String {
    format!("00000000-0000-4000-9000-{n:012}")
}

fn secret(id: &str) -> String {
    format!("bench-gc-{id}")
}

fn node(n: usize, dc: &str) -> Value {
    let id = node_id(n);
    json!({"Node": {
        "ID": id, "SecretID": secret(&id), "Name": format!("gc-node-{n}"),
        "Datacenter": dc, "HTTPAddr": format!("10.9.{}.{}:4646", n / 250, n % 250 + 1),
        "Attributes": {"kernel.name": "linux", "unique.hostname": format!("gc-node-{n}")},
        "Drivers": {"docker": {"Detected": true, "Healthy": true}},
        "NodeResources": {
            "Cpu": {"CpuShares": 100000}, "Memory": {"MemoryMB": 100000},
            "Disk": {"DiskMB": 100000},
            "Networks": [{"IP": format!("10.9.{}.{}", n / 250, n % 250 + 1), "MBits": 10000}]
        }
    }})
}

fn job(n: u64) -> Value {
    json!({"Job": {"ID": format!("gc-{n}"), "Type": "batch", "Datacenters": ["dc1"],
        "TaskGroups": [{"Name": "g", "Count": 1,
            "Tasks": [{"Name": "t", "Driver": "docker", "Config": {"image": "busybox"},
                "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}})
}

#[derive(Default)]
struct Counters {
    registered: AtomicU64,
    completed: AtomicU64,
    errors: AtomicU64,
}

async fn put(http: &reqwest::Client, url: String, body: &Value, token: Option<&str>) -> bool {
    let mut req = http.put(url).json(body);
    if let Some(t) = token {
        req = req.header("X-Nomad-Token", t);
    }
    matches!(req.send().await, Ok(r) if r.status().is_success())
}

/// Keeps the `n` live nodes heartbeating.
async fn heartbeats(http: reqwest::Client, addr: String, n: usize, c: Arc<Counters>) {
    loop {
        for i in 0..n {
            let id = node_id(i);
            let url = format!("{addr}/v1/node/{id}/heartbeat");
            if !put(&http, url, &json!({}), Some(&secret(&id))).await {
                c.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Reports every placed allocation complete.
async fn completer(http: reqwest::Client, addr: String, c: Arc<Counters>) {
    let mut index = 0u64;
    loop {
        let url =
            format!("{addr}/v1/allocations?stale&modified_after={index}&index={index}&wait=5s");
        let resp = match http.get(url).send().await {
            Ok(r) if r.status().is_success() => r,
            _ => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let next = resp
            .headers()
            .get("X-Nomad-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(index);
        let list: Vec<Value> = resp.json().await.unwrap_or_default();
        let mut by_node: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
        for a in list {
            if a["DesiredStatus"] == "run" && a["ClientStatus"] == "pending" {
                let node = a["NodeID"].as_str().unwrap_or_default().to_string();
                by_node
                    .entry(node)
                    .or_default()
                    .push(json!({"ID": a["ID"], "ClientStatus": "complete"}));
            }
        }
        for (node, allocs) in by_node {
            let n = allocs.len() as u64;
            let url = format!("{addr}/v1/node/{node}/allocations");
            if put(
                &http,
                url,
                &json!({ "Allocs": allocs }),
                Some(&secret(&node)),
            )
            .await
            {
                c.completed.fetch_add(n, Ordering::Relaxed);
            } else {
                c.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        index = index.max(next);
    }
}

/// Registers jobs at `rate` per second until `until`.
async fn churn(http: reqwest::Client, addr: String, rate: f64, until: Instant, c: Arc<Counters>) {
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    while Instant::now() < until {
        tick.tick().await;
        let (http, url, c) = (http.clone(), format!("{addr}/v1/jobs"), c.clone());
        let body = job(n);
        n += 1;
        tokio::spawn(async move {
            if put(&http, url, &body, None).await {
                c.registered.fetch_add(1, Ordering::Relaxed);
            } else {
                c.errors.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// Registers a node that never heartbeats every `every` seconds.
async fn node_churn(http: reqwest::Client, addr: String, first: usize, every: u64, until: Instant) {
    if every == 0 {
        return;
    }
    let mut n = first;
    while Instant::now() < until {
        put(
            &http,
            format!("{addr}/v1/node/register"),
            &node(n, "churn"),
            None,
        )
        .await;
        n += 1;
        tokio::time::sleep(Duration::from_secs(every)).await;
    }
}

/// How many items a list has, its JSON size and the Raft index it was
/// read at.
async fn list(http: &reqwest::Client, addr: &str, path: &str) -> (usize, usize, u64) {
    let Ok(r) = http.get(format!("{addr}{path}?stale")).send().await else {
        return (0, 0, 0);
    };
    let index = r
        .headers()
        .get("X-Nomad-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bytes = r.bytes().await.unwrap_or_default();
    let n = serde_json::from_slice::<Vec<Value>>(&bytes).map_or(0, |v| v.len());
    (n, bytes.len(), index)
}

fn rss_mib(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return 0.0 };
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One sample: jobs, evals, allocs, nodes, list bytes, RSS.
struct Sample {
    t: f64,
    jobs: usize,
    evals: usize,
    allocs: usize,
    nodes: usize,
    bytes: usize,
    rss: f64,
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let c = Arc::new(Counters::default());
    for i in 0..args.nodes {
        if !put(
            &http,
            format!("{}/v1/node/register", args.addr),
            &node(i, "dc1"),
            None,
        )
        .await
        {
            eprintln!("error: cannot register node {i} at {}", args.addr);
            std::process::exit(1);
        }
    }
    let start = Instant::now();
    let until = start + Duration::from_secs(args.seconds);
    tokio::spawn(heartbeats(
        http.clone(),
        args.addr.clone(),
        args.nodes,
        c.clone(),
    ));
    tokio::spawn(completer(http.clone(), args.addr.clone(), c.clone()));
    tokio::spawn(churn(
        http.clone(),
        args.addr.clone(),
        args.rate,
        until,
        c.clone(),
    ));
    tokio::spawn(node_churn(
        http.clone(),
        args.addr.clone(),
        args.nodes,
        args.node_churn,
        until,
    ));
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>6} {:>6} {:>6} {:>6} {:>9} {:>8} {:>9}",
        "t (s)",
        "sim h",
        "jobs reg",
        "complete",
        "jobs",
        "evals",
        "allocs",
        "nodes",
        "list KiB",
        "RSS MiB",
        "raft idx"
    );
    let mut samples = Vec::new();
    loop {
        let t = start.elapsed().as_secs_f64();
        let (jobs, jb, ji) = list(&http, &args.addr, "/v1/jobs").await;
        let (evals, eb, ei) = list(&http, &args.addr, "/v1/evaluations").await;
        let (allocs, ab, ai) = list(&http, &args.addr, "/v1/allocations").await;
        let (nodes, nb, ni) = list(&http, &args.addr, "/v1/nodes").await;
        let index = ji.max(ei).max(ai).max(ni);
        let s = Sample {
            t,
            jobs,
            evals,
            allocs,
            nodes,
            bytes: jb + eb + ab + nb,
            rss: rss_mib(args.pid),
        };
        println!(
            "{:>6.0} {:>7.1} {:>9} {:>9} {:>6} {:>6} {:>6} {:>6} {:>9.0} {:>8.1} {:>9}",
            s.t,
            s.t / args.hour,
            c.registered.load(Ordering::Relaxed),
            c.completed.load(Ordering::Relaxed),
            s.jobs,
            s.evals,
            s.allocs,
            s.nodes,
            s.bytes as f64 / 1024.0,
            s.rss,
            index
        );
        samples.push(s);
        if Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_secs(args.sample)).await;
    }
    summarize(&samples, &c);
}

/// A sampled figure and how to read it.
type Field = (&'static str, fn(&Sample) -> f64);

/// Compares the second half of the run with the first.
fn summarize(samples: &[Sample], c: &Counters) {
    let half = samples.len() / 2;
    let (early, late) = samples.split_at(half.max(1).min(samples.len()));
    let max = |s: &[Sample], f: fn(&Sample) -> f64| s.iter().map(f).fold(0.0, f64::max);
    let fields: [Field; 5] = [
        ("jobs", |s| s.jobs as f64),
        ("evals", |s| s.evals as f64),
        ("allocs", |s| s.allocs as f64),
        ("list KiB", |s| s.bytes as f64 / 1024.0),
        ("RSS MiB", |s| s.rss),
    ];
    println!(
        "registered {} jobs, reported {} allocations complete, {} errors",
        c.registered.load(Ordering::Relaxed),
        c.completed.load(Ordering::Relaxed),
        c.errors.load(Ordering::Relaxed)
    );
    for (name, f) in fields {
        println!(
            "{name:>9}: max over the first half {:>9.1}, over the second half {:>9.1}, last {:>9.1}",
            max(early, f),
            max(late, f),
            late.last().map_or(0.0, f)
        );
    }
}

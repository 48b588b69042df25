//! End-to-end scheduling throughput: registers many jobs at once and
//! measures the time from the first registration until every allocation
//! is committed, plus evaluation latency (create -> complete).
//!
//!   bench-scheduler --addrs http://a,http://b --jobs 100 --count 1000 [--concurrency 16]
//!                   [--until placed|running]
//!
//! `--until running` keeps going until the nodes have reported every
//! allocation running, and says how long that took.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

struct Args {
    addrs: Vec<String>,
    jobs: usize,
    count: usize,
    concurrency: usize,
    timeout: u64,
    until_running: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addrs: vec!["http://127.0.0.1:4646".into()],
        jobs: 100,
        count: 1000,
        concurrency: 16,
        timeout: 600,
        until_running: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<usize>().map_err(|_| format!("bad {flag} {v}"));
        match flag.as_str() {
            "--addrs" => a.addrs = v.split(',').map(str::to_string).collect(),
            "--jobs" => a.jobs = num(&v)?,
            "--count" => a.count = num(&v)?,
            "--concurrency" => a.concurrency = num(&v)?,
            "--timeout" => a.timeout = num(&v)? as u64,
            "--until" => {
                a.until_running = match v.as_str() {
                    "placed" => false,
                    "running" => true,
                    _ => return Err(format!("bad --until {v}: placed or running")),
                }
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn job(id: &str, count: usize) -> Value {
    json!({"Job": {"ID": id, "Type": "service", "Datacenters": ["*"],
        "Update": {"MaxParallel": 0},
        "TaskGroups": [{"Name": "g", "Count": count, "Tasks": [{
            "Name": "t", "Driver": "docker", "Config": {"image": "redis:3.2"},
            "Resources": {"CPU": 10, "MemoryMB": 10}}]}]}})
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Allocations placed (starting, running or complete) and running.
async fn placed(http: &reqwest::Client, addr: &str) -> Option<(u64, u64)> {
    let list: Value = http
        .get(format!("{addr}/v1/jobs?prefix=bench-&stale=true"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let count = |keys: &[&str]| -> u64 {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|j| {
                let s = &j["JobSummary"]["Summary"]["g"];
                keys.iter().map(|k| s[k].as_u64().unwrap_or(0)).sum::<u64>()
            })
            .sum()
    };
    Some((
        count(&["Starting", "Running", "Complete"]),
        count(&["Running"]),
    ))
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
    let http = reqwest::Client::new();
    let total = (args.jobs * args.count) as u64;
    println!(
        "registering {} jobs of count {} ({total} allocations)",
        args.jobs, args.count
    );
    let started = Instant::now();
    let errors: usize = futures::stream::iter(0..args.jobs)
        .map(|j| {
            let http = http.clone();
            let addr = args.addrs[j % args.addrs.len()].clone();
            let count = args.count;
            async move {
                let r = http
                    .put(format!("{addr}/v1/jobs"))
                    .json(&job(&format!("bench-{j}"), count))
                    .send()
                    .await;
                usize::from(!matches!(r, Ok(r) if r.status().is_success()))
            }
        })
        .buffer_unordered(args.concurrency)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let registered = started.elapsed();
    println!(
        "registered in {:.2} s ({errors} errors)",
        registered.as_secs_f64()
    );
    let deadline = started + Duration::from_secs(args.timeout);
    let (mut last, mut running) = (0, 0);
    let mut placed_after: Option<f64> = None;
    loop {
        if let Some((n, r)) = placed(&http, &args.addrs[0]).await {
            (last, running) = (n, r);
            if n >= total && placed_after.is_none() {
                placed_after = Some(started.elapsed().as_secs_f64());
            }
            if placed_after.is_some() && (!args.until_running || r >= total) {
                break;
            }
        }
        if Instant::now() > deadline {
            println!("timed out with {last} of {total} placed, {running} running");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let elapsed = placed_after.unwrap_or_else(|| started.elapsed().as_secs_f64());
    println!(
        "placed {last} allocations in {elapsed:.2} s: {:.0} placements/s",
        last as f64 / elapsed
    );
    if args.until_running {
        println!(
            "{running} allocations reported running after {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    let evals: Value = match http
        .get(format!("{}/v1/evaluations?stale=true", args.addrs[0]))
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let mut lat: Vec<f64> = evals
        .as_array()
        .map(|l| {
            l.iter()
                .filter(|e| e["TriggeredBy"] == "job-register" && e["Status"] == "complete")
                .filter_map(|e| {
                    Some((e["ModifyTime"].as_i64()? - e["CreateTime"].as_i64()?) as f64 / 1e6)
                })
                .collect()
        })
        .unwrap_or_default();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    println!(
        "evaluation latency (create -> complete) over {} evaluations: p50 {:.0} ms, p99 {:.0} ms",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
}

//! Job registrations per second through the HTTP API, with latency
//! percentiles, for several numbers of concurrent clients. Each client
//! registers new jobs (one Raft entry each: job + evaluation) on the
//! servers in turn, so most requests are forwarded by a follower.
//!
//!   bench-api --addrs http://127.0.0.1:4646,... [--clients 1,64] [--seconds 5]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

struct Args {
    addrs: Vec<String>,
    clients: Vec<usize>,
    seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addrs: vec!["http://127.0.0.1:4646".into()],
        clients: vec![1, 64],
        seconds: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addrs" => args.addrs = value.split(',').map(str::to_string).collect(),
            "--clients" => {
                args.clients = value
                    .split(',')
                    .map(|c| c.parse().map_err(|_| format!("bad --clients {c}")))
                    .collect::<Result<_, _>>()?
            }
            "--seconds" => args.seconds = value.parse().map_err(|_| "bad --seconds")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

fn job(id: &str) -> serde_json::Value {
    json!({"Job": {"ID": id, "Datacenters": ["dc1"], "TaskGroups": [{"Name": "cache", "Count": 1,
        "Tasks": [{"Name": "redis", "Driver": "docker", "Config": {"image": "redis:3.2"},
                   "Resources": {"CPU": 500, "MemoryMB": 256}}]}]}})
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(args: &Args, clients: usize, round: usize) -> Result<(), String> {
    let http = reqwest::Client::new();
    let seq = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let http = http.clone();
        let seq = seq.clone();
        let errors = errors.clone();
        let addrs = args.addrs.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut k = c;
            while Instant::now() < stop {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let addr = &addrs[k % addrs.len()];
                k += 1;
                let body = job(&format!("bench-{round}-{n}"));
                let t = Instant::now();
                match http.put(format!("{addr}/v1/jobs")).json(&body).send().await {
                    Ok(r) if r.status().is_success() => lat.push(t.elapsed()),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "{clients:>4} clients: {:>8.0} registrations/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ok, {} errors)",
        all.len() as f64 / elapsed,
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all.len(),
        errors.load(Ordering::Relaxed),
    );
    Ok(())
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
    println!(
        "job registrations through the HTTP API of {} servers, {} s per run",
        args.addrs.len(),
        args.seconds
    );
    for (round, clients) in args.clients.iter().enumerate() {
        if let Err(e) = run(&args, *clients, round).await {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

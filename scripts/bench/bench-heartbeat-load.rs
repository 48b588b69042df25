//! Heartbeat latency while clients flood a server with large job files.
//!
//! Registers one node, then for `--seconds`: `--clients` tasks each send a
//! job file of about 1 MB (`--groups` groups) to `/v1/jobs/parse` in a
//! loop, while the node heartbeats every 100 ms to the same server. Prints
//! the heartbeats' latency (p50, p99, max) and the job files parsed.
//!
//! Run through `scripts/bench-heartbeat-load.sh` (3 servers on loopback).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:4646")]
    addr: String,
    #[arg(long, default_value_t = 4)]
    clients: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    #[arg(long, default_value_t = 2_600)]
    groups: usize,
}

fn job_file(groups: usize) -> String {
    let mut s = String::from("job \"big\" {\n  datacenters = [\"dc1\"]\n");
    for g in 0..groups {
        s.push_str(&format!(
            "  group \"g{g}\" {{\n    count = 1\n    restart {{ attempts = 10  interval = \"5m\"  delay = \"25s\"  mode = \"delay\" }}\n    ephemeral_disk {{ size = 300 }}\n    task \"redis\" {{\n      driver = \"docker\"\n      config {{\n        image = \"redis:3.2\"\n        port_map {{ db = 6379 }}\n      }}\n      resources {{\n        cpu    = 500\n        memory = 256\n        network {{\n          mbits = 10\n          port \"db\" {{}}\n        }}\n      }}\n    }}\n  }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let http = reqwest::Client::new();
    let node_id = "0b0b0b0b-0000-4000-8000-000000000001";
    let secret = "bench-heartbeat-load-secret";
    let node = json!({"Node": {
        "ID": node_id, "SecretID": secret, "Name": "bench", "Datacenter": "dc1",
        "Attributes": {"kernel.name": "linux"},
        "NodeResources": {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192}}
    }});
    let r = http
        .put(format!("{}/v1/node/register", args.addr))
        .json(&node)
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("register: {} {}", r.status(), r.text().await?).into());
    }
    let file = job_file(args.groups);
    let body = Arc::new(serde_json::to_vec(&json!({"JobHCL": file}))?);
    println!(
        "{} clients sending {:.2} MB job files ({} groups) to {} for {} s",
        args.clients,
        file.len() as f64 / 1e6,
        args.groups,
        args.addr,
        args.seconds
    );
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let parsed = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for _ in 0..args.clients {
        let (http, url, body) = (
            http.clone(),
            format!("{}/v1/jobs/parse", args.addr),
            body.clone(),
        );
        let (parsed, refused) = (parsed.clone(), refused.clone());
        load.push(tokio::spawn(async move {
            while Instant::now() < end {
                let ok = http
                    .put(&url)
                    .header("Content-Type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok { &parsed } else { &refused }.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0u64;
    let hb = format!("{}/v1/node/{node_id}/heartbeat", args.addr);
    while Instant::now() < end {
        let t = Instant::now();
        let ok = http
            .put(&hb)
            .header("X-Nomad-Token", secret)
            .json(&json!({}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        latencies.push(t.elapsed());
        if !ok {
            failed += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for l in load {
        let _ = l.await;
    }
    latencies.sort();
    println!(
        "heartbeats: {} sent, {} failed; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        failed,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    println!(
        "job files parsed: {} ({:.1}/s), refused or failed: {}",
        parsed.load(Ordering::Relaxed),
        parsed.load(Ordering::Relaxed) as f64 / args.seconds as f64,
        refused.load(Ordering::Relaxed)
    );
    Ok(())
}

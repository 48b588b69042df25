//! Event stream delivery under a placement run: opens many subscribers of
//! `/v1/event/stream` (every topic, spread over the servers), waits until
//! the servers count them, prints `subscribed`, then reads until every
//! subscriber has seen `--expect` allocation placements (`PlanResult`).
//!
//!   bench-events --addrs http://a,http://b --subscribers 100 --expect 10000 [--timeout 600]
//!
//! Reports events/s delivered (all subscribers together, from the first
//! placement event received to the last subscriber done), per-subscriber
//! rates, subscribers closed for falling behind, and, from the servers'
//! `/v1/metrics`, `nomad.event.lag`: an entry seen applied on the server
//! until its frame is handed to a subscriber's connection. Subscriber 0
//! also decodes every allocation event and measures allocation creation
//! (the scheduler's `CreateTime`) to receipt, which adds plan commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Args {
    addrs: Vec<String>,
    subscribers: usize,
    expect: u64,
    timeout: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addrs: vec!["http://127.0.0.1:4646".into()],
        subscribers: 100,
        expect: 10_000,
        timeout: 600,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|_| format!("bad {flag} {v}"));
        match flag.as_str() {
            "--addrs" => a.addrs = v.split(',').map(str::to_string).collect(),
            "--subscribers" => a.subscribers = num(&v)? as usize,
            "--expect" => a.expect = num(&v)?,
            "--timeout" => a.timeout = num(&v)?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

/// What one subscriber saw.
#[derive(Default)]
struct Seen {
    events: u64,
    placements: u64,
    bytes: u64,
    first: Option<Instant>,
    done: Option<Instant>,
    lagged: bool,
    /// Creation to receipt (ms), subscriber 0 only.
    create_lag: Vec<f64>,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

async fn subscribe(
    http: reqwest::Client,
    addr: String,
    expect: u64,
    decode: bool,
    opened: Arc<AtomicU64>,
) -> Seen {
    let mut seen = Seen::default();
    let Ok(mut resp) = http.get(format!("{addr}/v1/event/stream")).send().await else {
        eprintln!("cannot subscribe at {addr}");
        return seen;
    };
    opened.fetch_add(1, Ordering::Relaxed);
    let mut pending: Vec<u8> = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let at = Instant::now();
        seen.bytes += chunk.len() as u64;
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            if text.starts_with("{\"Error\"") {
                seen.lagged = true;
                return seen;
            }
            let events = text.matches("\"Topic\":").count() as u64;
            let placements = text.matches("\"Type\":\"PlanResult\"").count() as u64;
            seen.events += events;
            seen.placements += placements;
            if placements > 0 && seen.first.is_none() {
                seen.first = Some(at);
            }
            if decode && placements > 0 {
                let received = now_ns();
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    for e in v["Events"].as_array().into_iter().flatten() {
                        if let Some(created) = e["Payload"]["Allocation"]["CreateTime"].as_i64() {
                            seen.create_lag.push((received - created) as f64 / 1e6);
                        }
                    }
                }
            }
            if seen.placements >= expect {
                seen.done = Some(at);
                return seen;
            }
        }
    }
    seen
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn sample(http: &reqwest::Client, addr: &str, name: &str) -> Option<Value> {
    let m: Value = http
        .get(format!("{addr}/v1/metrics"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    ["Samples", "Counters", "Gauges"].iter().find_map(|k| {
        m[*k]
            .as_array()?
            .iter()
            .find(|s| s["Name"] == name)
            .cloned()
    })
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
        .pool_max_idle_per_host(args.subscribers)
        .build()
        .unwrap_or_default();
    let opened = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..args.subscribers)
        .map(|i| {
            tokio::spawn(subscribe(
                http.clone(),
                args.addrs[i % args.addrs.len()].clone(),
                args.expect,
                i == 0,
                opened.clone(),
            ))
        })
        .collect();
    // Every stream is counted by its server before the run starts.
    let ready_by = Instant::now() + Duration::from_secs(60);
    loop {
        let mut counted = 0.0;
        for a in &args.addrs {
            if let Some(g) = sample(&http, a, "nomad.event.subscribers").await {
                counted += g["Value"].as_f64().unwrap_or(0.0);
            }
        }
        if counted as usize >= args.subscribers {
            break;
        }
        if Instant::now() > ready_by {
            eprintln!("only {counted} of {} subscribers counted", args.subscribers);
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("subscribed: {} streams", args.subscribers);
    let mut all = Vec::new();
    let deadline = Duration::from_secs(args.timeout);
    for t in tasks {
        match tokio::time::timeout(deadline, t).await {
            Ok(Ok(s)) => all.push(s),
            _ => all.push(Seen::default()),
        }
    }
    let first = all.iter().filter_map(|s| s.first).min();
    let last = all.iter().filter_map(|s| s.done).max();
    let done = all.iter().filter(|s| s.done.is_some()).count();
    let lagged = all.iter().filter(|s| s.lagged).count();
    let events: u64 = all.iter().map(|s| s.events).sum();
    let bytes: u64 = all.iter().map(|s| s.bytes).sum();
    println!(
        "{done} of {} subscribers saw all {} placements; {lagged} closed for falling behind",
        args.subscribers, args.expect
    );
    if let (Some(f), Some(l)) = (first, last) {
        let secs = l.duration_since(f).as_secs_f64().max(1e-9);
        println!(
            "delivered {events} events ({:.1} MB) in {secs:.2} s: {:.0} events/s in total, {:.0} per subscriber",
            bytes as f64 / 1e6,
            events as f64 / secs,
            events as f64 / secs / args.subscribers as f64
        );
    }
    let mut lag = std::mem::take(&mut all[0].create_lag);
    lag.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    println!(
        "allocation created -> received (subscriber 0, {} events): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        lag.len(),
        pct(&lag, 0.5),
        pct(&lag, 0.99),
        lag.last().copied().unwrap_or(0.0)
    );
    for (i, a) in args.addrs.iter().enumerate() {
        let lag = sample(&http, a, "nomad.event.lag")
            .await
            .unwrap_or(Value::Null);
        let delivered = sample(&http, a, "nomad.event.delivered")
            .await
            .unwrap_or(Value::Null);
        println!(
            "server {i}: applied -> handed to subscriber: mean {:.1} ms, max {:.1} ms over {} frames; {} events delivered",
            lag["Mean"].as_f64().unwrap_or(0.0),
            lag["Max"].as_f64().unwrap_or(0.0),
            lag["Count"].as_u64().unwrap_or(0),
            delivered["Count"].as_u64().unwrap_or(0)
        );
    }
}

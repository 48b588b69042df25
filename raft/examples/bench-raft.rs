//! Commit throughput and latency of a 3-server group on loopback TCP with
//! durable sled logs, against the raw flush rate of the same disk.
//!
//! Run through `scripts/bench-raft.sh`. Arguments (all optional):
//! `--writers 1,16,256 --seconds 5 --dir DIR --value-bytes 64`.

use std::time::{Duration, Instant};

use drover_raft::rpc::RpcRequest;
use drover_raft::testing::Kv;
use drover_raft::transport::tcp::TcpTransport;
use drover_raft::{RaftConfig, RaftNode, Transport};
use tokio::net::TcpListener;

struct Args {
    writers: Vec<usize>,
    seconds: u64,
    dir: Option<std::path::PathBuf>,
    value_bytes: usize,
    servers: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        writers: vec![1, 16, 256],
        seconds: 5,
        dir: None,
        value_bytes: 64,
        servers: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--writers" => {
                args.writers = value
                    .split(',')
                    .map(|w| w.parse().map_err(|e| format!("--writers {w}: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--seconds" => args.seconds = value.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--dir" => args.dir = Some(value.into()),
            "--value-bytes" => {
                args.value_bytes = value.parse().map_err(|e| format!("--value-bytes: {e}"))?
            }
            "--servers" => args.servers = value.parse().map_err(|e| format!("--servers: {e}"))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(what: &str, count: usize, elapsed: Duration, mut lat: Vec<Duration>) {
    lat.sort();
    println!(
        "{what:<24} {:>9.0} /s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({count} in {:.1} s)",
        count as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        elapsed.as_secs_f64()
    );
}

/// One small durable write at a time: insert then flush, as a log append is.
fn raw_flush(dir: &std::path::Path, seconds: u64, value: &[u8]) -> Result<(), String> {
    let db = drover_storage::Db::open(dir.join("flush-probe")).map_err(|e| e.to_string())?;
    let tree = db.tree("probe").map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut lat = Vec::new();
    let mut i: u64 = 0;
    while Instant::now() < deadline {
        let t = Instant::now();
        tree.insert(i.to_be_bytes(), value)
            .map_err(|e| e.to_string())?;
        db.flush().map_err(|e| e.to_string())?;
        lat.push(t.elapsed());
        i += 1;
    }
    report("raw flush (1 writer)", lat.len(), start.elapsed(), lat);
    Ok(())
}

async fn start_cluster(dir: &std::path::Path, servers: usize) -> Result<Vec<RaftNode>, String> {
    let mut listeners = Vec::new();
    for _ in 0..servers {
        listeners.push(
            TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let addrs: Vec<String> = listeners
        .iter()
        .map(|l| {
            l.local_addr()
                .map(|a| a.to_string())
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let mut nodes = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let mut config = RaftConfig::new(dir.join(format!("s{i}")), &addrs[i]);
        config.bootstrap_expect = servers;
        config.retry_join = addrs.clone();
        config.retry_interval = Duration::from_millis(100);
        let node = RaftNode::start_tcp(config, Kv::default(), listener)
            .await
            .map_err(|e| e.to_string())?;
        nodes.push(node);
    }
    Ok(nodes)
}

async fn wait_leader(nodes: &[RaftNode]) -> Result<RaftNode, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(n) = nodes.iter().find(|n| n.is_leader()) {
            return Ok(n.clone());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("no leader within 30 s".into())
}

/// The transport's own cost: one small request and its answer over TCP.
async fn rpc_round_trip(nodes: &[RaftNode]) -> Result<(), String> {
    let Some(target) = nodes.iter().find(|n| !n.is_leader()) else {
        return Ok(());
    };
    let transport = TcpTransport::new();
    let mut lat = Vec::new();
    let start = Instant::now();
    for _ in 0..2000 {
        let t = Instant::now();
        transport
            .call(target.addr(), RpcRequest::Info, Duration::from_secs(1))
            .await
            .map_err(|e| e.to_string())?;
        lat.push(t.elapsed());
    }
    report("tcp rpc round trip", lat.len(), start.elapsed(), lat);
    Ok(())
}

async fn run_writers(dir: &std::path::Path, writers: usize, args: &Args) -> Result<(), String> {
    let (seconds, value_bytes) = (args.seconds, args.value_bytes);
    let nodes = start_cluster(dir, args.servers).await?;
    let leader = wait_leader(&nodes).await?;
    // Warm up connections and the log.
    for k in 0..100 {
        leader
            .write(format!("warm{k}=x").into_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    if writers == 1 {
        rpc_round_trip(&nodes).await?;
    }
    let value = "v".repeat(value_bytes);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let leader = leader.clone();
        let value = value.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut k = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                leader
                    .write(format!("w{w}-{k}={value}").into_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                lat.push(t.elapsed());
                k += 1;
            }
            Ok::<_, String>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.map_err(|e| e.to_string())??);
    }
    let elapsed = start.elapsed();
    report(
        &format!("raft commit, {writers} writers"),
        lat.len(),
        elapsed,
        lat,
    );
    for n in nodes {
        n.shutdown().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench-raft: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
            tmp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    println!(
        "data directory: {} ({} servers, loopback TCP, sled log, value {} B)",
        dir.display(),
        args.servers,
        args.value_bytes
    );
    raw_flush(&dir, args.seconds.min(3), &vec![b'v'; args.value_bytes])?;
    for (i, w) in args.writers.iter().enumerate() {
        run_writers(&dir.join(format!("run{i}")), *w, &args).await?;
    }
    Ok(())
}

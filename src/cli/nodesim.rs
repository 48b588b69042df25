//! `drover nodesim`.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;
use drover::api_client::normalize_address;
use drover::nodesim::{NodesimConfig, Stats, WatchMode, run};
use tokio_util::sync::CancellationToken;

#[derive(Args, Debug)]
pub struct NodesimArgs {
    /// HTTP address of a server (repeatable; tried in turn).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "http://127.0.0.1:4646",
        env = "DROVER_ADDR"
    )]
    address: Vec<String>,
    /// How many nodes to simulate.
    #[arg(long, default_value_t = 10)]
    nodes: usize,
    /// Datacenters the nodes are spread over (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "dc1")]
    datacenters: Vec<String>,
    /// CPU of each node in MHz.
    #[arg(long, default_value_t = 4000)]
    cpu: i64,
    /// Memory of each node in MB.
    #[arg(long, default_value_t = 8192)]
    memory: i64,
    /// Do not report placed allocations as running.
    #[arg(long = "no-report")]
    no_report: bool,
    /// Concurrent requests (registration, heartbeats, shared reports).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How nodes learn about their allocations: `shared` (one blocking
    /// query over all allocations) or `per-node` (each node long-polls its
    /// own, as a real client does).
    #[arg(long, value_name = "MODE", default_value = "shared")]
    watch: WatchMode,
}

pub fn run_cli(args: NodesimArgs) -> ExitCode {
    let addresses = args.address.iter().map(|a| normalize_address(a)).collect();
    let cfg = NodesimConfig {
        addresses,
        nodes: args.nodes,
        datacenters: args.datacenters,
        cpu: args.cpu,
        memory: args.memory,
        report_running: !args.no_report,
        concurrency: args.concurrency,
        watch: args.watch,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let stop = CancellationToken::new();
        let stats = Arc::new(Stats::default());
        let nodes = cfg.nodes;
        let sim = tokio::spawn(run(cfg, stats.clone(), stop.clone()));
        let report = {
            let stats = stats.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut announced = false;
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                    let registered = stats.registered.load(Ordering::Relaxed);
                    if registered as usize == nodes && !announced {
                        println!("==> {registered} nodes registered");
                        announced = true;
                    }
                    println!(
                        "    nodes {registered}, heartbeats {}, allocations reported {}, pulls {}, fetched {}, errors {}",
                        stats.heartbeats.load(Ordering::Relaxed),
                        stats.reported.load(Ordering::Relaxed),
                        stats.pulls.load(Ordering::Relaxed),
                        stats.fetched.load(Ordering::Relaxed),
                        stats.errors.load(Ordering::Relaxed),
                    );
                }
            })
        };
        let code = tokio::select! {
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
            r = sim => match r {
                Ok(Err(e)) => { eprintln!("Error: {e}"); ExitCode::from(1) }
                _ => ExitCode::SUCCESS,
            },
        };
        stop.cancel();
        let _ = report.await;
        code
    })
}

//! `drover agent`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use drover::agent::logging::{self, LogLevel};
use drover::agent::{Agent, AgentConfig, ClientAgent};

#[derive(Args, Debug)]
pub struct AgentArgs {
    /// Run a one-server cluster for a quick try (data in a temporary
    /// directory unless -data-dir is given).
    #[arg(long)]
    dev: bool,
    /// Run the server role.
    #[arg(long)]
    server: bool,
    /// Run the client role.
    #[arg(long)]
    client: bool,
    /// Agent configuration files (HCL), read in order; flags override them.
    #[arg(long = "config", value_name = "FILE")]
    config: Vec<PathBuf>,
    /// Where the agent keeps its state.
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The address to bind (HTTP and RPC).
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// The number of servers to wait for before forming a cluster.
    #[arg(long = "bootstrap-expect", value_name = "N")]
    bootstrap_expect: Option<usize>,
    /// A server to join (host or host:port of its RPC address); repeatable.
    #[arg(long = "retry-join", value_name = "ADDR")]
    retry_join: Vec<String>,
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    #[arg(long = "dc", value_name = "DC")]
    datacenter: Option<String>,
    /// The agent's name.
    #[arg(long = "node", value_name = "NAME")]
    node: Option<String>,
    /// The HTTP port (default 4646).
    #[arg(long = "http-port", value_name = "PORT")]
    http_port: Option<u16>,
    /// The server RPC port (default 4647).
    #[arg(long = "rpc-port", value_name = "PORT")]
    rpc_port: Option<u16>,
    /// Client: the servers' HTTP addresses (host:port), comma-separated or
    /// repeated.
    #[arg(long, value_name = "ADDR,...", value_delimiter = ',')]
    servers: Vec<String>,
    /// Client: the node class.
    #[arg(long = "node-class", value_name = "CLASS")]
    node_class: Option<String>,
    /// Client: the interface whose address the node uses.
    #[arg(long = "network-interface", value_name = "IFACE")]
    network_interface: Option<String>,
    /// Client: node metadata `key=value`; repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    meta: Vec<String>,
    /// Log level: trace, debug, info, warn or error, in any case (default
    /// info).
    #[arg(long = "log-level", value_name = "LEVEL")]
    log_level: Option<String>,
    /// Log JSON lines (one object per event) instead of text.
    #[arg(long = "log-json")]
    log_json: bool,
    /// Server: serve a read-only Consul-compatible catalog on ADDR
    /// (IP:PORT, e.g. 127.0.0.1:8500).
    #[arg(long = "consul-compat", value_name = "ADDR")]
    consul_compat: Option<String>,
}

fn build_config(args: AgentArgs) -> Result<AgentConfig, String> {
    let mut c = AgentConfig::default();
    if args.dev {
        c.dev = true;
        c.bind_addr = std::net::Ipv4Addr::LOCALHOST.into();
        c.name = "dev".into();
        // As in Nomad's dev mode: host processes may run too.
        c.client_config.raw_exec_enabled = true;
        // And Nomad's dev agent logs at debug. Libraries stay at warn
        // (see `logging`), so Drover's debug lines remain few enough to read.
        c.log_level = LogLevel::Debug;
    }
    for file in &args.config {
        c.merge_file(file).map_err(|e| e.to_string())?;
    }
    c.server |= args.server;
    c.client |= args.client;
    if let Some(d) = args.data_dir {
        c.data_dir = Some(d);
    }
    if let Some(b) = args.bind {
        c.bind_addr = b
            .parse()
            .map_err(|_| format!("-bind: {b:?} is not an IP address"))?;
    }
    if let Some(n) = args.bootstrap_expect {
        c.bootstrap_expect = n;
    }
    if !args.retry_join.is_empty() {
        c.retry_join = args.retry_join;
    }
    if let Some(r) = args.region {
        c.region = r;
    }
    if let Some(d) = args.datacenter {
        c.datacenter = d;
    }
    if let Some(n) = args.node {
        c.name = n;
    }
    if let Some(p) = args.http_port {
        c.http_port = p;
    }
    if let Some(p) = args.rpc_port {
        c.rpc_port = p;
    }
    if let Some(l) = args.log_level {
        c.log_level = LogLevel::parse(&l).map_err(|e| format!("-log-level: {e}"))?;
    }
    c.log_json |= args.log_json;
    if let Some(a) = args.consul_compat {
        c.consul_compat = Some(
            drover::agent::consul_file::parse_addr("-consul-compat", &a)
                .map_err(|e| e.to_string())?,
        );
    }
    if !args.servers.is_empty() {
        c.client_config.servers = args.servers;
    }
    if let Some(v) = args.node_class {
        c.client_config.node_class = v;
    }
    if let Some(v) = args.network_interface {
        c.client_config.network_interface = Some(v);
    }
    for m in args.meta {
        let (k, v) = m
            .split_once('=')
            .ok_or_else(|| format!("-meta: {m:?} is not key=value"))?;
        c.client_config.meta.insert(k.to_string(), v.to_string());
    }
    c.validate().map_err(|e| e.to_string())?;
    Ok(c)
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => tracing::info!("caught interrupt, shutting down"),
                _ = term.recv() => tracing::info!("caught terminate, shutting down"),
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub fn run(args: AgentArgs) -> ExitCode {
    let config = match build_config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(1);
        }
    };
    logging::init(config.log_level, config.log_json);
    if config.client && !config.server && !config.dev {
        small_pages_only();
    }
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
        if config.client && !config.server && !config.dev {
            return run_client(config).await;
        }
        let agent = match Agent::start(config).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::from(1);
            }
        };
        println!(
            "==> Drover agent started! HTTP on {}, RPC on {}",
            agent.http_addr, agent.rpc_addr
        );
        wait_for_signal().await;
        agent.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn run_client(config: AgentConfig) -> ExitCode {
    let agent = match ClientAgent::start(config).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "==> Drover client started! Node {}, HTTP on {}",
        agent.client.node_id(),
        agent.http_addr
    );
    wait_for_signal().await;
    agent.shutdown().await;
    ExitCode::SUCCESS
}

/// A client agent keeps little in memory, but mimalloc asks for
/// transparent huge pages on its arenas, so each thread's first touch made
/// 2 MiB resident: an idle client sat at 44 MiB of anonymous memory, 2.5
/// MiB without huge pages. Servers keep them (their heaps are large).
/// Called before the runtime starts its threads.
fn small_pages_only() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a
    // flag on this process.
    let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if rc != 0 {
        tracing::debug!("cannot disable transparent huge pages; memory use will be higher");
    }
}

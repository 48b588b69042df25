//! `drover node status [-verbose] [-self] [-allocs] [-short] [NODE]`:
//! lists the nodes, or shows one.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::{ALLOC_CLIENT_RUNNING, Allocation};

use super::local;
use super::render::{self, ListOpts, NodeOpts};
use crate::cli::common::{self, ApiArgs, CliError, format};

/// How long the node's client may take to say how long its host is up.
const UPTIME_WAIT: Duration = Duration::from_secs(5);

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Full IDs, addresses and versions, attributes and meta.
    #[arg(long)]
    pub verbose: bool,
    /// Show the node of the agent's own client.
    #[arg(long = "self")]
    pub self_: bool,
    /// Add each node's running allocations to the list.
    #[arg(long)]
    pub allocs: bool,
    /// One node: only its header and allocations.
    #[arg(long)]
    pub short: bool,
    /// The node ID (or prefix).
    pub node: Option<String>,
}

pub fn run(a: StatusArgs) -> ExitCode {
    common::run(status(a))
}

async fn status(a: StatusArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    if a.node.is_none() && !a.self_ {
        return list(&api, &a).await;
    }
    let id = local::resolve(&api, a.node.as_deref(), a.self_).await?;
    show(&api, &id, a.verbose, a.short).await
}

/// Prints the page of node `id` (a full ID); also how `drover status`
/// shows a node.
pub async fn show(api: &ApiClient, id: &str, verbose: bool, short: bool) -> Result<u8, CliError> {
    let node = api
        .node(id)
        .await
        .map_err(|e| CliError::api("Error querying node info", e))?;
    let (allocs, _): (Vec<Allocation>, _) = api
        .node_allocations(id, &QueryOptions::default())
        .await
        .map_err(|e| CliError::api("Error querying node allocations", e))?;
    let uptime = if short { None } else { uptime(api, id).await };
    let opts = NodeOpts {
        verbose,
        short,
        uptime,
        now: format::now_nanos(),
    };
    println!("{}", render::node(&node, &allocs, opts));
    Ok(0)
}

async fn list(api: &ApiClient, a: &StatusArgs) -> Result<u8, CliError> {
    let (nodes, _) = api
        .nodes(&QueryOptions::default())
        .await
        .map_err(|e| CliError::api("Error querying node status", e))?;
    let running = if a.allocs {
        let mut counts = BTreeMap::new();
        for n in &nodes {
            let (allocs, _): (Vec<Allocation>, _) = api
                .node_allocations(&n.id, &QueryOptions::default())
                .await
                .map_err(|e| CliError::api("Error querying node allocations", e))?;
            let k = allocs
                .iter()
                .filter(|x| x.client_status == ALLOC_CLIENT_RUNNING)
                .count();
            counts.insert(n.id.clone(), k);
        }
        Some(counts)
    } else {
        None
    };
    let opts = ListOpts { verbose: a.verbose };
    println!("{}", render::list(&nodes, opts, running.as_ref()));
    Ok(0)
}

/// The host's uptime from its client's stats; None when the client does
/// not answer in time (a down node has none to give).
async fn uptime(api: &ApiClient, node_id: &str) -> Option<u64> {
    let opts = QueryOptions::default();
    let query = [("node_id", node_id.to_string())];
    let read = api.get_with::<serde_json::Value>("/v1/client/stats", &opts, &query);
    let (stats, _) = tokio::time::timeout(UPTIME_WAIT, read).await.ok()?.ok()?;
    stats.get("Uptime")?.as_u64().filter(|u| *u > 0)
}

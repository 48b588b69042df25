//! The shared mode: one blocking query over every allocation changed since
//! the last answer (`modified_after`) follows the allocations of all
//! simulated nodes; each node reports its own, with its secret.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{SimNode, Stats, pause, report_for};
use crate::api_client::{ApiClient, QueryOptions};
use crate::structs::rpc::AllocClientUpdate;

/// How long one query over all allocations waits.
const WAIT: Duration = Duration::from_secs(10);

/// Watches allocations and reports those of `nodes` as running (or
/// complete once the servers stop them).
pub(super) async fn run(
    api: ApiClient,
    nodes: Vec<Arc<SimNode>>,
    concurrency: usize,
    stats: Arc<Stats>,
    stop: CancellationToken,
) {
    let mine: HashMap<String, Arc<SimNode>> =
        nodes.into_iter().map(|n| (n.id.clone(), n)).collect();
    let mut index = 0u64;
    // What was last reported for each allocation.
    let mut reported: HashMap<String, &'static str> = HashMap::new();
    loop {
        let opts = QueryOptions {
            index,
            wait: Some(WAIT),
            stale: true,
        };
        let answer = tokio::select! {
            _ = stop.cancelled() => return,
            a = api.allocations_changed_after(index, &opts) => a,
        };
        let (list, meta) = match answer {
            Ok(a) => a,
            Err(_) => {
                Stats::add(&stats.errors, 1);
                if !pause(Duration::from_secs(1), &stop).await {
                    return;
                }
                continue;
            }
        };
        let mut by_node: BTreeMap<String, Vec<AllocClientUpdate>> = BTreeMap::new();
        for a in list {
            if !mine.contains_key(&a.node_id) {
                continue;
            }
            let Some(want) = report_for(&a.desired_status, &a.client_status) else {
                continue;
            };
            if reported.get(&a.id) == Some(&want) {
                continue;
            }
            reported.insert(a.id.clone(), want);
            by_node
                .entry(a.node_id)
                .or_default()
                .push(AllocClientUpdate {
                    id: a.id,
                    client_status: want.into(),
                    ..AllocClientUpdate::default()
                });
        }
        futures::stream::iter(by_node)
            .filter_map(|(node, allocs)| {
                let node = mine.get(&node).cloned();
                async move { node.map(|n| (n, allocs)) }
            })
            .map(|(node, allocs)| {
                let stats = stats.clone();
                async move {
                    let n = allocs.len() as u64;
                    match node.api.update_allocs(&node.id, allocs).await {
                        Ok(_) => Stats::add(&stats.reported, n),
                        Err(_) => Stats::add(&stats.errors, 1),
                    }
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<()>>()
            .await;
        index = index.max(meta.index);
    }
}

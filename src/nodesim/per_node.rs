//! The per-node mode: every simulated node does what a real client does
//! with its allocations. It long-polls its own `client-allocs` with its
//! secret (IDs and `AllocModifyIndex`), fetches each allocation that is new
//! or whose `AllocModifyIndex` grew, and reports those that need it
//! running or complete in one update per answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{SimNode, Stats, pause, report_for};
use crate::api_client::QueryOptions;
use crate::structs::Allocation;
use crate::structs::rpc::AllocClientUpdate;

/// How long one pull waits, as a client's (Nomad's default maximum).
const WAIT: Duration = Duration::from_secs(300);
/// How long a fetch waits for a server to catch up with a pull's answer.
const FETCH_WAIT: Duration = Duration::from_secs(10);
/// The pause after a failed call.
const RETRY: Duration = Duration::from_secs(1);
/// Over how long the nodes' first pulls are spread, so thousands of
/// nodes do not connect at once.
const SPREAD: Duration = Duration::from_secs(2);

/// Runs one watcher per node until `stop`.
pub(super) async fn run(nodes: Vec<Arc<SimNode>>, stats: Arc<Stats>, stop: CancellationToken) {
    let count = nodes.len().max(1) as u32;
    let tasks: Vec<_> = nodes
        .into_iter()
        .map(|n| {
            let delay = SPREAD * (n.number as u32 % count) / count;
            tokio::spawn(watch(n, delay, stats.clone(), stop.clone()))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

/// What the node knows of one of its allocations.
struct Known {
    alloc_modify_index: u64,
    reported: Option<&'static str>,
}

async fn watch(node: Arc<SimNode>, delay: Duration, stats: Arc<Stats>, stop: CancellationToken) {
    if !pause(delay, &stop).await {
        return;
    }
    let mut index = 0u64;
    let mut known: HashMap<String, Known> = HashMap::new();
    loop {
        let opts = QueryOptions {
            index,
            wait: Some(WAIT),
            // As Nomad's clients: any server answers from its own state;
            // the fetches below wait for it to be as new as the answer.
            stale: true,
        };
        let answer = tokio::select! {
            _ = stop.cancelled() => return,
            a = node.api.client_allocs(&node.id, &opts) => a,
        };
        let (pull, meta) = match answer {
            Ok(a) => a,
            Err(_) => {
                Stats::add(&stats.errors, 1);
                if !pause(RETRY, &stop).await {
                    return;
                }
                continue;
            }
        };
        Stats::add(&stats.pulls, 1);
        known.retain(|id, _| pull.allocs.contains_key(id));
        let synced = tokio::select! {
            _ = stop.cancelled() => return,
            ok = sync(&node, &pull.allocs, &mut known, &stats) => ok,
        };
        if synced {
            // An index that went backwards (a server restored older
            // state): start over rather than wait for it to catch up.
            index = if meta.index < index { 0 } else { meta.index };
        } else if !pause(RETRY, &stop).await {
            // The same index again, so the next pull answers at once and
            // what failed is tried again.
            return;
        }
    }
}

/// Fetches the allocations of `wanted` (ID -> AllocModifyIndex) that are
/// new or changed, and reports those that need it. False if a call failed.
async fn sync(
    node: &SimNode,
    wanted: &std::collections::BTreeMap<String, u64>,
    known: &mut HashMap<String, Known>,
    stats: &Stats,
) -> bool {
    let mut ok = true;
    let mut updates = Vec::new();
    for (id, ami) in wanted {
        if known.get(id).is_some_and(|k| k.alloc_modify_index >= *ami) {
            continue;
        }
        let Some(alloc) = fetch(node, id, *ami).await else {
            Stats::add(&stats.errors, 1);
            ok = false;
            continue;
        };
        Stats::add(&stats.fetched, 1);
        let k = known.entry(alloc.id.clone()).or_insert(Known {
            alloc_modify_index: 0,
            reported: None,
        });
        k.alloc_modify_index = alloc.alloc_modify_index;
        let Some(want) = report_for(&alloc.desired_status, &alloc.client_status) else {
            continue;
        };
        if k.reported != Some(want) {
            k.reported = Some(want);
            updates.push(AllocClientUpdate {
                id: alloc.id,
                client_status: want.into(),
                ..AllocClientUpdate::default()
            });
        }
    }
    if updates.is_empty() {
        return ok;
    }
    let n = updates.len() as u64;
    let ids: Vec<String> = updates.iter().map(|u| u.id.clone()).collect();
    match node.api.update_allocs(&node.id, updates).await {
        Ok(_) => {
            Stats::add(&stats.reported, n);
            ok
        }
        Err(_) => {
            Stats::add(&stats.errors, 1);
            // Not reported after all: fetched and reported again next time.
            for id in ids {
                known.remove(&id);
            }
            false
        }
    }
}

/// The allocation `id` at least as new as `ami`, waiting for the server
/// to have applied that far; None if it cannot be had now.
async fn fetch(node: &SimNode, id: &str, ami: u64) -> Option<Allocation> {
    // An allocation's ModifyIndex is at least its AllocModifyIndex: a read
    // blocking past ami - 1 returns once the server has that version.
    let opts = QueryOptions {
        index: ami.saturating_sub(1),
        wait: Some(FETCH_WAIT),
        stale: true,
    };
    match node.api.allocation(id, &opts).await {
        Ok((a, _)) if a.alloc_modify_index >= ami => Some(a),
        _ => None,
    }
}

//! Pulls this node's allocations with a blocking query on
//! `/v1/node/{id}/client-allocs` (IDs and `AllocModifyIndex` only), then
//! fetches the allocations that are new or changed, starts a runner for
//! each new one, passes changes to existing runners, and destroys the
//! runners of allocations the servers no longer have. Terminal
//! allocations beyond `gc_max_allocs` are collected, oldest first.
//!
//! A collected allocation is remembered until the servers stop listing
//! it, and never started again: a new runner would report it dead once
//! more, that write would wake this pull, the collector would take it
//! again, and so on, a Raft write per collected allocation per turn
//! (Nomad keeps the destroyed runner until the servers forget it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::ClientShared;
use super::alloc_runner::{self, AllocCmd};
use crate::api_client::QueryOptions;
use crate::structs::Allocation;

/// How long one blocking query waits.
const WAIT: Duration = Duration::from_secs(60);
const RETRY: Duration = Duration::from_secs(2);

pub async fn run(
    shared: Arc<ClientShared>,
    mut registered: watch::Receiver<bool>,
    stop: CancellationToken,
) {
    tokio::select! {
        _ = stop.cancelled() => return,
        r = registered.wait_for(|r| *r) => if r.is_err() { return },
    }
    let node_id = shared.identity.node_id.clone();
    let mut index = 0u64;
    let mut collected = BTreeSet::new();
    loop {
        let opts = QueryOptions {
            index,
            wait: Some(WAIT),
            stale: false,
        };
        let answer = tokio::select! {
            _ = stop.cancelled() => return,
            a = shared.api.client_allocs(&node_id, &opts) => a,
        };
        let (wanted, meta) = match answer {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "cannot pull this node's allocations; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(RETRY) => continue,
                }
            }
        };
        // An index that went backwards (a server restored older state):
        // start over rather than wait for it to catch up.
        index = if meta.index < index { 0 } else { meta.index };
        collected.retain(|id| wanted.allocs.contains_key(id));
        sync(&shared, &wanted.allocs, &collected, &stop).await;
        collect_garbage(&shared, &mut collected).await;
    }
}

/// Brings the runners in line with `wanted` (allocation ID ->
/// AllocModifyIndex).
async fn sync(
    shared: &Arc<ClientShared>,
    wanted: &BTreeMap<String, u64>,
    collected: &BTreeSet<String>,
    stop: &CancellationToken,
) {
    let (gone, changed): (Vec<String>, Vec<(String, u64)>) = {
        let runners = shared.runners();
        let gone = runners
            .keys()
            .filter(|id| !wanted.contains_key(*id))
            .cloned()
            .collect();
        let changed = to_fetch(wanted, collected, |id| {
            runners.get(id).map(|r| r.alloc.alloc_modify_index)
        });
        (gone, changed)
    };
    for id in gone {
        destroy(shared, &id).await;
    }
    for (id, ami) in changed {
        let alloc = match fetch(shared, &id, ami).await {
            Some(a) => Arc::new(a),
            None => continue,
        };
        let mut runners = shared.runners();
        match runners.get_mut(&id) {
            Some(r) => {
                r.alloc = alloc.clone();
                let _ = r.cmds.send(AllocCmd::Update(alloc));
            }
            // A client stopping its tasks starts no new ones.
            None if shared.closing() => {}
            None => {
                tracing::info!(alloc = %id, job = %alloc.job_id, group = %alloc.task_group, "starting allocation");
                let h = alloc_runner::spawn(
                    shared.clone(),
                    alloc.clone(),
                    BTreeMap::new(),
                    stop.child_token(),
                );
                runners.insert(id, h);
            }
        }
    }
}

/// The allocations of `wanted` to fetch: those with no runner (`have`
/// says a runner's AllocModifyIndex) that were not collected here, and
/// those whose runner holds an older version.
fn to_fetch(
    wanted: &BTreeMap<String, u64>,
    collected: &BTreeSet<String>,
    have: impl Fn(&str) -> Option<u64>,
) -> Vec<(String, u64)> {
    wanted
        .iter()
        .filter(|(id, ami)| match have(id) {
            Some(held) => held < **ami,
            None => !collected.contains(*id),
        })
        .map(|(id, ami)| (id.clone(), *ami))
        .collect()
}

/// Fetches an allocation at least as new as `ami`; None when it cannot be
/// had now (the next pull tries again).
async fn fetch(shared: &ClientShared, id: &str, ami: u64) -> Option<Allocation> {
    for _ in 0..3 {
        match shared.api.allocation(id, &QueryOptions::default()).await {
            Ok((a, _)) if a.alloc_modify_index >= ami => return Some(a),
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                tracing::warn!(alloc = %id, error = %e, "cannot fetch allocation");
                return None;
            }
        }
    }
    None
}

async fn destroy(shared: &ClientShared, id: &str) {
    let Some(r) = shared.runners().remove(id) else {
        return;
    };
    let (tx, rx) = oneshot::channel();
    if r.cmds.send(AllocCmd::Destroy(tx)).is_ok() {
        let _ = rx.await;
    }
}

/// Collects allocations the servers stopped: those stopped longer ago
/// than `gc_max_age`, and the oldest beyond `gc_max_allocs`; their IDs
/// go into `collected`.
async fn collect_garbage(shared: &ClientShared, collected: &mut BTreeSet<String>) {
    let mut terminal: Vec<(u64, i64, String)> = shared
        .runners()
        .values()
        .filter(|r| r.alloc.server_terminal())
        .map(|r| {
            (
                r.alloc.modify_index,
                r.alloc.modify_time,
                r.alloc.id.clone(),
            )
        })
        .collect();
    terminal.sort();
    let now = crate::ids::now_nanos();
    let max_age = shared.config.gc_max_age.as_nanos().min(i64::MAX as u128) as i64;
    let extra = terminal.len().saturating_sub(shared.config.gc_max_allocs);
    for (i, (_, modified, id)) in terminal.into_iter().enumerate() {
        let old = now.saturating_sub(modified) > max_age;
        if i < extra || old {
            tracing::info!(alloc = %id, "collecting a terminal allocation");
            destroy(shared, &id).await;
            collected.insert(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(id, i)| (id.to_string(), *i)).collect()
    }

    #[test]
    fn a_collected_allocation_is_not_started_again() {
        let w = wanted(&[("new", 5), ("gc", 7), ("old", 9), ("same", 3)]);
        let collected: BTreeSet<String> = ["gc".to_string()].into();
        let have = |id: &str| match id {
            "old" => Some(8),
            "same" => Some(3),
            _ => None,
        };
        let got = to_fetch(&w, &collected, have);
        assert_eq!(got, vec![("new".to_string(), 5), ("old".to_string(), 9)]);
    }
}

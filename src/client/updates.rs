//! Allocation status reports, batched: runners push the latest state of an
//! allocation (a newer one replaces an unsent older one), and one loop
//! sends them every 200 ms when one is urgent (its client status changed)
//! and otherwise about once a second, in one request per batch. A failed
//! send is put back (unless superseded) and retried after 5 s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::api_client::ApiClient;
use crate::structs::rpc::AllocClientUpdate;

const TICK: Duration = Duration::from_millis(200);
/// Non-urgent updates wait this many ticks.
const LAZY_TICKS: u32 = 5;
const RETRY: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Pending {
    map: HashMap<String, AllocClientUpdate>,
    urgent: bool,
}

/// The queue of unsent reports.
#[derive(Default)]
pub struct Updates {
    pending: Mutex<Pending>,
    urgent: Notify,
}

impl Updates {
    /// Queues `u`, replacing an unsent report of the same allocation.
    pub fn push(&self, u: AllocClientUpdate, urgent: bool) {
        if let Ok(mut p) = self.pending.lock() {
            p.map.insert(u.id.clone(), u);
            p.urgent |= urgent;
        }
        if urgent {
            self.urgent.notify_one();
        }
    }

    fn take(&self, force: bool) -> Vec<AllocClientUpdate> {
        let Ok(mut p) = self.pending.lock() else {
            return Vec::new();
        };
        if !force && !p.urgent {
            return Vec::new();
        }
        p.urgent = false;
        p.map.drain().map(|(_, v)| v).collect()
    }

    /// Puts back what failed to send, unless a newer report replaced it.
    fn restore(&self, batch: Vec<AllocClientUpdate>) {
        if let Ok(mut p) = self.pending.lock() {
            for u in batch {
                p.map.entry(u.id.clone()).or_insert(u);
            }
        }
    }

    /// The reports waiting (for tests and diagnostics).
    pub fn peek(&self) -> Vec<AllocClientUpdate> {
        self.pending
            .lock()
            .map(|p| p.map.values().cloned().collect())
            .unwrap_or_default()
    }

    /// How many reports wait.
    pub fn len(&self) -> usize {
        self.pending.lock().map(|p| p.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Sends queued reports until `stop`.
pub async fn run(
    updates: std::sync::Arc<Updates>,
    api: ApiClient,
    node_id: String,
    stop: CancellationToken,
) {
    let mut tick: u32 = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(TICK) => tick = tick.wrapping_add(1),
            _ = updates.urgent.notified() => {}
        }
        let batch = updates.take(tick.is_multiple_of(LAZY_TICKS));
        if batch.is_empty() {
            continue;
        }
        let n = batch.len();
        match api.update_allocs(&node_id, batch.clone()).await {
            Ok(_) => tracing::debug!(allocs = n, "reported allocation states"),
            Err(e) => {
                tracing::warn!(error = %e, allocs = n, "cannot report allocation states; retrying");
                updates.restore(batch);
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(RETRY) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: &str, status: &str) -> AllocClientUpdate {
        AllocClientUpdate {
            id: id.into(),
            client_status: status.into(),
            ..AllocClientUpdate::default()
        }
    }

    #[test]
    fn newer_reports_replace_older_and_failed_ones_come_back() {
        let q = Updates::default();
        q.push(u("a", "pending"), false);
        assert!(q.take(false).is_empty(), "nothing urgent yet");
        q.push(u("a", "running"), true);
        let batch = q.take(false);
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].client_status, "running");
        q.push(u("a", "complete"), true);
        q.restore(batch);
        let again = q.take(true);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].client_status, "complete", "a newer report wins");
    }
}

//! Wake-ups for blocking reads of one node's allocations.
//!
//! Every client long-polls its own node's allocations. Waking every such
//! read on every change of the state (every placement, every heartbeat)
//! would cost thousands of task wake-ups per applied entry with thousands
//! of clients; instead each read waits on its node's entry here, and the
//! state machine, after publishing a state, wakes only the nodes whose
//! allocations that entry changed (found through
//! [`State::nodes_with_allocs_changed_since`], O(changed nodes)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::State;
use super::keys::Id;

/// The nodes some read is waiting on, each with one [`Notify`] shared by
/// its readers. Clones share the registry.
#[derive(Clone, Default)]
pub(crate) struct NodeWaiters {
    nodes: Arc<Mutex<HashMap<Id, Waiting>>>,
}

struct Waiting {
    notify: Arc<Notify>,
    readers: usize,
}

/// One reader's registration; leaving drops the node's entry with its last
/// reader.
pub(crate) struct Subscription {
    waiters: NodeWaiters,
    node: Id,
    pub(crate) notify: Arc<Notify>,
}

impl NodeWaiters {
    fn lock(&self) -> MutexGuard<'_, HashMap<Id, Waiting>> {
        // The map stays consistent whatever a panicking holder did: every
        // change under the lock is a single insert, update or removal.
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn subscribe(&self, node_id: &str) -> Subscription {
        let mut nodes = self.lock();
        let node = Id::from(node_id);
        let entry = nodes.entry(node.clone()).or_insert_with(|| Waiting {
            notify: Arc::new(Notify::new()),
            readers: 0,
        });
        entry.readers += 1;
        Subscription {
            waiters: self.clone(),
            node,
            notify: entry.notify.clone(),
        }
    }

    /// Wakes the readers of every node whose allocations `state` shows
    /// changed at `index` or later. Called after `state` is published.
    pub(crate) fn wake_changed(&self, state: &State, index: u64) {
        let nodes = self.lock();
        if nodes.is_empty() {
            return;
        }
        for node in state.nodes_with_allocs_changed_since(index) {
            if let Some(w) = nodes.get(node) {
                w.notify.notify_waiters();
            }
        }
    }

    /// Wakes every reader (the whole state was replaced by a restore).
    pub(crate) fn wake_all(&self) {
        for w in self.lock().values() {
            w.notify.notify_waiters();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut nodes = self.waiters.lock();
        if let Some(w) = nodes.get_mut(&self.node) {
            w.readers = w.readers.saturating_sub(1);
            if w.readers == 0 {
                nodes.remove(&self.node);
            }
        }
    }
}

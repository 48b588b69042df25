//! Readers' access to the latest state, and blocking-query waits.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::node_watch::NodeWaiters;
use super::{State, Table};

/// A cheap handle on the latest applied state. Clone freely.
#[derive(Clone)]
pub struct StateHandle {
    rx: watch::Receiver<Arc<State>>,
    waiters: NodeWaiters,
}

impl StateHandle {
    pub(crate) fn new(rx: watch::Receiver<Arc<State>>, waiters: NodeWaiters) -> Self {
        StateHandle { rx, waiters }
    }

    /// A receiver of every published state (the event stream follows it).
    pub fn watch(&self) -> watch::Receiver<Arc<State>> {
        self.rx.clone()
    }

    /// The latest applied state; it never changes under the caller.
    pub fn snapshot(&self) -> Arc<State> {
        self.rx.borrow().clone()
    }

    /// Waits until `table` has changed past `index`, or `timeout` passes,
    /// and returns the state then.
    pub async fn wait_past(&self, table: Table, index: u64, timeout: Duration) -> Arc<State> {
        self.wait_past_any(&[table], index, timeout).await
    }

    /// [`StateHandle::wait_past`] for an answer drawn from several tables:
    /// returns once any of `tables` has changed past `index`.
    pub async fn wait_past_any(
        &self,
        tables: &[Table],
        index: u64,
        timeout: Duration,
    ) -> Arc<State> {
        let mut rx = self.rx.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let state = rx.borrow_and_update().clone();
            if tables.iter().any(|t| state.index(*t) > index) {
                return state;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                // Timed out, or the state machine is gone (shutdown).
                _ => return rx.borrow().clone(),
            }
        }
    }

    /// Waits until the allocations of `node_id` have changed past `index`
    /// ([`State::node_allocs_index`]), or `timeout` passes, and returns the
    /// state then. Only a change to that node's allocations wakes this
    /// wait (see [`super::node_watch`]): changes elsewhere cost it nothing.
    pub async fn wait_node_allocs(
        &self,
        node_id: &str,
        index: u64,
        timeout: Duration,
    ) -> Arc<State> {
        let subscription = self.waiters.subscribe(node_id);
        let deadline = tokio::time::Instant::now() + timeout;
        let sleep = tokio::time::sleep_until(deadline);
        tokio::pin!(sleep);
        loop {
            // Registered before the state is read: a change published
            // after the read still wakes this wait.
            let notified = subscription.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let state = self.snapshot();
            if state.node_allocs_index(node_id) > index {
                return state;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = &mut sleep => return self.snapshot(),
            }
        }
    }

    /// Waits until the state has applied at least `index`.
    pub async fn wait_applied(&self, index: u64, timeout: Duration) -> Option<Arc<State>> {
        let mut rx = self.rx.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let state = rx.borrow_and_update().clone();
            if state.indexes().latest >= index {
                return Some(state);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }
}

//! Readers' access to the latest state, and blocking-query waits.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{State, Table};

/// A cheap handle on the latest applied state. Clone freely.
#[derive(Clone)]
pub struct StateHandle {
    rx: watch::Receiver<Arc<State>>,
}

impl StateHandle {
    pub(crate) fn new(rx: watch::Receiver<Arc<State>>) -> Self {
        StateHandle { rx }
    }

    /// The latest applied state; it never changes under the caller.
    pub fn snapshot(&self) -> Arc<State> {
        self.rx.borrow().clone()
    }

    /// Waits until `table` has changed past `index`, or `timeout` passes,
    /// and returns the state then.
    pub async fn wait_past(&self, table: Table, index: u64, timeout: Duration) -> Arc<State> {
        let mut rx = self.rx.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let state = rx.borrow_and_update().clone();
            if state.index(table) > index {
                return state;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                // Timed out, or the state machine is gone (shutdown).
                _ => return rx.borrow().clone(),
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

//! The state machine Raft drives: decode, apply all-or-nothing, publish
//! once per entry.

use std::sync::Arc;

use tokio::sync::watch;

use super::node_watch::NodeWaiters;
use super::snapshot;
use super::{Applied, ApplyError, Command, State, StateHandle, apply};

/// Applies committed commands to [`State`] and publishes each new version,
/// once per Raft entry.
pub struct Fsm {
    state: State,
    tx: watch::Sender<Arc<State>>,
    /// Blocking reads of single nodes' allocations, woken per node.
    waiters: NodeWaiters,
}

impl Fsm {
    /// A new, empty state machine and the handle readers use.
    pub fn new() -> (Self, StateHandle) {
        let (tx, rx) = watch::channel(Arc::new(State::default()));
        let waiters = NodeWaiters::default();
        (
            Fsm {
                state: State::default(),
                tx,
                waiters: waiters.clone(),
            },
            StateHandle::new(rx, waiters),
        )
    }

    /// Shows the current state to readers, and wakes the blocking reads of
    /// the nodes whose allocations the entry at `index` changed (after
    /// publishing: a woken reader must find the new state).
    fn publish(&self, index: u64) {
        // Most entries (heartbeats, evaluations) leave the table as it was.
        let nodes_changed = !self
            .tx
            .borrow()
            .nodes_by_allocs_index
            .ptr_eq(&self.state.nodes_by_allocs_index);
        self.tx.send_replace(Arc::new(self.state.clone()));
        if nodes_changed {
            self.waiters.wake_changed(&self.state, index);
        }
    }

    /// Applies `command` at `index` and publishes the result at once (an
    /// entry of one command); on error the state is unchanged.
    pub fn apply_command(&mut self, index: u64, command: Command) -> Result<Applied, ApplyError> {
        let result = self.apply_quietly(index, command);
        self.publish(index);
        result
    }

    /// Applies `command` at `index` without publishing: Raft publishes once
    /// the whole entry is applied ([`drover_raft::StateMachine::entry_applied`]).
    fn apply_quietly(&mut self, index: u64, command: Command) -> Result<Applied, ApplyError> {
        let mut next = self.state.clone();
        let result = apply::apply(&mut next, index, command);
        if result.is_ok() {
            self.state = next;
        }
        self.state.index.latest = self.state.index.latest.max(index);
        result
    }
}

impl drover_raft::StateMachine for Fsm {
    type Snapshot = State;

    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8> {
        let result = match serde_json::from_slice::<Command>(command) {
            Ok(cmd) => self.apply_quietly(index, cmd),
            Err(e) => {
                tracing::error!(index, error = %e, "cannot decode a committed command");
                self.state.index.latest = self.state.index.latest.max(index);
                Err(ApplyError::Decode(e.to_string()))
            }
        };
        // A Result of plain data always encodes.
        serde_json::to_vec(&result).unwrap_or_default()
    }

    /// Readers see an entry whole: the commands of a Raft batch share its
    /// index, and a reader that saw some of them (an evaluation feed, a
    /// blocking query) would take the index as seen and miss the rest.
    fn entry_applied(&mut self, index: u64) {
        self.publish(index);
    }

    fn snapshot(&self) -> State {
        self.state.clone()
    }

    fn encode_snapshot(state: State) -> Vec<u8> {
        snapshot::encode(&state)
    }

    fn restore(&mut self, data: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.state = snapshot::decode(data)?;
        self.tx.send_replace(Arc::new(self.state.clone()));
        self.waiters.wake_all();
        Ok(())
    }
}

/// Decodes a response written by [`Fsm`]'s `apply`.
pub fn decode_response(bytes: &[u8]) -> Result<Applied, ApplyError> {
    serde_json::from_slice::<Result<Applied, ApplyError>>(bytes)
        .unwrap_or_else(|e| Err(ApplyError::Decode(e.to_string())))
}

#[cfg(test)]
#[path = "fsm_tests.rs"]
mod tests;

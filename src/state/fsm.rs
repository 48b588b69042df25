//! The state machine Raft drives: decode, apply all-or-nothing, publish.

use std::sync::Arc;

use tokio::sync::watch;

use super::node_watch::NodeWaiters;
use super::snapshot;
use super::{Applied, ApplyError, Command, State, StateHandle, apply};

/// Applies committed commands to [`State`] and publishes each new version.
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

    fn publish(&self) {
        self.tx.send_replace(Arc::new(self.state.clone()));
    }

    /// Applies `command` at `index`; on error the state is unchanged.
    pub fn apply_command(&mut self, index: u64, command: Command) -> Result<Applied, ApplyError> {
        let mut next = self.state.clone();
        let result = apply::apply(&mut next, index, command);
        // Whether some node's allocations changed: most commands (a
        // heartbeat, an evaluation) leave the table as it was.
        let nodes_changed = result.is_ok()
            && !next
                .nodes_by_allocs_index
                .ptr_eq(&self.state.nodes_by_allocs_index);
        if result.is_ok() {
            self.state = next;
        }
        self.state.index.latest = self.state.index.latest.max(index);
        self.publish();
        if nodes_changed {
            // After publishing: a woken reader must find the new state.
            self.waiters.wake_changed(&self.state, index);
        }
        result
    }
}

impl drover_raft::StateMachine for Fsm {
    type Snapshot = State;

    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8> {
        let result = match serde_json::from_slice::<Command>(command) {
            Ok(cmd) => self.apply_command(index, cmd),
            Err(e) => {
                tracing::error!(index, error = %e, "cannot decode a committed command");
                self.state.index.latest = self.state.index.latest.max(index);
                self.publish();
                Err(ApplyError::Decode(e.to_string()))
            }
        };
        // A Result of plain data always encodes.
        serde_json::to_vec(&result).unwrap_or_default()
    }

    fn snapshot(&self) -> State {
        self.state.clone()
    }

    fn encode_snapshot(state: State) -> Vec<u8> {
        snapshot::encode(&state)
    }

    fn restore(&mut self, data: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.state = snapshot::decode(data)?;
        self.publish();
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

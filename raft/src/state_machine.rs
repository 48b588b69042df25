//! The trait the orchestrator implements to be replicated.
//!
//! *Invariant*: `apply` is deterministic. It must not read the clock, draw
//! random numbers or create IDs: every replica applies the same command at the
//! same index and must reach the same state. The leader stamps such values
//! into the command before proposing it.

use std::error::Error;

/// A deterministic state machine driven by the Raft log.
pub trait StateMachine: Send + Sync + 'static {
    /// A cheap, immutable view of the state taken for a snapshot; it is
    /// serialised off the apply path, so later applies must not change it.
    type Snapshot: Send + Sync + 'static;

    /// Applies one committed command at log `index` and returns the answer
    /// for the caller that proposed it.
    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8>;

    /// Called once every command of the entry at log `index` has been
    /// applied. Commands of one entry share its index, so a state machine
    /// that shows its state to readers should do it here, not after each
    /// command: a reader that saw part of an entry and took its index as
    /// seen would never look at the rest.
    fn entry_applied(&mut self, _index: u64) {}

    /// Takes a view of the current state for a snapshot.
    fn snapshot(&self) -> Self::Snapshot;

    /// Serialises a view taken by [`StateMachine::snapshot`].
    fn encode_snapshot(snapshot: Self::Snapshot) -> Vec<u8>;

    /// Replaces the whole state with the one encoded in `data`.
    fn restore(&mut self, data: &[u8]) -> Result<(), Box<dyn Error + Send + Sync>>;
}

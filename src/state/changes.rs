//! Which jobs, nodes and service registrations each entry changed.
//!
//! Allocations and evaluations have by-index tables (`allocs_by_index`,
//! `evals_by_index`); jobs, nodes and services do not, and diffing two
//! versions of those maps walks them whole (imbl's `diff` does not skip
//! shared subtrees). The event stream ([`crate::events`]) needs what an
//! entry changed in O(changed), so apply notes each write here: a bounded
//! log of `(index, key)`, removals included (their payload is read from
//! the state before the change).
//!
//! *Invariant*: deterministic (same notes on every server) but derived:
//! snapshots do not carry it, a restored state starts with an empty log.
//! At most [`KEEP`] notes are kept; a reader further behind is told so
//! ([`ChangeLog::since`] returns `complete = false`).

use imbl::Vector;

use super::JobKey;
use super::keys::ServiceKey;

/// Notes kept.
pub const KEEP: usize = 65_536;

/// A changed object's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Changed {
    Job(JobKey),
    Node(String),
    Service(ServiceKey),
}

/// The notes, oldest first, indexes never decreasing.
#[derive(Clone, Debug, Default)]
pub struct ChangeLog {
    notes: Vector<(u64, Changed)>,
    /// The highest index of a dropped note.
    dropped_through: u64,
}

impl ChangeLog {
    /// Records that `what` changed at `index`.
    pub(crate) fn note(&mut self, index: u64, what: Changed) {
        self.notes.push_back((index, what));
        if self.notes.len() > KEEP
            && let Some((i, _)) = self.notes.pop_front()
        {
            self.dropped_through = self.dropped_through.max(i);
        }
    }

    /// The notes after `index`, and whether none of those was dropped.
    pub fn since(&self, index: u64) -> (Vec<(u64, Changed)>, bool) {
        let start = self
            .notes
            .binary_search_by(|(i, _)| {
                if *i <= index {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                }
            })
            .unwrap_or_else(|at| at);
        let notes = self.notes.skip(start).into_iter().collect();
        (notes, index >= self.dropped_through)
    }
}

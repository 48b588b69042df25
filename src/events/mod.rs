//! Nomad's event stream: what each applied Raft entry changed, as typed
//! events, kept in a bounded buffer that `GET /v1/event/stream` serves.
//!
//! ```text
//!  Fsm ──publish──▶ watch<Arc<State>> ──▶ follow() task (every server)
//!                                           │ derive(prev, cur): O(changed)
//!                                           ▼
//!                                  EventBuffer (ring, 10,000 events)
//!                                           │ watch<u64> wakes readers
//!                                           ▼
//!                         subscriptions (one per HTTP stream)
//! ```
//!
//! Chosen: derivation runs in its own task following the state's watch
//! channel, never inside apply; it reads what changed from the by-index
//! tables (allocations, evaluations) and the state's change log (jobs,
//! nodes, services: [`crate::state::Changed`]), so it costs O(changed
//! objects) per entry. When the task falls behind, the watch channel
//! skips states and one pass covers several entries; events still carry
//! their own entry's index (the object's `ModifyIndex`). Each event is
//! encoded to JSON once, when derived; subscribers only filter and
//! concatenate. *Invariant*: a reader never holds up apply or other
//! readers: a subscription that falls behind the buffer's oldest event is
//! ended with an error line, as Nomad does.

mod buffer;
mod derive;
mod follow;
mod topics;

pub use buffer::{EventBuffer, Lagged, Subscription};
pub use derive::derive;
pub use follow::follow;
pub use topics::{TopicFilter, TopicFilterError};

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

/// Events kept by default (Nomad's `event_buffer_size` default is 100).
pub const DEFAULT_BUFFER_EVENTS: usize = 10_000;

/// One event, its JSON encoded once.
#[derive(Clone, Debug)]
pub struct Event {
    pub topic: &'static str,
    pub kind: &'static str,
    pub key: String,
    pub namespace: String,
    pub filter_keys: Vec<String>,
    pub index: u64,
    /// The whole event object as Nomad writes it.
    pub json: Arc<str>,
}

/// The events of one Raft entry.
#[derive(Clone, Debug)]
pub struct EventBatch {
    pub index: u64,
    /// When the follower saw the entry applied (unix ns): the start of a
    /// subscriber's lag.
    pub committed_ns: i64,
    pub events: Vec<Event>,
    /// The line of every event, built by the first subscriber that wants
    /// them all and shared by the others (no copy per subscriber).
    full: OnceLock<Bytes>,
}

impl EventBatch {
    pub fn new(index: u64, committed_ns: i64, events: Vec<Event>) -> Self {
        EventBatch {
            index,
            committed_ns,
            events,
            full: OnceLock::new(),
        }
    }

    /// `{"Index":N,"Events":[...]}` and a newline, of the events `keep`
    /// accepts; `None` when it accepts none.
    pub fn frame(&self, keep: impl Fn(&Event) -> bool) -> Option<Bytes> {
        let kept = self.events.iter().filter(|e| keep(e)).count();
        if kept == 0 {
            return None;
        }
        if kept == self.events.len() {
            return Some(
                self.full
                    .get_or_init(|| render(self.index, self.events.iter()))
                    .clone(),
            );
        }
        Some(render(self.index, self.events.iter().filter(|e| keep(e))))
    }
}

fn render<'a>(index: u64, events: impl Iterator<Item = &'a Event>) -> Bytes {
    let mut out = format!("{{\"Index\":{index},\"Events\":[");
    for (i, e) in events.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&e.json);
    }
    out.push_str("]}\n");
    Bytes::from(out)
}

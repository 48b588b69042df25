//! When this server last heard from each other server.
//!
//! The network layer records every answer to an append (heartbeats
//! included) or a snapshot chunk. Only a leader sends those, so on the
//! leader this is each follower's last contact; elsewhere it holds what
//! was recorded while this server last led, if ever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::types::NodeId;

/// Last answer per server. Cheap to clone; clones share the record.
#[derive(Clone, Debug, Default)]
pub struct Contacts {
    seen: Arc<Mutex<HashMap<NodeId, Instant>>>,
}

impl Contacts {
    /// Records an answer from `id` now.
    pub fn heard_from(&self, id: NodeId) {
        self.lock().insert(id, Instant::now());
    }

    /// How long ago `id` last answered, if it ever did.
    pub fn since(&self, id: NodeId) -> Option<Duration> {
        self.lock().get(&id).map(|at| at.elapsed())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<NodeId, Instant>> {
        // The map stays consistent whatever a panicking holder did.
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_remembered_per_server() {
        let c = Contacts::default();
        assert_eq!(c.since(7), None);
        c.heard_from(7);
        let clone = c.clone();
        assert!(clone.since(7).is_some_and(|d| d < Duration::from_secs(5)));
        assert_eq!(clone.since(8), None);
    }
}

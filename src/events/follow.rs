//! The task that turns each published state into events (every server).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{EventBuffer, derive};
use crate::state::StateHandle;

/// Follows `state`'s watch channel until `stop`, deriving the events of
/// each new state against the one before it into `buffer`. Apply never
/// waits for this: when it falls behind, the channel skips states and the
/// next pass covers several entries. A large pass (a plan of thousands of
/// placements) is encoded off the runtime's worker queue.
pub async fn follow(state: StateHandle, buffer: Arc<EventBuffer>, stop: CancellationToken) {
    let mut rx = state.watch();
    let mut prev = rx.borrow_and_update().clone();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            changed = rx.changed() => if changed.is_err() { return },
        }
        let cur = rx.borrow_and_update().clone();
        let committed_ns = crate::ids::now_nanos();
        if cur.indexes().latest > prev.indexes().latest {
            let batches = crate::offload::off_worker(|| derive(&prev, &cur, committed_ns));
            for b in batches {
                buffer.publish(b);
            }
        }
        prev = cur;
    }
}

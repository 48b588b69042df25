//! The bounded ring of recent event batches and its subscriptions.
//!
//! Chosen: a `VecDeque` of whole batches under a mutex held only to push
//! or to copy out `Arc`s, and a `watch<u64>` of the newest index to wake
//! readers, so publishing never waits on a reader. Capacity counts events;
//! whole batches are dropped from the front (the newest always stays). A
//! reader whose position is older than the newest dropped index has lost
//! events and gets [`Lagged`]; a new subscription asking for an index
//! that is gone starts at the oldest kept one (as Nomad's closest index).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::EventBatch;

/// The ring and what it has dropped.
#[derive(Default)]
struct Ring {
    batches: VecDeque<Arc<EventBatch>>,
    events: usize,
    /// The highest index dropped from the front.
    dropped_through: u64,
}

/// Recent events, fed by the follower, read by subscriptions.
pub struct EventBuffer {
    ring: Mutex<Ring>,
    capacity: usize,
    latest: watch::Sender<u64>,
    subscribers: AtomicUsize,
    published: AtomicU64,
}

/// A subscription fell behind the buffer and lost events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event dropped from buffer: subscriber fell behind; resubscribe")]
pub struct Lagged;

impl EventBuffer {
    /// A buffer keeping about `capacity` events (at least the newest batch).
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(EventBuffer {
            ring: Mutex::new(Ring::default()),
            capacity: capacity.max(1),
            latest: watch::channel(0).0,
            subscribers: AtomicUsize::new(0),
            published: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Ring> {
        // A panic while holding this lock leaves the ring consistent.
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `batch` (indexes must grow) and wakes the readers.
    pub fn publish(&self, batch: EventBatch) {
        let index = batch.index;
        let n = batch.events.len();
        {
            let mut ring = self.lock();
            ring.events += n;
            ring.batches.push_back(Arc::new(batch));
            while ring.events > self.capacity && ring.batches.len() > 1 {
                if let Some(old) = ring.batches.pop_front() {
                    ring.events -= old.events.len();
                    ring.dropped_through = ring.dropped_through.max(old.index);
                }
            }
        }
        self.published.fetch_add(n as u64, Ordering::Relaxed);
        self.latest.send_replace(index);
    }

    /// A subscription to events after `after`; `None`: only events
    /// published from now on.
    pub fn subscribe(self: &Arc<Self>, after: Option<u64>) -> Subscription {
        let rx = self.latest.subscribe();
        let position = {
            let ring = self.lock();
            match after {
                None => ring.batches.back().map_or(0, |b| b.index),
                Some(i) => i.max(ring.dropped_through),
            }
        };
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        Subscription {
            buffer: self.clone(),
            rx,
            position,
        }
    }

    /// Open subscriptions.
    pub fn subscribers(&self) -> usize {
        self.subscribers.load(Ordering::Relaxed)
    }

    /// Events published since start.
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Events held now.
    pub fn held(&self) -> usize {
        self.lock().events
    }

    /// Batches after `position`, or [`Lagged`].
    fn after(&self, position: u64) -> Result<Vec<Arc<EventBatch>>, Lagged> {
        let ring = self.lock();
        if position < ring.dropped_through {
            return Err(Lagged);
        }
        let start = ring.batches.partition_point(|b| b.index <= position);
        Ok(ring.batches.range(start..).cloned().collect())
    }
}

/// One reader's place in the buffer.
pub struct Subscription {
    buffer: Arc<EventBuffer>,
    rx: watch::Receiver<u64>,
    position: u64,
}

impl Subscription {
    /// The batches published after the last ones returned, waiting for
    /// some; [`Lagged`] once events were dropped before this reader got
    /// them. Cancellation-safe.
    pub async fn next(&mut self) -> Result<Vec<Arc<EventBatch>>, Lagged> {
        loop {
            let batches = self.try_next()?;
            if !batches.is_empty() {
                return Ok(batches);
            }
            if self.rx.changed().await.is_err() {
                // The buffer is gone: nothing more will come.
                std::future::pending::<()>().await;
            }
        }
    }

    /// What is there now, without waiting.
    pub fn try_next(&mut self) -> Result<Vec<Arc<EventBatch>>, Lagged> {
        self.rx.borrow_and_update();
        let batches = self.buffer.after(self.position)?;
        if let Some(last) = batches.last() {
            self.position = last.index;
        }
        Ok(batches)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.buffer.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;

    fn batch(index: u64, n: usize) -> EventBatch {
        let e = Event {
            topic: "Job",
            kind: "JobRegistered",
            key: "a".into(),
            namespace: "default".into(),
            filter_keys: vec![],
            index,
            json: Arc::from("{}"),
        };
        EventBatch::new(index, 0, vec![e; n])
    }

    #[tokio::test]
    async fn readers_get_batches_in_order_and_resume_by_index() {
        let buf = EventBuffer::new(100);
        let mut live = buf.subscribe(None);
        buf.publish(batch(3, 2));
        buf.publish(batch(5, 1));
        let got: Vec<u64> = live.next().await.unwrap().iter().map(|b| b.index).collect();
        assert_eq!(got, vec![3, 5]);
        let mut resumed = buf.subscribe(Some(3));
        let got: Vec<u64> = resumed
            .try_next()
            .unwrap()
            .iter()
            .map(|b| b.index)
            .collect();
        assert_eq!(got, vec![5]);
        assert_eq!(buf.subscribers(), 2);
        drop(resumed);
        assert_eq!(buf.subscribers(), 1);
        assert_eq!(buf.published(), 3);
    }

    #[test]
    fn a_reader_that_falls_behind_is_told_and_publishing_never_waits() {
        let buf = EventBuffer::new(10);
        let mut slow = buf.subscribe(Some(0));
        for i in 1..=100 {
            buf.publish(batch(i, 3));
        }
        assert!(buf.held() <= 10 + 3);
        assert!(matches!(slow.try_next(), Err(Lagged)));
        // A new subscription for a dropped index starts at the oldest kept.
        let mut late = buf.subscribe(Some(1));
        let got = late.try_next().unwrap();
        assert_eq!(got.last().map(|b| b.index), Some(100));
        assert!(got.first().map(|b| b.index) > Some(90));
    }

    #[test]
    fn a_batch_whose_events_all_match_shares_one_frame() {
        let mut b = batch(7, 2);
        b.events[1].key = "b".into();
        let all1 = b.frame(|_| true).expect("frame");
        let all2 = b.frame(|_| true).expect("frame");
        assert_eq!(all1.as_ptr(), all2.as_ptr(), "built once");
        assert_eq!(&all1[..], b"{\"Index\":7,\"Events\":[{},{}]}\n");
        let some = b.frame(|e| e.key == "b").expect("frame");
        assert_eq!(&some[..], b"{\"Index\":7,\"Events\":[{}]}\n");
        assert!(b.frame(|_| false).is_none());
    }

    #[test]
    fn the_newest_batch_stays_even_when_larger_than_capacity() {
        let buf = EventBuffer::new(2);
        buf.publish(batch(1, 1));
        buf.publish(batch(2, 5));
        let mut s = buf.subscribe(Some(1));
        assert_eq!(s.try_next().unwrap().len(), 1);
    }
}

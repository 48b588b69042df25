//! The evaluation broker (leader only, in memory): at-least-once delivery
//! of evaluations to workers, in priority order, one evaluation per job at
//! a time.
//!
//! ```text
//!  enqueue ─▶ job busy? ── yes ─▶ pending[job]  (on ack: keep the best, cancel the rest)
//!                │ no
//!                ▼
//!              ready (priority desc, then oldest first) ─▶ dequeue ─▶ unacked
//!                                                          ack ─▶ done (queued again if
//!                                                                 released while unacked)
//!                                                          nack ─▶ ready again (after a delay)
//!                                                                  or failed after 3 deliveries
//! ```

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use crate::state::JobKey;
use crate::structs::Evaluation;

/// Deliveries before an evaluation is given up on.
pub const DELIVERY_LIMIT: u32 = 3;

struct Ready(Evaluation);

impl PartialEq for Ready {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ready {}
impl PartialOrd for Ready {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ready {
    /// Higher priority first, then the older evaluation first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .priority
            .cmp(&other.0.priority)
            .then_with(|| other.0.create_index.cmp(&self.0.create_index))
            .then_with(|| other.0.id.cmp(&self.0.id))
    }
}

#[derive(Default)]
struct Inner {
    enabled: bool,
    known: HashSet<String>,
    ready: BinaryHeap<Ready>,
    busy_jobs: HashSet<JobKey>,
    pending: HashMap<JobKey, Vec<Evaluation>>,
    unacked: HashMap<String, (Evaluation, u64)>,
    /// Evaluations released while being processed: enqueued again when
    /// their delivery is acked (dropped if it is nacked: it is delivered
    /// again anyway).
    requeue: HashMap<String, Evaluation>,
    deliveries: HashMap<String, u32>,
    next_token: u64,
}

/// What an ack or nack leaves for the leader to write.
#[derive(Debug, Default)]
pub struct Settled {
    /// Redundant evaluations of the same job, to mark canceled.
    pub canceled: Vec<Evaluation>,
    /// An evaluation delivered too often, to mark failed.
    pub failed: Option<Evaluation>,
}

#[derive(Default)]
pub struct EvalBroker {
    inner: Mutex<Inner>,
    notify: Notify,
}

fn key(e: &Evaluation) -> JobKey {
    JobKey::new(&e.namespace, &e.job_id)
}

impl EvalBroker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Turns the broker on (leadership gained) or off and empties it.
    pub fn set_enabled(&self, enabled: bool) {
        let mut g = self.lock();
        *g = Inner {
            enabled,
            ..Inner::default()
        };
        drop(g);
        self.notify.notify_waiters();
    }

    /// Whether `id` is queued or being processed.
    pub fn knows(&self, id: &str) -> bool {
        self.lock().known.contains(id)
    }

    pub fn enqueue(&self, eval: Evaluation) {
        let mut g = self.lock();
        if !g.enabled || !g.known.insert(eval.id.clone()) {
            return;
        }
        Self::place(&mut g, eval);
        drop(g);
        self.notify.notify_one();
    }

    /// Enqueues a blocked evaluation that capacity released. One still
    /// being processed (its worker found it blocked again and has not
    /// acked yet) runs again once that delivery is acked; one queued
    /// already is left as it is.
    pub fn enqueue_unblocked(&self, eval: Evaluation) {
        let mut g = self.lock();
        if !g.enabled {
            return;
        }
        if g.unacked.contains_key(&eval.id) {
            g.requeue.insert(eval.id.clone(), eval);
            return;
        }
        if !g.known.insert(eval.id.clone()) {
            return;
        }
        Self::place(&mut g, eval);
        drop(g);
        self.notify.notify_one();
    }

    fn place(g: &mut Inner, eval: Evaluation) {
        let k = key(&eval);
        if g.busy_jobs.contains(&k) {
            g.pending.entry(k).or_default().push(eval);
        } else {
            g.busy_jobs.insert(k);
            g.ready.push(Ready(eval));
        }
    }

    /// Waits for the next evaluation; returns it with its delivery token.
    pub async fn dequeue(&self) -> (Evaluation, u64) {
        loop {
            let notified = self.notify.notified();
            {
                let mut g = self.lock();
                if let Some(Ready(eval)) = g.ready.pop() {
                    g.next_token += 1;
                    let token = g.next_token;
                    *g.deliveries.entry(eval.id.clone()).or_default() += 1;
                    g.unacked.insert(eval.id.clone(), (eval.clone(), token));
                    // Wake another worker if more is ready.
                    if !g.ready.is_empty() {
                        self.notify.notify_one();
                    }
                    return (eval, token);
                }
            }
            notified.await;
        }
    }

    /// The evaluation was processed.
    pub fn ack(&self, id: &str, token: u64) -> Settled {
        let mut g = self.lock();
        let mut out = Settled::default();
        let Some((eval, t)) = g.unacked.get(id).cloned() else {
            return out;
        };
        if t != token {
            return out;
        }
        g.unacked.remove(id);
        g.known.remove(id);
        g.deliveries.remove(id);
        let k = key(&eval);
        g.busy_jobs.remove(&k);
        if let Some(mut waiting) = g.pending.remove(&k) {
            // Keep the best: highest priority, then the newest.
            waiting.sort_by(|a, b| {
                b.priority
                    .cmp(&a.priority)
                    .then(b.modify_index.cmp(&a.modify_index))
            });
            let mut it = waiting.into_iter();
            if let Some(best) = it.next() {
                Self::place(&mut g, best);
            }
            for e in it {
                g.known.remove(&e.id);
                out.canceled.push(e);
            }
        }
        if let Some(again) = g.requeue.remove(id) {
            g.known.insert(again.id.clone());
            Self::place(&mut g, again);
        }
        drop(g);
        self.notify.notify_one();
        out
    }

    /// The evaluation failed to process; it is delivered again after a
    /// delay, or given up on after [`DELIVERY_LIMIT`] deliveries.
    pub fn nack(self: &std::sync::Arc<Self>, id: &str, token: u64) -> Settled {
        let mut g = self.lock();
        let mut out = Settled::default();
        let Some((eval, t)) = g.unacked.get(id).cloned() else {
            return out;
        };
        if t != token {
            return out;
        }
        g.unacked.remove(id);
        g.requeue.remove(id);
        let deliveries = g.deliveries.get(id).copied().unwrap_or(0);
        if deliveries >= DELIVERY_LIMIT {
            drop(g);
            let settled = self.ack_removed(eval.clone());
            return Settled {
                failed: Some(eval),
                ..settled
            };
        }
        drop(g);
        let delay = if deliveries <= 1 {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(20 * u64::from(deliveries - 1))
        };
        let broker = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut g = broker.lock();
            if g.enabled && g.known.contains(&eval.id) {
                g.ready.push(Ready(eval));
                drop(g);
                broker.notify.notify_one();
            }
        });
        out.failed = None;
        out
    }

    /// Frees the job slot of an evaluation given up on.
    fn ack_removed(&self, eval: Evaluation) -> Settled {
        let mut g = self.lock();
        g.unacked.insert(eval.id.clone(), (eval.clone(), u64::MAX));
        drop(g);
        self.ack(&eval.id, u64::MAX)
    }

    /// Whether delivery `token` of evaluation `id` is still outstanding
    /// (not acked, nacked or timed out): only its plans may commit.
    pub fn outstanding(&self, id: &str, token: u64) -> bool {
        self.lock()
            .unacked
            .get(id)
            .is_some_and(|(_, t)| *t == token)
    }

    /// Counts for tests and metrics: (ready, unacked, pending).
    pub fn stats(&self) -> (usize, usize, usize) {
        let g = self.lock();
        (
            g.ready.len(),
            g.unacked.len(),
            g.pending.values().map(Vec::len).sum(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn eval(id: &str, job: &str, priority: i64, index: u64) -> Evaluation {
        Evaluation {
            id: id.into(),
            namespace: "default".into(),
            job_id: job.into(),
            priority,
            create_index: index,
            modify_index: index,
            ..Evaluation::default()
        }
    }

    #[tokio::test]
    async fn priority_order_one_per_job_and_coalescing() {
        let b = Arc::new(EvalBroker::default());
        b.enqueue(eval("a", "j1", 50, 1));
        b.set_enabled(true);
        b.enqueue(eval("a", "j1", 50, 1));
        b.enqueue(eval("a", "j1", 50, 1)); // duplicate
        b.enqueue(eval("b", "j2", 80, 2));
        b.enqueue(eval("c", "j1", 50, 3)); // j1 busy
        b.enqueue(eval("d", "j1", 50, 4)); // j1 busy
        assert_eq!(b.stats(), (2, 0, 2));
        let (first, t1) = b.dequeue().await;
        assert_eq!(first.id, "b", "higher priority first");
        let (second, t2) = b.dequeue().await;
        assert_eq!(second.id, "a");
        assert!(b.ack("b", t1).canceled.is_empty());
        let settled = b.ack("a", t2);
        assert_eq!(
            settled
                .canceled
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>(),
            ["c"]
        );
        let (third, _) = b.dequeue().await;
        assert_eq!(third.id, "d", "the newest pending evaluation survives");
    }

    #[tokio::test]
    async fn nack_redelivers_then_fails_after_the_limit() {
        tokio::time::pause();
        let b = Arc::new(EvalBroker::default());
        b.set_enabled(true);
        b.enqueue(eval("a", "j1", 50, 1));
        let mut last = 0;
        for round in 1..=DELIVERY_LIMIT {
            let (e, t) = b.dequeue().await;
            assert_eq!(e.id, "a");
            assert!(b.outstanding("a", t));
            assert!(
                last == 0 || !b.outstanding("a", last),
                "an earlier delivery is stale"
            );
            last = t;
            let settled = b.nack("a", t);
            assert_eq!(settled.failed.is_some(), round == DELIVERY_LIMIT);
        }
        assert_eq!(b.stats(), (0, 0, 0));
        assert!(
            !b.outstanding("a", 1),
            "a settled delivery is not outstanding"
        );
        // The job slot is free again.
        b.enqueue(eval("z", "j1", 50, 9));
        assert_eq!(b.dequeue().await.0.id, "z");
    }

    #[tokio::test]
    async fn an_unblocked_evaluation_being_processed_runs_again_after_its_ack() {
        let b = Arc::new(EvalBroker::default());
        b.set_enabled(true);
        b.enqueue(eval("a", "j1", 50, 1));
        let (_, t) = b.dequeue().await;
        // Released while its delivery is outstanding: held back.
        b.enqueue_unblocked(eval("a", "j1", 50, 7));
        assert_eq!(b.stats(), (0, 1, 0));
        assert!(b.ack("a", t).canceled.is_empty());
        let (again, t) = b.dequeue().await;
        assert_eq!((again.id.as_str(), again.modify_index), ("a", 7));
        b.ack("a", t);
        assert_eq!(b.stats(), (0, 0, 0));
        // Released while queued: nothing more.
        b.enqueue_unblocked(eval("a", "j1", 50, 8));
        b.enqueue_unblocked(eval("a", "j1", 50, 9));
        assert_eq!(b.stats(), (1, 0, 0));
    }

    #[tokio::test]
    async fn a_nacked_delivery_drops_its_requeue() {
        tokio::time::pause();
        let b = Arc::new(EvalBroker::default());
        b.set_enabled(true);
        b.enqueue(eval("a", "j1", 50, 1));
        let (_, t) = b.dequeue().await;
        b.enqueue_unblocked(eval("a", "j1", 50, 7));
        b.nack("a", t);
        // Delivered again (after the nack delay), once.
        let (again, t) = b.dequeue().await;
        assert_eq!(again.id, "a");
        b.ack("a", t);
        assert_eq!(b.stats(), (0, 0, 0));
    }
}

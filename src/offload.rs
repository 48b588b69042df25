//! CPU-heavy request work off the async runtime.
//!
//! Parsing and validating job files, decoding large bodies and plan dry runs
//! can take a noticeable share of a core. On the runtime's worker threads
//! they would delay heartbeats, Raft and every other request, so handlers
//! hand them to [`run`]: the work runs on tokio's blocking threads, at most
//! [`running_limit`] at a time, with at most [`MAX_WAITING`] more waiting
//! for a turn. Beyond that the caller is told the server is busy. A request
//! that is dropped while it waits (its client went away) never starts.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

/// How many pieces of work may wait for a turn before callers are refused.
pub const MAX_WAITING: usize = 256;

/// Work on inputs up to this many bytes (or items) is cheap enough to do in
/// place: a thread hop and a turn in the queue would cost more than it.
pub const SMALL_INPUT: usize = 64 * 1024;

/// Why offloaded work did not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    /// Too much work is already queued.
    #[error("Server is busy: too many requests are being processed; retry later")]
    Busy,
    /// The work panicked (a bug); the server keeps running.
    #[error("internal error while processing the request")]
    Panicked,
}

struct Pool {
    permits: Semaphore,
    waiting: AtomicUsize,
}

/// One fewer than the machine's cores (at least one), so that a core stays
/// free for the runtime even when every slot is busy.
pub fn running_limit() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        permits: Semaphore::new(running_limit()),
        waiting: AtomicUsize::new(0),
    })
}

/// Decrements the waiting count however the wait ends (granted, dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `f` without holding up the runtime's other tasks: on a
/// multi-threaded runtime the worker thread hands its queue to another
/// thread while `f` runs (`block_in_place`); elsewhere (a test on one
/// thread) in place. For work on data already in memory whose cost grows
/// with the state, such as building and encoding a list of a million
/// allocations: it needs no copy to move to another thread, and no turn in
/// the bounded queue, which belongs to work a request brings with it.
pub fn off_worker<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Runs `work` in place when `heavy` is false (small inputs: a few
/// microseconds of work), else as [`run`] does.
pub async fn run_if<T, F>(heavy: bool, work: F) -> Result<T, OffloadError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if heavy { run(work).await } else { Ok(work()) }
}

/// Runs `work` on a blocking thread once a slot is free.
pub async fn run<T, F>(work: F) -> Result<T, OffloadError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let pool = pool();
    let permit = {
        if pool.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
            pool.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(OffloadError::Busy);
        }
        let _waiting = Waiting(&pool.waiting);
        pool.permits
            .acquire()
            .await
            .map_err(|_| OffloadError::Busy)?
    };
    let result = tokio::task::spawn_blocking(work).await;
    drop(permit);
    result.map_err(|_| OffloadError::Panicked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_runtime_thread_and_returns_its_value() {
        let runtime_thread = std::thread::current().id();
        let (value, thread) = run(|| (41 + 1, std::thread::current().id()))
            .await
            .expect("offloaded work");
        assert_eq!(value, 42);
        assert_ne!(thread, runtime_thread);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn off_worker_work_leaves_the_runtime_free_for_other_tasks() {
        // One worker: while `off_worker` holds this thread, a spawned task
        // still runs (on the thread that took over the worker's queue).
        let (tx, rx) = std::sync::mpsc::channel();
        let other = tokio::spawn(async move { tx.send(()).expect("send") });
        let seen = off_worker(|| rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok());
        assert!(seen, "the other task ran while the work held the thread");
        other.await.expect("task");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn off_worker_runs_in_place_on_a_single_threaded_runtime() {
        assert_eq!(off_worker(|| 5), 5);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_in_the_work_is_an_error_not_a_crash() {
        let r = run(|| -> u32 { panic!("boom") }).await;
        assert!(matches!(r, Err(OffloadError::Panicked)));
        // The slot was given back.
        assert_eq!(run(|| 7).await.expect("after a panic"), 7);
    }
}

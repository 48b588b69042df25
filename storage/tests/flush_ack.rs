//! An append is acknowledged only after the flush that makes it durable,
//! and a failed flush is acknowledged as an error. These tests hold or fail
//! the database's flushes with the test-only `FlushProbe`; they fail if the
//! log store skips the flush or acknowledges before it.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use drover_storage::flush_probe::FlushProbe;
use drover_storage::{Db, SledLogStore};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, RaftLogReader};
use support::{Req, TC};

const DEADLINE: Duration = Duration::from_secs(10);

fn entry(index: u64) -> Entry<TC> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 0), index),
        payload: EntryPayload::Normal(Req(format!("cmd {index}"))),
    }
}

/// What an append's callback saw: its result, and how many flushes had
/// finished when it ran.
type Ack = (Result<(), String>, u64);

/// Appends `indexes`; the acknowledgement arrives on the returned channel.
fn append(
    db: &Db,
    store: &SledLogStore<TC>,
    indexes: std::ops::RangeInclusive<u64>,
) -> mpsc::Receiver<Ack> {
    let (tx, rx) = mpsc::channel();
    let seen = db.clone();
    store
        .append_with(
            indexes.map(entry),
            Box::new(move |r| {
                let finished = seen.flush_probe().finished();
                let _ = tx.send((r.map_err(|e| e.to_string()), finished));
            }),
        )
        .expect("append");
    rx
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Releases held flushes when dropped, so a failing assertion cannot
/// leave the flusher thread (which the store joins on drop) held forever.
struct ReleaseOnDrop<'a>(&'a FlushProbe);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn an_append_is_acknowledged_only_after_its_flush_has_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path().join("raft")).expect("open");
    let mut store = SledLogStore::<TC>::open(&db).expect("store");
    let probe = db.flush_probe();
    let before = probe.finished();

    probe.hold();
    let _release = ReleaseOnDrop(probe);
    let first = append(&db, &store, 1..=3);
    let second = append(&db, &store, 4..=4);
    // The flusher has reached the flush and waits there: nothing written
    // since `hold` is durable yet, so nothing may be acknowledged.
    wait_until("the flush to start", || probe.waiting() > 0);
    assert!(first.try_recv().is_err(), "acknowledged before its flush");
    assert!(second.try_recv().is_err(), "acknowledged before its flush");
    // The entries are readable at once all the same.
    let entries = block_on(store.try_get_log_entries(1..=4)).expect("read");
    assert_eq!(entries.len(), 4);

    probe.release();
    for rx in [first, second] {
        let (result, finished) = rx.recv_timeout(DEADLINE).expect("acknowledged");
        assert_eq!(result, Ok(()));
        assert!(finished > before, "acknowledged before any flush finished");
    }
}

#[test]
fn an_append_whose_flush_fails_is_acknowledged_with_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path().join("raft")).expect("open");
    let store = SledLogStore::<TC>::open(&db).expect("store");
    let probe = db.flush_probe();

    probe.fail(true);
    let before = probe.finished();
    let (result, finished) = append(&db, &store, 1..=2)
        .recv_timeout(DEADLINE)
        .expect("acknowledged");
    let err = result.expect_err("a failed flush is not a durable append");
    assert!(err.contains("flush failed"), "{err}");
    assert_eq!(finished, before, "no flush finished");

    probe.fail(false);
    let (result, _) = append(&db, &store, 3..=3)
        .recv_timeout(DEADLINE)
        .expect("acknowledged");
    assert_eq!(result, Ok(()));
}

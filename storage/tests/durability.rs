//! The log survives a crash and reopen; damage is refused with its path.

mod support;

use std::sync::mpsc;

use drover_storage::{Db, SledLogStore, StorageError};
use openraft::storage::RaftLogStorage;
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, RaftLogReader, Vote};
use support::{Req, TC};

fn log_id(index: u64) -> LogId<u64> {
    LogId::new(CommittedLeaderId::new(1, 0), index)
}

fn entry(index: u64) -> Entry<TC> {
    Entry {
        log_id: log_id(index),
        payload: EntryPayload::Normal(Req(format!("cmd {index}"))),
    }
}

/// Appends and waits until the entries are reported durable.
fn append(store: &SledLogStore<TC>, indexes: std::ops::RangeInclusive<u64>) {
    let (tx, rx) = mpsc::channel();
    store
        .append_with(
            indexes.map(entry),
            Box::new(move |r| tx.send(r.map_err(|e| e.to_string())).expect("send")),
        )
        .expect("append");
    rx.recv().expect("completion").expect("durable");
}

#[tokio::test]
async fn vote_log_purge_and_committed_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("raft");
    {
        let db = Db::open(&path).expect("open");
        let mut store = SledLogStore::<TC>::open(&db).expect("store");
        append(&store, 1..=10);
        store
            .save_vote(&Vote::new_committed(3, 2))
            .await
            .expect("vote");
        store
            .save_committed(Some(log_id(8)))
            .await
            .expect("committed");
        store.purge(log_id(3)).await.expect("purge");
        store.truncate(log_id(9)).await.expect("truncate");
        // Dropped without any shutdown step, as a crash would leave it.
    }
    let db = support::reopen(&path).expect("reopen");
    let mut store = SledLogStore::<TC>::open(&db).expect("store");
    assert_eq!(
        store.read_vote().await.expect("vote"),
        Some(Vote::new_committed(3, 2))
    );
    assert_eq!(
        store.read_committed().await.expect("committed"),
        Some(log_id(8))
    );
    let state = store.get_log_state().await.expect("state");
    assert_eq!(state.last_purged_log_id, Some(log_id(3)));
    assert_eq!(state.last_log_id, Some(log_id(8)));
    let entries = store.try_get_log_entries(0..100).await.expect("entries");
    let indexes: Vec<u64> = entries.iter().map(|e| e.log_id.index).collect();
    assert_eq!(indexes, (4..=8).collect::<Vec<_>>());
}

#[test]
fn concurrent_appends_share_flushes_and_all_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("raft");
    {
        let db = Db::open(&path).expect("open");
        let store = SledLogStore::<TC>::open(&db).expect("store");
        let (tx, rx) = mpsc::channel();
        for i in 1..=500u64 {
            let tx = tx.clone();
            store
                .append_with(
                    [entry(i)],
                    Box::new(move |r| tx.send(r.is_ok()).expect("send")),
                )
                .expect("append");
        }
        drop(tx);
        let done: Vec<bool> = rx.iter().collect();
        assert_eq!(done.len(), 500);
        assert!(done.iter().all(|ok| *ok));
    }
    let db = support::reopen(&path).expect("reopen");
    let mut store = SledLogStore::<TC>::open(&db).expect("store");
    let entries = block_on(store.try_get_log_entries(1..=500)).expect("entries");
    assert_eq!(entries.len(), 500);
}

#[test]
fn the_recorded_owner_survives_reopen_and_a_damaged_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("raft");
    {
        let db = Db::open(&path).expect("open");
        let store = SledLogStore::<TC>::open(&db).expect("store");
        assert_eq!(store.owner().expect("owner"), None);
        store.set_owner(4711).expect("set owner");
        // Dropped without any shutdown step: set_owner is durable on return.
    }
    {
        let db = support::reopen(&path).expect("reopen");
        let store = SledLogStore::<TC>::open(&db).expect("store");
        assert_eq!(store.owner().expect("owner"), Some(4711));
        drop(store);
        db.tree("raft_meta")
            .expect("meta")
            .insert("node_id", b"not json")
            .expect("damage");
        db.flush().expect("flush");
    }
    let db = support::reopen(&path).expect("reopen");
    let err = SledLogStore::<TC>::open(&db).err().expect("refused");
    assert!(err.to_string().contains("raft node_id"), "{err}");
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn corrupt_store(setup: impl FnOnce(&drover_storage::Tree)) -> (StorageError, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("raft");
    {
        let db = Db::open(&path).expect("open");
        let store = SledLogStore::<TC>::open(&db).expect("store");
        append(&store, 1..=5);
        drop(store);
        setup(&db.tree("raft_logs").expect("tree"));
        db.flush().expect("flush");
    }
    let db = support::reopen(&path).expect("reopen");
    let err = SledLogStore::<TC>::open(&db)
        .err()
        .expect("damaged log refused");
    (err, path.display().to_string())
}

#[test]
fn an_undecodable_entry_is_refused_with_its_index_and_path() {
    let (err, path) = corrupt_store(|logs| {
        logs.insert(3u64.to_be_bytes(), b"\xff\xff\xff not an entry")
            .expect("insert");
    });
    let text = err.to_string();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{text}");
    assert!(text.contains(&path) && text.contains("index 3"), "{text}");
}

#[test]
fn a_hole_in_the_log_is_refused() {
    let (err, _) = corrupt_store(|logs| logs.remove(3u64.to_be_bytes()).expect("remove"));
    assert!(
        err.to_string().contains("hole in log between 2 and 4"),
        "{err}"
    );
}

#[test]
fn a_damaged_database_directory_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("raft");
    {
        let db = Db::open(&path).expect("open");
        let store = SledLogStore::<TC>::open(&db).expect("store");
        append(&store, 1..=50);
    }
    // Overwrite every file sled wrote with garbage.
    for file in walk(&path) {
        let len = std::fs::metadata(&file).expect("meta").len() as usize;
        std::fs::write(&file, vec![0xA5u8; len.max(64)]).expect("write");
    }
    match support::reopen(&path) {
        Err(e) => assert!(e.to_string().contains(&path.display().to_string()), "{e}"),
        Ok(db) => {
            // sled may treat garbage as an empty tail; then the log must not
            // claim entries it cannot decode.
            match SledLogStore::<TC>::open(&db) {
                Err(e) => assert!(
                    matches!(e, StorageError::Corrupt { .. } | StorageError::Sled { .. }),
                    "{e}"
                ),
                Ok(mut store) => {
                    let entries = block_on(store.try_get_log_entries(0..100)).unwrap_or_default();
                    assert!(entries.len() <= 50);
                }
            }
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_truncated_database_is_refused_or_loses_nothing() {
    for keep in [0usize, 1, 100, 4096] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("raft");
        {
            let db = Db::open(&path).expect("open");
            let store = SledLogStore::<TC>::open(&db).expect("store");
            append(&store, 1..=50);
        }
        for file in walk(&path) {
            let bytes = std::fs::read(&file).expect("read");
            std::fs::write(&file, &bytes[..keep.min(bytes.len())]).expect("truncate");
        }
        match support::reopen(&path) {
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains(&path.display().to_string()), "{text}");
            }
            Ok(db) => {
                let mut store = SledLogStore::<TC>::open(&db).expect("store");
                let n = block_on(store.try_get_log_entries(0..100)).map(|e| e.len());
                assert_eq!(
                    n.ok(),
                    Some(50),
                    "truncated to {keep} bytes: entries lost silently"
                );
            }
        }
    }
}

//! Group commit: one thread makes appends durable in batches.
//!
//! An append writes its entries to sled (readable at once) and queues its
//! completion here. The thread takes every queued completion, runs one
//! `flush` (one fsync), and then completes them all in order. Many
//! concurrent writers therefore share each fsync, and the Raft core never
//! waits on the disk inside `append`.

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::db::Db;

/// What to run once the appended entries are durable.
pub type Completion = Box<dyn FnOnce(std::io::Result<()>) + Send>;

pub(crate) struct Flusher {
    tx: Option<mpsc::Sender<Completion>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    pub(crate) fn start(db: Db) -> std::io::Result<Flusher> {
        let (tx, rx) = mpsc::channel::<Completion>();
        let thread = std::thread::Builder::new()
            .name("raft-log-flush".into())
            .spawn(move || run(db, rx))?;
        Ok(Flusher {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues `done` to run after the next flush.
    pub(crate) fn submit(&self, done: Completion) {
        let sent = match &self.tx {
            Some(tx) => tx.send(done),
            None => Err(mpsc::SendError(done)),
        };
        if let Err(mpsc::SendError(done)) = sent {
            done(Err(std::io::Error::other("log flusher stopped")));
        }
    }
}

fn run(db: Db, rx: mpsc::Receiver<Completion>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let result = db.flush();
        for done in batch {
            done(match &result {
                Ok(_) => Ok(()),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            });
        }
    }
}

impl Drop for Flusher {
    /// Completes what is queued and waits for the thread, so the database
    /// is released when the store is dropped.
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("raft log flusher panicked");
        }
    }
}

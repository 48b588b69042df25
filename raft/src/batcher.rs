//! Write batching: concurrent writes become one log entry.
//!
//! openraft 0.9 waits for each appended entry to be flushed before its core
//! handles the next request, so one entry per write would cost one fsync per
//! write on the leader. Writes are therefore queued here; a loop takes every
//! queued write (up to a size limit) and proposes them as one entry, with a
//! few entries in flight at once so that the leader's flush, replication and
//! apply overlap. Each writer gets its own command's answer back.
//!
//! ```text
//! write() --queue--> [batch loop] --client_write(Commands[..])--> openraft
//!    ^                                                              |
//!    +------------------ answer i of Responses --------------------+
//! ```

use std::sync::Arc;

use openraft::BasicNode;
use openraft::error::{ClientWriteError, RaftError};
use serde_bytes::ByteBuf;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::commit_stats::{CommitRecorder, CommitStats};
use crate::error::{Leader, WriteError};
use crate::rpc::Committed;
use crate::types::{Commands, NodeId, Raft};

/// Most commands in one entry.
const MAX_COMMANDS: usize = 4096;
/// Most command bytes in one entry.
const MAX_BYTES: usize = 1 << 20;
/// Entries proposed and not yet committed at once.
const MAX_IN_FLIGHT: usize = 1;
/// Writes waiting to be batched before writers are held back.
const QUEUE: usize = 65536;

type Reply = oneshot::Sender<Result<Committed, WriteError>>;

/// The sending side: cheap to clone.
#[derive(Clone)]
pub(crate) struct Batcher {
    tx: mpsc::Sender<(Vec<u8>, Reply)>,
    commits: Arc<CommitRecorder>,
}

impl Batcher {
    /// Starts the batch loop on `tasks`; it stops with `shutdown`.
    pub(crate) fn start(raft: Raft, tasks: &TaskTracker, shutdown: CancellationToken) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let commits = Arc::new(CommitRecorder::default());
        tasks.spawn(run(raft, rx, tasks.clone(), shutdown, commits.clone()));
        Batcher { tx, commits }
    }

    /// Commit times of the entries this server proposed.
    pub(crate) fn commit_stats(&self) -> CommitStats {
        self.commits.get()
    }

    /// Queues `command` and waits until its entry is committed and applied.
    pub(crate) async fn write(&self, command: Vec<u8>) -> Result<Committed, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((command, reply))
            .await
            .map_err(|_| WriteError::Fatal("server is shutting down".into()))?;
        answer
            .await
            .map_err(|_| WriteError::Fatal("server is shutting down".into()))?
    }
}

async fn run(
    raft: Raft,
    mut rx: mpsc::Receiver<(Vec<u8>, Reply)>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    commits: Arc<CommitRecorder>,
) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        // Take a slot first: while every slot is busy, writes pile up in the
        // queue and the next entry carries all of them.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let first = tokio::select! {
            _ = shutdown.cancelled() => return,
            first = rx.recv() => match first {
                Some(first) => first,
                None => return,
            },
        };
        let mut bytes = first.0.len();
        let mut batch = vec![first];
        while batch.len() < MAX_COMMANDS && bytes < MAX_BYTES {
            match rx.try_recv() {
                Ok(next) => {
                    bytes += next.0.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let raft = raft.clone();
        let commits = commits.clone();
        tasks.spawn(async move {
            propose(&raft, batch, &commits).await;
            drop(slot);
        });
    }
}

async fn propose(raft: &Raft, batch: Vec<(Vec<u8>, Reply)>, commits: &CommitRecorder) {
    let (commands, replies): (Vec<ByteBuf>, Vec<Reply>) = batch
        .into_iter()
        .map(|(cmd, reply)| (ByteBuf::from(cmd), reply))
        .unzip();
    let n = commands.len();
    let started = std::time::Instant::now();
    match raft.client_write(Commands(commands)).await {
        Ok(resp) => {
            commits.record(started.elapsed(), n);
            let index = resp.log_id.index;
            let mut answers = resp.data.0.into_iter();
            for reply in replies {
                let response = answers.next().map(ByteBuf::into_vec).unwrap_or_default();
                let _ = reply.send(Ok(Committed { index, response }));
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(write_error(&e)));
            }
        }
    }
}

/// Translates openraft's answer into the caller's terms.
pub(crate) fn write_error(
    e: &RaftError<NodeId, ClientWriteError<NodeId, BasicNode>>,
) -> WriteError {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
            match (f.leader_id, &f.leader_node) {
                (Some(id), Some(n)) => WriteError::ForwardToLeader(Some(Leader {
                    id,
                    addr: n.addr.clone(),
                })),
                (Some(_), None) => WriteError::ForwardToLeader(None),
                _ => WriteError::NoLeader,
            }
        }
        RaftError::APIError(e) => WriteError::Fatal(e.to_string()),
        RaftError::Fatal(f) => WriteError::Fatal(f.to_string()),
    }
}

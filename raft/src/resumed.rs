//! A leader that takes its leadership back after a restart.
//!
//! openraft restores a server whose stored vote is its own committed vote
//! as leader of the same term at once, without an election and without a
//! new blank entry, and with the committed index it last stored. That index
//! is not flushed on its own (see the log store), so after a crash it can
//! be older than writes this leader acknowledged before it stopped. The read
//! index openraft gives (the larger of that index and the term's first
//! entry) would then let a linearizable read miss acknowledged writes.
//!
//! Every write this leader acknowledged is in its own log, and a leader
//! never drops entries of its own log. So while it leads in the term it
//! resumed, a read index is at least the last entry its log held at start.

use drover_storage::SledLogStore;
use openraft::storage::RaftLogStorage;

use crate::error::StartError;
use crate::types::{NodeId, TypeConfig};

/// The term this server resumed as leader, and its last log index then.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resumed {
    term: u64,
    last_index: u64,
}

impl Resumed {
    /// Reads the stored vote and log: `Some` when openraft will restore
    /// server `id` as leader.
    pub(crate) async fn load(
        log: &mut SledLogStore<TypeConfig>,
        id: NodeId,
    ) -> Result<Option<Self>, StartError> {
        let failed = |e: openraft::StorageError<NodeId>| {
            StartError::Raft(format!("cannot read the stored vote and log: {e}"))
        };
        let Some(vote) = log.read_vote().await.map_err(failed)? else {
            return Ok(None);
        };
        if !vote.is_committed() || vote.leader_id().voted_for() != Some(id) {
            return Ok(None);
        }
        let state = log.get_log_state().await.map_err(failed)?;
        Ok(Some(Resumed {
            term: vote.leader_id().get_term(),
            last_index: state.last_log_id.map_or(0, |l| l.index),
        }))
    }

    /// The least read index while this server leads in `current_term`.
    pub(crate) fn floor(&self, current_term: u64) -> Option<u64> {
        (current_term == self.term).then_some(self.last_index)
    }
}

#[cfg(test)]
mod tests {
    use drover_storage::Db;
    use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Vote};

    use super::*;

    /// A log of five entries in term 3 with `vote`, in a fresh database.
    async fn store(dir: &std::path::Path, vote: Vote<NodeId>) -> SledLogStore<TypeConfig> {
        let db = Db::open(dir.join("raft")).expect("open");
        let mut log = SledLogStore::<TypeConfig>::open(&db).expect("store");
        let (tx, rx) = std::sync::mpsc::channel();
        let entries = (1..=5).map(|index| Entry {
            log_id: LogId::new(CommittedLeaderId::new(3, 7), index),
            payload: EntryPayload::Blank,
        });
        log.append_with(
            entries,
            Box::new(move |r| tx.send(r.is_ok()).expect("send")),
        )
        .expect("append");
        assert!(rx.recv().expect("flushed"));
        log.save_vote(&vote).await.expect("vote");
        log
    }

    #[tokio::test]
    async fn only_a_committed_vote_for_this_server_resumes_leadership_at_the_logs_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = store(dir.path(), Vote::new_committed(3, 7)).await;
        let resumed = Resumed::load(&mut log, 7)
            .await
            .expect("load")
            .expect("leader");
        assert_eq!(resumed.floor(3), Some(5));
        assert_eq!(
            resumed.floor(4),
            None,
            "a later term has its own blank entry"
        );
        assert!(Resumed::load(&mut log, 8).await.expect("load").is_none());

        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = store(dir.path(), Vote::new(3, 7)).await;
        assert!(Resumed::load(&mut log, 7).await.expect("load").is_none());
    }
}

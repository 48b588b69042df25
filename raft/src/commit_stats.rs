//! How long this server's entries took to commit, as its leader measured
//! them: from proposing a batch to openraft until it was committed and
//! applied (`client_write` returning). Followers record nothing (their
//! writes are proposed by the leader). Read by the orchestrator's
//! metrics as `nomad.raft.commitTime`.

use std::sync::Mutex;
use std::time::Duration;

/// Totals since start.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CommitStats {
    /// Entries committed.
    pub entries: u64,
    /// Commands in them (writes share entries: see the batcher).
    pub commands: u64,
    /// Sum, least, most and sum of squares of the entries' commit times,
    /// in milliseconds.
    pub sum_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub sum_sq_ms: f64,
}

/// The shared recorder.
#[derive(Default)]
pub(crate) struct CommitRecorder(Mutex<CommitStats>);

impl CommitRecorder {
    pub(crate) fn record(&self, took: Duration, commands: usize) {
        let ms = took.as_secs_f64() * 1000.0;
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if s.entries == 0 || ms < s.min_ms {
            s.min_ms = ms;
        }
        if s.entries == 0 || ms > s.max_ms {
            s.max_ms = ms;
        }
        s.entries += 1;
        s.commands += commands as u64;
        s.sum_ms += ms;
        s.sum_sq_ms += ms * ms;
    }

    pub(crate) fn get(&self) -> CommitStats {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_entries_commands_and_extremes() {
        let r = CommitRecorder::default();
        r.record(Duration::from_millis(4), 3);
        r.record(Duration::from_millis(2), 1);
        let s = r.get();
        assert_eq!((s.entries, s.commands), (2, 4));
        assert!((s.min_ms - 2.0).abs() < 1e-9 && (s.max_ms - 4.0).abs() < 1e-9);
        assert!((s.sum_ms - 6.0).abs() < 1e-9);
    }
}

//! A fake for tests (feature `testing`): watches and disturbs the flushes
//! of one [`Db`](crate::Db), so a test can tell whether an acknowledgement
//! came before or after the flush that made its data durable.
//!
//! It counts finished flushes, can hold every flush at its start until
//! released (a test then checks what was acknowledged meanwhile), and can
//! make flushes fail. Every clone of a `Db` shares one probe. Holding blocks
//! the flushing thread, so tests hold only while no async flush is due.

use std::sync::{Condvar, Mutex};

/// The probe's switches and counters.
#[derive(Debug, Default)]
struct Probe {
    finished: u64,
    held: bool,
    waiting: u64,
    failing: bool,
}

/// Counts, holds and fails the flushes of one database. Test-only.
#[derive(Debug, Default)]
pub struct FlushProbe {
    state: Mutex<Probe>,
    changed: Condvar,
}

impl FlushProbe {
    fn lock(&self) -> std::sync::MutexGuard<'_, Probe> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flushes that reached the disk so far.
    pub fn finished(&self) -> u64 {
        self.lock().finished
    }

    /// Flushes waiting at the start because they are held.
    pub fn waiting(&self) -> u64 {
        self.lock().waiting
    }

    /// Makes every flush wait at its start until [`FlushProbe::release`].
    pub fn hold(&self) {
        self.lock().held = true;
    }

    /// Lets held flushes (and later ones) run.
    pub fn release(&self) {
        self.lock().held = false;
        self.changed.notify_all();
    }

    /// Makes flushes fail (`true`) or work again (`false`).
    pub fn fail(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// Called by the database before it flushes: waits while held, then
    /// fails if told to.
    pub(crate) fn before_flush(&self) -> std::io::Result<()> {
        let mut state = self.lock();
        state.waiting += 1;
        while state.held {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.waiting -= 1;
        if state.failing {
            return Err(std::io::Error::other(
                "flush failed (injected by FlushProbe)",
            ));
        }
        Ok(())
    }

    /// Called by the database once a flush has returned.
    pub(crate) fn after_flush(&self) {
        self.lock().finished += 1;
    }
}

//! `check_restart`: counts a check's consecutive unhealthy runs, once its
//! grace period since the task started is over, and says when the limit
//! is reached (the task is then restarted through its restart policy).

use std::time::{Duration, Instant};

use crate::structs::{CHECK_CRITICAL, CHECK_WARNING};

/// The grace when the block sets none (Nomad's documented default).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// A check's `check_restart` block, parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckRestart {
    /// Consecutive unhealthy runs before a restart; 0: never.
    pub limit: u64,
    pub grace: Duration,
    pub ignore_warnings: bool,
}

impl CheckRestart {
    /// From the job's raw `{Limit, Grace (ns), IgnoreWarnings}`; None when
    /// absent or without a positive limit. No `Grace`: one second.
    pub fn parse(raw: Option<&serde_json::Value>) -> Option<Self> {
        let v = raw?;
        let limit = v.get("Limit").and_then(|l| l.as_u64()).unwrap_or(0);
        if limit == 0 {
            return None;
        }
        let grace = v
            .get("Grace")
            .and_then(|g| g.as_u64())
            .map(Duration::from_nanos)
            .unwrap_or(DEFAULT_GRACE);
        let ignore_warnings = v
            .get("IgnoreWarnings")
            .and_then(|b| b.as_bool())
            .unwrap_or(false);
        Some(Self {
            limit,
            grace,
            ignore_warnings,
        })
    }
}

/// The count for one check of one running task instance.
#[derive(Debug)]
pub struct RestartCounter {
    cfg: CheckRestart,
    /// When counting may begin (the task's start plus the grace).
    counts_from: Instant,
    failures: u64,
}

impl RestartCounter {
    /// For a task (re)started at `started`.
    pub fn new(cfg: CheckRestart, started: Instant) -> Self {
        Self {
            cfg,
            counts_from: started + cfg.grace,
            failures: 0,
        }
    }

    /// Records a run's status at `now`; true when the task must restart
    /// (the count then starts over, with a new grace from `now`).
    pub fn observe(&mut self, now: Instant, status: &str) -> bool {
        let unhealthy =
            status == CHECK_CRITICAL || (status == CHECK_WARNING && !self.cfg.ignore_warnings);
        if !unhealthy {
            self.failures = 0;
            return false;
        }
        if now < self.counts_from {
            return false;
        }
        self.failures += 1;
        if self.failures >= self.cfg.limit {
            self.failures = 0;
            self.counts_from = now + self.cfg.grace;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::CHECK_PASSING;

    fn cfg(limit: u64, grace: u64, ignore_warnings: bool) -> CheckRestart {
        CheckRestart {
            limit,
            grace: Duration::from_secs(grace),
            ignore_warnings,
        }
    }

    #[test]
    fn parses_the_jobspec_block() {
        let v = serde_json::json!({"Limit": 3, "Grace": 10_000_000_000u64, "IgnoreWarnings": true});
        assert_eq!(CheckRestart::parse(Some(&v)), Some(cfg(3, 10, true)));
        assert_eq!(
            CheckRestart::parse(Some(&serde_json::json!({"Limit": 0}))),
            None
        );
        assert_eq!(CheckRestart::parse(None), None);
        let v = serde_json::json!({"Limit": 2});
        assert_eq!(CheckRestart::parse(Some(&v)), Some(cfg(2, 1, false)));
    }

    #[test]
    fn restarts_after_limit_consecutive_failures_past_grace() {
        let t0 = Instant::now();
        let mut c = RestartCounter::new(cfg(2, 10, false), t0);
        // Within the grace: not counted.
        for s in 0..5 {
            assert!(!c.observe(t0 + Duration::from_secs(s), CHECK_CRITICAL));
        }
        let t = t0 + Duration::from_secs(11);
        assert!(!c.observe(t, CHECK_CRITICAL));
        // A pass breaks the run of failures.
        assert!(!c.observe(t, CHECK_PASSING));
        assert!(!c.observe(t, CHECK_CRITICAL));
        assert!(c.observe(t, CHECK_WARNING));
        // Then a new grace from the restart.
        assert!(!c.observe(t + Duration::from_secs(1), CHECK_CRITICAL));
        assert!(!c.observe(t + Duration::from_secs(2), CHECK_CRITICAL));
    }

    #[test]
    fn warnings_can_be_ignored() {
        let t0 = Instant::now();
        let mut c = RestartCounter::new(cfg(1, 0, true), t0);
        assert!(!c.observe(t0, CHECK_WARNING));
        assert!(!c.observe(t0, CHECK_WARNING));
        assert!(c.observe(t0, CHECK_CRITICAL));
    }
}

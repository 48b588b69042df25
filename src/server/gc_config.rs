//! Garbage collection settings of a server (the agent file's `server`
//! block: `eval_gc_threshold`, `job_gc_interval`, ...).

use std::time::Duration;

use crate::state::gc::GcThresholds;

/// How old objects must be to be collected, and how often the leader
/// looks. Defaults are Nomad's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcConfig {
    pub thresholds: GcThresholds,
    /// Evaluation (and allocation) collection (Nomad: 5 min).
    pub eval_interval: Duration,
    /// Job collection (`job_gc_interval`, Nomad: 5 min).
    pub job_interval: Duration,
    /// Node collection (Nomad: 5 min).
    pub node_interval: Duration,
}

impl Default for GcConfig {
    fn default() -> Self {
        GcConfig {
            thresholds: GcThresholds::default(),
            eval_interval: Duration::from_secs(300),
            job_interval: Duration::from_secs(300),
            node_interval: Duration::from_secs(300),
        }
    }
}

impl GcConfig {
    /// Intervals must be positive (Nomad: "job_gc_interval should be
    /// greater than 0s"); returns the name of the first that is not.
    pub fn validate(&self) -> Result<(), &'static str> {
        for (name, d) in [
            ("eval_gc_interval", self.eval_interval),
            ("job_gc_interval", self.job_interval),
            ("node_gc_interval", self.node_interval),
        ] {
            if d.is_zero() {
                return Err(name);
            }
        }
        Ok(())
    }
}

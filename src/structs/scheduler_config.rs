//! The cluster's scheduler configuration (Nomad's
//! `SchedulerConfiguration`), set through
//! `/v1/operator/scheduler/configuration` and kept in the replicated state.
//!
//! What Drover does with each setting:
//! - `SchedulerAlgorithm`: honoured by ranking (`binpack` fills the fullest
//!   node that fits, `spread` the emptiest; see `scheduler::stack`);
//! - `RejectJobRegistration`: honoured: registrations, reverts and scaling
//!   are refused while it is set. Nomad lets management tokens through,
//!   and with ACLs disabled every request counts as management, so there
//!   it only bites with ACLs on; Drover has no tokens and refuses every
//!   registration;
//! - `PreemptionConfig`, `MemoryOversubscriptionEnabled`,
//!   `PauseEvalBroker`, `NodeLimitForFeasibilityChecks`: stored and served
//!   only; Drover does not preempt, oversubscribe memory or pause its
//!   broker.

use serde::{Deserialize, Serialize};

/// How ranking scores a node that fits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SchedulerAlgorithm {
    /// Prefer the fullest node (Nomad's default).
    #[default]
    Binpack,
    /// Prefer the least used node.
    Spread,
}

pub const ALGORITHM_BINPACK: &str = "binpack";
pub const ALGORITHM_SPREAD: &str = "spread";

/// Which schedulers may preempt lower-priority allocations (stored only).
/// Absent fields are false, as Go decodes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreemptionConfig {
    pub system_scheduler_enabled: bool,
    pub sys_batch_scheduler_enabled: bool,
    pub batch_scheduler_enabled: bool,
    pub service_scheduler_enabled: bool,
}

/// Nomad's `SchedulerConfiguration`, as served and as stored. Absent
/// fields decode as Go's zero values (a `PUT` replaces the whole
/// configuration, as in Nomad); [`SchedulerConfiguration::initial`] is
/// what a cluster starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SchedulerConfiguration {
    /// `binpack` or `spread`; empty reads as `binpack`.
    pub scheduler_algorithm: String,
    pub preemption_config: PreemptionConfig,
    pub memory_oversubscription_enabled: bool,
    /// Refuse job registrations, reverts and scaling.
    pub reject_job_registration: bool,
    pub pause_eval_broker: bool,
    pub node_limit_for_feasibility_checks: u64,
    /// The Raft indexes of the entries that created and last changed the
    /// configuration (0 while it was never set).
    pub create_index: u64,
    pub modify_index: u64,
}

impl SchedulerConfiguration {
    /// Nomad's default configuration, served until one is set: bin-pack,
    /// and preemption for system jobs only.
    pub fn initial() -> Self {
        SchedulerConfiguration {
            scheduler_algorithm: ALGORITHM_BINPACK.into(),
            preemption_config: PreemptionConfig {
                system_scheduler_enabled: true,
                ..PreemptionConfig::default()
            },
            ..SchedulerConfiguration::default()
        }
    }

    /// The algorithm ranking uses (anything but `spread` packs; validation
    /// keeps other values out).
    pub fn algorithm(&self) -> SchedulerAlgorithm {
        if self.scheduler_algorithm == ALGORITHM_SPREAD {
            SchedulerAlgorithm::Spread
        } else {
            SchedulerAlgorithm::Binpack
        }
    }

    /// Nomad's `Canonicalize`: an empty algorithm is `binpack`.
    pub fn canonicalize(&mut self) {
        if self.scheduler_algorithm.is_empty() {
            self.scheduler_algorithm = ALGORITHM_BINPACK.into();
        }
    }

    /// Nomad's `Validate`, with its message.
    pub fn validate(&self) -> Result<(), String> {
        match self.scheduler_algorithm.as_str() {
            "" | ALGORITHM_BINPACK | ALGORITHM_SPREAD => Ok(()),
            other => Err(format!("invalid scheduler algorithm: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_json_shape_are_nomads() {
        let c = SchedulerConfiguration::initial();
        let v = serde_json::to_value(&c).expect("encode");
        assert_eq!(v["SchedulerAlgorithm"], "binpack");
        assert_eq!(v["PreemptionConfig"]["SystemSchedulerEnabled"], true);
        assert_eq!(v["PreemptionConfig"]["SysBatchSchedulerEnabled"], false);
        assert_eq!(v["MemoryOversubscriptionEnabled"], false);
        assert_eq!(v["RejectJobRegistration"], false);
        assert_eq!(v["PauseEvalBroker"], false);
        assert_eq!(v["CreateIndex"], 0);
        assert_eq!(v["ModifyIndex"], 0);
        // Absent fields are Go's zero values.
        let back: SchedulerConfiguration =
            serde_json::from_str(r#"{"SchedulerAlgorithm":"spread"}"#).expect("decode");
        assert_eq!(back.algorithm(), SchedulerAlgorithm::Spread);
        assert!(!back.preemption_config.system_scheduler_enabled);
    }

    #[test]
    fn only_known_algorithms_are_valid() {
        let mut c = SchedulerConfiguration::default();
        assert!(c.validate().is_ok());
        c.canonicalize();
        assert_eq!(c.scheduler_algorithm, "binpack");
        c.scheduler_algorithm = "tetris".into();
        assert_eq!(
            c.validate(),
            Err("invalid scheduler algorithm: tetris".to_string())
        );
    }
}

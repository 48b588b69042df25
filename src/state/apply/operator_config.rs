//! The operator's scheduler and autopilot configurations: one stored value
//! each, replaced whole.
//!
//! Check-and-set is decided here, against the Raft index of the stored
//! value (0 while none was ever set, which is what a read of the defaults
//! shows, so a `?cas=0` taken from such a read succeeds; Nomad writes its
//! defaults when a leader is first elected instead). A failed
//! check-and-set is not an error: it reports `config_updated: false` and
//! changes nothing.

use std::sync::Arc;

use super::super::{Applied, ApplyError, ConfigSet, State};
use crate::structs::{AutopilotConfiguration, SchedulerConfiguration};

pub fn set_scheduler(
    state: &mut State,
    index: u64,
    req: ConfigSet<SchedulerConfiguration>,
) -> Result<Applied, ApplyError> {
    let mut config = req.config;
    config.validate().map_err(ApplyError::Invalid)?;
    config.canonicalize();
    let stored = state.scheduler_config.as_deref();
    let Some(create_index) = stamp(
        stored.map(|c| (c.create_index, c.modify_index)),
        req.cas,
        index,
    ) else {
        return Ok(Applied::default());
    };
    config.create_index = create_index;
    config.modify_index = index;
    state.scheduler_config = Some(Arc::new(config));
    Ok(updated())
}

pub fn set_autopilot(
    state: &mut State,
    index: u64,
    req: ConfigSet<AutopilotConfiguration>,
) -> Result<Applied, ApplyError> {
    let mut config = req.config;
    config.validate().map_err(ApplyError::Invalid)?;
    let stored = state.autopilot_config.as_deref();
    let Some(create_index) = stamp(
        stored.map(|c| (c.create_index, c.modify_index)),
        req.cas,
        index,
    ) else {
        return Ok(Applied::default());
    };
    config.create_index = create_index;
    config.modify_index = index;
    state.autopilot_config = Some(Arc::new(config));
    Ok(updated())
}

/// The `CreateIndex` of the new value, or `None` when `cas` does not match
/// the stored `ModifyIndex` (`stored`: its create and modify indexes).
fn stamp(stored: Option<(u64, u64)>, cas: Option<u64>, index: u64) -> Option<u64> {
    let (create, modify) = stored.unwrap_or((index, 0));
    match cas {
        Some(expected) if expected != modify => None,
        _ => Some(create),
    }
}

fn updated() -> Applied {
    Applied {
        config_updated: true,
        ..Applied::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Command, Fsm};

    fn set(fsm: &mut Fsm, index: u64, algorithm: &str, cas: Option<u64>) -> bool {
        let config = SchedulerConfiguration {
            scheduler_algorithm: algorithm.into(),
            ..SchedulerConfiguration::initial()
        };
        fsm.apply_command(
            index,
            Command::SchedulerConfigSet(ConfigSet { config, cas }),
        )
        .expect("applies")
        .config_updated
    }

    #[test]
    fn check_and_set_is_decided_against_the_stored_modify_index() {
        let (mut fsm, handle) = Fsm::new();
        assert_eq!(handle.snapshot().scheduler_config().modify_index, 0);
        assert!(
            !set(&mut fsm, 3, "spread", Some(7)),
            "nothing stored is index 0"
        );
        assert!(set(&mut fsm, 4, "spread", Some(0)));
        let c = handle.snapshot().scheduler_config();
        assert_eq!((c.create_index, c.modify_index), (4, 4));
        assert_eq!(c.scheduler_algorithm, "spread");
        assert!(!set(&mut fsm, 5, "binpack", Some(3)));
        assert_eq!(
            handle.snapshot().scheduler_config().scheduler_algorithm,
            "spread"
        );
        assert!(set(&mut fsm, 6, "", Some(4)));
        let c = handle.snapshot().scheduler_config();
        assert_eq!((c.create_index, c.modify_index), (4, 6));
        assert_eq!(c.scheduler_algorithm, "binpack", "empty is binpack");
        assert!(set(&mut fsm, 7, "spread", None), "no cas: always written");
    }

    #[test]
    fn an_invalid_algorithm_is_refused_at_apply() {
        let (mut fsm, handle) = Fsm::new();
        let config = SchedulerConfiguration {
            scheduler_algorithm: "tetris".into(),
            ..SchedulerConfiguration::default()
        };
        let refused = fsm.apply_command(
            1,
            Command::SchedulerConfigSet(ConfigSet { config, cas: None }),
        );
        assert!(matches!(refused, Err(ApplyError::Invalid(_))));
        assert_eq!(handle.snapshot().scheduler_config().modify_index, 0);
    }

    #[test]
    fn autopilot_check_and_set() {
        let (mut fsm, handle) = Fsm::new();
        let mut config = AutopilotConfiguration::initial();
        config.max_trailing_logs = 10;
        let applied = fsm
            .apply_command(
                2,
                Command::AutopilotConfigSet(ConfigSet {
                    config: config.clone(),
                    cas: Some(1),
                }),
            )
            .expect("applies");
        assert!(!applied.config_updated);
        let applied = fsm
            .apply_command(
                3,
                Command::AutopilotConfigSet(ConfigSet { config, cas: None }),
            )
            .expect("applies");
        assert!(applied.config_updated);
        let c = handle.snapshot().autopilot_config();
        assert_eq!(
            (c.max_trailing_logs, c.create_index, c.modify_index),
            (10, 3, 3)
        );
    }
}

//! The operator's scheduler and autopilot configurations: validated here,
//! written whole through one command each, check-and-set decided at apply
//! (`state::apply::operator_config`).

use super::super::{Server, ServerError};
use crate::state::{Command, ConfigSet};
use crate::structs::{AutopilotConfiguration, SchedulerConfiguration};

/// Nomad's refusal while `RejectJobRegistration` is set.
pub const REGISTRATION_DISABLED: &str =
    "Job registration, dispatch, and scale are disabled by the scheduler configuration";

/// The outcome of a configuration write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigWrite {
    /// False when the check-and-set did not match (nothing changed).
    pub updated: bool,
    /// The Raft index of the entry.
    pub index: u64,
}

pub async fn set_scheduler_config(
    server: &Server,
    config: SchedulerConfiguration,
    cas: Option<u64>,
) -> Result<ConfigWrite, ServerError> {
    config.validate().map_err(ServerError::BadRequest)?;
    let command = Command::SchedulerConfigSet(ConfigSet { config, cas });
    let (index, applied) = server.propose(&command).await?;
    Ok(ConfigWrite {
        updated: applied.config_updated,
        index,
    })
}

pub async fn set_autopilot_config(
    server: &Server,
    config: AutopilotConfiguration,
    cas: Option<u64>,
) -> Result<ConfigWrite, ServerError> {
    config.validate().map_err(ServerError::BadRequest)?;
    let command = Command::AutopilotConfigSet(ConfigSet { config, cas });
    let (index, applied) = server.propose(&command).await?;
    Ok(ConfigWrite {
        updated: applied.config_updated,
        index,
    })
}

/// Refuses a job registration (or revert, or scale) while the scheduler
/// configuration says `RejectJobRegistration`. Read from this server's
/// latest state, as Nomad reads its own; Drover has no management token to
/// let through.
pub fn check_registrations_allowed(server: &Server) -> Result<(), ServerError> {
    if server
        .state()
        .snapshot()
        .scheduler_config()
        .reject_job_registration
    {
        return Err(ServerError::Refused(REGISTRATION_DISABLED.into()));
    }
    Ok(())
}

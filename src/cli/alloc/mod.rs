//! `drover alloc ...`: allocation status, logs, stop and restart.

mod checks;
pub mod logs;
mod logs_tail;
mod lookup;
mod render;
pub mod restart;
pub mod status;
pub mod stop;
mod task_events;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum AllocCommand {
    /// Shows an allocation.
    Status(status::StatusArgs),
    /// Prints a task's logs.
    Logs(logs::LogsArgs),
    /// Stops an allocation (the scheduler replaces it).
    Stop(stop::StopArgs),
    /// Restarts an allocation's tasks in place.
    Restart(restart::RestartArgs),
}

pub fn run_command(c: AllocCommand) -> ExitCode {
    match c {
        AllocCommand::Status(a) => status::run(a),
        AllocCommand::Logs(a) => logs::run(a),
        AllocCommand::Stop(a) => stop::run(a),
        AllocCommand::Restart(a) => restart::run(a),
    }
}

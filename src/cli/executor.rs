//! `drover executor <spec file>`: runs one raw_exec task for the client
//! agent (see `drover::client::driver::raw_exec::executor`). Hidden: only
//! the agent starts it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct ExecutorArgs {
    /// The JSON spec the raw_exec driver wrote.
    spec: PathBuf,
}

pub fn run(args: ExecutorArgs) -> ExitCode {
    drover::client::driver::raw_exec::executor::run(&args.spec)
}

//! The `drover` command.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "drover", version = drover::VERSION, about = "A Nomad-compatible workload orchestrator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prints the version.
    Version,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => println!("Drover v{}", drover::VERSION),
    }
}

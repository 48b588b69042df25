//! `drover init`: writes an example job file.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

/// A documented job running Redis in Docker, as in Nomad's `init`.
const EXAMPLE: &str = include_str!("example.nomad");
/// The same job without comments or optional blocks.
const EXAMPLE_SHORT: &str = include_str!("example_short.nomad");

#[derive(Args)]
pub struct InitArgs {
    /// Write a minimal job file without comments.
    #[arg(long)]
    pub short: bool,
    /// The file to write.
    #[arg(default_value = "example.nomad")]
    pub file: String,
}

pub fn run(a: InitArgs) -> ExitCode {
    let text = if a.short { EXAMPLE_SHORT } else { EXAMPLE };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&a.file);
    let mut f = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!("Job '{}' already exists", a.file);
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("Failed to write '{}': {e}", a.file);
            return ExitCode::from(1);
        }
    };
    if let Err(e) = f.write_all(text.as_bytes()) {
        eprintln!("Failed to write '{}': {e}", a.file);
        return ExitCode::from(1);
    }
    println!("Example job file written to {}", a.file);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::{EXAMPLE, EXAMPLE_SHORT};

    #[test]
    fn the_examples_parse_and_validate() {
        for (name, text) in [("example.nomad", EXAMPLE), ("short.nomad", EXAMPLE_SHORT)] {
            let job = drover::jobspec::parse_and_validate(name, text).expect(name);
            assert_eq!(job.id, "example");
            assert_eq!(job.datacenters, ["dc1"]);
            assert_eq!(
                job.task_groups[0].tasks[0]
                    .resources
                    .as_ref()
                    .map(|r| r.memory_mb),
                Some(256)
            );
        }
    }
}

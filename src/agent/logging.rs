//! The agent's own log on stderr: Nomad's levels (`-log-level`,
//! `log_level`), text for people or JSON lines for machines (`-log-json`,
//! `log_json`). Colour is used only when stderr is a terminal, so a log
//! redirected to a file holds no escape sequences.
//!
//! The level applies to Drover's own crates; libraries (HTTP, Raft, the
//! Docker client) only get through with warnings and errors, so `debug`
//! stays readable. `DROVER_LOG` (tracing's filter syntax, e.g.
//! `debug,hyper=trace`) replaces the whole filter when set.
//!
//! The filter belongs to the stderr output only: `/v1/agent/monitor`
//! (`super::log_monitor`) has its own layer and level.

use std::fmt;
use std::io::IsTerminal;

/// How much the agent logs, least to most: as Nomad's `log_level`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

/// The accepted names, for error messages.
pub const LOG_LEVELS: &str = "trace, debug, info, warn, error";

/// A level name that is not one of [`LOG_LEVELS`].
#[derive(Debug, thiserror::Error)]
#[error("invalid log level {0:?}; valid log levels are {LOG_LEVELS} (in any case)")]
pub struct BadLogLevel(pub String);

impl LogLevel {
    /// Parses a level name in any case. `err` is accepted too: it is how
    /// Nomad's own level list spells it.
    pub fn parse(name: &str) -> Result<LogLevel, BadLogLevel> {
        match name.trim().to_ascii_lowercase().as_str() {
            "trace" => Ok(LogLevel::Trace),
            "debug" => Ok(LogLevel::Debug),
            "info" => Ok(LogLevel::Info),
            "warn" => Ok(LogLevel::Warn),
            "error" | "err" => Ok(LogLevel::Error),
            _ => Err(BadLogLevel(name.to_string())),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// The filter: this level for Drover's crates, at most `warn` for
    /// everything else.
    pub fn directives(self) -> String {
        let others = self.min(LogLevel::Warn);
        let own = self.as_str();
        format!(
            "{},drover={own},drover_raft={own},drover_storage={own}",
            others.as_str()
        )
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether text output may carry colour: stderr is a terminal and
/// `NO_COLOR` is unset or empty.
pub fn colour_on_stderr() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// Installs the process-wide subscriber (a second call does nothing):
/// stderr at `level`, and the monitor's layer.
pub fn init(level: LogLevel, json: bool) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = tracing_subscriber::EnvFilter::try_from_env("DROVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level.directives()));
    let output = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let output = if json {
        // One object per line; the event's fields (`message` among them)
        // at the top level next to `timestamp`, `level` and `target`.
        output
            .json()
            .flatten_event(true)
            .with_ansi(false)
            .with_filter(filter)
            .boxed()
    } else {
        output
            .with_ansi(colour_on_stderr())
            .with_filter(filter)
            .boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(output)
        .with(super::log_monitor::layer())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!(LogLevel::parse("DEBUG").ok(), Some(LogLevel::Debug));
        assert_eq!(LogLevel::parse("Warn").ok(), Some(LogLevel::Warn));
        assert_eq!(LogLevel::parse("ERR").ok(), Some(LogLevel::Error));
        assert_eq!(LogLevel::parse("error").ok(), Some(LogLevel::Error));
        assert_eq!(LogLevel::parse("trace").ok(), Some(LogLevel::Trace));
        let err = LogLevel::parse("loud").expect_err("not a level");
        let text = err.to_string();
        assert!(text.contains("\"loud\""), "{text}");
        assert!(text.contains(LOG_LEVELS), "{text}");
    }

    #[test]
    fn libraries_never_log_below_warn() {
        assert_eq!(
            LogLevel::Debug.directives(),
            "warn,drover=debug,drover_raft=debug,drover_storage=debug"
        );
        assert_eq!(
            LogLevel::Error.directives(),
            "error,drover=error,drover_raft=error,drover_storage=error"
        );
    }
}

//! The garbage collection keys of the agent file's `server` block, with
//! Nomad's names and Go duration strings:
//!
//! ```hcl
//! server {
//!   eval_gc_threshold       = "1h"    # terminal evaluations and their allocations
//!   batch_eval_gc_threshold = "24h"   # the same, for batch jobs
//!   job_gc_threshold        = "4h"    # dead jobs
//!   node_gc_threshold       = "24h"   # down nodes
//!   job_gc_interval         = "5m"
//!   eval_gc_interval        = "5m"    # Drover's; Nomad fixes it at 5m
//!   node_gc_interval        = "5m"    # Drover's; Nomad fixes it at 5m
//! }
//! ```
//! Thresholds may be 0 (collect as soon as terminal); intervals must be
//! positive.

use std::time::Duration;

use super::config::ConfigError;
use crate::server::GcConfig;

/// The keys as written in the file (absent: keep the current value).
#[derive(Debug, Default)]
pub(super) struct GcKeys<'a> {
    pub eval_gc_threshold: Option<&'a str>,
    pub batch_eval_gc_threshold: Option<&'a str>,
    pub job_gc_threshold: Option<&'a str>,
    pub node_gc_threshold: Option<&'a str>,
    pub eval_gc_interval: Option<&'a str>,
    pub job_gc_interval: Option<&'a str>,
    pub node_gc_interval: Option<&'a str>,
}

fn duration(file: &str, key: &str, text: &str) -> Result<Duration, ConfigError> {
    crate::jobspec::parse_duration(text)
        .ok()
        .filter(|ns| *ns >= 0)
        .map(|ns| Duration::from_nanos(ns as u64))
        .ok_or_else(|| ConfigError::Invalid {
            field: format!("{file}: server.{key}"),
            rule: format!("{text:?} is not a duration"),
        })
}

/// Merges the keys of the file shown as `file` over `gc`.
pub(super) fn merge(gc: &mut GcConfig, file: &str, keys: GcKeys) -> Result<(), ConfigError> {
    let t = &mut gc.thresholds;
    let slots: [(&str, Option<&str>, &mut Duration); 7] = [
        ("eval_gc_threshold", keys.eval_gc_threshold, &mut t.eval),
        (
            "batch_eval_gc_threshold",
            keys.batch_eval_gc_threshold,
            &mut t.batch_eval,
        ),
        ("job_gc_threshold", keys.job_gc_threshold, &mut t.job),
        ("node_gc_threshold", keys.node_gc_threshold, &mut t.node),
        (
            "eval_gc_interval",
            keys.eval_gc_interval,
            &mut gc.eval_interval,
        ),
        (
            "job_gc_interval",
            keys.job_gc_interval,
            &mut gc.job_interval,
        ),
        (
            "node_gc_interval",
            keys.node_gc_interval,
            &mut gc.node_interval,
        ),
    ];
    for (key, text, slot) in slots {
        if let Some(text) = text {
            *slot = duration(file, key, text)?;
        }
    }
    Ok(())
}

/// Checks the merged settings.
pub(super) fn validate(gc: &GcConfig) -> Result<(), ConfigError> {
    gc.validate().map_err(|key| ConfigError::Invalid {
        field: format!("server.{key}"),
        rule: "must be greater than 0s".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::AgentConfig;
    use super::*;

    fn merged(text: &str) -> Result<AgentConfig, ConfigError> {
        let f = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(f.path(), text).expect("write");
        let mut c = AgentConfig::default();
        c.merge_file(f.path())?;
        Ok(c)
    }

    #[test]
    fn gc_keys_take_nomads_names_and_go_durations() {
        let c = merged(
            r#"
server {
  enabled                 = true
  eval_gc_threshold       = "2s"
  batch_eval_gc_threshold = "1m30s"
  job_gc_threshold        = "0s"
  node_gc_threshold       = "48h"
  job_gc_interval         = "500ms"
  eval_gc_interval        = "1s"
  node_gc_interval        = "10m"
  deployment_gc_threshold = "1h"
}
"#,
        )
        .expect("parse");
        let t = c.gc.thresholds;
        assert_eq!(t.eval, Duration::from_secs(2));
        assert_eq!(t.batch_eval, Duration::from_secs(90));
        assert_eq!(t.job, Duration::ZERO);
        assert_eq!(t.node, Duration::from_secs(48 * 3600));
        assert_eq!(c.gc.job_interval, Duration::from_millis(500));
        assert_eq!(c.gc.eval_interval, Duration::from_secs(1));
        assert_eq!(c.gc.node_interval, Duration::from_secs(600));
        assert!(gc_file_defaults_are_nomads());
    }

    fn gc_file_defaults_are_nomads() -> bool {
        let d = GcConfig::default();
        d.thresholds.eval == Duration::from_secs(3600)
            && d.thresholds.batch_eval == Duration::from_secs(86_400)
            && d.thresholds.job == Duration::from_secs(4 * 3600)
            && d.thresholds.node == Duration::from_secs(86_400)
            && d.job_interval == Duration::from_secs(300)
    }

    #[test]
    fn bad_durations_and_zero_intervals_are_refused_by_name() {
        let err = merged("server {\n eval_gc_threshold = \"soon\"\n}\n").expect_err("bad");
        let text = err.to_string();
        assert!(text.contains("server.eval_gc_threshold"), "{text}");
        assert!(text.contains("\"soon\" is not a duration"), "{text}");

        let c = merged("server {\n job_gc_interval = \"0s\"\n}\n").expect("parses");
        let err = validate(&c.gc).expect_err("zero interval");
        assert_eq!(
            err.to_string(),
            "server.job_gc_interval: must be greater than 0s"
        );
    }
}

//! The agent file's HTTP settings: the `http_api` and `limits` blocks.
//!
//! ```hcl
//! http_api {
//!   # Web origins whose pages may write through the API from a browser.
//!   allowed_origins = ["https://ui.example.com"]
//! }
//! limits {
//!   http_max_conns_per_client = 1024   # as in Nomad; 0: no cap
//!   http_max_conns            = 8192   # all clients together; 0: no cap
//!   http_header_read_timeout  = "10s"  # first byte to end of header
//!   http_idle_timeout         = "75s"  # no request in progress
//! }
//! ```
//!
//! Nomad has no `http_api` block (its API is guarded by ACL tokens); Drover
//! adds one for the origin allow-list. `limits` is Nomad's block; its keys
//! that configure RPC or TLS are accepted and ignored.

use serde::Deserialize;

use super::config::{AgentConfig, ConfigError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileHttpApi {
    allowed_origins: Option<Vec<String>>,
}

#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileLimits {
    http_max_conns_per_client: Option<usize>,
    http_max_conns: Option<usize>,
    http_header_read_timeout: Option<String>,
    http_idle_timeout: Option<String>,
    // Accepted and ignored: Drover's RPC and TLS have no such limits yet.
    https_handshake_timeout: Option<String>,
    rpc_handshake_timeout: Option<String>,
    rpc_max_conns_per_client: Option<usize>,
}

/// A duration written as in Nomad's files (`"10s"`), non-negative.
fn duration(field: &str, text: &str) -> Result<std::time::Duration, ConfigError> {
    crate::jobspec::parse_duration(text)
        .ok()
        .filter(|ns| *ns >= 0)
        .map(|ns| std::time::Duration::from_nanos(ns as u64))
        .ok_or_else(|| ConfigError::Invalid {
            field: field.into(),
            rule: format!("{text:?} is not a duration"),
        })
}

/// Merges the blocks of the file shown as `file` over `config`.
pub(super) fn merge(
    config: &mut AgentConfig,
    file: &str,
    http_api: Option<FileHttpApi>,
    limits: Option<FileLimits>,
) -> Result<(), ConfigError> {
    if let Some(origins) = http_api.and_then(|h| h.allowed_origins) {
        config.allowed_origins = origins;
    }
    let Some(l) = limits else {
        return Ok(());
    };
    let limits = &mut config.http_limits;
    if let Some(n) = l.http_max_conns_per_client {
        limits.max_conns_per_client = n;
    }
    if let Some(n) = l.http_max_conns {
        limits.max_conns = n;
    }
    if let Some(t) = &l.http_header_read_timeout {
        limits.header_read_timeout =
            duration(&format!("{file}: limits.http_header_read_timeout"), t)?;
    }
    if let Some(t) = &l.http_idle_timeout {
        limits.idle_timeout = duration(&format!("{file}: limits.http_idle_timeout"), t)?;
    }
    Ok(())
}

/// Checks the merged HTTP settings.
pub(super) fn validate(config: &AgentConfig) -> Result<(), ConfigError> {
    let invalid = |field: &str, rule: String| ConfigError::Invalid {
        field: field.into(),
        rule,
    };
    for origin in &config.allowed_origins {
        if crate::api::Origin::parse(origin).is_none() {
            return Err(invalid(
                "http_api.allowed_origins",
                format!(
                    "{origin:?} is not a web origin (http://host[:port] or https://host[:port])"
                ),
            ));
        }
    }
    let limits = &config.http_limits;
    if limits.header_read_timeout.is_zero() {
        return Err(invalid(
            "limits.http_header_read_timeout",
            "must be more than 0s".into(),
        ));
    }
    if limits.idle_timeout.is_zero() {
        return Err(invalid(
            "limits.http_idle_timeout",
            "must be more than 0s".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn merged(text: &str) -> Result<AgentConfig, ConfigError> {
        let f = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(f.path(), text).expect("write");
        let mut c = AgentConfig {
            dev: true,
            ..AgentConfig::default()
        };
        c.merge_file(f.path())?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn reads_the_allow_list_and_the_limits() {
        let c = merged(
            r#"
http_api { allowed_origins = ["https://ui.example.com", "http://127.0.0.1:3000"] }
limits {
  http_max_conns_per_client = 50
  http_max_conns            = 500
  http_header_read_timeout  = "5s"
  http_idle_timeout         = "2m"
  rpc_max_conns_per_client  = 100
}
"#,
        )
        .expect("valid file");
        assert_eq!(
            c.allowed_origins,
            ["https://ui.example.com", "http://127.0.0.1:3000"]
        );
        let l = c.http_limits;
        assert_eq!((l.max_conns_per_client, l.max_conns), (50, 500));
        assert_eq!(l.header_read_timeout, Duration::from_secs(5));
        assert_eq!(l.idle_timeout, Duration::from_secs(120));
    }

    #[test]
    fn bad_origins_and_durations_are_refused_by_name() {
        let err = merged("http_api { allowed_origins = [\"evil.example\"] }\n")
            .expect_err("not an origin");
        assert!(
            err.to_string().contains("http_api.allowed_origins"),
            "{err}"
        );
        let err = merged("limits { http_idle_timeout = \"soon\" }\n").expect_err("not a duration");
        assert!(
            err.to_string().contains("limits.http_idle_timeout"),
            "{err}"
        );
        let err = merged("limits { http_header_read_timeout = \"0s\" }\n").expect_err("zero");
        assert!(err.to_string().contains("more than 0s"), "{err}");
    }
}

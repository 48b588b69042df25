//! The agent file's `consul_compat` block: Drover's read-only,
//! Consul-shaped catalog on a listener of its own (see `crate::consul`).
//!
//! ```hcl
//! consul_compat {
//!   enabled = true
//!   address = "127.0.0.1:8500"   # the default when enabled
//! }
//! ```
//!
//! Only a server serves it: a client-only agent with the catalog enabled
//! is refused at validation.

use std::net::SocketAddr;

use serde::Deserialize;

use super::config::{AgentConfig, ConfigError};

/// Consul's default HTTP address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8500";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConsulCompat {
    enabled: Option<bool>,
    address: Option<String>,
}

/// Parses a listener address (`host:port`, port 0 allowed), naming `field`.
pub fn parse_addr(field: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse().map_err(|_| ConfigError::Invalid {
        field: field.into(),
        rule: format!("{text:?} is not an address of the form IP:PORT"),
    })
}

/// Merges the block of the file shown as `file` over `config`.
pub(super) fn merge(
    config: &mut AgentConfig,
    file: &str,
    block: Option<FileConsulCompat>,
) -> Result<(), ConfigError> {
    let Some(block) = block else {
        return Ok(());
    };
    let addr = match &block.address {
        Some(a) => Some(parse_addr(&format!("{file}: consul_compat.address"), a)?),
        None => None,
    };
    match block.enabled {
        Some(false) => config.consul_compat = None,
        Some(true) | None => {
            let fallback = config
                .consul_compat
                .map_or_else(|| parse_addr("consul_compat.address", DEFAULT_ADDR), Ok)?;
            config.consul_compat = Some(addr.unwrap_or(fallback));
        }
    }
    Ok(())
}

/// A client-only agent has no state to serve the catalog from.
pub(super) fn validate(config: &AgentConfig) -> Result<(), ConfigError> {
    if config.consul_compat.is_some() && !config.server && !config.dev {
        return Err(ConfigError::Invalid {
            field: "consul_compat".into(),
            rule: "only a server agent (-server or -dev) serves the Consul-compatible catalog; \
                   enable it on a server"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(text: &str) -> Result<AgentConfig, ConfigError> {
        let f = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(f.path(), text).expect("write");
        let mut c = AgentConfig::default();
        c.merge_file(f.path())?;
        Ok(c)
    }

    #[test]
    fn the_block_enables_the_listener_on_its_address() {
        let c = merged("consul_compat {\n enabled = true\n address = \"127.0.0.1:18500\"\n}\n")
            .expect("parse");
        assert_eq!(
            c.consul_compat,
            Some("127.0.0.1:18500".parse().expect("addr"))
        );
        let c = merged("consul_compat { enabled = true }\n").expect("parse");
        assert_eq!(c.consul_compat, Some(DEFAULT_ADDR.parse().expect("addr")));
        let c = merged("consul_compat { enabled = false }\n").expect("parse");
        assert_eq!(c.consul_compat, None);
    }

    #[test]
    fn bad_addresses_and_unknown_keys_are_refused() {
        let err = merged("consul_compat { address = \"localhost\" }\n").expect_err("bad");
        assert!(err.to_string().contains("consul_compat.address"), "{err}");
        let err = merged("consul_compat { port = 8500 }\n").expect_err("unknown");
        assert!(err.to_string().contains("port"), "{err}");
    }

    #[test]
    fn a_client_only_agent_is_refused() {
        let c = AgentConfig {
            client: true,
            consul_compat: Some(DEFAULT_ADDR.parse().expect("addr")),
            ..AgentConfig::default()
        };
        let err = validate(&c).expect_err("client only");
        assert!(err.to_string().contains("only a server"), "{err}");
    }
}

//! Namespaces: named scopes for jobs, allocations, evaluations, variables
//! and services. `default` always exists and cannot be deleted.

use serde::{Deserialize, Serialize};

use super::StrMap;

pub const DEFAULT_NAMESPACE: &str = "default";
/// Nomad's limit on a description.
pub const MAX_NAMESPACE_DESCRIPTION: usize = 256;

/// Nomad's `Namespace`. Capabilities and the node pool, Vault and Consul
/// settings are kept as given (free-form) and not enforced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Namespace {
    pub name: String,
    pub description: String,
    pub quota: String,
    pub capabilities: Option<serde_json::Value>,
    pub node_pool_configuration: Option<serde_json::Value>,
    pub vault_configuration: Option<serde_json::Value>,
    pub consul_configuration: Option<serde_json::Value>,
    pub meta: Option<StrMap>,
    pub required_extra_claims: Option<StrMap>,
    pub optional_extra_claims: Option<StrMap>,
    pub create_index: u64,
    pub modify_index: u64,
}

impl Namespace {
    /// The namespace every cluster has, as Nomad creates it.
    pub fn default_namespace() -> Namespace {
        Namespace {
            name: DEFAULT_NAMESPACE.into(),
            description: "Default shared namespace".into(),
            create_index: 1,
            modify_index: 1,
            ..Namespace::default()
        }
    }

    /// Nomad's rules, with its messages.
    pub fn validate(&self) -> Result<(), String> {
        let mut errors = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 128
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !name_ok {
            errors.push(format!(
                "invalid name {:?}. Must match regex ^[a-zA-Z0-9-]{{1,128}}$",
                self.name
            ));
        }
        if self.description.len() > MAX_NAMESPACE_DESCRIPTION {
            errors.push(format!(
                "description longer than {MAX_NAMESPACE_DESCRIPTION}"
            ));
        }
        let meta_too_big = self.meta.as_ref().is_some_and(|m| {
            m.len() > 64 || m.iter().any(|(k, v)| k.len() > 256 || v.len() > 4096)
        });
        if meta_too_big {
            errors.push("meta is limited to 64 entries of 256-byte keys and 4 KiB values".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_nomads_rule() {
        let ns = |name: &str| Namespace {
            name: name.into(),
            ..Namespace::default()
        };
        assert!(ns("prod-1").validate().is_ok());
        for bad in ["", "a b", "a/b", "a.b", "ä"] {
            assert!(ns(bad).validate().is_err(), "{bad:?}");
        }
        assert!(ns(&"a".repeat(129)).validate().is_err());
        let long = Namespace {
            description: "d".repeat(257),
            ..ns("x")
        };
        assert_eq!(long.validate(), Err("description longer than 256".into()));
    }
}

//! Variables: small encrypted-at-rest key/value documents in Nomad, stored
//! here as plain items in the replicated state (Drover has no keyring; the
//! items are as private as the Raft log and snapshots that hold them).
//!
//! Paths follow Nomad's rule (`[a-zA-Z0-9-_~/]{1,128}`, and the reserved
//! `nomad/` tree), items are limited to 64 KiB in total, and locks
//! (`?lock-acquire`) are not offered: a lock operation is refused with 400.

use serde::{Deserialize, Serialize};

use super::StrMap;

/// The most the items of one variable may hold (keys and values), as Nomad.
pub const MAX_VARIABLE_SIZE: usize = 64 * 1024;
/// The longest path Nomad accepts.
pub const MAX_VARIABLE_PATH: usize = 128;

/// A variable with its items (Nomad's `VariableDecrypted`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Variable {
    pub namespace: String,
    pub path: String,
    pub create_index: u64,
    pub create_time: i64,
    pub modify_index: u64,
    pub modify_time: i64,
    pub items: StrMap,
}

/// A variable without its items: what lists show (`VariableMetadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VariableMetadata {
    pub namespace: String,
    pub path: String,
    pub create_index: u64,
    pub create_time: i64,
    pub modify_index: u64,
    pub modify_time: i64,
}

impl Variable {
    /// A variable that does not exist: the conflict Nomad answers when a
    /// check-and-set expected one.
    pub fn absent(namespace: &str, path: &str) -> Variable {
        Variable {
            namespace: namespace.into(),
            path: path.into(),
            ..Variable::default()
        }
    }

    pub fn metadata(&self) -> VariableMetadata {
        VariableMetadata {
            namespace: self.namespace.clone(),
            path: self.path.clone(),
            create_index: self.create_index,
            create_time: self.create_time,
            modify_index: self.modify_index,
            modify_time: self.modify_time,
        }
    }

    /// The size Nomad counts against the limit: keys and values.
    pub fn items_size(&self) -> usize {
        self.items.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len()).saturating_add(v.len())
        })
    }

    /// Nomad's rules for a variable that is written, with its messages.
    pub fn validate(&self) -> Result<(), String> {
        if self.namespace == "*" {
            return Err("can not target wildcard (\"*\")namespace".into());
        }
        if self.items.is_empty() {
            return Err("variable missing required Items object".into());
        }
        if self.items_size() > MAX_VARIABLE_SIZE {
            return Err("variables are limited to 64KiB in total size".into());
        }
        validate_path(&self.path)
    }
}

/// Nomad's path rule: URL-safe characters only (no `.`, `@`, control
/// characters or spaces), 1 to 128 of them, and the reserved `nomad/`
/// tree (only `nomad/jobs...`, `nomad/sentinel...` and
/// `nomad/job-templates/NAME` may be written).
pub fn validate_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("variable requires path".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '~' | '/');
    if path.len() > MAX_VARIABLE_PATH || !path.chars().all(allowed) {
        return Err(format!("invalid path {path:?}"));
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts[0] != "nomad" {
        return Ok(());
    }
    match parts.get(1).copied() {
        None => Err(
            "\"nomad\" is a reserved top-level directory path, but you may write \
             variables to \"nomad/jobs\", \"nomad/job-templates\", \"nomad/sentinel\", or below"
                .into(),
        ),
        Some("jobs") | Some("sentinel") => Ok(()),
        Some("job-templates") if parts.len() == 3 => Ok(()),
        Some("job-templates") => Err(
            "\"nomad/job-templates\" is a reserved directory path, you may only write \
             variables at the level directly below it, for example \
             \"nomad/job-templates/template-name\""
                .into(),
        ),
        Some(_) => Err(
            "only paths at \"nomad/jobs\" or \"nomad/job-templates\" and below are valid \
             paths under the top-level \"nomad\" directory"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_nomads_rule() {
        for ok in [
            "a",
            "app/db",
            "x-y_z~1",
            "nomad/jobs",
            "nomad/jobs/web/task",
            "nomad/job-templates/t",
        ] {
            assert_eq!(validate_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a/../b",
            "a.b",
            "a b",
            "a\nb",
            "é",
            "nomad",
            "nomad/other",
            "nomad/job-templates",
            "nomad/job-templates/a/b",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?}");
        }
        assert!(validate_path(&"a".repeat(128)).is_ok());
        assert!(validate_path(&"a".repeat(129)).is_err());
    }

    #[test]
    fn items_are_required_and_bounded() {
        let mut v = Variable::absent("default", "p");
        assert!(v.validate().is_err());
        v.items.insert("k".into(), "v".into());
        assert_eq!(v.validate(), Ok(()));
        v.items.insert("big".into(), "x".repeat(MAX_VARIABLE_SIZE));
        assert_eq!(
            v.validate(),
            Err("variables are limited to 64KiB in total size".into())
        );
    }
}

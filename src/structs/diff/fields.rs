//! Primitive fields: flattening values into `name → string` maps and diffing
//! two such maps field by field.
//!
//! Values are shown as plan shows them: strings as they are, numbers in
//! decimal (durations therefore as nanoseconds), booleans as `true`/`false`.
//! An empty string counts as absent, so `"" → "x"` is an addition.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::structs::{DiffType, FieldDiff, StrMap};

/// Flattened primitive fields, by name (sorted, as plan lists them).
pub(crate) type Flat = BTreeMap<String, String>;

/// The scalar members of `value`'s JSON form, under their Nomad names,
/// leaving out `skip`. Nested objects, lists, maps and nulls are left out:
/// callers diff those as objects or add them with [`add_map`].
pub(crate) fn scalars<T: Serialize>(value: &T, skip: &[&str]) -> Flat {
    let mut flat = Flat::new();
    if let Ok(Value::Object(members)) = serde_json::to_value(value) {
        for (name, member) in members {
            if skip.contains(&name.as_str()) {
                continue;
            }
            if let Some(text) = scalar_text(&member) {
                flat.insert(name, text);
            }
        }
    }
    flat
}

/// The text of a JSON scalar; `None` for objects, arrays and null.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Adds each entry of a string map as the field `name[key]`.
pub(crate) fn add_map(flat: &mut Flat, name: &str, map: &StrMap) {
    for (key, value) in map {
        flat.insert(format!("{name}[{key}]"), value.clone());
    }
}

/// Flattens a free-form value (driver config, periodic block, ...).
///
/// Naming: a top-level key stays bare (`image`); below it, object keys and
/// list indexes are appended in brackets (`port_map[0][db]`, `args[1]`,
/// `auth[username]`). A null becomes an empty (absent) value; empty
/// objects and lists produce nothing.
pub(crate) fn flatten_value(value: &Value) -> Flat {
    let mut flat = Flat::new();
    flatten_into("", value, &mut flat);
    flat
}

/// Like [`flatten_value`], with every name under `prefix` (`Args[0]`).
pub(crate) fn flatten_value_under(prefix: &str, value: &Value, flat: &mut Flat) {
    flatten_into(prefix, value, flat);
}

fn flatten_into(prefix: &str, value: &Value, flat: &mut Flat) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}[{key}]")
                };
                flatten_into(&name, member, flat);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten_into(&format!("{prefix}[{index}]"), item, flat);
            }
        }
        scalar => {
            if !prefix.is_empty() {
                flat.insert(prefix.to_string(), scalar_text(scalar).unwrap_or_default());
            }
        }
    }
}

/// The diff of one field; `None` when unchanged, unless `contextual`, in
/// which case it is kept with type `None`.
pub(crate) fn field_diff(name: &str, old: &str, new: &str, contextual: bool) -> Option<FieldDiff> {
    let diff_type = if old == new {
        if !contextual {
            return None;
        }
        DiffType::None
    } else if old.is_empty() {
        DiffType::Added
    } else if new.is_empty() {
        DiffType::Deleted
    } else {
        DiffType::Edited
    };
    Some(FieldDiff {
        diff_type,
        name: name.to_string(),
        old: old.to_string(),
        new: new.to_string(),
        annotations: Vec::new(),
    })
}

/// The field diffs of two flattened objects, sorted by name.
pub(crate) fn field_diffs(old: &Flat, new: &Flat, contextual: bool) -> Vec<FieldDiff> {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let old_value = old.get(name).map_or("", String::as_str);
            let new_value = new.get(name).map_or("", String::as_str);
            field_diff(name, old_value, new_value, contextual)
        })
        .collect()
}

/// The diff type a set of field diffs amounts to: `Edited` if any field
/// was edited or fields were both added and deleted, else `Added` or
/// `Deleted`; `None` when nothing changed.
pub(crate) fn type_of_fields(fields: &[FieldDiff]) -> Option<DiffType> {
    let has = |t: DiffType| fields.iter().any(|f| f.diff_type == t);
    let (added, deleted) = (has(DiffType::Added), has(DiffType::Deleted));
    if has(DiffType::Edited) || (added && deleted) {
        Some(DiffType::Edited)
    } else if added {
        Some(DiffType::Added)
    } else if deleted {
        Some(DiffType::Deleted)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_flattening_names() {
        let flat = flatten_value(&json!({
            "image": "redis:3.2",
            "port_map": [{"db": 6379}],
            "args": ["-v", true],
            "auth": {"username": "u"},
            "empty": [],
        }));
        let names: Vec<&str> = flat.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "args[0]",
                "args[1]",
                "auth[username]",
                "image",
                "port_map[0][db]"
            ]
        );
        assert_eq!(flat["port_map[0][db]"], "6379");
        assert_eq!(flat["args[1]"], "true");
    }

    #[test]
    fn field_types() {
        let t = |o, n| field_diff("X", o, n, false).map(|f| f.diff_type);
        assert_eq!(t("", "1"), Some(DiffType::Added));
        assert_eq!(t("1", ""), Some(DiffType::Deleted));
        assert_eq!(t("1", "2"), Some(DiffType::Edited));
        assert_eq!(t("1", "1"), None);
        let same = field_diff("X", "1", "1", true).map(|f| f.diff_type);
        assert_eq!(same, Some(DiffType::None));
    }
}

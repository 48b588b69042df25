//! Object diffs: nested structures, sets keyed by their content, string
//! sets, free-form maps, and the order objects are listed in.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{Flat, field_diff, field_diffs, flatten_value, type_of_fields};
use crate::structs::{DiffType, FieldDiff, ObjectDiff};

/// A "primitive" object (restart policy, log config, a constraint, ...):
/// its type follows from its field changes, and it is absent (`None`) when
/// no field changed. A missing side counts as an object with no fields.
pub(crate) fn primitive_object(
    name: &str,
    old: Option<&Flat>,
    new: Option<&Flat>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let empty = Flat::new();
    let fields = field_diffs(old.unwrap_or(&empty), new.unwrap_or(&empty), contextual);
    let diff_type = type_of_fields(&fields)?;
    Some(ObjectDiff {
        diff_type,
        name: name.to_string(),
        fields,
        objects: Vec::new(),
    })
}

/// An object whose own presence decides its type (resources, a network, a
/// service, driver config): `Added`/`Deleted` when one side is missing,
/// `Edited` otherwise. Callers skip equal objects before calling this, and
/// append child objects afterwards.
pub(crate) fn whole_object(
    name: &str,
    old: Option<&Flat>,
    new: Option<&Flat>,
    contextual: bool,
) -> ObjectDiff {
    let diff_type = match (old, new) {
        (None, _) => DiffType::Added,
        (_, None) => DiffType::Deleted,
        _ => DiffType::Edited,
    };
    let empty = Flat::new();
    ObjectDiff {
        diff_type,
        name: name.to_string(),
        fields: field_diffs(old.unwrap_or(&empty), new.unwrap_or(&empty), contextual),
        objects: Vec::new(),
    }
}

/// A free-form map (driver `Config`) as one object whose fields are its
/// flattened keys. `None` when equal; an empty map counts as missing.
pub(crate) fn map_object(
    name: &str,
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
    contextual: bool,
) -> Option<ObjectDiff> {
    if old == new {
        return None;
    }
    let flatten = |m: &serde_json::Map<String, Value>| {
        (!m.is_empty()).then(|| flatten_value(&Value::Object(m.clone())))
    };
    let (old, new) = (flatten(old), flatten(new));
    Some(whole_object(name, old.as_ref(), new.as_ref(), contextual))
}

/// An optional free-form value (`Periodic`, `Vault`, ...) as a primitive
/// object of its flattened keys.
pub(crate) fn value_object(
    name: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let (old, new) = (old.map(flatten_value), new.map(flatten_value));
    primitive_object(name, old.as_ref(), new.as_ref(), contextual)
}

/// A set of strings (`Datacenters`, `Tags`) as one object whose fields all
/// carry the set's name: removed elements are `Deleted` fields, new ones
/// `Added`, and (if `contextual`) kept ones `None`. `None` when both sets
/// are equal and not contextual, or both empty.
pub(crate) fn string_set(
    name: &str,
    old: &[String],
    new: &[String],
    contextual: bool,
) -> Option<ObjectDiff> {
    let old: BTreeSet<&String> = old.iter().collect();
    let new: BTreeSet<&String> = new.iter().collect();
    if old == new && !contextual {
        return None;
    }
    let mut fields: Vec<FieldDiff> = Vec::new();
    for value in old.union(&new) {
        let (o, n) = match (old.contains(value), new.contains(value)) {
            (true, true) => (value.as_str(), value.as_str()),
            (true, false) => (value.as_str(), ""),
            _ => ("", value.as_str()),
        };
        fields.extend(field_diff(name, o, n, contextual));
    }
    sort_fields(&mut fields);
    let added = fields.iter().any(|f| f.diff_type == DiffType::Added);
    let deleted = fields.iter().any(|f| f.diff_type == DiffType::Deleted);
    let diff_type = match (added, deleted) {
        (true, true) => DiffType::Edited,
        (true, false) => DiffType::Added,
        (false, true) => DiffType::Deleted,
        (false, false) if fields.is_empty() => return None,
        (false, false) => DiffType::None,
    };
    Some(ObjectDiff {
        diff_type,
        name: name.to_string(),
        fields,
        objects: Vec::new(),
    })
}

/// A set of primitive objects keyed by their whole content (constraints,
/// affinities, artifacts): an element only in `old` is a `Deleted` object,
/// one only in `new` an `Added` object; a changed element therefore shows
/// as one of each. Equal elements produce nothing.
pub(crate) fn object_set(
    name: &str,
    old: Vec<Flat>,
    new: Vec<Flat>,
    contextual: bool,
) -> Vec<ObjectDiff> {
    let old: BTreeSet<Flat> = old.into_iter().collect();
    let new: BTreeSet<Flat> = new.into_iter().collect();
    let deleted = old
        .difference(&new)
        .filter_map(|o| primitive_object(name, Some(o), None, contextual));
    let added = new
        .difference(&old)
        .filter_map(|n| primitive_object(name, None, Some(n), contextual));
    let mut diffs: Vec<ObjectDiff> = deleted.chain(added).collect();
    sort_objects(&mut diffs);
    diffs
}

/// Order of diff types in lists: Edited, Added, Deleted, None.
fn type_rank(t: DiffType) -> u8 {
    match t {
        DiffType::Edited => 0,
        DiffType::Added => 1,
        DiffType::Deleted => 2,
        DiffType::None => 3,
    }
}

fn field_key(f: &FieldDiff) -> (&str, &str, &str) {
    (&f.name, &f.old, &f.new)
}

/// Sorts fields by name, then old and new value.
pub(crate) fn sort_fields(fields: &mut [FieldDiff]) {
    fields.sort_by(|a, b| field_key(a).cmp(&field_key(b)));
}

fn compare_objects(a: &ObjectDiff, b: &ObjectDiff) -> Ordering {
    a.name
        .cmp(&b.name)
        .then(type_rank(a.diff_type).cmp(&type_rank(b.diff_type)))
        .then(a.fields.len().cmp(&b.fields.len()))
        .then(a.objects.len().cmp(&b.objects.len()))
        .then_with(|| {
            a.fields
                .iter()
                .map(field_key)
                .cmp(b.fields.iter().map(field_key))
        })
}

/// Sorts objects by name, then type (Edited, Added, Deleted, None), then
/// size and field contents, so the listing is deterministic.
pub(crate) fn sort_objects(objects: &mut [ObjectDiff]) {
    objects.sort_by(compare_objects);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn string_set_types() {
        let d = string_set(
            "Datacenters",
            &strings(&["dc1"]),
            &strings(&["dc1", "dc2"]),
            false,
        );
        let d = d.expect("a diff");
        assert_eq!(d.diff_type, DiffType::Added);
        assert_eq!(d.fields.len(), 1);
        assert_eq!(d.fields[0].new, "dc2");

        let d = string_set("Datacenters", &strings(&["dc1"]), &strings(&["dc2"]), true);
        assert_eq!(d.map(|d| d.diff_type), Some(DiffType::Edited));

        let same = string_set("Tags", &strings(&["a"]), &strings(&["a"]), true);
        assert_eq!(same.map(|d| d.diff_type), Some(DiffType::None));
        assert!(string_set("Tags", &strings(&["a"]), &strings(&["a"]), false).is_none());
        assert!(string_set("Tags", &[], &[], true).is_none());
    }

    #[test]
    fn object_set_changed_element_is_delete_plus_add() {
        let flat = |v: &str| Flat::from([("RTarget".to_string(), v.to_string())]);
        let diffs = object_set("Constraint", vec![flat("a")], vec![flat("b")], false);
        let types: Vec<DiffType> = diffs.iter().map(|d| d.diff_type).collect();
        assert_eq!(types, [DiffType::Added, DiffType::Deleted]);
        assert!(object_set("Constraint", vec![flat("a")], vec![flat("a")], true).is_empty());
    }
}

//! Services and their checks.
//!
//! Services have no stable identity, so old and new ones are paired by a
//! score: same name 3, same port label 2, same position 1; a pair needs
//! more than 2 (so a name match, or port label plus position). Unpaired
//! services are `Added` or `Deleted`. Checks are paired by name.

use std::collections::BTreeMap;

use serde_json::Value;

use super::fields::{Flat, add_map, flatten_value_under, scalars};
use super::object::{sort_objects, string_set, value_object, whole_object};
use crate::structs::{ObjectDiff, Service, ServiceCheck};

/// The `Service` objects for two lists of services.
pub(crate) fn service_diffs(old: &[Service], new: &[Service], contextual: bool) -> Vec<ObjectDiff> {
    let mut new_taken = vec![false; new.len()];
    let mut diffs = Vec::new();
    for (index, service) in old.iter().enumerate() {
        match best_match(service, index, new, &new_taken) {
            Some(other) => {
                new_taken[other] = true;
                diffs.extend(service_diff(Some(service), new.get(other), contextual));
            }
            None => diffs.extend(service_diff(Some(service), None, contextual)),
        }
    }
    for (service, _) in new.iter().zip(&new_taken).filter(|(_, taken)| !**taken) {
        diffs.extend(service_diff(None, Some(service), contextual));
    }
    sort_objects(&mut diffs);
    diffs
}

fn best_match(
    service: &Service,
    index: usize,
    others: &[Service],
    taken: &[bool],
) -> Option<usize> {
    let mut best: Option<(u8, usize)> = None;
    for (i, other) in others.iter().enumerate() {
        if taken.get(i).copied().unwrap_or(true) {
            continue;
        }
        let score = 3 * u8::from(service.name == other.name)
            + 2 * u8::from(service.port_label == other.port_label)
            + u8::from(i == index);
        if score > 2 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}

fn service_diff(
    old: Option<&Service>,
    new: Option<&Service>,
    contextual: bool,
) -> Option<ObjectDiff> {
    if old == new {
        return None;
    }
    let flat = |s: &Service| {
        let mut flat = scalars(s, &[]);
        add_map(&mut flat, "Meta", &s.meta);
        flat
    };
    let (old_flat, new_flat) = (old.map(flat), new.map(flat));
    let mut diff = whole_object("Service", old_flat.as_ref(), new_flat.as_ref(), contextual);
    let list = |s: Option<&Service>, f: fn(&Service) -> &Vec<String>| -> Vec<String> {
        s.map(|s| f(s).clone()).unwrap_or_default()
    };
    let canary = (list(old, |s| &s.canary_tags), list(new, |s| &s.canary_tags));
    diff.objects
        .extend(string_set("CanaryTags", &canary.0, &canary.1, contextual));
    let tags = (list(old, |s| &s.tags), list(new, |s| &s.tags));
    diff.objects
        .extend(string_set("Tags", &tags.0, &tags.1, contextual));
    let checks = |s: Option<&Service>| s.map(|s| s.checks.clone()).unwrap_or_default();
    diff.objects
        .extend(check_diffs(&checks(old), &checks(new), contextual));
    sort_objects(&mut diff.objects);
    Some(diff)
}

/// Checks keyed by name (a repeated name gets `#n` appended internally so
/// none is lost).
fn check_diffs(old: &[ServiceCheck], new: &[ServiceCheck], contextual: bool) -> Vec<ObjectDiff> {
    let keyed = |checks: &[ServiceCheck]| -> BTreeMap<String, ServiceCheck> {
        let mut map = BTreeMap::new();
        for check in checks {
            let mut key = check.name.clone();
            let mut n = 1;
            while map.contains_key(&key) {
                n += 1;
                key = format!("{}#{n}", check.name);
            }
            map.insert(key, check.clone());
        }
        map
    };
    let (old, new) = (keyed(old), keyed(new));
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut diffs: Vec<ObjectDiff> = keys
        .into_iter()
        .filter_map(|k| check_diff(old.get(k), new.get(k), contextual))
        .collect();
    sort_objects(&mut diffs);
    diffs
}

fn check_diff(
    old: Option<&ServiceCheck>,
    new: Option<&ServiceCheck>,
    contextual: bool,
) -> Option<ObjectDiff> {
    if old == new {
        return None;
    }
    let flat = |c: &ServiceCheck| {
        let mut flat = scalars(c, &[]);
        let args = Value::from(c.args.clone());
        flatten_value_under("Args", &args, &mut flat);
        flat
    };
    let (old_flat, new_flat) = (old.map(flat), new.map(flat));
    let mut diff = whole_object("Check", old_flat.as_ref(), new_flat.as_ref(), contextual);
    let header = |c: Option<&ServiceCheck>| -> Option<Value> {
        c.filter(|c| !c.header.is_empty())
            .and_then(|c| serde_json::to_value(&c.header).ok())
    };
    let (old_header, new_header) = (header(old), header(new));
    if old_header != new_header {
        let flat = |v: &Value| -> Flat { super::fields::flatten_value(v) };
        let (o, n) = (old_header.as_ref().map(flat), new_header.as_ref().map(flat));
        diff.objects
            .push(whole_object("Header", o.as_ref(), n.as_ref(), contextual));
    }
    let restart = |c: Option<&ServiceCheck>| c.and_then(|c| c.check_restart.clone());
    let (old_restart, new_restart) = (restart(old), restart(new));
    diff.objects.extend(value_object(
        "CheckRestart",
        old_restart.as_ref(),
        new_restart.as_ref(),
        contextual,
    ));
    Some(diff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::DiffType;

    fn service(name: &str, port: &str, tags: &[&str]) -> Service {
        Service {
            name: name.into(),
            port_label: port.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Service::default()
        }
    }

    #[test]
    fn services_pair_by_name_and_show_tags() {
        let old = [service("web", "http", &["a"]), service("db", "db", &[])];
        let new = [
            service("db", "db", &[]),
            service("web", "http", &["a", "b"]),
        ];
        let diffs = service_diffs(&old, &new, false);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].diff_type, DiffType::Edited);
        assert_eq!(diffs[0].objects[0].name, "Tags");
        assert_eq!(diffs[0].objects[0].diff_type, DiffType::Added);
    }

    #[test]
    fn unmatched_services_are_added_and_deleted() {
        let diffs = service_diffs(&[service("a", "x", &[])], &[service("b", "y", &[])], false);
        let types: Vec<DiffType> = diffs.iter().map(|d| d.diff_type).collect();
        assert_eq!(types, [DiffType::Added, DiffType::Deleted]);
    }
}

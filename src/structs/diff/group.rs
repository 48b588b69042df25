//! Task group diffs, matched by name.
//!
//! A group's primitive fields (`Count`, `ShutdownDelay`, ...) and its
//! `Meta[key]` entries are fields (changed ones only). Objects:
//! `Constraint`, `Affinity`, `Spread`, `RestartPolicy`, `ReschedulePolicy`,
//! `EphemeralDisk`, `Update`, `Migrate`, `Scaling`, `Network`, `Service`,
//! `Volume` (one per volume name). Tasks follow, every task listed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::fields::{Flat, add_map, field_diffs, scalars};
use super::object::{object_set, primitive_object, sort_objects, value_object};
use super::resources::network_diffs;
use super::service::service_diffs;
use super::task::task_diffs;
use crate::structs::{DiffType, ObjectDiff, Spread, TaskGroup, TaskGroupDiff};

/// Diffs of all groups, sorted by name; unchanged groups have type `None`.
pub(crate) fn group_diffs(
    old: &[TaskGroup],
    new: &[TaskGroup],
    contextual: bool,
) -> Vec<TaskGroupDiff> {
    let by_name = |groups: &[TaskGroup]| -> BTreeMap<String, usize> {
        groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.clone(), i))
            .collect()
    };
    let (old_idx, new_idx) = (by_name(old), by_name(new));
    let names: BTreeSet<&String> = old_idx.keys().chain(new_idx.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let o = old_idx.get(name).and_then(|&i| old.get(i));
            let n = new_idx.get(name).and_then(|&i| new.get(i));
            group_diff(name, o, n, contextual)
        })
        .collect()
}

fn group_fields(group: &TaskGroup) -> Flat {
    let mut flat = scalars(group, &["Name"]);
    add_map(&mut flat, "Meta", &group.meta);
    flat
}

/// A spread's fields, with one `SpreadTarget[<value>]` field (the percent)
/// per target.
pub(crate) fn spread_fields(spread: &Spread) -> Flat {
    let mut flat = scalars(spread, &[]);
    for target in &spread.spread_target {
        flat.insert(
            format!("SpreadTarget[{}]", target.value),
            target.percent.to_string(),
        );
    }
    flat
}

fn group_diff(
    name: &str,
    old: Option<&TaskGroup>,
    new: Option<&TaskGroup>,
    contextual: bool,
) -> TaskGroupDiff {
    let diff_type = match (old, new) {
        (None, None) => DiffType::None,
        (None, Some(_)) => DiffType::Added,
        (Some(_), None) => DiffType::Deleted,
        (Some(o), Some(n)) if o == n => DiffType::None,
        _ => DiffType::Edited,
    };
    let blank = TaskGroup::default();
    let (o, n) = (old.unwrap_or(&blank), new.unwrap_or(&blank));
    let (old_flat, new_flat) = (old.map(group_fields), new.map(group_fields));
    let fields = field_diffs(
        &old_flat.unwrap_or_default(),
        &new_flat.unwrap_or_default(),
        false,
    );

    let mut objects = Vec::new();
    let constraints = |g: &TaskGroup| g.constraints.iter().map(|c| scalars(c, &[])).collect();
    objects.extend(object_set(
        "Constraint",
        constraints(o),
        constraints(n),
        contextual,
    ));
    let affinities = |g: &TaskGroup| g.affinities.iter().map(|a| scalars(a, &[])).collect();
    objects.extend(object_set(
        "Affinity",
        affinities(o),
        affinities(n),
        contextual,
    ));
    let spreads = |g: &TaskGroup| g.spreads.iter().map(spread_fields).collect();
    objects.extend(object_set("Spread", spreads(o), spreads(n), contextual));

    let restart = |g: &TaskGroup| g.restart_policy.as_ref().map(|p| scalars(p, &[]));
    let resched = |g: &TaskGroup| g.reschedule_policy.as_ref().map(|p| scalars(p, &[]));
    let disk = |g: &TaskGroup| g.ephemeral_disk.as_ref().map(|d| scalars(d, &[]));
    // `Stagger` belongs to the legacy job-level update block.
    let update = |g: &TaskGroup| g.update.as_ref().map(|u| scalars(u, &["Stagger"]));
    for (label, old_flat, new_flat) in [
        ("RestartPolicy", restart(o), restart(n)),
        ("ReschedulePolicy", resched(o), resched(n)),
        ("EphemeralDisk", disk(o), disk(n)),
        ("Update", update(o), update(n)),
    ] {
        objects.extend(primitive_object(
            label,
            old_flat.as_ref(),
            new_flat.as_ref(),
            contextual,
        ));
    }
    objects.extend(value_object(
        "Migrate",
        o.migrate.as_ref(),
        n.migrate.as_ref(),
        contextual,
    ));
    objects.extend(value_object(
        "Scaling",
        o.scaling.as_ref(),
        n.scaling.as_ref(),
        contextual,
    ));
    objects.extend(network_diffs(&o.networks, &n.networks, contextual));
    objects.extend(service_diffs(&o.services, &n.services, contextual));
    objects.extend(volume_diffs(
        o.volumes.as_ref(),
        n.volumes.as_ref(),
        contextual,
    ));
    sort_objects(&mut objects);

    TaskGroupDiff {
        diff_type,
        name: name.to_string(),
        fields,
        objects,
        tasks: task_diffs(&o.tasks, &n.tasks, contextual),
        updates: BTreeMap::new(),
    }
}

/// Volumes are a map name → request; each name is one `Volume` object.
fn volume_diffs(old: Option<&Value>, new: Option<&Value>, contextual: bool) -> Vec<ObjectDiff> {
    let members = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
    let (old, new) = (members(old), members(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| value_object("Volume", old.get(name), new.get(name), contextual))
        .collect()
}

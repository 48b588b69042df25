//! Task diffs, matched by name within a group.
//!
//! A task's primitive fields (`Driver`, `User`, `KillTimeout` in ns, ...)
//! and its `Env[KEY]` / `Meta[key]` entries are fields; only changed ones
//! are listed (as Nomad does; `contextual` applies inside objects). Objects:
//! `Config`, `Resources`, `LogConfig`, `Service`, `Constraint`, `Affinity`,
//! `Artifact`, `Template`, `Vault`, `Lifecycle`, `DispatchPayload`. A
//! task-level restart policy is not shown (Nomad does not diff it either).

use std::collections::{BTreeMap, BTreeSet};

use super::fields::{Flat, add_map, field_diffs, flatten_value, scalars};
use super::object::{map_object, object_set, primitive_object, sort_objects, value_object};
use super::resources::resources_diff;
use super::service::service_diffs;
use crate::structs::{DiffType, Task, TaskDiff};

/// Diffs of the tasks of one group, sorted by name. Every task appears,
/// with type `None` when unchanged.
pub(crate) fn task_diffs(old: &[Task], new: &[Task], contextual: bool) -> Vec<TaskDiff> {
    let by_name = |tasks: &[Task]| -> BTreeMap<String, usize> {
        tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect()
    };
    let (old_idx, new_idx) = (by_name(old), by_name(new));
    let names: BTreeSet<&String> = old_idx.keys().chain(new_idx.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let o = old_idx.get(name).and_then(|&i| old.get(i));
            let n = new_idx.get(name).and_then(|&i| new.get(i));
            task_diff(name, o, n, contextual)
        })
        .collect()
}

fn task_fields(task: &Task) -> Flat {
    let mut flat = scalars(task, &["Name"]);
    add_map(&mut flat, "Env", &task.env);
    add_map(&mut flat, "Meta", &task.meta);
    flat
}

/// The diff of one task; `old`/`new` missing means added/deleted.
pub(crate) fn task_diff(
    name: &str,
    old: Option<&Task>,
    new: Option<&Task>,
    contextual: bool,
) -> TaskDiff {
    let diff_type = match (old, new) {
        (None, None) => DiffType::None,
        (None, Some(_)) => DiffType::Added,
        (Some(_), None) => DiffType::Deleted,
        (Some(o), Some(n)) if o == n => DiffType::None,
        _ => DiffType::Edited,
    };
    let blank = Task::default();
    let (o, n) = (old.unwrap_or(&blank), new.unwrap_or(&blank));
    let (old_flat, new_flat) = (old.map(task_fields), new.map(task_fields));
    let fields = field_diffs(
        &old_flat.unwrap_or_default(),
        &new_flat.unwrap_or_default(),
        false,
    );

    let mut objects = Vec::new();
    let constraints = |t: &Task| t.constraints.iter().map(|c| scalars(c, &[])).collect();
    objects.extend(object_set(
        "Constraint",
        constraints(o),
        constraints(n),
        contextual,
    ));
    let affinities = |t: &Task| t.affinities.iter().map(|a| scalars(a, &[])).collect();
    objects.extend(object_set(
        "Affinity",
        affinities(o),
        affinities(n),
        contextual,
    ));
    objects.extend(map_object("Config", &o.config, &n.config, contextual));
    objects.extend(resources_diff(
        o.resources.as_ref(),
        n.resources.as_ref(),
        contextual,
    ));
    let log = |t: &Task| t.log_config.as_ref().map(|l| scalars(l, &[]));
    objects.extend(primitive_object(
        "LogConfig",
        log(o).as_ref(),
        log(n).as_ref(),
        contextual,
    ));
    objects.extend(service_diffs(&o.services, &n.services, contextual));
    let values = |list: &[serde_json::Value]| list.iter().map(flatten_value).collect();
    objects.extend(object_set(
        "Artifact",
        values(&o.artifacts),
        values(&n.artifacts),
        contextual,
    ));
    objects.extend(object_set(
        "Template",
        values(&o.templates),
        values(&n.templates),
        contextual,
    ));
    for (label, old_value, new_value) in [
        ("Vault", &o.vault, &n.vault),
        ("Lifecycle", &o.lifecycle, &n.lifecycle),
        ("DispatchPayload", &o.dispatch_payload, &n.dispatch_payload),
    ] {
        objects.extend(value_object(
            label,
            old_value.as_ref(),
            new_value.as_ref(),
            contextual,
        ));
    }
    sort_objects(&mut objects);

    TaskDiff {
        diff_type,
        name: name.to_string(),
        fields,
        objects,
        annotations: Vec::new(),
    }
}

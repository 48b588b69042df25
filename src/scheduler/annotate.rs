//! Annotating a job diff with what the scheduler decided, for `plan`.
//!
//! * Each group diff gets `Updates` from the scheduler's desired updates:
//!   `ignore`, `create` (Place), `destroy` (Stop), `migrate`, `canary`,
//!   `in-place update`, `create/destroy update` (DestructiveUpdate); zero
//!   counts are left out. The group's type is left as it is (the CLI
//!   decides how to show a `None` group with updates).
//! * The group's `Count` field gets `forces create` when it grew and
//!   `forces destroy` when it shrank.
//! * Tasks: unchanged ones get nothing. In an added or deleted group, an
//!   added task `forces create` and a deleted one `forces destroy`.
//!   Otherwise a task whose only changes are in-place safe `forces in-place
//!   update`, anything else `forces create/destroy update`. In-place safe:
//!   the `KillTimeout` field, and the `Service`, `Constraint`, `Affinity`
//!   and `Spread` objects, and `LogConfig` unless its `Disabled` changed.
//!   (As in Nomad, a task added to or removed from an existing group has
//!   changed fields such as `Driver`, so it is a create/destroy update: the
//!   group's allocations are replaced.)

use std::collections::BTreeMap;

use crate::structs::{DesiredUpdates, DiffType, JobDiff, TaskDiff, TaskGroupDiff};

pub const ANNOTATION_FORCES_CREATE: &str = "forces create";
pub const ANNOTATION_FORCES_DESTROY: &str = "forces destroy";
pub const ANNOTATION_FORCES_INPLACE_UPDATE: &str = "forces in-place update";
pub const ANNOTATION_FORCES_DESTRUCTIVE_UPDATE: &str = "forces create/destroy update";

pub const UPDATE_TYPE_IGNORE: &str = "ignore";
pub const UPDATE_TYPE_CREATE: &str = "create";
pub const UPDATE_TYPE_DESTROY: &str = "destroy";
pub const UPDATE_TYPE_MIGRATE: &str = "migrate";
pub const UPDATE_TYPE_CANARY: &str = "canary";
pub const UPDATE_TYPE_INPLACE_UPDATE: &str = "in-place update";
pub const UPDATE_TYPE_DESTRUCTIVE_UPDATE: &str = "create/destroy update";

/// Adds update counts and annotations to `diff`; `updates` are the
/// scheduler's desired updates by group name.
pub fn annotate(diff: &mut JobDiff, updates: &BTreeMap<String, DesiredUpdates>) {
    for group in &mut diff.task_groups {
        if let Some(desired) = updates.get(&group.name) {
            add_updates(group, desired);
        }
        annotate_count(group);
        let group_type = group.diff_type;
        for task in &mut group.tasks {
            annotate_task(task, group_type);
        }
    }
}

fn add_updates(group: &mut TaskGroupDiff, desired: &DesiredUpdates) {
    let counts = [
        (UPDATE_TYPE_IGNORE, desired.ignore),
        (UPDATE_TYPE_CREATE, desired.place),
        (UPDATE_TYPE_MIGRATE, desired.migrate),
        (UPDATE_TYPE_DESTROY, desired.stop),
        (UPDATE_TYPE_CANARY, desired.canary),
        (UPDATE_TYPE_INPLACE_UPDATE, desired.in_place_update),
        (UPDATE_TYPE_DESTRUCTIVE_UPDATE, desired.destructive_update),
    ];
    for (kind, count) in counts.into_iter().filter(|(_, n)| *n != 0) {
        group.updates.insert(kind.to_string(), count);
    }
}

/// `forces create` / `forces destroy` on a changed `Count` (an empty value
/// counts as 0; an unparsable one is left alone).
fn annotate_count(group: &mut TaskGroupDiff) {
    let Some(count) = group.fields.iter_mut().find(|f| f.name == "Count") else {
        return;
    };
    let parse = |v: &str| {
        if v.is_empty() {
            Some(0)
        } else {
            v.parse::<i64>().ok()
        }
    };
    let (Some(old), Some(new)) = (parse(&count.old), parse(&count.new)) else {
        return;
    };
    let note = match old.cmp(&new) {
        std::cmp::Ordering::Less => ANNOTATION_FORCES_CREATE,
        std::cmp::Ordering::Greater => ANNOTATION_FORCES_DESTROY,
        std::cmp::Ordering::Equal => return,
    };
    count.annotations.push(note.to_string());
}

fn annotate_task(task: &mut TaskDiff, group_type: DiffType) {
    if task.diff_type == DiffType::None {
        return;
    }
    if matches!(group_type, DiffType::Added | DiffType::Deleted) {
        match task.diff_type {
            DiffType::Added => {
                task.annotations.push(ANNOTATION_FORCES_CREATE.to_string());
                return;
            }
            DiffType::Deleted => {
                task.annotations.push(ANNOTATION_FORCES_DESTROY.to_string());
                return;
            }
            _ => {}
        }
    }
    let note = if is_destructive(task) {
        ANNOTATION_FORCES_DESTRUCTIVE_UPDATE
    } else {
        ANNOTATION_FORCES_INPLACE_UPDATE
    };
    task.annotations.push(note.to_string());
}

/// Whether a changed task needs its allocations replaced. Unchanged
/// (type `None`) fields and objects, present in contextual diffs, do not
/// count.
fn is_destructive(task: &TaskDiff) -> bool {
    let changed_field = task
        .fields
        .iter()
        .any(|f| f.diff_type != DiffType::None && f.name != "KillTimeout");
    changed_field
        || task
            .objects
            .iter()
            .filter(|o| o.diff_type != DiffType::None)
            .any(|o| match o.name.as_str() {
                "Service" | "Constraint" | "Affinity" | "Spread" => false,
                "LogConfig" => o
                    .fields
                    .iter()
                    .any(|f| f.name == "Disabled" && f.diff_type != DiffType::None),
                _ => true,
            })
}

#[cfg(test)]
#[path = "annotate_tests.rs"]
mod tests;

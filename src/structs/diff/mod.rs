//! The job diff `plan` shows: what changes between the stored version of a
//! job and a submitted one, as pure functions over the model.
//!
//! Shape and rules follow Nomad's plan diff:
//!
//! * The job, its groups and their tasks each list their *primitive*
//!   fields (and string-map entries as `Meta[key]` / `Env[KEY]`) that
//!   changed, under Nomad's JSON names (`Priority`, `Count`, `Driver`,
//!   `KillTimeout` in ns, ...). Fields the server stamps (`Status`,
//!   `Version`, indexes, `SubmitTime`, ...) are ignored.
//! * Nested structures are objects (`RestartPolicy`, `Resources`,
//!   `Config`, ...) listed only when something in them changed; with
//!   `contextual`, a changed object also lists its unchanged fields (type
//!   `None`), which is what `plan` asks for.
//! * Groups are matched by name and tasks by name within a group; every
//!   group and task appears, with type `None` when unchanged.
//!
//! Annotations (`forces create`, update counts) are added afterwards by
//! `crate::scheduler::annotate`.

mod fields;
#[cfg(test)]
pub(crate) mod fixtures;
mod group;
mod object;
mod resources;
mod service;
mod task;
#[cfg(test)]
mod tests;

use self::fields::{Flat, add_map, field_diffs, scalars};
use self::group::{group_diffs, spread_fields};
use self::object::{object_set, sort_objects, string_set, value_object};
use super::{DiffType, Job, JobDiff};

/// Job fields never diffed: identity, what the server stamps, and the
/// legacy/opaque ones (`Update` is the legacy job-level block; `Payload`
/// is the dispatch payload bytes).
const JOB_SKIPPED_FIELDS: &[&str] = &[
    "ID",
    "Status",
    "StatusDescription",
    "Stable",
    "Version",
    "SubmitTime",
    "CreateIndex",
    "ModifyIndex",
    "JobModifyIndex",
    "Update",
    "Payload",
];

fn job_fields(job: &Job) -> Flat {
    let mut flat = scalars(job, JOB_SKIPPED_FIELDS);
    add_map(&mut flat, "Meta", &job.meta);
    flat
}

/// The diff from `old` (the stored job, `None` if new) to `new`.
///
/// Type: `Added` when there is no old job, `Edited` when any field,
/// object or group differs, `None` otherwise.
pub fn job_diff(old: Option<&Job>, new: &Job, contextual: bool) -> JobDiff {
    let blank = Job::default();
    let o = old.unwrap_or(&blank);
    let fields = field_diffs(
        &old.map(job_fields).unwrap_or_default(),
        &job_fields(new),
        false,
    );

    let mut objects = Vec::new();
    let datacenters = string_set("Datacenters", &o.datacenters, &new.datacenters, contextual);
    objects.extend(datacenters.filter(|d| d.diff_type != DiffType::None));
    let constraints = |j: &Job| j.constraints.iter().map(|c| scalars(c, &[])).collect();
    objects.extend(object_set(
        "Constraint",
        constraints(o),
        constraints(new),
        contextual,
    ));
    let affinities = |j: &Job| j.affinities.iter().map(|a| scalars(a, &[])).collect();
    objects.extend(object_set(
        "Affinity",
        affinities(o),
        affinities(new),
        contextual,
    ));
    let spreads = |j: &Job| j.spreads.iter().map(spread_fields).collect();
    objects.extend(object_set("Spread", spreads(o), spreads(new), contextual));
    for (label, old_value, new_value) in [
        ("Periodic", &o.periodic, &new.periodic),
        (
            "ParameterizedJob",
            &o.parameterized_job,
            &new.parameterized_job,
        ),
    ] {
        objects.extend(value_object(
            label,
            old_value.as_ref(),
            new_value.as_ref(),
            contextual,
        ));
    }
    sort_objects(&mut objects);

    let task_groups = group_diffs(&o.task_groups, &new.task_groups, contextual);

    let diff_type = if old.is_none() {
        DiffType::Added
    } else if fields.iter().any(|f| f.diff_type != DiffType::None)
        || objects.iter().any(|d| d.diff_type != DiffType::None)
        || task_groups.iter().any(|g| g.diff_type != DiffType::None)
    {
        DiffType::Edited
    } else {
        DiffType::None
    };

    JobDiff {
        diff_type,
        id: new.id.clone(),
        fields,
        objects,
        task_groups,
    }
}

//! Tests of the job diff against the `nomad init` example job.

use serde_json::json;

use super::fixtures::{example, with_task};
use super::job_diff;
use crate::structs::{Constraint, DiffType, FieldDiff, ObjectDiff};

fn field<'a>(fields: &'a [FieldDiff], name: &str) -> &'a FieldDiff {
    fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

fn object<'a>(objects: &'a [ObjectDiff], name: &str) -> &'a ObjectDiff {
    objects
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no object {name} in {objects:?}"))
}

#[test]
fn new_job_is_added_all_the_way_down() {
    let diff = job_diff(None, &example(), true);
    assert_eq!(diff.diff_type, DiffType::Added);
    assert_eq!(diff.id, "example");
    assert_eq!(field(&diff.fields, "Priority").new, "50");
    assert_eq!(field(&diff.fields, "Priority").diff_type, DiffType::Added);
    assert_eq!(
        object(&diff.objects, "Datacenters").diff_type,
        DiffType::Added
    );
    let group = &diff.task_groups[0];
    assert_eq!(
        (group.name.as_str(), group.diff_type),
        ("cache", DiffType::Added)
    );
    assert_eq!(field(&group.fields, "Count").new, "1");
    let task = &group.tasks[0];
    assert_eq!(
        (task.name.as_str(), task.diff_type),
        ("redis", DiffType::Added)
    );
    assert_eq!(field(&task.fields, "Driver").new, "docker");
    assert_eq!(field(&task.fields, "KillTimeout").new, "5000000000");
    let config = object(&task.objects, "Config");
    assert_eq!(config.diff_type, DiffType::Added);
    assert_eq!(field(&config.fields, "port_map[0][db]").new, "6379");
}

#[test]
fn count_change_edits_the_group_only() {
    let mut new = example();
    new.task_groups[0].count = 15;
    // Server-stamped fields never show.
    new.version = 3;
    new.job_modify_index = 56;
    new.status = "running".into();
    let diff = job_diff(Some(&example()), &new, true);
    assert_eq!(diff.diff_type, DiffType::Edited);
    assert!(diff.fields.is_empty(), "{:?}", diff.fields);
    let group = &diff.task_groups[0];
    assert_eq!(group.diff_type, DiffType::Edited);
    assert_eq!(group.fields.len(), 1);
    let count = field(&group.fields, "Count");
    assert_eq!((count.old.as_str(), count.new.as_str()), ("1", "15"));
    assert_eq!(count.diff_type, DiffType::Edited);
    assert!(group.objects.is_empty());
    assert_eq!(group.tasks[0].diff_type, DiffType::None);
}

#[test]
fn image_change_edits_config_with_context() {
    let new = with_task(|t| {
        t.config.insert("image".into(), json!("redis:4.0"));
    });
    let diff = job_diff(Some(&example()), &new, true);
    let task = &diff.task_groups[0].tasks[0];
    assert_eq!(task.diff_type, DiffType::Edited);
    assert!(task.fields.is_empty());
    assert_eq!(task.objects.len(), 1);
    let config = object(&task.objects, "Config");
    assert_eq!(config.diff_type, DiffType::Edited);
    let image = field(&config.fields, "image");
    assert_eq!(image.diff_type, DiffType::Edited);
    assert_eq!(
        (image.old.as_str(), image.new.as_str()),
        ("redis:3.2", "redis:4.0")
    );
    // Contextual: the unchanged key is listed with type None.
    assert_eq!(
        field(&config.fields, "port_map[0][db]").diff_type,
        DiffType::None
    );
    // Not contextual: only the change.
    let plain = job_diff(Some(&example()), &new, false);
    let config = object(&plain.task_groups[0].tasks[0].objects, "Config");
    assert_eq!(config.fields.len(), 1);
}

#[test]
fn task_added_and_group_deleted() {
    let mut new = example();
    let mut sidecar = new.task_groups[0].tasks[0].clone();
    sidecar.name = "sidecar".into();
    new.task_groups[0].tasks.push(sidecar);
    let diff = job_diff(Some(&example()), &new, true);
    let tasks = &diff.task_groups[0].tasks;
    let names: Vec<(&str, DiffType)> = tasks
        .iter()
        .map(|t| (t.name.as_str(), t.diff_type))
        .collect();
    assert_eq!(
        names,
        [("redis", DiffType::None), ("sidecar", DiffType::Added)]
    );

    let mut two_groups = example();
    let mut web = two_groups.task_groups[0].clone();
    web.name = "web".into();
    two_groups.task_groups.push(web);
    let diff = job_diff(Some(&two_groups), &example(), true);
    assert_eq!(diff.diff_type, DiffType::Edited);
    let web = &diff.task_groups[1];
    assert_eq!(
        (web.name.as_str(), web.diff_type),
        ("web", DiffType::Deleted)
    );
    assert_eq!(field(&web.fields, "Count").old, "1");
    assert_eq!(web.tasks[0].diff_type, DiffType::Deleted);
    assert_eq!(diff.task_groups[0].diff_type, DiffType::None);
}

#[test]
fn job_level_changes() {
    let mut new = example();
    new.datacenters = vec!["eu-west-1a".into(), "eu-west-1b".into()];
    new.priority = 70;
    new.meta.insert("owner".into(), "ops".into());
    new.constraints.push(Constraint {
        l_target: "${attr.kernel.name}".into(),
        r_target: "linux".into(),
        operand: "=".into(),
    });
    let diff = job_diff(Some(&example()), &new, true);
    assert_eq!(diff.diff_type, DiffType::Edited);
    let names: Vec<&str> = diff.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["Meta[owner]", "Priority"]);
    assert_eq!(
        field(&diff.fields, "Meta[owner]").diff_type,
        DiffType::Added
    );
    let dcs = object(&diff.objects, "Datacenters");
    assert_eq!(dcs.diff_type, DiffType::Edited);
    let changes: Vec<(DiffType, &str, &str)> = dcs
        .fields
        .iter()
        .map(|f| (f.diff_type, f.old.as_str(), f.new.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            (DiffType::Added, "", "eu-west-1a"),
            (DiffType::Added, "", "eu-west-1b"),
            (DiffType::Deleted, "dc1", ""),
        ]
    );
    let constraint = object(&diff.objects, "Constraint");
    assert_eq!(constraint.diff_type, DiffType::Added);
    assert_eq!(field(&constraint.fields, "RTarget").new, "linux");
    assert_eq!(diff.task_groups[0].diff_type, DiffType::None);
}

#[test]
fn identical_jobs_have_no_changes() {
    for contextual in [false, true] {
        let diff = job_diff(Some(&example()), &example(), contextual);
        assert_eq!(diff.diff_type, DiffType::None);
        assert!(diff.fields.is_empty() && diff.objects.is_empty());
        let group = &diff.task_groups[0];
        assert_eq!(group.diff_type, DiffType::None);
        assert!(group.fields.is_empty() && group.objects.is_empty());
        let task = &group.tasks[0];
        assert_eq!(task.diff_type, DiffType::None);
        assert!(task.fields.is_empty() && task.objects.is_empty());
    }
}

#[test]
fn nested_objects_show_context_when_edited() {
    let mut new = with_task(|t| {
        if let Some(r) = t.resources.as_mut() {
            r.cpu = 1000;
        }
        t.env.insert("MODE".into(), "fast".into());
    });
    if let Some(p) = new.task_groups[0].restart_policy.as_mut() {
        p.attempts = 5;
    }
    let diff = job_diff(Some(&example()), &new, true);
    let group = &diff.task_groups[0];
    let restart = object(&group.objects, "RestartPolicy");
    assert_eq!(restart.diff_type, DiffType::Edited);
    assert_eq!(field(&restart.fields, "Attempts").new, "5");
    assert_eq!(field(&restart.fields, "Mode").diff_type, DiffType::None);
    let task = &group.tasks[0];
    assert_eq!(field(&task.fields, "Env[MODE]").diff_type, DiffType::Added);
    let resources = object(&task.objects, "Resources");
    let cpu = field(&resources.fields, "CPU");
    assert_eq!((cpu.old.as_str(), cpu.new.as_str()), ("500", "1000"));
    assert_eq!(
        field(&resources.fields, "MemoryMB").diff_type,
        DiffType::None
    );
    assert!(resources.objects.is_empty(), "networks unchanged");
}

#[test]
fn json_uses_nomad_names() {
    let mut new = example();
    new.task_groups[0].count = 3;
    let diff = job_diff(Some(&example()), &new, false);
    let value = serde_json::to_value(&diff).unwrap_or_default();
    assert_eq!(value["Type"], "Edited");
    assert_eq!(value["ID"], "example");
    let group = &value["TaskGroups"][0];
    assert_eq!(group["Type"], "Edited");
    assert_eq!(group["Name"], "cache");
    assert_eq!(group["Fields"][0]["Name"], "Count");
    assert_eq!(group["Fields"][0]["Old"], "1");
    assert_eq!(group["Fields"][0]["New"], "3");
    assert_eq!(group["Tasks"][0]["Type"], "None");
    assert!(group["Tasks"][0]["Annotations"].is_array());
    assert!(group["Updates"].is_object());
}

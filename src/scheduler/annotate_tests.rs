//! Tests of the plan annotations.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::structs::diff::fixtures::{example, with_task};
use crate::structs::diff::job_diff;
use crate::structs::{DesiredUpdates, Job, LogConfig, SECOND};

fn updates(group: &str, desired: DesiredUpdates) -> BTreeMap<String, DesiredUpdates> {
    BTreeMap::from([(group.to_string(), desired)])
}

fn annotated(old: Option<&Job>, new: &Job, desired: DesiredUpdates) -> JobDiff {
    let mut diff = job_diff(old, new, true);
    annotate(&mut diff, &updates("cache", desired));
    diff
}

fn task_notes(diff: &JobDiff, task: &str) -> Vec<String> {
    diff.task_groups[0]
        .tasks
        .iter()
        .find(|t| t.name == task)
        .map(|t| t.annotations.clone())
        .unwrap_or_default()
}

#[test]
fn new_job_forces_create() {
    let place = DesiredUpdates {
        place: 1,
        ..DesiredUpdates::default()
    };
    let diff = annotated(None, &example(), place);
    let group = &diff.task_groups[0];
    assert_eq!(group.diff_type, DiffType::Added);
    assert_eq!(group.updates, BTreeMap::from([("create".to_string(), 1)]));
    assert_eq!(task_notes(&diff, "redis"), ["forces create"]);
}

#[test]
fn count_up_forces_create_and_counts_updates() {
    let mut new = example();
    new.task_groups[0].count = 15;
    let desired = DesiredUpdates {
        place: 14,
        in_place_update: 1,
        ..DesiredUpdates::default()
    };
    let diff = annotated(Some(&example()), &new, desired);
    assert_eq!(diff.diff_type, DiffType::Edited);
    let group = &diff.task_groups[0];
    assert_eq!(group.diff_type, DiffType::Edited);
    let expected = BTreeMap::from([
        ("create".to_string(), 14),
        ("in-place update".to_string(), 1),
    ]);
    assert_eq!(group.updates, expected);
    let count = &group.fields[0];
    assert_eq!(
        (count.name.as_str(), count.old.as_str(), count.new.as_str()),
        ("Count", "1", "15")
    );
    assert_eq!(count.annotations, ["forces create"]);
    assert_eq!(group.tasks[0].diff_type, DiffType::None);
    assert!(group.tasks[0].annotations.is_empty());
}

#[test]
fn count_down_forces_destroy() {
    let mut old = example();
    old.task_groups[0].count = 3;
    let stop = DesiredUpdates {
        stop: 2,
        ignore: 1,
        ..DesiredUpdates::default()
    };
    let diff = annotated(Some(&old), &example(), stop);
    let group = &diff.task_groups[0];
    assert_eq!(group.fields[0].annotations, ["forces destroy"]);
    let expected = BTreeMap::from([("destroy".to_string(), 2), ("ignore".to_string(), 1)]);
    assert_eq!(group.updates, expected);
}

#[test]
fn image_change_is_destructive() {
    let new = with_task(|t| {
        t.config.insert("image".into(), json!("redis:4.0"));
    });
    let diff = annotated(Some(&example()), &new, DesiredUpdates::default());
    assert_eq!(task_notes(&diff, "redis"), ["forces create/destroy update"]);
    assert!(diff.task_groups[0].updates.is_empty());
}

#[test]
fn in_place_changes() {
    let edits: [fn(&mut crate::structs::Task); 4] = [
        |t| t.kill_timeout = 30 * SECOND,
        |t| t.services[0].tags.push("extra".into()),
        |t| {
            t.affinities.push(crate::structs::Affinity {
                l_target: "${node.class}".into(),
                r_target: "large".into(),
                operand: "=".into(),
                weight: 50,
            })
        },
        |t| {
            t.constraints.push(crate::structs::Constraint {
                l_target: "${attr.kernel.name}".into(),
                r_target: "linux".into(),
                operand: "=".into(),
            })
        },
    ];
    for edit in edits {
        let diff = annotated(
            Some(&example()),
            &with_task(edit),
            DesiredUpdates::default(),
        );
        assert_eq!(task_notes(&diff, "redis"), ["forces in-place update"]);
    }
}

#[test]
fn log_config_sizes_in_place_but_disabled_flip_destructive() {
    let old = with_task(|t| t.log_config = Some(LogConfig::default()));
    let bigger = with_task(|t| {
        t.log_config = Some(LogConfig {
            max_files: 20,
            ..LogConfig::default()
        })
    });
    let diff = annotated(Some(&old), &bigger, DesiredUpdates::default());
    assert_eq!(task_notes(&diff, "redis"), ["forces in-place update"]);
    let new = with_task(|t| {
        t.log_config = Some(LogConfig {
            disabled: true,
            ..LogConfig::default()
        })
    });
    let diff = annotated(Some(&old), &new, DesiredUpdates::default());
    assert_eq!(task_notes(&diff, "redis"), ["forces create/destroy update"]);
}

#[test]
fn task_added_to_existing_group_replaces_allocations() {
    let mut new = example();
    let mut sidecar = new.task_groups[0].tasks[0].clone();
    sidecar.name = "sidecar".into();
    new.task_groups[0].tasks.push(sidecar);
    let diff = annotated(Some(&example()), &new, DesiredUpdates::default());
    assert_eq!(
        task_notes(&diff, "sidecar"),
        ["forces create/destroy update"]
    );
    assert!(task_notes(&diff, "redis").is_empty());
}

#[test]
fn deleted_group_forces_destroy() {
    let mut old = example();
    let mut web = old.task_groups[0].clone();
    web.name = "web".into();
    old.task_groups.push(web);
    let stop = DesiredUpdates {
        stop: 1,
        ..DesiredUpdates::default()
    };
    let mut diff = job_diff(Some(&old), &example(), true);
    annotate(&mut diff, &updates("web", stop));
    let web = &diff.task_groups[1];
    assert_eq!(web.diff_type, DiffType::Deleted);
    assert_eq!(web.updates, BTreeMap::from([("destroy".to_string(), 1)]));
    assert_eq!(web.fields[0].annotations, ["forces destroy"]);
    assert_eq!(web.tasks[0].annotations, ["forces destroy"]);
}

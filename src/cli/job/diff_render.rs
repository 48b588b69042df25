//! A job diff as Nomad's `plan` prints it: `+`, `-` and `+/-` markers,
//! task groups with their update counts, fields aligned on their names and
//! nested objects in braces.

use drover::structs::{DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff};

fn marker(t: DiffType) -> &'static str {
    match t {
        DiffType::Added => "+ ",
        DiffType::Deleted => "- ",
        DiffType::Edited => "+/- ",
        DiffType::None => "",
    }
}

fn width(t: DiffType) -> usize {
    marker(t).len()
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// Go's `%q` for the printable strings of a diff.
fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// The longest field name and the widest marker among fields and objects.
fn longest(fields: &[FieldDiff], objects: &[ObjectDiff]) -> (usize, usize) {
    let name = fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let mark = fields
        .iter()
        .map(|f| width(f.diff_type))
        .chain(objects.iter().map(|o| width(o.diff_type)))
        .max()
        .unwrap_or(0);
    (name, mark)
}

fn annotations(a: &[String]) -> String {
    if a.is_empty() {
        String::new()
    } else {
        format!(" ({})", a.join(", "))
    }
}

fn field(f: &FieldDiff, start: usize, key_pad: usize, value_pad: usize) -> String {
    let value = match f.diff_type {
        DiffType::Added | DiffType::None => quote(&f.new),
        DiffType::Deleted => quote(&f.old),
        DiffType::Edited => format!("{} => {}", quote(&f.old), quote(&f.new)),
    };
    format!(
        "{}{}{}{}: {}{}{}",
        spaces(start),
        marker(f.diff_type),
        spaces(key_pad),
        f.name,
        spaces(value_pad),
        value,
        annotations(&f.annotations)
    )
}

fn object(o: &ObjectDiff, start: usize, key_pad: usize) -> String {
    let mut out = format!(
        "{}{}{}{} {{\n",
        spaces(start),
        marker(o.diff_type),
        spaces(key_pad),
        o.name
    );
    let (name, mark) = longest(&o.fields, &o.objects);
    out.push_str(&aligned(
        &o.fields,
        &o.objects,
        start + key_pad + 2,
        name,
        mark,
    ));
    out.push('\n');
    out.push_str(&spaces(start + width(o.diff_type) + key_pad));
    out.push('}');
    out
}

/// Fields then objects, one per line, with no trailing newline.
fn aligned(
    fields: &[FieldDiff],
    objects: &[ObjectDiff],
    start: usize,
    longest_name: usize,
    longest_marker: usize,
) -> String {
    let mut lines = Vec::new();
    for f in fields {
        lines.push(field(
            f,
            start,
            longest_marker - width(f.diff_type),
            longest_name - f.name.len(),
        ));
    }
    for o in objects {
        lines.push(object(o, start, longest_marker - width(o.diff_type)));
    }
    lines.join("\n")
}

fn task(t: &TaskDiff, start: usize, key_pad: usize, verbose: bool) -> String {
    let mut out = format!(
        "{}{}{}Task: {}{}",
        spaces(start),
        marker(t.diff_type),
        spaces(key_pad),
        quote(&t.name),
        annotations(&t.annotations)
    );
    let expand = match t.diff_type {
        DiffType::None => false,
        DiffType::Added | DiffType::Deleted => verbose,
        DiffType::Edited => true,
    };
    if expand {
        out.push('\n');
        let (name, mark) = longest(&t.fields, &t.objects);
        out.push_str(&aligned(&t.fields, &t.objects, start + 2, name, mark));
    }
    out
}

fn group(g: &TaskGroupDiff, pad: usize, verbose: bool) -> String {
    let mut out = format!(
        "{}{}Task Group: {}",
        marker(g.diff_type),
        spaces(pad),
        quote(&g.name)
    );
    let counts: Vec<String> = g
        .updates
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    if !counts.is_empty() {
        out.push_str(&format!(" ({})", counts.join(", ")));
    }
    out.push('\n');
    let (name, mut mark) = longest(&g.fields, &g.objects);
    for t in &g.tasks {
        mark = mark.max(width(t.diff_type));
    }
    let start = pad + 2;
    if g.diff_type == DiffType::Edited || verbose {
        let fo = aligned(&g.fields, &g.objects, start, name, mark);
        if !fo.is_empty() {
            out.push_str(&fo);
            out.push('\n');
        }
    }
    for t in &g.tasks {
        out.push_str(&task(t, start, mark - width(t.diff_type), verbose));
        out.push('\n');
    }
    out
}

/// The whole diff, trimmed.
pub fn render(job: &JobDiff, verbose: bool) -> String {
    let mut out = format!("{}Job: {}\n", marker(job.diff_type), quote(&job.id));
    let (name, mut mark) = longest(&job.fields, &job.objects);
    for g in &job.task_groups {
        mark = mark.max(width(g.diff_type));
    }
    if job.diff_type == DiffType::Edited || verbose {
        let fo = aligned(&job.fields, &job.objects, 0, name, mark);
        if !fo.is_empty() {
            out.push_str(&fo);
            out.push('\n');
        }
    }
    for g in &job.task_groups {
        out.push_str(&group(g, mark - width(g.diff_type), verbose));
        out.push('\n');
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn f(t: DiffType, name: &str, old: &str, new: &str, ann: &[&str]) -> FieldDiff {
        FieldDiff {
            diff_type: t,
            name: name.into(),
            old: old.into(),
            new: new.into(),
            annotations: ann.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_new_job() {
        let d = JobDiff {
            diff_type: DiffType::Added,
            id: "example".into(),
            task_groups: vec![TaskGroupDiff {
                diff_type: DiffType::Added,
                name: "cache".into(),
                updates: BTreeMap::from([("create".to_string(), 1)]),
                tasks: vec![TaskDiff {
                    diff_type: DiffType::Added,
                    name: "redis".into(),
                    annotations: vec!["forces create".into()],
                    ..TaskDiff::default()
                }],
                ..TaskGroupDiff::default()
            }],
            ..JobDiff::default()
        };
        assert_eq!(
            render(&d, false),
            "+ Job: \"example\"\n+ Task Group: \"cache\" (1 create)\n  + Task: \"redis\" (forces create)"
        );
    }

    #[test]
    fn a_count_change() {
        let d = JobDiff {
            diff_type: DiffType::Edited,
            id: "example".into(),
            task_groups: vec![TaskGroupDiff {
                diff_type: DiffType::Edited,
                name: "cache".into(),
                fields: vec![f(DiffType::Edited, "Count", "1", "15", &["forces create"])],
                updates: BTreeMap::from([
                    ("create".to_string(), 14),
                    ("in-place update".to_string(), 1),
                ]),
                tasks: vec![TaskDiff {
                    name: "redis".into(),
                    ..TaskDiff::default()
                }],
                ..TaskGroupDiff::default()
            }],
            ..JobDiff::default()
        };
        assert_eq!(
            render(&d, false),
            "+/- Job: \"example\"\n\
             +/- Task Group: \"cache\" (14 create, 1 in-place update)\n  \
             +/- Count: \"1\" => \"15\" (forces create)\n      \
             Task: \"redis\""
        );
    }

    #[test]
    fn objects_nest_and_align() {
        let t = TaskDiff {
            diff_type: DiffType::Edited,
            name: "redis".into(),
            annotations: vec!["forces create/destroy update".into()],
            objects: vec![ObjectDiff {
                diff_type: DiffType::Edited,
                name: "Config".into(),
                fields: vec![
                    f(DiffType::Edited, "image", "redis:3.2", "redis:4", &[]),
                    f(DiffType::None, "port_map[0][db]", "6379", "6379", &[]),
                ],
                ..ObjectDiff::default()
            }],
            ..TaskDiff::default()
        };
        assert_eq!(
            task(&t, 2, 0, false),
            "  +/- Task: \"redis\" (forces create/destroy update)\n    \
             +/- Config {\n      \
             +/- image:           \"redis:3.2\" => \"redis:4\"\n          \
             port_map[0][db]: \"6379\"\n        \
             }"
        );
    }
}

//! A dispatched job's payload, written to each task's `dispatch_payload`
//! file under the task's `local/` directory before the task starts.

use std::path::{Component, Path, PathBuf};

use base64::Engine;

use super::allocdir::AllocDir;
use crate::structs::{Job, TaskGroup};

/// Writes the payload of `job` for every task of `group` that asks for it.
pub fn write(dir: &AllocDir, job: &Job, group: &TaskGroup) -> Result<(), String> {
    let Some(text) = job.payload.as_ref().and_then(|p| p.as_str()) else {
        return Ok(());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("the dispatch payload is not valid base64: {e}"))?;
    for task in &group.tasks {
        let Some(file) = task
            .dispatch_payload
            .as_ref()
            .and_then(|d| d.get("File"))
            .and_then(|f| f.as_str())
            .filter(|f| !f.is_empty())
        else {
            continue;
        };
        let path = inside(&dir.local(&task.name), file).ok_or_else(|| {
            format!(
                "task {:?}: dispatch_payload file {file:?} escapes the task's local directory",
                task.name
            )
        })?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &bytes).map_err(|e| {
            format!(
                "cannot write the dispatch payload to {}: {e}",
                path.display()
            )
        })?;
    }
    Ok(())
}

/// `file` under `base`, if it stays there (no `..`, not absolute).
fn inside(base: &Path, file: &str) -> Option<PathBuf> {
    let rel = Path::new(file);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        .then(|| base.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::Task;

    #[test]
    fn the_payload_lands_in_local_and_may_not_escape() {
        let base = tempfile::tempdir().expect("dir");
        let dir = AllocDir::new(base.path(), "a1");
        dir.build(["t", "u"]).expect("build");
        let task = |name: &str, file: &str| Task {
            name: name.into(),
            dispatch_payload: Some(serde_json::json!({ "File": file })),
            ..Task::default()
        };
        let job = Job {
            payload: Some(serde_json::json!("aGVsbG8=")),
            ..Job::default()
        };
        let group = TaskGroup {
            tasks: vec![
                task("t", "in/data.txt"),
                Task {
                    name: "u".into(),
                    ..Task::default()
                },
            ],
            ..TaskGroup::default()
        };
        write(&dir, &job, &group).expect("write");
        let got = std::fs::read(dir.local("t").join("in/data.txt")).expect("read");
        assert_eq!(got, b"hello");
        assert!(!dir.local("u").join("in").exists());

        let bad = TaskGroup {
            tasks: vec![task("t", "../../escape")],
            ..TaskGroup::default()
        };
        assert!(write(&dir, &job, &bad).unwrap_err().contains("escapes"));
        let abs = TaskGroup {
            tasks: vec![task("t", "/etc/x")],
            ..TaskGroup::default()
        };
        assert!(write(&dir, &job, &abs).is_err());
    }
}

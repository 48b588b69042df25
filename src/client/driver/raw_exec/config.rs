//! The raw_exec task `config` block and where its command is found.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::client::driver::DriverError;
use crate::structs::DriverConfig;

/// The options raw_exec reads from the task's `config` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawExecConfig {
    pub command: String,
    pub args: Vec<String>,
}

impl RawExecConfig {
    /// Reads `command` (required) and `args`. Numbers and booleans in
    /// `args` are taken as their text, as HCL writes them unquoted.
    pub fn parse(config: &DriverConfig) -> Result<RawExecConfig, DriverError> {
        let command = match config.get("command") {
            Some(Value::String(c)) if !c.trim().is_empty() => c.clone(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(DriverError::Config(
                    "raw_exec: missing \"command\" in the task config".into(),
                ));
            }
            Some(other) => {
                return Err(DriverError::Config(format!(
                    "raw_exec: \"command\" must be a string, not {other}"
                )));
            }
        };
        let args = match config.get("args") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(arg_text).collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(DriverError::Config(format!(
                    "raw_exec: \"args\" must be a list of strings, not {other}"
                )));
            }
        };
        Ok(RawExecConfig { command, args })
    }
}

fn arg_text(v: &Value) -> Result<String, DriverError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(DriverError::Config(format!(
            "raw_exec: every element of \"args\" must be a string, not {other}"
        ))),
    }
}

/// Finds the program to execute: an absolute path as is; a path with a
/// `/` relative to the task directory; a bare name in the task directory
/// first, then in each `PATH` entry (the task's `PATH`, which the caller
/// passes). The answer must be an executable file, so a wrong command is a
/// configuration error before any process is started.
pub fn resolve_command(
    command: &str,
    task_dir: &Path,
    path_var: Option<&OsStr>,
) -> Result<PathBuf, DriverError> {
    let given = Path::new(command);
    if given.is_absolute() || command.contains('/') {
        let candidate = task_dir.join(given);
        return if is_executable_file(&candidate) {
            Ok(candidate)
        } else {
            Err(DriverError::Config(format!(
                "raw_exec: command \"{command}\" is not an executable file ({})",
                candidate.display()
            )))
        };
    }
    let in_task_dir = task_dir.join(command);
    if is_executable_file(&in_task_dir) {
        return Ok(in_task_dir);
    }
    path_var
        .into_iter()
        .flat_map(std::env::split_paths)
        // An empty entry means the working directory: the task directory,
        // already tried.
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| task_dir.join(dir).join(command))
        .find(|p| is_executable_file(p))
        .ok_or_else(|| {
            DriverError::Config(format!(
                "raw_exec: command \"{command}\" not found in the task directory or PATH"
            ))
        })
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> DriverConfig {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn command_is_required_and_args_are_text() {
        let err = RawExecConfig::parse(&config(json!({"args": ["x"]}))).unwrap_err();
        assert!(matches!(err, DriverError::Config(ref m) if m.contains("missing \"command\"")));
        let err = RawExecConfig::parse(&config(json!({"command": 3}))).unwrap_err();
        assert!(matches!(err, DriverError::Config(_)));
        let c = RawExecConfig::parse(&config(
            json!({"command": "sh", "args": ["-c", 8080, true]}),
        ))
        .unwrap();
        assert_eq!(c.command, "sh");
        assert_eq!(c.args, ["-c", "8080", "true"]);
        let err = RawExecConfig::parse(&config(json!({"command": "sh", "args": [{}]})));
        assert!(err.is_err());
    }

    fn executable(path: &Path) {
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn commands_resolve_in_the_task_dir_then_path() {
        let task = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        executable(&bin.path().join("tool"));
        executable(&bin.path().join("both"));
        executable(&task.path().join("both"));
        std::fs::create_dir(task.path().join("local")).unwrap();
        executable(&task.path().join("local/run.sh"));
        std::fs::write(task.path().join("local/plain"), "x").unwrap();
        let path = bin.path().as_os_str();

        let r = |c: &str| resolve_command(c, task.path(), Some(path));
        assert_eq!(r("tool").unwrap(), bin.path().join("tool"));
        assert_eq!(r("both").unwrap(), task.path().join("both"));
        assert_eq!(r("local/run.sh").unwrap(), task.path().join("local/run.sh"));
        let abs = bin.path().join("tool");
        assert_eq!(r(abs.to_str().unwrap()).unwrap(), abs);
        assert!(matches!(r("nope"), Err(DriverError::Config(m)) if m.contains("not found")));
        assert!(matches!(r("local/plain"), Err(DriverError::Config(_))));
        assert!(resolve_command("tool", task.path(), None).is_err());
    }
}

//! The Docker task `config` block, decoded into typed values.
//!
//! Job files reach the driver as JSON decoded from HCL or from the API, so
//! the same block may come in two shapes: `labels { a = "b" }` is an object
//! from the API but may be a list of one object from HCL. Both are
//! accepted. Unknown keys are ignored (newer job files stay runnable); a
//! key of the wrong type is a [`DriverError::Config`] naming the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::client::driver::DriverError;
use crate::structs::DriverConfig;

/// The options of a `docker` task this driver understands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DockerConfig {
    pub image: String,
    #[serde(deserialize_with = "optional_text")]
    pub command: Option<String>,
    #[serde(deserialize_with = "string_list")]
    pub args: Vec<String>,
    #[serde(deserialize_with = "string_list")]
    pub entrypoint: Vec<String>,
    #[serde(deserialize_with = "string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "string_list")]
    pub volumes: Vec<String>,
    pub network_mode: Option<String>,
    #[serde(deserialize_with = "string_list")]
    pub dns_servers: Vec<String>,
    pub hostname: Option<String>,
    pub work_dir: Option<String>,
    pub force_pull: bool,
    pub privileged: bool,
    /// Nomad 0.6's `port_map { db = 6379 }`. The client has already turned
    /// it into the container ports of the task's port bindings; it is only
    /// decoded so that a malformed block is reported.
    #[serde(deserialize_with = "string_map")]
    pub port_map: BTreeMap<String, String>,
}

/// A host directory mounted into the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub host: PathBuf,
    pub container: String,
    pub read_only: bool,
}

impl Volume {
    /// The `Binds` entry: `host:container[:ro]`.
    pub fn bind(&self) -> String {
        let mode = if self.read_only { ":ro" } else { "" };
        format!("{}:{}{mode}", self.host.display(), self.container)
    }
}

/// Decodes and checks a task's `config` block.
pub fn decode(config: &DriverConfig) -> Result<DockerConfig, DriverError> {
    let value = Value::Object(config.clone());
    let mut decoded: DockerConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        DriverError::Config(format!(
            "docker: invalid config \"{}\": {}",
            e.path(),
            e.inner()
        ))
    })?;
    decoded.image = normalise_image(&decoded.image);
    if decoded.image.is_empty() {
        return Err(DriverError::Config(
            "docker: config is missing \"image\"".to_string(),
        ));
    }
    Ok(decoded)
}

/// Trims the reference and drops a leading `https://`, which some job files
/// carry from copying a registry URL.
fn normalise_image(image: &str) -> String {
    let image = image.trim();
    image.strip_prefix("https://").unwrap_or(image).to_string()
}

/// The reference to pull: with an explicit tag, because the engine pulls
/// *every* tag of a repository named without one.
pub fn pull_reference(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// Parses the `volumes` entries (`host:container[:ro|:rw]`); relative host
/// paths are taken from the task directory.
pub fn parse_volumes(volumes: &[String], task_dir: &Path) -> Result<Vec<Volume>, DriverError> {
    volumes.iter().map(|v| parse_volume(v, task_dir)).collect()
}

fn parse_volume(spec: &str, task_dir: &Path) -> Result<Volume, DriverError> {
    let bad = |why: &str| DriverError::Config(format!("docker: invalid volume \"{spec}\": {why}"));
    let parts: Vec<&str> = spec.split(':').collect();
    let (host, container, read_only) = match parts.as_slice() {
        [h, c] => (*h, *c, false),
        [h, c, "ro"] => (*h, *c, true),
        [h, c, "rw"] => (*h, *c, false),
        [_, _, _] => return Err(bad("the mode must be \"ro\" or \"rw\"")),
        _ => return Err(bad("expected \"host:container\" or \"host:container:ro\"")),
    };
    if host.is_empty() {
        return Err(bad("the host path is empty"));
    }
    if !container.starts_with('/') {
        return Err(bad("the container path must be absolute"));
    }
    let host = Path::new(host);
    let host = if host.is_absolute() {
        host.to_path_buf()
    } else {
        task_dir.join(host)
    };
    Ok(Volume {
        host,
        container: container.to_string(),
        read_only,
    })
}

/// A map of scalars given as an object or as a list of objects (merged in
/// order); numbers and booleans become their text.
fn string_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    let mut out = BTreeMap::new();
    merge_map(&value, &mut out).map_err(serde::de::Error::custom)?;
    Ok(out)
}

fn merge_map(value: &Value, out: &mut BTreeMap<String, String>) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(
                    k.clone(),
                    scalar_text(v).ok_or_else(|| format!("\"{k}\" is not a string or a number"))?,
                );
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|item| match item {
            Value::Object(_) => merge_map(item, out),
            _ => Err("expected a map or a list of maps".to_string()),
        }),
        _ => Err("expected a map or a list of maps".to_string()),
    }
}

/// A list of scalars as text: `args = ["--port", 6379]` is common in job
/// files, and Nomad accepts it.
fn string_list<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                scalar_text(v).ok_or_else(|| {
                    serde::de::Error::custom(format!("item {i} is not a string or a number"))
                })
            })
            .collect(),
        _ => Err(serde::de::Error::custom("expected a list of strings")),
    }
}

/// An optional scalar as text.
fn optional_text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        v => scalar_text(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected a string")),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> DriverConfig {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn decodes_the_usual_keys() {
        let c = decode(&config(json!({
            "image": "https://redis:3.2",
            "command": "redis-server",
            "args": ["--port", 6379],
            "labels": [{"a": "b"}, {"c": 1}],
            "port_map": [{"db": 6379}],
            "unknown": {"x": 1},
        })))
        .unwrap();
        assert_eq!(c.image, "redis:3.2");
        assert_eq!(c.command.as_deref(), Some("redis-server"));
        assert_eq!(c.args, ["--port", "6379"]);
        assert_eq!(c.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(c.labels.get("c").map(String::as_str), Some("1"));
        assert_eq!(c.port_map.get("db").map(String::as_str), Some("6379"));
    }

    #[test]
    fn a_missing_image_or_a_wrong_type_is_a_config_error() {
        let e = decode(&config(json!({"command": "x"}))).unwrap_err();
        assert_eq!(
            e,
            DriverError::Config("docker: config is missing \"image\"".into())
        );
        let e = decode(&config(json!({"image": "  "}))).unwrap_err();
        assert!(matches!(e, DriverError::Config(_)));
        let e = decode(&config(json!({"image": "x", "args": "notalist"}))).unwrap_err();
        assert!(e.to_string().contains("\"args\""), "{e}");
        let e = decode(&config(json!({"image": "x", "labels": ["x"]}))).unwrap_err();
        assert!(e.to_string().contains("\"labels\""), "{e}");
    }

    #[test]
    fn pull_references_carry_a_tag() {
        assert_eq!(pull_reference("redis"), "redis:latest");
        assert_eq!(pull_reference("redis:3.2"), "redis:3.2");
        assert_eq!(
            pull_reference("localhost:5000/redis"),
            "localhost:5000/redis:latest"
        );
        assert_eq!(pull_reference("r@sha256:ab"), "r@sha256:ab");
    }

    #[test]
    fn volumes_parse_relative_to_the_task_dir() {
        let dir = Path::new("/t/task");
        let v = parse_volumes(&["data:/data:ro".into(), "/abs:/x".into()], dir).unwrap();
        assert_eq!(v[0].bind(), "/t/task/data:/data:ro");
        assert_eq!(v[1].bind(), "/abs:/x");
        assert!(parse_volumes(&["a".into()], dir).is_err());
        assert!(parse_volumes(&["a:b".into()], dir).is_err());
        assert!(parse_volumes(&["a:/b:zz".into()], dir).is_err());
    }
}

//! Horizontal scaling policies: a group's `scaling` block, kept in the
//! job as Nomad's JSON (`Scaling`), read through these helpers. The
//! policy's ID is derived from its target, so it stays the same across
//! the job's versions without a table of its own.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Job, TaskGroup};

/// A policy as `/v1/scaling/policy/{id}` serves it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScalingPolicy {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub target: std::collections::BTreeMap<String, String>,
    pub policy: Value,
    pub min: i64,
    pub max: i64,
    pub enabled: bool,
    pub create_index: u64,
    pub modify_index: u64,
}

/// `horizontal`: a group's count.
pub const SCALING_HORIZONTAL: &str = "horizontal";

/// The policy ID of a target: a UUID-shaped digest of namespace, job,
/// group and type (stable across versions and servers).
pub fn policy_id(namespace: &str, job: &str, group: &str, kind: &str) -> String {
    let key = format!("{namespace}\u{0}{job}\u{0}{group}\u{0}{kind}");
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(4).enumerate() {
        let mut h = crc32fast::Hasher::new();
        h.update(&[i as u8]);
        h.update(key.as_bytes());
        chunk.copy_from_slice(&h.finalize().to_be_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Fills a group's policy as Nomad does: type horizontal, enabled, `Min`
/// the group's count, the target, and the ID.
pub fn canonicalize(job_ns: &str, job_id: &str, g: &mut TaskGroup) {
    let count = g.count;
    let name = g.name.clone();
    let Some(Value::Object(p)) = g.scaling.as_mut() else {
        return;
    };
    let kind = p
        .get("Type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or(SCALING_HORIZONTAL)
        .to_string();
    p.insert("Type".into(), json!(kind));
    p.entry("Enabled").or_insert(json!(true));
    if p.get("Min").is_none_or(Value::is_null) {
        p.insert("Min".into(), json!(count));
    }
    p.insert(
        "Target".into(),
        json!({"Namespace": job_ns, "Job": job_id, "Group": name}),
    );
    p.insert("ID".into(), json!(policy_id(job_ns, job_id, &name, &kind)));
}

/// The policy of group `g` of `job`, when it has one.
pub fn of_group(job: &Job, g: &TaskGroup) -> Option<ScalingPolicy> {
    let p = g.scaling.as_ref()?.as_object()?;
    let int = |k: &str| p.get(k).and_then(Value::as_i64);
    let kind = p
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or(SCALING_HORIZONTAL)
        .to_string();
    Some(ScalingPolicy {
        id: policy_id(&job.namespace, &job.id, &g.name, &kind),
        target: [
            ("Namespace".to_string(), job.namespace.clone()),
            ("Job".to_string(), job.id.clone()),
            ("Group".to_string(), g.name.clone()),
        ]
        .into(),
        kind,
        policy: p.get("Policy").cloned().unwrap_or(Value::Null),
        min: int("Min").unwrap_or(g.count),
        max: int("Max").unwrap_or(i64::MAX),
        enabled: p.get("Enabled").and_then(Value::as_bool).unwrap_or(true),
        create_index: job.create_index,
        modify_index: job.job_modify_index,
    })
}

/// Every policy of `job`.
pub fn of_job(job: &Job) -> Vec<ScalingPolicy> {
    job.task_groups
        .iter()
        .filter_map(|g| of_group(job, g))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_uuids_per_target() {
        let a = policy_id("default", "web", "cache", "horizontal");
        assert_eq!(a, policy_id("default", "web", "cache", "horizontal"));
        assert_ne!(a, policy_id("default", "web", "cache2", "horizontal"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
    }

    #[test]
    fn canonicalize_fills_nomads_defaults() {
        let mut g = TaskGroup {
            name: "cache".into(),
            count: 3,
            scaling: Some(json!({"Max": 10})),
            ..TaskGroup::default()
        };
        canonicalize("default", "web", &mut g);
        let scaling = g.scaling.clone().expect("scaling");
        let p = scaling.as_object().expect("object");
        assert_eq!(p["Min"], 3);
        assert_eq!(p["Enabled"], true);
        assert_eq!(p["Type"], "horizontal");
        assert_eq!(p["Target"]["Group"], "cache");
        let job = Job {
            id: "web".into(),
            namespace: "default".into(),
            task_groups: vec![g],
            ..Job::default()
        };
        let pol = of_job(&job);
        assert_eq!(pol.len(), 1);
        assert_eq!((pol[0].min, pol[0].max), (3, 10));
        assert_eq!(pol[0].id, p["ID"]);
    }
}

//! The task environment: the `NOMAD_*` variables a task is started with,
//! and the `${...}` interpolation of job strings against them.
//!
//! The map is built in Nomad's order, later writers winning: computed
//! variables (directories, limits, identity, ports), then the combined
//! job/group/task meta, then the task's `env` block. Values of the meta
//! and of the `env` block are interpolated against what was computed
//! before them, so `env { ADDR = "${NOMAD_ADDR_http}" }` works, while the
//! result never depends on the order of the keys.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ports::{EnvPort, TaskPorts};
use crate::structs::{Allocation, DriverConfig, Job, Node, StrMap, Task, TaskGroup};

/// Directories as the task sees them: `/alloc`, `/local` and `/secrets`
/// inside a container, host paths for `raw_exec`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskDirs {
    pub alloc_dir: String,
    /// The task's `local` directory (`NOMAD_TASK_DIR`).
    pub task_dir: String,
    pub secrets_dir: String,
}

impl TaskDirs {
    /// The paths a container task sees (the client mounts the host
    /// directories there).
    pub fn container() -> Self {
        TaskDirs {
            alloc_dir: "/alloc".into(),
            task_dir: "/local".into(),
            secrets_dir: "/secrets".into(),
        }
    }
}

/// Everything the environment of one task is computed from.
#[derive(Clone, Debug)]
pub struct EnvContext<'a> {
    pub alloc: &'a Allocation,
    pub job: &'a Job,
    pub group: &'a TaskGroup,
    pub task: &'a Task,
    pub node: &'a Node,
    /// The client's region (`NOMAD_REGION`, `${node.region}`); the job's
    /// region when empty.
    pub region: String,
    pub ports: &'a TaskPorts,
    pub dirs: TaskDirs,
}

/// The full environment of a task.
pub fn task_env(ctx: &EnvContext) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    add_dirs(&mut env, &ctx.dirs);
    add_limits(&mut env, ctx.alloc, ctx.task);
    add_identity(&mut env, ctx);
    for p in &ctx.ports.env {
        add_port(&mut env, p);
    }
    add_meta(&mut env, ctx);
    add_task_env(&mut env, &ctx.task.env, ctx.node);
    env
}

/// Sets `key` unless `value` is empty: Nomad leaves out what it does not
/// know rather than exporting empty variables.
fn set(env: &mut BTreeMap<String, String>, key: &str, value: &str) {
    if !value.is_empty() {
        env.insert(key.to_string(), value.to_string());
    }
}

fn add_dirs(env: &mut BTreeMap<String, String>, dirs: &TaskDirs) {
    set(env, "NOMAD_ALLOC_DIR", &dirs.alloc_dir);
    set(env, "NOMAD_TASK_DIR", &dirs.task_dir);
    set(env, "NOMAD_SECRETS_DIR", &dirs.secrets_dir);
}

/// CPU and memory of a task: `(cpu MHz, memory MB, memory max MB)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Limits {
    cpu: i64,
    memory_mb: i64,
    memory_max_mb: i64,
}

/// What the scheduler allocated to the task; older allocations carry
/// `TaskResources`, and an allocation without either falls back to what
/// the task asked for.
fn task_limits(alloc: &Allocation, task: &Task) -> Limits {
    if let Some(t) = alloc
        .allocated_resources
        .as_ref()
        .and_then(|r| r.tasks.get(&task.name))
    {
        return Limits {
            cpu: t.cpu.cpu_shares,
            memory_mb: t.memory.memory_mb,
            memory_max_mb: t.memory.memory_max_mb,
        };
    }
    alloc
        .task_resources
        .get(&task.name)
        .or(task.resources.as_ref())
        .map(|r| Limits {
            cpu: r.cpu,
            memory_mb: r.memory_mb,
            memory_max_mb: r.memory_max_mb,
        })
        .unwrap_or_default()
}

/// Limits are written only when set (`NOMAD_MEMORY_MAX_LIMIT` in
/// particular exists only with `memory_max`).
fn add_limits(env: &mut BTreeMap<String, String>, alloc: &Allocation, task: &Task) {
    let l = task_limits(alloc, task);
    let mut put = |key: &str, v: i64| {
        if v != 0 {
            env.insert(key.to_string(), v.to_string());
        }
    };
    put("NOMAD_MEMORY_LIMIT", l.memory_mb);
    put("NOMAD_MEMORY_MAX_LIMIT", l.memory_max_mb);
    put("NOMAD_CPU_LIMIT", l.cpu);
}

/// The first 8 characters of an allocation ID (fewer if it is shorter).
fn short_id(id: &str) -> &str {
    id.char_indices().nth(8).map_or(id, |(i, _)| &id[..i])
}

fn or<'a>(first: &'a str, second: &'a str) -> &'a str {
    if first.is_empty() { second } else { first }
}

/// Who the task is: allocation, job, group, datacenter, region, namespace.
fn add_identity(env: &mut BTreeMap<String, String>, ctx: &EnvContext) {
    let alloc = ctx.alloc;
    set(env, "NOMAD_ALLOC_ID", &alloc.id);
    set(env, "NOMAD_SHORT_ALLOC_ID", short_id(&alloc.id));
    set(env, "NOMAD_ALLOC_NAME", &alloc.name);
    if let Some(i) = alloc.index() {
        env.insert("NOMAD_ALLOC_INDEX".into(), i.to_string());
    }
    set(env, "NOMAD_TASK_NAME", &ctx.task.name);
    set(
        env,
        "NOMAD_GROUP_NAME",
        or(&alloc.task_group, &ctx.group.name),
    );
    set(env, "NOMAD_JOB_ID", or(&ctx.job.id, &alloc.job_id));
    set(env, "NOMAD_JOB_NAME", &ctx.job.name);
    set(env, "NOMAD_JOB_PARENT_ID", &ctx.job.parent_id);
    set(env, "NOMAD_DC", &ctx.node.datacenter);
    set(env, "NOMAD_REGION", or(&ctx.region, &ctx.job.region));
    set(
        env,
        "NOMAD_NAMESPACE",
        or(&alloc.namespace, &ctx.job.namespace),
    );
}

/// Replaces every byte outside `[A-Za-z0-9_]` by `_`, as Nomad cleans the
/// names of port and meta variables (byte-wise: a non-ASCII character
/// becomes one `_` per byte, exactly as Nomad does).
pub fn clean_name(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' {
                char::from(b)
            } else {
                '_'
            }
        })
        .collect()
}

/// `ip:port`, with an IPv6 address in brackets (Go's `JoinHostPort`).
fn join_host_port(ip: &str, port: u16) -> String {
    if ip.contains(':') && !ip.starts_with('[') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// The variables of one port. A sibling's legacy port is named
/// `<task>_<label>` and described with host values only; group ports also
/// get the `HOST_IP`, `HOST_ADDR` and `ALLOC_PORT` variables.
fn add_port(env: &mut BTreeMap<String, String>, p: &EnvPort) {
    let label = clean_name(&p.label);
    let host_port = p.host_port.to_string();
    let addr = join_host_port(&p.host_ip, p.host_port);
    if let Some(task) = &p.task {
        let name = format!("{}_{label}", clean_name(task));
        env.insert(format!("NOMAD_ADDR_{name}"), addr);
        env.insert(format!("NOMAD_IP_{name}"), p.host_ip.clone());
        env.insert(format!("NOMAD_PORT_{name}"), host_port);
        return;
    }
    let inside = p.container_port.to_string();
    env.insert(format!("NOMAD_IP_{label}"), p.host_ip.clone());
    env.insert(format!("NOMAD_HOST_PORT_{label}"), host_port);
    env.insert(format!("NOMAD_ADDR_{label}"), addr.clone());
    env.insert(format!("NOMAD_PORT_{label}"), inside.clone());
    if p.group {
        env.insert(format!("NOMAD_HOST_IP_{label}"), p.host_ip.clone());
        env.insert(format!("NOMAD_HOST_ADDR_{label}"), addr);
        env.insert(format!("NOMAD_ALLOC_PORT_{label}"), inside);
    }
}

/// Job, group then task meta, the more specific level winning per key.
fn combined_meta(ctx: &EnvContext) -> StrMap {
    let mut meta = ctx.job.meta.clone();
    meta.extend(ctx.group.meta.clone());
    meta.extend(ctx.task.meta.clone());
    meta
}

/// `NOMAD_META_<key>` twice, as written and upper-cased (both cleaned),
/// with values interpolated against the computed variables.
fn add_meta(env: &mut BTreeMap<String, String>, ctx: &EnvContext) {
    let meta: Vec<(String, String)> = combined_meta(ctx)
        .into_iter()
        .map(|(k, v)| (k, interpolate(&v, env, ctx.node)))
        .collect();
    for (k, v) in meta {
        env.insert(
            format!("NOMAD_META_{}", clean_name(&k.to_uppercase())),
            v.clone(),
        );
        env.insert(format!("NOMAD_META_{}", clean_name(&k)), v);
    }
}

/// The task's `env` block, interpolated against everything computed so far
/// (not against itself, so the result does not depend on key order).
fn add_task_env(env: &mut BTreeMap<String, String>, vars: &StrMap, node: &Node) {
    let resolved: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.clone(), interpolate(v, env, node)))
        .collect();
    env.extend(resolved);
}

/// Where a `${` reference ends.
enum Scan {
    /// Closed by the `}` at this offset of the body.
    Closed(usize),
    /// Another `${` starts at this offset before any `}`: the outer one is
    /// text, and scanning resumes at the inner one.
    Reopened(usize),
    /// No `}` follows: everything from the `${` on is text.
    Unclosed,
}

fn scan_reference(body: &str) -> Scan {
    let bytes = body.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'}' => return Scan::Closed(i),
            b'$' if bytes.get(i + 1) == Some(&b'{') => return Scan::Reopened(i),
            _ => {}
        }
    }
    Scan::Unclosed
}

/// Replaces `${name}` references in `s`: any variable of `env` (including
/// `NOMAD_*` ones, by their name as cleaned or as written), `${env["NAME"]}`,
/// `${node.unique.id}`, `${node.unique.name}`, `${node.datacenter}`,
/// `${node.class}`, `${node.pool}`, `${node.region}` (taken from
/// `NOMAD_REGION` in `env`), `${attr.<name>}` and `${meta.<key>}` of the
/// node. Unknown references stay as written, as Nomad leaves them.
///
/// One pass, linear in the length of `s`; substituted values are never
/// rescanned, so a value containing `${...}` cannot expand further.
pub fn interpolate(s: &str, env: &BTreeMap<String, String>, node: &Node) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        match scan_reference(body) {
            Scan::Closed(end) => {
                match lookup(&body[..end], env, node) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &body[end + 1..];
            }
            Scan::Reopened(at) => {
                out.push_str(&rest[start..start + 2 + at]);
                rest = &body[at..];
            }
            Scan::Unclosed => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of one reference, if it names something known.
fn lookup<'a>(name: &str, env: &'a BTreeMap<String, String>, node: &'a Node) -> Option<&'a str> {
    let name = name.trim();
    if let Some(v) = node_value(name, env, node) {
        return Some(v);
    }
    if let Some(var) = env_index(name) {
        return env.get(var).map(String::as_str);
    }
    if let Some(v) = env.get(name) {
        return Some(v);
    }
    // `${NOMAD_PORT_my-port}` names the variable written as
    // `NOMAD_PORT_my_port`.
    if name.starts_with("NOMAD_") {
        return env.get(&clean_name(name)).map(String::as_str);
    }
    None
}

/// `node.*`, `attr.*` and `meta.*` references.
fn node_value<'a>(
    name: &str,
    env: &'a BTreeMap<String, String>,
    node: &'a Node,
) -> Option<&'a str> {
    if let Some(attr) = name.strip_prefix("attr.") {
        return node.attributes.get(attr).map(String::as_str);
    }
    if let Some(key) = name.strip_prefix("meta.") {
        return node.meta.get(key).map(String::as_str);
    }
    Some(match name {
        "node.unique.id" => &node.id,
        "node.unique.name" => &node.name,
        "node.datacenter" => &node.datacenter,
        "node.class" => &node.node_class,
        "node.pool" => &node.node_pool,
        "node.region" => return env.get("NOMAD_REGION").map(String::as_str),
        _ => return None,
    })
}

/// The name in `env["NAME"]` (or `env['NAME']`).
fn env_index(name: &str) -> Option<&str> {
    let inner = name.strip_prefix("env[")?.strip_suffix(']')?.trim();
    ['"', '\'']
        .iter()
        .find_map(|q| inner.strip_prefix(*q)?.strip_suffix(*q))
}

/// A driver config with every string interpolated, in nested lists and
/// objects too (keys are left alone: they are option names and labels).
pub fn interpolate_config(
    config: &DriverConfig,
    env: &BTreeMap<String, String>,
    node: &Node,
) -> DriverConfig {
    config
        .iter()
        .map(|(k, v)| (k.clone(), interpolate_value(v, env, node)))
        .collect()
}

fn interpolate_value(v: &Value, env: &BTreeMap<String, String>, node: &Node) -> Value {
    match v {
        Value::String(s) => Value::String(interpolate(s, env, node)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| interpolate_value(i, env, node))
                .collect(),
        ),
        Value::Object(o) => Value::Object(interpolate_config(o, env, node)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::client::ports::task_ports;
    use crate::structs::{
        AllocatedCpu, AllocatedMemory, AllocatedPortMapping, AllocatedResources,
        AllocatedSharedResources, AllocatedTaskResources, NetworkResource, Port, Resources,
    };

    fn strs(pairs: &[(&str, &str)]) -> StrMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn node() -> Node {
        Node {
            id: "ec28626d-0000-0000-0000-000000000001".into(),
            name: "ip-10-0-2-147".into(),
            datacenter: "eu-west-1a".into(),
            node_class: "web".into(),
            node_pool: "default".into(),
            attributes: strs(&[
                ("kernel.name", "linux"),
                ("unique.network.ip-address", "10.0.2.147"),
            ]),
            meta: strs(&[("rack", "r1")]),
            ..Node::default()
        }
    }

    struct Fixture {
        alloc: Allocation,
        job: Job,
        node: Node,
    }

    /// The redis job of the 0.6 walkthrough: a legacy dynamic port `db`
    /// mapped to 6379, plus a group port and a sibling task.
    fn fixture() -> Fixture {
        let redis = Task {
            name: "redis".into(),
            driver: "docker".into(),
            config: json!({"image": "redis:3.2", "port_map": [{"db": 6379}]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            meta: strs(&[("owner", "task"), ("my-key", "v")]),
            env: strs(&[
                ("DB_ADDR", "${NOMAD_ADDR_db}"),
                (
                    "WHERE",
                    "${node.datacenter}/${attr.kernel.name}/${meta.rack}",
                ),
                ("NOMAD_TASK_NAME", "overridden"),
            ]),
            resources: Some(Resources {
                cpu: 1,
                memory_mb: 1,
                ..Resources::default()
            }),
            ..Task::default()
        };
        let group = TaskGroup {
            name: "cache".into(),
            meta: strs(&[("owner", "group"), ("tier", "cache")]),
            tasks: vec![redis],
            ..TaskGroup::default()
        };
        let job = Job {
            id: "example".into(),
            name: "example".into(),
            region: "global".into(),
            namespace: "default".into(),
            job_type: "service".into(),
            meta: strs(&[("owner", "job"), ("team", "infra")]),
            task_groups: vec![group],
            ..Job::default()
        };
        let mut r = AllocatedResources::default();
        r.tasks.insert(
            "redis".into(),
            AllocatedTaskResources {
                cpu: AllocatedCpu { cpu_shares: 500 },
                memory: AllocatedMemory {
                    memory_mb: 256,
                    memory_max_mb: 0,
                },
                networks: vec![NetworkResource {
                    ip: "10.0.2.147".into(),
                    dynamic_ports: vec![Port {
                        label: "db".into(),
                        value: 22655,
                        ..Port::default()
                    }],
                    ..NetworkResource::default()
                }],
            },
        );
        r.tasks.insert(
            "side-car".into(),
            AllocatedTaskResources {
                networks: vec![NetworkResource {
                    ip: "10.0.2.147".into(),
                    reserved_ports: vec![Port {
                        label: "admin-ui".into(),
                        value: 9000,
                        ..Port::default()
                    }],
                    ..NetworkResource::default()
                }],
                ..AllocatedTaskResources::default()
            },
        );
        r.shared = AllocatedSharedResources {
            ports: vec![AllocatedPortMapping {
                label: "http-api".into(),
                value: 24000,
                to: 8080,
                host_ip: "10.0.2.147".into(),
            }],
            ..AllocatedSharedResources::default()
        };
        let alloc = Allocation {
            id: "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c".into(),
            name: "example.cache[3]".into(),
            namespace: "default".into(),
            job_id: "example".into(),
            task_group: "cache".into(),
            allocated_resources: Some(Arc::new(r)),
            ..Allocation::default()
        };
        Fixture {
            alloc,
            job,
            node: node(),
        }
    }

    fn build(f: &Fixture) -> BTreeMap<String, String> {
        let group = &f.job.task_groups[0];
        let task = &group.tasks[0];
        let ports = task_ports(&f.alloc, task);
        task_env(&EnvContext {
            alloc: &f.alloc,
            job: &f.job,
            group,
            task,
            node: &f.node,
            region: "eu".into(),
            ports: &ports,
            dirs: TaskDirs::container(),
        })
    }

    fn get<'a>(env: &'a BTreeMap<String, String>, k: &str) -> &'a str {
        env.get(k).map(String::as_str).unwrap_or("<unset>")
    }

    #[test]
    fn computed_variables() {
        let env = build(&fixture());
        for (k, v) in [
            ("NOMAD_ALLOC_DIR", "/alloc"),
            ("NOMAD_TASK_DIR", "/local"),
            ("NOMAD_SECRETS_DIR", "/secrets"),
            ("NOMAD_MEMORY_LIMIT", "256"),
            ("NOMAD_CPU_LIMIT", "500"),
            ("NOMAD_ALLOC_ID", "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c"),
            ("NOMAD_SHORT_ALLOC_ID", "8dd4be51"),
            ("NOMAD_ALLOC_NAME", "example.cache[3]"),
            ("NOMAD_ALLOC_INDEX", "3"),
            ("NOMAD_GROUP_NAME", "cache"),
            ("NOMAD_JOB_ID", "example"),
            ("NOMAD_JOB_NAME", "example"),
            ("NOMAD_DC", "eu-west-1a"),
            ("NOMAD_REGION", "eu"),
            ("NOMAD_NAMESPACE", "default"),
        ] {
            assert_eq!(get(&env, k), v, "{k}");
        }
        assert!(!env.contains_key("NOMAD_MEMORY_MAX_LIMIT"));
        assert!(!env.contains_key("NOMAD_JOB_PARENT_ID"));
    }

    #[test]
    fn legacy_port_variables_follow_the_port_map() {
        let env = build(&fixture());
        assert_eq!(get(&env, "NOMAD_HOST_PORT_db"), "22655");
        assert_eq!(get(&env, "NOMAD_PORT_db"), "6379");
        assert_eq!(get(&env, "NOMAD_IP_db"), "10.0.2.147");
        assert_eq!(get(&env, "NOMAD_ADDR_db"), "10.0.2.147:22655");
        // Legacy ports never had the group-only variables.
        assert!(!env.contains_key("NOMAD_HOST_ADDR_db"));
        assert!(!env.contains_key("NOMAD_ALLOC_PORT_db"));
    }

    #[test]
    fn group_port_variables_with_a_cleaned_label() {
        let env = build(&fixture());
        for (k, v) in [
            ("NOMAD_IP_http_api", "10.0.2.147"),
            ("NOMAD_HOST_IP_http_api", "10.0.2.147"),
            ("NOMAD_PORT_http_api", "8080"),
            ("NOMAD_ALLOC_PORT_http_api", "8080"),
            ("NOMAD_HOST_PORT_http_api", "24000"),
            ("NOMAD_ADDR_http_api", "10.0.2.147:24000"),
            ("NOMAD_HOST_ADDR_http_api", "10.0.2.147:24000"),
        ] {
            assert_eq!(get(&env, k), v, "{k}");
        }
        assert!(!env.keys().any(|k| k.contains('-')), "{env:?}");
    }

    #[test]
    fn sibling_ports_are_named_by_task() {
        let env = build(&fixture());
        assert_eq!(get(&env, "NOMAD_ADDR_side_car_admin_ui"), "10.0.2.147:9000");
        assert_eq!(get(&env, "NOMAD_IP_side_car_admin_ui"), "10.0.2.147");
        assert_eq!(get(&env, "NOMAD_PORT_side_car_admin_ui"), "9000");
        assert!(!env.contains_key("NOMAD_HOST_PORT_side_car_admin_ui"));
    }

    #[test]
    fn meta_is_combined_and_emitted_twice() {
        let env = build(&fixture());
        assert_eq!(get(&env, "NOMAD_META_owner"), "task");
        assert_eq!(get(&env, "NOMAD_META_OWNER"), "task");
        assert_eq!(get(&env, "NOMAD_META_tier"), "cache");
        assert_eq!(get(&env, "NOMAD_META_TEAM"), "infra");
        assert_eq!(get(&env, "NOMAD_META_my_key"), "v");
        assert_eq!(get(&env, "NOMAD_META_MY_KEY"), "v");
    }

    #[test]
    fn task_env_is_interpolated_and_wins() {
        let env = build(&fixture());
        assert_eq!(get(&env, "DB_ADDR"), "10.0.2.147:22655");
        assert_eq!(get(&env, "WHERE"), "eu-west-1a/linux/r1");
        assert_eq!(get(&env, "NOMAD_TASK_NAME"), "overridden");
    }

    #[test]
    fn limits_fall_back_to_task_resources() {
        let mut f = fixture();
        f.alloc.allocated_resources = None;
        let env = build(&f);
        assert_eq!(get(&env, "NOMAD_CPU_LIMIT"), "1");
        assert_eq!(get(&env, "NOMAD_MEMORY_LIMIT"), "1");
        f.alloc.task_resources.insert(
            "redis".into(),
            Resources {
                cpu: 700,
                memory_mb: 128,
                memory_max_mb: 512,
                ..Resources::default()
            },
        );
        let env = build(&f);
        assert_eq!(get(&env, "NOMAD_CPU_LIMIT"), "700");
        assert_eq!(get(&env, "NOMAD_MEMORY_MAX_LIMIT"), "512");
    }

    #[test]
    fn identity_edge_cases() {
        let mut f = fixture();
        f.alloc.id = "abc".into();
        f.alloc.name = "no-index".into();
        f.job.parent_id = "parent/periodic-1".into();
        let group = &f.job.task_groups[0];
        let task = &group.tasks[0];
        let ports = TaskPorts::default();
        let env = task_env(&EnvContext {
            alloc: &f.alloc,
            job: &f.job,
            group,
            task,
            node: &f.node,
            region: String::new(),
            ports: &ports,
            dirs: TaskDirs::default(),
        });
        assert_eq!(get(&env, "NOMAD_SHORT_ALLOC_ID"), "abc");
        assert!(!env.contains_key("NOMAD_ALLOC_INDEX"));
        assert!(!env.contains_key("NOMAD_ALLOC_DIR"));
        assert_eq!(get(&env, "NOMAD_JOB_PARENT_ID"), "parent/periodic-1");
        assert_eq!(get(&env, "NOMAD_REGION"), "global");
        assert_eq!(short_id("ééééééééé"), "éééééééé");
    }

    #[test]
    fn ipv6_addresses_are_bracketed() {
        assert_eq!(join_host_port("fd00::1", 80), "[fd00::1]:80");
        assert_eq!(join_host_port("[fd00::1]", 80), "[fd00::1]:80");
        assert_eq!(join_host_port("10.0.0.1", 80), "10.0.0.1:80");
        let mut env = BTreeMap::new();
        add_port(
            &mut env,
            &EnvPort {
                label: "http".into(),
                host_ip: "fd00::1".into(),
                host_port: 8080,
                container_port: 80,
                task: None,
                group: true,
            },
        );
        assert_eq!(get(&env, "NOMAD_ADDR_http"), "[fd00::1]:8080");
        assert_eq!(get(&env, "NOMAD_HOST_ADDR_http"), "[fd00::1]:8080");
    }

    #[test]
    fn names_are_cleaned_byte_wise() {
        assert_eq!(clean_name("my-port.1"), "my_port_1");
        assert_eq!(clean_name("é"), "__");
        assert_eq!(clean_name("ok_9"), "ok_9");
    }

    fn env_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        strs(pairs)
    }

    #[test]
    fn interpolation_of_known_references() {
        let env = env_of(&[
            ("NOMAD_PORT_my_port", "8080"),
            ("FOO", "bar"),
            ("NOMAD_REGION", "eu"),
        ]);
        let n = node();
        for (input, want) in [
            ("${FOO}", "bar"),
            ("x${ FOO }y", "xbary"),
            ("${env[\"FOO\"]}", "bar"),
            ("${env['FOO']}", "bar"),
            ("${NOMAD_PORT_my_port}", "8080"),
            ("${NOMAD_PORT_my-port}", "8080"),
            ("${node.unique.id}", "ec28626d-0000-0000-0000-000000000001"),
            ("${node.unique.name}", "ip-10-0-2-147"),
            ("${node.datacenter}", "eu-west-1a"),
            ("${node.class}", "web"),
            ("${node.pool}", "default"),
            ("${node.region}", "eu"),
            ("${attr.unique.network.ip-address}", "10.0.2.147"),
            ("${meta.rack}", "r1"),
            ("$FOO ${FOO}${FOO}", "$FOO barbar"),
        ] {
            assert_eq!(interpolate(input, &env, &n), want, "{input}");
        }
    }

    #[test]
    fn interpolation_leaves_the_unknown_and_the_odd_alone() {
        let env = env_of(&[("A", "1"), ("B", "2")]);
        let n = node();
        for (input, want) in [
            ("${NOPE}", "${NOPE}"),
            ("${attr.nope}", "${attr.nope}"),
            ("${meta.nope}", "${meta.nope}"),
            ("${env[\"NOPE\"]}", "${env[\"NOPE\"]}"),
            ("${env[A]}", "${env[A]}"),
            ("${}", "${}"),
            ("${A", "${A"),
            ("x ${A ${B} y", "x ${A 2 y"),
            ("${${A}}", "${1}"),
            ("$", "$"),
            ("${", "${"),
            ("}${A}{", "}1{"),
            ("é${A}ü${é}", "é1ü${é}"),
            ("${NOMAD_NOPE-x}", "${NOMAD_NOPE-x}"),
        ] {
            assert_eq!(interpolate(input, &env, &n), want, "{input}");
        }
        // Values are not rescanned.
        let env = env_of(&[("A", "${B}"), ("B", "2")]);
        assert_eq!(interpolate("${A}", &env, &n), "${B}");
    }

    #[test]
    fn interpolation_is_linear_on_hostile_input() {
        let env = env_of(&[("A", "1")]);
        let n = node();
        let s = "${".repeat(200_000);
        assert_eq!(interpolate(&s, &env, &n), s);
        let s = "${A".repeat(200_000) + "}";
        assert_eq!(interpolate(&s, &env, &n), "${A".repeat(199_999) + "1");
        let s = "${A}".repeat(200_000);
        assert_eq!(interpolate(&s, &env, &n), "1".repeat(200_000));
    }

    #[test]
    fn config_strings_are_interpolated_recursively() {
        let env = env_of(&[("NOMAD_PORT_db", "6379"), ("NOMAD_TASK_DIR", "/local")]);
        let config = json!({
            "image": "redis:3.2",
            "args": ["--port", "${NOMAD_PORT_db}", 7, true],
            "mounts": [{"source": "${NOMAD_TASK_DIR}/data", "readonly": false}],
            "labels": {"${NOMAD_PORT_db}": "${node.class}"},
            "nothing": null,
        });
        let config = config.as_object().cloned().unwrap_or_default();
        let out = interpolate_config(&config, &env, &node());
        assert_eq!(
            Value::Object(out),
            json!({
                "image": "redis:3.2",
                "args": ["--port", "6379", 7, true],
                "mounts": [{"source": "/local/data", "readonly": false}],
                "labels": {"${NOMAD_PORT_db}": "web"},
                "nothing": null,
            })
        );
    }
}

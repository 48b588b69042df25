//! Blocks kept as JSON: the driver `config` (free-form, nested blocks become
//! lists of objects) and the blocks the model stores as JSON values
//! (`template`, `artifact`, `lifecycle`, `periodic`, ...), whose HCL names
//! are mapped to Nomad's JSON names by a small table.

use hcl::edit::structure::{Block, Structure};
use serde_json::{Map, Value};

use super::parse::{Ctx, Res, join};

/// How a known key of a JSON block is read.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Int,
    Bool,
    Dur,
    Strs,
    /// Anything: attributes as given, a block as one object.
    Any,
}

/// One known key: HCL name, JSON name, type.
pub(crate) type Field = (&'static str, &'static str, Ty);

impl Ctx<'_> {
    /// The driver `config`: attributes as values, nested blocks as lists of
    /// objects (one per occurrence), as Nomad's HCL decoding does.
    pub(crate) fn config_block(&self, b: &Block, path: &str) -> Res<Map<String, Value>> {
        self.check_dups(&b.body, path)?;
        let mut map = Map::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => {
                    map.insert(a.key.as_str().to_string(), self.json(a, path)?);
                }
                Structure::Block(inner) => {
                    let child = join(path, inner.ident.as_str());
                    let mut obj = self.config_block(inner, &child)?;
                    // A labelled block nests under its labels.
                    for label in inner.labels.iter().rev() {
                        let mut outer = Map::new();
                        outer.insert(label.as_str().to_string(), Value::Object(obj));
                        obj = outer;
                    }
                    let slot = map
                        .entry(inner.ident.as_str().to_string())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    match slot {
                        Value::Array(items) => items.push(Value::Object(obj)),
                        _ => {
                            return Err(self.bad(
                                self.block_line(inner),
                                path,
                                format!(
                                    "{:?} is given both as an argument and a block",
                                    inner.ident.as_str()
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(map)
    }

    /// A block stored as a JSON object with Nomad's field names. Unknown
    /// keys are an error when `strict`, else kept under their HCL name.
    pub(crate) fn json_block(
        &self,
        b: &Block,
        path: &str,
        fields: &[Field],
        strict: bool,
    ) -> Res<Value> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        let mut map = Map::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    let Some((_, json, ty)) = fields.iter().find(|f| f.0 == key) else {
                        if strict {
                            return Err(self.unknown_attr(a, path));
                        }
                        map.insert(key.to_string(), self.json(a, path)?);
                        continue;
                    };
                    let v = match ty {
                        Ty::Str => Value::String(self.string(a, path)?),
                        Ty::Int => Value::from(self.int(a, path)?),
                        Ty::Bool => Value::Bool(self.boolean(a, path)?),
                        Ty::Dur => Value::from(self.duration(a, path)?),
                        Ty::Strs => Value::from(self.strings(a, path)?),
                        Ty::Any => self.json(a, path)?,
                    };
                    map.insert((*json).to_string(), v);
                }
                Structure::Block(inner) => {
                    let key = inner.ident.as_str();
                    let child = join(path, key);
                    let found = fields.iter().find(|f| f.0 == key);
                    if found.is_none() && strict {
                        return Err(self.unknown_block(inner, path));
                    }
                    let json = found.map_or(key, |f| f.1);
                    let obj = self.config_block(inner, &child)?;
                    map.insert(json.to_string(), Value::Object(flatten(obj)));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// In a JSON block's nested block (`options {}`), a nested block is one
/// object rather than a list.
fn flatten(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| match v {
            Value::Array(mut items) if items.len() == 1 && items[0].is_object() => {
                (k, items.pop().unwrap_or(Value::Null))
            }
            other => (k, other),
        })
        .collect()
}

/// A group's `scaling` block (a horizontal policy; `policy` is the
/// autoscaler's own, kept as given).
pub(crate) const SCALING: &[Field] = &[
    ("enabled", "Enabled", Ty::Bool),
    ("min", "Min", Ty::Int),
    ("max", "Max", Ty::Int),
    ("type", "Type", Ty::Str),
    ("policy", "Policy", Ty::Any),
];

/// `template` blocks.
pub(crate) const TEMPLATE: &[Field] = &[
    ("source", "SourcePath", Ty::Str),
    ("destination", "DestPath", Ty::Str),
    ("data", "EmbeddedTmpl", Ty::Str),
    ("change_mode", "ChangeMode", Ty::Str),
    ("change_signal", "ChangeSignal", Ty::Str),
    ("splay", "Splay", Ty::Dur),
    ("perms", "Perms", Ty::Str),
    ("uid", "Uid", Ty::Int),
    ("gid", "Gid", Ty::Int),
    ("left_delimiter", "LeftDelim", Ty::Str),
    ("right_delimiter", "RightDelim", Ty::Str),
    ("env", "Envvars", Ty::Bool),
    ("vault_grace", "VaultGrace", Ty::Dur),
    ("error_on_missing_key", "ErrMissingKey", Ty::Bool),
    ("wait", "Wait", Ty::Any),
    ("change_script", "ChangeScript", Ty::Any),
];

/// `artifact` blocks.
pub(crate) const ARTIFACT: &[Field] = &[
    ("source", "GetterSource", Ty::Str),
    ("destination", "RelativeDest", Ty::Str),
    ("mode", "GetterMode", Ty::Str),
    ("options", "GetterOptions", Ty::Any),
    ("headers", "GetterHeaders", Ty::Any),
];

/// `lifecycle` blocks.
pub(crate) const LIFECYCLE: &[Field] =
    &[("hook", "Hook", Ty::Str), ("sidecar", "Sidecar", Ty::Bool)];

/// `dispatch_payload` blocks.
pub(crate) const DISPATCH_PAYLOAD: &[Field] = &[("file", "File", Ty::Str)];

/// `vault` blocks.
pub(crate) const VAULT: &[Field] = &[
    ("policies", "Policies", Ty::Strs),
    ("env", "Env", Ty::Bool),
    ("change_mode", "ChangeMode", Ty::Str),
    ("change_signal", "ChangeSignal", Ty::Str),
    ("role", "Role", Ty::Str),
    ("namespace", "Namespace", Ty::Str),
    ("cluster", "Cluster", Ty::Str),
];

/// `periodic` blocks.
pub(crate) const PERIODIC: &[Field] = &[
    ("cron", "Spec", Ty::Str),
    ("crons", "Specs", Ty::Strs),
    ("prohibit_overlap", "ProhibitOverlap", Ty::Bool),
    ("time_zone", "TimeZone", Ty::Str),
    ("enabled", "Enabled", Ty::Bool),
];

/// `parameterized` blocks.
pub(crate) const PARAMETERIZED: &[Field] = &[
    ("payload", "Payload", Ty::Str),
    ("meta_required", "MetaRequired", Ty::Strs),
    ("meta_optional", "MetaOptional", Ty::Strs),
];

/// `migrate` blocks.
pub(crate) const MIGRATE: &[Field] = &[
    ("max_parallel", "MaxParallel", Ty::Int),
    ("health_check", "HealthCheck", Ty::Str),
    ("min_healthy_time", "MinHealthyTime", Ty::Dur),
    ("healthy_deadline", "HealthyDeadline", Ty::Dur),
];

/// `check_restart` blocks.
pub(crate) const CHECK_RESTART: &[Field] = &[
    ("limit", "Limit", Ty::Int),
    ("grace", "Grace", Ty::Dur),
    ("ignore_warnings", "IgnoreWarnings", Ty::Bool),
];

/// A group network's `dns` block.
pub(crate) const DNS: &[Field] = &[
    ("servers", "Servers", Ty::Strs),
    ("searches", "Searches", Ty::Strs),
    ("options", "Options", Ty::Strs),
];

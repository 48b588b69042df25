//! Decoding of `service` blocks and their `check` blocks.

use hcl::edit::structure::{Block, Structure};

use super::freeform::CHECK_RESTART;
use super::parse::{Ctx, Res, join};
use crate::structs::{Service, ServiceCheck};

impl Ctx<'_> {
    pub(crate) fn decode_service(&mut self, b: &Block, path: &str) -> Res<Service> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        self.record_block(path, b);
        let mut s = Service::default();
        let mut check_restart: Option<serde_json::Value> = None;
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "name" => s.name = self.string(a, path)?,
                    "task" => s.task_name = self.string(a, path)?,
                    "port" => s.port_label = self.string(a, path)?,
                    "address_mode" => s.address_mode = self.string(a, path)?,
                    "address" => s.address = self.string(a, path)?,
                    "enable_tag_override" => s.enable_tag_override = self.boolean(a, path)?,
                    "tags" => s.tags = self.strings(a, path)?,
                    "canary_tags" => s.canary_tags = self.strings(a, path)?,
                    "provider" => s.provider = self.string(a, path)?,
                    "on_update" => s.on_update = self.string(a, path)?,
                    "meta" => s.meta.extend(self.strmap_attr(a, path)?),
                    _ => return Err(self.unknown_attr(a, path)),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "check" => {
                        let p = format!("{path} -> check #{}", s.checks.len() + 1);
                        s.checks.push(self.decode_check(inner, &p)?);
                    }
                    "meta" => {
                        let child = join(path, "meta");
                        s.meta.extend(self.strmap_block(inner, &child)?);
                    }
                    "check_restart" => {
                        let child = join(path, "check_restart");
                        check_restart =
                            Some(self.json_block(inner, &child, CHECK_RESTART, true)?);
                    }
                    _ => return Err(self.unknown_block(inner, path)),
                },
            }
        }
        // A service's `check_restart` applies to each of its checks, a
        // check's own block overriding it field by field (as Nomad merges).
        if let Some(base) = check_restart {
            for c in &mut s.checks {
                c.check_restart = Some(merge_objects(&base, c.check_restart.as_ref()));
            }
        }
        Ok(s)
    }

    fn decode_check(&mut self, b: &Block, path: &str) -> Res<ServiceCheck> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        self.record_block(path, b);
        let mut c = ServiceCheck::default();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "name" => c.name = self.string(a, path)?,
                    "type" => c.kind = self.string(a, path)?,
                    "command" => c.command = self.string(a, path)?,
                    "args" => c.args = self.strings(a, path)?,
                    "path" => c.path = self.string(a, path)?,
                    "protocol" => c.protocol = self.string(a, path)?,
                    "port" => c.port_label = self.string(a, path)?,
                    "address_mode" => c.address_mode = self.string(a, path)?,
                    "interval" => c.interval = self.duration(a, path)?,
                    "timeout" => c.timeout = self.duration(a, path)?,
                    "initial_status" => c.initial_status = self.string(a, path)?,
                    "method" => c.method = self.string(a, path)?,
                    "tls_skip_verify" => c.tls_skip_verify = self.boolean(a, path)?,
                    "grpc_service" => c.grpc_service = self.string(a, path)?,
                    "grpc_use_tls" => c.grpc_use_tls = self.boolean(a, path)?,
                    "task" => c.task_name = self.string(a, path)?,
                    "on_update" => c.on_update = self.string(a, path)?,
                    _ => return Err(self.unknown_attr(a, path)),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "header" => {
                        let child = join(path, "header");
                        self.no_label(inner, &child)?;
                        for h in inner.body.iter() {
                            match h {
                                Structure::Attribute(a) => {
                                    let values = self.strings(a, &child)?;
                                    c.header.insert(a.key.as_str().to_string(), values);
                                }
                                Structure::Block(x) => return Err(self.unknown_block(x, &child)),
                            }
                        }
                    }
                    "check_restart" => {
                        let child = join(path, "check_restart");
                        c.check_restart =
                            Some(self.json_block(inner, &child, CHECK_RESTART, true)?);
                    }
                    _ => return Err(self.unknown_block(inner, path)),
                },
            }
        }
        Ok(c)
    }
}

/// `base` with the fields of `over` (both JSON objects) put over it.
fn merge_objects(base: &serde_json::Value, over: Option<&serde_json::Value>) -> serde_json::Value {
    let mut out = base.clone();
    if let (Some(o), Some(serde_json::Value::Object(fields))) = (out.as_object_mut(), over) {
        for (k, v) in fields {
            o.insert(k.clone(), v.clone());
        }
    }
    out
}

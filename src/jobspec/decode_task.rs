//! Decoding of a `task` block.

use std::collections::HashSet;

use hcl::edit::structure::{Block, Structure};

use super::freeform::{ARTIFACT, DISPATCH_PAYLOAD, LIFECYCLE, TEMPLATE, VAULT};
use super::parse::{Ctx, Res, join};
use crate::structs::{RestartPolicy, Task};

impl Ctx<'_> {
    pub(crate) fn decode_task(
        &mut self,
        b: &Block,
        group_path: &str,
        group_restart: Option<&RestartPolicy>,
    ) -> Res<Task> {
        let name = self.label(b, group_path)?;
        let path = join(group_path, &format!("task {name:?}"));
        self.record_block(&path, b);
        self.check_dups(&b.body, &path)?;
        let mut t = Task {
            name,
            ..Task::default()
        };
        let mut seen = HashSet::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "driver" => t.driver = self.string(a, &path)?,
                    "user" => t.user = self.string(a, &path)?,
                    "kill_timeout" => t.kill_timeout = self.duration(a, &path)?,
                    "kill_signal" => t.kill_signal = self.string(a, &path)?,
                    "leader" => t.leader = self.boolean(a, &path)?,
                    "shutdown_delay" => t.shutdown_delay = self.duration(a, &path)?,
                    "kind" => t.kind = self.string(a, &path)?,
                    "meta" => t.meta.extend(self.strmap_attr(a, &path)?),
                    "env" => t.env.extend(self.strmap_attr(a, &path)?),
                    "config" => match self.json(a, &path)? {
                        serde_json::Value::Object(m) => t.config.extend(m),
                        _ => {
                            return Err(self.bad(
                                self.attr_line(a),
                                &path,
                                "config: expected a map",
                            ));
                        }
                    },
                    _ => return Err(self.unknown_attr(a, &path)),
                },
                Structure::Block(inner) => {
                    let ident = inner.ident.as_str();
                    let child = join(&path, ident);
                    match ident {
                        "config" => {
                            self.once(&mut seen, inner, &path)?;
                            self.no_label(inner, &path)?;
                            self.record_block(&child, inner);
                            t.config.extend(self.config_block(inner, &child)?);
                        }
                        "env" => t.env.extend(self.strmap_block(inner, &child)?),
                        "meta" => t.meta.extend(self.strmap_block(inner, &child)?),
                        "resources" => {
                            self.once(&mut seen, inner, &path)?;
                            t.resources = Some(self.decode_resources(inner, &child)?);
                        }
                        "service" => {
                            let p = format!("{path} -> service #{}", t.services.len() + 1);
                            t.services.push(self.decode_service(inner, &p)?);
                        }
                        "constraint" => {
                            let p = format!("{path} -> constraint #{}", t.constraints.len() + 1);
                            t.constraints.push(self.decode_constraint(inner, &p)?);
                        }
                        "affinity" => {
                            let p = format!("{path} -> affinity #{}", t.affinities.len() + 1);
                            t.affinities.push(self.decode_affinity(inner, &p)?);
                        }
                        "restart" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            let base = group_restart.cloned().unwrap_or_else(|| {
                                RestartPolicy::default_for(if self.job_type.is_empty() {
                                    "service"
                                } else {
                                    &self.job_type
                                })
                            });
                            t.restart_policy = Some(self.decode_restart(inner, &child, &base)?);
                        }
                        "logs" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            t.log_config = Some(self.decode_logs(inner, &child)?);
                        }
                        "lifecycle" => {
                            self.once(&mut seen, inner, &path)?;
                            t.lifecycle = Some(self.json_block(inner, &child, LIFECYCLE, true)?);
                        }
                        "template" => {
                            t.templates
                                .push(self.json_block(inner, &child, TEMPLATE, false)?);
                        }
                        "artifact" => {
                            t.artifacts
                                .push(self.json_block(inner, &child, ARTIFACT, false)?);
                        }
                        "vault" => {
                            self.once(&mut seen, inner, &path)?;
                            t.vault = Some(self.json_block(inner, &child, VAULT, false)?);
                        }
                        "dispatch_payload" => {
                            self.once(&mut seen, inner, &path)?;
                            t.dispatch_payload =
                                Some(self.json_block(inner, &child, DISPATCH_PAYLOAD, true)?);
                        }
                        _ => return Err(self.unknown_block(inner, &path)),
                    }
                }
            }
        }
        Ok(t)
    }
}

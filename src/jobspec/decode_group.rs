//! Decoding of a `group` block: its attributes, policies, network, services
//! and tasks.

use std::collections::HashSet;

use hcl::edit::structure::{Block, Structure};

use super::decode_policy::{Defaults, migrate_json};
use super::parse::{Ctx, Res, join};
use crate::structs::TaskGroup;

impl Ctx<'_> {
    pub(crate) fn decode_group(&mut self, b: &Block, defaults: &Defaults) -> Res<TaskGroup> {
        let name = self.label(b, "")?;
        let path = format!("group {name:?}");
        self.record_block(&path, b);
        self.check_dups(&b.body, &path)?;
        let mut g = TaskGroup {
            name,
            ..TaskGroup::default()
        };
        let mut seen = HashSet::new();
        let mut tasks = Vec::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "count" => g.count = self.int(a, &path)?,
                    "meta" => g.meta.extend(self.strmap_attr(a, &path)?),
                    "shutdown_delay" => g.shutdown_delay = Some(self.duration(a, &path)?),
                    "stop_after_client_disconnect" => {
                        g.stop_after_client_disconnect = Some(self.duration(a, &path)?)
                    }
                    "max_client_disconnect" => {
                        g.max_client_disconnect = Some(self.duration(a, &path)?)
                    }
                    _ => return Err(self.unknown_attr(a, &path)),
                },
                Structure::Block(inner) => {
                    let ident = inner.ident.as_str();
                    let child = join(&path, ident);
                    match ident {
                        "task" => tasks.push(inner),
                        "constraint" => {
                            let p = format!("{path} -> constraint #{}", g.constraints.len() + 1);
                            g.constraints.push(self.decode_constraint(inner, &p)?);
                        }
                        "affinity" => {
                            let p = format!("{path} -> affinity #{}", g.affinities.len() + 1);
                            g.affinities.push(self.decode_affinity(inner, &p)?);
                        }
                        "spread" => {
                            let p = format!("{path} -> spread #{}", g.spreads.len() + 1);
                            g.spreads.push(self.decode_spread(inner, &p)?);
                        }
                        "restart" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            let base = defaults.restart_base();
                            g.restart_policy = Some(self.decode_restart(inner, &child, &base)?);
                        }
                        "reschedule" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            let base = defaults.reschedule_base();
                            g.reschedule_policy =
                                Some(self.decode_reschedule(inner, &child, &base)?);
                        }
                        "update" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            g.update = Some(self.decode_update(inner, &child, &defaults.update)?);
                        }
                        "scaling" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            g.scaling = Some(self.json_block(
                                inner,
                                &child,
                                super::freeform::SCALING,
                                true,
                            )?);
                        }
                        "migrate" => {
                            self.once(&mut seen, inner, &path)?;
                            g.migrate = Some(migrate_json(self, inner, &child)?);
                        }
                        "ephemeral_disk" => {
                            self.once(&mut seen, inner, &path)?;
                            self.record_block(&child, inner);
                            g.ephemeral_disk = Some(self.decode_ephemeral_disk(inner, &child)?);
                        }
                        "network" => {
                            self.once(&mut seen, inner, &path)?;
                            g.networks.push(self.decode_network(inner, &child, true)?);
                        }
                        "service" => {
                            let p = format!("{path} -> service #{}", g.services.len() + 1);
                            g.services.push(self.decode_service(inner, &p)?);
                        }
                        "meta" => g.meta.extend(self.strmap_block(inner, &child)?),
                        _ => return Err(self.unknown_block(inner, &path)),
                    }
                }
            }
        }
        defaults.apply_to_group(&mut g);
        // Tasks last: a task's `restart` is read over the group's.
        for t in tasks {
            let task = self.decode_task(t, &path, g.restart_policy.as_ref())?;
            g.tasks.push(task);
        }
        Ok(g)
    }
}

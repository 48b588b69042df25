//! Decoding of the `job` block: its attributes, its job-wide blocks and its
//! groups (including the job-level `task` shorthand).

use std::collections::HashSet;

use hcl::edit::structure::Block;

use super::decode_policy::{Defaults, migrate_json, parameterized_json, periodic_json};
use super::parse::{Ctx, Res, join};
use crate::structs::{Job, TaskGroup};

impl Ctx<'_> {
    pub(crate) fn decode_job(&mut self, b: &Block) -> Res<Job> {
        let mut job = Job {
            id: self.label(b, "")?,
            ..Job::default()
        };
        let path = format!("job {:?}", job.id);
        let line = self.block_line(b);
        self.lines.record(String::new(), line);
        self.lines.set_root(&path);
        self.record_block(&path, b);
        self.check_dups(&b.body, &path)?;

        // Attributes first: the type decides the policy defaults below.
        for a in b.body.attributes() {
            match a.key.as_str() {
                "id" => job.id = self.string(a, &path)?,
                "name" => job.name = self.string(a, &path)?,
                "region" => job.region = self.string(a, &path)?,
                "namespace" => job.namespace = self.string(a, &path)?,
                "type" => job.job_type = self.string(a, &path)?,
                "priority" => {
                    job.priority = self.int(a, &path)?;
                    if !(1..=100).contains(&job.priority) {
                        return Err(self.bad(
                            self.attr_line(a),
                            &path,
                            "job priority must be between [1, 100]",
                        ));
                    }
                }
                "all_at_once" => job.all_at_once = self.boolean(a, &path)?,
                "datacenters" => job.datacenters = self.strings(a, &path)?,
                "node_pool" => job.node_pool = self.string(a, &path)?,
                "meta" => job.meta.extend(self.strmap_attr(a, &path)?),
                _ => return Err(self.unknown_attr(a, &path)),
            }
        }
        // As Nomad's parser: the label names the job unless `name` does
        // (an `id` attribute changes the ID only).
        if job.name.is_empty() {
            job.name = self.label(b, "")?;
        }
        self.job_type = job.job_type.clone();

        let mut seen = HashSet::new();
        let mut defaults = Defaults::for_job_type(&self.job_type);
        // Job-wide policies, before the groups that inherit them.
        for inner in b.body.blocks() {
            let ident = inner.ident.as_str();
            let child = join(&path, ident);
            match ident {
                "update" => {
                    self.once(&mut seen, inner, &path)?;
                    let u = self.decode_update(inner, &child, &defaults.update)?;
                    job.update = Some(u.clone());
                    defaults.update = u;
                    defaults.update_set = true;
                }
                "reschedule" => {
                    self.once(&mut seen, inner, &path)?;
                    let base = defaults.reschedule_base();
                    defaults.reschedule = Some(self.decode_reschedule(inner, &child, &base)?);
                }
                "migrate" => {
                    self.once(&mut seen, inner, &path)?;
                    defaults.migrate = Some(migrate_json(self, inner, &child)?);
                }
                _ => {}
            }
        }

        for inner in b.body.blocks() {
            let ident = inner.ident.as_str();
            let child = join(&path, ident);
            match ident {
                "update" | "reschedule" | "migrate" => {}
                "group" => {
                    let g = self.decode_group(inner, &defaults)?;
                    job.task_groups.push(g);
                }
                "task" => {
                    // Shorthand: a group of the same name holding the task.
                    let name = self.label(inner, &path)?;
                    let gpath = format!("group {name:?}");
                    let line = self.block_line(inner);
                    self.lines.record(gpath.clone(), line);
                    let mut group = TaskGroup {
                        name,
                        ..TaskGroup::default()
                    };
                    defaults.apply_to_group(&mut group);
                    let task = self.decode_task(inner, &gpath, group.restart_policy.as_ref())?;
                    group.tasks.push(task);
                    job.task_groups.push(group);
                }
                "constraint" => {
                    let n = job.constraints.len() + 1;
                    let p = format!("{path} -> constraint #{n}");
                    job.constraints.push(self.decode_constraint(inner, &p)?);
                }
                "affinity" => {
                    let n = job.affinities.len() + 1;
                    let p = format!("{path} -> affinity #{n}");
                    job.affinities.push(self.decode_affinity(inner, &p)?);
                }
                "spread" => {
                    let n = job.spreads.len() + 1;
                    let p = format!("{path} -> spread #{n}");
                    job.spreads.push(self.decode_spread(inner, &p)?);
                }
                "meta" => job.meta.extend(self.strmap_block(inner, &child)?),
                "periodic" => {
                    self.once(&mut seen, inner, &path)?;
                    job.periodic = Some(periodic_json(self, inner, &child)?);
                }
                "parameterized" => {
                    self.once(&mut seen, inner, &path)?;
                    job.parameterized_job = Some(parameterized_json(self, inner, &child)?);
                }
                // The web UI's description block: accepted, not kept.
                "ui" => {}
                _ => return Err(self.unknown_block(inner, &path)),
            }
        }
        Ok(job)
    }
}

//! Decoding of the policy blocks: `update`, `reschedule`, `restart`,
//! `ephemeral_disk`, `logs`, and the ones stored as JSON (`migrate`,
//! `periodic`, `parameterized`).
//!
//! A policy block is read over a base: the job-level block for a group's,
//! the group's for a task's, else Nomad's default for the job type; so
//! only the keys written change, field by field.

use hcl::edit::structure::{Block, Structure};

use super::freeform::{MIGRATE, PARAMETERIZED, PERIODIC};
use super::parse::{Ctx, Res};
use crate::structs::{
    EphemeralDisk, LogConfig, ReschedulePolicy, RestartPolicy, TaskGroup, UpdateStrategy,
};

/// What groups inherit from the job and the job type.
pub(crate) struct Defaults {
    /// The base of a group's `update` block.
    pub update: UpdateStrategy,
    /// The job has an `update` block, which groups inherit.
    pub update_set: bool,
    /// The job's `reschedule` block (merged over the type default).
    pub reschedule: Option<ReschedulePolicy>,
    /// The job's `migrate` block.
    pub migrate: Option<serde_json::Value>,
    job_type: String,
}

impl Defaults {
    pub fn for_job_type(job_type: &str) -> Self {
        let t = if job_type.is_empty() {
            "service"
        } else {
            job_type
        };
        Defaults {
            update: UpdateStrategy::service_default(),
            update_set: false,
            reschedule: None,
            migrate: None,
            job_type: t.to_string(),
        }
    }

    /// The base of a `reschedule` block.
    pub fn reschedule_base(&self) -> ReschedulePolicy {
        self.reschedule
            .clone()
            .or_else(|| ReschedulePolicy::default_for(&self.job_type))
            .unwrap_or_default()
    }

    /// The base of a group's `restart` block.
    pub fn restart_base(&self) -> RestartPolicy {
        RestartPolicy::default_for(&self.job_type)
    }

    /// Copies the job-level policies into a group that has none yet.
    pub fn apply_to_group(&self, g: &mut TaskGroup) {
        if self.update_set && g.update.is_none() {
            g.update = Some(self.update.clone());
        }
        if g.reschedule_policy.is_none() {
            g.reschedule_policy = self.reschedule.clone();
        }
        if g.migrate.is_none() {
            g.migrate = self.migrate.clone();
        }
    }
}

impl Ctx<'_> {
    /// Iterates the attributes of a policy block, refusing blocks and labels.
    fn plain_block<'b>(
        &self,
        b: &'b Block,
        path: &str,
    ) -> Res<Vec<&'b hcl::edit::structure::Attribute>> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        let mut attrs = Vec::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => attrs.push(a),
                Structure::Block(inner) => return Err(self.unknown_block(inner, path)),
            }
        }
        Ok(attrs)
    }

    pub(crate) fn decode_update(
        &self,
        b: &Block,
        path: &str,
        base: &UpdateStrategy,
    ) -> Res<UpdateStrategy> {
        let mut u = base.clone();
        for a in self.plain_block(b, path)? {
            match a.key.as_str() {
                "stagger" => u.stagger = self.duration(a, path)?,
                "max_parallel" => u.max_parallel = self.int(a, path)?,
                "health_check" => u.health_check = self.string(a, path)?,
                "min_healthy_time" => u.min_healthy_time = self.duration(a, path)?,
                "healthy_deadline" => u.healthy_deadline = self.duration(a, path)?,
                "progress_deadline" => u.progress_deadline = self.duration(a, path)?,
                "auto_revert" => u.auto_revert = self.boolean(a, path)?,
                "auto_promote" => u.auto_promote = self.boolean(a, path)?,
                "canary" => u.canary = self.int(a, path)?,
                _ => return Err(self.unknown_attr(a, path)),
            }
        }
        Ok(u)
    }

    pub(crate) fn decode_reschedule(
        &self,
        b: &Block,
        path: &str,
        base: &ReschedulePolicy,
    ) -> Res<ReschedulePolicy> {
        let mut r = base.clone();
        for a in self.plain_block(b, path)? {
            match a.key.as_str() {
                "attempts" => r.attempts = self.int(a, path)?,
                "interval" => r.interval = self.duration(a, path)?,
                "delay" => r.delay = self.duration(a, path)?,
                "delay_function" => r.delay_function = self.string(a, path)?,
                "max_delay" => r.max_delay = self.duration(a, path)?,
                "unlimited" => r.unlimited = self.boolean(a, path)?,
                _ => return Err(self.unknown_attr(a, path)),
            }
        }
        Ok(r)
    }

    pub(crate) fn decode_restart(
        &self,
        b: &Block,
        path: &str,
        base: &RestartPolicy,
    ) -> Res<RestartPolicy> {
        let mut r = base.clone();
        for a in self.plain_block(b, path)? {
            match a.key.as_str() {
                "attempts" => r.attempts = self.int(a, path)?,
                "interval" => r.interval = self.duration(a, path)?,
                "delay" => r.delay = self.duration(a, path)?,
                "mode" => r.mode = self.string(a, path)?,
                "render_templates" => r.render_templates = self.boolean(a, path)?,
                _ => return Err(self.unknown_attr(a, path)),
            }
        }
        Ok(r)
    }

    pub(crate) fn decode_ephemeral_disk(&self, b: &Block, path: &str) -> Res<EphemeralDisk> {
        let mut d = EphemeralDisk::default();
        for a in self.plain_block(b, path)? {
            match a.key.as_str() {
                "size" => d.size_mb = self.int(a, path)?,
                "sticky" => d.sticky = self.boolean(a, path)?,
                "migrate" => d.migrate = self.boolean(a, path)?,
                _ => return Err(self.unknown_attr(a, path)),
            }
        }
        Ok(d)
    }

    pub(crate) fn decode_logs(&self, b: &Block, path: &str) -> Res<LogConfig> {
        let mut l = LogConfig::default();
        for a in self.plain_block(b, path)? {
            match a.key.as_str() {
                "max_files" => l.max_files = self.int(a, path)?,
                "max_file_size" => l.max_file_size_mb = self.int(a, path)?,
                "disabled" => l.disabled = self.boolean(a, path)?,
                "enabled" => l.disabled = !self.boolean(a, path)?,
                _ => return Err(self.unknown_attr(a, path)),
            }
        }
        Ok(l)
    }
}

pub(crate) fn migrate_json(cx: &Ctx<'_>, b: &Block, path: &str) -> Res<serde_json::Value> {
    cx.json_block(b, path, MIGRATE, true)
}

pub(crate) fn periodic_json(cx: &Ctx<'_>, b: &Block, path: &str) -> Res<serde_json::Value> {
    let mut v = cx.json_block(b, path, PERIODIC, true)?;
    if let Some(obj) = v.as_object_mut() {
        obj.entry("SpecType").or_insert_with(|| "cron".into());
    }
    Ok(v)
}

pub(crate) fn parameterized_json(cx: &Ctx<'_>, b: &Block, path: &str) -> Res<serde_json::Value> {
    cx.json_block(b, path, PARAMETERIZED, true)
}

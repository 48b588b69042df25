//! Nomad's rules for `periodic` and `parameterized` blocks.

use super::validate::Errs;
use crate::structs::periodic::PeriodicConfig;
use crate::structs::{JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH, Job};

/// The most meta keys a parameterized job may name.
const MAX_META_KEYS: usize = 64;

pub(super) fn check(e: &mut Errs, job: &Job) {
    let batchy = matches!(job.job_type.as_str(), JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH);
    if let Some(p) = PeriodicConfig::of(job)
        && p.enabled
    {
        if !batchy {
            e.at(
                "",
                "periodic",
                format!("Periodic can only be used with {JOB_TYPE_BATCH:?} or {JOB_TYPE_SYSBATCH:?} scheduler"),
            );
        }
        if let Err(m) = p.validate(crate::ids::now_nanos()) {
            e.at("periodic", "cron", m);
        }
    }
    if let Some(p) = &job.parameterized_job
        && !job.dispatched
    {
        if !batchy {
            e.at(
                "",
                "parameterized",
                format!(
                    "Parameterized job can only be used with {JOB_TYPE_BATCH:?} or {JOB_TYPE_SYSBATCH:?} scheduler"
                ),
            );
        }
        let cfg = crate::structs::ParameterizedConfig::from_json(p);
        if !matches!(cfg.payload.as_str(), "optional" | "required" | "forbidden") {
            e.at(
                "parameterized",
                "payload",
                format!("Unknown payload requirement: {:?}", cfg.payload),
            );
        }
        for k in &cfg.meta_required {
            if cfg.meta_optional.contains(k) {
                e.at(
                    "parameterized",
                    "meta_required",
                    format!("Meta key {k:?} can't be both required and optional"),
                );
            }
        }
        if cfg.meta_required.len() + cfg.meta_optional.len() > MAX_META_KEYS {
            e.at(
                "parameterized",
                "meta_optional",
                format!("At most {MAX_META_KEYS} meta keys may be named"),
            );
        }
    }
}

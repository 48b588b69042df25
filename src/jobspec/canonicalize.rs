//! Nomad's server-side defaults, applied to a job however it arrived (HCL
//! or JSON through the HTTP API). Idempotent.
//!
//! The model has no "unset" marker for scalars, so a zero (or empty string)
//! is read as "not given" where Nomad would fill a default: an explicit
//! zero that Nomad would keep (a group `update { max_parallel = 0 }` under
//! a job-level `max_parallel = 2`) takes the inherited value here.

use crate::structs::{DEFAULT_KILL_TIMEOUT, JOB_TYPE_SERVICE, JOB_TYPE_SYSTEM};
use crate::structs::{
    EphemeralDisk, Job, LogConfig, NetworkResource, ReschedulePolicy, Resources, RestartPolicy,
    Service, TaskGroup, UpdateStrategy,
};

/// Task CPU (MHz) when not given.
pub const DEFAULT_CPU: i64 = 100;
/// Task memory (MB) when not given.
pub const DEFAULT_MEMORY_MB: i64 = 300;

/// Fills Nomad's defaults into `job`.
pub fn canonicalize(job: &mut Job) {
    fill(&mut job.region, "global");
    fill(&mut job.namespace, "default");
    fill(&mut job.job_type, JOB_TYPE_SERVICE);
    fill(&mut job.node_pool, "default");
    if job.name.is_empty() {
        job.name = job.id.clone();
    }
    if job.priority == 0 {
        job.priority = 50;
    }
    if job.datacenters.is_empty() {
        job.datacenters = vec!["*".into()];
    }
    let job_type = job.job_type.clone();
    if let Some(u) = &mut job.update {
        fill_update(u, &UpdateStrategy::service_default(), false);
    } else if job_type == JOB_TYPE_SERVICE {
        job.update = Some(UpdateStrategy::service_default());
    }
    for c in &mut job.constraints {
        fill(&mut c.operand, "=");
    }
    for a in &mut job.affinities {
        fill(&mut a.operand, "=");
    }
    let job_name = job.name.clone();
    let job_update = job.update.clone();
    for g in &mut job.task_groups {
        canonicalize_group(g, &job_type, &job_name, job_update.as_ref());
        crate::structs::scaling::canonicalize(&job.namespace, &job.id, g);
    }
}

fn canonicalize_group(
    g: &mut TaskGroup,
    job_type: &str,
    job_name: &str,
    job_update: Option<&UpdateStrategy>,
) {
    let rolling = job_type == JOB_TYPE_SERVICE || job_type == JOB_TYPE_SYSTEM;
    match (&mut g.update, job_update) {
        (Some(u), Some(ju)) if rolling => fill_update(u, ju, true),
        (None, Some(ju)) if rolling => g.update = Some(ju.clone()),
        _ => {}
    }
    let restart_default = RestartPolicy::default_for(job_type);
    match &mut g.restart_policy {
        Some(r) => fill_restart(r, &restart_default),
        None => g.restart_policy = Some(restart_default),
    }
    match (
        &mut g.reschedule_policy,
        ReschedulePolicy::default_for(job_type),
    ) {
        (Some(r), Some(d)) => {
            if r.delay_function.is_empty() {
                fill_reschedule(r, &d);
            }
        }
        (None, d) => g.reschedule_policy = d,
        // A system job's reschedule block is kept for validation to refuse.
        (Some(_), None) => {}
    }
    if g.ephemeral_disk.is_none() {
        g.ephemeral_disk = Some(EphemeralDisk::default());
    }
    for c in &mut g.constraints {
        fill(&mut c.operand, "=");
    }
    for a in &mut g.affinities {
        fill(&mut a.operand, "=");
    }
    for n in &mut g.networks {
        fill(&mut n.mode, "host");
        fill_ports(n);
    }
    let group_service = format!("{job_name}-{}", g.name);
    for s in &mut g.services {
        fill_service(s, &group_service);
    }
    let group_restart = g.restart_policy.clone();
    for t in &mut g.tasks {
        if t.kill_timeout == 0 {
            t.kill_timeout = DEFAULT_KILL_TIMEOUT;
        }
        if t.log_config.is_none() {
            t.log_config = Some(LogConfig::default());
        }
        if let (Some(r), Some(gr)) = (&mut t.restart_policy, &group_restart) {
            fill_restart(r, gr);
        }
        let r = t.resources.get_or_insert_with(Resources::default);
        // Defaults for figures left out; a figure given as 0 stays 0 for
        // validation to refuse.
        if r.cpu == 0 && r.cores == 0 && !r.given_zero.cpu {
            r.cpu = DEFAULT_CPU;
        }
        if r.memory_mb == 0 && !r.given_zero.memory {
            r.memory_mb = DEFAULT_MEMORY_MB;
        }
        for n in &mut r.networks {
            fill_ports(n);
        }
        for c in &mut t.constraints {
            fill(&mut c.operand, "=");
        }
        for a in &mut t.affinities {
            fill(&mut a.operand, "=");
        }
        let task_service = format!("{group_service}-{}", t.name);
        for s in &mut t.services {
            fill_service(s, &task_service);
        }
    }
}

fn fill(field: &mut String, value: &str) {
    if field.is_empty() {
        *field = value.to_string();
    }
}

fn fill_i64(field: &mut i64, value: i64) {
    if *field == 0 {
        *field = value;
    }
}

/// Fills the unset fields of `u` from `from`. Counts and flags are only
/// inherited by groups (`inherit`); at the job level an explicit
/// `max_parallel = 0` (no rolling updates) must stay.
fn fill_update(u: &mut UpdateStrategy, from: &UpdateStrategy, inherit: bool) {
    fill_i64(&mut u.stagger, from.stagger);
    fill(&mut u.health_check, &from.health_check);
    fill_i64(&mut u.min_healthy_time, from.min_healthy_time);
    fill_i64(&mut u.healthy_deadline, from.healthy_deadline);
    fill_i64(&mut u.progress_deadline, from.progress_deadline);
    if inherit {
        fill_i64(&mut u.max_parallel, from.max_parallel);
        fill_i64(&mut u.canary, from.canary);
        u.auto_revert |= from.auto_revert;
        u.auto_promote |= from.auto_promote;
    }
}

fn fill_restart(r: &mut RestartPolicy, from: &RestartPolicy) {
    fill_i64(&mut r.interval, from.interval);
    fill_i64(&mut r.delay, from.delay);
    fill(&mut r.mode, &from.mode);
}

fn fill_reschedule(r: &mut ReschedulePolicy, from: &ReschedulePolicy) {
    fill_i64(&mut r.interval, from.interval);
    fill_i64(&mut r.delay, from.delay);
    fill(&mut r.delay_function, &from.delay_function);
    fill_i64(&mut r.max_delay, from.max_delay);
    if r.attempts == 0 && !r.unlimited {
        r.attempts = from.attempts;
        r.unlimited = from.unlimited;
    }
}

fn fill_ports(n: &mut NetworkResource) {
    for p in n
        .reserved_ports
        .iter_mut()
        .chain(n.dynamic_ports.iter_mut())
    {
        fill(&mut p.host_network, "default");
    }
}

fn fill_service(s: &mut Service, default_name: &str) {
    fill(&mut s.name, default_name);
    fill(&mut s.provider, "consul");
    fill(&mut s.address_mode, "auto");
    fill(&mut s.on_update, "require_healthy");
    let service_name = s.name.clone();
    for c in &mut s.checks {
        fill(&mut c.name, &format!("service: {service_name:?} check"));
        fill(&mut c.on_update, "require_healthy");
        if c.kind == "http" {
            fill(&mut c.protocol, "http");
            fill(&mut c.method, "GET");
        }
    }
}

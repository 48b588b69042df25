//! Bounds on what a client may write into the service catalog: every
//! registration is replicated to every server and served to every
//! reader, so each field and the batch itself are capped. A request over
//! a bound is refused whole (400) with the rule it broke.

use crate::jobspec::limits::control_char_error;
use crate::structs::{CHECK_CRITICAL, CHECK_PASSING, CHECK_WARNING, ServiceRegistration};

/// Upserts plus deletes in one request.
pub const MAX_UPDATES: usize = 1_000;
/// Bytes of a registration ID (it embeds an allocation ID, a task, the
/// service name and a port label).
pub const MAX_ID: usize = 1_024;
/// Bytes of a service name, a task name, a port label, an address, a
/// tag, a meta key or a check name.
pub const MAX_NAME: usize = 256;
/// Tags, meta entries and checks per registration.
pub const MAX_TAGS: usize = 64;
pub const MAX_META: usize = 64;
pub const MAX_CHECKS: usize = 32;
/// Bytes of a meta value.
pub const MAX_META_VALUE: usize = 1_024;
/// Bytes of a check's output.
pub const MAX_OUTPUT: usize = 4_096;

fn too_long(what: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!(
            "{what} is {} bytes; at most {max} are allowed",
            value.len()
        ));
    }
    Ok(())
}

/// A name or ID: bounded, free of control characters.
fn name(what: &str, value: &str, max: usize) -> Result<(), String> {
    too_long(what, value, max)?;
    control_char_error(what, value).map_or(Ok(()), Err)
}

fn count(what: &str, n: usize, max: usize) -> Result<(), String> {
    if n > max {
        return Err(format!("{n} {what}; at most {max} are allowed"));
    }
    Ok(())
}

/// The batch's size.
pub fn batch(upserts: usize, deletes: usize) -> Result<(), String> {
    count(
        "service registrations and deletes in one request",
        upserts + deletes,
        MAX_UPDATES,
    )
}

/// One registration's fields, before the state is consulted.
pub fn registration(r: &ServiceRegistration) -> Result<(), String> {
    if r.id.is_empty() {
        return Err("service registration has no ID".into());
    }
    name("Service registration ID", &r.id, MAX_ID)?;
    let of = |what: &str| format!("{what} of service registration {:?}", r.id);
    if r.service_name.is_empty() {
        return Err(format!("{} is empty", of("ServiceName")));
    }
    if r.alloc_id.is_empty() {
        return Err(format!("{} is empty", of("AllocID")));
    }
    name(&of("ServiceName"), &r.service_name, MAX_NAME)?;
    name(&of("AllocID"), &r.alloc_id, MAX_NAME)?;
    name(&of("Namespace"), &r.namespace, MAX_NAME)?;
    name(&of("JobID"), &r.job_id, MAX_NAME)?;
    name(&of("Datacenter"), &r.datacenter, MAX_NAME)?;
    name(&of("Address"), &r.address, MAX_NAME)?;
    name(&of("Provider"), &r.provider, MAX_NAME)?;
    name(&of("TaskName"), &r.task_name, MAX_NAME)?;
    name(&of("PortLabel"), &r.port_label, MAX_NAME)?;
    if !(0..=65_535).contains(&r.port) {
        return Err(format!(
            "{} is {}; it must be 0 to 65535",
            of("Port"),
            r.port
        ));
    }
    count(&of("Tags"), r.tags.len(), MAX_TAGS)?;
    for t in &r.tags {
        name(&of("a tag"), t, MAX_NAME)?;
    }
    count(&of("Meta entries"), r.meta.len(), MAX_META)?;
    for (k, v) in &r.meta {
        name(&of("a Meta key"), k, MAX_NAME)?;
        too_long(&of("a Meta value"), v, MAX_META_VALUE)?;
    }
    count(&of("Checks"), r.checks.len(), MAX_CHECKS)?;
    for c in &r.checks {
        name(&of("a check name"), &c.name, MAX_NAME)?;
        name(&of("a check type"), &c.kind, MAX_NAME)?;
        too_long(&of("a check output"), &c.output, MAX_OUTPUT)?;
        if ![CHECK_PASSING, CHECK_WARNING, CHECK_CRITICAL].contains(&c.status.as_str()) {
            return Err(format!(
                "{} is {:?}; it must be passing, warning or critical",
                of("a check status"),
                c.status
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::CheckStatus;

    fn reg() -> ServiceRegistration {
        ServiceRegistration {
            id: "_nomad-task-a1-web-http".into(),
            service_name: "web".into(),
            alloc_id: "a1".into(),
            port: 8080,
            ..ServiceRegistration::default()
        }
    }

    #[test]
    fn a_plain_registration_passes_and_each_bound_is_named() {
        assert_eq!(registration(&reg()), Ok(()));
        let mut r = reg();
        r.tags = vec!["t".into(); MAX_TAGS + 1];
        assert!(registration(&r).is_err_and(|m| m.contains("Tags")));
        let mut r = reg();
        r.checks = vec![CheckStatus {
            status: CHECK_PASSING.into(),
            output: "x".repeat(MAX_OUTPUT + 1),
            ..CheckStatus::default()
        }];
        assert!(registration(&r).is_err_and(|m| m.contains("check output")));
        let mut r = reg();
        r.checks = vec![CheckStatus {
            status: "green".into(),
            ..CheckStatus::default()
        }];
        assert!(registration(&r).is_err_and(|m| m.contains("check status")));
        let mut r = reg();
        r.service_name = "we\nb".into();
        assert!(registration(&r).is_err_and(|m| m.contains("control character")));
        let mut r = reg();
        r.port = 70_000;
        assert!(registration(&r).is_err_and(|m| m.contains("Port")));
        assert!(batch(MAX_UPDATES, 1).is_err());
        assert!(batch(MAX_UPDATES - 1, 1).is_ok());
    }
}

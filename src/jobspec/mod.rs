//! Placeholder until the job file parser lands: canonicalisation and
//! validation entry points used by the server.

use crate::structs::Job;

pub fn canonicalize(_job: &mut Job) {}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ValidationErrors(pub String);

pub fn validate(_job: &Job) -> Result<(), ValidationErrors> {
    Ok(())
}

pub fn parse_duration(s: &str) -> Result<i64, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let mult = match unit {
        "ns" => 1,
        "ms" => 1_000_000,
        "s" | "" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(format!("bad duration {s:?}")),
    };
    Ok(n * mult)
}

pub fn parse(_file: &str, _src: &str) -> Result<Job, ValidationErrors> {
    Err(ValidationErrors("not yet".into()))
}

pub fn normalize(src: &str) -> String {
    src.to_string()
}

//! Nomad job files: HCL (the HCL1 of Nomad 0.5 and the HCL2 of today) into
//! the [`Job`] model, Nomad's defaults and Nomad's validation rules.
//!
//! * [`parse`]: text to job, refusing unknown keys and bad values, errors at
//!   `FILE:LINE` of the user's file;
//! * [`canonicalize`]: the server's defaults, for jobs from HCL or JSON;
//! * [`validate`]: the server's rules;
//! * [`parse_and_validate`]: all three, with validation errors located at
//!   the line of the block (or attribute) at fault.
//!
//! The pipeline inside [`parse`] is [`normalize`] (HCL1 one-line blocks to
//! HCL2 lines), hcl-rs's span-keeping parser, then the `decode_*` files.

mod canonicalize;
mod decode_group;
mod decode_job;
mod decode_network;
mod decode_place;
mod decode_policy;
mod decode_service;
mod decode_task;
mod duration;
mod error;
mod freeform;
pub mod limits;
pub mod normalize;
mod normalize_scan;
mod parse;
mod validate;
mod validate_dispatch;
mod validate_task;
mod value;

pub use canonicalize::{DEFAULT_CPU, DEFAULT_MEMORY_MB, canonicalize};
pub use duration::{format_duration, parse_duration};
pub use error::{JobspecError, LocatedError};
pub use normalize::{Normalized, normalize};
pub use parse::{LineTable, parse, parse_with_lines};
pub use validate::{OPERATORS, ValidationError, ValidationErrors, validate};

use crate::structs::Job;

/// Parses, canonicalises and validates a job file. A validation error is
/// reported at the line of the block (or attribute) that caused it.
pub fn parse_and_validate(file_name: &str, src: &str) -> Result<Job, JobspecError> {
    let (mut job, lines) = parse_with_lines(file_name, src)?;
    canonicalize(&mut job);
    validate(&job).map_err(|errs| JobspecError::Validation {
        file: file_name.to_string(),
        errors: errs
            .errors
            .into_iter()
            .map(|e| LocatedError {
                line: lines.lookup(&e.path, e.field.as_deref()),
                path: lines.rooted(&e.path),
                message: e.message,
            })
            .collect(),
    })?;
    Ok(job)
}

/// The job as Nomad's JSON (the `Job` object of the HTTP API).
pub fn to_json(job: &Job) -> serde_json::Value {
    serde_json::to_value(job).unwrap_or(serde_json::Value::Null)
}

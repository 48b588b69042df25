//! Request handling on servers: one file per resource. Each endpoint
//! validates, stamps IDs and times, and proposes exactly one command.

pub mod alloc;
pub mod job;
pub mod job_dispatch;
pub mod job_evaluate;
pub mod job_scale;
pub mod job_version;
pub mod membership;
pub mod namespace;
pub mod node;
pub mod operator;
pub mod plan;
pub mod service;
mod service_validate;
pub mod system;
pub mod variable;

pub use job::{JobDeregisterResponse, JobRegisterRequest, JobRegisterResponse};

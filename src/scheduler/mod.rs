//! The scheduler's pure rules: how a plan's diff is annotated for people,
//! and when a job update forces allocations to be replaced.

pub mod annotate;
pub mod update;

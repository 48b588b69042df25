//! Scheduler tests in the in-memory harness, named
//! `<scheduler>_<trigger>_<case>`.

mod algorithm;
pub(crate) mod fixtures;
mod generic;
pub(crate) mod plan_race;
mod properties;
mod reschedule;
mod system;

//! Service registrations of this node's allocations: what a task's (or a
//! group's) `service` blocks become once it runs (`build`).
//!
//! Registrations live in the servers' replicated state; the client writes
//! them when a task starts and removes them when it stops.

pub mod build;
pub mod sync;

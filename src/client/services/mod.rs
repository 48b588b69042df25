//! Service registrations of this node's allocations: what a task's (or a
//! group's) `service` blocks become once it runs (`build`).
//!
//! Registrations live in the servers' replicated state; the client writes
//! them when a task starts and removes them when it stops (`sync`). While
//! a registration is wanted the client runs its health checks (`checks`:
//! `check_run` runs one, `check_restart` counts failures toward a
//! restart) and writes each check's status into it when it changes.

pub mod build;
pub mod check_restart;
pub mod check_run;
pub mod checks;
pub mod grpc;
pub mod https;
pub mod sync;

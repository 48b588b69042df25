//! The client role: makes this machine a node and runs its allocations.
//!
//! Modules, from the outside in: `config` (the `client { }` block),
//! `fingerprint` (what the node offers), `registration` (register and
//! heartbeat), `watcher` (pull this node's allocations), `alloc_runner`
//! (one per allocation), `task_runner` (one per task, with `restart`),
//! `env` and `ports` (the task environment), `allocdir` (directories),
//! `logs` (rotated log files), `updates` (batched status reports),
//! `state` (the local database) and `driver` (docker, raw_exec).

pub mod allocdir;
pub mod config;
pub mod driver;
pub mod env;
pub mod fingerprint;
pub mod logs;
pub mod ports;
pub mod restart;
pub mod state;
pub mod updates;

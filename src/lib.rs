//! Drover: a workload orchestrator compatible with Nomad's job files, HTTP
//! API and CLI.
//!
//! The orchestrator sits on two lower crates: `drover-raft` (consensus over
//! opaque commands) and `drover-storage` (durability on sled). See
//! `ARCHITECTURE.md` at the repository root for the map of what is built.

/// The version reported by `drover version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod agent;
pub mod api;
pub mod api_client;
pub mod client;
pub mod consul;
pub mod events;
pub mod ids;
pub mod jobspec;
pub mod metrics;
pub mod nodesim;
pub mod offload;
pub mod scheduler;
pub mod server;
pub mod state;
pub mod structs;

//! The replicated state store.
//!
//! ```text
//!  endpoint (leader)          every server, in log order
//!  stamp ids, times  ──raft──▶ Fsm::apply(index, Command) ──▶ State' ──▶ watch
//!                                                                    │
//!                          readers: StateHandle::snapshot() / wait() ◀┘
//! ```
//!
//! [`State`] is a set of tables over persistent copy-on-write maps (imbl):
//! cloning it is O(1), so every applied command publishes a new immutable
//! snapshot that readers, blocking queries and (later) schedulers hold as
//! long as they like.
//!
//! *Invariants*:
//! - every object is stamped with the Raft index of the entry that created
//!   it (`CreateIndex`) and last changed it (`ModifyIndex`);
//! - apply is deterministic (no clock, no randomness, no IDs made here) and
//!   all-or-nothing: a command works on a clone and is dropped on error;
//! - `-check-index` is decided here, inside apply ([`apply::job`]).

pub mod apply;
mod changes;
mod command;
mod fsm;
mod fuzzy_rank;
mod fuzzy_search;
pub mod gc;
mod handle;
mod keys;
mod node_watch;
mod planned_metric;
mod related_evals;
mod search;
mod services;
mod snapshot;
mod store;
mod summary;
mod variables;

pub use changes::Changed;
pub use command::{
    AllocClientUpdate, AllocStop, Applied, ApplyError, Command, ConfigSet, Followup, GcReap,
    JobDeregister, JobDispatch, JobRegister, JobStability, NodeUpdate, PeriodicLaunch, PlanResults,
    PlannedAlloc, VarApply, VarOp,
};
pub use fsm::{Fsm, decode_response};
pub use fuzzy_rank::FuzzyMatches;
pub use fuzzy_search::JobFuzzyMatches;
pub use handle::StateHandle;
pub use keys::{JobKey, ServiceKey};
pub use planned_metric::PlannedMetric;
pub use search::PrefixMatches;
pub use services::ServiceNames;
pub use store::{NodeUsage, State, Table, TableIndexes};

/// How many versions of a job are kept (Nomad's `job_tracked_versions`).
pub const JOB_TRACKED_VERSIONS: usize = 6;

#[cfg(test)]
mod node_allocs_tests;
#[cfg(test)]
mod services_tests;
#[cfg(test)]
mod tests;

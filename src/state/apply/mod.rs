//! One apply function per command, each in its own file.

pub mod alloc;
pub mod eval;
pub mod gc;
pub mod job;
pub mod job_stability;
pub mod job_submission;
pub mod namespace;
pub mod node;
pub mod operator_config;
pub mod periodic;
pub mod plan;
pub mod service;
pub mod variable;

use super::{Applied, ApplyError, Command, State};

/// Applies `command` at `index` to `state` (a clone the caller discards on
/// error).
pub fn apply(state: &mut State, index: u64, command: Command) -> Result<Applied, ApplyError> {
    match command {
        Command::JobRegister(req) => job::register(state, index, req),
        Command::JobDeregister(req) => job::deregister(state, index, req),
        Command::EvalUpsert { evals } => eval::upsert(state, index, evals),
        Command::AllocUpsert { allocs } => alloc::upsert(state, index, allocs),
        Command::NodeRegister { node } => node::register(state, index, node),
        Command::NodeDeregister { node_ids, evals } => {
            node::deregister(state, index, node_ids, evals)
        }
        Command::PlanResults(results) => plan::apply(state, index, results),
        Command::NodeHeartbeat { node_id, time } => node::heartbeat(state, index, &node_id, time),
        Command::NodeUpdateStatus(u) => node::update(state, index, u, node::Change::Status),
        Command::NodeUpdateEligibility(u) => {
            node::update(state, index, u, node::Change::Eligibility)
        }
        Command::NodeUpdateDrain(u) => node::update(state, index, u, node::Change::Drain),
        Command::AllocClientUpdate { allocs, evals } => {
            alloc::client_update(state, index, allocs, evals)
        }
        Command::AllocDesiredTransition { allocs, evals } => {
            alloc::desired_transition(state, index, allocs, evals)
        }
        Command::JobStability(req) => job_stability::apply(state, index, req),
        Command::ServiceUpdate { upserts, deletes } => {
            service::update(state, index, upserts, deletes)
        }
        Command::VarApply(req) => variable::apply(state, index, req),
        Command::NamespaceUpsert { namespaces } => namespace::upsert(state, index, namespaces),
        Command::NamespaceDelete { names } => namespace::delete(state, index, names),
        Command::PeriodicLaunch(req) => periodic::launch(state, index, req),
        Command::JobDispatch(req) => periodic::dispatch(state, index, req),
        Command::SchedulerConfigSet(req) => operator_config::set_scheduler(state, index, req),
        Command::AutopilotConfigSet(req) => operator_config::set_autopilot(state, index, req),
        Command::ScalingEventAdd(ev) => {
            job_submission::add_scaling_event(state, index, ev);
            Ok(Applied::default())
        }
        Command::GcReap(reap) => gc::reap(state, index, reap),
        Command::JobSummariesReconcile {} => gc::reconcile_summaries(state, index),
    }
}

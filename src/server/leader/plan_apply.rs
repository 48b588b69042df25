//! The plan applier: one task on the leader that re-checks each plan
//! against the latest state and commits what still fits, in order. It is
//! the only place scheduling conflicts are resolved.

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::scheduler::plan_check;
use crate::scheduler::{Plan, PlanResult, SchedError};
use crate::server::Server;

pub type PlanRequest = (Plan, oneshot::Sender<Result<PlanResult, SchedError>>);

pub async fn run(server: Server, mut plans: mpsc::Receiver<PlanRequest>, stop: CancellationToken) {
    loop {
        let (plan, reply) = tokio::select! {
            _ = stop.cancelled() => return,
            next = plans.recv() => match next {
                Some(p) => p,
                None => return,
            },
        };
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            r = apply(&server, &plan) => r,
        };
        let _ = reply.send(result);
    }
}

async fn apply(server: &Server, plan: &Plan) -> Result<PlanResult, SchedError> {
    let state = server.state().snapshot();
    let (mut result, refused) = plan_check::evaluate(&*state, plan);
    for (node, why) in &refused {
        tracing::debug!(eval_id = %plan.eval_id, node_id = %node, reason = %why, "plan refused on node");
    }
    if result.is_empty() {
        return Ok(result);
    }
    let cmd = result.to_command(plan);
    match server.propose(&cmd).await {
        Ok((index, _)) => {
            result.alloc_index = index;
            if result.refresh_index > 0 {
                result.refresh_index = result.refresh_index.max(index);
            }
            Ok(result)
        }
        Err(crate::server::ServerError::NoLeader) => Err(SchedError::NoLeader),
        Err(e) => Err(SchedError::Other(e.to_string())),
    }
}

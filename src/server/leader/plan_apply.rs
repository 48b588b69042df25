//! The plan applier: one task on the leader that re-checks each plan
//! against the latest state and commits what still fits, in order. It is
//! the only place scheduling conflicts are resolved. A plan commits only
//! while its evaluation's delivery is outstanding: a worker that timed out
//! (and whose evaluation went to another worker) cannot commit late.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::eval_broker::EvalBroker;
use crate::scheduler::plan_check;
use crate::scheduler::{Plan, PlanResult, SchedError};
use crate::server::Server;

/// A plan, the delivery of the evaluation it is for, and where to answer.
pub struct PlanRequest {
    pub plan: Plan,
    pub token: u64,
    pub reply: oneshot::Sender<Result<PlanResult, SchedError>>,
}

pub async fn run(
    server: Server,
    broker: Arc<EvalBroker>,
    mut plans: mpsc::Receiver<PlanRequest>,
    stop: CancellationToken,
) {
    loop {
        let PlanRequest { plan, token, reply } = tokio::select! {
            _ = stop.cancelled() => return,
            next = plans.recv() => match next {
                Some(p) => p,
                None => return,
            },
        };
        if !broker.outstanding(&plan.eval_id, token) {
            tracing::debug!(eval_id = %plan.eval_id, "plan refused: its evaluation is no longer outstanding");
            let _ = reply.send(Err(SchedError::NotOutstanding));
            continue;
        }
        let started = std::time::Instant::now();
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            r = apply(&server, &plan) => r,
        };
        server.metrics().plans.inc();
        server.metrics().plan_apply.observe(started.elapsed());
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

#[cfg(test)]
#[path = "plan_apply_tests.rs"]
mod tests;

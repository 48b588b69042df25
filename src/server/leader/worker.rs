//! A scheduling worker: takes evaluations from the broker and processes
//! them with the shared `process` loop, through the leader's planner.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::eval_broker::EvalBroker;
use super::plan_apply::PlanRequest;
use crate::scheduler::{Plan, PlanResult, Planner, SchedError, process};
use crate::server::Server;
use crate::server::ids;
use crate::state::{Command, State};
use crate::structs::{EVAL_STATUS_CANCELED, EVAL_STATUS_FAILED, EVAL_STATUS_PENDING, Evaluation};

/// How long a worker waits for its state to reach an evaluation's index.
const STATE_WAIT: Duration = Duration::from_secs(5);
/// How long after giving up on an evaluation its follow-up runs.
const FAILED_FOLLOW_UP: Duration = Duration::from_secs(60);

struct LeaderPlanner {
    server: Server,
    plans: mpsc::Sender<PlanRequest>,
}

impl Planner for LeaderPlanner {
    async fn state(&mut self, min_index: u64) -> Result<Arc<State>, SchedError> {
        self.server
            .state()
            .wait_applied(min_index, STATE_WAIT)
            .await
            .ok_or(SchedError::StaleState(min_index))
    }

    async fn submit(&mut self, plan: Plan) -> Result<PlanResult, SchedError> {
        let (tx, rx) = oneshot::channel();
        self.plans
            .send((plan, tx))
            .await
            .map_err(|_| SchedError::NoLeader)?;
        rx.await.map_err(|_| SchedError::NoLeader)?
    }

    async fn finish(
        &mut self,
        eval: Evaluation,
        created: Vec<Evaluation>,
    ) -> Result<(), SchedError> {
        let mut evals = vec![eval];
        evals.extend(created);
        write_evals(&self.server, evals).await
    }
}

async fn write_evals(server: &Server, evals: Vec<Evaluation>) -> Result<(), SchedError> {
    server
        .propose(&Command::EvalUpsert { evals })
        .await
        .map(|_| ())
        .map_err(|e| match e {
            crate::server::ServerError::NoLeader => SchedError::NoLeader,
            other => SchedError::Other(other.to_string()),
        })
}

pub async fn run(
    server: Server,
    broker: Arc<EvalBroker>,
    plans: mpsc::Sender<PlanRequest>,
    stop: CancellationToken,
) {
    let mut planner = LeaderPlanner {
        server: server.clone(),
        plans,
    };
    loop {
        let (eval, token) = tokio::select! {
            _ = stop.cancelled() => return,
            next = broker.dequeue() => next,
        };
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            r = process(&mut planner, &eval) => r,
        };
        let settled = match result {
            Ok(_) => broker.ack(&eval.id, token),
            Err(e) => {
                tracing::warn!(eval_id = %eval.id, job_id = %eval.job_id, error = %e, "evaluation failed, will retry");
                broker.nack(&eval.id, token)
            }
        };
        let mut writes = Vec::new();
        for mut e in settled.canceled {
            e.status = EVAL_STATUS_CANCELED.into();
            e.status_description = "canceled after more recent work".into();
            writes.push(e);
        }
        if let Some(mut e) = settled.failed {
            // Give up on this delivery, but not on the job: a follow-up
            // evaluation retries after a delay.
            let now = ids::now_nanos();
            let follow = Evaluation {
                id: ids::uuid(),
                triggered_by: "failed-follow-up".into(),
                status: EVAL_STATUS_PENDING.into(),
                status_description: String::new(),
                previous_eval: e.id.clone(),
                wait: FAILED_FOLLOW_UP.as_nanos() as i64,
                create_time: now,
                modify_time: now,
                ..e.clone()
            };
            e.status = EVAL_STATUS_FAILED.into();
            e.status_description = "evaluation reached delivery limit (3)".into();
            e.next_eval = follow.id.clone();
            writes.push(e);
            writes.push(follow);
        }
        if !writes.is_empty() {
            let result = tokio::select! {
                _ = stop.cancelled() => return,
                r = write_evals(&server, writes) => r,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot record settled evaluations");
            }
        }
    }
}

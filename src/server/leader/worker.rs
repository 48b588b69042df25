//! A scheduling worker: takes evaluations from the broker and processes
//! them with the shared `process` loop, through the leader's planner.
//! Each evaluation runs in its own task under a deadline: one that panics
//! or takes longer than [`NACK_TIMEOUT`] is nacked (redelivered, or failed
//! at the delivery limit), so a broken evaluation never holds its job.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::eval_broker::{DELIVERY_LIMIT, EvalBroker, Settled};
use super::plan_apply::PlanRequest;
use crate::ids;
use crate::scheduler::{Plan, PlanResult, Planner, SchedError, process};
use crate::server::Server;
use crate::state::{Command, State};
use crate::structs::{EVAL_STATUS_CANCELED, EVAL_STATUS_FAILED, EVAL_STATUS_PENDING, Evaluation};

/// How long a worker waits for its state to reach an evaluation's index.
const STATE_WAIT: Duration = Duration::from_secs(5);
/// How long after giving up on an evaluation its follow-up runs.
const FAILED_FOLLOW_UP: Duration = Duration::from_secs(60);
/// How long one delivery of an evaluation may take (Nomad's default).
pub const NACK_TIMEOUT: Duration = Duration::from_secs(60);

struct LeaderPlanner {
    server: Server,
    plans: mpsc::Sender<PlanRequest>,
    /// The delivery being processed: its plans carry it.
    token: u64,
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
        let (reply, rx) = oneshot::channel();
        let request = PlanRequest {
            plan,
            token: self.token,
            reply,
        };
        self.plans
            .send(request)
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
    loop {
        let (eval, token) = tokio::select! {
            _ = stop.cancelled() => return,
            next = broker.dequeue() => next,
        };
        let mut planner = LeaderPlanner {
            server: server.clone(),
            plans: plans.clone(),
            token,
        };
        let job = eval.clone();
        let work = async move { process(&mut planner, &job).await.map(|_| ()) };
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            r = supervise(work, NACK_TIMEOUT) => r,
        };
        let (settled, panicked) = match result {
            Ok(()) => (broker.ack(&eval.id, token), None),
            Err(e) => {
                tracing::warn!(eval_id = %eval.id, job_id = %eval.job_id, error = %e, "evaluation failed, will retry");
                let panicked = matches!(e, Unfinished::Panicked(_)).then(|| e.to_string());
                (broker.nack(&eval.id, token), panicked)
            }
        };
        let writes = settle(settled, panicked.as_deref(), ids::now_nanos());
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

/// The evaluation writes a settled delivery calls for: redundant ones
/// canceled; one at its delivery limit failed, with a follow-up after
/// [`FAILED_FOLLOW_UP`] unless its last delivery panicked (`panicked`
/// holds the panic's text). The scheduler is deterministic on a given
/// state, so an evaluation that panicked would panic in a follow-up too:
/// it ends failed with the reason, and a new registration or node change
/// makes a new evaluation.
fn settle(settled: Settled, panicked: Option<&str>, now: i64) -> Vec<Evaluation> {
    let mut writes = Vec::new();
    for mut e in settled.canceled {
        e.status = EVAL_STATUS_CANCELED.into();
        e.status_description = "canceled after more recent work".into();
        writes.push(e);
    }
    let Some(mut e) = settled.failed else {
        return writes;
    };
    e.status = EVAL_STATUS_FAILED.into();
    if let Some(why) = panicked {
        tracing::error!(eval_id = %e.id, job_id = %e.job_id, error = %why, "evaluation failed on every delivery");
        e.status_description =
            format!("evaluation reached delivery limit ({DELIVERY_LIMIT}): {why}");
        writes.push(e);
        return writes;
    }
    // Give up on this delivery, but not on the job: a follow-up evaluation
    // retries after a delay.
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
    e.status_description = format!("evaluation reached delivery limit ({DELIVERY_LIMIT})");
    e.next_eval = follow.id.clone();
    writes.push(e);
    writes.push(follow);
    writes
}

/// Why a supervised evaluation did not finish.
#[derive(Debug, thiserror::Error)]
pub enum Unfinished {
    #[error(transparent)]
    Failed(#[from] SchedError),
    #[error("scheduler panicked: {0}")]
    Panicked(String),
    #[error("processing took longer than {0:?}")]
    TimedOut(Duration),
}

/// The message a panicked task gave, if it gave text.
fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into()),
        Err(e) => e.to_string(),
    }
}

/// Runs `work` in its own task: a panic or the deadline passing is an
/// error like any other (the task is aborted on the deadline).
pub async fn supervise<F>(work: F, deadline: Duration) -> Result<(), Unfinished>
where
    F: std::future::Future<Output = Result<(), SchedError>> + Send + 'static,
{
    let mut task = tokio::spawn(work);
    match tokio::time::timeout(deadline, &mut task).await {
        Ok(Ok(result)) => result.map_err(Unfinished::Failed),
        Ok(Err(e)) => Err(Unfinished::Panicked(panic_message(e))),
        Err(_) => {
            task.abort();
            Err(Unfinished::TimedOut(deadline))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_evaluation_that_panicked_at_its_delivery_limit_fails_without_a_follow_up() {
        let eval = Evaluation {
            id: "e1".into(),
            job_id: "j".into(),
            status: EVAL_STATUS_PENDING.into(),
            ..Evaluation::default()
        };
        let settled = || Settled {
            canceled: Vec::new(),
            failed: Some(eval.clone()),
        };
        // A panic: failed with the reason, nothing left to run again.
        let writes = settle(settled(), Some("scheduler panicked: overflow"), 7);
        assert_eq!(writes.len(), 1, "{writes:?}");
        assert_eq!(writes[0].status, EVAL_STATUS_FAILED);
        assert!(
            writes[0]
                .status_description
                .contains("scheduler panicked: overflow")
        );
        assert!(writes[0].next_eval.is_empty());
        // Any other failure may pass: a follow-up retries later.
        let writes = settle(settled(), None, 7);
        assert_eq!(writes.len(), 2, "{writes:?}");
        assert_eq!(writes[0].status, EVAL_STATUS_FAILED);
        assert_eq!(writes[1].status, EVAL_STATUS_PENDING);
        assert_eq!(writes[1].previous_eval, "e1");
        assert_eq!(writes[0].next_eval, writes[1].id);
    }

    #[tokio::test]
    async fn supervision_turns_panics_and_hangs_into_errors() {
        tokio::time::pause();
        assert!(supervise(async { Ok(()) }, NACK_TIMEOUT).await.is_ok());
        let failed = supervise(async { Err(SchedError::NoLeader) }, NACK_TIMEOUT).await;
        assert!(matches!(
            failed,
            Err(Unfinished::Failed(SchedError::NoLeader))
        ));
        let panicked = supervise(
            async {
                if NACK_TIMEOUT > Duration::ZERO {
                    panic!("a scheduler bug");
                }
                Ok(())
            },
            NACK_TIMEOUT,
        )
        .await;
        assert!(
            matches!(&panicked, Err(Unfinished::Panicked(m)) if m == "a scheduler bug"),
            "{panicked:?}"
        );
        let hung = supervise(std::future::pending(), NACK_TIMEOUT).await;
        assert!(matches!(hung, Err(Unfinished::TimedOut(_))));
    }
}

//! Requests about one allocation: `Alloc.Stop`, which stops it and lets
//! the scheduler place a replacement.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids;
use crate::server::{Server, ServerError, evals};
use crate::state::Command;
use crate::structs::{DesiredTransition, TRIGGER_ALLOC_STOP};

/// Nomad's `AllocStopResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocStopResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub index: u64,
}

/// Stops an allocation the way a drain moves one: marks it for migration
/// and creates an evaluation of its job, whose scheduler stops it and
/// places a replacement (the reconciler treats a migrating allocation as
/// "stop and place under the same name"). `no_shutdown_delay` skips the
/// group's shutdown delay, as in Nomad.
pub async fn stop(
    server: &Server,
    alloc_id: &str,
    no_shutdown_delay: bool,
) -> Result<AllocStopResponse, ServerError> {
    let state = server.consistent_state().await?;
    let alloc = state
        .alloc(alloc_id)
        .ok_or_else(|| ServerError::NotFound("alloc not found".into()))?;
    // The job as it is now; a purged job's allocation still has its own.
    let job = state
        .job(&alloc.namespace, &alloc.job_id)
        .or_else(|| alloc.job.clone())
        .ok_or_else(|| {
            ServerError::NotFound(format!(
                "job {:?} of the allocation not found",
                alloc.job_id
            ))
        })?;
    let eval = evals::for_job(&job, TRIGGER_ALLOC_STOP, ids::now_nanos());
    let transition = DesiredTransition {
        migrate: Some(true),
        no_shutdown_delay: no_shutdown_delay.then_some(true),
        ..DesiredTransition::default()
    };
    let eval_id = eval.id.clone();
    let (index, _) = server
        .propose(&Command::AllocDesiredTransition {
            allocs: BTreeMap::from([(alloc.id.clone(), transition)]),
            evals: vec![eval],
        })
        .await?;
    Ok(AllocStopResponse { eval_id, index })
}

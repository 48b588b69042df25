//! `System.*`: a forced garbage collection and the rebuild of job
//! summaries.

use tokio_util::sync::CancellationToken;

use crate::server::leader::gc::{GcStats, collect};
use crate::server::{Server, ServerError};
use crate::state::Command;
use crate::state::gc::{GcKinds, GcThresholds};

/// Collects everything collectable now: every kind, thresholds 0 (as
/// Nomad's force GC). Unlike Nomad, which enqueues a core evaluation and
/// answers at once, this answers when the collection is done; returns
/// what it removed and the index the state has reached.
pub async fn garbage_collect(server: &Server) -> Result<(GcStats, u64), ServerError> {
    let stats = collect(
        server,
        GcKinds::ALL,
        GcThresholds::ZERO,
        &CancellationToken::new(),
    )
    .await?;
    if !stats.is_empty() {
        tracing::info!(
            jobs = stats.jobs,
            evals = stats.evals,
            allocs = stats.allocs,
            nodes = stats.nodes,
            "forced garbage collection"
        );
    }
    Ok((stats, server.state().snapshot().indexes().latest))
}

/// Rebuilds every job summary from the job's allocations (one entry);
/// returns its index.
pub async fn reconcile_summaries(server: &Server) -> Result<u64, ServerError> {
    Ok(server.propose(&Command::JobSummariesReconcile {}).await?.0)
}

//! A job's versions: `GET /v1/job/{id}/versions` (with `diffs=true`, the
//! change between each version and the one before it),
//! `PUT|POST /v1/job/{id}/revert` and `PUT|POST /v1/job/{id}/stable`.

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::extract::{Bytes, Path, Query, State};
use super::params::Params;
use super::query::{QueryOptions, read_one, reply};
use super::{ApiError, body, writes};
use crate::server::Server;
use crate::server::endpoints::{job, job_version};
use crate::state::Table;
use crate::structs::diff::job_diff;
use crate::structs::rpc::{
    JobRevertRequest, JobStabilityRequest, JobStabilityResponse, JobVersionsResponse,
};
use crate::structs::{Job, JobDiff};

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/job/{id}/versions", get(versions))
        .route("/v1/job/{id}/revert", writes(revert))
        .route("/v1/job/{id}/stable", writes(stable))
}

/// `Diffs[i]`: from `versions[i + 1]` to `versions[i]` (newest first);
/// `None` for a single version, as Nomad leaves the list nil. Not
/// contextual, as `plan`'s diff.
fn diffs(versions: &[Arc<Job>]) -> Option<Vec<JobDiff>> {
    let diffs: Vec<JobDiff> = versions
        .windows(2)
        .map(|pair| job_diff(Some(&pair[1]), &pair[0], false))
        .collect();
    (!diffs.is_empty()).then_some(diffs)
}

async fn versions(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let with_diffs = opts.flag("diffs")?;
    // `diff_version` and `diff_tag` (diffs against one chosen version) are
    // checked as Nomad checks them; the diffs are always between
    // neighbouring versions here.
    if let Some(Err(())) = opts.params().uint("diff_version") {
        let v = opts.get("diff_version").unwrap_or_default();
        return Err(ApiError::bad_request(format!(
            "Failed to parse value of \"diff_version\" ({v}) as a uint64: \
             strconv.ParseUint: parsing {v:?}: invalid syntax"
        )));
    }
    read_one(
        &s,
        &opts,
        Table::JobVersions,
        "job versions not found",
        |st| {
            let versions = st.job_versions(&opts.namespace, &id);
            let index = versions.first()?.modify_index;
            let diffs = with_diffs
                .then(|| {
                    // Diffing walks every group and task of each version:
                    // off the runtime's worker for a large job.
                    if versions.iter().any(|j| job::is_large(j)) {
                        crate::offload::off_worker(|| diffs(&versions))
                    } else {
                        diffs(&versions)
                    }
                })
                .flatten();
            Some((
                JobVersionsResponse {
                    versions,
                    diffs,
                    index,
                },
                index,
            ))
        },
    )
    .await
}

/// The namespace of a write: the `namespace` query parameter, else the
/// body's `Namespace`, else `default` (as Nomad's `parseNamespace`).
fn namespace_of(opts: &QueryOptions, from_body: &str) -> String {
    match opts.get("namespace") {
        Some(n) if !n.is_empty() => n.to_string(),
        _ if !from_body.is_empty() => from_body.to_string(),
        _ => opts.namespace.clone(),
    }
}

/// Nomad's checks of a version request's `JobID` against the path.
fn check_job_id(from_body: &str, from_path: &str) -> Result<(), ApiError> {
    if from_body.is_empty() {
        return Err(ApiError::bad_request("JobID must be specified"));
    }
    if from_body != from_path {
        return Err(ApiError::bad_request("Job ID does not match"));
    }
    Ok(())
}

async fn revert(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: JobRevertRequest = body::decode(&body).await?;
    check_job_id(&req.job_id, &id)?;
    let namespace = namespace_of(&opts, &req.namespace);
    let resp = job_version::revert(&s, &namespace, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn stable(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: JobStabilityRequest = body::decode(&body).await?;
    check_job_id(&req.job_id, &id)?;
    let namespace = namespace_of(&opts, &req.namespace);
    let index = job_version::stable(&s, &namespace, req).await?;
    let resp = JobStabilityResponse { index };
    Ok(reply(&s, &opts, &resp, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{DiffType, TaskGroup};

    fn version(v: u64, count: i64) -> Arc<Job> {
        Arc::new(Job {
            id: "example".into(),
            version: v,
            task_groups: vec![TaskGroup {
                name: "cache".into(),
                count,
                ..TaskGroup::default()
            }],
            ..Job::default()
        })
    }

    #[test]
    fn each_diff_goes_from_the_older_version_to_the_newer() {
        let versions = [version(2, 5), version(1, 3), version(0, 3)];
        let d = diffs(&versions).expect("two diffs");
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].diff_type, DiffType::None);
        assert_eq!(d[0].diff_type, DiffType::Edited);
        let count = d[0].task_groups[0]
            .fields
            .iter()
            .find(|f| f.name == "Count")
            .expect("Count changed");
        assert_eq!((count.old.as_str(), count.new.as_str()), ("3", "5"));
        assert!(diffs(&versions[..1]).is_none());
    }
}

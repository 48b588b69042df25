//! `GET /v1/scaling/policies` (`?job=`, `?type=`) and
//! `GET /v1/scaling/policy/{id}`: the groups' `scaling` blocks, drawn
//! from the jobs (blocking on the jobs table).

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::ApiError;
use super::extract::{Path, Query, State};
use super::params::Params;
use super::query::{QueryOptions, reply, watch_tables};
use crate::server::Server;
use crate::state::Table;
use crate::structs::scaling::{ScalingPolicy, of_job};

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/scaling/policies", get(list))
        .route("/v1/scaling/policy/{id}", get(one))
}

/// A policy in the list (Nomad's `ScalingPolicyListStub`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Stub {
    #[serde(rename = "ID")]
    id: String,
    enabled: bool,
    #[serde(rename = "Type")]
    kind: String,
    target: std::collections::BTreeMap<String, String>,
    create_index: u64,
    modify_index: u64,
}

fn stub(p: ScalingPolicy) -> Stub {
    Stub {
        id: p.id,
        enabled: p.enabled,
        kind: p.kind,
        target: p.target,
        create_index: p.create_index,
        modify_index: p.modify_index,
    }
}

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let job = opts.get("job").map(str::to_string);
    let kind = opts.get("type").map(str::to_string);
    let (value, index) = watch_tables(&s, &opts, &[Table::Jobs], |st| {
        let mut out: Vec<Stub> = st
            .jobs_by_prefix(&opts.namespace, "")
            .into_iter()
            .filter(|j| job.as_deref().is_none_or(|want| j.id == want))
            .flat_map(|j| of_job(&j))
            .filter(|p| kind.as_deref().is_none_or(|want| p.kind == want))
            .map(stub)
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((out, st.index(Table::Jobs)))
    })
    .await?;
    Ok(reply(&s, &opts, &value, index))
}

async fn one(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let (value, index) = watch_tables(&s, &opts, &[Table::Jobs], |st| {
        st.jobs_by_prefix("*", "")
            .into_iter()
            .flat_map(|j| of_job(&j))
            .find(|p| p.id == id)
            .map(|p| (p, st.index(Table::Jobs)))
            .ok_or_else(|| ApiError::not_found("policy not found"))
    })
    .await?;
    Ok(reply(&s, &opts, &value, index))
}

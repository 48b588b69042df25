//! `GET /v1/job/{id}/scale` (blocking on jobs and allocations) and
//! `PUT|POST /v1/job/{id}/scale`.

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::extract::{Bytes, Path, Query, State};
use super::params::Params;
use super::query::{QueryOptions, reply, watch_tables};
use super::{ApiError, body};
use crate::server::Server;
use crate::server::endpoints::job_scale::{self, ScalingRequest};
use crate::state::Table;

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/job/{id}/scale", get(status).put(scale).post(scale))
}

async fn status(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let (value, index) = watch_tables(&s, &opts, &[Table::Jobs, Table::Allocs], |st| {
        job_scale::status(st, &opts.namespace, &id)
            .ok_or_else(|| ApiError::not_found("job not found"))
    })
    .await?;
    Ok(reply(&s, &opts, &value, index))
}

async fn scale(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: ScalingRequest = body::decode(&body).await?;
    let resp = job_scale::scale(&s, &opts.namespace, &id, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

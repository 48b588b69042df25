//! `PUT /v1/system/gc` (collect everything collectable now) and
//! `PUT /v1/system/reconcile/summaries` (rebuild job summaries). Both
//! answer 200 with no body, as Nomad's do; only PUT is accepted.

use axum::Router;
use axum::response::Response;
use axum::routing::put;

use super::ApiError;
use super::extract::{Query, State};
use super::params::Params;
use super::query::{QueryOptions, reply};
use crate::server::Server;
use crate::server::endpoints::system;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/system/gc", put(gc))
        .route("/v1/system/reconcile/summaries", put(reconcile_summaries))
}

async fn gc(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let (_, index) = system::garbage_collect(&s).await?;
    Ok(empty(&s, &opts, index))
}

async fn reconcile_summaries(
    State(s): State<Server>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let index = system::reconcile_summaries(&s).await?;
    Ok(empty(&s, &opts, index))
}

/// No body; the index in the headers.
fn empty(s: &Server, opts: &QueryOptions, index: u64) -> Response {
    let mut r = reply(s, opts, &(), index);
    *r.body_mut() = axum::body::Body::empty();
    r
}

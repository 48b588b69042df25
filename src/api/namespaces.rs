//! `GET /v1/namespaces` (`prefix`), `GET|PUT|POST|DELETE
//! /v1/namespace/{name}` and `PUT|POST /v1/namespace` (the name in the
//! body), as Nomad's. Writes answer an empty body with the index.

use axum::Router;
use axum::response::Response;
use axum::routing::{get, put};

use super::extract::{Bytes, Path, Query, State};
use super::params::Params;
use super::query::{QueryOptions, read_one, reply, watch};
use super::{ApiError, body};
use crate::server::Server;
use crate::server::endpoints::namespace;
use crate::state::Table;
use crate::structs::Namespace;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/namespaces", get(list))
        .route("/v1/namespace", put(create).post(create))
        .route(
            "/v1/namespace/{name}",
            get(read).put(update).post(update).delete(delete),
        )
}

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let (list, index) = watch(&s, &opts, Table::Namespaces, |st| {
        let list: Vec<_> = st
            .namespaces()
            .into_iter()
            .filter(|n| n.name.starts_with(&opts.prefix))
            .collect();
        Ok((list, st.index(Table::Namespaces).max(1)))
    })
    .await?;
    Ok(reply(&s, &opts, &list, index))
}

async fn read(
    State(s): State<Server>,
    Path(name): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    read_one(&s, &opts, Table::Namespaces, "Namespace not found", |st| {
        st.namespace(&name).map(|n| {
            let index = n.modify_index;
            (n, index)
        })
    })
    .await
}

async fn create(
    State(s): State<Server>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    write(s, q, String::new(), body).await
}

async fn update(
    State(s): State<Server>,
    Path(name): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    write(s, q, name, body).await
}

async fn write(
    s: Server,
    q: super::params::RawQuery,
    name: String,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let mut ns: Namespace = body::decode(&body).await?;
    if !name.is_empty() && ns.name != name {
        return Err(ApiError::bad_request(
            "Namespace name does not match request path",
        ));
    }
    ns.create_index = 0;
    ns.modify_index = 0;
    let index = namespace::upsert(&s, ns).await?;
    Ok(empty(&s, &opts, index))
}

async fn delete(
    State(s): State<Server>,
    Path(name): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let index = namespace::delete(&s, &name).await?;
    Ok(empty(&s, &opts, index))
}

/// Nomad's answer to a namespace write: no body, the index in the headers.
fn empty(s: &Server, opts: &QueryOptions, index: u64) -> Response {
    let mut r = reply(s, opts, &(), index);
    *r.body_mut() = axum::body::Body::empty();
    r
}

//! Nomad's native service catalog: `GET /v1/services`,
//! `GET /v1/service/{name}` (`tag`, `choose`), `DELETE
//! /v1/service/{name}/{id}`, `GET /v1/allocation/{id}/services`, and the
//! clients' writes, `PUT
//! /v1/node/{id}/services` (authenticated by the node's secret).

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::extract::{Bytes, Path, Query, State};
use super::nodes::token;
use super::query::{QueryOptions, blocking, reply};
use super::service_choose::Choose;
use super::{ApiError, body, writes};
use crate::server::Server;
use crate::server::endpoints::service;
use crate::state::Table;
use crate::structs::ServiceUpdateRequest;
use crate::structs::rpc::IndexResponse;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/services", get(list))
        .route("/v1/service/{name}", get(read))
        .route("/v1/service/{name}/{id}", axum::routing::delete(delete))
        .route("/v1/node/{id}/services", writes(update))
        .route("/v1/allocation/{id}/services", get(of_alloc))
}

/// `GET /v1/allocation/{id}/services`: the registrations of one
/// allocation, with their checks' statuses.
async fn of_alloc(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Services, |st| {
        let mut instances = st.service_registrations_by_alloc(&id);
        instances.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((instances, st.index(Table::Services)))
    })
    .await
}

use super::params::Params;

/// One namespace's services (Nomad's `ServiceRegistrationListStub`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NamespaceServices {
    namespace: String,
    services: Vec<ServiceStub>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceStub {
    service_name: String,
    /// The union of the instances' tags, sorted.
    tags: Vec<String>,
}

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Services, |st| {
        let list: Vec<NamespaceServices> = st
            .service_names(&opts.namespace)
            .into_iter()
            .map(|(namespace, names)| NamespaceServices {
                namespace,
                services: names
                    .into_iter()
                    .map(|(service_name, tags)| ServiceStub {
                        service_name,
                        tags: tags.into_iter().collect(),
                    })
                    .collect(),
            })
            .collect();
        Ok((list, st.index(Table::Services)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(name): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let choose = opts.get("choose").map(Choose::parse).transpose()?;
    let tag = opts.get("tag").map(str::to_string);
    blocking(&s, &opts, Table::Services, |st| {
        let mut instances = st.service_registrations(&opts.namespace, &name);
        if let Some(tag) = &tag {
            instances.retain(|r| r.tags.contains(tag));
        }
        if let Some(choose) = &choose {
            instances = choose.apply(instances);
        }
        Ok((instances, st.index(Table::Services)))
    })
    .await
}

async fn delete(
    State(s): State<Server>,
    Path((name, id)): Path<(String, String)>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let index = service::delete(&s, &opts.namespace, &name, &id).await?;
    Ok(reply(&s, &opts, &IndexResponse { index }, index))
}

async fn update(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: ServiceUpdateRequest = body::decode(&body).await?;
    let index = service::update(&s, &id, &token(&headers), req).await?;
    Ok(reply(&s, &opts, &IndexResponse { index }, index))
}

//! The HTTP API on port 4646: Nomad's paths, JSON shapes, blocking queries
//! and plain-text errors, served by axum. One file per resource.
//!
//! Every server answers every request: writes go through
//! [`Server::propose`] (forwarded to the leader by Raft), reads are
//! consistent (a read barrier) unless `stale` is given. Writes from browser
//! pages of other sites are refused ([`guard`]) unless their origin is
//! allowed, and only allowed origins get CORS answers ([`cors`]).
//!
//! `/v1/client/*` belongs to the client that runs the allocation: an
//! agent that runs a client too serves its own allocations in process
//! ([`LocalClient`]); others are forwarded to their node
//! ([`client_forward`]).

pub(crate) mod agent;
pub(crate) mod agent_join;
pub mod agent_monitor;
mod allocs;
pub mod body;
mod client_forward;
mod config;
mod conn;
mod cors;
mod decode_error;
mod encode;
mod error;
mod evals;
mod events;
pub(crate) mod extract;
mod filter;
mod fuzzy_search;
mod guard;
mod job_scale;
mod job_versions;
mod jobs;
mod local_client;
mod metrics;
mod namespaces;
mod nodes;
mod operator_autopilot;
mod operator_raft;
mod operator_scheduler;
mod origin;
mod paginate;
pub mod params;
pub mod query;
mod query_options;
mod scaling;
mod search;
mod service_choose;
mod services;
mod status;
mod system;
mod variables;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, put};
use axum::{Extension, Router};
use tokio::net::TcpListener;

pub use config::{ApiConfig, HttpLimits};
pub use error::ApiError;
pub use local_client::LocalClient;
pub use origin::Origin;

use crate::server::Server;

/// A route that accepts both PUT and POST, as Nomad's writes do.
fn writes<H, T>(handler: H) -> MethodRouter<Server>
where
    H: Handler<T, Server> + Clone,
    T: 'static,
{
    put(handler.clone()).post(handler)
}

async fn invalid_method() -> (StatusCode, &'static str) {
    (StatusCode::METHOD_NOT_ALLOWED, "Invalid method")
}

/// The whole API; `local` is this agent's client, once it runs.
pub fn router(server: Server, config: &ApiConfig, local: LocalClient) -> Router {
    let routes = Router::new()
        .merge(jobs::routes())
        .merge(job_versions::routes())
        .merge(job_scale::routes())
        .merge(scaling::routes())
        .merge(search::routes())
        .merge(fuzzy_search::routes())
        .merge(variables::routes())
        .merge(namespaces::routes())
        .merge(evals::routes())
        .merge(events::routes())
        .merge(metrics::routes())
        .merge(allocs::routes())
        .merge(nodes::routes())
        .merge(services::routes())
        .merge(status::routes())
        .merge(system::routes())
        .merge(agent::routes())
        .merge(agent_join::routes())
        .merge(operator_scheduler::routes())
        .merge(operator_autopilot::routes())
        .merge(operator_raft::routes())
        .merge(client_forward::routes())
        .method_not_allowed_fallback(invalid_method)
        .route_layer(axum::middleware::from_fn_with_state(
            server.clone(),
            metrics::time_requests,
        ))
        .layer(Extension(local))
        .layer(DefaultBodyLimit::max(body::MAX_BODY))
        .with_state(server);
    guarded(routes, config)
}

/// `router` under the API's browser rules: cross-site writes refused
/// ([`guard`]), CORS answers for allowed origins only ([`cors`]). The
/// client agent's listener, which takes writes too (restarts, signals),
/// is served under them as well.
pub fn guarded(router: Router, config: &ApiConfig) -> Router {
    let guard = Arc::new(guard::Guard::new(config));
    router
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            guard::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            cors::allow_listed_origins,
        ))
}

/// Serves any `router` with the API's connection handling (deadlines,
/// caps) until `shutdown` completes; the client agent's own listener.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    conn::serve(listener, router, limits, shutdown).await
}

/// Serves the API on `listener` until `shutdown` completes and the open
/// connections have finished (see [`conn`] for deadlines and caps).
pub async fn serve(
    listener: TcpListener,
    server: Server,
    config: ApiConfig,
    local: LocalClient,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let routes = router(server, &config, local);
    conn::serve(listener, routes, config.limits, shutdown).await
}

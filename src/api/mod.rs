//! The HTTP API on port 4646: Nomad's paths, JSON shapes, blocking queries
//! and plain-text errors, served by axum. One file per resource.
//!
//! Every server answers every request: writes go through
//! [`Server::propose`] (forwarded to the leader by Raft), reads are
//! consistent (a read barrier) unless `stale` is given. Writes from browser
//! pages of other sites are refused ([`guard`]) unless their origin is
//! allowed, and only allowed origins get CORS answers ([`cors`]).

mod agent;
mod allocs;
pub mod body;
mod config;
mod conn;
mod cors;
mod decode_error;
mod encode;
mod error;
mod evals;
mod extract;
mod guard;
mod jobs;
mod nodes;
mod origin;
pub mod query;
mod status;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, put};
use tokio::net::TcpListener;

pub use config::{ApiConfig, HttpLimits};
pub use error::ApiError;
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

/// The whole API.
pub fn router(server: Server, config: &ApiConfig) -> Router {
    let guard = Arc::new(guard::Guard::new(config));
    Router::new()
        .merge(jobs::routes())
        .merge(evals::routes())
        .merge(allocs::routes())
        .merge(nodes::routes())
        .merge(status::routes())
        .merge(agent::routes())
        .method_not_allowed_fallback(invalid_method)
        .layer(DefaultBodyLimit::max(body::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            guard::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            cors::allow_listed_origins,
        ))
        .with_state(server)
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
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    conn::serve(listener, router(server, &config), config.limits, shutdown).await
}

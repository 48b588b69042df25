//! A read-only, Consul-compatible catalog served by Drover's servers on a
//! listener of its own (`consul_compat { }`, `-consul-compat ADDR`), so
//! that tools that discover services through Consul's HTTP API (DNS-less
//! load balancers, `consul-template`, client libraries) read Drover's
//! service registrations and nodes.
//!
//! Routes (all `GET`; others are 405, unknown paths 404):
//! `/v1/catalog/services`, `/v1/catalog/service/{name}`,
//! `/v1/catalog/nodes`, `/v1/catalog/datacenters` and
//! `/v1/health/service/{name}`, with `?dc=`, `?tag=`, `?passing`,
//! `?pretty` and blocking queries (`?index=N&wait=D`, `X-Consul-Index`).
//!
//! Datacenter scoping: as in Consul, a read answers for one datacenter,
//! by default the agent's own (`datacenter`, `-dc`); `?dc=NAME` picks
//! another. Registrations and nodes are matched on their `Datacenter`; a
//! datacenter that no server, node or registration is in is Consul's
//! `500 No path to datacenter`. Drover's own agents are listed as Nomad
//! registers itself (`agents.rs`).

mod agents;
mod routes;
mod shapes;

use axum::Router;
use tokio::net::TcpListener;

use crate::api::HttpLimits;
use crate::server::Server;

/// The catalog's routes over `server`'s state.
pub fn router(server: Server) -> Router {
    routes::routes().with_state(server)
}

/// Serves the catalog on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    server: Server,
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::api::serve_router(listener, router(server), limits, shutdown).await
}

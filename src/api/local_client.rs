//! The client role running in the same agent as this API, once it has
//! started (it starts after the API, which it registers through).
//!
//! Knowing it lets the API serve `/v1/client/*` for the allocations this
//! agent runs itself, and tell the truth about the client in
//! `/v1/agent/self` and `/v1/agent/health`.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;

use crate::client::ClientShared;

struct Local {
    shared: Arc<ClientShared>,
    routes: TowerToHyperService<Router>,
}

/// A slot for the agent's client; empty on a server-only agent. Cheap to
/// clone: every clone sees the client once it is set.
#[derive(Clone, Default)]
pub struct LocalClient(Arc<OnceLock<Local>>);

impl LocalClient {
    /// Records the client; later calls are ignored (an agent runs one).
    pub fn set(&self, shared: Arc<ClientShared>) {
        let routes = TowerToHyperService::new(crate::client::http::router(shared.clone()));
        let _ = self.0.set(Local { shared, routes });
    }

    pub fn shared(&self) -> Option<&Arc<ClientShared>> {
        self.0.get().map(|l| &l.shared)
    }

    /// The local client's node ID.
    pub fn node_id(&self) -> Option<&str> {
        self.shared().map(|s| s.identity.node_id.as_str())
    }

    /// Answers `req` with the client's own endpoints; None without a client.
    pub async fn serve(&self, req: Request) -> Option<Response> {
        let local = self.0.get()?;
        // The request as it came, without what the server's router attached
        // (its matched path parameters would add to the client router's).
        let (mut parts, body) = req.into_parts();
        parts.extensions = Default::default();
        let req = Request::from_parts(parts, body);
        let answer: Result<Response, Infallible> = local.routes.call(req).await;
        match answer {
            Ok(r) => Some(r),
            Err(never) => match never {},
        }
    }
}

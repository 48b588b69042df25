//! `/v1/client/*` on the servers' API. These endpoints belong to the
//! client that runs the allocation; a server answers them by asking that
//! client:
//!
//! - an allocation of this agent's own client is served here, in process;
//! - any other is looked up (allocation, then its node), and the request
//!   is forwarded to the node's registered `HTTPAddr`, its answer streamed
//!   back as it arrives (a followed log keeps streaming).
//!
//! Requests are only ever sent to addresses that nodes registered, never
//! to one named in the request, and a forwarded request carries
//! [`FORWARDED`] so that the agent receiving it answers it itself instead
//! of forwarding it again.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Request};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;

use super::extract::{Path, Query, State};
use super::local_client::LocalClient;
use super::{ApiError, body};
use crate::server::Server;
use crate::structs::Node;

/// Header marking a request one agent forwarded to another.
pub const FORWARDED: &str = "x-drover-forwarded";
/// How long a node may take to be connected to.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// How long a node may take to start answering (a stats read takes the
/// node a second or two; a followed log starts at once and then streams
/// for as long as it likes).
const ANSWER_WAIT: Duration = Duration::from_secs(30);
/// The request and answer headers that travel with a forwarded request.
const REQUEST_HEADERS: [HeaderName; 2] = [CONTENT_TYPE, ACCEPT];
const ANSWER_HEADERS: [HeaderName; 2] = [CONTENT_TYPE, CACHE_CONTROL];

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/client/fs/{op}/{id}", any(fs))
        .route("/v1/client/allocation/{id}/{op}", any(alloc))
        .route("/v1/client/stats", any(host_stats))
}

fn bad_gateway(message: String) -> ApiError {
    ApiError {
        status: StatusCode::BAD_GATEWAY,
        message,
    }
}

fn forwarded(req: &Request) -> bool {
    req.headers().contains_key(FORWARDED)
}

/// A request forwarded here is answered here, by this agent's client.
async fn serve_local(local: &LocalClient, req: Request) -> Result<Response, ApiError> {
    local.serve(req).await.ok_or_else(|| {
        bad_gateway(
            "This agent runs no client, yet the request was forwarded to it as a client".into(),
        )
    })
}

async fn fs(
    State(s): State<Server>,
    Extension(local): Extension<LocalClient>,
    Path((_op, id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, ApiError> {
    by_alloc(&s, &local, &id, req).await
}

async fn alloc(
    State(s): State<Server>,
    Extension(local): Extension<LocalClient>,
    Path((id, _op)): Path<(String, String)>,
    req: Request,
) -> Result<Response, ApiError> {
    by_alloc(&s, &local, &id, req).await
}

/// Serves or forwards a request about allocation `id`.
async fn by_alloc(
    s: &Server,
    local: &LocalClient,
    id: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let mine = local.shared().is_some_and(|c| c.allocation(id).is_some());
    if mine || forwarded(&req) {
        return serve_local(local, req).await;
    }
    let state = s.consistent_state().await?;
    let alloc = state
        .alloc(id)
        .ok_or_else(|| ApiError::not_found(format!("Unknown allocation {id:?}")))?;
    if local.node_id() == Some(alloc.node_id.as_str()) {
        // This agent's own node, which does not run it (yet, or any more):
        // its client says so.
        return serve_local(local, req).await;
    }
    let node = state.node(&alloc.node_id).ok_or_else(|| {
        ApiError::not_found(format!(
            "Unknown node {:?} of allocation {id:?}",
            alloc.node_id
        ))
    })?;
    forward(&node, req).await
}

/// `GET /v1/client/stats`: this agent's client, or the node `node_id`.
async fn host_stats(
    State(s): State<Server>,
    Extension(local): Extension<LocalClient>,
    Query(q): Query<HashMap<String, String>>,
    req: Request,
) -> Result<Response, ApiError> {
    let node_id = q.get("node_id").filter(|n| !n.is_empty());
    let here = match node_id {
        None => true,
        Some(n) => forwarded(&req) || local.node_id() == Some(n.as_str()),
    };
    if here {
        return local.serve(req).await.ok_or_else(|| {
            ApiError::bad_request(
                "node_id is required: this agent runs no client, so name the node whose host stats to read (node_id=<node ID>)",
            )
        });
    }
    let node_id = node_id.map(String::as_str).unwrap_or_default();
    let state = s.consistent_state().await?;
    let node = state
        .node(node_id)
        .ok_or_else(|| ApiError::not_found(format!("Unknown node {node_id:?}")))?;
    forward(&node, req).await
}

/// The client used for forwarding: no proxies (nodes are reached
/// directly) and no redirects (an answer cannot send the request on to
/// an address no node registered).
fn forwarder() -> Result<&'static reqwest::Client, ApiError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(CONNECT_WAIT)
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| ApiError::internal(format!("cannot build the forwarding client: {e}")))
}

/// The URL of `uri` (path and query) on `node`'s registered address,
/// which must be a plain `host:port`.
fn node_url(node: &Node, uri: &Uri) -> Result<reqwest::Url, ApiError> {
    let addr = node.http_addr.as_str();
    let unusable = |why: &str| {
        bad_gateway(format!(
            "Node {} has no usable HTTP address ({why}): cannot forward the request to it",
            node.id
        ))
    };
    if addr.is_empty() {
        return Err(unusable("none registered"));
    }
    let plain = addr.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && port.parse::<u16>().is_ok()
            && !host.contains(['/', '@', '?', '#', '\\', ' '])
    });
    if !plain {
        return Err(unusable(&format!("{addr:?} is not host:port")));
    }
    let mut url = reqwest::Url::parse(&format!("http://{addr}/"))
        .map_err(|_| unusable(&format!("{addr:?} is not host:port")))?;
    url.set_path(uri.path());
    url.set_query(uri.query());
    Ok(url)
}

/// The error and its causes, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// Sends `req` to `node` and streams its answer back.
async fn forward(node: &Node, req: Request) -> Result<Response, ApiError> {
    let url = node_url(node, req.uri())?;
    let (parts, incoming) = req.into_parts();
    let payload = axum::body::to_bytes(incoming, body::MAX_BODY)
        .await
        .map_err(|_| body::too_large())?;
    let mut out = forwarder()?
        .request(parts.method.clone(), url)
        .header(FORWARDED, "1");
    for name in REQUEST_HEADERS {
        if let Some(v) = parts.headers.get(&name) {
            out = out.header(name, v.clone());
        }
    }
    if !payload.is_empty() {
        out = out.body(payload);
    }
    let at = || format!("node {} at {}", node.id, node.http_addr);
    let answer = match tokio::time::timeout(ANSWER_WAIT, out.send()).await {
        Err(_) => {
            return Err(ApiError {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!(
                    "The {} did not answer within {} s",
                    at(),
                    ANSWER_WAIT.as_secs()
                ),
            });
        }
        Ok(Err(e)) if e.is_timeout() => {
            return Err(ApiError {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!("Cannot reach the {}: {}", at(), chain(&e)),
            });
        }
        Ok(Err(e)) => {
            return Err(bad_gateway(format!(
                "Cannot reach the {}: {}",
                at(),
                chain(&e)
            )));
        }
        Ok(Ok(r)) => r,
    };
    let mut response = Response::builder().status(answer.status());
    for name in ANSWER_HEADERS {
        if let Some(v) = answer.headers().get(&name) {
            response = response.header(name, v.clone());
        }
    }
    let node_id = node.id.clone();
    let stream = futures::stream::unfold(Some(answer), move |answer| {
        let node_id = node_id.clone();
        async move {
            let mut answer = answer?;
            match answer.chunk().await {
                Ok(Some(bytes)) => Some((Ok(bytes), Some(answer))),
                Ok(None) => None,
                Err(e) => {
                    tracing::debug!(node = %node_id, error = %chain(&e), "a forwarded answer broke off");
                    Some((Err(std::io::Error::other(e)), None))
                }
            }
        }
    });
    response
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::internal(format!("cannot relay the node's answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(addr: &str) -> Node {
        Node {
            id: "n1".into(),
            http_addr: addr.into(),
            ..Node::default()
        }
    }

    #[test]
    fn only_plain_registered_addresses_are_used() {
        let uri: Uri = "/v1/client/fs/logs/a1?task=web&type=stdout"
            .parse()
            .unwrap();
        let url = node_url(&node("127.0.1.20:4646"), &uri).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.1.20:4646/v1/client/fs/logs/a1?task=web&type=stdout"
        );
        let url = node_url(&node("[::1]:4646"), &uri).unwrap();
        assert_eq!(url.host_str(), Some("[::1]"));
        for bad in [
            "",
            "host",
            "evil.example/x:80",
            "user@host:80",
            "host:port",
            ":80",
            "h:99999",
        ] {
            let e = node_url(&node(bad), &uri).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_GATEWAY, "{bad}");
            assert!(
                e.message.contains("no usable HTTP address"),
                "{}",
                e.message
            );
        }
    }
}

//! A typed client of Drover's (and Nomad's) HTTP API, used by the client
//! agent, `drover nodesim`, the CLI and the tests.
//!
//! It talks to a list of servers and fails over: a request that cannot
//! reach one server (refused, reset, timed out) is tried on the next, and
//! the one that answered is tried first next time. Answers from a server
//! (any status) are never retried here: the caller knows whether a retry
//! is safe. The list can be replaced while requests run
//! ([`ApiClient::set_addresses`], `PUT /v1/agent/servers` on a client);
//! a request keeps the list it started with.

mod allocs;
mod cli_calls;
mod cli_nodes;
mod jobs;
mod nodes;
mod services;
mod variables;

pub use cli_calls::segment;
pub use variables::VarOutcome;

pub use cli_nodes::{
    AgentMember, AgentMembers, AllocStopResponse, DrainSpec, LogRequest, NodeDrainRequest,
    RaftConfiguration, RaftServer,
};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiClientError {
    /// No server could be reached.
    #[error("no server could be reached (tried {tried}): {last}")]
    Unreachable { tried: String, last: String },
    /// A server answered with an error status.
    #[error("{status} {message}")]
    Status { status: u16, message: String },
    /// A server answered with a body that is not what was expected.
    #[error("unexpected answer from {url}: {message}")]
    Decode { url: String, message: String },
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ApiClientError {
    /// The HTTP status of a server's refusal, if that is what this is.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the server said the thing asked about does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// What a read's headers say (`X-Nomad-Index`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueryMeta {
    pub index: u64,
    pub known_leader: bool,
}

/// Options of a read: a blocking query waits until the answer's index
/// passes `index`, at most `wait`.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueryOptions {
    pub index: u64,
    pub wait: Option<Duration>,
    pub stale: bool,
}

impl QueryOptions {
    pub fn blocking(index: u64, wait: Duration) -> Self {
        QueryOptions {
            index,
            wait: Some(wait),
            stale: false,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if self.index > 0 {
            q.push(("index", self.index.to_string()));
        }
        if let Some(w) = self.wait {
            q.push(("wait", format!("{}ms", w.as_millis())));
        }
        if self.stale {
            q.push(("stale", "true".into()));
        }
        q
    }

    /// How long to let the HTTP request run: the wait plus Nomad's jitter
    /// (wait / 16) plus slack.
    fn timeout(&self, base: Duration) -> Duration {
        match self.wait {
            Some(w) if self.index > 0 => w + w / 16 + base,
            _ => base,
        }
    }
}

struct Inner {
    http: reqwest::Client,
    addresses: RwLock<Arc<Vec<String>>>,
    /// The server that answered last; tried first.
    preferred: AtomicUsize,
    timeout: Duration,
}

/// A cheap handle (clone freely) on the servers at `addresses`.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
    /// Sent as `X-Nomad-Token`. Kept out of the shared part, so handles
    /// with different tokens (one per simulated node) share connections
    /// and failover state.
    token: Option<Arc<str>>,
    /// Sent as `?namespace=` and `?region=` on every request when set
    /// (a request that names its own namespace keeps it).
    namespace: Option<Arc<str>>,
    region: Option<Arc<str>>,
}

/// The default time a non-blocking request may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Adds `http://` when an address has no scheme and removes a trailing `/`.
pub fn normalize_address(a: &str) -> String {
    let a = a.trim().trim_end_matches('/');
    if a.starts_with("http://") || a.starts_with("https://") {
        a.to_string()
    } else {
        format!("http://{a}")
    }
}

impl ApiClient {
    /// A client of the servers at `addresses` (`http://host:4646` or
    /// `host:4646`).
    pub fn new(addresses: &[String]) -> Result<ApiClient, ApiClientError> {
        Self::builder(addresses, None, DEFAULT_TIMEOUT, 8)
    }

    /// A client that sends `token` (`X-Nomad-Token`) on every request, with
    /// `timeout` per request and up to `pool` idle connections per server.
    pub fn builder(
        addresses: &[String],
        token: Option<String>,
        timeout: Duration,
        pool: usize,
    ) -> Result<ApiClient, ApiClientError> {
        let addresses = checked_addresses(addresses)?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ApiClientError::Config(e.to_string()))?;
        Ok(ApiClient {
            inner: Arc::new(Inner {
                http,
                addresses: RwLock::new(Arc::new(addresses)),
                preferred: AtomicUsize::new(0),
                timeout,
            }),
            token: token.map(Arc::from),
            namespace: None,
            region: None,
        })
    }

    /// The same handle, sending `namespace` and `region` with every request.
    pub fn with_scope(mut self, namespace: Option<String>, region: Option<String>) -> ApiClient {
        self.namespace = namespace.map(Arc::from);
        self.region = region.map(Arc::from);
        self
    }

    /// The same servers, connections and failover state, with another
    /// token: a pointer copy, so a handle per node secret costs nothing
    /// more than the secret.
    pub fn with_token(&self, token: Option<String>) -> ApiClient {
        ApiClient {
            inner: self.inner.clone(),
            token: token.map(Arc::from),
            namespace: self.namespace.clone(),
            region: self.region.clone(),
        }
    }

    /// The token this handle sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The servers, as normalised (`http://host:port`).
    pub fn addresses(&self) -> Arc<Vec<String>> {
        self.inner
            .addresses
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the servers for every handle sharing this one's state
    /// (requests already running keep theirs); refused when empty or when
    /// an address is not a URL.
    pub fn set_addresses(&self, addresses: &[String]) -> Result<(), ApiClientError> {
        let addresses = checked_addresses(addresses)?;
        *self
            .inner
            .addresses
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(addresses);
        self.inner.preferred.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// A read, decoded as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        opts: &QueryOptions,
    ) -> Result<(T, QueryMeta), ApiClientError> {
        let query = opts.pairs();
        let timeout = opts.timeout(self.inner.timeout);
        self.send(Method::GET, path, &query, None::<&()>, timeout)
            .await
    }

    /// A read with extra query parameters.
    pub async fn get_with<T: DeserializeOwned>(
        &self,
        path: &str,
        opts: &QueryOptions,
        extra: &[(&'static str, String)],
    ) -> Result<(T, QueryMeta), ApiClientError> {
        let mut query = opts.pairs();
        query.extend(extra.iter().cloned());
        let timeout = opts.timeout(self.inner.timeout);
        self.send(Method::GET, path, &query, None::<&()>, timeout)
            .await
    }

    /// A write with a JSON body.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiClientError> {
        let timeout = self.inner.timeout;
        let (v, _) = self
            .send(Method::PUT, path, &[], Some(body), timeout)
            .await?;
        Ok(v)
    }

    /// A write with a JSON body and query parameters.
    pub async fn put_query<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        body: &B,
    ) -> Result<T, ApiClientError> {
        let timeout = self.inner.timeout;
        let (v, _) = self
            .send(Method::PUT, path, query, Some(body), timeout)
            .await?;
        Ok(v)
    }

    /// A `DELETE` with query parameters.
    pub async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<T, ApiClientError> {
        let timeout = self.inner.timeout;
        let (v, _) = self
            .send(Method::DELETE, path, query, None::<&()>, timeout)
            .await?;
        Ok(v)
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&'static str, String)],
        body: Option<&B>,
        timeout: Duration,
    ) -> Result<(T, QueryMeta), ApiClientError> {
        let mut query = std::borrow::Cow::Borrowed(query);
        for (key, value) in [("namespace", &self.namespace), ("region", &self.region)] {
            if let Some(v) = value
                && !query.iter().any(|(k, _)| *k == key)
            {
                query.to_mut().push((key, v.to_string()));
            }
        }
        let query = &*query;
        let addresses = self.addresses();
        let n = addresses.len().max(1);
        let first = self.inner.preferred.load(Ordering::Relaxed) % n;
        let mut last = String::new();
        for k in 0..addresses.len() {
            let i = (first + k) % n;
            let url = format!("{}{}", addresses[i], path);
            let mut req = self
                .inner
                .http
                .request(method.clone(), &url)
                .timeout(timeout)
                .query(query);
            if let Some(t) = &self.token {
                req = req.header("X-Nomad-Token", &**t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last = format!("{url}: {}", error_chain(&e));
                    continue;
                }
            };
            self.inner.preferred.store(i, Ordering::Relaxed);
            return decode(url, resp).await;
        }
        Err(ApiClientError::Unreachable {
            tried: addresses.join(", "),
            last,
        })
    }
}

/// `addresses` normalised, refused when empty or when one is not a URL
/// with a host.
fn checked_addresses(addresses: &[String]) -> Result<Vec<String>, ApiClientError> {
    if addresses.is_empty() {
        return Err(ApiClientError::Config("no server address given".into()));
    }
    addresses
        .iter()
        .map(|a| {
            let normal = normalize_address(a);
            match reqwest::Url::parse(&normal) {
                Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(normal),
                _ => Err(ApiClientError::Config(format!(
                    "invalid server address {a:?}"
                ))),
            }
        })
        .collect()
}

/// An error with its causes (`error sending request: connection refused`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

async fn decode<T: DeserializeOwned>(
    url: String,
    resp: reqwest::Response,
) -> Result<(T, QueryMeta), ApiClientError> {
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let meta = QueryMeta {
        index: header("X-Nomad-Index")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        known_leader: header("X-Nomad-KnownLeader").as_deref() == Some("true"),
    };
    let bytes = resp.bytes().await.map_err(|e| ApiClientError::Decode {
        url: url.clone(),
        message: e.to_string(),
    })?;
    if !(200..300).contains(&status) {
        return Err(ApiClientError::Status {
            status,
            message: String::from_utf8_lossy(&bytes).trim().to_string(),
        });
    }
    // Some writes answer with no body (namespaces, variable deletes).
    let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
    let value = serde_json::from_slice(body).map_err(|e| ApiClientError::Decode {
        url,
        message: e.to_string(),
    })?;
    Ok((value, meta))
}

//! What the agent tells the HTTP API: which browser pages may write, which
//! host names are this agent's, and how connections are bounded.

use std::time::Duration;

/// Settings of the HTTP API (defaults: [`Default`]).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ApiConfig {
    /// Web origins (`https://ui.example.com:8443`) whose pages may write
    /// through the API from a browser. Agent file:
    /// `http_api { allowed_origins = [...] }`.
    pub allowed_origins: Vec<String>,
    /// Host names that are this agent's own (its name, its advertised HTTP
    /// host): a page served under one of them may write to the agent it was
    /// served by. IP literals and `localhost` always qualify.
    pub host_names: Vec<String>,
    pub limits: HttpLimits,
}

/// Bounds on HTTP connections. Agent file: the `limits` block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HttpLimits {
    /// From a request's first byte to the end of its header
    /// (`http_header_read_timeout`); a new connection's clock starts when
    /// it is accepted.
    pub header_read_timeout: Duration,
    /// How long a connection may sit with no request in progress before it
    /// is closed (`http_idle_timeout`). A request being answered, such as a
    /// blocking query, is not idle.
    pub idle_timeout: Duration,
    /// Open connections to this agent; 0 for no cap (`http_max_conns`).
    pub max_conns: usize,
    /// Open connections from one IP address; 0 for no cap
    /// (`http_max_conns_per_client`, as in Nomad).
    pub max_conns_per_client: usize,
}

/// Default of [`HttpLimits::header_read_timeout`].
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`HttpLimits::idle_timeout`]: longer than the HTTP clients'
/// usual pool idle times, so clients close idle connections first.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// Default of [`HttpLimits::max_conns`].
pub const MAX_CONNS: usize = 8192;
/// Default of [`HttpLimits::max_conns_per_client`]. Nomad's default is
/// 100; `drover nodesim` and the benchmarks run thousands of simulated
/// nodes from one address over a few hundred connections.
pub const MAX_CONNS_PER_CLIENT: usize = 1024;

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_conns: MAX_CONNS,
            max_conns_per_client: MAX_CONNS_PER_CLIENT,
        }
    }
}

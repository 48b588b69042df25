//! Refusal of cross-site writes from browsers.
//!
//! The API has no authentication, so a web page open in a browser on the
//! operator's machine must not be able to write to an agent it can reach.
//! A page can send a POST with a `text/plain` or form body without a CORS
//! preflight, and DNS rebinding lets a page under the attacker's name reach
//! a loopback agent as if same-origin (then `Origin` and `Host` both carry
//! the attacker's name).
//!
//! The rule, for every method but GET, HEAD and OPTIONS:
//!
//! 1. A request is *browser-originated* when it carries an `Origin` header,
//!    or a `Sec-Fetch-Site` header other than `none` or `same-origin`.
//!    curl, the CLI and API libraries send neither and pass unchanged,
//!    whatever their `Content-Type`.
//! 2. A browser-originated write is refused unless its `Origin` is listed
//!    in `http_api { allowed_origins }`, or it is same-origin (the origin's
//!    host and port are the `Host` header's) *and* that host is an IP
//!    literal, `localhost` (or a subdomain of it), or one of the agent's
//!    own names. A rebinding name is none of these.
//! 3. An admitted browser write must not declare a body a page can send
//!    without a preflight: `text/plain`, `application/x-www-form-urlencoded`
//!    or `multipart/form-data`.
//!
//! Refusals are 403 with a plain-text reason.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use super::config::ApiConfig;
use super::origin::{Origin, is_ip_literal, is_localhost, split_host_port};

/// Where an operator lists the origins allowed to write.
const ALLOW_KEY: &str = "http_api { allowed_origins = [...] } in the agent configuration";

/// Body types a page may send cross-site without a CORS preflight.
const SIMPLE_BODY_TYPES: [&str; 3] = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

/// The guard's view of the configuration.
#[derive(Debug, Default)]
pub struct Guard {
    allowed: HashSet<Origin>,
    host_names: HashSet<String>,
}

impl Guard {
    /// Builds the guard; origins that do not parse are left out (the agent
    /// validates them before the API starts).
    pub fn new(config: &ApiConfig) -> Guard {
        Guard {
            allowed: config
                .allowed_origins
                .iter()
                .filter_map(|o| Origin::parse(o))
                .collect(),
            host_names: config
                .host_names
                .iter()
                .filter_map(|h| split_host_port(h).map(|(host, _)| host))
                .collect(),
        }
    }

    /// Whether a request with this method and these headers may proceed;
    /// the refusal's text otherwise.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), String> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let text = |name| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap_or("(not text)"))
        };
        let origin = text(header::ORIGIN);
        let fetch_site = text(header::HeaderName::from_static("sec-fetch-site"));
        let browser =
            origin.is_some() || fetch_site.is_some_and(|s| !matches!(s, "none" | "same-origin"));
        if !browser {
            return Ok(());
        }
        let Some(origin) = origin else {
            return Err(format!(
                "Cross-origin write refused: the browser marked the request \
                 Sec-Fetch-Site: {} and sent no Origin",
                fetch_site.unwrap_or_default()
            ));
        };
        let host = text(header::HOST);
        self.admit_origin(origin, host)?;
        let declared = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let media = declared.split(';').next().unwrap_or_default().trim();
        if SIMPLE_BODY_TYPES
            .iter()
            .any(|t| media.eq_ignore_ascii_case(t))
        {
            return Err(format!(
                "Browser write refused: a body of Content-Type {declared:?} is not accepted \
                 from a browser; send it as application/json"
            ));
        }
        Ok(())
    }

    /// Whether `origin` is in the allow-list.
    pub fn allows(&self, origin: &str) -> bool {
        Origin::parse(origin).is_some_and(|o| self.allowed.contains(&o))
    }

    fn admit_origin(&self, origin: &str, host: Option<&str>) -> Result<(), String> {
        if self.allows(origin) {
            return Ok(());
        }
        let parsed = Origin::parse(origin);
        let not_allowed = format!(
            "Cross-origin write refused: Origin {origin:?} is not allowed \
             (add it to {ALLOW_KEY} to allow it)"
        );
        let (Some(o), Some(host)) = (parsed, host) else {
            return Err(not_allowed);
        };
        let Some((host_name, port)) = split_host_port(host) else {
            return Err(not_allowed);
        };
        if !o.is_served_at(&host_name, port) {
            return Err(not_allowed);
        }
        if is_ip_literal(&host_name)
            || is_localhost(&host_name)
            || self.host_names.contains(&host_name)
        {
            return Ok(());
        }
        Err(format!(
            "Cross-origin write refused: Origin {origin:?} is not allowed: its host {host:?} \
             is not an IP address, localhost or a name of this agent, so the page may have \
             reached the agent through a rebound DNS name (add the origin to {ALLOW_KEY} \
             to allow it)"
        ))
    }
}

/// The middleware: refuses what [`Guard::check`] refuses with 403.
pub async fn refuse_cross_site(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    if let Err(message) = guard.check(req.method(), req.headers()) {
        tracing::info!(
            method = %req.method(),
            path = req.uri().path(),
            origin = ?req.headers().get(header::ORIGIN),
            "refused a browser write"
        );
        return ApiError {
            status: StatusCode::FORBIDDEN,
            message,
        }
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(&ApiConfig {
            allowed_origins: vec!["https://UI.example:8443/".into()],
            host_names: vec!["drover-1.internal:4646".into()],
            ..ApiConfig::default()
        })
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    fn check(method: Method, pairs: &[(&'static str, &str)]) -> Result<(), String> {
        guard().check(&method, &headers(pairs))
    }

    #[test]
    fn clients_without_browser_headers_pass_whatever_their_body_type() {
        let form = ("content-type", "application/x-www-form-urlencoded");
        assert_eq!(
            check(Method::PUT, &[form, ("host", "evil.example")]),
            Ok(())
        );
        assert_eq!(check(Method::POST, &[("sec-fetch-site", "none")]), Ok(()));
    }

    #[test]
    fn reads_are_never_refused() {
        assert_eq!(
            check(Method::GET, &[("origin", "http://evil.example")]),
            Ok(())
        );
    }

    #[test]
    fn foreign_and_rebound_origins_are_refused() {
        let err = check(
            Method::POST,
            &[
                ("origin", "http://evil.example"),
                ("host", "127.0.0.1:4646"),
            ],
        )
        .expect_err("foreign");
        assert!(
            err.starts_with("Cross-origin write refused: Origin \"http://evil.example\""),
            "{err}"
        );
        let rebound = [
            ("origin", "http://evil.example:4646"),
            ("host", "evil.example:4646"),
        ];
        let err = check(Method::DELETE, &rebound).expect_err("rebound");
        assert!(err.contains("rebound DNS name"), "{err}");
        assert!(check(Method::POST, &[("sec-fetch-site", "cross-site")]).is_err());
        assert!(check(Method::POST, &[("origin", "null"), ("host", "null")]).is_err());
    }

    #[test]
    fn same_origin_on_trusted_hosts_and_allowed_origins_pass() {
        for (origin, host) in [
            ("http://127.0.0.1:4646", "127.0.0.1:4646"),
            ("http://[::1]:4646", "[::1]:4646"),
            ("http://localhost", "localhost:80"),
            ("http://drover-1.internal:4646", "drover-1.internal:4646"),
            ("https://ui.example:8443", "127.0.0.1:4646"),
        ] {
            let json = ("content-type", "application/json");
            assert_eq!(
                check(Method::POST, &[("origin", origin), ("host", host), json]),
                Ok(()),
                "{origin} at {host}"
            );
        }
        let other_port = [
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:4646"),
        ];
        assert!(check(Method::POST, &other_port).is_err());
    }

    #[test]
    fn admitted_browsers_must_not_send_simple_body_types() {
        let err = check(
            Method::POST,
            &[
                ("origin", "https://ui.example:8443"),
                ("content-type", "Text/Plain; charset=utf-8"),
            ],
        )
        .expect_err("text/plain");
        assert!(err.starts_with("Browser write refused"), "{err}");
    }
}

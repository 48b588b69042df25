//! Web origins and `Host` headers, parsed for comparison.
//!
//! An origin is `scheme://host[:port]` (RFC 6454); two origins are the same
//! when scheme, host and port are equal, the port defaulting by scheme. A
//! `Host` header is `host[:port]`, an IPv6 host in brackets.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A web origin with its port resolved (`http://localhost` has port 80).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// Lowercase, without a trailing dot; an IPv6 address keeps its brackets.
    pub host: String,
    pub port: u16,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl Origin {
    /// Parses `http://host[:port]` or `https://...`; `None` for anything
    /// else (`null`, a path, user information, another scheme).
    pub fn parse(text: &str) -> Option<Origin> {
        let (scheme, rest) = text.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default = default_port(&scheme)?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return None;
        }
        let (host, port) = split_host_port(authority)?;
        Some(Origin {
            scheme,
            host,
            port: port.unwrap_or(default),
        })
    }

    /// Whether `host` (a parsed `Host` header) names this origin's host and
    /// port; a `Host` without a port has the scheme's default port.
    pub fn is_served_at(&self, host: &str, port: Option<u16>) -> bool {
        let port = port.or_else(|| default_port(&self.scheme));
        self.host == host && Some(self.port) == port
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if default_port(&self.scheme) == Some(self.port) {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// Splits `host[:port]` (a `Host` header or an origin's authority) into a
/// normalised host and the port, if one is given.
pub fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{inside}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bracketed = host.starts_with('[');
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || (c == ':' && !bracketed)) {
        return None;
    }
    Some((host, port))
}

/// An IP address written as one (`10.0.0.5`, `[::1]`): no DNS name, so no
/// name an attacker could point elsewhere.
pub fn is_ip_literal(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<Ipv6Addr>().is_ok())
}

/// `localhost` and its subdomains, which browsers resolve to loopback
/// themselves.
pub fn is_localhost(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_resolve_default_ports_and_case() {
        let o = Origin::parse("HTTP://UI.Example").expect("origin");
        assert_eq!(
            (o.scheme.as_str(), o.host.as_str(), o.port),
            ("http", "ui.example", 80)
        );
        assert_eq!(o.to_string(), "http://ui.example");
        let o = Origin::parse("https://[::1]:8443/").expect("origin");
        assert_eq!((o.host.as_str(), o.port), ("[::1]", 8443));
        assert_eq!(o.to_string(), "https://[::1]:8443");
        for bad in [
            "null",
            "ftp://x",
            "http://x/path",
            "http://u@x",
            "http://x:port",
            "x",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn hosts_compare_with_the_schemes_default_port() {
        let o = Origin::parse("http://localhost").expect("origin");
        assert!(o.is_served_at("localhost", None));
        assert!(o.is_served_at("localhost", Some(80)));
        assert!(!o.is_served_at("localhost", Some(4646)));
        assert_eq!(
            split_host_port("Evil.Example.:4646"),
            Some(("evil.example".into(), Some(4646)))
        );
        assert_eq!(
            split_host_port("[::1]:4646"),
            Some(("[::1]".into(), Some(4646)))
        );
        assert_eq!(split_host_port("[::1"), None);
        assert_eq!(split_host_port("a:b:c"), None);
    }

    #[test]
    fn ip_literals_and_localhost_are_recognised() {
        assert!(is_ip_literal("127.0.0.1") && is_ip_literal("[::1]"));
        assert!(!is_ip_literal("evil.example") && !is_ip_literal("127.0.0.1.nip.io"));
        assert!(is_localhost("localhost") && is_localhost("app.localhost"));
        assert!(!is_localhost("localhost.evil.example"));
    }
}

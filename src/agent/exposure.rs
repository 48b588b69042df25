//! The warning an agent gives when other hosts can reach it.
//!
//! Neither the HTTP API nor the Raft RPC port has authentication: whoever
//! connects can register jobs (which run commands on client nodes), drain
//! nodes or speak Raft. Outside `-dev` the agent binds every interface by
//! default, so it says so at start.

use std::net::SocketAddr;

/// The listeners among `listeners` that other hosts may reach: bound to
/// every interface or to an address other than loopback.
pub fn exposed(listeners: &[(&'static str, SocketAddr)]) -> Vec<(&'static str, SocketAddr)> {
    listeners
        .iter()
        .filter(|(_, addr)| !addr.ip().is_loopback())
        .copied()
        .collect()
}

/// Logs a warning naming every listener reachable from other hosts.
pub fn warn_if_exposed(http: SocketAddr, rpc: SocketAddr) {
    let open = exposed(&[("http", http), ("rpc", rpc)]);
    if open.is_empty() {
        return;
    }
    let listeners = open
        .iter()
        .map(|(what, addr)| format!("{what} {addr}"))
        .collect::<Vec<_>>()
        .join(", ");
    tracing::warn!(
        %listeners,
        "listening on non-loopback addresses with no access control: anyone who can reach \
         these ports can run jobs and change the cluster; keep them on a trusted network \
         or behind a firewall"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("socket address")
    }

    #[test]
    fn only_loopback_listeners_are_private() {
        let loopback = [
            ("http", addr("127.0.0.1:4646")),
            ("rpc", addr("[::1]:4647")),
        ];
        assert!(exposed(&loopback).is_empty());
        let everywhere = [
            ("http", addr("0.0.0.0:4646")),
            ("rpc", addr("127.0.0.1:4647")),
        ];
        assert_eq!(exposed(&everywhere), [("http", addr("0.0.0.0:4646"))]);
        let lan = [
            ("http", addr("127.0.0.1:4646")),
            ("rpc", addr("10.0.0.1:4647")),
        ];
        assert_eq!(exposed(&lan), [("rpc", addr("10.0.0.1:4647"))]);
        assert_eq!(exposed(&[("http", addr("[::]:4646"))]).len(), 1);
    }
}

//! Drover's own agents as Consul service instances, as Nomad registers
//! itself in Consul: the servers under `nomad` (each server's RPC address
//! tagged `rpc`, and the answering server's HTTP address tagged `http`;
//! the other servers' HTTP addresses are not in the replicated state, and
//! there is no gossip, so no `serf`), and each ready client node under
//! `nomad-client` at its HTTP address tagged `http`. Built at read time
//! from the Raft configuration and the node table: nothing is stored.

use super::shapes::{CLIENT_SERVICE, SERVER_SERVICE};
use crate::structs::{Node, ServiceRegistration};

/// A server of the Raft configuration.
#[derive(Clone, Debug)]
pub struct ServerAgent {
    pub id: String,
    pub rpc_addr: String,
    /// Known for the answering server only.
    pub http_addr: Option<String>,
}

fn split(addr: &str) -> (String, i64) {
    match addr.rsplit_once(':') {
        Some((h, p)) => (
            h.trim_matches(|c| c == '[' || c == ']').to_string(),
            p.parse().unwrap_or(0),
        ),
        None => (addr.to_string(), 0),
    }
}

fn instance(
    node: &str,
    dc: &str,
    service: &str,
    id: String,
    tag: &str,
    addr: &str,
) -> ServiceRegistration {
    let (address, port) = split(addr);
    ServiceRegistration {
        id,
        service_name: service.to_string(),
        namespace: "default".to_string(),
        node_id: node.to_string(),
        datacenter: dc.to_string(),
        tags: vec![tag.to_string()],
        address,
        port,
        provider: "consul".to_string(),
        ..ServiceRegistration::default()
    }
}

/// The instances of `name` among the agents of datacenter `dc`: the
/// servers' when `name` is `nomad` and `dc` is theirs, the ready nodes'
/// in `dc` when `name` is `nomad-client`, else none.
pub fn instances<'a>(
    name: &str,
    dc: &str,
    servers_dc: &str,
    servers: &[ServerAgent],
    nodes: impl Iterator<Item = &'a Node>,
) -> Vec<ServiceRegistration> {
    let mut out = Vec::new();
    if name == SERVER_SERVICE && dc == servers_dc {
        for s in servers {
            let node = format!("server-{}", s.id);
            if let Some(http) = &s.http_addr {
                let id = format!("_nomad-server-{}-http", s.id);
                out.push(instance(&node, dc, name, id, "http", http));
            }
            let id = format!("_nomad-server-{}-rpc", s.id);
            out.push(instance(&node, dc, name, id, "rpc", &s.rpc_addr));
        }
    }
    if name == CLIENT_SERVICE {
        for n in nodes.filter(|n| n.datacenter == dc && n.status == "ready") {
            let id = format!("_nomad-client-{}-http", n.id);
            let mut r = instance(&n.id, dc, name, id, "http", &n.http_addr);
            r.create_index = n.create_index;
            r.modify_index = n.modify_index;
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_ready_clients_are_instances() {
        let servers = vec![
            ServerAgent {
                id: "1".into(),
                rpc_addr: "10.0.0.1:4647".into(),
                http_addr: Some("10.0.0.1:4646".into()),
            },
            ServerAgent {
                id: "2".into(),
                rpc_addr: "10.0.0.2:4647".into(),
                http_addr: None,
            },
        ];
        let got = instances("nomad", "dc1", "dc1", &servers, std::iter::empty());
        let shown: Vec<(String, i64, Vec<String>)> = got
            .iter()
            .map(|r| (r.address.clone(), r.port, r.tags.clone()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("10.0.0.1".into(), 4646, vec!["http".into()]),
                ("10.0.0.1".into(), 4647, vec!["rpc".into()]),
                ("10.0.0.2".into(), 4647, vec!["rpc".into()]),
            ]
        );
        assert!(instances("nomad", "dc2", "dc1", &servers, std::iter::empty()).is_empty());

        let node = |id: &str, dc: &str, status: &str| Node {
            id: id.into(),
            datacenter: dc.into(),
            status: status.into(),
            http_addr: format!("127.0.1.{id}:4646"),
            ..Node::default()
        };
        let nodes = [
            node("1", "dc1", "ready"),
            node("2", "dc1", "down"),
            node("3", "dc2", "ready"),
        ];
        let got = instances("nomad-client", "dc1", "dc1", &servers, nodes.iter());
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].address.as_str(), got[0].port), ("127.0.1.1", 4646));
        assert_eq!(got[0].node_id, "1");
        assert!(instances("redis", "dc1", "dc1", &servers, nodes.iter()).is_empty());
    }
}

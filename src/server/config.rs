//! What a server needs to know about itself beyond Raft.

/// Identity and addresses of a server, as served by the agent endpoints.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub region: String,
    pub datacenter: String,
    /// The agent's node name (`server1`); members are `name.region`.
    pub node_name: String,
    /// The HTTP address other agents and clients reach this one on.
    pub http_addr: String,
    /// The Raft RPC address (`host:4647`).
    pub rpc_addr: String,
    pub bootstrap_expect: usize,
    /// Scheduling workers on the leader (default: one per core).
    pub num_schedulers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            region: "global".into(),
            datacenter: "dc1".into(),
            node_name: "server".into(),
            http_addr: "127.0.0.1:4646".into(),
            rpc_addr: "127.0.0.1:4647".into(),
            bootstrap_expect: 1,
            num_schedulers: default_workers(),
        }
    }
}

/// One scheduling worker per core.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

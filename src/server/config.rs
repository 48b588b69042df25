//! What a server needs to know about itself beyond Raft.

use std::time::Duration;

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
    /// The shortest heartbeat TTL given to clients (Nomad: 10 s).
    pub min_heartbeat_ttl: Duration,
    /// Heartbeats per second the servers aim for; the TTL grows with the
    /// number of nodes to stay under it (Nomad: 50).
    pub max_heartbeats_per_second: f64,
    /// Extra time past the TTL before a node is marked down (Nomad: 10 s).
    pub heartbeat_grace: Duration,
    /// Events the event stream keeps for subscribers (and resumes from).
    pub event_buffer_size: usize,
    /// An event stream with nothing to send writes `{}` this often
    /// (Nomad: 10 s).
    pub event_heartbeat: Duration,
    /// Garbage collection thresholds and intervals.
    pub gc: super::GcConfig,
}

impl ServerConfig {
    /// The TTL for a cluster of `nodes` nodes.
    pub fn heartbeat_ttl(&self, nodes: usize) -> Duration {
        let spread =
            Duration::from_secs_f64(nodes as f64 / self.max_heartbeats_per_second.max(1.0));
        self.min_heartbeat_ttl.max(spread)
    }
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
            min_heartbeat_ttl: Duration::from_secs(10),
            max_heartbeats_per_second: 50.0,
            heartbeat_grace: Duration::from_secs(10),
            event_buffer_size: crate::events::DEFAULT_BUFFER_EVENTS,
            event_heartbeat: Duration::from_secs(10),
            gc: super::GcConfig::default(),
        }
    }
}

/// One scheduling worker per core.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

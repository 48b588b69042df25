//! Configuration of one Raft server.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;
use crate::types::NodeId;

/// The default port of the server-to-server transport.
pub const DEFAULT_RPC_PORT: u16 = 4647;

/// How one server takes part in the Raft group.
#[derive(Clone, Debug)]
pub struct RaftConfig {
    /// Where the log, the vote and the snapshot live.
    pub data_dir: PathBuf,
    /// This server's identity. `None` reuses the one stored in `data_dir`,
    /// or draws a random one on first start and stores it.
    pub node_id: Option<NodeId>,
    /// The address other servers reach this one on (`host:port`).
    pub advertise_addr: String,
    /// The number of servers to wait for before forming a new cluster.
    /// `0` never forms one: the server only joins an existing cluster.
    pub bootstrap_expect: usize,
    /// Addresses of other servers, tried at start to form or join a cluster.
    pub retry_join: Vec<String>,
    /// How often to retry discovery and joining.
    pub retry_interval: Duration,
    /// Heartbeat interval of the leader.
    pub heartbeat_interval: Duration,
    /// Election timeout range; a follower that hears no leader for a random
    /// time in this range starts an election.
    pub election_timeout: (Duration, Duration),
    /// Take a snapshot every this many applied entries.
    pub snapshot_every: u64,
    /// Entries kept in the log behind the latest snapshot, so that a briefly
    /// lagging follower catches up from the log rather than by snapshot.
    pub logs_to_keep: u64,
    /// Most entries sent in one append RPC.
    pub max_payload_entries: u64,
}

impl RaftConfig {
    /// A configuration with production defaults.
    pub fn new(data_dir: impl Into<PathBuf>, advertise_addr: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            node_id: None,
            advertise_addr: advertise_addr.into(),
            bootstrap_expect: 1,
            retry_join: Vec::new(),
            retry_interval: Duration::from_millis(500),
            heartbeat_interval: Duration::from_millis(100),
            election_timeout: (Duration::from_millis(500), Duration::from_millis(1000)),
            snapshot_every: 8192,
            logs_to_keep: 1024,
            max_payload_entries: 64,
        }
    }

    /// Checks the configuration, naming the field and the rule it breaks.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &'static str, rule: String| Err(ConfigError { field, rule });
        if self.advertise_addr.parse::<std::net::SocketAddr>().is_err()
            && !self.advertise_addr.contains(':')
        {
            return bad(
                "advertise_addr",
                format!("{:?} must be host:port", self.advertise_addr),
            );
        }
        let (min, max) = self.election_timeout;
        if min <= self.heartbeat_interval {
            return bad(
                "election_timeout",
                "must be longer than heartbeat_interval".into(),
            );
        }
        if max <= min {
            return bad(
                "election_timeout",
                "the maximum must exceed the minimum".into(),
            );
        }
        if self.snapshot_every == 0 {
            return bad("snapshot_every", "must be at least 1".into());
        }
        if self.max_payload_entries == 0 {
            return bad("max_payload_entries", "must be at least 1".into());
        }
        if self.bootstrap_expect > 0 && self.bootstrap_expect > self.retry_join.len() + 1 {
            return bad(
                "bootstrap_expect",
                format!(
                    "expects {} servers but only {} addresses are known (this one and {} to join)",
                    self.bootstrap_expect,
                    self.retry_join.len() + 1,
                    self.retry_join.len()
                ),
            );
        }
        Ok(())
    }

    pub(crate) fn openraft_config(&self) -> Result<openraft::Config, ConfigError> {
        let ms = |d: Duration| d.as_millis() as u64;
        let config = openraft::Config {
            cluster_name: "drover".into(),
            heartbeat_interval: ms(self.heartbeat_interval),
            election_timeout_min: ms(self.election_timeout.0),
            election_timeout_max: ms(self.election_timeout.1),
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_every),
            max_in_snapshot_log_to_keep: self.logs_to_keep,
            max_payload_entries: self.max_payload_entries,
            replication_lag_threshold: self.snapshot_every.max(self.logs_to_keep),
            install_snapshot_timeout: 2000,
            ..Default::default()
        };
        config.validate().map_err(|e| ConfigError {
            field: "raft",
            rule: e.to_string(),
        })
    }
}

//! The server's metrics: one registry of handles shared through the
//! [`crate::server::Server`], rendered as Nomad's `/v1/metrics` JSON (the
//! go-metrics in-memory sink's shape) or Prometheus text.
//!
//! Chosen: a small registry of our own (atomic counters, min/max/sum
//! samples, gauges computed at scrape) instead of prometheus-client: the
//! JSON form needs every value read back (count, sum, min, max, mean,
//! stddev of each sample), which prometheus-client's encoders do not give,
//! and the set of metrics is fixed. Names are Nomad's dotted names; the
//! Prometheus form turns dots into underscores as Nomad's sink does
//! (`nomad.raft.commitTime` -> `nomad_raft_commitTime`). Counters and
//! samples are cumulative since start (Nomad's in-memory sink keeps 10 s
//! intervals). Times are milliseconds.

mod render;
mod sample;

pub use render::{Gauge, Snapshot, prometheus_text};
pub use sample::{Counter, LabeledSamples, Sample, SampleStats};

/// Every metric a server records.
#[derive(Default)]
pub struct Metrics {
    /// `nomad.server.propose`: a write proposed through this server until
    /// committed and applied here (forwarding to the leader included).
    /// `nomad.raft.commitTime` (per entry, on the leader) comes from the
    /// Raft layer ([`drover_raft::RaftNode::commit_stats`]).
    pub propose: Sample,
    /// `nomad.server.writes`: writes proposed through this server.
    pub writes: Counter,
    /// `nomad.plan.apply`: the leader's plan check and commit.
    pub plan_apply: Sample,
    /// `nomad.plan.submit`: plans the applier received.
    pub plans: Counter,
    /// `nomad.client.update_status` stands in: heartbeats received.
    pub heartbeats: Counter,
    /// `nomad.http.request{method,path}`: request times by route.
    pub http: LabeledSamples,
    /// `nomad.event.delivered`: events written to subscribers.
    pub events_delivered: Counter,
    /// `nomad.event.lag`: an entry seen applied until its frame is handed
    /// to a subscriber's connection.
    pub event_lag: Sample,
    /// `nomad.event.lagged`: subscriptions closed for falling behind.
    pub events_lagged: Counter,
}

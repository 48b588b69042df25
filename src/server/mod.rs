//! A Drover server: the Raft node, the replicated state, and the endpoints
//! that turn requests into commands.
//!
//! *Boundary*: endpoints stamp IDs and times, then propose one command; the
//! state machine decides (e.g. `-check-index`). Any server accepts any
//! request: writes are forwarded to the leader by the Raft layer, and
//! consistent reads wait on a read barrier so a follower serves them with
//! the leader's view.

pub mod autopilot;
mod config;
pub mod endpoints;
mod error;
pub mod evals;
mod gc_config;
pub mod leader;

use std::sync::Arc;
use std::time::Duration;

use drover_raft::{RaftConfig, RaftNode, WriteError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{ServerConfig, default_workers};
pub use error::ServerError;
pub use gc_config::GcConfig;

use crate::events::EventBuffer;
use crate::metrics::Metrics;
use crate::state::{Applied, Command, Fsm, State, StateHandle, decode_response};

/// A running server. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    raft: RaftNode,
    state: StateHandle,
    config: ServerConfig,
    duties: Arc<leader::Duties>,
    /// What this server last answered for each server's health.
    health: autopilot::HealthTracker,
    /// Recent events for `/v1/event/stream`, fed on every server.
    events: Arc<EventBuffer>,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
    tasks: TaskTracker,
}

/// How long a consistent read waits for the local state to catch up.
const READ_CATCH_UP: Duration = Duration::from_secs(10);

impl Server {
    /// Starts the Raft node on `rpc_listener` and the state machine.
    pub async fn start(
        config: ServerConfig,
        raft_config: RaftConfig,
        rpc_listener: TcpListener,
    ) -> Result<Self, drover_raft::StartError> {
        let (fsm, state) = Fsm::new();
        let raft = RaftNode::start_tcp(raft_config, fsm, rpc_listener).await?;
        let workers = config.num_schedulers;
        let events = EventBuffer::new(config.event_buffer_size);
        let server = Server {
            inner: Arc::new(Inner {
                raft,
                state,
                config,
                duties: Arc::new(leader::Duties::default()),
                health: autopilot::HealthTracker::new(crate::ids::now_nanos()),
                events,
                metrics: Arc::new(Metrics::default()),
                stop: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        };
        server.inner.tasks.spawn(leader::run(
            server.clone(),
            server.inner.duties.clone(),
            workers,
            server.inner.stop.clone(),
        ));
        server.inner.tasks.spawn(crate::events::follow(
            server.inner.state.clone(),
            server.inner.events.clone(),
            server.inner.stop.clone(),
        ));
        Ok(server)
    }

    /// The leader's scheduling machinery (idle on followers).
    pub fn duties(&self) -> &leader::Duties {
        &self.inner.duties
    }

    /// The event stream's buffer.
    pub fn events(&self) -> &Arc<EventBuffer> {
        &self.inner.events
    }

    /// This server's metric handles.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn raft(&self) -> &RaftNode {
        &self.inner.raft
    }

    /// The latest applied state on this server (a stale read).
    pub fn state(&self) -> &StateHandle {
        &self.inner.state
    }

    /// Commits `command` through the leader and returns its index and
    /// outcome.
    pub async fn propose(&self, command: &Command) -> Result<(u64, Applied), ServerError> {
        let bytes = command
            .encode()
            .map_err(|e| ServerError::Internal(format!("cannot encode command: {e}")))?;
        let started = std::time::Instant::now();
        let committed = self
            .inner
            .raft
            .write_forwarded(bytes)
            .await
            .map_err(write_error)?;
        self.inner.metrics.propose.observe(started.elapsed());
        self.inner.metrics.writes.inc();
        let applied = decode_response(&committed.response)?;
        // Let this server's readers see the write once it answers.
        self.inner
            .state
            .wait_applied(committed.index, READ_CATCH_UP)
            .await;
        Ok((committed.index, applied))
    }

    /// A state that includes every write committed before the call.
    pub async fn consistent_state(&self) -> Result<Arc<State>, ServerError> {
        // The barrier returns once this server has applied the read index
        // (blank and membership entries included, which the state machine
        // never sees), and apply publishes before it returns.
        self.inner.raft.read_barrier().await.map_err(write_error)?;
        Ok(self.inner.state.snapshot())
    }

    /// The servers' autopilot health, from the leader's replication
    /// figures (asked of the leader wherever it is) and this server's
    /// latest copy of the autopilot configuration.
    pub async fn cluster_health(&self) -> Result<crate::structs::OperatorHealthReply, ServerError> {
        let stats = self.inner.raft.cluster_stats().await.map_err(write_error)?;
        let config = self.inner.state.snapshot().autopilot_config();
        let me = self.inner.raft.id();
        let cfg = &self.inner.config;
        let name = |s: &drover_raft::ServerStats| {
            if s.id == me {
                format!("{}.{}", cfg.node_name, cfg.region)
            } else {
                format!("{}.{}", s.addr, cfg.region)
            }
        };
        Ok(autopilot::evaluate(
            &stats,
            &config,
            &self.inner.health,
            name,
            crate::ids::now_nanos(),
        ))
    }

    /// Whether a leader is known.
    pub fn known_leader(&self) -> bool {
        self.inner.raft.leader().borrow().is_some()
    }

    /// Stops leader duties, then Raft.
    pub async fn shutdown(&self) {
        self.inner.stop.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        self.inner.raft.shutdown().await;
    }
}

pub(crate) fn write_error(e: WriteError) -> ServerError {
    match e {
        WriteError::NoLeader | WriteError::ForwardToLeader(_) => ServerError::NoLeader,
        WriteError::Transport(t) => ServerError::Unavailable(t.to_string()),
        WriteError::Fatal(m) => ServerError::Internal(m),
    }
}

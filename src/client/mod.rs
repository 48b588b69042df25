//! The client role: makes this machine a node and runs its allocations.
//!
//! Modules, from the outside in: `config` (the `client { }` block),
//! `fingerprint` (what the node offers), `registration` (register and
//! heartbeat), `watcher` (pull this node's allocations), `alloc_runner`
//! (one per allocation), `task_runner` (one per task, with `restart`),
//! `task_spec`, `env` and `ports` (what a driver is given), `allocdir`
//! (directories), `logs` (rotated log files), `updates` (batched status
//! reports), `services` (service registrations and their health checks,
//! whose `check_restart` restarts tasks through the restart policy),
//! `state` (the local database), `driver` (docker, raw_exec) and
//! `http` (the `/v1/client/*` endpoints: logs, files, stats, restarts).
//!
//! Stopping the client leaves its tasks running: a client started again
//! on the same data directory re-attaches to them.

pub mod alloc_runner;
pub mod allocdir;
pub mod config;
mod dispatch_payload;
pub mod driver;
pub mod env;
pub mod fingerprint;
pub mod http;
pub mod logs;
pub mod ports;
mod registration;
pub mod restart;
pub mod services;
pub mod state;
pub mod task_events;
pub mod task_runner;
pub mod task_spec;
pub mod updates;
mod watcher;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

pub use config::ClientConfig;

use crate::api_client::ApiClient;
use crate::structs::{Allocation, Node};
use alloc_runner::{AllocCmd, AllocRunnerHandle, ControlError};
use driver::{Driver, DriverFingerprint, TaskUsage};
use state::{ClientState, Identity};
use updates::Updates;

/// Why the client could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Config(#[from] config::ClientConfigError),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] state::StateError),
    #[error(transparent)]
    Api(#[from] crate::api_client::ApiClientError),
}

/// What every part of the client shares.
pub struct ClientShared {
    pub config: ClientConfig,
    /// `<data_dir>/alloc`.
    pub alloc_base: PathBuf,
    pub state: ClientState,
    pub drivers: BTreeMap<String, Arc<dyn Driver>>,
    pub updates: Arc<Updates>,
    /// The node's service registrations, desired and pending.
    pub services: Arc<services::sync::ServiceSync>,
    pub identity: Identity,
    /// Calls on the node's behalf (they carry its secret).
    pub api: ApiClient,
    /// The servers as given (configuration, or `PUT /v1/agent/servers`);
    /// `api` talks to the same list, normalised.
    servers: RwLock<Vec<String>>,
    node: RwLock<Arc<Node>>,
    /// Set when the client stops its tasks on its way out: the watcher
    /// must not start a runner for an allocation just destroyed.
    closing: std::sync::atomic::AtomicBool,
    /// The allocation runners, by allocation ID.
    runners: Mutex<HashMap<String, AllocRunnerHandle>>,
}

impl ClientShared {
    /// Whether the client is stopping its tasks to exit.
    pub fn closing(&self) -> bool {
        self.closing.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The node as last fingerprinted.
    pub fn node(&self) -> Arc<Node> {
        match self.node.read() {
            Ok(n) => n.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set_node(&self, node: Node) {
        match self.node.write() {
            Ok(mut n) => *n = Arc::new(node),
            Err(p) => *p.into_inner() = Arc::new(node),
        }
    }

    /// The servers this client talks to, as given.
    pub fn servers(&self) -> Vec<String> {
        match self.servers.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replaces the servers this client talks to (`PUT
    /// /v1/agent/servers`); refused, changing nothing, when the list is
    /// empty or an address is not one.
    pub fn set_servers(
        &self,
        servers: Vec<String>,
    ) -> Result<(), crate::api_client::ApiClientError> {
        self.api.set_addresses(&servers)?;
        tracing::info!(servers = ?servers, "server list replaced");
        match self.servers.write() {
            Ok(mut s) => *s = servers,
            Err(p) => *p.into_inner() = servers,
        }
        Ok(())
    }

    /// The `Client` block of `/v1/agent/self`'s `config`.
    pub fn agent_config(&self) -> serde_json::Value {
        let node = self.node();
        serde_json::json!({
            "Enabled": true,
            "Servers": self.servers(),
            "NodeClass": node.node_class,
        })
    }

    /// The `client` block of `/v1/agent/self`'s `stats`.
    pub fn agent_stats(&self) -> serde_json::Value {
        serde_json::json!({
            "node_id": self.identity.node_id,
            "known_servers": self.servers().join(","),
            "num_allocations": self.runners().len().to_string(),
        })
    }

    pub fn driver_names(&self) -> String {
        self.drivers.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    async fn fingerprint_drivers(&self) -> BTreeMap<String, DriverFingerprint> {
        let mut out = BTreeMap::new();
        for (name, d) in &self.drivers {
            out.insert(name.clone(), d.fingerprint().await);
        }
        out
    }

    fn runners(&self) -> std::sync::MutexGuard<'_, HashMap<String, AllocRunnerHandle>> {
        match self.runners.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The allocations this client runs, as last received.
    pub fn allocations(&self) -> Vec<Arc<Allocation>> {
        self.runners().values().map(|r| r.alloc.clone()).collect()
    }

    /// The allocation `id`, when this client runs it (until it is
    /// destroyed: its directory exists as long as it is listed here).
    pub fn allocation(&self, id: &str) -> Option<Arc<Allocation>> {
        self.runners().get(id).map(|r| r.alloc.clone())
    }

    fn send(&self, alloc_id: &str, cmd: AllocCmd) -> Result<(), ControlError> {
        let runners = self.runners();
        let r = runners
            .get(alloc_id)
            .ok_or_else(|| ControlError::UnknownAlloc(alloc_id.to_string()))?;
        r.cmds.send(cmd).map_err(|_| ControlError::Stopped)
    }

    /// Restarts a task (or every running task) of an allocation.
    pub async fn restart(&self, alloc_id: &str, task: Option<String>) -> Result<(), ControlError> {
        let (tx, rx) = oneshot::channel();
        self.send(alloc_id, AllocCmd::Restart(task, tx))?;
        rx.await.map_err(|_| ControlError::Stopped)?
    }

    /// Signals a task (or every running task) of an allocation.
    pub async fn signal(
        &self,
        alloc_id: &str,
        task: Option<String>,
        signal: String,
    ) -> Result<(), ControlError> {
        let (tx, rx) = oneshot::channel();
        self.send(alloc_id, AllocCmd::Signal(task, signal, tx))?;
        rx.await.map_err(|_| ControlError::Stopped)?
    }

    /// The resource use of each running task of an allocation, with the
    /// time it was read (Unix nanoseconds). Tasks that are not running, or
    /// whose driver cannot say in time, are left out.
    pub async fn usage(
        &self,
        alloc_id: &str,
    ) -> Result<BTreeMap<String, (TaskUsage, i64)>, ControlError> {
        let (tx, rx) = oneshot::channel();
        self.send(alloc_id, AllocCmd::Live(tx))?;
        let tasks = rx.await.map_err(|_| ControlError::Stopped)?;
        let reads = tasks.into_iter().map(|(name, live)| async move {
            let live = tokio::time::timeout(LIVE_WAIT, live).await.ok()?.ok()??;
            let read = tokio::time::timeout(STATS_WAIT, live.driver.stats(&live.handle)).await;
            match read {
                Ok(Ok(usage)) => Some((name, (usage, crate::ids::now_nanos()))),
                Ok(Err(e)) => {
                    tracing::debug!(alloc = %alloc_id, task = %name, error = %e, "cannot read the task's resource use");
                    None
                }
                Err(_) => {
                    tracing::debug!(alloc = %alloc_id, task = %name, "the driver did not report resource use in time");
                    None
                }
            }
        });
        Ok(futures::future::join_all(reads)
            .await
            .into_iter()
            .flatten()
            .collect())
    }
}

/// How long a task runner may take to say what runs (it answers between
/// two steps, which are short except a stop under its kill timeout).
const LIVE_WAIT: Duration = Duration::from_secs(5);
/// How long a driver may take to read a task's resource use (Docker takes
/// two samples a second apart).
const STATS_WAIT: Duration = Duration::from_secs(10);

/// A running client.
pub struct Client {
    pub shared: Arc<ClientShared>,
    stop: CancellationToken,
    registered: watch::Receiver<bool>,
    loops: Vec<tokio::task::JoinHandle<()>>,
}

impl Client {
    /// Opens the state, fingerprints, re-attaches to the allocations the
    /// state holds, removes what the drivers run for this node that the
    /// state does not know, and starts registering and watching.
    pub async fn start(
        mut config: ClientConfig,
        drivers: BTreeMap<String, Arc<dyn Driver>>,
    ) -> Result<Client, ClientError> {
        config.apply_options();
        config.validate()?;
        let given = config.data_dir.clone();
        let data_dir = |source| ClientError::DataDir {
            path: given.clone(),
            source,
        };
        std::fs::create_dir_all(&given).map_err(data_dir)?;
        config.data_dir = std::fs::canonicalize(&given).map_err(data_dir)?;
        let alloc_base = config.data_dir.join("alloc");
        std::fs::create_dir_all(&alloc_base).map_err(data_dir)?;
        let state_dir = config.data_dir.join("client");
        let state = tokio::task::spawn_blocking(move || ClientState::open(&state_dir))
            .await
            .map_err(|e| state::StateError::Join(e.to_string()))??;
        let identity = state.identity()?;
        let api = ApiClient::builder(
            &config.servers,
            Some(identity.secret_id.clone()),
            crate::api_client::DEFAULT_TIMEOUT,
            4,
        )?;
        let shared = Arc::new(ClientShared {
            alloc_base,
            state,
            drivers,
            updates: Arc::new(Updates::default()),
            services: Arc::new(services::sync::ServiceSync::default()),
            api,
            servers: RwLock::new(config.servers.clone()),
            node: RwLock::new(Arc::new(Node::default())),
            closing: std::sync::atomic::AtomicBool::new(false),
            runners: Mutex::new(HashMap::new()),
            identity,
            config,
        });
        let fps = shared.fingerprint_drivers().await;
        shared.set_node(fingerprint::node(
            &shared.config,
            &shared.identity.node_id,
            &shared.identity.secret_id,
            &fps,
        ));
        let stop = CancellationToken::new();
        restore(&shared, &stop).await?;

        let (reg_tx, reg_rx) = watch::channel(false);
        let loops = vec![
            tokio::spawn(registration::run(shared.clone(), reg_tx, stop.clone())),
            tokio::spawn(watcher::run(shared.clone(), reg_rx.clone(), stop.clone())),
            tokio::spawn(updates::run(
                shared.updates.clone(),
                shared.api.clone(),
                shared.identity.node_id.clone(),
                stop.clone(),
            )),
            tokio::spawn(services::sync::run(
                shared.services.clone(),
                shared.api.clone(),
                shared.identity.node_id.clone(),
                stop.clone(),
            )),
        ];
        tracing::info!(node = %shared.identity.node_id, name = %shared.node().name, drivers = %shared.driver_names(), "client started");
        Ok(Client {
            shared,
            stop,
            registered: reg_rx,
            loops,
        })
    }

    pub fn node_id(&self) -> &str {
        &self.shared.identity.node_id
    }

    /// Waits until the servers accepted the node's registration.
    pub async fn registered(&self, timeout: Duration) -> bool {
        let mut rx = self.registered.clone();
        tokio::time::timeout(timeout, rx.wait_for(|r| *r))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Stops every allocation (its tasks are killed and its directory
    /// removed), then the client. For an agent whose data directory goes
    /// away with it (`-dev` without `-data-dir`): nothing could re-attach.
    pub async fn shutdown_and_stop_tasks(self) {
        self.shared
            .closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let runners: Vec<_> = self.shared.runners().drain().collect();
        for (_, r) in runners {
            let (tx, rx) = oneshot::channel();
            if r.cmds.send(AllocCmd::Destroy(tx)).is_ok() {
                let _ = rx.await;
            }
        }
        self.shutdown().await;
    }

    /// Stops the client's loops and runners, leaving the tasks running.
    /// Pending reports are given a moment to go out first.
    pub async fn shutdown(self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while !self.shared.updates.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.stop.cancel();
        for l in self.loops {
            let _ = l.await;
        }
        let runners: Vec<_> = self.shared.runners().drain().map(|(_, r)| r.done).collect();
        for r in runners {
            let _ = r.await;
        }
        if let Err(e) = self.shared.state.flush() {
            tracing::warn!(error = %e, "cannot flush the client state");
        }
        tracing::info!("client stopped");
    }
}

/// Re-attaches to the allocations in the state, then removes what the
/// drivers run for this node that belongs to none of them.
async fn restore(shared: &Arc<ClientShared>, stop: &CancellationToken) -> Result<(), ClientError> {
    let stored = shared.state.load()?;
    let mut known = std::collections::HashSet::new();
    for (alloc, tasks) in stored {
        known.insert(alloc.id.clone());
        let alloc = Arc::new(alloc);
        let handle = alloc_runner::spawn(shared.clone(), alloc.clone(), tasks, stop.child_token());
        shared.runners().insert(alloc.id.clone(), handle);
    }
    if !known.is_empty() {
        tracing::info!(
            allocs = known.len(),
            "restored allocations from the client state"
        );
    }
    for d in shared.drivers.values() {
        for h in d.owned(&shared.identity.node_id).await {
            let alloc = h.details.get("alloc_id").cloned().unwrap_or_default();
            if known.contains(&alloc) {
                continue;
            }
            tracing::info!(driver = d.name(), id = %h.id, alloc, "removing a task of an allocation this client no longer has");
            let _ = d.stop(&h, "", Duration::from_secs(5)).await;
            if let Err(e) = d.destroy(&h).await {
                tracing::warn!(driver = d.name(), id = %h.id, error = %e, "cannot remove a leftover task");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod alloc_runner_tests;
#[cfg(test)]
mod task_runner_tests;

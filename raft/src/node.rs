//! One Raft server: start, writes, membership, leadership watch, shutdown.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drover_storage::{Db, SledLogStore, SnapshotFile};
use futures::future::BoxFuture;
use openraft::error::{ClientWriteError, RaftError};
use openraft::{BasicNode, ChangeMembers};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::batcher::Batcher;
use crate::config::RaftConfig;
use crate::contacts::Contacts;
use crate::error::{JoinError, Leader, MembershipError, StartError, WriteError};
use crate::health::ClusterStats;
use crate::join::Joined;
use crate::network::NetworkFactory;
use crate::node_id;
use crate::resumed::Resumed;
use crate::rpc::{Committed, NodeInfo, RemoteFailure, RpcRequest, RpcResponse};
use crate::sm_store::SmStore;
use crate::state_machine::StateMachine;
use crate::transport::{RpcHandler, Transport, TransportError, tcp};
use crate::types::{NodeId, Raft};
use serde_bytes::ByteBuf;

/// How long a forwarded write or membership change may take.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write waits for a leader to appear before giving up.
const LEADER_WAIT: Duration = Duration::from_secs(5);

/// A running Raft server. Cheap to clone.
#[derive(Clone)]
pub struct RaftNode {
    inner: Arc<NodeInner>,
}

pub(crate) struct NodeInner {
    pub(crate) id: NodeId,
    pub(crate) addr: String,
    pub(crate) raft: Raft,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) config: RaftConfig,
    leader_rx: watch::Receiver<Option<Leader>>,
    batcher: Batcher,
    pub(crate) shutdown: CancellationToken,
    tasks: TaskTracker,
    pub(crate) formation_error: Mutex<Option<String>>,
    /// Set when this server was restored as leader at start.
    resumed: Option<Resumed>,
    /// When each other server last answered this one as leader.
    pub(crate) contacts: Contacts,
    /// Addresses given to `join` while neither side was in a cluster:
    /// formation asks them as it asks `retry_join`.
    peers: Mutex<Vec<String>>,
}

impl RaftNode {
    /// Commit times of the entries this server proposed as leader.
    pub fn commit_stats(&self) -> crate::CommitStats {
        self.inner.batcher.commit_stats()
    }

    /// Starts a server whose peers are reached through `transport`. The
    /// caller routes incoming requests to [`RaftNode::rpc_handler`].
    pub async fn start<S: StateMachine>(
        config: RaftConfig,
        sm: S,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let raft_config = Arc::new(config.openraft_config()?);
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let db = open_db(&config.data_dir.join("raft")).await?;
        let mut log_store = SledLogStore::open(&db)?;
        let mut sm_store =
            SmStore::open(sm, SnapshotFile::new(config.data_dir.join("snapshot.bin")))?;
        let id = node_id::establish(&config, &mut log_store, &mut sm_store).await?;
        let resumed = Resumed::load(&mut log_store, id).await?;
        if let Some(r) = &resumed {
            tracing::info!(node_id = id, resumed = ?r, "restored as leader; reads wait for the log's end at start");
        }
        let contacts = Contacts::default();
        let raft = Raft::new(
            id,
            raft_config,
            NetworkFactory::new(transport.clone(), contacts.clone()),
            log_store,
            sm_store,
        )
        .await
        .map_err(|e| StartError::Raft(e.to_string()))?;

        let (leader_tx, leader_rx) = watch::channel(None);
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let batcher = Batcher::start(raft.clone(), &tasks, shutdown.clone());
        let inner = Arc::new(NodeInner {
            id,
            addr: config.advertise_addr.clone(),
            raft,
            transport,
            config,
            leader_rx,
            batcher,
            shutdown,
            tasks,
            formation_error: Mutex::new(None),
            resumed,
            contacts,
            peers: Mutex::new(Vec::new()),
        });
        inner.tasks.spawn(watch_leader(
            inner.raft.clone(),
            leader_tx,
            inner.shutdown.clone(),
        ));
        inner.tasks.spawn(crate::bootstrap::run(inner.clone()));
        tracing::info!(node_id = id, addr = %inner.addr, "raft server started");
        Ok(Self { inner })
    }

    /// Starts a server on the real TCP transport, serving Raft RPCs on
    /// `listener` until shutdown.
    pub async fn start_tcp<S: StateMachine>(
        config: RaftConfig,
        sm: S,
        listener: TcpListener,
    ) -> Result<Self, StartError> {
        let node = Self::start(config, sm, Arc::new(tcp::TcpTransport::new())).await?;
        let handler = node.rpc_handler();
        let shutdown = node.inner.shutdown.clone();
        node.inner
            .tasks
            .spawn(tcp::serve(listener, handler, shutdown));
        Ok(node)
    }

    pub fn id(&self) -> NodeId {
        self.inner.id
    }

    pub fn addr(&self) -> &str {
        &self.inner.addr
    }

    /// The openraft handle, for metrics and waits.
    pub fn raft(&self) -> &Raft {
        &self.inner.raft
    }

    /// The handler that answers requests addressed to this server.
    pub fn rpc_handler(&self) -> Arc<dyn RpcHandler> {
        self.inner.clone()
    }

    /// Watches the leader as this server knows it.
    pub fn leader(&self) -> watch::Receiver<Option<Leader>> {
        self.inner.leader_rx.clone()
    }

    pub fn is_leader(&self) -> bool {
        self.inner
            .leader_rx
            .borrow()
            .as_ref()
            .is_some_and(|l| l.id == self.inner.id)
    }

    /// Why this server could not form or join a cluster, if it could not.
    pub fn formation_error(&self) -> Option<String> {
        self.inner
            .formation_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What this server knows of itself and the cluster.
    pub fn info(&self) -> NodeInfo {
        self.inner.info()
    }

    /// Commits `command` if this server is the leader.
    pub async fn write(&self, command: Vec<u8>) -> Result<Committed, WriteError> {
        self.inner.write_local(command).await
    }

    /// Commits `command`, forwarding it to the leader if this server is not
    /// the leader, and waiting briefly for one if none is known.
    pub async fn write_forwarded(&self, command: Vec<u8>) -> Result<Committed, WriteError> {
        let deadline = tokio::time::Instant::now() + LEADER_WAIT;
        let mut leader_rx = self.inner.leader_rx.clone();
        loop {
            let leader = leader_rx.borrow_and_update().clone();
            let result = match leader {
                Some(l) if l.id == self.inner.id => self.inner.write_local(command.clone()).await,
                Some(l) => self.inner.forward_write(&l.addr, command.clone()).await,
                None => Err(WriteError::NoLeader),
            };
            match result {
                Err(WriteError::NoLeader | WriteError::ForwardToLeader(_))
                    if tokio::time::Instant::now() < deadline =>
                {
                    let _ = tokio::time::timeout_at(deadline, leader_rx.changed()).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                // The leader we knew is gone (nothing was sent): wait for
                // the group to notice and elect another.
                Err(WriteError::Transport(TransportError::Unreachable { .. })) => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(WriteError::NoLeader);
                    }
                    let _ = tokio::time::timeout_at(deadline, leader_rx.changed()).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    /// Waits until this server, as leader, may serve a linearizable read.
    pub async fn ensure_linearizable(&self) -> Result<(), WriteError> {
        self.inner.read_index_local().await.map(|_| ())
    }

    /// Waits until this server's state machine holds every write committed
    /// before the call, so a read of it is linearizable: the leader confirms
    /// its leadership with a quorum and names its commit index (the "read
    /// index"); a follower asks the leader for it and waits until it has
    /// applied that far. Waits briefly for a leader if none is known.
    pub async fn read_barrier(&self) -> Result<u64, WriteError> {
        let deadline = tokio::time::Instant::now() + LEADER_WAIT;
        let mut leader_rx = self.inner.leader_rx.clone();
        loop {
            let leader = leader_rx.borrow_and_update().clone();
            let result = match leader {
                Some(l) if l.id == self.inner.id => self.inner.read_index_local().await,
                Some(l) => match self.inner.remote_read_index(&l.addr).await {
                    Ok(index) => self
                        .inner
                        .wait_applied(index, deadline)
                        .await
                        .map(|_| index),
                    Err(e) => Err(e),
                },
                None => Err(WriteError::NoLeader),
            };
            match result {
                Err(WriteError::NoLeader | WriteError::ForwardToLeader(_))
                    if tokio::time::Instant::now() < deadline =>
                {
                    let _ = tokio::time::timeout_at(deadline, leader_rx.changed()).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                // The leader we knew is gone (nothing was sent): wait for
                // the group to notice and elect another.
                Err(WriteError::Transport(TransportError::Unreachable { .. })) => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(WriteError::NoLeader);
                    }
                    let _ = tokio::time::timeout_at(deadline, leader_rx.changed()).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    /// Adds a voting server, through the leader wherever it is.
    pub async fn add_server(&self, id: NodeId, addr: String) -> Result<(), MembershipError> {
        self.inner
            .membership_via_leader(RpcRequest::Join { id, addr })
            .await
    }

    /// Removes a server, through the leader wherever it is.
    pub async fn remove_server(&self, id: NodeId) -> Result<(), MembershipError> {
        self.inner
            .membership_via_leader(RpcRequest::Leave { id })
            .await
    }

    /// Joins the server at `addr` (its RPC address) and this one into one
    /// cluster, as far as Raft allows (see [`crate::join`]).
    pub async fn join(&self, addr: &str) -> Result<Joined, JoinError> {
        self.inner.join(addr).await
    }

    /// The group's replication as the leader sees it, asked of the leader
    /// wherever it is; waits briefly for a leader if none is known.
    pub async fn cluster_stats(&self) -> Result<ClusterStats, WriteError> {
        let deadline = tokio::time::Instant::now() + LEADER_WAIT;
        loop {
            let leader = self.inner.leader_rx.borrow().clone();
            let result = match leader {
                Some(l) if l.id == self.inner.id => self.inner.cluster_stats_local(),
                Some(l) => match self
                    .inner
                    .transport
                    .call(&l.addr, RpcRequest::Health, FORWARD_TIMEOUT)
                    .await?
                {
                    RpcResponse::Health(r) => r,
                    other => {
                        return Err(WriteError::Fatal(format!("unexpected response {other:?}")));
                    }
                },
                None => Err(RemoteFailure::NoLeader),
            };
            match result {
                Ok(stats) => return Ok(stats),
                Err(RemoteFailure::NoLeader | RemoteFailure::NotLeader { .. })
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(RemoteFailure::NoLeader | RemoteFailure::NotLeader { .. }) => {
                    return Err(WriteError::NoLeader);
                }
                Err(e) => return Err(WriteError::Fatal(e.to_string())),
            }
        }
    }

    /// Stops background tasks and Raft, and releases the data directory.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        if let Err(e) = self.inner.raft.shutdown().await {
            tracing::warn!(error = %e, "raft did not shut down cleanly");
        }
        tracing::info!(node_id = self.inner.id, "raft server stopped");
    }
}

/// Opens the sled database, waiting briefly if a previous instance in this
/// process is still releasing its lock (sled locks the directory).
async fn open_db(path: &std::path::Path) -> Result<Db, StartError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match Db::open(path) {
            Ok(db) => return Ok(db),
            Err(e)
                if e.to_string().contains("WouldBlock")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn watch_leader(raft: Raft, tx: watch::Sender<Option<Leader>>, shutdown: CancellationToken) {
    let mut metrics = raft.metrics();
    loop {
        let leader = {
            let m = metrics.borrow_and_update();
            m.current_leader.and_then(|id| {
                m.membership_config
                    .membership()
                    .get_node(&id)
                    .map(|n| Leader {
                        id,
                        addr: n.addr.clone(),
                    })
            })
        };
        tx.send_if_modified(|cur| {
            if *cur != leader {
                tracing::info!(leader = ?leader.as_ref().map(|l| l.id), "leader changed");
                *cur = leader;
                true
            } else {
                false
            }
        });
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = metrics.changed() => if changed.is_err() { return },
        }
    }
}

impl NodeInner {
    pub(crate) fn info(&self) -> NodeInfo {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        NodeInfo {
            id: self.id,
            addr: self.addr.clone(),
            initialized: m.membership_config.log_id().is_some(),
            leader: self
                .leader_rx
                .borrow()
                .as_ref()
                .map(|l| (l.id, l.addr.clone())),
            voters: membership
                .nodes()
                .filter(|(id, _)| voters.contains(id))
                .map(|(id, n)| (*id, n.addr.clone()))
                .collect(),
        }
    }

    fn forward_error(&self, leader_id: Option<NodeId>, node: Option<BasicNode>) -> WriteError {
        match (leader_id, node) {
            (Some(id), Some(n)) => WriteError::ForwardToLeader(Some(Leader { id, addr: n.addr })),
            (Some(_), None) => WriteError::ForwardToLeader(None),
            _ => WriteError::NoLeader,
        }
    }

    async fn write_local(&self, command: Vec<u8>) -> Result<Committed, WriteError> {
        self.batcher.write(command).await
    }

    async fn forward_write(&self, addr: &str, command: Vec<u8>) -> Result<Committed, WriteError> {
        let resp = self
            .transport
            .call(
                addr,
                RpcRequest::Write(ByteBuf::from(command)),
                FORWARD_TIMEOUT,
            )
            .await?;
        match resp {
            RpcResponse::Write(Ok(c)) => Ok(c),
            RpcResponse::Write(Err(RemoteFailure::NotLeader { leader })) => Err(
                WriteError::ForwardToLeader(leader.map(|(id, addr)| Leader { id, addr })),
            ),
            RpcResponse::Write(Err(RemoteFailure::NoLeader)) => Err(WriteError::NoLeader),
            RpcResponse::Write(Err(e)) => Err(WriteError::Fatal(e.to_string())),
            other => Err(WriteError::Fatal(format!("unexpected response {other:?}"))),
        }
    }

    /// The read index, on the leader; openraft also waits until this
    /// server has applied it.
    async fn read_index_local(&self) -> Result<u64, WriteError> {
        let index = match self.raft.ensure_linearizable().await {
            Ok(log_id) => log_id.map(|l| l.index).unwrap_or(0),
            Err(e) => return Err(self.read_index_error(e)),
        };
        // A leader restored at start may know an older commit index than
        // the writes it acknowledged before it stopped (see `resumed`).
        let term = self.raft.metrics().borrow().current_term;
        match self.resumed.and_then(|r| r.floor(term)) {
            Some(floor) if floor > index => {
                tracing::debug!(index, floor, "read index raised to the log's end at start");
                let deadline = tokio::time::Instant::now() + LEADER_WAIT;
                self.wait_applied(floor, deadline).await?;
                Ok(floor)
            }
            _ => Ok(index),
        }
    }

    fn read_index_error(
        &self,
        e: RaftError<NodeId, openraft::error::CheckIsLeaderError<NodeId, BasicNode>>,
    ) -> WriteError {
        match e {
            RaftError::APIError(e) => match e {
                openraft::error::CheckIsLeaderError::ForwardToLeader(f) => {
                    self.forward_error(f.leader_id, f.leader_node)
                }
                openraft::error::CheckIsLeaderError::QuorumNotEnough(_) => WriteError::NoLeader,
            },
            RaftError::Fatal(f) => WriteError::Fatal(f.to_string()),
        }
    }

    async fn remote_read_index(&self, addr: &str) -> Result<u64, WriteError> {
        match self
            .transport
            .call(addr, RpcRequest::ReadIndex, FORWARD_TIMEOUT)
            .await?
        {
            RpcResponse::ReadIndex(Ok(index)) => Ok(index),
            RpcResponse::ReadIndex(Err(RemoteFailure::NotLeader { leader })) => Err(
                WriteError::ForwardToLeader(leader.map(|(id, addr)| Leader { id, addr })),
            ),
            RpcResponse::ReadIndex(Err(RemoteFailure::NoLeader)) => Err(WriteError::NoLeader),
            RpcResponse::ReadIndex(Err(e)) => Err(WriteError::Fatal(e.to_string())),
            other => Err(WriteError::Fatal(format!("unexpected response {other:?}"))),
        }
    }

    /// Waits until this server has applied `index`.
    async fn wait_applied(
        &self,
        index: u64,
        deadline: tokio::time::Instant,
    ) -> Result<(), WriteError> {
        let timeout = deadline.saturating_duration_since(tokio::time::Instant::now());
        self.raft
            .wait(Some(timeout.max(Duration::from_millis(100))))
            .applied_index_at_least(Some(index), "read barrier")
            .await
            .map(|_| ())
            .map_err(|_| WriteError::NoLeader)
    }

    pub(crate) fn not_leader(&self) -> RemoteFailure {
        match self.leader_rx.borrow().as_ref() {
            Some(l) if l.id != self.id => RemoteFailure::NotLeader {
                leader: Some((l.id, l.addr.clone())),
            },
            _ => RemoteFailure::NoLeader,
        }
    }

    /// Sends a membership request to the leader (or handles it here when
    /// this server leads), waiting briefly for a leader if none is known.
    pub(crate) async fn membership_via_leader(
        &self,
        req: RpcRequest,
    ) -> Result<(), MembershipError> {
        let deadline = tokio::time::Instant::now() + LEADER_WAIT;
        loop {
            let leader = self.leader_rx.borrow().clone();
            let result = match (&leader, &req) {
                (Some(l), RpcRequest::Join { id, addr }) if l.id == self.id => {
                    self.add_server_local(*id, addr.clone()).await
                }
                (Some(l), RpcRequest::Leave { id }) if l.id == self.id => {
                    self.remove_server_local(*id).await
                }
                (Some(l), _) => {
                    let req = match &req {
                        RpcRequest::Join { id, addr } => RpcRequest::Join {
                            id: *id,
                            addr: addr.clone(),
                        },
                        RpcRequest::Leave { id } => RpcRequest::Leave { id: *id },
                        _ => return Err(MembershipError::Raft("not a membership request".into())),
                    };
                    match self.transport.call(&l.addr, req, FORWARD_TIMEOUT).await? {
                        RpcResponse::Join(r) | RpcResponse::Leave(r) => r,
                        other => Err(RemoteFailure::Other(format!(
                            "unexpected response {other:?}"
                        ))),
                    }
                }
                (None, _) => Err(RemoteFailure::NoLeader),
            };
            match result {
                Err(
                    RemoteFailure::NoLeader
                    | RemoteFailure::NotLeader { .. }
                    | RemoteFailure::MembershipChangeInProgress,
                ) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other.map_err(MembershipError::from),
            }
        }
    }

    /// Adds a voter; this server must be the leader. Adding a server that
    /// is already a voter at the same address succeeds and changes nothing.
    pub(crate) async fn add_server_local(
        &self,
        id: NodeId,
        addr: String,
    ) -> Result<(), RemoteFailure> {
        let metrics = self.raft.metrics().borrow().clone();
        if metrics.current_leader != Some(self.id) {
            return Err(self.not_leader());
        }
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        for (nid, node) in membership.nodes() {
            if *nid == id && node.addr != addr {
                return Err(RemoteFailure::IdClash {
                    id,
                    existing_addr: node.addr.clone(),
                });
            }
            if *nid != id && node.addr == addr {
                return Err(RemoteFailure::AddrClash {
                    addr,
                    existing_id: *nid,
                });
            }
        }
        if voters.contains(&id) {
            return Ok(());
        }
        tracing::info!(node_id = id, %addr, "adding server");
        self.raft
            .add_learner(id, BasicNode::new(addr), true)
            .await
            .map_err(|e| self.membership_failure(e))?;
        self.raft
            .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])), false)
            .await
            .map_err(|e| self.membership_failure(e))?;
        Ok(())
    }

    pub(crate) async fn remove_server_local(&self, id: NodeId) -> Result<(), RemoteFailure> {
        let metrics = self.raft.metrics().borrow().clone();
        if metrics.current_leader != Some(self.id) {
            return Err(self.not_leader());
        }
        let membership = metrics.membership_config.membership();
        if membership.get_node(&id).is_none() {
            return Ok(());
        }
        tracing::info!(node_id = id, "removing server");
        self.raft
            .change_membership(ChangeMembers::RemoveVoters(BTreeSet::from([id])), false)
            .await
            .map_err(|e| self.membership_failure(e))?;
        Ok(())
    }

    fn membership_failure(
        &self,
        e: RaftError<NodeId, ClientWriteError<NodeId, BasicNode>>,
    ) -> RemoteFailure {
        match e {
            RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => RemoteFailure::NotLeader {
                leader: f.leader_id.zip(f.leader_node.map(|n| n.addr)),
            },
            RaftError::APIError(ClientWriteError::ChangeMembershipError(
                openraft::error::ChangeMembershipError::InProgress(_),
            )) => RemoteFailure::MembershipChangeInProgress,
            other => RemoteFailure::Other(other.to_string()),
        }
    }

    /// Adds `addr` to the addresses formation asks (once).
    pub(crate) fn remember_peer(&self, addr: String) {
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        if !peers.contains(&addr) {
            peers.push(addr);
        }
    }

    /// The addresses formation asks: `retry_join` and those given to
    /// `join`.
    pub(crate) fn discovery_addrs(&self) -> Vec<String> {
        let peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        let mut addrs = self.config.retry_join.clone();
        for addr in peers.iter() {
            if !addrs.contains(addr) {
                addrs.push(addr.clone());
            }
        }
        addrs
    }

    pub(crate) fn initial_members(&self) -> BTreeMap<NodeId, BasicNode> {
        BTreeMap::from([(self.id, BasicNode::new(self.addr.clone()))])
    }
}

fn raft_err_json<E: serde::Serialize>(e: &E) -> String {
    serde_json::to_string(e).unwrap_or_else(|err| format!("\"unencodable error: {err}\""))
}

impl RpcHandler for NodeInner {
    fn handle(&self, req: RpcRequest) -> BoxFuture<'_, RpcResponse> {
        Box::pin(async move {
            match req {
                RpcRequest::AppendEntries(r) => RpcResponse::AppendEntries(
                    self.raft
                        .append_entries(r)
                        .await
                        .map_err(|e| raft_err_json(&e)),
                ),
                RpcRequest::Vote(r) => {
                    RpcResponse::Vote(self.raft.vote(r).await.map_err(|e| raft_err_json(&e)))
                }
                RpcRequest::InstallSnapshot(r) => RpcResponse::InstallSnapshot(
                    self.raft
                        .install_snapshot(r)
                        .await
                        .map_err(|e| raft_err_json(&e)),
                ),
                RpcRequest::Info => RpcResponse::Info(self.info()),
                RpcRequest::Join { id, addr } => {
                    RpcResponse::Join(self.add_server_local(id, addr).await)
                }
                RpcRequest::Leave { id } => RpcResponse::Leave(self.remove_server_local(id).await),
                RpcRequest::Write(cmd) => {
                    RpcResponse::Write(match self.write_local(cmd.into_vec()).await {
                        Ok(c) => Ok(c),
                        Err(WriteError::ForwardToLeader(l)) => Err(RemoteFailure::NotLeader {
                            leader: l.map(|l| (l.id, l.addr)),
                        }),
                        Err(WriteError::NoLeader) => Err(RemoteFailure::NoLeader),
                        Err(e) => Err(RemoteFailure::Other(e.to_string())),
                    })
                }
                RpcRequest::Health => RpcResponse::Health(self.cluster_stats_local()),
                RpcRequest::Discover { addr } => {
                    self.remember_peer(addr);
                    RpcResponse::Discover
                }
                RpcRequest::ReadIndex => {
                    RpcResponse::ReadIndex(match self.read_index_local().await {
                        Ok(index) => Ok(index),
                        Err(WriteError::ForwardToLeader(l)) => Err(RemoteFailure::NotLeader {
                            leader: l.map(|l| (l.id, l.addr)),
                        }),
                        Err(WriteError::NoLeader) => Err(RemoteFailure::NoLeader),
                        Err(e) => Err(RemoteFailure::Other(e.to_string())),
                    })
                }
            }
        })
    }
}

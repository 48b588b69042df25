//! openraft's network traits implemented over a [`Transport`].
//!
//! Every answer a peer gives to an append or a snapshot chunk is recorded
//! in [`Contacts`]: on the leader that is when it last heard from each
//! server, which openraft 0.9's metrics do not say (the operator's health
//! report reads it).

use std::sync::Arc;

use openraft::BasicNode;
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;

use crate::contacts::Contacts;
use crate::rpc::{RpcRequest, RpcResponse};
use crate::transport::{Transport, TransportError};
use crate::types::{NodeId, TypeConfig};

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>;

/// Builds one [`Peer`] per target server.
pub struct NetworkFactory {
    transport: Arc<dyn Transport>,
    contacts: Contacts,
}

impl NetworkFactory {
    /// Peers reached through `transport`; their answers are recorded in
    /// `contacts`.
    pub fn new(transport: Arc<dyn Transport>, contacts: Contacts) -> Self {
        Self {
            transport,
            contacts,
        }
    }
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> Peer {
        Peer {
            target,
            addr: node.addr.clone(),
            transport: self.transport.clone(),
            contacts: self.contacts.clone(),
        }
    }
}

/// The link to one other server.
pub struct Peer {
    target: NodeId,
    addr: String,
    transport: Arc<dyn Transport>,
    contacts: Contacts,
}

impl Peer {
    async fn send<E>(&self, req: RpcRequest, option: &RPCOption) -> RpcResult<RpcResponse, E>
    where
        E: std::error::Error,
    {
        self.transport
            .call(&self.addr, req, option.hard_ttl())
            .await
            .map_err(|e| match e {
                TransportError::Unreachable { .. } => RPCError::Unreachable(Unreachable::new(&e)),
                _ => RPCError::Network(NetworkError::new(&e)),
            })
    }

    fn remote<T, E>(&self, res: Result<T, String>) -> RpcResult<T, E>
    where
        E: std::error::Error + DeserializeOwned,
    {
        res.map_err(
            |json| match serde_json::from_str::<RaftError<NodeId, E>>(&json) {
                Ok(err) => RPCError::RemoteError(RemoteError::new(self.target, err)),
                Err(e) => RPCError::Network(NetworkError::new(&std::io::Error::other(format!(
                    "undecodable remote error {json:?}: {e}"
                )))),
            },
        )
    }
}

fn unexpected<E: std::error::Error>(
    resp: &RpcResponse,
) -> RPCError<NodeId, BasicNode, RaftError<NodeId, E>> {
    RPCError::Network(NetworkError::new(&std::io::Error::other(format!(
        "unexpected response {resp:?}"
    ))))
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        match self.send(RpcRequest::AppendEntries(rpc), &option).await? {
            RpcResponse::AppendEntries(res) => {
                self.contacts.heard_from(self.target);
                self.remote(res)
            }
            other => Err(unexpected(&other)),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        match self.send(RpcRequest::InstallSnapshot(rpc), &option).await? {
            RpcResponse::InstallSnapshot(res) => {
                self.contacts.heard_from(self.target);
                self.remote(res)
            }
            other => Err(unexpected(&other)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>> {
        match self.send(RpcRequest::Vote(rpc), &option).await? {
            RpcResponse::Vote(res) => self.remote(res),
            other => Err(unexpected(&other)),
        }
    }
}

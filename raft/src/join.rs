//! Joining a server by its address, for `nomad server join`.
//!
//! Nomad joins a gossip pool and lets Raft follow; there is no gossip
//! here, so a join asks the server at the address who it is (`Info`) and
//! acts on Raft membership directly:
//!
//! | this server | the other | outcome |
//! | --- | --- | --- |
//! | in a cluster | already a member of it | nothing to do |
//! | in a cluster | in no cluster | added as a voter (through the leader) |
//! | in a cluster | in another cluster | refused: groups cannot be merged |
//! | in no cluster | in a cluster | this server asks that cluster's leader to add it |
//! | in no cluster | in no cluster | each remembers the other for formation: `bootstrap_expect` counts it |

use std::time::Duration;

use crate::error::{JoinError, MembershipError};
use crate::node::NodeInner;
use crate::rpc::{NodeInfo, RpcRequest, RpcResponse};
use crate::types::NodeId;

const INFO_TIMEOUT: Duration = Duration::from_secs(2);
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What a successful join did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Joined {
    /// The server is this one, or already a member of this cluster.
    AlreadyMember,
    /// The server was added to this cluster as a voter.
    Added { id: NodeId },
    /// This server was added to the other server's cluster.
    JoinedCluster,
    /// Neither belongs to a cluster: the address is used for formation.
    Discovered,
}

impl NodeInner {
    pub(crate) async fn join(&self, addr: &str) -> Result<Joined, JoinError> {
        let other = self.ask_info(addr).await?;
        if other.id == self.id && other.addr == self.addr {
            return Ok(Joined::AlreadyMember);
        }
        let me = self.info();
        if me.initialized {
            let member = |info: &NodeInfo, id: NodeId| info.voters.iter().any(|(v, _)| *v == id);
            if member(&me, other.id) || member(&other, self.id) {
                return Ok(Joined::AlreadyMember);
            }
            if other.initialized {
                return Err(JoinError::OtherCluster {
                    addr: addr.to_string(),
                });
            }
            tracing::info!(node_id = other.id, addr = %other.addr, "joining server to the cluster");
            self.membership_via_leader(RpcRequest::Join {
                id: other.id,
                addr: other.addr.clone(),
            })
            .await?;
            return Ok(Joined::Added { id: other.id });
        }
        if other.initialized {
            let target = other
                .leader
                .as_ref()
                .map(|(_, a)| a.clone())
                .unwrap_or_else(|| other.addr.clone());
            let req = RpcRequest::Join {
                id: self.id,
                addr: self.addr.clone(),
            };
            return match self.transport.call(&target, req, JOIN_TIMEOUT).await? {
                RpcResponse::Join(Ok(())) => {
                    tracing::info!(leader = %target, "joined the cluster");
                    Ok(Joined::JoinedCluster)
                }
                RpcResponse::Join(Err(e)) => Err(MembershipError::from(e).into()),
                other => Err(JoinError::Unexpected {
                    addr: target,
                    answer: format!("{other:?}"),
                }),
            };
        }
        tracing::info!(addr = %other.addr, "server found; it counts towards bootstrap_expect");
        self.remember_peer(other.addr.clone());
        // Formation needs the lowest id to see everyone: tell the other
        // server about this one too.
        let req = RpcRequest::Discover {
            addr: self.addr.clone(),
        };
        match self.transport.call(&other.addr, req, INFO_TIMEOUT).await? {
            RpcResponse::Discover => Ok(Joined::Discovered),
            other_answer => Err(JoinError::Unexpected {
                addr: other.addr,
                answer: format!("{other_answer:?}"),
            }),
        }
    }

    async fn ask_info(&self, addr: &str) -> Result<NodeInfo, JoinError> {
        match self
            .transport
            .call(addr, RpcRequest::Info, INFO_TIMEOUT)
            .await?
        {
            RpcResponse::Info(info) => Ok(info),
            other => Err(JoinError::Unexpected {
                addr: addr.to_string(),
                answer: format!("{other:?}"),
            }),
        }
    }
}

//! Node calls: what a client agent (or a simulated node) says on its
//! node's behalf, authenticated by the node's secret, and node reads.

use super::{ApiClient, ApiClientError, QueryMeta, QueryOptions};
use crate::structs::rpc::{
    AllocClientUpdate, AllocUpdateRequest, ClientAllocs, IndexResponse, NodeRegisterRequest,
    NodeUpdateResponse,
};
use crate::structs::{Allocation, Node, NodeListStub};

impl ApiClient {
    /// Registers (or re-registers) `node`; its `SecretID` must be set.
    pub async fn node_register(&self, node: &Node) -> Result<NodeUpdateResponse, ApiClientError> {
        let body = NodeRegisterRequest {
            node: Some(node.clone()),
        };
        self.put("/v1/node/register", &body).await
    }

    /// A heartbeat; the client's token must be the node's secret.
    pub async fn node_heartbeat(
        &self,
        node_id: &str,
    ) -> Result<NodeUpdateResponse, ApiClientError> {
        self.put(
            &format!("/v1/node/{node_id}/heartbeat"),
            &serde_json::json!({}),
        )
        .await
    }

    /// The allocations on a node with their `AllocModifyIndex` (blocking).
    pub async fn client_allocs(
        &self,
        node_id: &str,
        opts: &QueryOptions,
    ) -> Result<(ClientAllocs, QueryMeta), ApiClientError> {
        self.get(&format!("/v1/node/{node_id}/client-allocs"), opts)
            .await
    }

    /// Reports allocations' client status and task states.
    pub async fn update_allocs(
        &self,
        node_id: &str,
        allocs: Vec<AllocClientUpdate>,
    ) -> Result<u64, ApiClientError> {
        let r: IndexResponse = self
            .put(
                &format!("/v1/node/{node_id}/allocations"),
                &AllocUpdateRequest { allocs },
            )
            .await?;
        Ok(r.index)
    }

    pub async fn node(&self, node_id: &str) -> Result<Node, ApiClientError> {
        let (n, _) = self
            .get(&format!("/v1/node/{node_id}"), &QueryOptions::default())
            .await?;
        Ok(n)
    }

    pub async fn nodes(
        &self,
        opts: &QueryOptions,
    ) -> Result<(Vec<NodeListStub>, QueryMeta), ApiClientError> {
        self.get("/v1/nodes", opts).await
    }

    /// The allocations placed on a node (full objects).
    pub async fn node_allocations(
        &self,
        node_id: &str,
        opts: &QueryOptions,
    ) -> Result<(Vec<Allocation>, QueryMeta), ApiClientError> {
        self.get(&format!("/v1/node/{node_id}/allocations"), opts)
            .await
    }
}

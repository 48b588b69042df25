//! Service registrations: a client's writes on its node's behalf, and the
//! catalog's reads.

use super::{ApiClient, ApiClientError, QueryMeta, QueryOptions};
use crate::structs::rpc::IndexResponse;
use crate::structs::{ServiceRegistration, ServiceUpdateRequest};

impl ApiClient {
    /// Writes and removes registrations of allocations on `node_id`
    /// (`PUT /v1/node/{id}/services`); the token must be the node's secret.
    pub async fn service_update(
        &self,
        node_id: &str,
        req: &ServiceUpdateRequest,
    ) -> Result<IndexResponse, ApiClientError> {
        self.put(&format!("/v1/node/{node_id}/services"), req).await
    }

    /// The instances of service `name` (`GET /v1/service/{name}`).
    pub async fn service(
        &self,
        name: &str,
        opts: &QueryOptions,
    ) -> Result<(Vec<ServiceRegistration>, QueryMeta), ApiClientError> {
        self.get(&format!("/v1/service/{name}"), opts).await
    }
}

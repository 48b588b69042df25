//! Allocation and evaluation reads.

use super::{ApiClient, ApiClientError, QueryMeta, QueryOptions};
use crate::structs::{AllocListStub, Allocation, Evaluation};

impl ApiClient {
    pub async fn allocation(
        &self,
        alloc_id: &str,
        opts: &QueryOptions,
    ) -> Result<(Allocation, QueryMeta), ApiClientError> {
        self.get(&format!("/v1/allocation/{alloc_id}"), opts).await
    }

    pub async fn allocations(
        &self,
        opts: &QueryOptions,
    ) -> Result<(Vec<AllocListStub>, QueryMeta), ApiClientError> {
        self.get("/v1/allocations", opts).await
    }

    /// The allocations changed after index `after`, oldest change first
    /// (Drover's `modified_after`): one blocking query that follows every
    /// allocation of a cluster, as `drover nodesim` does for its nodes.
    pub async fn allocations_changed_after(
        &self,
        after: u64,
        opts: &QueryOptions,
    ) -> Result<(Vec<AllocListStub>, QueryMeta), ApiClientError> {
        self.get_with(
            "/v1/allocations",
            opts,
            &[("modified_after", after.to_string())],
        )
        .await
    }

    pub async fn evaluation(&self, eval_id: &str) -> Result<Evaluation, ApiClientError> {
        let (e, _) = self
            .get(
                &format!("/v1/evaluation/{eval_id}"),
                &QueryOptions::default(),
            )
            .await?;
        Ok(e)
    }
}

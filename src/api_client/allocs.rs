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

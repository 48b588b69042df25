//! Job calls.

use super::{ApiClient, ApiClientError, QueryMeta, QueryOptions};
use crate::structs::rpc::{JobDeregisterResponse, JobRegisterRequest, JobRegisterResponse};
use crate::structs::{AllocListStub, Job, JobListStub};

impl ApiClient {
    /// Registers `job` (`PUT /v1/jobs`).
    pub async fn job_register(
        &self,
        req: &JobRegisterRequest,
    ) -> Result<JobRegisterResponse, ApiClientError> {
        self.put("/v1/jobs", req).await
    }

    /// Registers `job` with no index check.
    pub async fn job_run(&self, job: &Job) -> Result<JobRegisterResponse, ApiClientError> {
        self.job_register(&JobRegisterRequest {
            job: Some(job.clone()),
            ..JobRegisterRequest::default()
        })
        .await
    }

    /// Stops a job (`purge` also removes it).
    pub async fn job_deregister(
        &self,
        job_id: &str,
        purge: bool,
    ) -> Result<JobDeregisterResponse, ApiClientError> {
        self.delete(
            &format!("/v1/job/{}", super::segment(job_id)),
            &[("purge", purge.to_string())],
        )
        .await
    }

    pub async fn job(&self, job_id: &str) -> Result<Job, ApiClientError> {
        let (j, _) = self
            .get(
                &format!("/v1/job/{}", super::segment(job_id)),
                &QueryOptions::default(),
            )
            .await?;
        Ok(j)
    }

    pub async fn jobs(
        &self,
        opts: &QueryOptions,
    ) -> Result<(Vec<JobListStub>, QueryMeta), ApiClientError> {
        self.get("/v1/jobs", opts).await
    }

    pub async fn job_allocations(
        &self,
        job_id: &str,
        opts: &QueryOptions,
    ) -> Result<(Vec<AllocListStub>, QueryMeta), ApiClientError> {
        self.get(
            &format!("/v1/job/{}/allocations", super::segment(job_id)),
            opts,
        )
        .await
    }
}

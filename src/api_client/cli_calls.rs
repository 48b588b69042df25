//! Calls the `drover` CLI makes beyond registering and reading: revert a
//! job, mark a version stable, its versions with diffs, prefix search, an
//! evaluation with its related ones, and the agent's servers.

use super::{ApiClient, ApiClientError, QueryOptions};
use crate::structs::rpc::{
    JobRegisterResponse, JobRevertRequest, JobStabilityRequest, JobStabilityResponse,
    JobVersionsResponse,
};
use crate::structs::{Evaluation, SearchRequest, SearchResponse};

/// `id` as one path segment: every byte but unreserved ones
/// percent-encoded, so an ID with `/`, `?` or spaces names one object.
pub fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ApiClient {
    /// Registers version `version` of `job_id` again, as a new version
    /// (`PUT /v1/job/{id}/revert`). With `enforce_prior`, only if the
    /// current version is that one.
    pub async fn job_revert(
        &self,
        job_id: &str,
        version: u64,
        enforce_prior: Option<u64>,
    ) -> Result<JobRegisterResponse, ApiClientError> {
        let req = JobRevertRequest {
            job_id: job_id.to_string(),
            job_version: version,
            enforce_prior_version: enforce_prior,
            namespace: String::new(),
        };
        self.put(&format!("/v1/job/{}/revert", segment(job_id)), &req)
            .await
    }

    /// Sets group `group` of `job_id` to `count` allocations
    /// (`POST /v1/job/{id}/scale`).
    pub async fn job_scale(
        &self,
        job_id: &str,
        group: &str,
        count: i64,
        message: &str,
    ) -> Result<JobRegisterResponse, ApiClientError> {
        let req = crate::structs::rpc::ScalingRequest {
            count: Some(count),
            target: [("Group".to_string(), group.to_string())].into(),
            message: message.to_string(),
            ..Default::default()
        };
        self.put(&format!("/v1/job/{}/scale", segment(job_id)), &req)
            .await
    }

    /// A new evaluation of `job_id` (`PUT /v1/job/{id}/evaluate`);
    /// `force_reschedule` replaces its failed allocations now.
    pub async fn job_evaluate(
        &self,
        job_id: &str,
        force_reschedule: bool,
    ) -> Result<JobRegisterResponse, ApiClientError> {
        let req = crate::structs::rpc::JobEvaluateRequest {
            job_id: job_id.to_string(),
            eval_options: crate::structs::rpc::EvalOptions { force_reschedule },
        };
        self.put(&format!("/v1/job/{}/evaluate", segment(job_id)), &req)
            .await
    }

    /// Marks version `version` of `job_id` stable or not
    /// (`PUT /v1/job/{id}/stable`); gives the index of the write.
    pub async fn job_stable(
        &self,
        job_id: &str,
        version: u64,
        stable: bool,
    ) -> Result<u64, ApiClientError> {
        let req = JobStabilityRequest {
            job_id: job_id.to_string(),
            job_version: version,
            stable,
            namespace: String::new(),
        };
        let resp: JobStabilityResponse = self
            .put(&format!("/v1/job/{}/stable", segment(job_id)), &req)
            .await?;
        Ok(resp.index)
    }

    /// The stored versions of `job_id`, newest first; with `diffs`, the
    /// change from each to the next newer one (`GET /v1/job/{id}/versions`).
    pub async fn job_versions(
        &self,
        job_id: &str,
        diffs: bool,
    ) -> Result<JobVersionsResponse, ApiClientError> {
        let extra = if diffs {
            vec![("diffs", "true".to_string())]
        } else {
            Vec::new()
        };
        let (v, _) = self
            .get_with(
                &format!("/v1/job/{}/versions", segment(job_id)),
                &QueryOptions::default(),
                &extra,
            )
            .await?;
        Ok(v)
    }

    /// IDs starting with `prefix` in `context` (`all`, `jobs`, `nodes`,
    /// `allocs`, `evals`, `deployment`) (`PUT /v1/search`).
    pub async fn search(
        &self,
        prefix: &str,
        context: &str,
    ) -> Result<SearchResponse, ApiClientError> {
        let req = SearchRequest {
            prefix: prefix.to_string(),
            context: context.to_string(),
            namespace: String::new(),
        };
        self.put("/v1/search", &req).await
    }

    /// The evaluation `eval_id` with its `RelatedEvals` filled in
    /// (`GET /v1/evaluation/{id}?related=true`).
    pub async fn evaluation_related(&self, eval_id: &str) -> Result<Evaluation, ApiClientError> {
        let (e, _) = self
            .get_with(
                &format!("/v1/evaluation/{}", segment(eval_id)),
                &QueryOptions::default(),
                &[("related", "true".to_string())],
            )
            .await?;
        Ok(e)
    }

    /// The servers the agent knows (`GET /v1/agent/servers`): a client's
    /// configured servers, or a server's Raft peers.
    pub async fn agent_servers(&self) -> Result<Vec<String>, ApiClientError> {
        let (v, _) = self
            .get("/v1/agent/servers", &QueryOptions::default())
            .await?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn ids_become_one_path_segment() {
        assert_eq!(segment("example-1.web_x~"), "example-1.web_x~");
        assert_eq!(segment("a/b c?d"), "a%2Fb%20c%3Fd");
        assert_eq!(segment("é"), "%C3%A9");
    }
}

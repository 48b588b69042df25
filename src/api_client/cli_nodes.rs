//! Calls of the node, allocation, evaluation, server and operator verbs of
//! the CLI: node drain and eligibility, allocation stop and restart, the
//! agent's members and self, the Raft configuration, and a task's log as
//! a raw byte stream.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{ApiClient, ApiClientError, QueryOptions};
use crate::structs::rpc::NodeUpdateResponse;

/// The body of `PUT /v1/node/{id}/drain`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeDrainRequest {
    /// None cancels a drain.
    pub drain_spec: Option<DrainSpec>,
    /// When cancelling: make the node eligible again.
    pub mark_eligible: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DrainSpec {
    /// Nanoseconds; -1 forces an immediate drain, 0 means no deadline.
    pub deadline: i64,
    pub ignore_system_jobs: bool,
}

/// `PUT /v1/allocation/{id}/stop`'s answer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocStopResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub index: u64,
}

/// A server as `GET /v1/agent/members` lists it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMember {
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub tags: BTreeMap<String, String>,
    pub status: String,
    pub protocol_cur: u8,
}

/// `GET /v1/agent/members`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentMembers {
    pub server_name: String,
    pub server_region: String,
    #[serde(rename = "ServerDC")]
    pub server_dc: String,
    pub members: Vec<AgentMember>,
}

/// One server of `GET /v1/operator/raft/configuration`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RaftServer {
    #[serde(rename = "ID")]
    pub id: String,
    pub node: String,
    pub address: String,
    pub leader: bool,
    pub voter: bool,
    pub raft_protocol: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RaftConfiguration {
    pub index: u64,
    pub servers: Vec<RaftServer>,
}

/// Which log of a task, and where to start.
#[derive(Clone, Debug, Default)]
pub struct LogRequest {
    pub task: String,
    /// `stdout` or `stderr`.
    pub kind: String,
    pub follow: bool,
    /// Count from the end of the log rather than its start.
    pub from_end: bool,
    pub offset: u64,
}

impl ApiClient {
    /// Starts (`spec` set) or cancels a node's drain.
    pub async fn node_drain(
        &self,
        node_id: &str,
        req: &NodeDrainRequest,
    ) -> Result<NodeUpdateResponse, ApiClientError> {
        self.put(&format!("/v1/node/{node_id}/drain"), req).await
    }

    /// Sets a node's scheduling eligibility (`eligible`/`ineligible`).
    pub async fn node_eligibility(
        &self,
        node_id: &str,
        eligibility: &str,
    ) -> Result<NodeUpdateResponse, ApiClientError> {
        let body = serde_json::json!({"NodeID": node_id, "Eligibility": eligibility});
        self.put(&format!("/v1/node/{node_id}/eligibility"), &body)
            .await
    }

    /// Stops an allocation; the scheduler replaces it.
    pub async fn alloc_stop(&self, alloc_id: &str) -> Result<AllocStopResponse, ApiClientError> {
        self.put(
            &format!("/v1/allocation/{alloc_id}/stop"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Restarts a task of an allocation in place (`task` None: its
    /// running tasks; `all`: every task).
    pub async fn alloc_restart(
        &self,
        alloc_id: &str,
        task: Option<&str>,
        all: bool,
    ) -> Result<(), ApiClientError> {
        let body = serde_json::json!({"TaskName": task.unwrap_or(""), "AllTasks": all});
        let _: serde_json::Value = self
            .put(&format!("/v1/client/allocation/{alloc_id}/restart"), &body)
            .await?;
        Ok(())
    }

    /// `GET /v1/agent/self`, as JSON (its shape differs between roles).
    pub async fn agent_self(&self) -> Result<serde_json::Value, ApiClientError> {
        let (v, _) = self.get("/v1/agent/self", &QueryOptions::default()).await?;
        Ok(v)
    }

    pub async fn agent_members(&self) -> Result<AgentMembers, ApiClientError> {
        let (v, _) = self
            .get("/v1/agent/members", &QueryOptions::default())
            .await?;
        Ok(v)
    }

    /// The Raft leader's RPC address (`""` when there is none).
    pub async fn status_leader(&self) -> Result<String, ApiClientError> {
        let (v, _) = self
            .get("/v1/status/leader", &QueryOptions::default())
            .await?;
        Ok(v)
    }

    pub async fn raft_configuration(&self) -> Result<RaftConfiguration, ApiClientError> {
        let (v, _) = self
            .get("/v1/operator/raft/configuration", &QueryOptions::default())
            .await?;
        Ok(v)
    }

    /// A task's log as raw bytes (`plain=true`), streamed as it arrives.
    /// A followed log has no overall time limit; the answer's status is
    /// checked here, its body is the caller's to read.
    pub async fn alloc_log_stream(
        &self,
        alloc_id: &str,
        req: &LogRequest,
    ) -> Result<reqwest::Response, ApiClientError> {
        let query = [
            ("task", req.task.clone()),
            ("type", req.kind.clone()),
            ("plain", "true".to_string()),
            ("follow", req.follow.to_string()),
            (
                "origin",
                if req.from_end { "end" } else { "start" }.to_string(),
            ),
            ("offset", req.offset.to_string()),
        ];
        let path = format!("/v1/client/fs/logs/{alloc_id}");
        let mut last = String::new();
        let addresses = self.addresses();
        for address in addresses.iter() {
            let url = format!("{address}{path}");
            let mut r = self.inner.http.request(Method::GET, &url).query(&query);
            if !req.follow {
                r = r.timeout(self.inner.timeout);
            }
            if let Some(t) = self.token() {
                r = r.header("X-Nomad-Token", t);
            }
            let resp = match r.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    last = format!("{url}: {e}");
                    continue;
                }
            };
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                let text = resp.text().await.unwrap_or_default();
                return Err(ApiClientError::Status {
                    status,
                    message: text.trim().to_string(),
                });
            }
            return Ok(resp);
        }
        Err(ApiClientError::Unreachable {
            tried: addresses.join(", "),
            last,
        })
    }
}

//! Node endpoints: registration, heartbeats, client allocation updates,
//! drain, eligibility and forced evaluation. This is also the protocol
//! Drover's clients (and `drover nodesim`) speak over HTTP.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::{Server, ServerError, evals};
use crate::ids;
use crate::state::{AllocClientUpdate, Command, JobKey, NodeUpdate, State};
use crate::structs::time::rfc3339;
use crate::structs::{
    ALLOC_CLIENT_FAILED, DrainStrategy, Evaluation, JOB_TYPE_SYSBATCH, JOB_TYPE_SYSTEM,
    NODE_ELIGIBLE, NODE_INELIGIBLE, NODE_STATUS_DOWN, NODE_STATUS_READY, Node, NodeEvent,
    TRIGGER_ALLOC_FAILURE, TRIGGER_NODE_UPDATE,
};

pub use crate::structs::rpc::NodeUpdateResponse;

fn ttl(server: &Server, state: &State) -> i64 {
    server
        .config()
        .heartbeat_ttl(state.nodes().count())
        .as_nanos() as i64
}

fn node_of(state: &State, id: &str) -> Result<std::sync::Arc<Node>, ServerError> {
    state
        .node(id)
        .ok_or_else(|| ServerError::NotFound("node not found".into()))
}

/// Every call made on a node's behalf carries the node's secret ID (a
/// Nomad client sends it as `X-Nomad-Token`).
pub fn authenticate(node: &Node, secret: &str) -> Result<(), ServerError> {
    if secret.is_empty() {
        return Err(ServerError::Forbidden(
            "Permission denied: this call needs the node's secret ID (X-Nomad-Token)".into(),
        ));
    }
    if node.secret_id.is_empty() || !same_secret(&node.secret_id, secret) {
        return Err(ServerError::Forbidden(
            "Permission denied: the secret ID does not match the node's".into(),
        ));
    }
    Ok(())
}

/// Checks that `secret` is the secret of node `node_id` (which must exist)
/// for a call that changes nothing, such as the client's pull.
pub fn authenticate_read(server: &Server, node_id: &str, secret: &str) -> Result<(), ServerError> {
    let state = server.state().snapshot();
    let node = node_of(&state, node_id)?;
    authenticate(&node, secret)
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The evaluations a change to `node` calls for: one per job with live
/// allocations there (sysbatch excepted), and one per system job that
/// targets the node's datacenter.
pub fn node_evals(state: &State, node: &Node, triggered_by: &str, now: i64) -> Vec<Evaluation> {
    let mut jobs: BTreeMap<JobKey, Evaluation> = BTreeMap::new();
    let mut add = |job: &crate::structs::Job| {
        let key = JobKey::new(&job.namespace, &job.id);
        jobs.entry(key).or_insert_with(|| Evaluation {
            node_id: node.id.clone(),
            ..evals::for_job(job, triggered_by, now)
        });
    };
    for a in state.allocs_by_node(&node.id) {
        if a.terminal() {
            continue;
        }
        if let Some(job) = state.job(&a.namespace, &a.job_id)
            && job.job_type != JOB_TYPE_SYSBATCH
        {
            add(&job);
        }
    }
    for job in state.jobs() {
        if job.job_type == JOB_TYPE_SYSTEM
            && !job.stop
            && job
                .datacenters
                .iter()
                .any(|d| crate::scheduler::stack::dc_matches(d, &node.datacenter))
        {
            add(job);
        }
    }
    jobs.into_values().collect()
}

fn eval_ids(evals: &[Evaluation]) -> Vec<String> {
    evals.iter().map(|e| e.id.clone()).collect()
}

/// Registers or updates `node`; it becomes ready.
pub async fn register(server: &Server, mut node: Node) -> Result<NodeUpdateResponse, ServerError> {
    if node.id.is_empty() {
        return Err(ServerError::BadRequest("missing node ID".into()));
    }
    if !ids::is_id_prefix(&node.id) || node.id.len() != 36 {
        return Err(ServerError::BadRequest(format!(
            "invalid node ID {:?}: must be a UUID",
            node.id
        )));
    }
    if node.datacenter.is_empty() {
        return Err(ServerError::BadRequest("missing node datacenter".into()));
    }
    for (what, value) in [
        ("Node name", &node.name),
        ("Node datacenter", &node.datacenter),
        ("Node class", &node.node_class),
        ("Node pool", &node.node_pool),
        ("Node HTTP address", &node.http_addr),
    ] {
        if let Some(m) = crate::jobspec::limits::control_char_error(what, value) {
            return Err(ServerError::BadRequest(m));
        }
    }
    if node.secret_id.is_empty() {
        return Err(ServerError::BadRequest(
            "missing node secret ID for client registration".into(),
        ));
    }
    let state = server.state().snapshot();
    let old = state.node(&node.id);
    if let Some(old) = &old {
        authenticate(old, &node.secret_id)?;
    }
    let now = ids::now_nanos();
    let was_ready = old.as_ref().is_some_and(|o| o.status == NODE_STATUS_READY);
    node.status = NODE_STATUS_READY.into();
    if node.scheduling_eligibility.is_empty() {
        node.scheduling_eligibility = NODE_ELIGIBLE.into();
    }
    node.status_updated_at = now / 1_000_000_000;
    let (index, _) = server
        .propose(&Command::NodeRegister { node: node.clone() })
        .await
        .map_err(|e| match e {
            ServerError::Refused(m) if m == crate::state::apply::node::SECRET_MISMATCH => {
                ServerError::Forbidden(format!("Permission denied: {m}"))
            }
            e => e,
        })?;
    let mut resp = NodeUpdateResponse {
        heartbeat_ttl: ttl(server, &state),
        node_modify_index: index,
        index,
        ..NodeUpdateResponse::default()
    };
    if !was_ready {
        let state = server.state().snapshot();
        let evals = node_evals(&state, &node, TRIGGER_NODE_UPDATE, now);
        if !evals.is_empty() {
            resp.eval_ids = eval_ids(&evals);
            let (i, _) = server.propose(&Command::EvalUpsert { evals }).await?;
            resp.eval_create_index = i;
            resp.index = i;
        }
    }
    Ok(resp)
}

/// A client's heartbeat: the node is alive (and ready again if it was not).
pub async fn heartbeat(
    server: &Server,
    node_id: &str,
    secret: &str,
) -> Result<NodeUpdateResponse, ServerError> {
    let state = server.state().snapshot();
    let node = node_of(&state, node_id)?;
    authenticate(&node, secret)?;
    server.metrics().heartbeats.inc();
    let now = ids::now_nanos();
    let mut resp = NodeUpdateResponse {
        heartbeat_ttl: ttl(server, &state),
        ..NodeUpdateResponse::default()
    };
    if node.status == NODE_STATUS_READY {
        let cmd = Command::NodeHeartbeat {
            node_id: node_id.into(),
            time: now,
        };
        let (index, _) = server.propose(&cmd).await?;
        resp.index = index;
        return Ok(resp);
    }
    let evals = node_evals(&state, &node, TRIGGER_NODE_UPDATE, now);
    resp.eval_ids = eval_ids(&evals);
    let (index, _) = server
        .propose(&Command::NodeUpdateStatus(NodeUpdate {
            node_id: node_id.into(),
            status: NODE_STATUS_READY.into(),
            event: Some(event(
                "Node heartbeat received, node is ready",
                "Cluster",
                now,
            )),
            time: now,
            evals,
            ..NodeUpdate::default()
        }))
        .await?;
    resp.index = index;
    resp.node_modify_index = index;
    resp.eval_create_index = index;
    Ok(resp)
}

pub fn event(message: &str, subsystem: &str, now: i64) -> NodeEvent {
    NodeEvent {
        message: message.into(),
        subsystem: subsystem.into(),
        timestamp: rfc3339(now),
        ..NodeEvent::default()
    }
}

/// Client reports about allocations on `node_id`.
pub async fn update_allocs(
    server: &Server,
    node_id: &str,
    secret: &str,
    mut updates: Vec<AllocClientUpdate>,
) -> Result<u64, ServerError> {
    let state = server.state().snapshot();
    let node = node_of(&state, node_id)?;
    authenticate(&node, secret)?;
    if node.status == NODE_STATUS_DOWN {
        return Err(ServerError::BadRequest(
            "node is down and may not update allocations".into(),
        ));
    }
    let now = ids::now_nanos();
    let mut evals: BTreeMap<JobKey, Evaluation> = BTreeMap::new();
    for u in &mut updates {
        u.modify_time = now;
        let Some(a) = state.alloc(&u.id) else {
            continue;
        };
        if a.node_id != node_id {
            return Err(ServerError::BadRequest(format!(
                "allocation {} does not belong to node {node_id}",
                u.id
            )));
        }
        if u.client_status == ALLOC_CLIENT_FAILED
            && a.client_status != ALLOC_CLIENT_FAILED
            && let Some(job) = state.job(&a.namespace, &a.job_id)
        {
            {
                evals
                    .entry(JobKey::new(&job.namespace, &job.id))
                    .or_insert_with(|| evals::for_job(&job, TRIGGER_ALLOC_FAILURE, now));
            }
        }
    }
    let cmd = Command::AllocClientUpdate {
        allocs: updates,
        evals: evals.into_values().collect(),
    };
    let (index, _) = server.propose(&cmd).await?;
    Ok(index)
}

/// The body of `PUT /v1/node/{id}/drain` (0.8+ form).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DrainRequest {
    pub drain_spec: Option<DrainSpec>,
    pub mark_eligible: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DrainSpec {
    /// Nanoseconds; -1 forces an immediate drain, 0 means no deadline.
    pub deadline: i64,
    pub ignore_system_jobs: bool,
}

/// Starts (`spec` set) or cancels a drain.
pub async fn drain(
    server: &Server,
    node_id: &str,
    spec: Option<DrainSpec>,
    mark_eligible: bool,
) -> Result<NodeUpdateResponse, ServerError> {
    let state = server.consistent_state().await?;
    let node = node_of(&state, node_id)?;
    let now = ids::now_nanos();
    let (drain, eligibility, message, evals) = match spec {
        Some(s) => {
            let force = if s.deadline > 0 {
                rfc3339(now + s.deadline)
            } else {
                String::new()
            };
            let strategy = DrainStrategy {
                deadline: s.deadline,
                ignore_system_jobs: s.ignore_system_jobs,
                force_deadline: force,
                started_at: rfc3339(now),
            };
            (
                Some(strategy),
                NODE_INELIGIBLE,
                "Node drain strategy set",
                node_evals(&state, &node, "node-drain", now),
            )
        }
        None => {
            let e = if mark_eligible { NODE_ELIGIBLE } else { "" };
            (None, e, "Node drain strategy cleared", Vec::new())
        }
    };
    let ids_ = eval_ids(&evals);
    let (index, _) = server
        .propose(&Command::NodeUpdateDrain(NodeUpdate {
            node_id: node_id.into(),
            eligibility: eligibility.into(),
            drain,
            event: Some(event(message, "Drain", now)),
            time: now,
            evals,
            ..NodeUpdate::default()
        }))
        .await?;
    Ok(NodeUpdateResponse {
        eval_create_index: if ids_.is_empty() { 0 } else { index },
        eval_ids: ids_,
        node_modify_index: index,
        index,
        ..NodeUpdateResponse::default()
    })
}

/// Marks a node eligible or ineligible for new placements.
pub async fn eligibility(
    server: &Server,
    node_id: &str,
    eligibility: &str,
) -> Result<NodeUpdateResponse, ServerError> {
    if eligibility != NODE_ELIGIBLE && eligibility != NODE_INELIGIBLE {
        return Err(ServerError::BadRequest(format!(
            "invalid scheduling eligibility {eligibility:?}: must be eligible or ineligible"
        )));
    }
    let state = server.consistent_state().await?;
    let node = node_of(&state, node_id)?;
    if node.drain_strategy.is_some() && eligibility == NODE_ELIGIBLE {
        return Err(ServerError::BadRequest(
            "can not set node's scheduling eligibility to eligible while it is draining".into(),
        ));
    }
    let now = ids::now_nanos();
    let message = if eligibility == NODE_ELIGIBLE {
        "Node marked as eligible for scheduling"
    } else {
        "Node marked as ineligible for scheduling"
    };
    let (index, _) = server
        .propose(&Command::NodeUpdateEligibility(NodeUpdate {
            node_id: node_id.into(),
            eligibility: eligibility.into(),
            event: Some(event(message, "Cluster", now)),
            time: now,
            ..NodeUpdate::default()
        }))
        .await?;
    Ok(NodeUpdateResponse {
        node_modify_index: index,
        index,
        ..NodeUpdateResponse::default()
    })
}

/// Creates node-update evaluations for everything the node runs.
pub async fn evaluate(server: &Server, node_id: &str) -> Result<NodeUpdateResponse, ServerError> {
    let state = server.consistent_state().await?;
    let node = node_of(&state, node_id)?;
    let evals = node_evals(&state, &node, TRIGGER_NODE_UPDATE, ids::now_nanos());
    let ids_ = eval_ids(&evals);
    let index = if evals.is_empty() {
        state.indexes().latest
    } else {
        server.propose(&Command::EvalUpsert { evals }).await?.0
    };
    Ok(NodeUpdateResponse {
        eval_create_index: if ids_.is_empty() { 0 } else { index },
        eval_ids: ids_,
        node_modify_index: node.modify_index,
        index,
        ..NodeUpdateResponse::default()
    })
}

/// `PUT /v1/node/{id}/purge`: deregisters the node, with node-update
/// evaluations for what it ran (one entry; Nomad writes them after the
/// deregistration). Its allocations stay until the scheduler has marked
/// them lost and garbage collection takes them.
pub async fn purge(server: &Server, node_id: &str) -> Result<NodeUpdateResponse, ServerError> {
    let state = server.consistent_state().await?;
    let node = node_of(&state, node_id)?;
    let evals = node_evals(&state, &node, TRIGGER_NODE_UPDATE, ids::now_nanos());
    let ids_ = eval_ids(&evals);
    let (index, _) = server
        .propose(&Command::NodeDeregister {
            node_ids: vec![node.id.clone()],
            evals,
        })
        .await?;
    Ok(NodeUpdateResponse {
        eval_create_index: if ids_.is_empty() { 0 } else { index },
        eval_ids: ids_,
        node_modify_index: index,
        index,
        ..NodeUpdateResponse::default()
    })
}

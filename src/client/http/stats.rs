//! `GET /v1/client/allocation/{alloc}/stats` (Nomad's
//! `AllocResourceUsage`, from each running task's driver) and
//! `GET /v1/client/stats` (the host's `HostStats`).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use serde::Serialize;

use super::host::HostStats;
use super::params::Params;
use super::{Ctx, alloc_of, known_task};
use crate::api::ApiError;
use crate::api::extract::{Path, Query};
use crate::client::driver::TaskUsage;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemoryStats {
    #[serde(rename = "RSS")]
    pub rss: u64,
    pub cache: u64,
    pub swap: u64,
    pub usage: u64,
    pub max_usage: u64,
    pub kernel_usage: u64,
    pub kernel_max_usage: u64,
    /// Which of the fields were measured (the others are 0).
    pub measured: Vec<&'static str>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CpuStats {
    pub system_mode: f64,
    pub user_mode: f64,
    pub total_ticks: f64,
    pub throttled_periods: u64,
    pub throttled_time: u64,
    pub percent: f64,
    pub measured: Vec<&'static str>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceUsage {
    pub memory_stats: MemoryStats,
    pub cpu_stats: CpuStats,
    pub device_stats: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskResourceUsage {
    pub resource_usage: ResourceUsage,
    /// Unix nanoseconds of the reading.
    pub timestamp: i64,
    pub pids: Option<BTreeMap<String, ResourceUsage>>,
}

/// Nomad's `AllocResourceUsage`: each task's use, and their sum.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocResourceUsage {
    pub resource_usage: ResourceUsage,
    pub tasks: BTreeMap<String, TaskResourceUsage>,
    pub timestamp: i64,
}

const MEMORY_MEASURED: &[&str] = &["RSS"];
const CPU_MEASURED: &[&str] = &["Percent", "Total Ticks"];

fn usage(u: &TaskUsage) -> ResourceUsage {
    ResourceUsage {
        memory_stats: MemoryStats {
            rss: u.memory_rss_bytes,
            measured: MEMORY_MEASURED.to_vec(),
            ..MemoryStats::default()
        },
        cpu_stats: CpuStats {
            total_ticks: u.cpu_total_ticks,
            percent: u.cpu_percent,
            measured: CPU_MEASURED.to_vec(),
            ..CpuStats::default()
        },
        device_stats: Vec::new(),
    }
}

/// The allocation's usage from its tasks' readings (time in nanoseconds).
pub fn alloc_usage(tasks: &BTreeMap<String, (TaskUsage, i64)>) -> AllocResourceUsage {
    let mut sum = TaskUsage::default();
    let mut latest = 0;
    for (u, at) in tasks.values() {
        sum.memory_rss_bytes += u.memory_rss_bytes;
        sum.cpu_total_ticks += u.cpu_total_ticks;
        sum.cpu_percent += u.cpu_percent;
        latest = latest.max(*at);
    }
    AllocResourceUsage {
        resource_usage: usage(&sum),
        tasks: tasks
            .iter()
            .map(|(name, (u, at))| {
                (
                    name.clone(),
                    TaskResourceUsage {
                        resource_usage: usage(u),
                        timestamp: *at,
                        pids: None,
                    },
                )
            })
            .collect(),
        timestamp: if latest == 0 {
            crate::ids::now_nanos()
        } else {
            latest
        },
    }
}

pub async fn alloc_stats(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<AllocResourceUsage>, ApiError> {
    let p = Params(q);
    let alloc = alloc_of(&c.shared, &id)?;
    let task = p.text("task");
    if let Some(t) = task {
        known_task(&alloc, t)?;
    }
    let mut tasks = c.shared.usage(&alloc.id).await?;
    if let Some(t) = task {
        tasks.retain(|name, _| name == t);
    }
    Ok(Json(alloc_usage(&tasks)))
}

pub async fn host_stats(
    axum::extract::State(c): Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<HostStats>, ApiError> {
    let p = Params(q);
    let own = &c.shared.identity.node_id;
    if let Some(node) = p.text("node_id").filter(|n| n != own) {
        return Err(ApiError::bad_request(format!(
            "node_id {node:?} is not this client's node ({own})"
        )));
    }
    let node = c.shared.node();
    let mhz = node
        .node_resources
        .as_ref()
        .map(|r| r.cpu.cpu_shares)
        .filter(|m| *m > 0)
        .or_else(|| node.resources.as_ref().map(|r| r.cpu))
        .unwrap_or(0) as f64;
    let stats = c
        .host
        .stats(c.shared.config.data_dir.clone(), mhz)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read the host's stats: {e}")))?;
    Ok(Json(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alloc_sums_its_tasks() {
        let t = |rss, pct| TaskUsage {
            memory_rss_bytes: rss,
            cpu_total_ticks: pct * 10.0,
            cpu_percent: pct,
        };
        let tasks = BTreeMap::from([
            ("a".to_string(), (t(100, 1.5), 10)),
            ("b".to_string(), (t(50, 2.0), 20)),
        ]);
        let u = alloc_usage(&tasks);
        assert_eq!(u.resource_usage.memory_stats.rss, 150);
        assert_eq!(u.resource_usage.cpu_stats.percent, 3.5);
        assert_eq!(u.timestamp, 20);
        assert_eq!(u.tasks["b"].resource_usage.memory_stats.rss, 50);
        let v = serde_json::to_value(&u).unwrap();
        assert_eq!(v["Tasks"]["a"]["ResourceUsage"]["MemoryStats"]["RSS"], 100);
        assert_eq!(v["ResourceUsage"]["CpuStats"]["TotalTicks"], 35.0);
        assert_eq!(v["Tasks"]["a"]["Timestamp"], 10);
    }
}

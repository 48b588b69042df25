//! `drover operator scheduler get-config|set-config`, `drover operator
//! autopilot get-config|health` and `drover operator raft remove-peer`,
//! printed as Nomad's commands print them.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::structs::{AutopilotConfiguration, SchedulerConfiguration};
use serde::Deserialize;
use serde_json::Value;

use crate::cli::common::{self, ApiArgs, CliError, table};

#[derive(Subcommand)]
pub enum SchedulerCommand {
    /// Shows the scheduler configuration.
    #[command(name = "get-config")]
    GetConfig(GetArgs),
    /// Changes the scheduler configuration.
    #[command(name = "set-config")]
    SetConfig(SetArgs),
}

#[derive(Subcommand)]
pub enum AutopilotCommand {
    /// Shows the autopilot configuration.
    #[command(name = "get-config")]
    GetConfig(GetArgs),
    /// Shows the servers' health as the leader sees it.
    Health(GetArgs),
}

#[derive(Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print the JSON the API answers.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Write only if the configuration's modify index is this.
    #[arg(long = "check-index")]
    pub check_index: Option<u64>,
    /// `binpack` or `spread`.
    #[arg(long = "scheduler-algorithm")]
    pub algorithm: Option<String>,
    #[arg(long = "memory-oversubscription")]
    pub memory_oversubscription: Option<bool>,
    #[arg(long = "reject-job-registration")]
    pub reject_job_registration: Option<bool>,
    #[arg(long = "pause-eval-broker")]
    pub pause_eval_broker: Option<bool>,
    #[arg(long = "preempt-batch-scheduler")]
    pub preempt_batch: Option<bool>,
    #[arg(long = "preempt-service-scheduler")]
    pub preempt_service: Option<bool>,
    #[arg(long = "preempt-sysbatch-scheduler")]
    pub preempt_sysbatch: Option<bool>,
    #[arg(long = "preempt-system-scheduler")]
    pub preempt_system: Option<bool>,
}

#[derive(Args)]
pub struct RemovePeerArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The Raft ID of the server to remove.
    #[arg(long = "peer-id")]
    pub peer_id: String,
}

pub fn run_scheduler(c: SchedulerCommand) -> ExitCode {
    match c {
        SchedulerCommand::GetConfig(a) => common::run(scheduler_get(a)),
        SchedulerCommand::SetConfig(a) => common::run(scheduler_set(a)),
    }
}

pub fn run_autopilot(c: AutopilotCommand) -> ExitCode {
    match c {
        AutopilotCommand::GetConfig(a) => common::run(autopilot_get(a)),
        AutopilotCommand::Health(a) => common::run(autopilot_health(a)),
    }
}

pub fn run_remove_peer(a: RemovePeerArgs) -> ExitCode {
    common::run(remove_peer(a))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SchedulerResponse {
    scheduler_config: SchedulerConfiguration,
}

async fn fetch_scheduler(api: &ApiArgs) -> Result<SchedulerConfiguration, CliError> {
    let (r, _) = api
        .client()?
        .get::<SchedulerResponse>("/v1/operator/scheduler/configuration", &Default::default())
        .await
        .map_err(|e| CliError::api("Error querying scheduler configuration", e))?;
    Ok(r.scheduler_config)
}

/// Nomad's `key = value` listing of a scheduler configuration.
pub fn scheduler_text(c: &SchedulerConfiguration) -> String {
    let p = &c.preemption_config;
    table::kv(&[
        format!("Scheduler Algorithm|{}", c.scheduler_algorithm),
        format!(
            "Memory Oversubscription|{}",
            c.memory_oversubscription_enabled
        ),
        format!("Reject Job Registration|{}", c.reject_job_registration),
        format!("Pause Eval Broker|{}", c.pause_eval_broker),
        format!("Preemption System Scheduler|{}", p.system_scheduler_enabled),
        format!(
            "Preemption Service Scheduler|{}",
            p.service_scheduler_enabled
        ),
        format!("Preemption Batch Scheduler|{}", p.batch_scheduler_enabled),
        format!(
            "Preemption SysBatch Scheduler|{}",
            p.sys_batch_scheduler_enabled
        ),
        format!(
            "Node Limit For Feasibility Checks|{}",
            c.node_limit_for_feasibility_checks
        ),
        format!("Modify Index|{}", c.modify_index),
    ])
}

async fn scheduler_get(a: GetArgs) -> Result<u8, CliError> {
    let c = fetch_scheduler(&a.api).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&c).unwrap_or_default());
    } else {
        println!("{}", scheduler_text(&c));
    }
    Ok(0)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetResponse {
    updated: bool,
}

async fn scheduler_set(a: SetArgs) -> Result<u8, CliError> {
    let mut c = fetch_scheduler(&a.api).await?;
    if let Some(v) = &a.algorithm {
        c.scheduler_algorithm = v.clone();
    }
    let set = |slot: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(
        &mut c.memory_oversubscription_enabled,
        a.memory_oversubscription,
    );
    set(&mut c.reject_job_registration, a.reject_job_registration);
    set(&mut c.pause_eval_broker, a.pause_eval_broker);
    let p = &mut c.preemption_config;
    set(&mut p.batch_scheduler_enabled, a.preempt_batch);
    set(&mut p.service_scheduler_enabled, a.preempt_service);
    set(&mut p.sys_batch_scheduler_enabled, a.preempt_sysbatch);
    set(&mut p.system_scheduler_enabled, a.preempt_system);
    let path = match a.check_index {
        Some(i) => format!("/v1/operator/scheduler/configuration?cas={i}"),
        None => "/v1/operator/scheduler/configuration".to_string(),
    };
    let r: SetResponse = a
        .api
        .client()?
        .put(&path, &c)
        .await
        .map_err(|e| CliError::api("Error setting scheduler configuration", e))?;
    if r.updated {
        println!("Scheduler configuration updated!");
        Ok(0)
    } else {
        println!("Scheduler configuration could not be atomically updated, please try again");
        Ok(1)
    }
}

/// A duration in nanoseconds as Go prints one (`200ms`, `10s`).
fn go_duration(nanos: i64) -> String {
    match nanos {
        0 => "0s".into(),
        n if n % 1_000_000_000 == 0 => format!("{}s", n / 1_000_000_000),
        n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
        n => format!("{n}ns"),
    }
}

async fn autopilot_get(a: GetArgs) -> Result<u8, CliError> {
    let (c, _) = a
        .api
        .client()?
        .get::<AutopilotConfiguration>("/v1/operator/autopilot/configuration", &Default::default())
        .await
        .map_err(|e| CliError::api("Error querying Autopilot configuration", e))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&c).unwrap_or_default());
        return Ok(0);
    }
    println!(
        "{}",
        [
            format!("CleanupDeadServers = {}", c.cleanup_dead_servers),
            format!(
                "LastContactThreshold = {}",
                go_duration(c.last_contact_threshold)
            ),
            format!("MaxTrailingLogs = {}", c.max_trailing_logs),
            format!("MinQuorum = {}", c.min_quorum),
            format!(
                "ServerStabilizationTime = {}",
                go_duration(c.server_stabilization_time)
            ),
            format!("EnableRedundancyZones = {}", c.enable_redundancy_zones),
            format!("DisableUpgradeMigration = {}", c.disable_upgrade_migration),
            format!("EnableCustomUpgrades = {}", c.enable_custom_upgrades),
        ]
        .join("\n")
    );
    Ok(0)
}

async fn autopilot_health(a: GetArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    // 429 means "answered, but unhealthy": the body is the same report.
    let health: Value = match api
        .get::<Value>("/v1/operator/autopilot/health", &Default::default())
        .await
    {
        Ok((v, _)) => v,
        Err(drover::api_client::ApiClientError::Status {
            status: 429,
            message,
        }) => serde_json::from_str(&message).unwrap_or(Value::Null),
        Err(e) => return Err(CliError::api("Error querying Autopilot health", e)),
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&health).unwrap_or_default()
        );
        return Ok(0);
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    println!(
        "{}\n",
        table::kv(&[
            format!("Healthy|{}", text(&health["Healthy"])),
            format!("FailureTolerance|{}", text(&health["FailureTolerance"])),
        ])
    );
    let mut rows = vec!["ID|Name|Address|Voter|Healthy|LastContact|LastTerm|LastIndex".to_string()];
    for s in health["Servers"].as_array().into_iter().flatten() {
        rows.push(format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            text(&s["ID"]),
            text(&s["Name"]),
            text(&s["Address"]),
            text(&s["Voter"]),
            text(&s["Healthy"]),
            text(&s["LastContact"]),
            text(&s["LastTerm"]),
            text(&s["LastIndex"]),
        ));
    }
    println!("{}", table::list(&rows));
    Ok(0)
}

async fn remove_peer(a: RemovePeerArgs) -> Result<u8, CliError> {
    a.api
        .client()?
        .delete::<Value>("/v1/operator/raft/peer", &[("id", a.peer_id.clone())])
        .await
        .map_err(|e| CliError::api("Error removing peer", e))?;
    println!("Removed peer with id {:?}", a.peer_id);
    Ok(0)
}

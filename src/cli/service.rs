//! `drover service list|info|delete`: the service registrations in the
//! servers' catalog, as Nomad's `service` commands show them.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::api_client::QueryOptions;
use drover::structs::ServiceRegistration;
use serde::Deserialize;

use crate::cli::common::format::short_id;
use crate::cli::common::{ApiArgs, CliError, run, table};

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Lists the registered services and their tags.
    List(ListArgs),
    /// Shows the instances of a service.
    Info(InfoArgs),
    /// Removes one registration.
    Delete(DeleteArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Every field of each instance, with full IDs.
    #[arg(long)]
    pub verbose: bool,
    pub name: String,
}

#[derive(Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    pub name: String,
    pub id: String,
}

pub fn run_command(c: ServiceCommand) -> ExitCode {
    match c {
        ServiceCommand::List(a) => run(list(a)),
        ServiceCommand::Info(a) => run(info(a)),
        ServiceCommand::Delete(a) => run(delete(a)),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct NamespaceServices {
    namespace: String,
    services: Vec<ServiceStub>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ServiceStub {
    service_name: String,
    tags: Vec<String>,
}

fn tags(t: &[String]) -> String {
    format!("[{}]", t.join(","))
}

async fn list(a: ListArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let (spaces, _) = api
        .get::<Vec<NamespaceServices>>("/v1/services", &QueryOptions::default())
        .await
        .map_err(|e| CliError::api("Error listing service registrations", e))?;
    let all = a.api.namespace.as_deref() == Some("*");
    let mut rows = vec![if all {
        "Service Name|Namespace|Tags".to_string()
    } else {
        "Service Name|Tags".to_string()
    }];
    for ns in &spaces {
        for s in &ns.services {
            rows.push(if all {
                format!("{}|{}|{}", s.service_name, ns.namespace, tags(&s.tags))
            } else {
                format!("{}|{}", s.service_name, tags(&s.tags))
            });
        }
    }
    if rows.len() == 1 {
        println!("No service registrations found");
    } else {
        println!("{}", table::list(&rows));
    }
    Ok(0)
}

/// `Job ID|Address|Tags|Node ID|Alloc ID`, or with `verbose` a block of
/// every field per instance.
pub fn info_text(regs: &[ServiceRegistration], verbose: bool) -> String {
    if verbose {
        return regs
            .iter()
            .map(|r| {
                let checks: Vec<String> = r
                    .checks
                    .iter()
                    .map(|c| format!("{} ({}): {}", c.name, c.kind, c.status))
                    .collect();
                table::kv(&[
                    format!("ID|{}", r.id),
                    format!("Service Name|{}", r.service_name),
                    format!("Namespace|{}", r.namespace),
                    format!("Job ID|{}", r.job_id),
                    format!("Alloc ID|{}", r.alloc_id),
                    format!("Node ID|{}", r.node_id),
                    format!("Datacenter|{}", r.datacenter),
                    format!("Address|{}:{}", r.address, r.port),
                    format!("Tags|{}", tags(&r.tags)),
                    format!("Checks|{}", checks.join(", ")),
                ])
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    let mut rows = vec!["Job ID|Address|Tags|Node ID|Alloc ID".to_string()];
    for r in regs {
        rows.push(format!(
            "{}|{}:{}|{}|{}|{}",
            r.job_id,
            r.address,
            r.port,
            tags(&r.tags),
            short_id(&r.node_id, false),
            short_id(&r.alloc_id, false)
        ));
    }
    table::list(&rows)
}

async fn info(a: InfoArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let (regs, _) = api
        .service(&a.name, &QueryOptions::default())
        .await
        .map_err(|e| CliError::api("Error listing service registrations", e))?;
    if regs.is_empty() {
        return Err(CliError::new(format!(
            "No service registration with name {:?} found",
            a.name
        )));
    }
    println!("{}", info_text(&regs, a.verbose));
    Ok(0)
}

async fn delete(a: DeleteArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    api.delete::<serde_json::Value>(&format!("/v1/service/{}/{}", a.name, a.id), &[])
        .await
        .map_err(|e| CliError::api("Error deleting service registration", e))?;
    println!("Successfully deleted service registration");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_as_a_table() {
        let r = ServiceRegistration {
            job_id: "example".into(),
            address: "127.0.1.3".into(),
            port: 22655,
            tags: vec!["global".into(), "cache".into()],
            node_id: "ec28626d-0000-0000-0000-000000000000".into(),
            alloc_id: "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c".into(),
            ..ServiceRegistration::default()
        };
        assert_eq!(
            info_text(&[r], false),
            "Job ID   Address          Tags            Node ID   Alloc ID\n\
             example  127.0.1.3:22655  [global,cache]  ec28626d  8dd4be51"
        );
    }
}

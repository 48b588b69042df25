//! `drover namespace list|status|apply|delete`, as Nomad's commands print
//! them.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::structs::Namespace;

use crate::cli::common::{ApiArgs, CliError, run, table};

#[derive(Subcommand)]
pub enum NamespaceCommand {
    /// Lists the namespaces.
    List(ListArgs),
    /// Shows one namespace.
    Status(NameArgs),
    /// Creates or updates a namespace.
    Apply(ApplyArgs),
    /// Deletes a namespace (it must hold no live jobs and no variables).
    Delete(NameArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print the namespaces as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct NameArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    pub name: String,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// A human readable description.
    #[arg(long)]
    pub description: Option<String>,
    /// The quota specification to account against.
    #[arg(long)]
    pub quota: Option<String>,
    pub name: String,
}

pub fn run_command(c: NamespaceCommand) -> ExitCode {
    match c {
        NamespaceCommand::List(a) => run(list(a)),
        NamespaceCommand::Status(a) => run(status(a)),
        NamespaceCommand::Apply(a) => run(apply(a)),
        NamespaceCommand::Delete(a) => run(delete(a)),
    }
}

async fn list(a: ListArgs) -> Result<u8, CliError> {
    let spaces = a
        .api
        .client()?
        .namespaces()
        .await
        .map_err(|e| CliError::api("Error retrieving namespaces", e))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&spaces).unwrap_or_default()
        );
        return Ok(0);
    }
    println!("{}", list_text(&spaces));
    Ok(0)
}

/// `Name|Description`, or Nomad's line for none.
pub fn list_text(spaces: &[Namespace]) -> String {
    if spaces.is_empty() {
        return "No namespaces found".into();
    }
    let mut rows = vec!["Name|Description".to_string()];
    rows.extend(
        spaces
            .iter()
            .map(|n| format!("{}|{}", n.name, n.description)),
    );
    table::list(&rows)
}

async fn status(a: NameArgs) -> Result<u8, CliError> {
    let ns = a
        .api
        .client()?
        .namespace(&a.name)
        .await
        .map_err(|e| CliError::api("Error retrieving namespace", e))?;
    let mut out = table::kv(&[
        format!("Name|{}", ns.name),
        format!("Description|{}", ns.description),
        format!("Quota|{}", ns.quota),
        "Enabled Drivers|*".to_string(),
        "Disabled Drivers|".to_string(),
        "Enabled Network Modes|*".to_string(),
        "Disabled Network Modes|".to_string(),
    ]);
    if let Some(meta) = ns.meta.as_ref().filter(|m| !m.is_empty()) {
        let rows: Vec<String> = meta.iter().map(|(k, v)| format!("{k}|{v}")).collect();
        out.push_str("\n\nMetadata\n");
        out.push_str(&table::kv(&rows));
    }
    println!("{out}");
    Ok(0)
}

async fn apply(a: ApplyArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    // An update keeps what it does not name, as Nomad's apply does.
    let mut ns = match api.namespace(&a.name).await {
        Ok(ns) => ns,
        Err(e) if e.is_not_found() => Namespace {
            name: a.name.clone(),
            ..Namespace::default()
        },
        Err(e) => return Err(CliError::api("Error retrieving namespace", e)),
    };
    if let Some(d) = a.description {
        ns.description = d;
    }
    if let Some(q) = a.quota {
        ns.quota = q;
    }
    api.namespace_apply(&ns)
        .await
        .map_err(|e| CliError::api("Error applying namespace specification", e))?;
    println!("Successfully applied namespace {:?}!", a.name);
    Ok(0)
}

async fn delete(a: NameArgs) -> Result<u8, CliError> {
    a.api
        .client()?
        .namespace_delete(&a.name)
        .await
        .map_err(|e| CliError::api("Error deleting namespace", e))?;
    println!("Successfully deleted namespace {:?}!", a.name);
    Ok(0)
}

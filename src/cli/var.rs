//! `drover var list|get|put|purge`: variables, as Nomad's commands print
//! them. `get` prints a table on a terminal and JSON otherwise (`-out`
//! chooses); `put` is a check-and-set by default (`-check-index`, 0 when
//! not given: only if absent), `-force` writes whatever is there.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::api_client::VarOutcome;
use drover::structs::Variable;

use crate::cli::common::format::time_rfc3339;
use crate::cli::common::{ApiArgs, CliError, run, table};

#[derive(Subcommand)]
pub enum VarCommand {
    /// Lists variables whose path starts with a prefix.
    List(ListArgs),
    /// Shows a variable.
    Get(GetArgs),
    /// Creates or updates a variable from key=value items.
    Put(PutArgs),
    /// Deletes a variable.
    Purge(PurgeArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// `table` (the default) or `json`.
    #[arg(long, default_value = "table")]
    pub out: String,
    #[arg(default_value = "")]
    pub prefix: String,
}

#[derive(Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// `table` or `json` (default: table on a terminal, JSON otherwise).
    #[arg(long)]
    pub out: Option<String>,
    /// Print only this item's value.
    #[arg(long)]
    pub item: Option<String>,
    pub path: String,
}

#[derive(Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Write only if the variable's modify index is this (0: only if it
    /// does not exist).
    #[arg(long = "check-index")]
    pub check_index: Option<u64>,
    /// Write whatever the variable holds now.
    #[arg(long)]
    pub force: bool,
    /// `none` (a line), `json` or `table` (default: none on a terminal,
    /// JSON otherwise).
    #[arg(long)]
    pub out: Option<String>,
    pub path: String,
    /// Items as key=value.
    #[arg(required = true)]
    pub items: Vec<String>,
}

#[derive(Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Delete only if the variable's modify index is this.
    #[arg(long = "check-index")]
    pub check_index: Option<u64>,
    pub path: String,
}

pub fn run_command(c: VarCommand) -> ExitCode {
    match c {
        VarCommand::List(a) => run(list(a)),
        VarCommand::Get(a) => run(get(a)),
        VarCommand::Put(a) => run(put(a)),
        VarCommand::Purge(a) => run(purge(a)),
    }
}

fn no_wildcard(api: &ApiArgs) -> Result<(), CliError> {
    if api.namespace.as_deref() == Some("*") {
        return Err(CliError::new(
            "The wildcard namespace (\"*\") is not valid for this command.",
        ));
    }
    Ok(())
}

fn default_out(given: Option<String>, terminal: &str) -> String {
    given.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            terminal.to_string()
        } else {
            "json".to_string()
        }
    })
}

async fn list(a: ListArgs) -> Result<u8, CliError> {
    let (mut vars, _) = a
        .api
        .client()?
        .var_list(&a.prefix)
        .await
        .map_err(|e| CliError::api("Error retrieving vars", e))?;
    if a.out == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&vars).unwrap_or_default()
        );
        return Ok(0);
    }
    if vars.is_empty() {
        println!("No matching variables found");
        return Ok(0);
    }
    vars.sort_by(|x, y| (&x.namespace, &x.path).cmp(&(&y.namespace, &y.path)));
    let mut rows = vec!["Namespace|Path|Last Updated".to_string()];
    rows.extend(
        vars.iter()
            .map(|v| format!("{}|{}|{}", v.namespace, v.path, time_rfc3339(v.modify_time))),
    );
    println!("{}", table::list(&rows));
    Ok(0)
}

/// Nomad's table: the metadata, then the items.
pub fn var_table(v: &Variable) -> String {
    let mut meta = vec![
        format!("Namespace|{}", v.namespace),
        format!("Path|{}", v.path),
        format!("Create Time|{}", time_rfc3339(v.create_time)),
    ];
    if v.create_time != v.modify_time {
        meta.push(format!("Modify Time|{}", time_rfc3339(v.modify_time)));
    }
    meta.push(format!("Check Index|{}", v.modify_index));
    let items: Vec<String> = v.items.iter().map(|(k, x)| format!("{k}|{x}")).collect();
    format!("{}\n\nItems\n{}", table::kv(&meta), table::kv(&items))
}

async fn get(a: GetArgs) -> Result<u8, CliError> {
    no_wildcard(&a.api)?;
    let v = match a.api.client()?.var_get(&a.path).await {
        Ok(v) => v,
        Err(e) if e.is_not_found() => return Err(CliError::new("Variable not found")),
        Err(e) => return Err(CliError::api("Error retrieving variable", e)),
    };
    if let Some(item) = &a.item {
        return match v.items.get(item) {
            Some(value) => {
                println!("{value}");
                Ok(0)
            }
            None => Err(CliError::new(format!(
                "Variable does not contain {item:?} item"
            ))),
        };
    }
    match default_out(a.out, "table").as_str() {
        "table" => println!("{}", var_table(&v)),
        _ => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
    }
    Ok(0)
}

/// Items from `key=value` arguments; a key with an empty value is left
/// out (Nomad's way to remove an item).
fn items(args: &[String]) -> Result<drover::structs::StrMap, CliError> {
    let mut out = drover::structs::StrMap::new();
    for a in args {
        let Some((k, v)) = a.split_once('=') else {
            return Err(CliError::new(format!(
                "Failed to parse K=V data: {a:?} is not of the form key=value"
            )));
        };
        if k.is_empty() {
            return Err(CliError::new(format!(
                "Failed to parse K=V data: {a:?} has no key"
            )));
        }
        if !v.is_empty() {
            out.insert(k.to_string(), v.to_string());
        }
    }
    Ok(out)
}

fn conflict_text(check_index: u64, found: &Variable) -> String {
    let mut msg = format!(
        "Check-and-Set conflict\n\n    Your provided check-index ({check_index}) does not match the\n    server-side index ({}).",
        found.modify_index
    );
    if found.modify_index > 0 {
        msg.push_str(&format!(
            "\n\n    The server-side item was last updated on {}.",
            time_rfc3339(found.modify_time)
        ));
    }
    msg.push_str(&format!(
        "\n\n    If you are sure you want to perform this operation, add the -force or\n    -check-index={} flag before the positional arguments.",
        found.modify_index
    ));
    msg
}

async fn put(a: PutArgs) -> Result<u8, CliError> {
    no_wildcard(&a.api)?;
    let var = Variable {
        path: a.path.clone(),
        items: items(&a.items)?,
        ..Variable::default()
    };
    if var.items.is_empty() {
        return Err(CliError::new("Must supply data"));
    }
    let cas = if a.force {
        None
    } else {
        Some(a.check_index.unwrap_or(0))
    };
    let outcome = a
        .api
        .client()?
        .var_put(&var, cas)
        .await
        .map_err(|e| CliError::api("Error creating variable", e))?;
    let stored = match outcome {
        VarOutcome::Conflict(found) => {
            return Err(CliError::new(conflict_text(cas.unwrap_or(0), &found)));
        }
        VarOutcome::Done(v) => v.unwrap_or(var),
    };
    match default_out(a.out, "none").as_str() {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&stored).unwrap_or_default()
        ),
        "table" => println!("{}", var_table(&stored)),
        _ => println!(
            "Created variable {:?} with modify index {}",
            stored.path, stored.modify_index
        ),
    }
    Ok(0)
}

async fn purge(a: PurgeArgs) -> Result<u8, CliError> {
    no_wildcard(&a.api)?;
    let outcome = a
        .api
        .client()?
        .var_delete(&a.path, a.check_index)
        .await
        .map_err(|e| CliError::api("Error purging variable", e))?;
    if let VarOutcome::Conflict(found) = outcome {
        return Err(CliError::new(conflict_text(
            a.check_index.unwrap_or(0),
            &found,
        )));
    }
    println!("Successfully purged variable {:?}!", a.path);
    Ok(0)
}

//! `drover server members [-verbose]`: the servers of the cluster.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::api_client::AgentMember;

use crate::cli::common::{self, ApiArgs, CliError, table};

#[derive(Subcommand)]
pub enum ServerCommand {
    /// Lists the servers.
    Members(MembersArgs),
    /// Adds servers (by RPC address) to this server's cluster.
    Join(JoinArgs),
    /// Removes a failed server from the cluster.
    #[command(name = "force-leave")]
    ForceLeave(ForceLeaveArgs),
}

#[derive(Args)]
pub struct JoinArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Servers' RPC addresses (host:port).
    #[arg(required = true)]
    pub addresses: Vec<String>,
}

#[derive(Args)]
pub struct ForceLeaveArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The server's name (as `server members` shows it), address or ID.
    pub node: String,
}

#[derive(serde::Deserialize)]
struct JoinResponse {
    #[serde(default)]
    num_joined: u64,
    #[serde(default)]
    error: String,
}

async fn join(a: JoinArgs) -> Result<u8, CliError> {
    let query: Vec<(&'static str, String)> =
        a.addresses.iter().map(|x| ("address", x.clone())).collect();
    let r: JoinResponse = a
        .api
        .client()?
        .put_query("/v1/agent/join", &query, &serde_json::json!({}))
        .await
        .map_err(|e| CliError::api("Error joining", e))?;
    if !r.error.is_empty() {
        if r.num_joined == 0 {
            return Err(CliError::new(format!("Error joining: {}", r.error)));
        }
        eprintln!(
            "Joined {} servers successfully but got warning: {}",
            r.num_joined, r.error
        );
        return Ok(0);
    }
    println!("Joined {} servers successfully", r.num_joined);
    Ok(0)
}

async fn force_leave(a: ForceLeaveArgs) -> Result<u8, CliError> {
    a.api
        .client()?
        .put_query::<_, serde_json::Value>(
            "/v1/agent/force-leave",
            &[("node", a.node.clone())],
            &serde_json::json!({}),
        )
        .await
        .map_err(|e| CliError::api("Error force-leaving server", e))?;
    Ok(0)
}

#[derive(Args)]
pub struct MembersArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Add the protocol version and every tag.
    #[arg(long, visible_alias = "detailed")]
    pub verbose: bool,
}

pub fn run_command(c: ServerCommand) -> ExitCode {
    match c {
        ServerCommand::Members(a) => members(a),
        ServerCommand::Join(a) => common::run(join(a)),
        ServerCommand::ForceLeave(a) => common::run(force_leave(a)),
    }
}

pub fn members(a: MembersArgs) -> ExitCode {
    common::run(list(a))
}

async fn list(a: MembersArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let members = api
        .agent_members()
        .await
        .map_err(|e| CliError::api("Error querying servers", e))?;
    let leader = api
        .status_leader()
        .await
        .map_err(|e| CliError::api("Error querying the leader", e))?;
    println!("{}", render(&members.members, &leader, a.verbose));
    Ok(0)
}

/// Whether `m` is the server at the leader's RPC address.
fn is_leader(m: &AgentMember, leader: &str) -> bool {
    let port = m.tags.get("port").map(String::as_str).unwrap_or("");
    !leader.is_empty() && format!("{}:{port}", m.addr) == leader
}

/// The members table, sorted by name; `leader` is the leader's RPC
/// address as `/v1/status/leader` gives it.
pub fn render(members: &[AgentMember], leader: &str, verbose: bool) -> String {
    let mut sorted: Vec<&AgentMember> = members.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rows = vec![
        if verbose {
            "Name|Address|Port|Status|Leader|Protocol|Raft Version|Build|Datacenter|Region|Tags"
        } else {
            "Name|Address|Port|Status|Leader|Raft Version|Build|Datacenter|Region"
        }
        .to_string(),
    ];
    for m in sorted {
        let tag = |k: &str| m.tags.get(k).cloned().unwrap_or_default();
        let raft = m
            .tags
            .get("raft_vsn")
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        let mut row = format!(
            "{}|{}|{}|{}|{}|",
            m.name,
            m.addr,
            m.port,
            m.status,
            is_leader(m, leader)
        );
        if verbose {
            row.push_str(&format!("{}|", m.protocol_cur));
        }
        row.push_str(&format!(
            "{raft}|{}|{}|{}",
            tag("build"),
            tag("dc"),
            tag("region")
        ));
        if verbose {
            let tags: Vec<String> = m.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            row.push_str(&format!("|{}", tags.join(",")));
        }
        rows.push(row);
    }
    table::list(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn member(name: &str, addr: &str, port: &str, dc: &str) -> AgentMember {
        AgentMember {
            name: name.into(),
            addr: addr.into(),
            port: port.parse().unwrap(),
            status: "alive".into(),
            protocol_cur: 2,
            tags: BTreeMap::from([
                ("port".to_string(), port.to_string()),
                ("raft_vsn".to_string(), "3".to_string()),
                ("build".to_string(), "0.1.0".to_string()),
                ("dc".to_string(), dc.to_string()),
                ("region".to_string(), "global".to_string()),
            ]),
        }
    }

    #[test]
    fn sorted_by_name_with_the_leader_marked() {
        let ms = [
            member("s2.global", "127.0.0.1", "4747", "dc1"),
            member("s1.global", "127.0.0.1", "4647", "dc1"),
        ];
        assert_eq!(
            render(&ms, "127.0.0.1:4747", false),
            "Name       Address    Port  Status  Leader  Raft Version  Build  Datacenter  Region\n\
             s1.global  127.0.0.1  4647  alive   false   3             0.1.0  dc1         global\n\
             s2.global  127.0.0.1  4747  alive   true    3             0.1.0  dc1         global"
        );
        let v = render(&ms[..1], "", true);
        assert!(
            v.starts_with("Name       Address    Port  Status  Leader  Protocol  Raft Version"),
            "{v}"
        );
        assert!(
            v.ends_with("global  build=0.1.0,dc=dc1,port=4747,raft_vsn=3,region=global"),
            "{v}"
        );
    }
}

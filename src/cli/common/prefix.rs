//! Short ID prefixes, as Nomad accepts them: a job by any prefix of its ID
//! (an exact ID wins), a node, allocation or evaluation by a prefix of its
//! UUID. An ambiguous prefix is an error that lists the matches.

use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::{AllocListStub, Evaluation, JobListStub, NodeListStub};
use serde::de::DeserializeOwned;

use super::{CliError, table};

/// The prefix sent to the server: UUID prefixes are compared by whole
/// bytes there, so a trailing odd hex digit is dropped and the match is
/// finished here.
fn server_prefix(p: &str) -> &str {
    let hexish = p.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let digits = p.chars().filter(|c| *c != '-').count();
    if hexish && digits % 2 == 1 {
        &p[..p.len() - 1]
    } else {
        p
    }
}

async fn by_prefix<T: DeserializeOwned>(
    api: &ApiClient,
    path: &str,
    prefix: &str,
    what: &str,
) -> Result<Vec<T>, CliError> {
    let (v, _) = api
        .get_with(
            path,
            &QueryOptions::default(),
            &[("prefix", server_prefix(prefix).to_string())],
        )
        .await
        .map_err(|e| CliError::api(&format!("Error querying {what}"), e))?;
    Ok(v)
}

fn check_len(prefix: &str) -> Result<(), CliError> {
    if prefix.is_empty() {
        return Err(CliError::new("Identifier must not be empty"));
    }
    Ok(())
}

/// The one job whose ID is `prefix` or starts with it.
pub async fn job(api: &ApiClient, prefix: &str) -> Result<JobListStub, CliError> {
    check_len(prefix)?;
    let jobs: Vec<JobListStub> = by_prefix(api, "/v1/jobs", prefix, "job").await?;
    if let Some(j) = jobs.iter().find(|j| j.id == prefix) {
        return Ok(j.clone());
    }
    match jobs.len() {
        0 => Err(CliError::new(format!(
            "No job(s) with prefix or id {prefix:?} found"
        ))),
        1 => Ok(jobs.into_iter().next().unwrap_or_default()),
        _ => {
            let mut rows = vec!["ID|Type|Priority|Status".to_string()];
            rows.extend(
                jobs.iter()
                    .map(|j| format!("{}|{}|{}|{}", j.id, j.job_type, j.priority, j.status)),
            );
            Err(CliError::new(format!(
                "Prefix {prefix:?} matched multiple jobs\n\n{}",
                table::list(&rows)
            )))
        }
    }
}

fn pick<T: Clone>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    prefix: &str,
    what: &str,
    plural: &str,
    row: impl Fn(&T) -> String,
    header: &str,
) -> Result<T, CliError> {
    let items: Vec<T> = items
        .into_iter()
        .filter(|t| id(t).starts_with(prefix))
        .collect();
    if let Some(t) = items.iter().find(|t| id(t) == prefix) {
        return Ok(t.clone());
    }
    match items.len() {
        0 => Err(CliError::new(format!(
            "No {what}(s) with prefix or id {prefix:?} found"
        ))),
        1 => Ok(items[0].clone()),
        _ => {
            let mut rows = vec![header.to_string()];
            rows.extend(items.iter().map(row));
            Err(CliError::new(format!(
                "Prefix {prefix:?} matched multiple {plural}\n\n{}",
                table::list(&rows)
            )))
        }
    }
}

/// The one node whose ID starts with `prefix`.
pub async fn node(api: &ApiClient, prefix: &str) -> Result<NodeListStub, CliError> {
    check_len(prefix)?;
    let nodes: Vec<NodeListStub> = by_prefix(api, "/v1/nodes", prefix, "node").await?;
    pick(
        nodes,
        |n| &n.id,
        prefix,
        "node",
        "nodes",
        |n| {
            format!(
                "{}|{}|{}|{}|{}",
                n.id, n.datacenter, n.name, n.node_class, n.status
            )
        },
        "ID|DC|Name|Class|Status",
    )
}

/// The one allocation whose ID starts with `prefix`.
pub async fn alloc(api: &ApiClient, prefix: &str) -> Result<AllocListStub, CliError> {
    check_len(prefix)?;
    let allocs: Vec<AllocListStub> =
        by_prefix(api, "/v1/allocations", prefix, "allocation").await?;
    pick(
        allocs,
        |a| &a.id,
        prefix,
        "allocation",
        "allocations",
        |a| {
            format!(
                "{}|{}|{}|{}|{}|{}",
                a.id, a.eval_id, a.job_id, a.task_group, a.desired_status, a.client_status
            )
        },
        "ID|Eval ID|Job ID|Task Group|Desired Status|Client Status",
    )
}

/// The one evaluation whose ID starts with `prefix`.
pub async fn eval(api: &ApiClient, prefix: &str) -> Result<Evaluation, CliError> {
    check_len(prefix)?;
    let evals: Vec<Evaluation> = by_prefix(api, "/v1/evaluations", prefix, "evaluation").await?;
    pick(
        evals,
        |e| &e.id,
        prefix,
        "evaluation",
        "evaluations",
        |e| format!("{}|{}|{}|{}", e.id, e.job_id, e.triggered_by, e.status),
        "ID|Job ID|Triggered By|Status",
    )
}

#[cfg(test)]
mod tests {
    use super::server_prefix;

    #[test]
    fn odd_hex_prefixes_lose_their_last_digit() {
        assert_eq!(server_prefix("8dd"), "8d");
        assert_eq!(server_prefix("8dd4"), "8dd4");
        assert_eq!(server_prefix("example"), "example");
    }
}

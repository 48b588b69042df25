//! What `drover status ID` refers to: a job, or else a node, allocation or
//! evaluation, found through `PUT /v1/search` as Nomad's CLI does.

use std::collections::BTreeMap;

use drover::api_client::ApiClient;
use serde::{Deserialize, Serialize};

use crate::cli::common::{ApiArgs, CliError};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Request<'a> {
    prefix: &'a str,
    context: &'a str,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Response {
    matches: BTreeMap<String, Vec<String>>,
}

pub enum Found {
    /// A job ID or prefix (resolved further by the job lookup).
    Job(String),
    /// Exactly one node, allocation or evaluation.
    Other { context: String, id: String },
}

/// The contexts `status` dispatches to, in the order they are shown.
const CONTEXTS: &[&str] = &["jobs", "nodes", "allocs", "evals"];

pub async fn resolve(api: &ApiClient, id: &str) -> Result<Found, CliError> {
    let resp: Response = match api
        .put(
            "/v1/search",
            &Request {
                prefix: id,
                context: "all",
            },
        )
        .await
    {
        Ok(r) => r,
        // An agent without the search route: treat the argument as a job.
        Err(e) if e.is_not_found() => return Ok(Found::Job(id.to_string())),
        Err(e) => return Err(CliError::api("Error querying search", e)),
    };
    let found: Vec<(&str, &String)> = CONTEXTS
        .iter()
        .flat_map(|c| {
            resp.matches
                .get(*c)
                .into_iter()
                .flatten()
                .map(move |m| (*c, m))
        })
        .collect();
    let jobs: Vec<&String> = found
        .iter()
        .filter(|(c, _)| *c == "jobs")
        .map(|(_, m)| *m)
        .collect();
    if jobs.iter().any(|j| j.as_str() == id) || (found.len() == jobs.len() && !jobs.is_empty()) {
        return Ok(Found::Job(id.to_string()));
    }
    match found.as_slice() {
        [] => Err(CliError::new(format!("No matches found for {id:?}"))),
        [(c, m)] => Ok(Found::Other {
            context: c.to_string(),
            id: m.to_string(),
        }),
        many => {
            let mut out = format!("Multiple matches found for id {id:?}");
            let mut last = "";
            for (c, m) in many {
                if *c != last {
                    out.push_str(&format!("\n\n{}:", title(c)));
                    last = c;
                }
                out.push_str(&format!("\n  {m}"));
            }
            Err(CliError::new(out))
        }
    }
}

fn title(context: &str) -> &'static str {
    match context {
        "jobs" => "Jobs",
        "nodes" => "Nodes",
        "allocs" => "Allocs",
        _ => "Evals",
    }
}

/// Shows the node, allocation or evaluation `id` with its own verb.
pub fn dispatch(api: &ApiArgs, context: &str, id: &str, verbose: bool) -> Result<u8, CliError> {
    let _ = (api, verbose);
    let verb = match context {
        "nodes" => "node status",
        "allocs" => "alloc status",
        _ => "eval status",
    };
    Err(CliError::new(format!(
        "{id:?} is not a job: see `drover {verb} {id}`"
    )))
}

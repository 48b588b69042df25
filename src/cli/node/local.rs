//! The node of the agent the CLI talks to (`-self`), and the node an
//! argument names.

use drover::api_client::ApiClient;

use crate::cli::common::{CliError, ident, prefix};

/// The node ID of the agent's own client, from `GET /v1/agent/self`
/// (`stats.client.node_id`).
pub async fn self_node_id(api: &ApiClient) -> Result<String, CliError> {
    let me = api
        .agent_self()
        .await
        .map_err(|e| CliError::api("Error querying agent info", e))?;
    node_id_of(&me)
}

/// `stats.client.node_id` of an agent-self answer.
pub fn node_id_of(me: &serde_json::Value) -> Result<String, CliError> {
    me.get("stats")
        .and_then(|s| s.get("client"))
        .and_then(|c| c.get("node_id"))
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .ok_or_else(|| CliError::new("Drover not running in client mode"))
}

/// The full ID of the node `arg` names (a prefix), or of the agent's own
/// node with `-self`; exactly one of the two must be given.
pub async fn resolve(
    api: &ApiClient,
    arg: Option<&str>,
    use_self: bool,
) -> Result<String, CliError> {
    match (arg, use_self) {
        (Some(_), true) => Err(CliError::new(
            "A node ID cannot be given together with -self",
        )),
        (None, true) => self_node_id(api).await,
        (Some(p), false) => {
            ident::check_prefix(p)?;
            Ok(prefix::node(api, p).await?.id)
        }
        (None, false) => Err(CliError::new(
            "Node ID must be specified if -self isn't being used",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::node_id_of;
    use serde_json::json;

    #[test]
    fn the_client_node_id_or_an_error() {
        let me = json!({"stats": {"client": {"node_id": "abc"}}});
        assert_eq!(node_id_of(&me).unwrap(), "abc");
        let e = node_id_of(&json!({"stats": {"nomad": {}}})).unwrap_err();
        assert_eq!(e.message, "Drover not running in client mode");
    }
}

//! Namespaces: upsert and delete, one command each; the rules that depend
//! on the state (`default` stays, no live jobs or variables left) are
//! decided in apply.

use super::super::{Server, ServerError};
use crate::state::Command;
use crate::structs::Namespace;

pub async fn upsert(server: &Server, ns: Namespace) -> Result<u64, ServerError> {
    ns.validate().map_err(ServerError::BadRequest)?;
    let cmd = Command::NamespaceUpsert {
        namespaces: vec![ns],
    };
    Ok(server.propose(&cmd).await?.0)
}

pub async fn delete(server: &Server, name: &str) -> Result<u64, ServerError> {
    let cmd = Command::NamespaceDelete {
        names: vec![name.to_string()],
    };
    Ok(server.propose(&cmd).await?.0)
}

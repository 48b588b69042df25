//! The allocation an argument names.

use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::Allocation;

use crate::cli::common::{CliError, ident, prefix};

/// The whole allocation whose ID starts with `arg`.
pub async fn alloc(api: &ApiClient, arg: &str) -> Result<Allocation, CliError> {
    ident::check_prefix(arg)?;
    let stub = prefix::alloc(api, arg).await?;
    let (alloc, _) = api
        .allocation(&stub.id, &QueryOptions::default())
        .await
        .map_err(|e| CliError::api("Error querying allocation", e))?;
    Ok(alloc)
}

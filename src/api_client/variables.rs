//! Variables and namespaces.

use super::{ApiClient, ApiClientError, QueryMeta, QueryOptions};
use crate::structs::{Namespace, Variable, VariableMetadata};

/// A check-and-set write's outcome.
#[derive(Debug)]
pub enum VarOutcome {
    /// Written (the variable as stored; None after a delete).
    Done(Option<Variable>),
    /// The server's variable did not match the index given: the variable
    /// as it is (index 0 when there is none).
    Conflict(Variable),
}

fn cas_query(cas: Option<u64>) -> Vec<(&'static str, String)> {
    cas.map(|n| vec![("cas", n.to_string())])
        .unwrap_or_default()
}

/// A 409 carries the conflicting variable as its body.
fn conflict(e: ApiClientError) -> Result<VarOutcome, ApiClientError> {
    if let ApiClientError::Status {
        status: 409,
        message,
    } = &e
        && let Ok(v) = serde_json::from_str::<Variable>(message)
    {
        return Ok(VarOutcome::Conflict(v));
    }
    Err(e)
}

impl ApiClient {
    /// `GET /v1/var/{path}`.
    pub async fn var_get(&self, path: &str) -> Result<Variable, ApiClientError> {
        let (v, _) = self
            .get(&format!("/v1/var/{path}"), &QueryOptions::default())
            .await?;
        Ok(v)
    }

    /// `GET /v1/vars?prefix=` (one page; the next page's token).
    pub async fn var_list(
        &self,
        prefix: &str,
    ) -> Result<(Vec<VariableMetadata>, QueryMeta), ApiClientError> {
        self.get_with(
            "/v1/vars",
            &QueryOptions::default(),
            &[("prefix", prefix.to_string())],
        )
        .await
    }

    /// `PUT /v1/var/{path}`, with `?cas=` when `cas` is given.
    pub async fn var_put(
        &self,
        var: &Variable,
        cas: Option<u64>,
    ) -> Result<VarOutcome, ApiClientError> {
        let path = format!("/v1/var/{}", var.path);
        match self
            .put_query::<_, Variable>(&path, &cas_query(cas), var)
            .await
        {
            Ok(v) => Ok(VarOutcome::Done(Some(v))),
            Err(e) => conflict(e),
        }
    }

    /// `DELETE /v1/var/{path}`, with `?cas=` when `cas` is given.
    pub async fn var_delete(
        &self,
        path: &str,
        cas: Option<u64>,
    ) -> Result<VarOutcome, ApiClientError> {
        match self
            .delete::<()>(&format!("/v1/var/{path}"), &cas_query(cas))
            .await
        {
            Ok(()) => Ok(VarOutcome::Done(None)),
            Err(e) => conflict(e),
        }
    }

    /// `GET /v1/namespaces`.
    pub async fn namespaces(&self) -> Result<Vec<Namespace>, ApiClientError> {
        let (v, _) = self.get("/v1/namespaces", &QueryOptions::default()).await?;
        Ok(v)
    }

    /// `GET /v1/namespace/{name}`.
    pub async fn namespace(&self, name: &str) -> Result<Namespace, ApiClientError> {
        let (v, _) = self
            .get(&format!("/v1/namespace/{name}"), &QueryOptions::default())
            .await?;
        Ok(v)
    }

    /// `PUT /v1/namespace/{name}`.
    pub async fn namespace_apply(&self, ns: &Namespace) -> Result<(), ApiClientError> {
        self.put(&format!("/v1/namespace/{}", ns.name), ns).await
    }

    /// `DELETE /v1/namespace/{name}`.
    pub async fn namespace_delete(&self, name: &str) -> Result<(), ApiClientError> {
        self.delete(&format!("/v1/namespace/{name}"), &[]).await
    }
}

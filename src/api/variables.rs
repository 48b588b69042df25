//! `GET /v1/vars` (`prefix`, pagination, `filter`; `namespace=*`) and
//! `GET|PUT|POST|DELETE /v1/var/{path}` with check-and-set (`?cas=N`): a
//! conflict answers 409 with the variable as it is (an empty one at the
//! path when there is none), as Nomad does. Lock operations
//! (`lock-acquire`, `lock-release`, `lock-renew`) are refused with 400:
//! Drover offers no variable locks.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::{Bytes, Path, Query, State};
use super::paginate::{Pager, Token, blocking_list, ordered};
use super::params::Params;
use super::query::{QueryOptions, read_one, reply};
use super::{ApiError, body};
use crate::server::Server;
use crate::server::endpoints::variable::{self, VarWrite};
use crate::state::Table;
use crate::structs::Variable;

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/vars", get(list)).route(
        "/v1/var/{*path}",
        get(read).put(write).post(write).delete(delete),
    )
}

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let pager = Pager::new(&opts)?;
    blocking_list(&s, &opts, Table::Variables, |st| {
        let vars: Vec<_> = st
            .variables_in(&opts.namespace, &opts.prefix)
            .map(|v| v.metadata())
            .collect();
        let page = pager.page(
            ordered(vars, &opts),
            |v| Token::Text(format!("{}.{}", v.namespace, v.path)),
            |v| v.clone(),
        );
        Ok((page, st.index(Table::Variables)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(path): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    read_one(&s, &opts, Table::Variables, "variable not found", |st| {
        st.variable(&opts.namespace, &path)
            .map(|v| (v.clone(), v.modify_index))
    })
    .await
}

/// Nomad's `?cas=`: a base-10 unsigned integer when given.
fn cas(opts: &QueryOptions) -> Result<Option<u64>, ApiError> {
    match opts.get("cas") {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("can not parse cas: value out of range: {v:?}"))
            })
        }
        Some(v) => Err(ApiError::bad_request(format!(
            "can not parse cas: invalid syntax: {v:?}"
        ))),
    }
}

/// Refuses lock operations, which Drover does not offer.
fn no_locks(opts: &QueryOptions) -> Result<(), ApiError> {
    let lock = ["lock-acquire", "lock-release", "lock-renew"]
        .iter()
        .any(|k| opts.params().raw(k).is_some());
    if lock {
        return Err(ApiError::bad_request("variable locks are not supported"));
    }
    Ok(())
}

async fn write(
    State(s): State<Server>,
    Path(path): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    no_locks(&opts)?;
    let cas = cas(&opts)?;
    let mut var: Variable = body::decode(&body).await?;
    if var.items.is_empty() {
        return Err(ApiError::bad_request(
            "variable missing required Items object",
        ));
    }
    var.path = path;
    if var.namespace.is_empty() {
        var.namespace = opts.namespace.clone();
    }
    var.create_index = 0;
    var.modify_index = 0;
    answer(
        &s,
        &opts,
        variable::put(&s, var, cas).await?,
        StatusCode::OK,
    )
}

async fn delete(
    State(s): State<Server>,
    Path(path): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    no_locks(&opts)?;
    let cas = cas(&opts)?;
    let outcome = variable::delete(&s, &opts.namespace, &path, cas).await?;
    answer(&s, &opts, outcome, StatusCode::NO_CONTENT)
}

fn answer(
    s: &Server,
    opts: &QueryOptions,
    outcome: VarWrite,
    done: StatusCode,
) -> Result<Response, ApiError> {
    Ok(match outcome {
        VarWrite::Conflict(found) => {
            let index = found.modify_index;
            (StatusCode::CONFLICT, reply(s, opts, &found, index)).into_response()
        }
        VarWrite::Done(_, index) if done == StatusCode::NO_CONTENT => {
            let mut r = reply(s, opts, &(), index);
            *r.status_mut() = StatusCode::NO_CONTENT;
            *r.body_mut() = axum::body::Body::empty();
            r
        }
        VarWrite::Done(var, index) => reply(s, opts, &var, index),
    })
}

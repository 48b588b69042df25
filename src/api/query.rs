//! Query parameters of reads, blocking queries and the index headers.
//!
//! A blocking query (`?index=N&wait=D`) runs the read; while the result's
//! index is not past `N` it waits for the watched table to change (or the
//! wait to end) and runs it again.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Serialize;

use super::ApiError;
use crate::server::Server;
use crate::state::{State, Table};

pub use super::query_options::{MAX_WAIT, QueryOptions};

/// Encodes `value` as the JSON reply with Nomad's index headers.
pub fn reply<T: Serialize>(
    server: &Server,
    opts: &QueryOptions,
    value: &T,
    index: u64,
) -> Response {
    let body = if opts.pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    };
    respond(server, body, index)
}

/// [`reply`] for reads: a list of a million allocations takes a second to
/// encode, so a large answer is encoded off the runtime's worker thread
/// (see [`super::encode`]).
fn reply_read<T: Serialize>(
    server: &Server,
    opts: &QueryOptions,
    value: &T,
    index: u64,
) -> Response {
    respond(
        server,
        super::encode::encode_read(value, opts.pretty),
        index,
    )
}

/// [`reply_read`] for a page of a list: `X-Nomad-NextToken` names the
/// first item of the next page, when there is one (as Nomad sets it).
pub(super) fn reply_page<T: Serialize>(
    server: &Server,
    opts: &QueryOptions,
    value: &T,
    index: u64,
    next_token: &str,
) -> Response {
    let mut response = reply_read(server, opts, value, index);
    if !next_token.is_empty()
        && response.status() == StatusCode::OK
        && let Ok(token) = HeaderValue::from_str(next_token)
    {
        response.headers_mut().insert("X-Nomad-NextToken", token);
    }
    response
}

fn respond(server: &Server, body: serde_json::Result<Vec<u8>>, index: u64) -> Response {
    let Ok(body) = body else {
        return ApiError::internal("cannot encode the response").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert("Content-Type", HeaderValue::from_static("application/json"));
    headers.insert("X-Nomad-Index", HeaderValue::from(index.max(1)));
    let known = server.known_leader();
    headers.insert(
        "X-Nomad-KnownLeader",
        HeaderValue::from_static(if known { "true" } else { "false" }),
    );
    headers.insert("X-Nomad-LastContact", HeaderValue::from(0u64));
    (StatusCode::OK, headers, body).into_response()
}

/// Runs `query` as a (possibly blocking) read watching `table`; `query`
/// returns the value and its index.
pub async fn blocking<T, F>(
    server: &Server,
    opts: &QueryOptions,
    table: Table,
    query: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Fn(&State) -> Result<(T, u64), ApiError>,
{
    // Building a list walks state that may be large (every allocation):
    // off the runtime's worker thread.
    let query = |state: &State| crate::offload::off_worker(|| query(state));
    let (value, index) = watch(server, opts, table, query).await?;
    Ok(reply_read(server, opts, &value, index))
}

/// The loop behind every read: answers at once without `index`; otherwise
/// re-runs `query` on each change to `table` until the index it reports
/// passes `index` or the wait (plus jitter) ends. `query` runs where it is
/// called: a caller whose query may be long moves it off the worker.
pub(super) async fn watch<T, F>(
    server: &Server,
    opts: &QueryOptions,
    table: Table,
    query: F,
) -> Result<(T, u64), ApiError>
where
    F: Fn(&State) -> Result<(T, u64), ApiError>,
{
    watch_tables(server, opts, &[table], query).await
}

/// [`watch`] for an answer drawn from several `tables` (its index the
/// highest of theirs): a change to any of them wakes it.
pub(crate) async fn watch_tables<T, F>(
    server: &Server,
    opts: &QueryOptions,
    tables: &[Table],
    query: F,
) -> Result<(T, u64), ApiError>
where
    F: Fn(&State) -> Result<(T, u64), ApiError>,
{
    let mut state: Arc<State> = if opts.stale {
        server.state().snapshot()
    } else {
        server.consistent_state().await?
    };
    if opts.index == 0 {
        return query(&state);
    }
    let deadline = tokio::time::Instant::now() + jittered(opts.wait);
    loop {
        let (value, index) = query(&state)?;
        let now = tokio::time::Instant::now();
        if index > opts.index || now >= deadline {
            return Ok((value, index));
        }
        let seen = tables
            .iter()
            .map(|t| state.index(*t))
            .fold(opts.index, u64::max);
        state = server
            .state()
            .wait_past_any(tables, seen, deadline - now)
            .await;
    }
}

/// A blocking query's wait plus up to 1/16 of it, so that clients that
/// started together do not all come back at once.
fn jittered(wait: Duration) -> Duration {
    let jitter = wait.as_millis() as u64 / 16;
    wait + Duration::from_millis(rand::rng().random_range(0..=jitter))
}

/// A (possibly blocking) read of one node's allocations, whose index is
/// the last change to them ([`State::node_allocs_index`], at least 1), not
/// the allocations table's: with thousands of clients each long-polling
/// its own node, a placement elsewhere neither wakes nor answers them. The
/// wait is woken only by changes to this node's allocations, and `build`
/// makes the answer once, from the state that passed `index` (or the one
/// at the end of the wait).
///
/// The answer of a node with up to [`BUILD_IN_PLACE`] allocations is
/// built in place (thousands of clients woken at once by a wave of
/// placements would otherwise each hand the worker's queue to another
/// thread); a larger one off the worker thread.
pub async fn blocking_node_allocs<T, F>(
    server: &Server,
    opts: &QueryOptions,
    node_id: &str,
    build: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: FnOnce(&State) -> Result<T, ApiError>,
{
    let mut state: Arc<State> = if opts.stale {
        server.state().snapshot()
    } else {
        server.consistent_state().await?
    };
    let index_of = |state: &State| state.node_allocs_index(node_id).max(1);
    if opts.index > 0 && index_of(&state) <= opts.index {
        let wait = jittered(opts.wait);
        state = server
            .state()
            .wait_node_allocs(node_id, opts.index, wait)
            .await;
    }
    let index = index_of(&state);
    let value = if state.node_allocs_count(node_id) <= BUILD_IN_PLACE {
        build(&state)?
    } else {
        crate::offload::off_worker(|| build(&state))?
    };
    Ok(reply_read(server, opts, &value, index))
}

/// Up to this many allocations, a node's answer is built on the runtime's
/// thread: tens of microseconds (a reference count or an ID and an index
/// each; the encoding is bounded apart, see [`super::encode`]).
const BUILD_IN_PLACE: usize = 1024;

/// A (possibly blocking) read of one object: `find` looks it up and gives
/// its `ModifyIndex`; a missing object is a 404 with `not_found` (Nomad's
/// text). As in Nomad, a missing object's index is its table's, so a
/// blocking read of an object that does not exist (yet) waits for the
/// table to change past `index` (the object may appear) or for the wait
/// to end, instead of answering at once.
pub async fn read_one<T, F>(
    server: &Server,
    opts: &QueryOptions,
    table: Table,
    not_found: &'static str,
    find: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Fn(&State) -> Option<(T, u64)>,
{
    let (value, index) = watch(server, opts, table, |st| {
        Ok(match find(st) {
            Some((value, index)) => (Some(value), index),
            None => (None, st.index(table)),
        })
    })
    .await?;
    match value {
        Some(value) => Ok(reply_read(server, opts, &value, index)),
        None => Err(ApiError::not_found(not_found)),
    }
}

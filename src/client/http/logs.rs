//! `GET /v1/client/fs/logs/{alloc}?task=&type=&follow=&offset=&origin=&plain=`:
//! a task's stdout or stderr across its rotated files, raw (`plain=true`)
//! or in Nomad's frames, optionally following new output until the reader
//! goes away or the allocation is destroyed.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::time::Instant;

use super::frame;
use super::log_reader::{LogReader, Origin, Step};
use super::params::Params;
use super::{Ctx, alloc_of, known_task};
use crate::api::ApiError;
use crate::api::extract::{Path, Query};
use crate::client::ClientShared;
use crate::client::allocdir::AllocDir;

/// How often a follower looks for new output once it has read everything.
const POLL: Duration = Duration::from_millis(250);
/// How long a framed follower may send nothing before it sends an empty
/// frame: writing is how a reader that went away is noticed.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// The checked parameters of a logs request.
struct LogRequest {
    task: String,
    kind: &'static str,
    follow: bool,
    plain: bool,
    offset: u64,
    origin: Origin,
}

fn parse(p: &Params) -> Result<LogRequest, ApiError> {
    let task = p.required("task", "the name of the task whose logs to read")?;
    if task.contains(['/', '\0']) {
        return Err(ApiError::bad_request(format!(
            "task {task:?} is not a task name"
        )));
    }
    let kind = match p.text("type") {
        Some("stdout") => "stdout",
        Some("stderr") => "stderr",
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "type must be stdout or stderr, not {other:?}"
            )));
        }
        None => return Err(ApiError::bad_request("type is required: stdout or stderr")),
    };
    let origin = match p.text("origin") {
        None | Some("start") => Origin::Start,
        Some("end") => Origin::End,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "origin must be start or end, not {other:?}"
            )));
        }
    };
    Ok(LogRequest {
        task: task.to_string(),
        kind,
        follow: p.flag("follow")?,
        plain: p.flag("plain")?,
        offset: p.bytes("offset")?,
        origin,
    })
}

pub async fn logs(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let req = parse(&Params(q))?;
    let alloc = alloc_of(&c.shared, &id)?;
    known_task(&alloc, &req.task)?;
    let dir = AllocDir::new(&c.shared.alloc_base, &alloc.id).logs();
    let base = format!("{}.{}", req.task, req.kind);
    let reader = LogReader::open(dir, base, req.origin, req.offset, req.follow)
        .await
        .map_err(|e| ApiError::internal(format!("cannot list the log files: {e}")))?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "task {:?} has no {} log yet: it has not started",
                req.task, req.kind
            ))
        })?;
    let tail = Tail {
        reader,
        framed: !req.plain,
        follow: req.follow,
        shared: c.shared.clone(),
        alloc_id: alloc.id.clone(),
        quiet_since: Instant::now(),
        done: false,
    };
    let content_type = if req.plain {
        "text/plain; charset=utf-8"
    } else {
        "application/json"
    };
    let body = Body::from_stream(futures::stream::unfold(tail, |mut t| async move {
        t.next().await.map(|chunk| (chunk, t))
    }));
    Ok(([(CONTENT_TYPE, content_type)], body).into_response())
}

/// A log being sent: pulled by the response body one piece at a time, so
/// a slow reader holds at most one chunk, and a reader that goes away
/// drops it.
struct Tail {
    reader: LogReader,
    framed: bool,
    follow: bool,
    shared: Arc<ClientShared>,
    alloc_id: String,
    quiet_since: Instant,
    done: bool,
}

impl Tail {
    async fn next(&mut self) -> Option<io::Result<Bytes>> {
        while !self.done {
            let step = match self.reader.step().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(alloc = %self.alloc_id, error = %e, "reading a log failed");
                    self.done = true;
                    return Some(Err(e));
                }
            };
            match step {
                Step::Data { file, offset, data } => {
                    self.quiet_since = Instant::now();
                    if !self.framed {
                        return Some(Ok(data));
                    }
                    return Some(Ok(frame::data(&file, offset, &data)));
                }
                Step::Truncated { file } => {
                    if self.framed {
                        return Some(Ok(frame::event(&file, 0, frame::TRUNCATED)));
                    }
                }
                Step::End => {
                    // The allocation destroyed: its files are gone too.
                    if !self.follow || self.shared.allocation(&self.alloc_id).is_none() {
                        self.done = true;
                        break;
                    }
                    if self.framed && self.quiet_since.elapsed() >= HEARTBEAT {
                        self.quiet_since = Instant::now();
                        return Some(Ok(frame::heartbeat()));
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_pairs(pairs: &[(&str, &str)]) -> Result<LogRequest, ApiError> {
        parse(&Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ))
    }

    #[test]
    fn parameters_are_checked_in_plain_words() {
        let e = |pairs: &[(&str, &str)]| parse_pairs(pairs).err().expect("refused").message;
        assert_eq!(
            e(&[]),
            "task is required: the name of the task whose logs to read"
        );
        assert_eq!(e(&[("task", "web")]), "type is required: stdout or stderr");
        assert_eq!(
            e(&[("task", "web"), ("type", "stdin")]),
            "type must be stdout or stderr, not \"stdin\""
        );
        assert_eq!(
            e(&[("task", "web"), ("type", "stdout"), ("origin", "middle")]),
            "origin must be start or end, not \"middle\""
        );
        assert_eq!(
            e(&[("task", "../web"), ("type", "stdout")]),
            "task \"../web\" is not a task name"
        );
        let ok = parse_pairs(&[
            ("task", "web"),
            ("type", "stderr"),
            ("origin", "end"),
            ("offset", "100"),
            ("follow", "true"),
            ("plain", "1"),
        ])
        .unwrap();
        assert_eq!(ok.kind, "stderr");
        assert_eq!(ok.origin, Origin::End);
        assert_eq!(ok.offset, 100);
        assert!(ok.follow && ok.plain);
    }
}

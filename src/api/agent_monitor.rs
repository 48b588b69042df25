//! `GET /v1/agent/monitor`: the answering agent's log, streamed.
//!
//! Parameters as Nomad reads them: `log_level` (default `info`; an
//! unknown level is refused), `log_json` (hclog's JSON lines; `json` is
//! accepted too), `plain` (raw text instead of frames). The answer is a
//! stream of Nomad's frames, `{"Data":"<base64 of log lines>"}`, one per
//! line of JSON, with an empty `{}` heartbeat after a second without logs
//! (as Nomad's stream framer sends them), which is also how a closed
//! connection is noticed. A reader that falls behind loses lines and gets
//! `[WARN] Monitor dropped N logs during monitor request` in their place.
//!
//! Only the answering agent is monitored: `server_id`/`node_id` must name
//! it (Nomad forwards to the named agent; Drover servers do not know other
//! agents' HTTP addresses), otherwise the request is refused.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::ApiError;
use super::params::{RawQuery, parse_go_bool};
use crate::agent::log_monitor::{self, Missed, Subscription};
use crate::agent::logging::LogLevel;

/// A heartbeat frame after this long without a line.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Most log bytes gathered into one frame.
const FRAME_BYTES: usize = 64 * 1024;

/// What a monitor request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorRequest {
    pub level: LogLevel,
    pub json: bool,
    pub plain: bool,
}

fn go_bool(q: &RawQuery, name: &str, what: &str) -> Result<bool, ApiError> {
    match q.text(name) {
        None => Ok(false),
        Some(v) => parse_go_bool(v).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Unknown option for {what}: strconv.ParseBool: parsing {v:?}: invalid syntax"
            ))
        }),
    }
}

/// Reads the request; `is_self` says whether a `server_id` or `node_id`
/// names this agent.
pub fn parse(q: &RawQuery, is_self: impl Fn(&str) -> bool) -> Result<MonitorRequest, ApiError> {
    let level = match q.text("log_level") {
        None => LogLevel::Info,
        Some(l) => LogLevel::parse(l)
            .map_err(|_| ApiError::bad_request(format!("Unknown log level: {l}")))?,
    };
    let json = if q.text("log_json").is_some() {
        go_bool(q, "log_json", "log json")?
    } else {
        go_bool(q, "json", "log json")?
    };
    let plain = go_bool(q, "plain", "plain")?;
    let (node, server) = (q.text("node_id"), q.text("server_id"));
    if node.is_some() && server.is_some() {
        return Err(ApiError::bad_request(
            "Cannot target node and server simultaneously",
        ));
    }
    if let Some(other) = node.or(server).filter(|id| !is_self(id)) {
        return Err(ApiError::bad_request(format!(
            "{other:?} is not this agent: Drover monitors only the agent answering; ask that agent"
        )));
    }
    Ok(MonitorRequest { level, json, plain })
}

/// The streaming answer to `req`.
pub fn respond(req: MonitorRequest) -> Response {
    let sub = log_monitor::hub().subscribe(req.level);
    tracing::info!(log_level = %req.level, json = req.json, "monitor started");
    let stream = Stream {
        sub,
        req,
        quiet: Box::pin(tokio::time::sleep(HEARTBEAT)),
    };
    let body = futures::stream::unfold(stream, |mut s| async move {
        let chunk = s.next_chunk().await;
        Some((Ok::<_, Infallible>(chunk), s))
    });
    let content_type = if req.plain {
        "text/plain"
    } else {
        "application/json"
    };
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

struct Stream {
    sub: Subscription,
    req: MonitorRequest,
    /// Ends after [`HEARTBEAT`] without a chunk sent.
    quiet: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl Stream {
    /// The next chunk of the body: lines gathered while they keep
    /// coming, or a heartbeat.
    async fn next_chunk(&mut self) -> Bytes {
        loop {
            let first = tokio::select! {
                line = self.sub.recv() => line,
                () = &mut self.quiet => {
                    self.rearm();
                    if self.req.plain {
                        continue;
                    }
                    return Bytes::from_static(b"{}\n");
                }
            };
            let mut text = self.render(first);
            while text.len() < FRAME_BYTES {
                match self.sub.try_recv() {
                    Err(Missed::Empty) => break,
                    next => text.push_str(&self.render(next)),
                }
            }
            self.rearm();
            return self.frame(text);
        }
    }

    fn rearm(&mut self) {
        self.quiet
            .as_mut()
            .reset(tokio::time::Instant::now() + HEARTBEAT);
    }

    fn render(&self, line: Result<std::sync::Arc<log_monitor::LogRecord>, Missed>) -> String {
        match line {
            Ok(r) if self.req.json => r.json(),
            Ok(r) => r.text(),
            Err(Missed::Dropped(n)) => {
                format!("[WARN] Monitor dropped {n} logs during monitor request\n")
            }
            Err(Missed::Empty) => String::new(),
        }
    }

    fn frame(&self, text: String) -> Bytes {
        if self.req.plain {
            return Bytes::from(text);
        }
        let data = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        let mut frame = serde_json::json!({ "Data": data }).to_string();
        frame.push('\n');
        Bytes::from(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> RawQuery {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parameters_are_read_as_nomad_reads_them() {
        let me = |id: &str| id == "me";
        let r = parse(&query(&[]), me).expect("defaults");
        assert_eq!(
            r,
            MonitorRequest {
                level: LogLevel::Info,
                json: false,
                plain: false
            }
        );
        let r = parse(&query(&[("log_level", "DEBUG"), ("log_json", "true")]), me).expect("ok");
        assert_eq!((r.level, r.json), (LogLevel::Debug, true));
        assert!(parse(&query(&[("json", "1")]), me).expect("alias").json);
        let e = parse(&query(&[("log_level", "loud")]), me).expect_err("bad level");
        assert_eq!(e.message, "Unknown log level: loud");
        let e = parse(&query(&[("log_json", "maybe")]), me).expect_err("bad bool");
        assert_eq!(
            e.message,
            "Unknown option for log json: strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
        let e = parse(&query(&[("node_id", "a"), ("server_id", "b")]), me).expect_err("both");
        assert_eq!(e.message, "Cannot target node and server simultaneously");
        assert!(parse(&query(&[("server_id", "me")]), me).is_ok());
        assert!(parse(&query(&[("server_id", "other")]), me).is_err());
    }
}

//! `GET /v1/metrics` (Nomad's JSON; `format=prometheus`: Prometheus text)
//! and the layer that times every request.
//!
//! Raft figures (`nomad.raft.commitTime` per entry, `nomad.raft.entries`,
//! `nomad.raft.apply` commands) are the leader's: a follower shows what it
//! proposed while it led. `nomad.server.propose` is a write's whole time
//! through this server, forwarding included.
//!
//! Gauges are read at scrape from this server's state and leader duties:
//! evaluation broker and blocked counts (zero on followers, as in Nomad,
//! where only the leader's broker is enabled), jobs by status (one pass
//! over the jobs), allocations by client status summed from the job
//! summaries (one pass over jobs, not allocations), and the event
//! stream's subscribers and buffered events.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ApiError;
use super::extract::{Query, State};
use super::params::Params;
use crate::metrics::{Gauge, SampleStats, Snapshot, prometheus_text};
use crate::server::Server;

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/metrics", get(metrics))
}

async fn metrics(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    // One pass over the jobs: off the worker's queue on a large state.
    let snap = crate::offload::off_worker(|| snapshot(&s));
    match q.text("format") {
        Some("prometheus") => {
            let mut r = prometheus_text(&snap).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            Ok(r)
        }
        None => {
            let ts = crate::structs::time::rfc3339(crate::ids::now_nanos())
                .replace('T', " ")
                .replace('Z', " +0000 UTC");
            Ok(axum::Json(snap.to_json(&ts)).into_response())
        }
        Some(other) => Err(ApiError::bad_request(format!(
            "Unknown metrics format: {other:?}"
        ))),
    }
}

fn gauge(name: &str, value: f64) -> Gauge {
    Gauge {
        name: name.into(),
        labels: Vec::new(),
        value,
    }
}

/// Everything `/v1/metrics` shows, read now.
pub fn snapshot(s: &Server) -> Snapshot {
    let m = s.metrics();
    let state = s.state().snapshot();
    let raft = s.raft().commit_stats();
    let commit_time = SampleStats {
        count: raft.entries,
        sum: raft.sum_ms,
        min: raft.min_ms,
        max: raft.max_ms,
        sum_sq: raft.sum_sq_ms,
    };
    let (ready, unacked, pending) = s.duties().broker.stats();
    let mut gauges = vec![
        gauge("nomad.broker.total_ready", ready as f64),
        gauge("nomad.broker.total_unacked", unacked as f64),
        gauge("nomad.broker.total_pending", pending as f64),
        gauge(
            "nomad.blocked_evals.total_blocked",
            s.duties().blocked.len() as f64,
        ),
        gauge("nomad.state.allocations", state.allocs_count() as f64),
        gauge("nomad.event.subscribers", s.events().subscribers() as f64),
        gauge("nomad.event.buffered", s.events().held() as f64),
    ];
    let (mut job_pending, mut job_running, mut job_dead) = (0u64, 0u64, 0u64);
    for j in state.jobs() {
        match j.status.as_str() {
            "running" => job_running += 1,
            "dead" => job_dead += 1,
            _ => job_pending += 1,
        }
    }
    gauges.push(gauge("nomad.nomad.job_status.pending", job_pending as f64));
    gauges.push(gauge("nomad.nomad.job_status.running", job_running as f64));
    gauges.push(gauge("nomad.nomad.job_status.dead", job_dead as f64));
    let mut by_status = [0i64; 7];
    for summary in state.summaries.values() {
        for g in summary.summary.values() {
            let counts = [
                g.queued, g.starting, g.running, g.complete, g.failed, g.lost, g.unknown,
            ];
            for (slot, n) in by_status.iter_mut().zip(counts) {
                *slot += n;
            }
        }
    }
    let names = [
        "queued", "starting", "running", "complete", "failed", "lost", "unknown",
    ];
    for (name, n) in names.iter().zip(by_status) {
        gauges.push(Gauge {
            name: "nomad.nomad.job_summary.allocations".into(),
            labels: vec![("client_status".into(), (*name).into())],
            value: n as f64,
        });
    }
    let counters = vec![
        ("nomad.raft.apply".into(), Vec::new(), raft.commands),
        ("nomad.raft.entries".into(), Vec::new(), raft.entries),
        ("nomad.server.writes".into(), Vec::new(), m.writes.get()),
        ("nomad.plan.submit".into(), Vec::new(), m.plans.get()),
        (
            "nomad.heartbeat.received".into(),
            Vec::new(),
            m.heartbeats.get(),
        ),
        (
            "nomad.event.published".into(),
            Vec::new(),
            s.events().published(),
        ),
        (
            "nomad.event.delivered".into(),
            Vec::new(),
            m.events_delivered.get(),
        ),
        (
            "nomad.event.lagged".into(),
            Vec::new(),
            m.events_lagged.get(),
        ),
    ];
    let mut samples = vec![
        ("nomad.raft.commitTime".into(), Vec::new(), commit_time),
        ("nomad.server.propose".into(), Vec::new(), m.propose.stats()),
        ("nomad.plan.apply".into(), Vec::new(), m.plan_apply.stats()),
        ("nomad.event.lag".into(), Vec::new(), m.event_lag.stats()),
    ];
    for (labels, stats) in m.http.stats() {
        samples.push(("nomad.http.request".into(), labels, stats));
    }
    Snapshot {
        gauges,
        counters,
        samples,
    }
}

/// Times each request by method and route (the route's pattern, so the
/// label set stays bounded).
pub async fn time_requests(State(s): State<Server>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(req).await;
    s.metrics().http.observe(
        vec![("method".into(), method), ("path".into(), path)],
        started.elapsed(),
    );
    response
}

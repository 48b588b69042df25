//! `GET /v1/event/stream`: Nomad's event stream, newline-delimited JSON.
//!
//! Parameters as Nomad reads them: `topic=Topic:Key` (repeated; a topic
//! alone is `Topic:*`; none: every topic), `namespace` (default
//! `default`, `*` for all), `index` (resume: events of entries after it;
//! 0 or absent: events from now on (Nomad also replays the newest
//! entry's); an index the buffer no longer holds starts at the oldest
//! kept). Each entry that produced matching events
//! is one line, `{"Index": N, "Events": [...]}`; a quiet stream writes
//! `{}` every `event_heartbeat` (10 s). A subscriber that falls behind
//! the buffer gets one `{"Error": "..."}` line and the stream ends, as
//! Nomad closes it; a client resubscribes from its last index.
//!
//! Every server serves the stream from its own buffer (see
//! [`crate::events`]). The time from an entry being seen applied to its
//! frame being handed to the connection is recorded as
//! `nomad.event.lag`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ApiError;
use super::extract::{Query, State};
use super::params::Params;
use crate::events::{EventBatch, Subscription, TopicFilter};
use crate::metrics::Metrics;
use crate::server::Server;

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/event/stream", get(stream))
}

async fn stream(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let index = match q.text("index") {
        None => 0,
        Some(v) => v
            .parse::<u64>()
            .map_err(|e| ApiError::bad_request(format!("Unable to parse index: {e}")))?,
    };
    let topics: Vec<String> = q
        .all("topic")
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect();
    let filter = TopicFilter::parse(&topics, q.text("namespace")).map_err(|e| {
        ApiError::bad_request(format!("Invalid topic query: error parsing topics: {e}"))
    })?;
    let sub = s.events().subscribe((index > 0).then_some(index));
    let heartbeat = s.config().event_heartbeat;
    let state = Stream {
        sub,
        filter,
        metrics: s.metrics().clone(),
        heartbeat,
        quiet: Box::pin(tokio::time::sleep(heartbeat)),
        ended: false,
        queue: VecDeque::new(),
    };
    let body = futures::stream::unfold(state, |mut st| async move {
        if st.ended {
            return None;
        }
        let chunk = st.next_chunk().await;
        Some((Ok::<_, Infallible>(chunk), st))
    });
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

struct Stream {
    sub: Subscription,
    filter: TopicFilter,
    metrics: Arc<Metrics>,
    heartbeat: Duration,
    quiet: std::pin::Pin<Box<tokio::time::Sleep>>,
    ended: bool,
    /// Frames ready to write, one per entry, with the time their entry
    /// was seen applied.
    queue: VecDeque<(Bytes, i64)>,
}

impl Stream {
    /// The next lines to write: matching frames, a heartbeat, or the
    /// error that ends the stream.
    async fn next_chunk(&mut self) -> Bytes {
        loop {
            if let Some((frame, committed_ns)) = self.queue.pop_front() {
                let lag_ms = (crate::ids::now_nanos() - committed_ns).max(0) as f64 / 1e6;
                self.metrics.event_lag.observe_ms(lag_ms);
                self.rearm();
                return frame;
            }
            tokio::select! {
                next = self.sub.next() => match next {
                    Ok(batches) => self.render(&batches),
                    Err(lagged) => {
                        self.ended = true;
                        self.metrics.events_lagged.inc();
                        let line = serde_json::json!({ "Error": lagged.to_string() });
                        return Bytes::from(format!("{line}\n"));
                    }
                },
                () = &mut self.quiet => {
                    self.rearm();
                    return Bytes::from_static(b"{}\n");
                }
            }
        }
    }

    fn rearm(&mut self) {
        self.quiet
            .as_mut()
            .reset(tokio::time::Instant::now() + self.heartbeat);
    }

    /// Queues one line per batch with matching events (a batch whose
    /// events all match shares one line among its subscribers).
    fn render(&mut self, batches: &[Arc<EventBatch>]) {
        let mut delivered = 0u64;
        for b in batches {
            let filter = &self.filter;
            if let Some(frame) = b.frame(|e| filter.matches(e)) {
                delivered += b.events.iter().filter(|e| filter.matches(e)).count() as u64;
                self.queue.push_back((frame, b.committed_ns));
            }
        }
        self.metrics.events_delivered.add(delivered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Event, EventBuffer};

    fn batch(index: u64, key: &str) -> EventBatch {
        let e = Event {
            topic: "Job",
            kind: "JobRegistered",
            key: key.into(),
            namespace: "default".into(),
            filter_keys: vec![],
            index,
            json: Arc::from(format!("{{\"Key\":\"{key}\"}}")),
        };
        EventBatch::new(index, crate::ids::now_nanos(), vec![e])
    }

    fn stream(buffer: &Arc<EventBuffer>, topics: &[&str], after: Option<u64>) -> Stream {
        let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
        Stream {
            sub: buffer.subscribe(after),
            filter: TopicFilter::parse(&topics, None).expect("filter"),
            metrics: Arc::new(Metrics::default()),
            heartbeat: Duration::from_millis(50),
            quiet: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
            ended: false,
            queue: VecDeque::new(),
        }
    }

    #[tokio::test]
    async fn frames_filter_heartbeat_and_a_lagging_reader_gets_an_error_line() {
        let buffer = EventBuffer::new(3);
        let mut web = stream(&buffer, &["Job:web"], Some(0));
        buffer.publish(batch(1, "db"));
        buffer.publish(batch(2, "web"));
        assert_eq!(
            &web.next_chunk().await[..],
            b"{\"Index\":2,\"Events\":[{\"Key\":\"web\"}]}\n"
        );
        assert_eq!(&web.next_chunk().await[..], b"{}\n", "a heartbeat");
        assert_eq!(web.metrics.events_delivered.get(), 1);

        // Publishing past the buffer while a reader waits: it is told and
        // its stream ends.
        for i in 3..10 {
            buffer.publish(batch(i, "web"));
        }
        let line = web.next_chunk().await;
        let v: serde_json::Value = serde_json::from_slice(&line).expect("JSON");
        assert!(
            v["Error"].as_str().is_some_and(|e| e.contains("dropped")),
            "{v}"
        );
        assert!(web.ended);
        assert_eq!(web.metrics.events_lagged.get(), 1);
    }
}

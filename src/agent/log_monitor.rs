//! The agent's log as a stream for `GET /v1/agent/monitor`.
//!
//! A tracing layer copies each event into a bounded broadcast channel
//! ([`BUFFER`] lines, Nomad's monitor buffer). Sending never waits: a
//! reader that falls more than [`BUFFER`] lines behind loses the oldest
//! and is told how many it lost, so a slow HTTP reader can never hold up
//! the code that logs.
//!
//! The layer has its own filter: nothing passes while nobody monitors, so
//! an unwatched agent pays nothing. While monitors are open it passes the
//! most verbose level any of them asked for (for Drover's own crates;
//! libraries stay at `warn` and above, as in the agent's own log), even
//! past the agent's `log_level`, as Nomad's monitor does. The filter's
//! answer is cached per call site by tracing, so it is recomputed
//! (`rebuild_interest_cache`) whenever that level changes.
//!
//! There is one hub per process, as there is one tracing subscriber: a
//! process running several agents (tests) streams all of their lines to
//! every monitor.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Filter, Layer};

use super::logging::LogLevel;

/// Lines a monitor may fall behind before it loses the oldest.
pub const BUFFER: usize = 512;

/// One logged event, captured once and rendered per monitor.
#[derive(Debug)]
pub struct LogRecord {
    pub time: jiff::Timestamp,
    pub level: Level,
    pub target: String,
    pub message: String,
    pub fields: Vec<(&'static str, String)>,
}

/// The broadcast of log lines and the levels its readers want.
pub struct LogHub {
    tx: broadcast::Sender<Arc<LogRecord>>,
    /// Open subscriptions per level rank (index 0: error .. 4: trace).
    open: Mutex<[usize; 5]>,
    /// The most verbose rank any subscription wants; 0: none.
    max: AtomicU8,
}

/// The process's hub.
pub fn hub() -> &'static LogHub {
    static HUB: OnceLock<LogHub> = OnceLock::new();
    HUB.get_or_init(|| LogHub {
        tx: broadcast::channel(BUFFER).0,
        open: Mutex::new([0; 5]),
        max: AtomicU8::new(0),
    })
}

/// A level's rank: 1 (error) to 5 (trace).
fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn rank_of(level: LogLevel) -> u8 {
    match level {
        LogLevel::Error => 1,
        LogLevel::Warn => 2,
        LogLevel::Info => 3,
        LogLevel::Debug => 4,
        LogLevel::Trace => 5,
    }
}

/// Whether an event of `level` from `target` is wanted at `max` (a rank):
/// Drover's crates up to `max`, libraries up to `warn`.
fn passes(level: &Level, target: &str, max: u8) -> bool {
    let cap = if target.starts_with("drover") {
        max
    } else {
        max.min(2)
    };
    rank(level) <= cap
}

impl LogHub {
    /// Starts receiving lines at `level` and below.
    pub fn subscribe(&'static self, level: LogLevel) -> Subscription {
        let rx = self.tx.subscribe();
        self.adjust(rank_of(level), true);
        Subscription {
            rx,
            max: rank_of(level),
            hub: self,
        }
    }

    fn adjust(&self, rank: u8, open: bool) {
        let changed = {
            let mut counts = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let slot = &mut counts[usize::from(rank.clamp(1, 5) - 1)];
            *slot = if open {
                *slot + 1
            } else {
                slot.saturating_sub(1)
            };
            let max = counts
                .iter()
                .rposition(|n| *n > 0)
                .map_or(0, |i| i as u8 + 1);
            self.max.swap(max, Ordering::SeqCst) != max
        };
        if changed {
            // Call sites cache the filter's answer: ask again.
            tracing::callsite::rebuild_interest_cache();
        }
    }

    fn wants(&self, meta: &Metadata<'_>) -> bool {
        let max = self.max.load(Ordering::Relaxed);
        max > 0 && meta.is_event() && passes(meta.level(), meta.target(), max)
    }
}

/// An open monitor: lines at its level, in order; closed on drop.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<LogRecord>>,
    max: u8,
    hub: &'static LogHub,
}

/// Why [`Subscription::recv`] returned no line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    /// This many lines were dropped because the reader fell behind.
    Dropped(u64),
    /// Nothing is waiting (only from [`Subscription::try_recv`]).
    Empty,
}

impl Subscription {
    /// The next line this monitor wants. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Arc<LogRecord>, Missed> {
        loop {
            match self.rx.recv().await {
                Ok(r) if passes(&r.level, &r.target, self.max) => return Ok(r),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(Missed::Dropped(n)),
                // The hub lives as long as the process.
                Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
            }
        }
    }

    /// The next line already waiting, if any.
    pub fn try_recv(&mut self) -> Result<Arc<LogRecord>, Missed> {
        loop {
            match self.rx.try_recv() {
                Ok(r) if passes(&r.level, &r.target, self.max) => return Ok(r),
                Ok(_) => {}
                Err(broadcast::error::TryRecvError::Lagged(n)) => return Err(Missed::Dropped(n)),
                Err(_) => return Err(Missed::Empty),
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.adjust(self.max, false);
    }
}

impl LogRecord {
    /// hclog's text line: `2024-05-01T10:00:00.123Z [INFO]  target: message: key=value`.
    pub fn text(&self) -> String {
        let level = self.level.as_str();
        let mut line = format!(
            "{} [{level}] {:pad$}{}: {}",
            self.time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
            "",
            self.target,
            self.message,
            pad = 5 - level.len(),
        );
        if !self.fields.is_empty() {
            line.push(':');
            for (k, v) in &self.fields {
                let _ = write!(line, " {k}={v}");
            }
        }
        line.push('\n');
        line
    }

    /// hclog's JSON line: `@level`, `@message`, `@module`, `@timestamp`
    /// and the fields.
    pub fn json(&self) -> String {
        let mut o = serde_json::Map::new();
        o.insert("@level".into(), self.level.as_str().to_lowercase().into());
        o.insert("@message".into(), self.message.clone().into());
        o.insert("@module".into(), self.target.clone().into());
        o.insert(
            "@timestamp".into(),
            self.time
                .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
                .into(),
        );
        for (k, v) in &self.fields {
            o.insert((*k).to_string(), v.clone().into());
        }
        let mut line = serde_json::Value::Object(o).to_string();
        line.push('\n');
        line
    }
}

/// The monitor's layer, with its own filter: add it next to the agent's
/// own output layer.
pub fn layer<S>() -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    MonitorLayer.with_filter(MonitorFilter)
}

struct MonitorLayer;

impl<S: Subscriber> Layer<S> for MonitorLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let hub = hub();
        if hub.tx.receiver_count() == 0 {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let record = LogRecord {
            time: jiff::Timestamp::now(),
            level: *meta.level(),
            target: meta.target().to_string(),
            message: fields.message,
            fields: fields.rest,
        };
        // Never waits: a full buffer overwrites the oldest line.
        let _ = hub.tx.send(Arc::new(record));
    }
}

struct MonitorFilter;

impl<S> Filter<S> for MonitorFilter {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        hub().wants(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if hub().wants(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match hub().max.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.rest.push((field.name(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.rest.push((field.name(), format!("{value:?}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> LogRecord {
        LogRecord {
            time: jiff::Timestamp::from_second(1_700_000_000).expect("time"),
            level: Level::INFO,
            target: "drover::server".into(),
            message: "leader changed".into(),
            fields: vec![("node_id", "7".into())],
        }
    }

    #[test]
    fn lines_render_as_hclog_does() {
        assert_eq!(
            record().text(),
            "2023-11-14T22:13:20.000Z [INFO]  drover::server: leader changed: node_id=7\n"
        );
        let v: serde_json::Value = serde_json::from_str(&record().json()).expect("json");
        assert_eq!(v["@level"], "info");
        assert_eq!(v["@message"], "leader changed");
        assert_eq!(v["@module"], "drover::server");
        assert_eq!(v["node_id"], "7");
        assert_eq!(v["@timestamp"], "2023-11-14T22:13:20.000000Z");
    }

    #[test]
    fn libraries_pass_only_at_warn_and_above() {
        assert!(passes(&Level::DEBUG, "drover_raft::node", 4));
        assert!(!passes(&Level::DEBUG, "openraft::core", 4));
        assert!(passes(&Level::WARN, "openraft::core", 4));
        assert!(!passes(&Level::INFO, "drover", 2));
        assert!(!passes(&Level::ERROR, "drover", 0));
    }

    #[tokio::test]
    async fn a_reader_that_falls_behind_is_told_how_many_lines_it_lost() {
        let hub = hub();
        let mut sub = hub.subscribe(LogLevel::Trace);
        assert!(hub.max.load(Ordering::SeqCst) >= 5);
        for i in 0..(BUFFER + 10) {
            let _ = hub.tx.send(Arc::new(LogRecord {
                message: format!("line {i}"),
                ..record()
            }));
        }
        // Other tests of this process may log too: at least 10 lost.
        match sub.try_recv() {
            Err(Missed::Dropped(n)) => assert!(n >= 10, "{n}"),
            other => panic!("expected lost lines, got {other:?}"),
        }
        assert!(sub.recv().await.is_ok());
        drop(sub);
    }
}

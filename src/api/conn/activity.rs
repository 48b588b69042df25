//! What one HTTP connection is doing, and the deadline that follows.
//!
//! ```text
//!   accepted ──► reading a header ──(header complete)──► answering
//!                   ▲   deadline: first byte                 │
//!                   │   + header_read_timeout                │ (response
//!          first byte                                        │  body sent)
//!                   │                                        ▼
//!                   └──────────────────────────────── idle: deadline
//!                                                    idle_timeout
//! ```
//!
//! A connection being answered has no deadline: a blocking query may hold
//! it for minutes. Three events move the state, all while the connection's
//! task polls hyper: bytes read ([`ActivityIo`]), a request handed to the
//! router ([`Activity::request_started`]) and its response body finished
//! or dropped ([`InFlight`]'s drop, carried by [`Tracked`]). [`Watchdog`]
//! is polled right after hyper in the same task, so it always sees the
//! latest state.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::api::HttpLimits;

#[derive(Debug)]
struct State {
    /// Requests handed to the router whose response body is not finished.
    in_flight: usize,
    /// When the connection last became idle (or was accepted).
    idle_since: Instant,
    /// When the first byte of the header being read arrived; a new
    /// connection counts from its acceptance.
    header_since: Option<Instant>,
}

/// The shared state of one connection.
#[derive(Clone, Debug)]
pub struct Activity(Arc<Mutex<State>>);

/// Why a connection's deadline passed.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    /// A request header did not arrive whole in time.
    Header,
    /// No request came for the idle timeout.
    Idle,
}

impl Activity {
    /// A connection accepted at `now`, waiting for its first header.
    pub fn new(now: Instant) -> Activity {
        Activity(Arc::new(Mutex::new(State {
            in_flight: 0,
            idle_since: now,
            header_since: Some(now),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few numbers, consistent after any panic.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A request's header is complete and the request goes to the router.
    pub fn request_started(&self) -> InFlight {
        let mut s = self.lock();
        s.in_flight += 1;
        s.header_since = None;
        InFlight(self.clone())
    }

    fn bytes_read(&self) {
        let mut s = self.lock();
        if s.in_flight == 0 && s.header_since.is_none() {
            s.header_since = Some(Instant::now());
        }
    }

    /// The current deadline and what passing it means; `None` while a
    /// request is being answered.
    pub fn deadline(&self, limits: &HttpLimits) -> Option<(Instant, Expired)> {
        let s = self.lock();
        if s.in_flight > 0 {
            return None;
        }
        Some(match s.header_since {
            Some(t) => (t + limits.header_read_timeout, Expired::Header),
            None => (s.idle_since + limits.idle_timeout, Expired::Idle),
        })
    }
}

/// One request in progress; dropping it ends the request.
#[derive(Debug)]
pub struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.in_flight == 0 {
            s.idle_since = Instant::now();
        }
    }
}

/// A response body that ends its request when it is finished or dropped.
pub struct Tracked<B> {
    pub body: B,
    /// Held, not read: dropping it ends the request.
    pub _in_flight: InFlight,
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection's byte stream, reporting reads to its [`Activity`].
pub struct ActivityIo<T> {
    inner: T,
    activity: Activity,
}

impl<T> ActivityIo<T> {
    pub fn new(inner: T, activity: Activity) -> Self {
        ActivityIo { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ActivityIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.activity.bytes_read();
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ActivityIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Waits for the connection's current deadline, re-reading it each poll.
pub struct Watchdog {
    activity: Activity,
    limits: HttpLimits,
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
}

impl Watchdog {
    pub fn new(activity: Activity, limits: HttpLimits) -> Self {
        Watchdog {
            activity,
            limits,
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
        }
    }

    /// Ready once the current deadline passes. While a request is being
    /// answered it stays pending without a timer: only the connection's
    /// own progress, which wakes this task, can end that state.
    pub fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<Expired> {
        let Some((deadline, why)) = self.activity.deadline(&self.limits) else {
            self.armed = None;
            return Poll::Pending;
        };
        if self.armed != Some(deadline) {
            self.sleep.as_mut().reset(deadline);
            self.armed = Some(deadline);
        }
        ready!(self.sleep.as_mut().poll(cx));
        Poll::Ready(why)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            ..HttpLimits::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_the_connections_state() {
        let accepted = Instant::now();
        let a = Activity::new(accepted);
        assert_eq!(
            a.deadline(&limits()),
            Some((accepted + Duration::from_secs(10), Expired::Header))
        );
        let request = a.request_started();
        assert_eq!(
            a.deadline(&limits()),
            None,
            "a request in progress has no deadline"
        );
        tokio::time::advance(Duration::from_secs(600)).await;
        a.bytes_read();
        assert_eq!(
            a.deadline(&limits()),
            None,
            "body bytes do not start a header"
        );
        drop(request);
        let idle = Instant::now();
        assert_eq!(
            a.deadline(&limits()),
            Some((idle + Duration::from_secs(75), Expired::Idle))
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        a.bytes_read();
        assert_eq!(
            a.deadline(&limits()),
            Some((Instant::now() + Duration::from_secs(10), Expired::Header)),
            "the header clock starts at its first byte"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_fires_at_the_deadline_and_not_while_answering() {
        let a = Activity::new(Instant::now());
        let mut dog = Watchdog::new(a.clone(), limits());
        let request = a.request_started();
        let waited = tokio::time::timeout(
            Duration::from_secs(3600),
            std::future::poll_fn(|cx| dog.poll_expired(cx)),
        )
        .await;
        assert!(waited.is_err(), "no deadline while a request is answered");
        drop(request);
        let started = Instant::now();
        let why = std::future::poll_fn(|cx| dog.poll_expired(cx)).await;
        assert_eq!(why, Expired::Idle);
        assert_eq!(started.elapsed(), Duration::from_secs(75));
    }
}

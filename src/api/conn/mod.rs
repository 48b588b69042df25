//! The HTTP listener: accepts connections under caps and serves each with
//! hyper's HTTP/1 connection under deadlines.
//!
//! - A connection over [`HttpLimits::max_conns`] or
//!   [`HttpLimits::max_conns_per_client`] is answered `503 Too many
//!   connections` and closed ([`caps`]).
//! - A request header must arrive whole within
//!   [`HttpLimits::header_read_timeout`] of its first byte (of acceptance,
//!   for a new connection); a connection with no request in progress is
//!   closed after [`HttpLimits::idle_timeout`] ([`activity`]). A request
//!   being answered, such as a blocking query, has no deadline here.
//!
//! hyper 1's own `header_read_timeout` starts when the connection waits for
//! a header, idle or not, so it would close idle keep-alive connections at
//! the header deadline; the deadlines are therefore kept here.
//!
//! Shutdown: once `shutdown` completes, the listener closes, every
//! connection is told to finish (idle ones close, in-flight requests are
//! answered) and [`serve`] returns when all have ended. Dropping the future
//! of [`serve`] (aborting its task) drops every connection at once.

mod activity;
mod caps;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper::service::{Service, service_fn};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::activity::{Activity, ActivityIo, Expired, Tracked, Watchdog};
use self::caps::{Caps, Permit};
use super::HttpLimits;

/// Refused connections answered at once; past that they are just closed.
const MAX_REFUSING: usize = 64;
/// At most one warning about refused connections per this interval.
const REFUSAL_WARN_EVERY: Duration = Duration::from_secs(10);
/// The pause after an accept error such as running out of file descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` completes and every
/// connection has ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let caps = Caps::new(limits.max_conns, limits.max_conns_per_client);
    let stop = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut refusing = JoinSet::new();
    let mut last_warning: Option<Instant> = None;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(_) = refusing.join_next(), if !refusing.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) if is_connection_error(&e) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot accept http connections; retrying in 1s");
                        tokio::select! {
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                        }
                    }
                };
                match caps.admit(peer.ip()) {
                    Ok(permit) => {
                        connections.spawn(connection(stream, peer, router.clone(), limits, permit, stop.clone()));
                    }
                    Err(why) => {
                        if last_warning.is_none_or(|t| t.elapsed() >= REFUSAL_WARN_EVERY) {
                            last_warning = Some(Instant::now());
                            tracing::warn!(
                                client = %peer.ip(),
                                cap = ?why,
                                "refusing http connections over the cap (limits.http_max_conns, limits.http_max_conns_per_client)"
                            );
                        }
                        if refusing.len() < MAX_REFUSING {
                            refusing.spawn(caps::refuse(stream, why));
                        }
                    }
                }
            }
        }
    }
    drop(listener);
    stop.cancel();
    refusing.abort_all();
    while connections.join_next().await.is_some() {}
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it ends, a deadline passes or shutdown
/// finishes it.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: HttpLimits,
    _permit: Permit,
    stop: CancellationToken,
) {
    // Answers are written whole; waiting to coalesce them only adds delay.
    let _ = stream.set_nodelay(true);
    let activity = Activity::new(Instant::now());
    let io = TokioIo::new(ActivityIo::new(stream, activity.clone()));
    let routes = TowerToHyperService::new(router);
    let requests = activity.clone();
    let service = service_fn(move |req| {
        let in_flight = requests.request_started();
        let answer = routes.call(req);
        async move {
            let response = answer.await?;
            Ok::<_, Infallible>(response.map(|body| Tracked {
                body,
                _in_flight: in_flight,
            }))
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // The deadlines are the watchdog's (see the module doc).
    http.header_read_timeout(Option::<Duration>::None);
    let mut conn = std::pin::pin!(http.serve_connection(io, service));
    let mut watchdog = Watchdog::new(activity, limits);
    let mut finishing = false;
    loop {
        tokio::select! {
            // hyper first: it moves the state the watchdog then reads.
            biased;
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(client = %peer, error = %e, "http connection ended with an error");
                }
                return;
            }
            why = std::future::poll_fn(|cx| watchdog.poll_expired(cx)) => {
                match why {
                    Expired::Header => tracing::debug!(client = %peer, "closing an http connection: request header not received in time"),
                    Expired::Idle => tracing::trace!(client = %peer, "closing an idle http connection"),
                }
                return;
            }
            () = stop.cancelled(), if !finishing => {
                conn.as_mut().graceful_shutdown();
                finishing = true;
            }
        }
    }
}

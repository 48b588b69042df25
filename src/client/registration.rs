//! Registration and heartbeats. The client registers with any server
//! (the API client fails over between them), then heartbeats at half the
//! TTL the servers grant. A heartbeat the servers refuse because they no
//! longer know the node triggers a new registration; unreachable servers
//! are retried every second or so, while the tasks keep running. Driver
//! health is re-checked every 30 s and re-registered when it changes.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::ClientShared;
use super::fingerprint;

const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(15);
const REFINGERPRINT: Duration = Duration::from_secs(30);

fn jitter(d: Duration) -> Duration {
    let ms = d.as_millis() as u64 / 4;
    d + Duration::from_millis(rand::rng().random_range(0..=ms.max(1)))
}

/// Sleeps `d`; false when stopped meanwhile.
async fn nap(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// Registers until it succeeds; returns the TTL, or None when stopped.
async fn register(shared: &ClientShared, stop: &CancellationToken) -> Option<Duration> {
    let mut backoff = RETRY_MIN;
    loop {
        let node = shared.node();
        match shared.api.node_register(&node).await {
            Ok(r) => {
                tracing::info!(node = %node.id, "node registered");
                return Some(ttl(r.heartbeat_ttl));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot register the node; retrying");
                if !nap(stop, jitter(backoff)).await {
                    return None;
                }
                backoff = (backoff * 2).min(RETRY_MAX);
            }
        }
    }
}

fn ttl(ns: i64) -> Duration {
    Duration::from_nanos(ns.max(1_000_000_000) as u64)
}

/// Re-fingerprints the drivers; true when their health changed.
async fn refresh(shared: &ClientShared) -> bool {
    let fps = shared.fingerprint_drivers().await;
    let old = shared.node();
    let changed = fps.iter().any(|(name, fp)| {
        old.drivers
            .get(name)
            .is_none_or(|d| d.healthy != fp.healthy || d.detected != fp.detected)
    });
    if changed {
        shared.set_node(fingerprint::node(
            &shared.config,
            &shared.identity.node_id,
            &shared.identity.secret_id,
            &fps,
        ));
    }
    changed
}

pub async fn run(
    shared: Arc<ClientShared>,
    registered: watch::Sender<bool>,
    stop: CancellationToken,
) {
    'register: loop {
        let Some(mut ttl) = register(&shared, &stop).await else {
            return;
        };
        registered.send_replace(true);
        let mut last_fp = tokio::time::Instant::now();
        let mut failing = false;
        loop {
            let wait = if failing {
                jitter(Duration::from_secs(1))
            } else {
                ttl / 2
            };
            if !nap(&stop, wait).await {
                return;
            }
            if last_fp.elapsed() >= REFINGERPRINT {
                last_fp = tokio::time::Instant::now();
                if refresh(&shared).await {
                    tracing::info!("driver health changed; registering again");
                    continue 'register;
                }
            }
            match shared.api.node_heartbeat(&shared.identity.node_id).await {
                Ok(r) => {
                    if failing {
                        tracing::info!("heartbeats reach the servers again");
                    }
                    failing = false;
                    ttl = super::registration::ttl(r.heartbeat_ttl);
                }
                Err(e) if e.is_not_found() => {
                    tracing::warn!("the servers no longer know this node; registering again");
                    continue 'register;
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "heartbeat failed; retrying");
                    }
                    failing = true;
                }
            }
        }
    }
}

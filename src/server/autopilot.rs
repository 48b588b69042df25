//! Nomad's autopilot health of the servers, from the leader's replication
//! figures (`drover_raft::ClusterStats`) and the stored autopilot
//! configuration.
//!
//! A server is healthy when, as the leader sees it, it answered within
//! `LastContactThreshold`, holds an entry of the leader's term, and trails
//! the leader's log by at most `MaxTrailingLogs` entries (raft-autopilot's
//! rules). There is no gossip, so `SerfStatus` is `alive` when the leader
//! heard from the server within [`FAILED_AFTER`], else `failed`; a failed
//! server is unhealthy. `FailureTolerance` is the healthy voters beyond a
//! quorum.
//!
//! Drover runs no autopilot loop: health is computed when asked. Each
//! server remembers what it last answered in a [`HealthTracker`], so
//! `StableSince` is when the answer for that server last changed, or when
//! this server started for a server it has always seen in one state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use drover_raft::{ClusterStats, ServerStats};

use crate::jobspec::format_duration;
use crate::structs::time::rfc3339;
use crate::structs::{AutopilotConfiguration, OperatorHealthReply, ServerHealth};

/// How long the leader may not hear from a server before it counts as
/// failed (gossip would have noticed by then): 20 heartbeats.
pub const FAILED_AFTER: Duration = Duration::from_secs(2);

/// Whether the leader heard from `s` within [`FAILED_AFTER`] (the leader
/// itself always).
pub fn alive(s: &ServerStats) -> bool {
    s.leader
        || s.last_contact_ns
            .is_some_and(|ns| u128::from(ns) <= FAILED_AFTER.as_nanos())
}

/// Per server, the health last answered and since when (Unix ns).
#[derive(Debug)]
pub struct HealthTracker {
    started: i64,
    seen: Mutex<HashMap<u64, (bool, i64)>>,
}

impl HealthTracker {
    /// A tracker whose first observations date from `started` (Unix ns).
    pub fn new(started: i64) -> Self {
        HealthTracker {
            started,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// When `id`'s health became `healthy`, recording it at `now`.
    fn stable_since(&self, id: u64, healthy: bool, now: i64) -> i64 {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        match seen.get(&id) {
            Some((was, since)) if *was == healthy => *since,
            Some(_) => {
                seen.insert(id, (healthy, now));
                now
            }
            None => {
                seen.insert(id, (healthy, self.started));
                self.started
            }
        }
    }

    /// Forgets servers no longer in the group.
    fn retain(&self, ids: &[u64]) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|id, _| ids.contains(id));
    }
}

/// The health reply for `stats` under `config`; `name` gives each
/// server's name; `now` is Unix ns.
pub fn evaluate(
    stats: &ClusterStats,
    config: &AutopilotConfiguration,
    tracker: &HealthTracker,
    name: impl Fn(&ServerStats) -> String,
    now: i64,
) -> OperatorHealthReply {
    let threshold = u64::try_from(config.last_contact_threshold).unwrap_or(0);
    let servers: Vec<ServerHealth> = stats
        .servers
        .iter()
        .map(|s| {
            let alive = alive(s);
            let healthy = alive
                && s.last_contact_ns.is_some_and(|ns| ns <= threshold)
                && s.last_term == stats.term
                && s.last_index.saturating_add(config.max_trailing_logs) >= stats.last_index;
            let since = tracker.stable_since(s.id, healthy, now);
            ServerHealth {
                id: s.id.to_string(),
                name: name(s),
                address: s.addr.clone(),
                serf_status: if alive { "alive" } else { "failed" }.into(),
                version: crate::VERSION.into(),
                leader: s.leader,
                last_contact: s
                    .last_contact_ns
                    .map(|ns| format_duration(i64::try_from(ns).unwrap_or(i64::MAX)))
                    // Never heard from: negative, as raft-autopilot marks
                    // an unknown contact (and still a Go duration).
                    .unwrap_or_else(|| "-1ns".into()),
                last_term: s.last_term,
                last_index: s.last_index,
                healthy,
                voter: s.voter,
                stable_since: rfc3339(since),
            }
        })
        .collect();
    tracker.retain(&stats.servers.iter().map(|s| s.id).collect::<Vec<_>>());
    let voters: Vec<&ServerHealth> = servers.iter().filter(|s| s.voter).collect();
    let healthy_voters = voters.iter().filter(|s| s.healthy).count() as i64;
    let quorum = voters.len() as i64 / 2 + 1;
    OperatorHealthReply {
        healthy: servers.iter().all(|s| s.healthy),
        failure_tolerance: (healthy_voters - quorum).max(0),
        leader: stats.leader.to_string(),
        voters: voters.iter().map(|s| s.id.clone()).collect(),
        servers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: u64, contact_ms: Option<u64>, term: u64, index: u64) -> ServerStats {
        ServerStats {
            id,
            addr: format!("10.0.0.{id}:4647"),
            voter: true,
            leader: id == 1,
            last_contact_ns: contact_ms.map(|ms| ms * 1_000_000),
            last_term: term,
            last_index: index,
        }
    }

    fn stats(servers: Vec<ServerStats>) -> ClusterStats {
        ClusterStats {
            leader: 1,
            term: 4,
            last_index: 1000,
            servers,
        }
    }

    #[test]
    fn healthy_servers_and_failure_tolerance() {
        let tracker = HealthTracker::new(5_000_000_000);
        let config = AutopilotConfiguration::initial();
        let all = stats(vec![
            server(1, Some(0), 4, 1000),
            server(2, Some(50), 4, 990),
            server(3, Some(80), 4, 1000),
        ]);
        let r = evaluate(&all, &config, &tracker, |s| s.addr.clone(), 9_000_000_000);
        assert!(r.healthy);
        assert_eq!(r.failure_tolerance, 1);
        assert_eq!(r.leader, "1");
        assert_eq!(r.voters, vec!["1", "2", "3"]);
        assert_eq!(r.servers[0].last_contact, "0s");
        assert_eq!(r.servers[1].last_contact, "50ms");
        assert_eq!(r.servers[1].serf_status, "alive");
        assert_eq!(r.servers[1].stable_since, "1970-01-01T00:00:05Z");

        // One lags too far, one answered too long ago, one is gone.
        let bad = stats(vec![
            server(1, Some(0), 4, 1000),
            server(2, Some(50), 4, 700),
            server(3, Some(5_000), 4, 1000),
        ]);
        let r = evaluate(&bad, &config, &tracker, |s| s.addr.clone(), 9_000_000_000);
        assert!(!r.healthy);
        assert_eq!(r.failure_tolerance, 0);
        assert!(!r.servers[1].healthy, "trails by 300 > 250");
        assert_eq!(r.servers[1].serf_status, "alive");
        assert_eq!(r.servers[1].stable_since, "1970-01-01T00:00:09Z");
        assert_eq!(r.servers[2].serf_status, "failed");
        // Unchanged since: the time stays.
        let r = evaluate(&bad, &config, &tracker, |s| s.addr.clone(), 12_000_000_000);
        assert_eq!(r.servers[1].stable_since, "1970-01-01T00:00:09Z");
        assert!(r.servers[0].healthy);
    }

    #[test]
    fn an_old_term_or_no_contact_is_unhealthy() {
        let tracker = HealthTracker::new(0);
        let config = AutopilotConfiguration::initial();
        let s = stats(vec![
            server(1, Some(0), 4, 1000),
            server(2, Some(10), 3, 1000),
            server(3, None, 0, 0),
        ]);
        let r = evaluate(&s, &config, &tracker, |s| s.addr.clone(), 1);
        assert!(!r.servers[1].healthy);
        assert!(!r.servers[2].healthy);
        assert_eq!(r.servers[2].last_contact, "-1ns");
        assert_eq!(r.servers[2].serf_status, "failed");
        assert_eq!(r.failure_tolerance, 0);
    }
}

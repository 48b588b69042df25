//! Keeps the servers' registrations of this node's services equal to what
//! its allocations want: each allocation runner states the whole set it
//! wants registered now (`set_alloc`), the difference with the previous
//! set becomes pending upserts and deletes, and `run` sends them batched
//! (one request, so one Raft entry, per batch of up to `MAX_BATCH`).
//! A failed send is retried, and an operation superseded meanwhile (a
//! registration removed before its upsert went out) is never sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::api_client::ApiClient;
use crate::structs::{ServiceRegistration, ServiceUpdateRequest};

/// At most this many upserts and deletes per request.
pub const MAX_BATCH: usize = 1000;
/// At most one request per window: a change after a quiet spell goes out
/// at once (after `GATHER`), changes during a busy one wait for the
/// window's end and go out together.
const WINDOW: Duration = Duration::from_millis(100);
/// How long the changes of one moment (an allocation's tasks starting
/// together) gather before a request goes out.
const GATHER: Duration = Duration::from_millis(5);
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Inner {
    /// What each allocation wants registered, by registration ID.
    desired: HashMap<String, BTreeMap<String, ServiceRegistration>>,
    upserts: BTreeMap<String, ServiceRegistration>,
    deletes: BTreeSet<String>,
}

/// The node's registrations, desired and pending.
#[derive(Default)]
pub struct ServiceSync {
    inner: Mutex<Inner>,
    changed: Notify,
}

impl ServiceSync {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// States the registrations allocation `alloc` wants now (empty: none).
    pub fn set_alloc(&self, alloc: &str, regs: Vec<ServiceRegistration>) {
        let mut g = self.lock();
        let mut new: BTreeMap<String, ServiceRegistration> =
            regs.into_iter().map(|r| (r.id.clone(), r)).collect();
        // A registration stated again keeps the check statuses its checks
        // have reported since it appeared.
        if let Some(prev) = g.desired.get(alloc) {
            for (id, r) in new.iter_mut() {
                if let Some(p) = prev.get(id) {
                    keep_statuses(r, p);
                }
            }
        }
        let old = if new.is_empty() {
            g.desired.remove(alloc).unwrap_or_default()
        } else {
            g.desired
                .insert(alloc.to_string(), new.clone())
                .unwrap_or_default()
        };
        let mut changed = false;
        for (id, r) in &new {
            if old.get(id) != Some(r) {
                g.deletes.remove(id);
                g.upserts.insert(id.clone(), r.clone());
                changed = true;
            }
        }
        for id in old.keys().filter(|id| !new.contains_key(*id)) {
            g.upserts.remove(id);
            g.deletes.insert(id.clone());
            changed = true;
        }
        drop(g);
        if changed {
            self.changed.notify_one();
        }
    }

    /// Records a check's latest status in allocation `alloc`'s desired
    /// registration `reg`, queueing one upsert when it differs; false when
    /// nothing changed or the registration is no longer wanted.
    pub fn set_check(
        &self,
        alloc: &str,
        reg: &str,
        check: &str,
        status: &str,
        output: &str,
    ) -> bool {
        let mut g = self.lock();
        let Some(r) = g.desired.get_mut(alloc).and_then(|m| m.get_mut(reg)) else {
            return false;
        };
        let Some(c) = r.checks.iter_mut().find(|c| c.name == check) else {
            return false;
        };
        if c.status == status && c.output == output {
            return false;
        }
        c.status = status.to_string();
        c.output = output.to_string();
        let r = r.clone();
        g.deletes.remove(reg);
        g.upserts.insert(reg.to_string(), r);
        drop(g);
        self.changed.notify_one();
        true
    }

    /// The status last recorded for check `check` of allocation `alloc`'s
    /// desired registration `reg`.
    pub fn check_status(&self, alloc: &str, reg: &str, check: &str) -> Option<String> {
        let g = self.lock();
        let r = g.desired.get(alloc)?.get(reg)?;
        r.checks
            .iter()
            .find(|c| c.name == check)
            .map(|c| c.status.clone())
    }

    /// The registrations allocation `alloc` wants now.
    pub fn desired(&self, alloc: &str) -> Vec<ServiceRegistration> {
        self.lock()
            .desired
            .get(alloc)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Takes up to `MAX_BATCH` pending operations.
    pub(crate) fn take(&self) -> ServiceUpdateRequest {
        let mut g = self.lock();
        let mut req = ServiceUpdateRequest::default();
        while req.deletes.len() < MAX_BATCH {
            let Some(id) = g.deletes.pop_first() else {
                break;
            };
            req.deletes.push(id);
        }
        while req.upserts.len() + req.deletes.len() < MAX_BATCH {
            let Some((_, r)) = g.upserts.pop_first() else {
                break;
            };
            req.upserts.push(r);
        }
        req
    }

    /// Puts back a batch that could not be sent, unless newer operations
    /// on the same IDs were queued meanwhile.
    fn restore(&self, req: ServiceUpdateRequest) {
        let mut g = self.lock();
        for id in req.deletes {
            if !g.upserts.contains_key(&id) {
                g.deletes.insert(id);
            }
        }
        for r in req.upserts {
            let superseded = g.deletes.contains(&r.id) || g.upserts.contains_key(&r.id);
            if !superseded {
                g.upserts.insert(r.id.clone(), r);
            }
        }
    }

    /// Pending operations (for tests and the client's status).
    pub fn pending(&self) -> usize {
        let g = self.lock();
        g.upserts.len() + g.deletes.len()
    }
}

/// Copies into `new` the status and output of `prev`'s checks of the
/// same name and type.
fn keep_statuses(new: &mut ServiceRegistration, prev: &ServiceRegistration) {
    for c in new.checks.iter_mut() {
        if let Some(p) = prev
            .checks
            .iter()
            .find(|p| p.name == c.name && p.kind == c.kind)
        {
            c.status = p.status.clone();
            c.output = p.output.clone();
        }
    }
}

/// Sends pending registrations and removals until `stop`.
pub async fn run(
    sync: std::sync::Arc<ServiceSync>,
    api: ApiClient,
    node_id: String,
    stop: CancellationToken,
) {
    let mut backoff = RETRY_MIN;
    let mut last_sent: Option<tokio::time::Instant> = None;
    loop {
        if sync.pending() == 0 {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = sync.changed.notified() => {}
            }
        }
        let now = tokio::time::Instant::now();
        let send_at = last_sent.map_or(now, |t| t + WINDOW).max(now + GATHER);
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(send_at) => {}
        }
        let req = sync.take();
        if req.upserts.is_empty() && req.deletes.is_empty() {
            continue;
        }
        let (up, del) = (req.upserts.len(), req.deletes.len());
        last_sent = Some(tokio::time::Instant::now());
        match api.service_update(&node_id, &req).await {
            Ok(_) => {
                backoff = RETRY_MIN;
                tracing::debug!(upserts = up, deletes = del, "synced service registrations");
            }
            Err(e) => {
                tracing::warn!(error = %e, upserts = up, deletes = del, "cannot sync service registrations; retrying");
                sync.restore(req);
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RETRY_MAX);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(id: &str, port: i64) -> ServiceRegistration {
        ServiceRegistration {
            id: id.into(),
            service_name: "s".into(),
            port,
            ..ServiceRegistration::default()
        }
    }

    #[test]
    fn only_differences_are_sent() {
        let s = ServiceSync::default();
        s.set_alloc("a1", vec![reg("x", 1), reg("y", 2)]);
        let req = s.take();
        assert_eq!(req.upserts.len(), 2);
        assert!(req.deletes.is_empty());
        // The same set again: nothing to send.
        s.set_alloc("a1", vec![reg("x", 1), reg("y", 2)]);
        assert_eq!(s.pending(), 0);
        // One changes, one goes.
        s.set_alloc("a1", vec![reg("x", 5)]);
        let req = s.take();
        assert_eq!(req.upserts, vec![reg("x", 5)]);
        assert_eq!(req.deletes, vec!["y".to_string()]);
        s.set_alloc("a1", vec![]);
        assert_eq!(s.take().deletes, vec!["x".to_string()]);
        assert!(s.desired("a1").is_empty());
    }

    #[test]
    fn a_failed_batch_comes_back_unless_superseded() {
        let s = ServiceSync::default();
        s.set_alloc("a1", vec![reg("x", 1), reg("y", 2)]);
        let req = s.take();
        // Meanwhile y was removed.
        s.set_alloc("a1", vec![reg("x", 1)]);
        s.restore(req);
        let again = s.take();
        assert_eq!(again.upserts, vec![reg("x", 1)]);
        assert_eq!(again.deletes, vec!["y".to_string()]);
    }

    fn with_check(id: &str) -> ServiceRegistration {
        ServiceRegistration {
            checks: vec![crate::structs::CheckStatus {
                name: "c".into(),
                kind: "tcp".into(),
                status: "critical".into(),
                output: String::new(),
            }],
            ..reg(id, 1)
        }
    }

    #[test]
    fn a_check_status_is_sent_once_and_survives_restating() {
        let s = ServiceSync::default();
        s.set_alloc("a1", vec![with_check("x")]);
        let _ = s.take();
        assert!(s.set_check("a1", "x", "c", "passing", ""));
        let req = s.take();
        assert_eq!(req.upserts.len(), 1);
        assert_eq!(req.upserts[0].checks[0].status, "passing");
        // Unchanged: nothing queued.
        assert!(!s.set_check("a1", "x", "c", "passing", ""));
        assert_eq!(s.pending(), 0);
        // The allocation states the same set (a sibling task changed
        // state): the reported status stays, nothing to send.
        s.set_alloc("a1", vec![with_check("x")]);
        assert_eq!(s.pending(), 0);
        assert_eq!(s.desired("a1")[0].checks[0].status, "passing");
        // Unknown registration or check: ignored.
        assert!(!s.set_check("a1", "nope", "c", "warning", ""));
        assert!(!s.set_check("a1", "x", "nope", "warning", ""));
        // Gone and back (the task restarted): the initial status again.
        s.set_alloc("a1", vec![]);
        s.set_alloc("a1", vec![with_check("x")]);
        assert_eq!(s.desired("a1")[0].checks[0].status, "critical");
    }

    #[test]
    fn batches_are_bounded() {
        let s = ServiceSync::default();
        let regs: Vec<_> = (0..(MAX_BATCH + 5))
            .map(|i| reg(&format!("r{i:05}"), 1))
            .collect();
        s.set_alloc("a1", regs);
        assert_eq!(s.take().upserts.len(), MAX_BATCH);
        assert_eq!(s.take().upserts.len(), 5);
    }
}

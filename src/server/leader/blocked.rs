//! Blocked evaluations: parked until capacity that could help appears,
//! instead of being retried in a loop. One per job; capacity is signalled
//! by the state's `capacity` index (a node became ready or changed, an
//! allocation stopped).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::state::JobKey;
use crate::structs::Evaluation;

#[derive(Default)]
pub struct BlockedEvals {
    inner: Mutex<HashMap<JobKey, Evaluation>>,
}

impl BlockedEvals {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobKey, Evaluation>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks `eval`; returns an older blocked evaluation of the same job
    /// that it replaces (to cancel).
    pub fn block(&self, eval: Evaluation) -> Option<Evaluation> {
        let key = JobKey::new(&eval.namespace, &eval.job_id);
        let mut g = self.lock();
        match g.get(&key) {
            Some(old) if old.id == eval.id => {
                g.insert(key, eval);
                None
            }
            Some(old) if old.create_index > eval.create_index => Some(eval),
            _ => g.insert(key, eval),
        }
    }

    /// Takes every blocked evaluation computed before `capacity` changed.
    pub fn unblock(&self, capacity: u64) -> Vec<Evaluation> {
        let mut g = self.lock();
        let ready: Vec<JobKey> = g
            .iter()
            .filter(|(_, e)| e.snapshot_index < capacity || e.snapshot_index == 0)
            .map(|(k, _)| k.clone())
            .collect();
        ready.into_iter().filter_map(|k| g.remove(&k)).collect()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

//! The client's local state, in a sled database (`<data_dir>/client`)
//! through the `storage` crate: the node's identity, the allocations it
//! runs and, per task, the driver's handle and the task's state. A
//! restarted client (even after SIGKILL) reads it back to re-attach to
//! its running tasks instead of starting duplicates.
//!
//! A task's handle is flushed to disk before the client relies on it;
//! other writes are flushed in the background by sled.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use drover_storage::{Db, StorageError, Tree};
use serde::{Deserialize, Serialize};

use super::driver::TaskHandle;
use crate::structs::{Allocation, TaskState};

/// Why the local state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("damaged record {key:?} in the client state: {message}")]
    Damaged { key: String, message: String },
    #[error("the client state task failed: {0}")]
    Join(String),
}

/// A stored allocation with its tasks by name.
pub type StoredAlloc = (Allocation, BTreeMap<String, StoredTask>);

/// One task as the client last knew it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredTask {
    pub handle: Option<TaskHandle>,
    pub state: TaskState,
}

/// The node's identity, made on first start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub node_id: String,
    pub secret_id: String,
}

/// The client's database. Clone freely.
#[derive(Clone)]
pub struct ClientState {
    db: Arc<Db>,
    meta: Tree,
    allocs: Tree,
    tasks: Tree,
}

fn task_key(alloc_id: &str, task: &str) -> Vec<u8> {
    format!("{alloc_id}/{task}").into_bytes()
}

fn decode<T: for<'de> Deserialize<'de>>(key: &[u8], bytes: &[u8]) -> Result<T, StateError> {
    serde_json::from_slice(bytes).map_err(|e| StateError::Damaged {
        key: String::from_utf8_lossy(key).into_owned(),
        message: e.to_string(),
    })
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // The stored types are plain data: encoding them cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

impl ClientState {
    /// Opens (or creates) the state under `dir`.
    pub fn open(dir: &Path) -> Result<ClientState, StateError> {
        let db = Db::open(dir)?;
        Ok(ClientState {
            meta: db.tree("meta")?,
            allocs: db.tree("allocs")?,
            tasks: db.tree("tasks")?,
            db: Arc::new(db),
        })
    }

    /// The node's identity, made (and flushed) on first use.
    pub fn identity(&self) -> Result<Identity, StateError> {
        if let Some(b) = self.meta.get("identity")? {
            return decode(b"identity", &b);
        }
        let id = Identity {
            node_id: crate::ids::uuid(),
            secret_id: crate::ids::uuid(),
        };
        self.meta.insert("identity", encode(&id))?;
        self.db.flush()?;
        Ok(id)
    }

    pub fn put_alloc(&self, alloc: &Allocation) -> Result<(), StateError> {
        self.allocs.insert(alloc.id.as_bytes(), encode(alloc))?;
        Ok(())
    }

    /// Records a task; `durable` flushes it to disk before returning (for
    /// handles, which a restarted client needs to find its tasks).
    pub async fn put_task(
        &self,
        alloc_id: &str,
        task: &str,
        stored: &StoredTask,
        durable: bool,
    ) -> Result<(), StateError> {
        self.tasks
            .insert(task_key(alloc_id, task), encode(stored))?;
        if durable {
            let db = self.db.clone();
            tokio::task::spawn_blocking(move || db.flush())
                .await
                .map_err(|e| StateError::Join(e.to_string()))??;
        }
        Ok(())
    }

    /// Forgets an allocation and its tasks.
    pub fn remove_alloc(&self, alloc_id: &str) -> Result<(), StateError> {
        self.allocs.remove(alloc_id.as_bytes())?;
        let prefix = format!("{alloc_id}/");
        let keys: Vec<Vec<u8>> = self
            .tasks
            .range(prefix.as_bytes().to_vec()..)
            .filter_map(Result::ok)
            .map(|(k, _)| k.to_vec())
            .take_while(|k| k.starts_with(prefix.as_bytes()))
            .collect();
        for k in keys {
            self.tasks.remove(k)?;
        }
        Ok(())
    }

    /// Every stored allocation with its tasks.
    pub fn load(&self) -> Result<Vec<StoredAlloc>, StateError> {
        let mut tasks: BTreeMap<String, BTreeMap<String, StoredTask>> = BTreeMap::new();
        for pair in self.tasks.iter() {
            let (k, v) = pair?;
            let key = String::from_utf8_lossy(&k).into_owned();
            let Some((alloc, task)) = key.split_once('/') else {
                continue;
            };
            let stored: StoredTask = decode(&k, &v)?;
            tasks
                .entry(alloc.to_string())
                .or_default()
                .insert(task.to_string(), stored);
        }
        let mut out = Vec::new();
        for pair in self.allocs.iter() {
            let (k, v) = pair?;
            let alloc: Allocation = decode(&k, &v)?;
            let t = tasks.remove(&alloc.id).unwrap_or_default();
            out.push((alloc, t));
        }
        Ok(out)
    }

    /// Writes everything pending to disk.
    pub fn flush(&self) -> Result<(), StateError> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn identity_allocs_and_tasks_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (id, alloc_id) = {
            let s = ClientState::open(dir.path()).unwrap();
            let id = s.identity().unwrap();
            assert_eq!(s.identity().unwrap(), id);
            let alloc = Allocation {
                id: "a1".into(),
                ..Allocation::default()
            };
            s.put_alloc(&alloc).unwrap();
            let t = StoredTask {
                handle: Some(TaskHandle {
                    driver: "docker".into(),
                    id: "c0ffee".into(),
                    started_at: 1,
                    details: BTreeMap::new(),
                }),
                state: TaskState::default(),
            };
            s.put_task("a1", "redis", &t, true).await.unwrap();
            s.put_task("a10", "other", &t, true).await.unwrap();
            (id, alloc.id)
        };
        let s = ClientState::open(dir.path()).unwrap();
        assert_eq!(s.identity().unwrap(), id);
        let loaded = s.load().unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].0.id, alloc_id);
        assert_eq!(loaded[0].1["redis"].handle.as_ref().unwrap().id, "c0ffee");
        s.remove_alloc("a1").unwrap();
        assert!(s.load().unwrap().is_empty());
        // The other allocation's task (a shared prefix) is kept.
        assert_eq!(s.tasks.len(), 1);
    }
}

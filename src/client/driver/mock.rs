//! A mock driver, compiled only for unit tests: tasks are entries in a
//! map, and a test ends them at will ([`MockDriver::exit`]) or through the
//! task config (`exit_after_ms`, `exit_code`, `start_error`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::watch;

use super::*;

struct MockTask {
    exit: watch::Sender<Option<ExitResult>>,
}

/// The mock driver's state; every instance is independent.
#[derive(Default)]
pub struct MockDriver {
    tasks: Mutex<HashMap<String, MockTask>>,
    next: Mutex<u64>,
    starts: Mutex<u64>,
}

impl MockDriver {
    /// Ends task `id` as if its process exited with `code`.
    pub fn exit(&self, id: &str, code: i64) {
        if let Some(t) = self.tasks.lock().unwrap().get(id) {
            t.exit.send_replace(Some(ExitResult {
                exit_code: code,
                ..ExitResult::default()
            }));
        }
    }

    /// How many tasks were started.
    pub fn starts(&self) -> u64 {
        *self.starts.lock().unwrap()
    }

    /// IDs of tasks that have not exited.
    pub fn running(&self) -> Vec<String> {
        self.tasks
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t)| t.exit.borrow().is_none())
            .map(|(id, _)| id.clone())
            .collect()
    }
}

impl Driver for MockDriver {
    fn name(&self) -> &'static str {
        "mock"
    }

    fn fingerprint(&self) -> BoxFuture<'_, DriverFingerprint> {
        async {
            DriverFingerprint {
                detected: true,
                healthy: true,
                description: "Healthy".into(),
                attributes: BTreeMap::from([("driver.mock".into(), "1".into())]),
            }
        }
        .boxed()
    }

    fn start<'a>(&'a self, spec: &'a TaskSpec) -> BoxFuture<'a, Result<TaskHandle, DriverError>> {
        async move {
            if let Some(e) = spec.config.get("start_error").and_then(|v| v.as_str()) {
                return Err(DriverError::Config(e.to_string()));
            }
            *self.starts.lock().unwrap() += 1;
            let id = {
                let mut n = self.next.lock().unwrap();
                *n += 1;
                format!("mock-{}", *n)
            };
            let (tx, _) = watch::channel(None);
            if let Some(ms) = spec.config.get("exit_after_ms").and_then(|v| v.as_u64()) {
                let code = spec
                    .config
                    .get("exit_code")
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0);
                let tx = tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    tx.send_replace(Some(ExitResult {
                        exit_code: code,
                        ..ExitResult::default()
                    }));
                });
            }
            self.tasks
                .lock()
                .unwrap()
                .insert(id.clone(), MockTask { exit: tx });
            Ok(TaskHandle {
                driver: "mock".into(),
                id,
                started_at: crate::ids::now_nanos(),
                details: BTreeMap::from([("alloc_id".into(), spec.alloc_id.clone())]),
            })
        }
        .boxed()
    }

    fn recover<'a>(
        &'a self,
        handle: &'a TaskHandle,
        _spec: &'a TaskSpec,
    ) -> BoxFuture<'a, Result<bool, DriverError>> {
        async move {
            let tasks = self.tasks.lock().unwrap();
            Ok(tasks
                .get(&handle.id)
                .is_some_and(|t| t.exit.borrow().is_none()))
        }
        .boxed()
    }

    fn wait<'a>(
        &'a self,
        handle: &'a TaskHandle,
    ) -> BoxFuture<'a, Result<ExitResult, DriverError>> {
        async move {
            let mut rx = {
                let tasks = self.tasks.lock().unwrap();
                let t = tasks
                    .get(&handle.id)
                    .ok_or_else(|| DriverError::NotFound(handle.id.clone()))?;
                t.exit.subscribe()
            };
            let r = rx
                .wait_for(Option::is_some)
                .await
                .map_err(|_| DriverError::NotFound(handle.id.clone()))?;
            Ok(r.clone().unwrap_or_default())
        }
        .boxed()
    }

    fn stop<'a>(
        &'a self,
        handle: &'a TaskHandle,
        _signal: &'a str,
        _timeout: Duration,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        async move {
            if let Some(t) = self.tasks.lock().unwrap().get(&handle.id) {
                t.exit.send_if_modified(|e| {
                    if e.is_none() {
                        *e = Some(ExitResult {
                            exit_code: 143,
                            signal: 15,
                            ..ExitResult::default()
                        });
                        true
                    } else {
                        false
                    }
                });
            }
            Ok(())
        }
        .boxed()
    }

    fn destroy<'a>(&'a self, _handle: &'a TaskHandle) -> BoxFuture<'a, Result<(), DriverError>> {
        async { Ok(()) }.boxed()
    }

    fn signal<'a>(
        &'a self,
        _handle: &'a TaskHandle,
        _signal: &'a str,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        async { Ok(()) }.boxed()
    }

    fn stats<'a>(
        &'a self,
        _handle: &'a TaskHandle,
    ) -> BoxFuture<'a, Result<TaskUsage, DriverError>> {
        async { Ok(TaskUsage::default()) }.boxed()
    }

    fn owned<'a>(&'a self, _node_id: &'a str) -> BoxFuture<'a, Vec<TaskHandle>> {
        async { Vec::new() }.boxed()
    }
}

//! Fakes for tests and benchmarks, compiled only with the `testing`
//! feature: a toy key/value state machine and an in-memory transport whose
//! links can be cut one way or both. Never used on the real server path.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;

use crate::rpc::{RpcRequest, RpcResponse};
use crate::{RpcHandler, StateMachine, Transport, TransportError};

/// A replicated map; commands are `key=value`.
#[derive(Clone, Default)]
pub struct Kv {
    map: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Kv {
    pub fn dump(&self) -> BTreeMap<String, String> {
        self.map.lock().expect("kv lock").clone()
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.map.lock().expect("kv lock").get(key).cloned()
    }
}

impl StateMachine for Kv {
    type Snapshot = BTreeMap<String, String>;

    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(command);
        if let Some((k, v)) = text.split_once('=') {
            self.map
                .lock()
                .expect("kv lock")
                .insert(k.to_string(), v.to_string());
        }
        index.to_string().into_bytes()
    }

    fn snapshot(&self) -> Self::Snapshot {
        self.dump()
    }

    fn encode_snapshot(snapshot: Self::Snapshot) -> Vec<u8> {
        serde_json::to_vec(&snapshot).expect("encode map")
    }

    fn restore(&mut self, data: &[u8]) -> Result<(), Box<dyn Error + Send + Sync>> {
        let map: BTreeMap<String, String> = serde_json::from_slice(data)?;
        *self.map.lock().expect("kv lock") = map;
        Ok(())
    }
}

/// An in-memory network between servers, addressed by name, whose links can
/// be cut in one direction or both.
#[derive(Default)]
pub struct MemNetwork {
    handlers: Mutex<HashMap<String, Arc<dyn RpcHandler>>>,
    /// Directed links (from, to) that drop messages.
    cut: Mutex<HashSet<(String, String)>>,
}

impl MemNetwork {
    pub fn transport(self: &Arc<Self>, from: &str) -> Arc<dyn Transport> {
        Arc::new(MemTransport {
            net: self.clone(),
            from: from.to_string(),
        })
    }

    pub fn register(&self, addr: &str, handler: Arc<dyn RpcHandler>) {
        self.handlers
            .lock()
            .expect("lock")
            .insert(addr.to_string(), handler);
    }

    pub fn unregister(&self, addr: &str) {
        self.handlers.lock().expect("lock").remove(addr);
    }

    /// Drops messages from `from` to `to` (one way).
    pub fn cut_one_way(&self, from: &str, to: &str) {
        self.cut
            .lock()
            .expect("lock")
            .insert((from.to_string(), to.to_string()));
    }

    /// Drops messages both ways between `a` and `b`.
    pub fn cut_both(&self, a: &str, b: &str) {
        self.cut_one_way(a, b);
        self.cut_one_way(b, a);
    }

    /// Splits the servers into two sides that cannot talk.
    pub fn partition(&self, left: &[String], right: &[String]) {
        for a in left {
            for b in right {
                self.cut_both(a, b);
            }
        }
    }

    pub fn heal(&self) {
        self.cut.lock().expect("lock").clear();
    }

    fn is_cut(&self, from: &str, to: &str) -> bool {
        self.cut
            .lock()
            .expect("lock")
            .contains(&(from.to_string(), to.to_string()))
    }
}

struct MemTransport {
    net: Arc<MemNetwork>,
    from: String,
}

impl Transport for MemTransport {
    fn call<'a>(
        &'a self,
        addr: &'a str,
        req: RpcRequest,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<RpcResponse, TransportError>> {
        Box::pin(async move {
            let unreachable = |reason: &str| TransportError::Unreachable {
                addr: addr.to_string(),
                reason: reason.to_string(),
            };
            if self.net.is_cut(&self.from, addr) {
                return Err(unreachable("link cut"));
            }
            let handler = self.net.handlers.lock().expect("lock").get(addr).cloned();
            let handler = handler.ok_or_else(|| unreachable("no server"))?;
            let resp = tokio::time::timeout(timeout, handler.handle(req))
                .await
                .map_err(|_| TransportError::Timeout {
                    addr: addr.to_string(),
                    timeout,
                })?;
            if self.net.is_cut(addr, &self.from) {
                return Err(TransportError::Network {
                    addr: addr.to_string(),
                    reason: "reply lost: link cut".into(),
                });
            }
            Ok(resp)
        })
    }
}

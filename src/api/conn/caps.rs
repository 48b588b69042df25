//! Caps on open connections, in all and per client address, and the
//! answer a connection over a cap gets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a refused connection is kept to deliver its answer.
const REFUSAL_TIME: Duration = Duration::from_secs(1);
/// Request bytes read (and dropped) from a refused connection before it is
/// closed, so the client reads the answer instead of a reset.
const REFUSAL_DRAIN: usize = 16 * 1024;

#[derive(Debug, Default)]
struct Counts {
    open: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// Counts open connections against the caps (0: no cap).
#[derive(Clone, Debug)]
pub struct Caps {
    total: usize,
    per_client: usize,
    counts: Arc<Mutex<Counts>>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Total,
    PerClient,
}

impl Refusal {
    /// The plain-text body of the answer.
    pub fn text(self) -> &'static str {
        match self {
            Refusal::Total => "Too many connections\n",
            Refusal::PerClient => "Too many connections from this address\n",
        }
    }
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Permit {
    counts: Arc<Mutex<Counts>>,
    client: IpAddr,
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    // Counters only; consistent after any panic.
    counts
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Caps {
    pub fn new(total: usize, per_client: usize) -> Caps {
        Caps {
            total,
            per_client,
            counts: Arc::default(),
        }
    }

    /// Admits a connection from `client` if both caps allow it.
    pub fn admit(&self, client: IpAddr) -> Result<Permit, Refusal> {
        let client = client.to_canonical();
        let mut c = lock(&self.counts);
        if self.total > 0 && c.open >= self.total {
            return Err(Refusal::Total);
        }
        let mine = c.by_client.entry(client).or_default();
        if self.per_client > 0 && *mine >= self.per_client {
            return Err(Refusal::PerClient);
        }
        *mine += 1;
        c.open += 1;
        Ok(Permit {
            counts: self.counts.clone(),
            client,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = lock(&self.counts);
        c.open = c.open.saturating_sub(1);
        if let Some(n) = c.by_client.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_client.remove(&self.client);
            }
        }
    }
}

/// Answers `503 Service Unavailable` on a connection over a cap and closes
/// it, within [`REFUSAL_TIME`].
pub async fn refuse(mut stream: TcpStream, why: Refusal) {
    let body = why.text();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Retry-After: 1\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let deliver = async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Closing with unread request bytes would reset the connection and
        // could discard the answer before the client reads it.
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < REFUSAL_DRAIN {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_TIME, deliver).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_in_all_and_per_address_and_free_on_drop() {
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let caps = Caps::new(3, 2);
        let a1 = caps.admit(a).expect("first from a");
        let _a2 = caps.admit(a).expect("second from a");
        assert_eq!(caps.admit(a).err(), Some(Refusal::PerClient));
        let _b1 = caps.admit(b).expect("first from b");
        assert_eq!(caps.admit(b).err(), Some(Refusal::Total));
        drop(a1);
        let _b2 = caps.admit(b).expect("a place was freed");

        let caps = Caps::new(0, 1);
        let _a = caps.admit(a).expect("first from a");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(
            caps.admit(mapped).err(),
            Some(Refusal::PerClient),
            "an IPv4-mapped address is the same client"
        );
    }

    #[test]
    fn zero_means_no_cap() {
        let caps = Caps::new(0, 0);
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let permits: Vec<_> = (0..100).map(|_| caps.admit(ip)).collect();
        assert!(permits.iter().all(Result::is_ok));
    }
}

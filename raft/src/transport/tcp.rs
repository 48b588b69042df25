//! The server-to-server transport on TCP (port 4647 by default).
//!
//! Each frame is a big-endian `u32` length followed by a postcard-encoded
//! message. A connection carries one request at a time; the client keeps a
//! small pool of idle connections per address so concurrent requests (one
//! replication stream per follower, votes, forwarded writes) each get one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{RpcHandler, Transport, TransportError};
use crate::rpc::{self, MAX_FRAME, RpcRequest, RpcResponse};

/// Idle connections kept per address.
const MAX_IDLE_PER_ADDR: usize = 8;

/// The TCP client side: a pool of connections keyed by address.
#[derive(Default)]
pub struct TcpTransport {
    idle: Mutex<HashMap<String, Vec<TcpStream>>>,
}

impl TcpTransport {
    pub fn new() -> Self {
        Self::default()
    }

    fn take_idle(&self, addr: &str) -> Option<TcpStream> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.get_mut(addr).and_then(Vec::pop)
    }

    fn put_idle(&self, addr: &str, stream: TcpStream) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let pool = idle.entry(addr.to_string()).or_default();
        if pool.len() < MAX_IDLE_PER_ADDR {
            pool.push(stream);
        }
    }

    async fn exchange(&self, addr: &str, frame: &[u8]) -> Result<RpcResponse, TransportError> {
        let network = |reason: String| TransportError::Network {
            addr: addr.to_string(),
            reason,
        };
        // A pooled connection may have been closed by the peer while idle:
        // on failure retry once on a fresh connection.
        if let Some(mut stream) = self.take_idle(addr)
            && let Ok(resp) = round_trip(&mut stream, frame).await
        {
            self.put_idle(addr, stream);
            return decode_response(&resp).map_err(network);
        }
        let mut stream =
            TcpStream::connect(addr)
                .await
                .map_err(|e| TransportError::Unreachable {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
        stream
            .set_nodelay(true)
            .map_err(|e| network(e.to_string()))?;
        let resp = round_trip(&mut stream, frame)
            .await
            .map_err(|e| network(e.to_string()))?;
        self.put_idle(addr, stream);
        decode_response(&resp).map_err(network)
    }
}

fn decode_response(bytes: &[u8]) -> Result<RpcResponse, String> {
    rpc::decode(bytes).map_err(|e| format!("undecodable response: {e}"))
}

impl Transport for TcpTransport {
    fn call<'a>(
        &'a self,
        addr: &'a str,
        req: RpcRequest,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<RpcResponse, TransportError>> {
        Box::pin(async move {
            let frame = rpc::encode(&req).map_err(|e| TransportError::Network {
                addr: addr.to_string(),
                reason: format!("cannot encode request: {e}"),
            })?;
            match tokio::time::timeout(timeout, self.exchange(addr, &frame)).await {
                Ok(res) => res,
                Err(_) => Err(TransportError::Timeout {
                    addr: addr.to_string(),
                    timeout,
                }),
            }
        })
    }
}

async fn round_trip(stream: &mut TcpStream, frame: &[u8]) -> std::io::Result<Vec<u8>> {
    write_frame(stream, frame).await?;
    read_frame(stream).await
}

async fn write_frame(stream: &mut TcpStream, frame: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(frame.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    let mut buf = Vec::with_capacity(4 + frame.len());
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(frame);
    stream.write_all(&buf).await
}

async fn read_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the limit of {MAX_FRAME}"),
        ));
    }
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Serves Raft RPCs on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    handler: Arc<dyn RpcHandler>,
    shutdown: CancellationToken,
) {
    let conns = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let handler = handler.clone();
                let shutdown = shutdown.clone();
                conns.spawn(async move {
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        res = serve_conn(stream, handler) => {
                            if let Err(e) = res {
                                tracing::debug!(%peer, error = %e, "raft connection closed");
                            }
                        }
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept on raft port failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    conns.close();
    conns.wait().await;
}

async fn serve_conn(mut stream: TcpStream, handler: Arc<dyn RpcHandler>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    loop {
        let frame = match read_frame(&mut stream).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let req: RpcRequest = rpc::decode(&frame).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("undecodable request: {e}"),
            )
        })?;
        let resp = handler.handle(req).await;
        let out = rpc::encode(&resp).map_err(std::io::Error::other)?;
        write_frame(&mut stream, &out).await?;
    }
}

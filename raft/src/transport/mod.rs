//! How servers reach each other.
//!
//! [`Transport`] sends one [`RpcRequest`] to a server address and waits for
//! its [`RpcResponse`]; [`RpcHandler`] answers requests on the receiving side.
//! The real implementation is TCP ([`tcp`]); tests plug in an in-memory one
//! that can cut links.

pub mod tcp;

use std::time::Duration;

use futures::future::BoxFuture;

use crate::rpc::{RpcRequest, RpcResponse};

/// Why a request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The server could not be reached at all (connection refused, link down).
    #[error("server {addr} is unreachable: {reason}")]
    Unreachable { addr: String, reason: String },
    /// The request was sent but the exchange failed.
    #[error("rpc to {addr} failed: {reason}")]
    Network { addr: String, reason: String },
    /// No answer in time.
    #[error("rpc to {addr} timed out after {timeout:?}")]
    Timeout { addr: String, timeout: Duration },
}

/// Sends requests to other servers.
pub trait Transport: Send + Sync + 'static {
    fn call<'a>(
        &'a self,
        addr: &'a str,
        req: RpcRequest,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<RpcResponse, TransportError>>;
}

/// Answers requests addressed to this server.
pub trait RpcHandler: Send + Sync + 'static {
    fn handle(&self, req: RpcRequest) -> BoxFuture<'_, RpcResponse>;
}

//! One run of a `grpc` check: the standard health protocol
//! (`grpc.health.v1.Health/Check`) over HTTP/2 with hyper, in clear text
//! (prior knowledge) or over TLS (`grpc_use_tls`, with `tls_skip_verify`),
//! the messages encoded by prost. SERVING is passing; any other answer,
//! a `grpc-status` other than 0, or no answer is critical.

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Collected, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;

/// `grpc.health.v1.HealthCheckRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HealthCheckRequest {
    #[prost(string, tag = "1")]
    pub service: String,
}

/// `grpc.health.v1.HealthCheckResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HealthCheckResponse {
    #[prost(int32, tag = "1")]
    pub status: i32,
}

/// `HealthCheckResponse.ServingStatus.SERVING`.
pub const SERVING: i32 = 1;
/// The name of a `ServingStatus`.
pub fn status_name(status: i32) -> String {
    match status {
        0 => "UNKNOWN".into(),
        1 => "SERVING".into(),
        2 => "NOT_SERVING".into(),
        3 => "SERVICE_UNKNOWN".into(),
        n => format!("status {n}"),
    }
}

/// The most of an answer's body that is read.
const MAX_BODY: usize = 64 * 1024;
const PATH: &str = "/grpc.health.v1.Health/Check";
/// A health answer is a few bytes; anything larger is refused.
const MAX_MESSAGE: usize = 4096;

/// What is asked.
pub struct GrpcRequest<'a> {
    /// `host:port` to connect to.
    pub target: &'a str,
    /// The address alone (the TLS server name).
    pub host: &'a str,
    /// The service asked about (`grpc_service`; empty: the server).
    pub service: &'a str,
    pub header: &'a BTreeMap<String, Vec<String>>,
    pub use_tls: bool,
    pub skip_verify: bool,
}

/// A message in gRPC's framing: uncompressed flag, length, bytes.
pub fn frame(msg: &impl Message) -> Bytes {
    let body = msg.encode_to_vec();
    let mut out = BytesMut::with_capacity(5 + body.len());
    out.put_u8(0);
    out.put_u32(body.len() as u32);
    out.put_slice(&body);
    out.freeze()
}

/// The first message of a framed body.
pub fn unframe(mut body: Bytes) -> Result<Bytes, String> {
    if body.len() < 5 {
        return Err("no message in the answer".into());
    }
    if body.get_u8() != 0 {
        return Err("compressed answers are not supported".into());
    }
    let len = body.get_u32() as usize;
    if len > MAX_MESSAGE || len > body.len() {
        return Err(format!("bad message length {len}"));
    }
    Ok(body.split_to(len))
}

/// Asks; the serving status, or why there is none.
pub async fn check(req: &GrpcRequest<'_>) -> Result<i32, String> {
    let tcp = tokio::net::TcpStream::connect(req.target)
        .await
        .map_err(|e| e.to_string())?;
    let scheme = if req.use_tls { "https" } else { "http" };
    let uri = format!("{scheme}://{}{PATH}", req.target);
    let mut builder = hyper::Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, vs) in req.header {
        for v in vs {
            builder = builder.header(k.as_str(), v.as_str());
        }
    }
    let request = builder
        .body(Full::new(frame(&HealthCheckRequest {
            service: req.service.to_string(),
        })))
        .map_err(|e| e.to_string())?;
    let (parts, collected) = if req.use_tls {
        let tls = super::https::connect(req.host, tcp, req.skip_verify, &[b"h2"]).await?;
        exchange(TokioIo::new(tls), request).await?
    } else {
        exchange(TokioIo::new(tcp), request).await?
    };
    if !parts.status.is_success() {
        return Err(format!("HTTP status {}", parts.status));
    }
    // `grpc-status` comes in the trailers, or in the headers of an
    // answer without a body.
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let grpc_status = trailers
        .get("grpc-status")
        .or_else(|| parts.headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    if grpc_status != "0" {
        let message = trailers
            .get("grpc-message")
            .or_else(|| parts.headers.get("grpc-message"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return Err(format!("gRPC status {grpc_status} {message}")
            .trim_end()
            .to_string());
    }
    let msg = unframe(collected.to_bytes())?;
    HealthCheckResponse::decode(msg)
        .map(|r| r.status)
        .map_err(|e| format!("undecodable answer: {e}"))
}

/// One HTTP/2 request on `io`: the answer's head and whole body (read
/// while the connection's task runs; it is stopped after).
async fn exchange<T>(
    io: TokioIo<T>,
    request: hyper::Request<Full<Bytes>>,
) -> Result<(hyper::http::response::Parts, Collected<Bytes>), String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(conn);
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        // A health answer is a few bytes: a larger body is not read whole.
        let collected = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok((parts, collected))
    }
    .await;
    driver.abort();
    result
}

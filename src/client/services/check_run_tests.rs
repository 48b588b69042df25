//! Each kind of check against local listeners and scripts.

use std::time::{Duration, Instant};

use super::*;

fn def(kind: &str, port: u16) -> CheckDef {
    CheckDef {
        kind: kind.into(),
        address: "127.0.0.1".into(),
        port: i64::from(port),
        timeout: Duration::from_secs(2),
        driver: "raw_exec".into(),
        ..CheckDef::default()
    }
}

/// A port nobody listens on (bound, then released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn tcp_passes_when_something_listens_and_fails_otherwise() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    assert_eq!(run_once(&def("tcp", port)).await.status, CHECK_PASSING);
    let r = run_once(&def("tcp", free_port())).await;
    assert_eq!(r.status, CHECK_CRITICAL);
    assert!(!r.output.is_empty());
}

async fn http_server() -> u16 {
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/ok", get(|| async { StatusCode::OK }))
        .route("/busy", get(|| async { StatusCode::TOO_MANY_REQUESTS }))
        .route("/bad", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route(
            "/hdr",
            get(|h: HeaderMap| async move {
                if h.get("x-check").is_some_and(|v| v == "yes") {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::BAD_REQUEST
                }
            }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, app).await });
    port
}

#[tokio::test]
async fn http_maps_status_codes_as_consul_does() {
    let port = http_server().await;
    let at = |path: &str| CheckDef {
        path: path.into(),
        ..def("http", port)
    };
    let ok = run_once(&at("/ok")).await;
    assert_eq!(ok.status, CHECK_PASSING);
    assert!(ok.output.contains("200"), "{}", ok.output);
    assert_eq!(run_once(&at("/busy")).await.status, CHECK_WARNING);
    assert_eq!(run_once(&at("/bad")).await.status, CHECK_CRITICAL);
    assert_eq!(run_once(&at("/hdr")).await.status, CHECK_CRITICAL);
    let mut with_header = at("hdr");
    with_header
        .header
        .insert("X-Check".into(), vec!["yes".into()]);
    assert_eq!(run_once(&with_header).await.status, CHECK_PASSING);
    assert_eq!(
        run_once(&def("http", free_port())).await.status,
        CHECK_CRITICAL
    );
}

#[tokio::test]
async fn an_http_server_that_never_answers_is_cut_by_the_timeout() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    // Accepts and holds connections, never answering.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let d = CheckDef {
        timeout: Duration::from_millis(300),
        ..def("http", port)
    };
    let t0 = Instant::now();
    let r = run_once(&d).await;
    assert_eq!(r.status, CHECK_CRITICAL);
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
}

fn script(cmd: &str) -> CheckDef {
    CheckDef {
        command: "sh".into(),
        args: vec!["-c".into(), cmd.into()],
        ..def("script", 0)
    }
}

#[tokio::test]
async fn script_exit_codes_become_statuses() {
    let r = run_once(&script("echo hello; echo oops >&2")).await;
    assert_eq!(r.status, CHECK_PASSING);
    assert!(
        r.output.contains("hello") && r.output.contains("oops"),
        "{}",
        r.output
    );
    assert_eq!(run_once(&script("exit 1")).await.status, CHECK_WARNING);
    assert_eq!(run_once(&script("exit 2")).await.status, CHECK_CRITICAL);
    let mut env = script("test \"$CHECK_ME\" = yes");
    env.env.insert("CHECK_ME".into(), "yes".into());
    assert_eq!(run_once(&env).await.status, CHECK_PASSING);
}

#[tokio::test]
async fn a_hanging_script_is_killed_at_the_timeout() {
    let d = CheckDef {
        timeout: Duration::from_millis(300),
        ..script("sleep 30")
    };
    let t0 = Instant::now();
    let r = run_once(&d).await;
    assert_eq!(r.status, CHECK_CRITICAL);
    assert!(r.output.contains("timed out"), "{}", r.output);
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn script_output_is_bounded_and_a_docker_script_needs_its_running_task() {
    let r = run_once(&script("head -c 10000 /dev/zero | tr '\\0' a")).await;
    assert_eq!(r.status, CHECK_PASSING);
    assert_eq!(r.output.len(), MAX_OUTPUT);
    let docker = CheckDef {
        driver: "docker".into(),
        ..script("exit 0")
    };
    let r = run_once(&docker).await;
    assert_eq!(r.status, CHECK_CRITICAL);
    assert!(r.output.contains("unknown"), "{}", r.output);
    // A task runner that has no running task to offer.
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        while let Some(cmd) = rx.recv().await {
            if let crate::client::task_runner::TaskCmd::Live(reply) = cmd {
                let _ = reply.send(None);
            }
        }
    });
    let r = run_once(&CheckDef {
        task: Some(tx),
        ..docker
    })
    .await;
    assert_eq!(r.status, CHECK_CRITICAL);
    assert_eq!(r.output, "task not running");
}

/// An HTTPS server with a self-signed certificate for 127.0.0.1 that
/// answers every request 200.
async fn https_server() -> u16 {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn https_checks_verify_the_certificate_unless_told_not_to() {
    let port = https_server().await;
    let d = CheckDef {
        protocol: "https".into(),
        path: "/health".into(),
        ..def("http", port)
    };
    // Self-signed: no system root vouches for it.
    let r = run_once(&d).await;
    assert_eq!(r.status, CHECK_CRITICAL, "{}", r.output);
    assert!(r.output.contains("certificate"), "{}", r.output);
    let r = run_once(&CheckDef {
        tls_skip_verify: true,
        ..d
    })
    .await;
    assert_eq!(r.status, CHECK_PASSING, "{}", r.output);
    assert!(r.output.contains("200"), "{}", r.output);
}

/// A clear-text HTTP/2 gRPC health server: `serving` answers SERVING,
/// `down` NOT_SERVING, an unknown service gRPC status 5 (NOT_FOUND).
async fn grpc_server() -> u16 {
    use http_body_util::{BodyExt, StreamBody};
    use hyper::body::Frame;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use prost::Message;

    use super::super::grpc::{HealthCheckRequest, HealthCheckResponse, frame, unframe};

    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let svc = hyper::service::service_fn(
                |req: hyper::Request<hyper::body::Incoming>| async move {
                    let ok_path = req.uri().path() == "/grpc.health.v1.Health/Check";
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let asked = HealthCheckRequest::decode(unframe(body).unwrap()).unwrap();
                    let mut trailers = hyper::HeaderMap::new();
                    let mut frames = Vec::new();
                    let status = match asked.service.as_str() {
                        "" | "serving" => Some(1),
                        "down" => Some(2),
                        _ => None,
                    };
                    match status.filter(|_| ok_path) {
                        Some(s) => {
                            frames.push(Frame::data(frame(&HealthCheckResponse { status: s })));
                            trailers.insert("grpc-status", "0".parse().unwrap());
                        }
                        None => {
                            trailers.insert("grpc-status", "5".parse().unwrap());
                            trailers.insert("grpc-message", "unknown service".parse().unwrap());
                        }
                    }
                    frames.push(Frame::trailers(trailers));
                    let stream = futures::stream::iter(
                        frames.into_iter().map(Ok::<_, std::convert::Infallible>),
                    );
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/grpc")
                            .body(StreamBody::new(stream))
                            .unwrap(),
                    )
                },
            );
            tokio::spawn(
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), svc),
            );
        }
    });
    port
}

#[tokio::test]
async fn grpc_checks_speak_the_health_protocol() {
    let port = grpc_server().await;
    let ask = |service: &str| CheckDef {
        grpc_service: service.into(),
        ..def("grpc", port)
    };
    let r = run_once(&ask("")).await;
    assert_eq!(r.status, CHECK_PASSING, "{}", r.output);
    let r = run_once(&ask("serving")).await;
    assert_eq!(r.status, CHECK_PASSING, "{}", r.output);
    assert!(r.output.ends_with("serving: SERVING"), "{}", r.output);
    let r = run_once(&ask("down")).await;
    assert_eq!(r.status, CHECK_CRITICAL, "{}", r.output);
    assert!(r.output.contains("NOT_SERVING"), "{}", r.output);
    let r = run_once(&ask("nope")).await;
    assert_eq!(r.status, CHECK_CRITICAL, "{}", r.output);
    assert!(
        r.output.contains("gRPC status 5 unknown service"),
        "{}",
        r.output
    );
    let r = run_once(&def("grpc", free_port())).await;
    assert_eq!(r.status, CHECK_CRITICAL, "{}", r.output);
}

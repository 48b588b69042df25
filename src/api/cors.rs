//! CORS answers for the allowed origins of [`super::guard`].
//!
//! A page may send a JSON write only after the browser's preflight
//! (`OPTIONS` with `Access-Control-Request-Method`) is answered, and may read
//! an answer only when it names the page's origin. Both are given to the
//! origins in `http_api { allowed_origins }` and to no one else: other
//! pages can neither read the API's answers nor pass a preflight.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::guard::Guard;

/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The middleware: answers preflights of allowed origins and lets their
/// pages read answers.
pub async fn allow_listed_origins(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| guard.allows(o)))
        .cloned();
    let Some(origin) = origin else {
        return next.run(req).await;
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, PUT, POST, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type, X-Nomad-Token"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
        r
    } else {
        next.run(req).await
    };
    name_the_origin(response.headers_mut(), origin);
    response
}

fn name_the_origin(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("X-Nomad-Index, X-Nomad-KnownLeader, X-Nomad-LastContact"),
    );
}

//! Every request gets an id: in the `x-request-id` answer header, in the log span of everything
//! the request does, and in the body of a 500, so that an operator who meets a fault can give
//! the reference and the log says what happened. Every answer is also one log line (method,
//! route, status, duration, operator, id) and one observation in the metrics.

use axum::extract::MatchedPath;
use axum::http::{HeaderName, HeaderValue, header};
use rand_core::RngCore;
use std::sync::{Arc, OnceLock};
use tracing::Instrument;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id: 16 hex digits, random, so that ids from several servers never collide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The operator a request acted as (and the API token it came with), filled in by whoever
/// authenticates it (the server function gate, the scripting API), for the request's log line.
/// Shared: request extensions are cloned on the way in.
#[derive(Debug, Clone, Default)]
pub struct RequestOperator(Arc<OnceLock<i64>>, Arc<OnceLock<String>>);

impl RequestOperator {
    pub fn set(&self, operator_id: i64) {
        let _ = self.0.set(operator_id);
    }

    pub fn set_api_token(&self, name: &str) {
        let _ = self.1.set(name.to_string());
    }
}

/// Routes asked every few seconds by probes and scrapers: their lines are debug, not info.
const QUIET_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

pub async fn tag(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let id = RequestId(format!("{:016x}", rand_core::OsRng.next_u64()));
    let operator = RequestOperator::default();
    request.extensions_mut().insert(id.clone());
    request.extensions_mut().insert(operator.clone());
    // The route pattern (`/users/{id}`), never the path's ids or the query (which may hold
    // names being searched for).
    let route = request.extensions().get::<MatchedPath>().map_or("(other)", |m| m.as_str()).to_string();
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let span = tracing::info_span!("request", id = %id.0);
    let mut response = next.run(request).instrument(span).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    crate::server::metrics::observe_request(method.as_str(), &route, status, elapsed);
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    let api_token = operator.1.get().cloned();
    let operator = operator.0.get().copied();
    if QUIET_ROUTES.contains(&route.as_str()) {
        tracing::debug!(request_id = %id.0, %method, %route, status, duration_ms, "request");
    } else {
        tracing::info!(request_id = %id.0, %method, %route, status, duration_ms, operator, api_token, "request");
    }
    if response.status().is_server_error() {
        tracing::error!(request_id = %id.0, %method, %path, status, "request failed");
        response = with_reference(response, &id).await;
    }
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// A portal error body (`{"code":"internal"}`) carries the id as `request_id`.
async fn with_reference(response: axum::response::Response, id: &RequestId) -> axum::response::Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut error)) if error.get("code").is_some_and(|c| c == "internal") => {
            error.insert("request_id".into(), id.0.clone().into());
            parts.headers.remove(header::CONTENT_LENGTH);
            serde_json::to_vec(&error).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    axum::response::Response::from_parts(parts, axum::body::Body::from(body))
}

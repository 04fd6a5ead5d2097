//! The portal's router: the pages, the server functions, the downloads, the job progress
//! streams, the probes (`/healthz`, `/readyz`, `/metrics`), and the layers every request passes (outermost first: body limit, compression,
//! request id, origin and security headers, admission, error statuses). The binary serves it; tests drive
//! it in-process.

use super::{admission, downloads, error, events, health, origin, request_id, rest};
use crate::api::access::MAX_BODY_BYTES;
use crate::app::{App, shell};
use crate::server::AppState;
use axum::Router;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

pub fn router(state: AppState) -> Router {
    let separate_metrics = state.config.metrics_listen.is_some();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let mut router =
        Router::new().route("/healthz", get(health::healthz)).route("/readyz", get(health::readyz));
    if !separate_metrics {
        router = router.route("/metrics", get(health::metrics));
    }
    router
        .route("/exports/enable-runs/{file}", get(downloads::enable_results))
        .route("/exports/user-data.xml", get(downloads::user_data))
        .route("/exports/audit.csv", get(downloads::audit_csv))
        .route("/exports/topology.toml", get(downloads::topology))
        .route("/exports/backups/{file}", get(downloads::backup))
        .route("/events/jobs/{id}", get(events::job_progress))
        .nest(rest::BASE, rest::router(state.clone()))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn(error::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(state.clone(), admission::admit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), origin::guard))
        // Inside compression, so that it can add the id to a 500's body before it is packed.
        .layer(axum::middleware::from_fn(request_id::tag))
        .layer(CompressionLayer::new())
        // The outer limit, also for bodies without a Content-Length; `admission` applies each
        // server function's own limit from the access table before reading anything.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(rest::problem::outer_limit))
        .with_state(state)
}

/// `/metrics` alone, for `server.metrics_listen`: a scrape address that need not be reachable
/// from where operators are.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .layer(axum::middleware::from_fn(request_id::tag))
        .with_state(state)
}

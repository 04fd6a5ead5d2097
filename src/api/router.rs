//! The portal's HTTP router: the pages, the server functions, the downloads, and the layers every
//! request passes (cross-site refusal and admission, error statuses, compression, body limit).
//! The binary serves it; tests drive it in-process.

use super::access::MAX_BODY_BYTES;
use super::{exports, gate};
use crate::app::{App, shell};
use crate::server::AppState;
use axum::Router;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

pub fn router(state: AppState) -> Router {
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/exports/enable-runs/{file}", get(exports::enable_results))
        .route("/exports/user-data.xml", get(exports::user_data))
        .route("/exports/audit.csv", get(exports::audit_csv))
        .route("/exports/backups/{file}", get(exports::backup))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn(gate::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate::protect))
        .layer(CompressionLayer::new())
        // The outer limit, also for bodies without a Content-Length; `protect` applies each
        // server function's own limit from the access table before reading anything.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(state)
}

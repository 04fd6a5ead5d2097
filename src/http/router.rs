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
    // The browser bundle, as the release build packed it (`.br`, `.gz` beside each file): the
    // 6.7 MB WASM compressed on every request cost 190 ms of each page's first load, and at a
    // lower quality than the build's. Files without a packed form are compressed as before.
    let bundle = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let bundle = tower_http::services::ServeDir::new(bundle).precompressed_br().precompressed_gzip();
    let mut router =
        Router::new().route("/healthz", get(health::healthz)).route("/readyz", get(health::readyz));
    if !separate_metrics {
        router = router.route("/metrics", get(health::metrics));
    }
    router
        .route("/exports/enable-runs/{file}", get(downloads::enable_results))
        .route("/exports/user-data.xml", get(downloads::user_data))
        .route("/exports/audit.csv", get(downloads::audit_csv))
        .route("/exports/jobs/{file}", get(downloads::job_users_csv))
        .route("/exports/topology.toml", get(downloads::topology))
        .route("/exports/backups/{file}", get(downloads::backup))
        .route("/events/jobs/{id}", get(events::job_progress))
        .nest(rest::BASE, rest::router(state.clone()))
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), bundle)
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn(error::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(state.clone(), admission::admit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), origin::guard))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
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

#[cfg(test)]
mod tests {
    use crate::server::{AppState, Config, storage::db};
    use axum::body::Body;
    use axum::http::{Request, header};
    use std::sync::Arc;
    use tower::ServiceExt;

    /// The bundle goes out as the build packed it when the browser takes that encoding, and
    /// as it is (compressed on the way, as any response) when there is no packed form.
    #[tokio::test]
    async fn the_bundle_is_sent_as_the_build_packed_it() {
        let site = std::env::temp_dir().join(format!("uc-admin-site-{}", std::process::id()));
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg/uc-admin.wasm"), b"\0asm plain").unwrap();
        std::fs::write(site.join("pkg/uc-admin.wasm.br"), b"packed with brotli").unwrap();
        std::fs::write(site.join("pkg/uc-admin.css"), "body { margin: 0 }\n".repeat(100)).unwrap();
        let pool = db::connect(&db::test_database().await).await.unwrap();
        let leptos_options = leptos::config::LeptosOptions::builder()
            .output_name("uc-admin")
            .site_root(site.display().to_string())
            .build();
        let state = AppState { db: pool, config: Arc::new(Config::for_tests()), leptos_options };
        let app = super::router(state);
        let get = |path: &str, encoding: &str| {
            Request::get(path).header(header::ACCEPT_ENCODING, encoding).body(Body::empty()).unwrap()
        };
        let read = |response: axum::response::Response| async move {
            let encoding =
                response.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_owned());
            let kind = response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
            (encoding, kind, body.to_vec())
        };

        let (encoding, kind, body) =
            read(app.clone().oneshot(get("/pkg/uc-admin.wasm", "br, gzip")).await.unwrap()).await;
        assert_eq!((encoding.as_deref(), kind.as_deref()), (Some("br"), Some("application/wasm")));
        assert_eq!(body, b"packed with brotli");
        let (encoding, _, body) =
            read(app.clone().oneshot(get("/pkg/uc-admin.wasm", "identity")).await.unwrap()).await;
        assert_eq!((encoding, body), (None, b"\0asm plain".to_vec()));
        let (encoding, kind, _) =
            read(app.clone().oneshot(get("/pkg/uc-admin.css", "gzip")).await.unwrap()).await;
        assert_eq!((encoding.as_deref(), kind.as_deref()), (Some("gzip"), Some("text/css")));
        let _ = std::fs::remove_dir_all(&site);
    }

    /// A handler that panics is answered with the portal's internal error and its reference,
    /// not a connection closed without an answer (what schemathesis met once).
    #[tokio::test]
    async fn a_panic_is_answered_as_an_internal_error_with_its_reference() {
        async fn boom() -> &'static str {
            panic!("a handler's bug")
        }
        let app = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(super::error::panic_response))
            .layer(axum::middleware::from_fn(super::request_id::tag));
        let response = app.oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), 500);
        let reference = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let error: crate::domain::AppError = serde_json::from_slice(&body).unwrap();
        assert_eq!(error, crate::domain::AppError::Internal { request_id: Some(reference) });
    }
}

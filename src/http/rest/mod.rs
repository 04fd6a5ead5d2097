//! The scripting API, `/api/v1`: JSON over HTTP for PowerShell, Python or Ansible, driven by
//! personal access tokens (`Authorization: Bearer uca_…`, no cookie, no CSRF token). Each
//! handler authorizes its caller, calls the same service as the browser's server function and
//! answers JSON; every error is an RFC 9457 problem (`application/problem+json`) with the
//! message the pages show, in the language of `Accept-Language`. The OpenAPI 3.1 document is
//! generated from these handlers and the domain types (`openapi`).

mod deployment;
mod extract;
mod jobs;
pub mod openapi;
mod operations;
pub mod problem;
mod records;
mod throttle;

use crate::domain::operator::Permission;
use crate::domain::operator::Permission::{ManageUsers, MoveUsersBetweenOrganizations, ViewDeployment};
use crate::server::AppState;
use axum::Router;
use axum::routing::{get, post};
pub use extract::Caller;
pub use problem::ApiError;
use std::sync::Arc;

/// Where the API lives.
pub const BASE: &str = "/api/v1";

/// What the handlers reach: the portal's state and the per-token throttle of this portal.
#[derive(Clone)]
pub struct RestState {
    pub app: AppState,
    pub throttle: Arc<throttle::Throttle>,
}

/// The permission each call needs (besides the public `/openapi.json`): checked with the token
/// before the body is read, so a call the caller may not make is refused whatever it carries.
/// A route missing here is refused for everyone (and fails the document test).
pub const PERMISSIONS: &[(&str, &str, Permission)] = &[
    ("GET", "/pools", ViewDeployment),
    ("GET", "/pools/{id}", ViewDeployment),
    ("GET", "/users", ViewDeployment),
    ("GET", "/users/{id}", ViewDeployment),
    ("POST", "/enable/preview", ManageUsers),
    ("POST", "/enable/run", ManageUsers),
    ("POST", "/move/preview", ManageUsers),
    ("POST", "/move/run", ManageUsers),
    ("POST", "/delete/preview", ManageUsers),
    ("POST", "/delete/run", ManageUsers),
    ("POST", "/configure/preview", ManageUsers),
    ("POST", "/configure/run", ManageUsers),
    ("POST", "/org-move/preview", MoveUsersBetweenOrganizations),
    ("POST", "/org-move/run", MoveUsersBetweenOrganizations),
    ("GET", "/jobs", ViewDeployment),
    ("GET", "/jobs/{id}", ViewDeployment),
    ("GET", "/jobs/{id}/users", ViewDeployment),
    ("GET", "/jobs/{id}/users.csv", ViewDeployment),
    ("POST", "/jobs/{id}/cancel", ManageUsers),
    ("POST", "/jobs/{id}/resume", ManageUsers),
    ("POST", "/user-data/export", ManageUsers),
    ("POST", "/user-data/import/preview", ManageUsers),
    ("POST", "/user-data/import/run", ManageUsers),
    ("GET", "/audit", ViewDeployment),
    ("GET", "/audit/{id}", ViewDeployment),
];

/// The permission of a call, by method and route pattern (without `BASE`).
pub fn permission_of(method: &str, route: &str) -> Option<Permission> {
    PERMISSIONS.iter().find(|(m, r, _)| *m == method && *r == route).map(|(_, _, p)| *p)
}

/// The API's routes, to be nested at `BASE`.
pub fn router(state: AppState) -> Router<AppState> {
    let throttle = Arc::new(throttle::Throttle::new(state.config.api_requests_per_second));
    let rest = RestState { app: state, throttle };
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/pools", get(deployment::pools))
        .route("/pools/{id}", get(deployment::pool))
        .route("/users", get(deployment::users))
        .route("/users/{id}", get(deployment::user))
        .route("/enable/preview", post(operations::preview_enable))
        .route("/enable/run", post(operations::run_enable))
        .route("/move/preview", post(operations::preview_move))
        .route("/move/run", post(operations::run_move))
        .route("/delete/preview", post(operations::preview_delete))
        .route("/delete/run", post(operations::run_delete))
        .route("/configure/preview", post(operations::preview_configure))
        .route("/configure/run", post(operations::run_configure))
        .route("/org-move/preview", post(operations::preview_org_move))
        .route("/org-move/run", post(operations::run_org_move))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::one))
        .route("/jobs/{id}/users", get(jobs::users))
        .route("/jobs/{id}/users.csv", get(jobs::users_csv))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/jobs/{id}/resume", post(jobs::resume))
        .route("/user-data/export", post(records::export_user_data))
        .route("/user-data/import/preview", post(records::preview_import))
        .route("/user-data/import/run", post(records::run_import))
        .route("/audit", get(records::audit_events))
        .route("/audit/{id}", get(records::audit_event))
        .fallback(problem::no_such_endpoint)
        .method_not_allowed_fallback(problem::method_not_allowed)
        // Inside `localize`, so that a panic is answered as a problem in the caller's language.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|payload| {
            axum::response::IntoResponse::into_response(ApiError(crate::http::error::panicked(payload)))
        }))
        .layer(axum::middleware::from_fn(problem::localize))
        .with_state(rest)
}

#[cfg(test)]
mod tests;

//! User data files (export and import, all or nothing) and the audit log.

use super::RestState;
use super::extract::{ApiBody, ApiPath, ApiQuery, Body, Caller};
use super::problem::ApiError;
use crate::domain::audit::{AuditEvent, AuditQuery, AuditUserLine};
use crate::domain::paging::Page;
use crate::domain::search::UserTarget;
use crate::domain::user_data::ImportReport;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// The users: ids, a tree node with a filter, or a search.
    pub users: UserTarget,
}
impl ApiBody for ExportRequest {
    const MAX_BYTES: usize = 4 * 1024 * 1024;
}

/// The server data of some users (contacts, Allow/Block lists, meetings, presence) as a user
/// data file; recorded in the audit log as a download.
#[utoipa::path(post, path = "/api/v1/user-data/export", tag = "User data", request_body = ExportRequest,
    responses((status = 200, description = "A UC Admin user data file", body = String, content_type = "application/xml")))]
pub async fn export_user_data(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<ExportRequest>,
) -> Result<Response, ApiError> {
    let operator = &caller.operator;
    let (file, xml) =
        crate::server::operations::user_data::export(&state.app.db, operator, &body.users).await?;
    let mut response = xml.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPreviewRequest {
    /// The user data file's text.
    pub file: String,
}
impl ApiBody for ImportPreviewRequest {
    const MAX_BYTES: usize = IMPORT_BYTES;
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRunRequest {
    pub file: String,
    /// The operator's password: restoring data into users' lists is confirmed with it.
    pub password: String,
}
impl ApiBody for ImportRunRequest {
    const MAX_BYTES: usize = IMPORT_BYTES;
}

/// A file carried as a JSON string may double in size through escaping.
const IMPORT_BYTES: usize = crate::domain::user_data::MAX_IMPORT_BYTES * 2 + 64 * 1024;

/// What importing a user data file would add; changes nothing.
#[utoipa::path(post, path = "/api/v1/user-data/import/preview", tag = "User data", request_body = ImportPreviewRequest,
    responses((status = 200, body = ImportReport)))]
pub async fn preview_import(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<ImportPreviewRequest>,
) -> Result<Json<ImportReport>, ApiError> {
    let operator = &caller.operator;
    Ok(Json(crate::server::operations::user_data::import(&state.app.db, operator, &body.file, false).await?))
}

/// Imports a user data file: all of it or, on any problem, nothing.
#[utoipa::path(post, path = "/api/v1/user-data/import/run", tag = "User data", request_body = ImportRunRequest,
    responses((status = 200, body = ImportReport)))]
pub async fn run_import(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<ImportRunRequest>,
) -> Result<Json<ImportReport>, ApiError> {
    let operator = &caller.operator;
    let app = &state.app;
    crate::server::security::operators::confirm_password(
        &app.db,
        &app.config,
        operator,
        &body.password,
        &caller.client,
    )
    .await?;
    Ok(Json(crate::server::operations::user_data::import(&app.db, operator, &body.file, true).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Operator user name, matched anywhere, case-insensitive.
    operator: Option<String>,
    /// An operation code (`move`, `force_move`, `enable`, …).
    operation: Option<String>,
    /// First day, UTC, `YYYY-MM-DD`.
    from: Option<String>,
    /// Last day, UTC, `YYYY-MM-DD` (included).
    to: Option<String>,
    /// A user's display name or SIP URI, matched in the events' per-user lines.
    user: Option<String>,
    /// 1-based page (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
}

/// Audit events, newest first, filtered like the Audit page.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit_events", tag = "Audit", params(AuditParams), responses((status = 200, body = Page<AuditEvent>)))]
pub async fn audit_events(
    State(state): State<RestState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Page<AuditEvent>>, ApiError> {
    use crate::server::security::audit::log::{Reader, events};
    let viewer = &caller.operator;
    let query = AuditQuery {
        operator: params.operator.unwrap_or_default(),
        operation: params.operation.unwrap_or_default(),
        from: params.from.unwrap_or_default(),
        to: params.to.unwrap_or_default(),
        user: params.user.unwrap_or_default(),
        page: params.page.unwrap_or(1),
    };
    Ok(Json(events(&state.app.db, &query, Reader::of(viewer)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// 1-based page of the event's users (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
}

/// An audit event with a page of its per-user outcomes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub event: AuditEvent,
    pub users: Page<AuditUserLine>,
}

/// One audit event with a page of the users it names and their outcomes.
#[utoipa::path(get, path = "/api/v1/audit/{id}", operation_id = "get_audit_event", tag = "Audit",
    params(("id" = i64, Path, description = "The event's id"), EventParams), responses((status = 200, body = AuditEventView)))]
pub async fn audit_event(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<EventParams>,
) -> Result<Json<AuditEventView>, ApiError> {
    use crate::server::security::audit::log::{Reader, event};
    let viewer = &caller.operator;
    let (event, users) = event(&state.app.db, id, params.page.unwrap_or(1), Reader::of(viewer)).await?;
    Ok(Json(AuditEventView { event, users }))
}

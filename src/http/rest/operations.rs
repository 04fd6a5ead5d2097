//! The bulk operations in the portal's one shape, over HTTP: `…/preview` resolves the users into
//! a selection and plans the operation (the what-if: counts, conflicts, data lost) with a
//! preview token; `…/run` takes the token and does exactly what was previewed, or refuses
//! when the users changed since. The services are the browser's (`server::operations`).

use super::RestState;
use super::extract::{ApiBody, Body, Caller};
use super::problem::ApiError;
use crate::domain::configure::{ConfigurePreview, ConfigureRun, SettingsChange};
use crate::domain::delete::{DeletePreview, DeleteRun};
use crate::domain::enable::{EnableOptions, EnablePreview, EnableRun};
use crate::domain::jobs::Started;
use crate::domain::moves::{MovePreview, MoveRun};
use crate::domain::operation::{MoveOptions, OrgMoveOptions, PreviewToken, Previewed, SelectionSource};
use crate::domain::org::{OrgId, OrgMovePreview, OrgMoveRun};
use crate::domain::pool::PoolId;
use crate::domain::schedule::ScheduleRequest;
use crate::server::operations::{self, Operation};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;

/// Stores the selection and previews the operation on it, for a caller who may run it.
async fn preview<O: Operation>(
    state: &RestState,
    caller: &Caller,
    users: &SelectionSource,
    options: O::Options,
    schedule: &ScheduleRequest,
) -> Result<Json<Previewed<O::Preview>>, ApiError> {
    let operator = &caller.operator;
    let db = &state.app.db;
    let selection = operations::selection::create(db, operator, users).await?;
    Ok(Json(operations::preview_scheduled::<O>(db, operator, selection.id, &options, schedule).await?))
}

async fn run<O: Operation>(
    state: &RestState,
    caller: &Caller,
    token: &PreviewToken,
    password: Option<&str>,
) -> Result<Json<Started<O::Run>>, ApiError> {
    let operator = &caller.operator;
    let app = &state.app;
    Ok(Json(
        operations::run_confirmed::<O>(&app.db, &app.config, operator, token, password, &caller.client)
            .await?,
    ))
}

/// Runs a preview by its token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The `token` of the preview's answer: single-use, yours, valid 30 minutes.
    pub token: PreviewToken,
}
impl ApiBody for RunRequest {}

/// Runs a preview that needs the operator's password again (a force move, a delete).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmedRunRequest {
    pub token: PreviewToken,
    /// The token's operator's password: required for a force move and a delete.
    #[serde(default)]
    pub password: Option<String>,
}
impl ApiBody for ConfirmedRunRequest {}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnablePreviewRequest {
    /// Directory users not yet enabled (`{"candidates": {…}}`) or ticked ids.
    pub users: SelectionSource,
    pub options: EnableOptions,
}
impl ApiBody for EnablePreviewRequest {
    const MAX_BYTES: usize = USER_LIST_BYTES;
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovePreviewRequest {
    /// The users: ids, a tree node with a filter, or a search.
    pub users: SelectionSource,
    pub destination: PoolId,
    /// A force move: the users' server data is deleted (when the pools cannot move it).
    #[serde(default)]
    pub force: bool,
    /// When and how fast the job works (start, maintenance window, pace, time zone); a
    /// scheduled run always becomes a job.
    #[serde(default)]
    pub schedule: ScheduleRequest,
}
impl ApiBody for MovePreviewRequest {
    const MAX_BYTES: usize = USER_LIST_BYTES;
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletePreviewRequest {
    pub users: SelectionSource,
    /// When and how fast the job works (start, maintenance window, pace, time zone); a
    /// scheduled run always becomes a job.
    #[serde(default)]
    pub schedule: ScheduleRequest,
}
impl ApiBody for DeletePreviewRequest {
    const MAX_BYTES: usize = USER_LIST_BYTES;
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigurePreviewRequest {
    pub users: SelectionSource,
    pub change: SettingsChange,
    /// When and how fast the job works (start, maintenance window, pace, time zone); a
    /// scheduled run always becomes a job.
    #[serde(default)]
    pub schedule: ScheduleRequest,
}
impl ApiBody for ConfigurePreviewRequest {
    const MAX_BYTES: usize = USER_LIST_BYTES;
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgMovePreviewRequest {
    /// Ticked users, or every member of an organization (`{"members": {"members": 3}}`).
    pub users: SelectionSource,
    pub to: OrgId,
    /// Sets Prevent User Move on the users once they are moved.
    #[serde(default)]
    pub lock_after_move: bool,
    /// When and how fast the job works (start, maintenance window, pace, time zone); a
    /// scheduled run always becomes a job.
    #[serde(default)]
    pub schedule: ScheduleRequest,
}
impl ApiBody for OrgMovePreviewRequest {
    const MAX_BYTES: usize = USER_LIST_BYTES;
}

/// Bodies that may name users one by one: a quarter of a million ids.
const USER_LIST_BYTES: usize = 4 * 1024 * 1024;

/// What enabling directory users would do: SIP addresses, conflicts, the pool's room.
#[utoipa::path(post, path = "/api/v1/enable/preview", tag = "Enable", request_body = EnablePreviewRequest,
    responses((status = 200, body = Previewed<EnablePreview>)))]
pub async fn preview_enable(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<EnablePreviewRequest>,
) -> Result<Json<Previewed<EnablePreview>>, ApiError> {
    use crate::server::operations::enable::Enable;
    preview::<Enable>(&state, &caller, &body.users, body.options, &ScheduleRequest::default()).await
}

/// Enables the previewed users, all in one transaction.
#[utoipa::path(post, path = "/api/v1/enable/run", tag = "Enable", request_body = RunRequest,
    responses((status = 200, body = Started<EnableRun>)))]
pub async fn run_enable(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<RunRequest>,
) -> Result<Json<Started<EnableRun>>, ApiError> {
    use crate::server::operations::enable::Enable;
    run::<Enable>(&state, &caller, &body.token, None).await
}

/// What moving users to a pool would do (`-WhatIf`): who moves, who is refused and why, and
/// for a force move the data each user would lose.
#[utoipa::path(post, path = "/api/v1/move/preview", tag = "Move", request_body = MovePreviewRequest,
    responses((status = 200, body = Previewed<MovePreview>)))]
pub async fn preview_move(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<MovePreviewRequest>,
) -> Result<Json<Previewed<MovePreview>>, ApiError> {
    use crate::server::operations::moves::Move;
    let options = MoveOptions { destination: body.destination, force: body.force };
    preview::<Move>(&state, &caller, &body.users, options, &body.schedule).await
}

/// Moves the previewed users: at once, or as a job (`{"job": id}`) for many users. A force
/// move needs `password`.
#[utoipa::path(post, path = "/api/v1/move/run", tag = "Move", request_body = ConfirmedRunRequest,
    responses((status = 200, body = Started<MoveRun>)))]
pub async fn run_move(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<ConfirmedRunRequest>,
) -> Result<Json<Started<MoveRun>>, ApiError> {
    use crate::server::operations::moves::Move;
    run::<Move>(&state, &caller, &body.token, body.password.as_deref()).await
}

/// What deleting the users' server data would remove.
#[utoipa::path(post, path = "/api/v1/delete/preview", tag = "Delete", request_body = DeletePreviewRequest,
    responses((status = 200, body = Previewed<DeletePreview>)))]
pub async fn preview_delete(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<DeletePreviewRequest>,
) -> Result<Json<Previewed<DeletePreview>>, ApiError> {
    use crate::server::operations::delete::Delete;
    preview::<Delete>(&state, &caller, &body.users, (), &body.schedule).await
}

/// Deletes the previewed users' server data; needs `password`.
#[utoipa::path(post, path = "/api/v1/delete/run", tag = "Delete", request_body = ConfirmedRunRequest,
    responses((status = 200, body = Started<DeleteRun>)))]
pub async fn run_delete(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<ConfirmedRunRequest>,
) -> Result<Json<Started<DeleteRun>>, ApiError> {
    use crate::server::operations::delete::Delete;
    run::<Delete>(&state, &caller, &body.token, body.password.as_deref()).await
}

/// What changing the users' settings would change, user by user.
#[utoipa::path(post, path = "/api/v1/configure/preview", tag = "Configure", request_body = ConfigurePreviewRequest,
    responses((status = 200, body = Previewed<ConfigurePreview>)))]
pub async fn preview_configure(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<ConfigurePreviewRequest>,
) -> Result<Json<Previewed<ConfigurePreview>>, ApiError> {
    use crate::server::operations::configure::Configure;
    preview::<Configure>(&state, &caller, &body.users, body.change, &body.schedule).await
}

/// Changes the previewed users' settings: at once, or as a job for many users.
#[utoipa::path(post, path = "/api/v1/configure/run", tag = "Configure", request_body = RunRequest,
    responses((status = 200, body = Started<ConfigureRun>)))]
pub async fn run_configure(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<RunRequest>,
) -> Result<Json<Started<ConfigureRun>>, ApiError> {
    use crate::server::operations::configure::Configure;
    run::<Configure>(&state, &caller, &body.token, None).await
}

/// What moving users to another organization would do, with its side effects.
#[utoipa::path(post, path = "/api/v1/org-move/preview", tag = "Organizations", request_body = OrgMovePreviewRequest,
    responses((status = 200, body = Previewed<OrgMovePreview>)))]
pub async fn preview_org_move(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<OrgMovePreviewRequest>,
) -> Result<Json<Previewed<OrgMovePreview>>, ApiError> {
    use crate::server::organizations::moves::OrgMove;
    let options = OrgMoveOptions { to: body.to, lock_after_move: body.lock_after_move };
    preview::<OrgMove>(&state, &caller, &body.users, options, &body.schedule).await
}

/// Moves the previewed users to the organization: at once, or as a job for many users.
#[utoipa::path(post, path = "/api/v1/org-move/run", tag = "Organizations", request_body = RunRequest,
    responses((status = 200, body = Started<OrgMoveRun>)))]
pub async fn run_org_move(
    State(state): State<RestState>,
    caller: Caller,
    Body(body): Body<RunRequest>,
) -> Result<Json<Started<OrgMoveRun>>, ApiError> {
    use crate::server::organizations::moves::OrgMove;
    run::<OrgMove>(&state, &caller, &body.token, None).await
}

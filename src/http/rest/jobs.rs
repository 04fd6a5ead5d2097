//! Jobs (large moves, deletes, configurations, organization moves): list, one, its per-user
//! results as JSON pages or one CSV, cancel and resume.

use super::RestState;
use super::extract::{ApiBody, ApiPath, ApiQuery, Body, Caller};
use super::problem::ApiError;
use crate::domain::AppError;
use crate::domain::jobs::{Job, JobId, JobLineFilter, JobUserLine};
use crate::domain::paging::Page;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobsParams {
    /// How many of the latest jobs, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The latest jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", operation_id = "list_jobs", tag = "Jobs", params(JobsParams), responses((status = 200, body = Vec<Job>)))]
pub async fn list(
    State(state): State<RestState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<JobsParams>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::InvalidParameters { detail: "limit: 1 to 200".into() }.into());
    }
    Ok(Json(crate::server::jobs::recent(&state.app.db, &caller.operator, limit).await?))
}

/// One job: its state, counts and progress.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", operation_id = "get_job", tag = "Jobs",
    params(("id" = i64, Path, description = "The job's id")), responses((status = 200, body = Job)))]
pub async fn one(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Job>, ApiError> {
    crate::server::jobs::must_see(&state.app.db, &caller.operator, JobId(id)).await?;
    Ok(Json(crate::server::jobs::load(&state.app.db, JobId(id)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinesParams {
    /// Which users: `all` (default), `moved`, `refused` or `pending`.
    filter: Option<JobLineFilter>,
    /// 1-based page (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
}

/// A page of the job's per-user results, in preview order.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/users", operation_id = "list_job_users", tag = "Jobs",
    params(("id" = i64, Path, description = "The job's id"), LinesParams),
    responses((status = 200, body = Page<JobUserLine>)))]
pub async fn users(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<LinesParams>,
) -> Result<Json<Page<JobUserLine>>, ApiError> {
    let (filter, page) = (params.filter.unwrap_or_default(), params.page.unwrap_or(1));
    crate::server::jobs::must_see(&state.app.db, &caller.operator, JobId(id)).await?;
    Ok(Json(crate::server::jobs::lines(&state.app.db, JobId(id), filter, page).await?))
}

/// Every per-user result of the job as CSV, like `Move-CsUser -Report`.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/users.csv", operation_id = "job_users_csv", tag = "Jobs",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 200, description = "`user_id,display_name,outcome,reason,data_kept,data_lost`", body = String, content_type = "text/csv")))]
pub async fn users_csv(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let csv = crate::server::jobs::report_csv(&state.app.db, &caller.operator, JobId(id)).await?;
    let mut response = csv.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    Ok(response)
}

/// Cancels a running job after its current chunk; what is done stays done.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", operation_id = "cancel_job", tag = "Jobs",
    params(("id" = i64, Path, description = "The job's id")), responses((status = 204, description = "Cancelled")))]
pub async fn cancel(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let operator = &caller.operator;
    crate::server::jobs::must_see(&state.app.db, operator, JobId(id)).await?;
    crate::server::jobs::cancel(&state.app.db, operator, JobId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeRequest {
    /// The operator's password: required to resume a force move.
    #[serde(default)]
    pub password: Option<String>,
}
impl ApiBody for ResumeRequest {}

/// Resumes an interrupted or failed job from its first unprocessed user.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/resume", operation_id = "resume_job", tag = "Jobs", request_body = ResumeRequest,
    params(("id" = i64, Path, description = "The job's id")), responses((status = 204, description = "Resumed")))]
pub async fn resume(
    State(state): State<RestState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<ResumeRequest>,
) -> Result<StatusCode, ApiError> {
    let operator = &caller.operator;
    let app = &state.app;
    crate::server::jobs::must_see(&app.db, operator, JobId(id)).await?;
    crate::server::jobs::resume_confirmed(
        &app.db,
        &app.config,
        operator,
        JobId(id),
        body.password.as_deref(),
        &caller.client,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

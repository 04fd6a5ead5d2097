//! Errors of the scripting API as RFC 9457 problem details: `type` names the error's code,
//! `title` says it in English, `detail` is the message the pages show, in the language the
//! request's `Accept-Language` prefers; the error's own values (`max`, `retry_after`, …) and
//! `code` are extension members. Statuses and `Retry-After` come from `http::error`, as for
//! every other answer of the portal.

use crate::domain::AppError;
use crate::http::error::{retry_after, status_of};
use crate::http::request_id::RequestId;
use crate::messages::{error_message, locale_of_accept_language};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A handler's error: the response carries the error until `localize` writes its body.
#[derive(Debug, Clone)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        ApiError(error)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = status_of(&self.0).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The body of a problem, as the OpenAPI document describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:uc-admin:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The error in a few English words.
    pub title: String,
    pub status: u16,
    /// The message the portal's pages show, in the request's language.
    pub detail: String,
    /// The stable code of the error; the other members depend on it.
    pub code: String,
    /// The request's id, as in the `x-request-id` header and the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

fn problem_response(
    error: &AppError,
    accept_language: Option<&str>,
    request_id: Option<&RequestId>,
) -> Response {
    let locale = locale_of_accept_language(accept_language);
    let error = match error {
        AppError::Internal { request_id: None } => {
            AppError::Internal { request_id: request_id.map(|id| id.0.clone()) }
        }
        other => other.clone(),
    };
    let status = status_of(&error);
    let mut body = serde_json::to_value(&error).unwrap_or_default();
    let problem = Problem {
        kind: format!("urn:uc-admin:problem:{}", error.code()),
        title: error.to_string(),
        status: status.as_u16(),
        detail: error_message(locale, &error),
        code: error.code().to_string(),
        request_id: request_id.map(|id| id.0.clone()),
    };
    if let (Some(members), Ok(serde_json::Value::Object(own))) =
        (body.as_object_mut(), serde_json::to_value(&problem))
    {
        members.extend(own);
    }
    let mut response = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(crate::messages::language_tag(locale)));
    if let Some(seconds) = retry_after(&error) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Middleware of the API's routes: the body of every error, in the request's language.
pub async fn localize(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let accept_language =
        request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request_id = request.extensions().get::<RequestId>().cloned();
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<ApiError>() {
        Some(ApiError(error)) => problem_response(&error, accept_language.as_deref(), request_id.as_ref()),
        None => response,
    }
}

/// Middleware outside the router's outer body limit: a body refused there (before any of the
/// API's own code ran) gets a problem too.
pub async fn outer_limit(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !request.uri().path().starts_with(super::BASE) {
        return next.run(request).await;
    }
    let accept_language =
        request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.run(request).await;
    let is_problem = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == PROBLEM_JSON);
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE || is_problem {
        return response;
    }
    let max_bytes = crate::api::access::MAX_BODY_BYTES as u64;
    problem_response(&AppError::RequestTooLarge { max_bytes }, accept_language.as_deref(), None)
}

pub async fn no_such_endpoint() -> ApiError {
    ApiError(AppError::NoSuchEndpoint)
}

pub async fn method_not_allowed() -> ApiError {
    ApiError(AppError::MethodNotAllowed)
}

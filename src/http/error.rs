//! The one place where the portal's errors become HTTP: the status of each error code, the
//! `Retry-After` of load and throttling errors, the JSON error body, and the middleware that
//! gives errors raised before a function's own code (undecodable arguments, bodies too large
//! while being read) the same treatment.

use crate::api::access::MAX_BODY_BYTES;
use crate::domain::AppError;
use axum::http::{HeaderValue, StatusCode, header};

/// The HTTP status of an error: the one place where the portal's errors meet HTTP (the domain
/// knows only the codes). Used for server function answers, the gate's refusals and downloads.
pub fn status_of(error: &AppError) -> axum::http::StatusCode {
    let code: u16 = match error {
        AppError::Unauthenticated | AppError::InvalidCredentials => 401,
        AppError::Forbidden | AppError::CrossSiteRequest => 403,
        AppError::PoolNotFound
        | AppError::UserNotFound
        | AppError::ExportNotFound
        | AppError::ScopedRoleNotFound
        | AppError::JobNotFound => 404,
        AppError::ImportMalformed { .. }
        | AppError::ImportForeign
        | AppError::ImportInvalid { .. }
        | AppError::ImportUnknownUser { .. }
        | AppError::ImportNotHoldable { .. } => 422,
        AppError::FileTooLarge { .. } => 413,
        AppError::OutOfScope { .. } | AppError::DestinationOutOfScope => 403,
        AppError::EmptySelection
        | AppError::EmptyUserList
        | AppError::InvalidContainer { .. }
        | AppError::InvalidSchedule { .. }
        | AppError::InvalidScopedRoleName
        | AppError::NotARoleTemplate
        | AppError::EmptyScope { .. }
        | AppError::BatchTooLarge { .. }
        | AppError::UnknownUsers
        | AppError::SipDomainNotConfigured
        | AppError::EnhancedPresenceUnsupported => 400,
        AppError::AlreadyEnabled
        | AppError::PoolNotUsable
        | AppError::CapacityExceeded { .. }
        | AppError::PoolStateUnchanged
        | AppError::JobStateConflict => 409,
        AppError::InvalidNode
        | AppError::InvalidQuery
        | AppError::BadRequest
        | AppError::InvalidSipPattern { .. }
        | AppError::UnknownFilterValue { .. }
        | AppError::InvalidAuditFilter => 400,
        AppError::SavedQueryNotFound
        | AppError::AuditEventNotFound
        | AppError::OrganizationNotFound
        | AppError::AlertNotFound => 404,
        AppError::AlertAlreadySent | AppError::NotInOrganization => 409,
        AppError::CsvMalformed { .. } | AppError::CsvHeader => 422,
        AppError::TopologyInvalid { .. }
        | AppError::TopologyMissing { .. }
        | AppError::PoolInvalid { .. } => 422,
        AppError::DirectoryUnavailable | AppError::Busy => 503,
        AppError::DirectoryNotConfigured => 409,
        AppError::SavedQueryNameTaken => 409,
        AppError::InvalidQueryName | AppError::NothingToChange | AppError::UnknownMeetingPolicy => 422,
        AppError::TooManySignInAttempts { .. } => 429,
        AppError::StepUpFailed => 403,
        AppError::RequestTooLarge { .. } => 413,
        AppError::TextTooLong { .. } => 422,
        AppError::OperatorNotFound | AppError::SessionNotFound | AppError::BackupNotFound => 404,
        AppError::CannotDisableSelf
        | AppError::CannotDeleteSelf
        | AppError::LastAdministrator
        | AppError::BackupWithPgDump
        | AppError::CopyTargetNotEmpty
        | AppError::CopyMismatch { .. } => 409,
        AppError::DirectoryAccount | AppError::DirectorySyncRunning => 409,
        AppError::WeakPassword { .. }
        | AppError::PasswordIsName
        | AppError::PasswordUnchanged
        | AppError::PasswordsDiffer => 422,
        AppError::PasswordChangeRequired => 403,
        AppError::OperatorNameTaken
        | AppError::AdministratorExists
        | AppError::DemoDeployment
        | AppError::CompanyDeployment => 409,
        AppError::SelectionNotFound => 404,
        AppError::PreviewExpired | AppError::SelectionChanged | AppError::NothingToUndo => 409,
        AppError::UndoNotAvailable | AppError::ApprovalNotFound => 404,
        AppError::ApprovalExpiryInvalid { .. }
        | AppError::ApprovalThresholdInvalid
        | AppError::ApprovalCommentTooLong { .. } => 422,
        AppError::SelfApproval => 403,
        AppError::ApprovalExpired | AppError::ApprovalDecided => 409,
        AppError::ApiTokenRequired
        | AppError::ApiTokenUnknown
        | AppError::ApiTokenExpired
        | AppError::ApiTokenRevoked
        | AppError::ApiTokenOwnerDisabled => 401,
        AppError::ApiTokenScope => 403,
        AppError::ApiTokenNameInvalid { .. }
        | AppError::ApiTokenLifetimeInvalid { .. }
        | AppError::ApiTokenPermissionNotHeld => 422,
        AppError::ApiTokenNotFound | AppError::NoSuchEndpoint => 404,
        AppError::TooManyRequests { .. } => 429,
        AppError::InvalidJson { .. } | AppError::InvalidParameters { .. } => 400,
        AppError::UnsupportedMediaType => 415,
        AppError::MethodNotAllowed => 405,
        AppError::Network | AppError::Internal { .. } | AppError::BackupFailed => 500,
    };
    axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// How long a client should wait before trying again, for the errors that are about load or
/// throttling (sent as `Retry-After`, so that scripts and proxies can honour it).
pub fn retry_after(error: &AppError) -> Option<u64> {
    match error {
        AppError::TooManySignInAttempts { retry_after } | AppError::TooManyRequests { retry_after } => {
            Some(*retry_after)
        }
        AppError::Busy => Some(1),
        _ => None,
    }
}

pub fn error_response(error: &AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = super::error::status_of(error);
    let mut response = (status, axum::Json(error)).into_response();
    if let Some(seconds) = retry_after(error) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Response middleware: a server-function error raised before the gate ran (for example
/// arguments that do not decode) leaves server_fn's default 500. This gives every server
/// function error the status of its code, in one place.
pub async fn server_fn_error_status(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&error);
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A body that turned out larger than the router's outer limit while being read (no
/// `Content-Length`) ends in a plain-text 413; this gives it the portal's error instead.
pub async fn too_large_as_json(response: axum::response::Response) -> axum::response::Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || is_json {
        return response;
    }
    error_response(&AppError::RequestTooLarge { max_bytes: MAX_BODY_BYTES as u64 })
}

/// A handler that panicked: logged with its message, answered as the portal's internal error
/// (which `request_id::tag` gives its reference) instead of a connection closed without answer.
pub fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> AppError {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request's handler panicked");
    AppError::INTERNAL
}

/// [`panicked`] as the portal's JSON error, for the router's panic guard.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    error_response(&panicked(payload))
}

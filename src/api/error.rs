//! How the portal's error type crosses the wire: as JSON `{"code": ...}`.

use crate::domain::AppError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request itself was malformed: arguments missing or not decodable.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::BadRequest,
            // On the server the only thing decoded is the request: a body that is not the
            // function's JSON (missing field, wrong type, not JSON) is the caller's mistake.
            // In the browser the same error means an answer that did not decode.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::Registration(_) => AppError::Internal,
            _ => AppError::Network,
        }
    }
}

/// The HTTP status of an error: the one place where the portal's errors meet HTTP (the domain
/// knows only the codes). Used for server function answers, the gate's refusals and downloads.
#[cfg(feature = "ssr")]
pub fn status_of(error: &AppError) -> axum::http::StatusCode {
    let code: u16 = match error {
        AppError::Unauthenticated | AppError::InvalidCredentials => 401,
        AppError::Forbidden | AppError::CrossSiteRequest => 403,
        AppError::PoolNotFound
        | AppError::UserNotFound
        | AppError::ExportNotFound
        | AppError::JobNotFound => 404,
        AppError::ImportMalformed { .. }
        | AppError::ImportForeign
        | AppError::ImportInvalid { .. }
        | AppError::ImportUnknownUser { .. }
        | AppError::ImportNotHoldable { .. } => 422,
        AppError::FileTooLarge { .. } => 413,
        AppError::EmptySelection
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
        AppError::DirectoryUnavailable | AppError::Busy => 503,
        AppError::DirectoryNotConfigured => 409,
        AppError::SavedQueryNameTaken => 409,
        AppError::InvalidQueryName | AppError::NothingToChange | AppError::UnknownMeetingPolicy => 422,
        AppError::TooManySignInAttempts { .. } => 429,
        AppError::StepUpFailed => 403,
        AppError::RequestTooLarge { .. } => 413,
        AppError::TextTooLong { .. } => 422,
        AppError::OperatorNotFound | AppError::SessionNotFound | AppError::BackupNotFound => 404,
        AppError::CannotDisableSelf => 409,
        AppError::Network | AppError::Internal | AppError::BackupFailed => 500,
    };
    axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
}

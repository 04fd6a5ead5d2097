//! Admission of server function calls, before their arguments are decoded: by the access
//! table (an unknown function is refused), the function's own body limit (413), the session
//! (401) and the permission (403). An admitted call carries its `Admitted` into the function,
//! where `api::gate::authorized` finds it.

use super::error::{error_response, too_large_as_json};
use super::session::{operator_for, session_token_in};
use crate::api::access::{Access, PREFIX, access_of};
use crate::domain::AppError;
use crate::server::AppState;
use crate::server::security::operators::SignedIn;
use axum::http::header;

/// Put into a server function request by `admit`: its access entry and, unless the function
/// is public, the operator it admitted.
#[derive(Clone)]
pub struct Admitted {
    pub access: &'static Access,
    pub signed_in: Option<SignedIn>,
}

/// Middleware: admits server function calls (see the module); other requests pass. A body
/// that turns out too large while being read gets the portal's error too.
pub async fn admit(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // The scripting API admits its own calls (bearer tokens, its own body limits).
    let path = request.uri().path();
    if !path.starts_with(PREFIX) || path.starts_with(crate::http::rest::BASE) {
        return too_large_as_json(next.run(request).await).await;
    }
    let admitted = match admission(&state, request.uri().path(), request.headers()).await {
        Ok(admitted) => within_limit(request, admitted).await,
        Err(e) => Err(e),
    };
    match admitted {
        Ok(request) => too_large_as_json(next.run(request).await).await,
        Err(error) => error_response(&error),
    }
}

/// Reads the body of an admitted call up to its limit (a body without a `Content-Length`, or
/// with a false one, is caught here too), and hands the call on with its admission.
async fn within_limit(
    request: axum::extract::Request,
    admitted: Admitted,
) -> Result<axum::extract::Request, AppError> {
    let limit = admitted.access.max_body;
    let (mut parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::RequestTooLarge { max_bytes: limit as u64 })?;
    parts.extensions.insert(admitted);
    Ok(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)))
}

async fn admission(
    state: &AppState,
    path: &str,
    headers: &axum::http::HeaderMap,
) -> Result<Admitted, AppError> {
    let Some(access) = access_of(path) else {
        tracing::error!(path, "refused: a server function missing from the access table");
        return Err(AppError::Forbidden);
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > access.max_body as u64) {
        return Err(AppError::RequestTooLarge { max_bytes: access.max_body as u64 });
    }
    let Some(permission) = access.permission else {
        return Ok(Admitted { access, signed_in: None });
    };
    let signed_in = operator_for(state, session_token_in(headers, &state.config), permission).await?;
    Ok(Admitted { access, signed_in: Some(signed_in) })
}

//! What an API handler takes from its request: the caller (bearer token → operator, throttled),
//! a JSON body of the call's own type (strict: an unknown field is an error), and path and
//! query parameters — each refusal a problem, never axum's plain-text rejection.

use super::RestState;
use super::problem::ApiError;
use crate::api::access::STANDARD_BODY_BYTES;
use crate::domain::AppError;
use crate::domain::operator::{Operator, Permission};
use crate::http::request_id::RequestOperator;
use crate::server::security::operators::Client;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;

/// The operator a request acts for, through its API token, and where it comes from; admitted
/// only if their roles and the token allow the call (`super::PERMISSIONS`).
pub struct Caller {
    pub operator: Operator,
    pub client: Client,
}

/// Whether the operator may make a call needing `permission`: a role that lacks it is
/// `forbidden`, a token that was not given it is `api_token_scope`.
fn check(operator: &Operator, permission: Permission) -> Result<(), AppError> {
    let by_roles = Operator { api_token: None, ..operator.clone() };
    if !by_roles.may(permission) {
        return Err(AppError::Forbidden);
    }
    if !operator.may(permission) {
        return Err(AppError::ApiTokenScope);
    }
    Ok(())
}

fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let value = parts.headers.get(header::AUTHORIZATION).ok_or(AppError::ApiTokenRequired)?;
    let value = value.to_str().map_err(|_| AppError::ApiTokenUnknown)?;
    let (scheme, secret) = value.split_once(' ').ok_or(AppError::ApiTokenRequired)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::ApiTokenRequired);
    }
    Ok(secret.trim())
}

impl FromRequestParts<RestState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &RestState) -> Result<Caller, ApiError> {
        let secret = bearer(parts)?;
        let (operator, token) =
            crate::server::security::api_tokens::authenticate(&state.app.db, &state.app.config, secret)
                .await?;
        // The log line names whom a call came from, refused or not.
        if let Some(slot) = parts.extensions.get::<RequestOperator>() {
            slot.set(operator.id.0);
            if let Some(token) = &operator.api_token {
                slot.set_api_token(&token.name);
            }
        }
        state.throttle.admit(token)?;
        let route =
            parts.extensions.get::<axum::extract::MatchedPath>().map(|m| m.as_str()).unwrap_or_default();
        let route = route.strip_prefix(super::BASE).unwrap_or(route);
        let Some(permission) = super::permission_of(parts.method.as_str(), route) else {
            tracing::error!(route, "refused: an API route without a permission");
            return Err(ApiError(AppError::Forbidden));
        };
        check(&operator, permission)?;
        let client = crate::http::client_address::client_of(&state.app.config, parts);
        Ok(Caller { operator: operator.for_call(permission), client })
    }
}

/// A request body the API decodes: JSON of its type, at most `MAX_BYTES`.
pub trait ApiBody: DeserializeOwned {
    const MAX_BYTES: usize = STANDARD_BODY_BYTES;
}

/// A JSON body of the call's type.
pub struct Body<T>(pub T);

impl<T: ApiBody, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Body<T>, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(ApiError(AppError::UnsupportedMediaType));
        }
        let too_large = AppError::RequestTooLarge { max_bytes: T::MAX_BYTES as u64 };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > T::MAX_BYTES as u64) {
            return Err(ApiError(too_large));
        }
        let bytes = axum::body::to_bytes(request.into_body(), T::MAX_BYTES).await.map_err(|_| too_large)?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError(AppError::InvalidJson { detail: e.to_string() }))
    }
}

/// Path parameters, refused as a problem when they do not parse.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiPath<T>, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError(AppError::InvalidParameters { detail: e.body_text() }))
    }
}

/// Query parameters of the call's type (strict: an unknown one is refused).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiQuery<T>, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError(AppError::InvalidParameters { detail: e.body_text() }))
    }
}

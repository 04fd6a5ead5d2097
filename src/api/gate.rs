//! The one place where requests are authorized: session cookie → operator → permission.
//! Every server function goes through `authorized` (or `public` for sign-in and sign-out),
//! which also turns errors into HTTP statuses.

use crate::domain::AppError;
use crate::domain::operator::{Operator, Permission};
use crate::server::operators::{SESSION_COOKIE, session_operator};
use crate::server::{AppState, Config};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The session token from the request's `Cookie` header.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// Sets (or, with `None`, clears) the session cookie on the response.
pub fn set_session_cookie(config: &Config, token: Option<&str>) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = match token {
        Some(token) => format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            config.session_absolute.as_secs()
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(header::SET_COOKIE, value);
    }
}

fn reply_status(error: &AppError) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
}

/// Runs a server function body that needs no session, mapping its error to a status.
pub async fn public<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(e) = &result {
        reply_status(e);
    }
    result
}

/// Checks the session and the permission before running `body`; nothing is read or changed
/// for a request that fails the check.
pub async fn authorized<T, F, Fut>(permission: Permission, body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState, Operator) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    public(async move {
        let state = state()?;
        let token = session_token().ok_or(AppError::Unauthenticated)?;
        let operator = session_operator(&state.db, &state.config, &token).await?;
        if !operator.may(permission) {
            tracing::warn!(operator = %operator.username, ?permission, "refused: missing permission");
            return Err(AppError::Forbidden);
        }
        body(state, operator).await
    })
    .await
}

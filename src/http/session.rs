//! The session: its cookie (read from a request, set on a response) and the operator behind it,
//! with the permission a call needs.

use crate::domain::AppError;
use crate::domain::operator::Permission;
use crate::server::security::operators::{SignedIn, session_operator};
use crate::server::{AppState, Config};
use axum::http::{HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// The session token from these headers' cookie of the name `config` gives it.
pub fn session_token_in(headers: &axum::http::HeaderMap, config: &Config) -> Option<String> {
    let cookie_name = config.session_cookie();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// Sets (or, with `None`, clears) the session cookie on the response.
pub fn set_session_cookie(config: &Config, token: Option<&str>) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let secure = if config.secure_cookies() { "; Secure" } else { "" };
    let name = config.session_cookie();
    let cookie = match token {
        Some(token) => format!(
            "{name}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            config.session_absolute.as_secs()
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// The operator behind a session token, if they hold `permission`. Used by `authorized` and
/// by the plain HTTP routes (downloads), so both apply the same rule.
pub async fn operator_for(
    state: &AppState,
    token: Option<String>,
    permission: Permission,
) -> Result<SignedIn, AppError> {
    let token = token.ok_or(AppError::Unauthenticated)?;
    let mut signed_in = session_operator(&state.db, &state.config, &token).await?;
    if !signed_in.operator.may(permission) {
        tracing::warn!(operator = %signed_in.operator.username, ?permission, "refused: missing permission");
        return Err(AppError::Forbidden);
    }
    // The users the call may reach: the scope of the permission it needs.
    signed_in.operator = signed_in.operator.for_call(permission);
    Ok(signed_in)
}

//! The one place where server functions are authorized: session cookie → operator →
//! permission. Every server function goes through `authorized` (or `public` for sign-in and
//! sign-out); its errors get their HTTP status from `http::error`.

use super::access::{Access, access_of};
use crate::domain::AppError;
use crate::domain::operator::Operator;
use crate::http::admission::Admitted;
use crate::http::error::{retry_after, status_of};
use crate::http::request_id::RequestOperator;
use crate::http::session::{operator_for, session_token_in};
use crate::server::AppState;
use crate::server::security::operators::SignedIn;
use axum::http::{HeaderValue, header, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

pub use crate::http::session::set_session_cookie;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::INTERNAL
    })
}

/// The session token from the request's `Cookie` header.
pub fn session_token() -> Option<String> {
    session_token_in(&use_context::<Parts>()?.headers, &state().ok()?.config)
}

/// Sets the response status for an error, unless a redirect was already decided: a page that
/// sends a signed-out browser to /login must answer 302 even if its other calls failed too.
fn reply_status(error: &AppError) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let redirecting =
        response.0.read().map(|parts| parts.status.is_some_and(|s| s.is_redirection())).unwrap_or(false);
    if !redirecting {
        let status = status_of(error);
        response.set_status(status);
        if let Some(seconds) = retry_after(error) {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
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

/// Checks the session and the permission the access table gives the server function at
/// `path` (its `PATH`) before running `body`; nothing is read or changed for a request that
/// fails the check. A call over HTTP was admitted by `http::admission` already, by the same
/// table; a call made while rendering a page on the server is checked here.
pub async fn authorized<T, F, Fut>(path: &'static str, body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState, Operator) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    public(async move {
        let state = state()?;
        let Some(Access { permission: Some(permission), .. }) = access_of(path) else {
            tracing::error!(path, "a server function without a permission in the access table");
            return Err(AppError::Forbidden);
        };
        let parts = use_context::<Parts>();
        let admitted = parts.as_ref().and_then(|p| p.extensions.get::<Admitted>().cloned());
        let SignedIn { operator, must_change_password } = match admitted {
            Some(Admitted { signed_in: Some(signed_in), .. }) => signed_in,
            _ => operator_for(&state, session_token(), *permission).await?,
        };
        if let Some(slot) = parts.as_ref().and_then(|p| p.extensions.get::<RequestOperator>()) {
            slot.set(operator.id.0);
        }
        // After a one-time password, nothing but choosing one's own (and what the page needs).
        const WHILE_CHANGING: [&str; 4] =
            ["/api/current_operator", "/api/deployment_kind", "/api/theme", "/api/change_password"];
        if must_change_password && !WHILE_CHANGING.contains(&path) {
            return Err(AppError::PasswordChangeRequired);
        }
        // The scope of the permission this function needs, whoever admitted the call.
        body(state, operator.for_call(*permission)).await
    })
    .await
}

/// Step-up: the caller's password again, for a force move or a delete.
pub async fn confirm_password(state: &AppState, operator: &Operator, password: &str) -> Result<(), AppError> {
    crate::server::security::operators::confirm_password(
        &state.db,
        &state.config,
        operator,
        password,
        &client(&state.config),
    )
    .await
}

/// The client (address and User-Agent) of the current request.
pub fn client(config: &crate::server::Config) -> crate::server::security::operators::Client {
    let Some(parts) = use_context::<Parts>() else { return Default::default() };
    crate::http::client_address::client_of(config, &parts)
}

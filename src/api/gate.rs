//! The one place where requests are authorized: session cookie → operator → permission.
//! Every server function goes through `authorized` (or `public` for sign-in and sign-out),
//! which also turns errors into HTTP statuses.

use super::access::{Access, MAX_BODY_BYTES, PREFIX, access_of};
use crate::domain::AppError;
use crate::domain::operator::{Operator, Permission};
use crate::server::operators::session_operator;
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
    session_token_in(&use_context::<Parts>()?.headers, &state().ok()?.config)
}

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

/// Sets the response status for an error, unless a redirect was already decided: a page that
/// sends a signed-out browser to /login must answer 302 even if its other calls failed too.
fn reply_status(error: &AppError) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let redirecting =
        response.0.read().map(|parts| parts.status.is_some_and(|s| s.is_redirection())).unwrap_or(false);
    if !redirecting {
        let status = super::error::status_of(error);
        response.set_status(status);
        if let Some(seconds) = retry_after(error) {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
}

/// How long a client should wait before trying again, for the errors that are about load or
/// throttling (sent as `Retry-After`, so that scripts and proxies can honour it).
fn retry_after(error: &AppError) -> Option<u64> {
    match error {
        AppError::TooManySignInAttempts { retry_after } => Some(*retry_after),
        AppError::Busy => Some(1),
        _ => None,
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
/// for a request that fails the check. A call over HTTP was admitted by `protect` already (by
/// the access table); the permission asked for here must be the table's, or nothing runs.
pub async fn authorized<T, F, Fut>(permission: Permission, body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState, Operator) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    public(async move {
        let state = state()?;
        let parts = use_context::<Parts>();
        let admitted = parts.as_ref().and_then(|p| p.extensions.get::<Admitted>().cloned());
        let operator = match admitted {
            Some(Admitted { access, operator: Some(operator) }) => {
                if access.permission != Some(permission) {
                    tracing::error!(endpoint = access.endpoint, ?permission, "access table disagrees");
                    return Err(AppError::Internal);
                }
                operator
            }
            // Called while rendering a page on the server: check here.
            _ => operator_for(&state, session_token(), permission).await?,
        };
        body(state, operator).await
    })
    .await
}

/// Step-up: the caller's password again, for a force move or a delete.
pub async fn confirm_password(state: &AppState, operator: &Operator, password: &str) -> Result<(), AppError> {
    crate::server::operators::confirm_password(&state.db, operator, password, &client(&state.config)).await
}

/// The client address (see `server::client_address`) and the browser's User-Agent of the
/// current request.
pub fn client(config: &Config) -> crate::server::operators::Client {
    let Some(parts) = use_context::<Parts>() else { return Default::default() };
    client_of(config, &parts)
}

pub fn client_of(config: &Config, parts: &Parts) -> crate::server::operators::Client {
    let forwarded: Vec<&str> =
        parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let peer =
        parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let address = peer
        .map(|peer| crate::server::client_address::client_address(peer, &forwarded, &config.trusted_proxies))
        .map(|ip| ip.to_string());
    crate::server::operators::Client {
        address: address.unwrap_or_else(|| "unknown".into()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    }
}

/// Put into a server function request by `protect`: its access entry and, unless the function
/// is public, the operator it admitted.
#[derive(Clone)]
pub struct Admitted {
    access: &'static Access,
    operator: Option<Operator>,
}

/// The operator behind a session token, if they hold `permission`. Used by `authorized` and
/// by the plain HTTP routes (downloads), so both apply the same rule.
pub async fn operator_for(
    state: &AppState,
    token: Option<String>,
    permission: Permission,
) -> Result<Operator, AppError> {
    let token = token.ok_or(AppError::Unauthenticated)?;
    let operator = session_operator(&state.db, &state.config, &token).await?;
    if !operator.may(permission) {
        tracing::warn!(operator = %operator.username, ?permission, "refused: missing permission");
        return Err(AppError::Forbidden);
    }
    Ok(operator)
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
        parts.status = super::error::status_of(&error);
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Whether a request that would change state comes from the portal's own pages. Browsers say
/// where a request comes from (`Sec-Fetch-Site`, `Origin`); a cross-site one is refused. A
/// request that says nothing is not a browser's and cannot ride an operator's cookie by
/// accident (the cookie is `SameSite=Strict` too).
pub fn same_origin(
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
    public_origin: Option<&str>,
) -> bool {
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = header("origin") else { return true };
    match public_origin {
        Some(expected) => origin.eq_ignore_ascii_case(expected.trim_end_matches('/')),
        // Without a configured origin, the browser's Origin must name the host it asked.
        None => {
            let host = header("host").unwrap_or_default();
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

/// Request middleware, in front of everything: refuses cross-site requests that would change
/// state; admits server function calls by the access table (unknown function → refused, body
/// too large → 413, no session → 401, missing permission → 403) before their arguments are
/// decoded; and gives every response the headers that keep the portal out of frames and stop
/// content sniffing.
pub async fn protect(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let refused = if !same_origin(request.method(), request.headers(), state.config.public_origin.as_deref())
    {
        tracing::warn!(uri = %request.uri(), "refused: cross-site request");
        Err(AppError::CrossSiteRequest)
    } else if request.uri().path().starts_with(PREFIX) {
        match admit(&state, request.uri().path(), request.headers()).await {
            Ok(admitted) => within_limit(request, admitted).await,
            Err(e) => Err(e),
        }
    } else {
        Ok(request)
    };
    let mut response = match refused {
        Err(error) => error_response(&error),
        Ok(request) => too_large_as_json(next.run(request).await).await,
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
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

async fn admit(state: &AppState, path: &str, headers: &axum::http::HeaderMap) -> Result<Admitted, AppError> {
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
        return Ok(Admitted { access, operator: None });
    };
    let operator = operator_for(state, session_token_in(headers, &state.config), permission).await?;
    Ok(Admitted { access, operator: Some(operator) })
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

/// A body that turned out larger than the router's outer limit while being read (no
/// `Content-Length`) ends in a plain-text 413; this gives it the portal's error instead.
async fn too_large_as_json(response: axum::response::Response) -> axum::response::Response {
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

/// The Content-Security-Policy of a rendered page: scripts only with this response's nonce
/// (and what they load), WebAssembly allowed, everything else from the portal itself.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::{HeaderMap, HeaderValue, Method};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_same_origin_browsers_may_change_state() {
        let host = ("host", "uc.contoso.com");
        assert!(same_origin(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]), None));
        assert!(same_origin(&Method::POST, &headers(&[host]), None), "not a browser");
        assert!(same_origin(
            &Method::POST,
            &headers(&[host, ("origin", "https://uc.contoso.com"), ("sec-fetch-site", "same-origin")]),
            None
        ));
        assert!(!same_origin(&Method::POST, &headers(&[host, ("origin", "https://evil.example")]), None));
        assert!(!same_origin(&Method::POST, &headers(&[host, ("sec-fetch-site", "cross-site")]), None));
        assert!(!same_origin(&Method::POST, &headers(&[host, ("sec-fetch-site", "same-site")]), None));
        assert!(!same_origin(&Method::POST, &headers(&[host, ("origin", "null")]), None));
        let public = Some("https://uc.contoso.com");
        assert!(same_origin(&Method::POST, &headers(&[("origin", "https://uc.contoso.com")]), public));
        assert!(!same_origin(&Method::POST, &headers(&[("origin", "http://uc.contoso.com")]), public));
    }
}

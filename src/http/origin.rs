//! Where a request comes from: a request that would change state must come from the portal's
//! own pages, and every response carries the headers that keep the portal out of other sites'
//! frames and stop content sniffing. Pages also get their Content-Security-Policy.

use crate::domain::AppError;
use crate::server::AppState;
use axum::http::{HeaderValue, header};

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

/// Middleware, outermost: refuses cross-site requests that would change state, and gives every
/// response the security headers.
pub async fn guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // The scripting API takes no cookie, only a bearer token a page of another site cannot
    // know: nothing for a cross-site request to ride on.
    let api = request.uri().path().starts_with(super::rest::BASE);
    let mut response =
        if api || same_origin(request.method(), request.headers(), state.config.public_origin.as_deref()) {
            next.run(request).await
        } else {
            tracing::warn!(uri = %request.uri(), "refused: cross-site request");
            super::error::error_response(&AppError::CrossSiteRequest)
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

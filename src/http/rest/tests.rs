//! The scripting API through the real router: every call of the OpenAPI document (enumerated
//! from it, so a new one is covered) refuses a missing, unknown, expired or revoked token, a
//! disabled operator, a token without the permission, and bad bodies — each as a problem, with
//! the database unchanged — and the calls do what the browser's server functions do.

use crate::api::test_support::{app, app_on, call, sign_in, snapshot};
use crate::server::Config;
use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A call with a bearer token, a JSON body and a language.
async fn api(
    app: &axum::Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    language: &str,
) -> (u16, String, String) {
    let mut request = Request::builder().method(method).uri(path).header(header::ACCEPT_LANGUAGE, language);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(Body::from(body.unwrap_or_default().to_string())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    (status, content_type, String::from_utf8_lossy(&bytes).into_owned())
}

/// Creates a token through the API page's server function; returns its secret.
async fn token(app: &axum::Router, cookie: &str, name: &str, permissions: &[&str]) -> String {
    let body = json!({ "request": { "name": name, "days": 30, "permissions": permissions } }).to_string();
    let (status, text) = call(app, Method::POST, "/api/create_api_token", Some(cookie), &body).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["secret"].as_str().unwrap().to_string()
}

/// Every call of the document, with `1` for its ids, and whether it takes a body.
fn calls() -> Vec<(Method, String, bool)> {
    super::openapi::endpoints()
        .into_iter()
        .map(|e| {
            let method = if e.method == "GET" { Method::GET } else { Method::POST };
            (method, e.path.replace("{id}", "1"), e.body)
        })
        .collect()
}

fn problem(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[tokio::test]
async fn every_call_refuses_bad_tokens_and_bad_bodies_as_problems_and_changes_nothing() {
    // Unthrottled: this test makes hundreds of calls with one token.
    let config = Config { api_requests_per_second: 1_000_000, ..Config::for_tests() };
    let (app, pool) = app_on(&crate::server::storage::db::test_database().await, config).await;
    let admin = sign_in(&app, "admin").await;
    let useradmin = sign_in(&app, "useradmin").await;
    let full = ["view_deployment", "manage_users"];
    let read_only = token(&app, &useradmin, "read only", &["view_deployment"]).await;
    let writer = token(&app, &useradmin, "writer", &full).await;
    let orgmanager = sign_in(&app, "orgmanager").await;
    let org_writer =
        token(&app, &orgmanager, "org writer", &["view_deployment", "move_users_between_organizations"])
            .await;
    let expired = token(&app, &useradmin, "expired", &full).await;
    let revoked = token(&app, &useradmin, "revoked", &full).await;
    let of_disabled = token(&app, &admin, "admin's", &["view_deployment", "manage_users"]).await;
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE name = 'expired'").execute(&pool).await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = 'revoked'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (status, _) =
        call(&app, Method::POST, "/api/revoke_api_token", Some(&useradmin), &json!({ "id": id }).to_string())
            .await;
    assert_eq!(status, 200);
    // Each usable token once, so that its last use is recorded before the comparison.
    for t in [&read_only, &writer, &org_writer, &of_disabled] {
        assert_eq!(api(&app, Method::GET, "/api/v1/pools", Some(t), None, "en").await.0, 200);
    }
    sqlx::query("UPDATE operators SET disabled = 1 WHERE username = 'admin'").execute(&pool).await.unwrap();
    let before = snapshot(&pool).await;

    let calls = calls();
    assert!(calls.len() >= 25, "{calls:?}");
    let huge = format!(r#"{{"file": "{}"}}"#, "x".repeat(5 * 1024 * 1024));
    let mut refusals = 0;
    for (method, path, takes_body) in &calls {
        let body = takes_body.then_some("{}");
        for (token, status, code) in [
            (None, 401, "api_token_required"),
            (Some("uca_0123"), 401, "api_token_unknown"),
            (Some(expired.as_str()), 401, "api_token_expired"),
            (Some(revoked.as_str()), 401, "api_token_revoked"),
            (Some(of_disabled.as_str()), 401, "api_token_owner_disabled"),
        ] {
            let (got, content_type, text) = api(&app, method.clone(), path, token, body, "en").await;
            assert_eq!(
                (got, content_type.as_str()),
                (status, "application/problem+json"),
                "{method} {path}: {text}"
            );
            let p = problem(&text);
            assert_eq!(p["code"], code, "{method} {path}");
            assert_eq!(p["status"], status);
            assert_eq!(p["type"], format!("urn:uc-admin:problem:{code}"));
            refusals += 1;
        }
        if *method == Method::POST {
            // A read-only token may not run, preview or cancel anything.
            let (got, _, text) = api(&app, method.clone(), path, Some(&read_only), body, "en").await;
            // A User Administrator's roles do not move users between organizations at all.
            let code = if path.contains("/org-move/") { "forbidden" } else { "api_token_scope" };
            assert_eq!((got, problem(&text)["code"].as_str()), (403, Some(code)), "{path}");
            refusals += 1;
        }
        if *takes_body {
            let writer = if path.contains("/org-move/") { &org_writer } else { &writer };
            // Bodies that are not the call's JSON.
            for (body, status, code) in [
                ("not json", 400, "invalid_json"),
                (r#"{"unknown_field": 1, "users": {"users": {"users": [1]}}}"#, 400, "invalid_json"),
                ("42", 400, "invalid_json"),
            ] {
                let (got, _, text) = api(&app, method.clone(), path, Some(&writer), Some(body), "en").await;
                assert_eq!((got, problem(&text)["code"].as_str()), (status, Some(code)), "{path} {body}");
            }
            let (got, _, text) = api(&app, method.clone(), path, Some(&writer), None, "en").await;
            assert_eq!(
                (got, problem(&text)["code"].as_str()),
                (415, Some("unsupported_media_type")),
                "{path}"
            );
            // Past the call's own limit (a user data file may be larger).
            if !path.contains("/user-data/import/") {
                let (got, _, text) = api(&app, method.clone(), path, Some(&writer), Some(&huge), "en").await;
                assert_eq!(
                    (got, problem(&text)["code"].as_str()),
                    (413, Some("request_too_large")),
                    "{path}"
                );
            }
            // Past the portal's outer limit, refused before any of the API's code runs.
            let mut request = Request::builder()
                .method(method.clone())
                .uri(path.as_str())
                .header(header::AUTHORIZATION, format!("Bearer {writer}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, (crate::api::access::MAX_BODY_BYTES + 1).to_string());
            request = request.header(header::ACCEPT_LANGUAGE, "de");
            let response = app.clone().oneshot(request.body(Body::from("{}")).unwrap()).await.unwrap();
            assert_eq!(response.status().as_u16(), 413, "{path}");
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
            let p = problem(&String::from_utf8_lossy(&bytes));
            assert_eq!(p["code"], "request_too_large", "{path}");
            assert!(p["detail"].as_str().unwrap().contains("MB"), "{p}");
            refusals += 6;
        }
    }
    // A path or method the API does not have.
    let (got, _, text) = api(&app, Method::GET, "/api/v1/nothing", Some(&writer), None, "en").await;
    assert_eq!((got, problem(&text)["code"].as_str()), (404, Some("no_such_endpoint")));
    let (got, _, text) = api(&app, Method::DELETE, "/api/v1/pools", Some(&writer), None, "en").await;
    assert_eq!((got, problem(&text)["code"].as_str()), (405, Some("method_not_allowed")));
    let (got, _, text) = api(&app, Method::GET, "/api/v1/users?bogus=1", Some(&writer), None, "en").await;
    assert_eq!((got, problem(&text)["code"].as_str()), (400, Some("invalid_parameters")));
    let (got, _, text) = api(&app, Method::GET, "/api/v1/jobs/x", Some(&writer), None, "en").await;
    assert_eq!((got, problem(&text)["code"].as_str()), (400, Some("invalid_parameters")));

    assert_eq!(snapshot(&pool).await, before, "a refused call changed the database");
    println!("scripting API sweep: {} calls, {refusals} refusals", calls.len());
}

#[tokio::test]
async fn problems_speak_the_language_asked_for() {
    let (app, _) = app().await;
    let mut details = Vec::new();
    for language in ["en", "fr-CH, fr;q=0.9", "de-DE", "ja, de;q=0.3"] {
        let (status, _, text) = api(&app, Method::GET, "/api/v1/pools", None, None, language).await;
        assert_eq!(status, 401);
        details.push(problem(&text)["detail"].as_str().unwrap().to_string());
    }
    assert!(details[0].contains("API token"), "{details:?}");
    assert!(details[1].contains("jeton"), "{details:?}");
    assert!(details[2].contains("API-Token"), "{details:?}");
    assert_eq!(details[3], details[2]);
}

/// The cursor walks every user once, in SIP URI order, with Find's filters.
#[tokio::test]
async fn users_are_listed_in_pages_with_a_stable_cursor() {
    let (app, pool) = app().await;
    let cookie = sign_in(&app, "helpdesk").await;
    let token = token(&app, &cookie, "reader", &["view_deployment"]).await;
    let enabled: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&pool).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=7&cursor={c}"),
            None => "/api/v1/users?limit=7".to_string(),
        };
        let (status, _, text) = api(&app, Method::GET, &path, Some(&token), None, "en").await;
        assert_eq!(status, 200, "{text}");
        let page: Value = serde_json::from_str(&text).unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|u| u["sip_uri"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    // Each once (in the database's own order of SIP URIs: PostgreSQL's collation puts `@`
    // before digits, SQLite's NOCASE after).
    assert_eq!(seen.len() as i64, enabled);
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), seen.len(), "each user once");
    // Find's filters: a SIP pattern.
    let (status, _, text) =
        api(&app, Method::GET, "/api/v1/users?sip=a*&limit=1000", Some(&token), None, "en").await;
    assert_eq!(status, 200);
    let found: Value = serde_json::from_str(&text).unwrap();
    let expected = seen.iter().filter(|u| u.starts_with('a')).count();
    assert_eq!(found["items"].as_array().unwrap().len(), expected);
    let (status, _, text) = api(&app, Method::GET, "/api/v1/users?ep=maybe", Some(&token), None, "fr").await;
    assert_eq!((status, problem(&text)["code"].as_str()), (400, Some("unknown_filter_value")));
    // A cursor with a character that is not hex (schemathesis sent `0%C2%80000`) is refused, not
    // a dropped connection.
    let (status, _, text) =
        api(&app, Method::GET, "/api/v1/users?cursor=0%C2%80000", Some(&token), None, "de").await;
    assert_eq!((status, problem(&text)["code"].as_str()), (400, Some("invalid_parameters")), "{text}");
}

/// A what-if move, then the move, through the API: the same services as the browser, audited
/// with the token's name.
#[tokio::test]
async fn a_what_if_move_then_the_move_is_audited_with_the_token() {
    let (app, pool) = app().await;
    let cookie = sign_in(&app, "useradmin").await;
    let token = token(&app, &cookie, "nightly rebalance", &["view_deployment", "manage_users"]).await;
    let users: Vec<i64> =
        sqlx::query_scalar("SELECT user_id FROM enabled_users WHERE pool_id = 1 ORDER BY user_id LIMIT 3")
            .fetch_all(&pool)
            .await
            .unwrap();
    let destination: i64 = sqlx::query_scalar(
        "SELECT id FROM pools WHERE id <> 1 AND state = 'active' AND available = 1 AND version = 'ocs2007r2' ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let body = json!({ "users": { "users": { "users": users } }, "destination": destination }).to_string();
    let (status, _, text) =
        api(&app, Method::POST, "/api/v1/move/preview", Some(&token), Some(&body), "en").await;
    assert_eq!(status, 200, "{text}");
    let preview: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(preview["lines"], 3);
    let still_home: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let run = json!({ "token": preview["token"] }).to_string();
    let (status, _, text) = api(&app, Method::POST, "/api/v1/move/run", Some(&token), Some(&run), "en").await;
    assert_eq!(status, 200, "{text}");
    let moved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(moved, still_home - 3);
    let (status, _, text) = api(&app, Method::POST, "/api/v1/move/run", Some(&token), Some(&run), "en").await;
    assert_eq!((status, problem(&text)["code"].as_str()), (409, Some("preview_expired")), "single-use");
    let via: Option<String> = sqlx::query_scalar(
        "SELECT api_token FROM audit_events WHERE operation = 'move' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(via.as_deref(), Some("nightly rebalance"));
    let (status, _, text) =
        api(&app, Method::GET, "/api/v1/audit?operation=move", Some(&token), None, "en").await;
    assert_eq!(status, 200);
    assert!(text.contains(r#""api_token":"nightly rebalance""#), "{text}");
}

#[tokio::test]
async fn each_token_is_throttled_with_retry_after() {
    let config = Config { api_requests_per_second: 1, ..Config::for_tests() };
    let (app, _) = app_on(&crate::server::storage::db::test_database().await, config).await;
    let cookie = sign_in(&app, "helpdesk").await;
    let token = token(&app, &cookie, "busy script", &["view_deployment"]).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(api(&app, Method::GET, "/api/v1/pools", Some(&token), None, "en").await);
    }
    assert_eq!(answers.iter().map(|a| a.0).collect::<Vec<_>>(), [200, 200, 429]);
    assert_eq!(problem(&answers[2].2)["retry_after"], 1);
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route() {
    let (app, _) = app().await;
    let (status, content_type, text) = api(&app, Method::GET, "/api/v1/openapi.json", None, None, "en").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
    let paths = doc["paths"].as_object().unwrap();
    // Every route of the API router is documented, and nothing else.
    let source = include_str!("mod.rs");
    let routed: Vec<&str> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\""))
        .map(|l| l.split('"').next().unwrap())
        .filter(|p| *p != "/openapi.json")
        .collect();
    assert_eq!(routed.len(), paths.len());
    for route in routed {
        assert!(paths.contains_key(&format!("/api/v1{route}")), "{route} is not in the document");
        assert!(super::PERMISSIONS.iter().any(|(_, r, _)| *r == route), "{route} has no permission");
    }
    assert_eq!(super::PERMISSIONS.len(), super::openapi::endpoints().len());
}

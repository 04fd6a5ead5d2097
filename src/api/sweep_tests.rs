//! The authorization sweep: every server function the binary registers (enumerated from the
//! registry, so a new one is covered without anyone adding it here) is called through the real
//! router without a session, and as each demo operator whose roles lack its permission. Every
//! such call is refused, and the database is byte-for-byte the same afterwards.

use super::access::{Effect, SERVER_FUNCTIONS, access_of};
use super::test_support::{app, call, demo_operators_signed_in, sign_in, snapshot};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tower::ServiceExt;

#[tokio::test]
async fn every_server_function_refuses_callers_without_a_session_or_the_permission() {
    let (app, pool) = app().await;
    let cookies = demo_operators_signed_in(&app, &pool).await;
    let before = snapshot(&pool).await;

    let registered: Vec<(&str, Method)> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(registered.len() >= 50, "the registry lists the portal's server functions");
    let (mut anonymous, mut refused_roles) = (0, 0);
    for (path, method) in &registered {
        let access = access_of(path)
            .unwrap_or_else(|| panic!("{path} is not in api::access::SERVER_FUNCTIONS: add it there"));
        assert_eq!(*method, Method::POST, "{path}: nothing changes state on GET, and nothing is a GET");
        let Some(permission) = access.permission else {
            assert_eq!(access.effect, Effect::OwnSession, "{path}: only sign-in and sign-out are public");
            continue;
        };
        // Without a session, whatever the body: 401 before the arguments are even read.
        for body in ["", "{}", "not json"] {
            let (status, text) = call(&app, Method::POST, path, None, body).await;
            assert_eq!((status, text.as_str()), (401, r#"{"code":"unauthenticated"}"#), "{path} {body:?}");
        }
        let forged = call(&app, Method::POST, path, Some("uc_session=forged"), "{}").await;
        assert_eq!(forged.0, 401, "{path} with a forged session");
        anonymous += 1;
        // Each operator whose roles lack the permission: 403.
        for (operator, cookie) in &cookies {
            if operator.roles.iter().any(|r| r.grants(permission)) {
                continue;
            }
            let (status, text) = call(&app, Method::POST, path, Some(cookie), "{}").await;
            assert_eq!(
                (status, text.as_str()),
                (403, r#"{"code":"forbidden"}"#),
                "{path} as {}",
                operator.username
            );
            refused_roles += 1;
        }
        // Help Desk is read-only: every function that changes anything is refused.
        let help_desk = &cookies.iter().find(|(o, _)| o.username == "helpdesk").unwrap().1;
        if access.effect == Effect::Changes {
            let (status, _) = call(&app, Method::POST, path, Some(help_desk), "{}").await;
            assert_eq!(status, 403, "{path} as Help Desk");
        }
    }
    // The table has no entries for functions that no longer exist.
    for access in SERVER_FUNCTIONS {
        assert!(
            registered.iter().any(|(p, _)| p.strip_prefix("/api/") == Some(access.endpoint)),
            "{} is in the access table but not registered",
            access.endpoint
        );
    }
    // The downloads apply the same gate.
    let help_desk = &cookies.iter().find(|(o, _)| o.username == "helpdesk").unwrap().1;
    for path in [
        "/exports/audit.csv",
        "/exports/jobs/1.csv",
        "/exports/user-data.xml?pool=1",
        "/exports/enable-runs/1.xml",
        "/exports/backups/uc-admin-1.db",
    ] {
        let (status, _) = call(&app, Method::GET, path, None, "").await;
        assert_eq!(status, 401, "{path}");
    }
    assert_eq!(call(&app, Method::GET, "/exports/backups/uc-admin-1.db", Some(help_desk), "").await.0, 403);
    // A job that does not exist, or a file name that is not one, is a 404, not a 500.
    for path in ["/exports/jobs/424242.csv", "/exports/jobs/report.csv"] {
        assert_eq!(call(&app, Method::GET, path, Some(help_desk), "").await.0, 404, "{path}");
    }

    assert_eq!(snapshot(&pool).await, before, "a refused call changed the database");
    println!(
        "authorization sweep: {} server functions registered, {anonymous} refused without a session, \
         {refused_roles} refusals for roles lacking the permission",
        registered.len()
    );
    assert_eq!(registered.len(), SERVER_FUNCTIONS.len());
}

/// A server function body larger than its limit is refused with the portal's error before
/// anything is read; a text field past its limit is refused by the function.
#[tokio::test]
async fn oversized_requests_get_a_clear_error_and_change_nothing() {
    let (app, pool) = app().await;
    let cookie = sign_in(&app, "useradmin").await;
    let before = snapshot(&pool).await;
    let big = format!(r#"{{"name":"x","search":"{}","shared":false}}"#, "a".repeat(5 * 1024 * 1024));
    let (status, text) = call(&app, Method::POST, "/api/save_query", Some(&cookie), &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE.as_u16());
    assert!(text.starts_with(r#"{"code":"request_too_large""#), "{text}");
    let long = format!(r#"{{"name":"x","search":"q={}","shared":false}}"#, "a".repeat(10_000));
    let (status, text) = call(&app, Method::POST, "/api/save_query", Some(&cookie), &long).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.starts_with(r#"{"code":"text_too_long""#), "{text}");
    assert_eq!(snapshot(&pool).await, before);
}

/// Every rendered page carries a Content-Security-Policy whose nonce is the one on the page's
/// inline scripts.
#[tokio::test]
async fn pages_carry_a_content_security_policy_with_their_nonce() {
    let (app, _) = app().await;
    let request = Request::builder().uri("/login").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let policy = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .expect("a policy")
        .to_str()
        .unwrap()
        .to_string();
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_string();
    assert!(nonce.len() >= 16, "{policy}");
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"));
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    let html = String::from_utf8_lossy(&bytes);
    // leptos_i18n leaves an empty `<script></script>` placeholder, which runs nothing and which
    // browsers do not check against the policy; every script with content carries the nonce.
    let scripts = html.matches("<script").count() - html.matches("<script></script>").count();
    assert!(scripts >= 2, "the hydration scripts");
    assert!(html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts, "every script has the nonce");
    // Another page gets another nonce.
    let again = app.oneshot(Request::builder().uri("/login").body(Body::empty()).unwrap()).await.unwrap();
    let other = again.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(!other.contains(&nonce));
}

/// The server functions without arguments: they read no body, so no body is malformed for them.
/// Each must be registered (the test checks), and every other function is held to the rule.
const WITHOUT_ARGUMENTS: [&str; 13] = [
    "security_overview",
    "back_up_database",
    "enable_choices",
    "list_jobs",
    "sign_out",
    "current_operator",
    "deployment_kind",
    "theme",
    "pool_tree",
    "org_tree",
    "sync_directory",
    "search_options",
    "list_saved_queries",
];

/// A body a server function cannot decode (not JSON, JSON of the wrong shape, nothing, a form
/// instead of JSON) is the caller's mistake: `400 bad_request`, never a 500, and nothing
/// changes. Every registered function with arguments is called, as a demo operator who may
/// call it.
#[tokio::test]
async fn every_server_function_answers_a_malformed_body_with_400() {
    let (app, pool) = app().await;
    let cookies = demo_operators_signed_in(&app, &pool).await;
    let before = snapshot(&pool).await;
    let registered: Vec<(&str, Method)> = leptos::server_fn::axum::server_fn_paths().collect();
    let mut checked = 0;
    for name in WITHOUT_ARGUMENTS {
        assert!(
            registered.iter().any(|(p, _)| p.strip_prefix("/api/") == Some(name)),
            "{name} is not registered"
        );
    }
    for (path, _) in &registered {
        let access = access_of(path).unwrap();
        if WITHOUT_ARGUMENTS.contains(&access.endpoint) {
            continue;
        }
        let Some(permission) = access.permission else { continue };
        let (_, cookie) = cookies
            .iter()
            .find(|(o, _)| o.roles.iter().any(|r| r.grants(permission)))
            .unwrap_or_else(|| panic!("no demo operator may call {path}"));
        for body in ["not json", "[1, 2, 3]", "", "\"text\"", "{\"x\": [}"] {
            let (status, text) = call(&app, Method::POST, path, Some(cookie), body).await;
            assert_eq!((status, text.as_str()), (400, r#"{"code":"bad_request"}"#), "{path} {body:?}");
        }
        let form = Request::builder()
            .method(Method::POST)
            .uri(*path)
            .header(header::COOKIE, cookie.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("a=1&b=2"))
            .unwrap();
        let response = app.clone().oneshot(form).await.unwrap();
        assert_eq!(response.status(), 400, "{path} with a form body");
        checked += 1;
    }
    // The sessions' last-seen times may move; nothing else does.
    assert_eq!(snapshot(&pool).await, before, "a malformed call changed the database");
    println!("malformed bodies: {checked} server functions answered 400 to each of 6 bad bodies");
    // Every function is covered but sign-in (public, a form) and those without arguments.
    assert_eq!(checked + WITHOUT_ARGUMENTS.len() + 1, registered.len());
}

/// A page about something that does not exist (a tree node, a pool, a user, an organization, a
/// job) answers 404 with the friendly page and its ways back; the pages that exist answer 200.
#[tokio::test]
async fn pages_of_things_that_do_not_exist_answer_404_with_a_way_back() {
    let (app, pool) = app().await;
    let admin = sign_in(&app, "admin").await;
    let page = |path: &'static str| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            let request =
                Request::builder().uri(path).header(header::COOKIE, admin).body(Body::empty()).unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    for path in [
        "/browse/pool-abc",
        "/browse/pool-999999",
        "/browse/nowhere",
        "/pools/999999",
        "/pools/abc",
        "/users/999999",
        "/users/abc",
        "/orgs/999999",
        "/jobs/999999",
        "/no/such/page",
    ] {
        let (status, html) = page(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Page not found"), "{path}: the friendly page");
        assert!(html.contains(r#"href="/browse/forest""#), "{path}: a way back");
    }
    let user: i64 =
        sqlx::query_scalar("SELECT MIN(user_id) FROM enabled_users").fetch_one(&pool).await.unwrap();
    let pool_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM pools").fetch_one(&pool).await.unwrap();
    for path in [
        "/browse/forest".to_string(),
        format!("/browse/pool-{pool_id}"),
        format!("/pools/{pool_id}"),
        format!("/users/{user}"),
        "/orgs".to_string(),
    ] {
        let path: &'static str = Box::leak(path.into_boxed_str());
        let (status, html) = page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains(r#"data-testid="not-found""#), "{path}");
    }
}

/// A real fault answers 500 with the request's id in the body and the header (the same id),
/// so that the operator can report it and the log line can be found; other answers carry an id
/// too, each its own.
#[tokio::test]
async fn a_fault_answers_500_with_the_request_id_that_the_log_has() {
    let (app, pool) = app().await;
    let admin = sign_in(&app, "admin").await;
    // A database that lost a table: a fault, not the caller's mistake.
    sqlx::query("DROP TABLE saved_queries").execute(&pool).await.unwrap();
    let response = app
        .clone()
        .oneshot(super::test_support::request(Method::POST, "/api/list_saved_queries", Some(&admin), "{}"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let header_id =
        response.headers().get("x-request-id").expect("an id header").to_str().unwrap().to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let error: crate::domain::AppError = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(error, crate::domain::AppError::Internal { request_id: Some(header_id.clone()) });
    assert_eq!(header_id.len(), 16);

    let ok = app
        .clone()
        .oneshot(super::test_support::request(Method::POST, "/api/pool_tree", Some(&admin), "{}"))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let other = ok.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_ne!(other, header_id);
}

/// Signed in with a one-time password, an operator may only choose their own: every other
/// server function answers 403 `password_change_required` (the console then shows the
/// password page), and the sign-in itself sends them there.
#[tokio::test]
async fn an_operator_with_a_one_time_password_may_only_choose_their_own() {
    use crate::server::security::{audit::Actor, operators};
    let (app, pool) = app().await;
    let by = Actor { id: None, name: "command-line" };
    let (_, password) = operators::add_operator(
        &pool,
        by,
        "newhire",
        "New Hire",
        &[crate::domain::operator::Role::UserAdministrator],
    )
    .await
    .unwrap();
    let response = app
        .clone()
        .oneshot(super::test_support::request(
            Method::POST,
            "/api/sign_in",
            None,
            &format!("username=newhire&password={password}"),
        ))
        .await
        .unwrap();
    let location = response.headers().get(header::LOCATION).or(response.headers().get("serverfnredirect"));
    assert_eq!(location.and_then(|v| v.to_str().ok()), Some("/password"));
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, text) = call(&app, Method::POST, "/api/pool_tree", Some(&cookie), "").await;
    assert_eq!((status, text.as_str()), (403, r#"{"code":"password_change_required"}"#));
    assert_eq!(call(&app, Method::POST, "/api/current_operator", Some(&cookie), "").await.0, 200);
    let body = format!("current={password}&new=a+fresh+long+passphrase&repeat=a+fresh+long+passphrase");
    let request = super::test_support::request(Method::POST, "/api/change_password", Some(&cookie), &body);
    let request = {
        let (mut parts, body) = request.into_parts();
        parts.headers.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        Request::from_parts(parts, body)
    };
    let (status, text) = super::test_support::send(&app, request).await;
    assert!(status == 200 || status == 302 || status == 303, "{status} {text}");
    assert_eq!(call(&app, Method::POST, "/api/pool_tree", Some(&cookie), "").await.0, 200);
}

//! What the HTTP-level tests share: the real router on a test database, calls through it, a
//! signed-in demo operator, and a dump of the whole database to compare.

use crate::server::{AppState, Config, security::operators, storage::db};
use axum::body::Body;
use axum::http::{Method, Request, header};
use leptos::config::LeptosOptions;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

/// The router on an in-memory demo deployment.
pub async fn app() -> (axum::Router, sqlx::AnyPool) {
    app_on(&crate::server::storage::db::test_database().await, Config::for_tests()).await
}

/// The router on the database at `url` (a demo deployment of `config.demo_users` users is
/// created if it is new), with `config`.
pub async fn app_on(url: &str, config: Config) -> (axum::Router, sqlx::AnyPool) {
    let pool = db::connect(url).await.unwrap();
    crate::server::storage::deployment::start_demo(&pool, &config, config.demo_users).await.unwrap();
    let leptos_options = LeptosOptions::builder().output_name("uc-admin").build();
    let state = AppState { db: pool.clone(), config: Arc::new(config), leptos_options };
    (crate::http::router(state), pool)
}

/// A request to `path` with a JSON body (a form body for sign-in), as from `peer`.
pub fn request(method: Method, path: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let content_type =
        if path.ends_with("/sign_in") { "application/x-www-form-urlencoded" } else { "application/json" };
    request.header(header::CONTENT_TYPE, content_type).body(Body::from(body.to_string())).unwrap()
}

/// Sends a request and reads the status and body.
pub async fn send(app: &axum::Router, request: Request<Body>) -> (u16, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

pub async fn call(
    app: &axum::Router,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> (u16, String) {
    send(app, request(method, path, cookie, body)).await
}

/// Signs a demo operator in (password `test-password`) and returns the `Cookie` header value.
pub async fn sign_in(app: &axum::Router, username: &str) -> String {
    let response = app
        .clone()
        .oneshot(request(
            Method::POST,
            "/api/sign_in",
            None,
            &format!("username={username}&password=test-password"),
        ))
        .await
        .unwrap();
    let set_cookie = response.headers().get(header::SET_COOKIE).expect("a session cookie").to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

/// Every demo operator, signed in: their account and their `Cookie` header value.
pub async fn demo_operators_signed_in(
    app: &axum::Router,
    pool: &sqlx::AnyPool,
) -> Vec<(crate::domain::security::OperatorSummary, String)> {
    let all = operators::list(pool).await.unwrap();
    let mut signed_in = Vec::new();
    for (username, _, _) in operators::DEMO_OPERATORS {
        let operator = all.iter().find(|o| o.username == username).unwrap().clone();
        signed_in.push((operator, sign_in(app, username).await));
    }
    signed_in
}

/// Every row of every table except the sessions (whose last-seen time may move), in order.
pub async fn snapshot(pool: &sqlx::AnyPool) -> BTreeMap<String, String> {
    use crate::server::storage::db::{Engine, engine};
    let engine = engine(pool);
    let (tables, columns, quote, rows) = match engine {
        Engine::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'sessions'",
            "SELECT name FROM pragma_table_info($1)",
            "quote",
            "group_concat(r, char(10))",
        ),
        Engine::Postgres => (
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name <> 'sessions'",
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            "quote_nullable",
            "string_agg(r, chr(10) ORDER BY r)",
        ),
    };
    let tables: Vec<String> = sqlx::query_scalar(tables).fetch_all(pool).await.unwrap();
    let mut all = BTreeMap::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(columns).bind(&table).fetch_all(pool).await.unwrap();
        let row = columns.iter().map(|c| format!("{quote}(\"{c}\")")).collect::<Vec<_>>().join("||'|'||");
        let rows: Option<String> = sqlx::query_scalar(&format!(
            "SELECT {rows} FROM (SELECT {row} AS r FROM \"{table}\" ORDER BY r) AS everything"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        all.insert(table, rows.unwrap_or_default());
    }
    all
}

/// Runs an operation the way the browser does: the users into a selection (`select_users`),
/// the preview (`preview` with `options` and the selection), then the run of the preview's
/// token (`run`, with `password` when it asks for one). The first answer that is not a success
/// is the result; otherwise the run's.
pub async fn operate(
    app: &axum::Router,
    cookie: &str,
    users: &[i64],
    preview: &str,
    options: serde_json::Value,
    run: &str,
    password: Option<&str>,
) -> (u16, String) {
    let token = match previewed(app, cookie, users, preview, options).await {
        Ok(token) => token,
        Err(answer) => return answer,
    };
    let mut body = serde_json::json!({ "token": token });
    if let Some(password) = password {
        body["password"] = serde_json::json!(password);
    }
    call(app, Method::POST, &format!("/api/{run}"), Some(cookie), &body.to_string()).await
}

/// The selection and preview of `operate`: the preview token, or the answer that refused.
pub async fn previewed(
    app: &axum::Router,
    cookie: &str,
    users: &[i64],
    preview: &str,
    options: serde_json::Value,
) -> Result<serde_json::Value, (u16, String)> {
    use crate::domain::operation::SelectionSource;
    use crate::domain::search::UserTarget;
    use crate::domain::user::UserId;
    let source = SelectionSource::Users(UserTarget::Users(users.iter().map(|u| UserId(*u)).collect()));
    let body = serde_json::json!({ "source": source }).to_string();
    let (status, text) = call(app, Method::POST, "/api/select_users", Some(cookie), &body).await;
    if status != 200 {
        return Err((status, text));
    }
    let selection: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut body = options;
    body["selection"] = selection["id"].clone();
    let (status, text) =
        call(app, Method::POST, &format!("/api/{preview}"), Some(cookie), &body.to_string()).await;
    if status != 200 {
        return Err((status, text));
    }
    let preview: serde_json::Value = serde_json::from_str(&text).unwrap();
    Ok(preview["token"].clone())
}

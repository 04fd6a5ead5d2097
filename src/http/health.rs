//! What probes and scrapers ask, without a session: `/healthz` (the process answers),
//! `/readyz` (it can do its work: database reachable, migrations applied, job runner working)
//! and `/metrics`. None of them says anything about a user.

use crate::server::AppState;
use crate::server::jobs;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// The process is alive and answering.
pub async fn healthz() -> Response {
    Json(json!({ "status": "alive" })).into_response()
}

/// 200 when the portal can do its work; 503 with the reason otherwise (and while shutting
/// down, so that a load balancer stops sending requests before the process exits).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let checks = readiness(&state).await;
    let failing: Vec<String> = checks
        .iter()
        .filter_map(|(name, check)| check.as_ref().err().map(|reason| format!("{name}: {reason}")))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("status".into(), if failing.is_empty() { "ready" } else { "not_ready" }.into());
    body.insert(
        "checks".into(),
        checks
            .iter()
            .map(|(name, check)| {
                (name.to_string(), check.as_ref().map_or_else(|e| e.clone(), |_| "ok".into()).into())
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
    );
    if failing.is_empty() {
        return Json(body).into_response();
    }
    tracing::warn!(reason = %failing.join("; "), "not ready");
    body.insert("reason".into(), failing.join("; ").into());
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

type Check = Result<(), String>;

async fn readiness(state: &AppState) -> [(&'static str, Check); 3] {
    let database = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&state.db))
        .await
        .map_err(|_| "no answer within 2 s".to_string())
        .and_then(|r| r.map(|_| ()).map_err(|e| e.to_string()));
    let migrations = match &database {
        Err(_) => Err("database unreachable".into()),
        Ok(()) => match crate::server::storage::db::pending_migrations(&state.db).await {
            Ok(0) => Ok(()),
            Ok(n) => Err(format!("{n} not applied")),
            Err(e) => Err(e.code().to_string()),
        },
    };
    let job_runner = match &database {
        Err(_) => Err("database unreachable".into()),
        Ok(()) => job_runner(state).await,
    };
    [("database", database), ("migrations", migrations), ("jobs", job_runner)]
}

/// Every job the database says this replica is running has a task driving it here, and no
/// shutdown has begun.
async fn job_runner(state: &AppState) -> Check {
    let runner = jobs::runner_status();
    if runner.stopping {
        return Err("shutting down".into());
    }
    let running: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND runner = $1")
            .bind(&jobs::replica().name)
            .fetch_one(&state.db)
            .await
            .map_err(|e| e.to_string())?;
    if running as usize > runner.driving {
        return Err(format!("{running} running jobs, {} driven by this process", runner.driving));
    }
    Ok(())
}

/// Prometheus/OpenMetrics text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    match crate::server::metrics::render(&state.db, &state.config.audit_stream.sinks).await {
        Ok(text) => ([(header::CONTENT_TYPE, crate::server::metrics::CONTENT_TYPE)], text).into_response(),
        Err(error) => super::error::error_response(&error),
    }
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::{app_on, call};
    use crate::server::Config;
    use axum::http::Method;
    use serde_json::{Value, json};

    async fn readyz(app: &axum::Router) -> (u16, Value) {
        let (status, body) = call(app, Method::GET, "/readyz", None, "").await;
        (status, serde_json::from_str(&body).unwrap())
    }

    /// Each reason to be not ready is a 503 naming it; without a session, and nothing else.
    #[tokio::test]
    async fn readiness_is_refused_with_the_reason_when_the_schema_or_the_job_runner_is_wrong() {
        let (app, db) = app_on(&crate::server::storage::db::test_database().await, Config::for_tests()).await;
        assert_eq!(
            readyz(&app).await,
            (200, json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok", "jobs": "ok"}}))
        );

        // A job the database says this replica is running, with no task driving it.
        let event: i64 = sqlx::query_scalar(
            "INSERT INTO audit_events (at, operator_name, operation) VALUES (0, 'x', 'delete_job_start') RETURNING id",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO jobs (kind, operator_name, state, total, event_id, created_at, run_started_ms, updated_ms,
                               runner)
             VALUES ('delete', 'x', 'running', 10, $1, 0, 0, 0, 'local')",
        )
        .bind(event)
        .execute(&db)
        .await
        .unwrap();
        let (status, body) = readyz(&app).await;
        assert_eq!(status, 503);
        assert_eq!(body["status"], "not_ready");
        assert_eq!(body["checks"]["jobs"], "1 running jobs, 0 driven by this process");
        assert_eq!(body["reason"], "jobs: 1 running jobs, 0 driven by this process");
        sqlx::query("UPDATE jobs SET state = 'interrupted'").execute(&db).await.unwrap();
        assert_eq!(readyz(&app).await.0, 200);

        // A migration this build knows, missing from the database.
        sqlx::query(
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
        )
        .execute(&db)
        .await
        .unwrap();
        let (status, body) = readyz(&app).await;
        assert_eq!((status, &body["checks"]["migrations"]), (503, &json!("1 not applied")));
        assert_eq!(body["checks"]["database"], "ok");

        // The database gone.
        db.close().await;
        let (status, body) = readyz(&app).await;
        assert_eq!(status, 503);
        assert_ne!(body["checks"]["database"], "ok");
        // Alive all the same.
        assert_eq!(call(&app, Method::GET, "/healthz", None, "").await.0, 200);
    }
}

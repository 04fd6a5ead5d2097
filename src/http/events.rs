//! Live job progress as Server-Sent Events: `GET /events/jobs/{id}` sends the job (as the job
//! page shows it) whenever it has moved on — a chunk committed, the job ended, was cancelled or
//! resumed — and ends the stream when the job has finished. The job tasks of this process
//! wake the stream at once; a short timer also catches jobs run by another process.

use super::error::error_response;
use super::session::{operator_for, session_token_in};
use crate::domain::AppError;
use crate::domain::jobs::{Job, JobId, JobState};
use crate::domain::operator::Permission;
use crate::server::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// How long a stream waits for a change before it looks at the job anyway.
const RECHECK: Duration = Duration::from_secs(2);

/// What of a job, when it changes, is worth an event (its rate changes every instant).
fn progress_of(job: &Job) -> (JobState, u64, bool, u64, u64) {
    (job.state, job.done, job.cancel_requested, job.moved, job.refused)
}

pub async fn job_progress(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let token = session_token_in(&headers, &state.config);
    if let Err(error) =
        operator_for(&state, token, Permission::ViewDeployment).await.and_then(|s| s.past_password_change())
    {
        return error_response(&error);
    }
    let job = JobId(id);
    if let Err(error) = crate::server::jobs::load(&state.db, job).await {
        return error_response(&error);
    }
    struct Follow {
        db: sqlx::AnyPool,
        changes: tokio::sync::watch::Receiver<u64>,
        last: Option<(JobState, u64, bool, u64, u64)>,
        ended: bool,
    }
    let start =
        Follow { db: state.db.clone(), changes: crate::server::jobs::changes(), last: None, ended: false };
    let events = futures::stream::unfold(start, move |mut follow| async move {
        // A shutdown ends the stream, so that waiting for the requests in flight can end; the
        // browser reconnects to the next server or falls back to asking.
        if follow.ended || crate::server::lifecycle::shutting_down() {
            return None;
        }
        loop {
            let current = match crate::server::jobs::load(&follow.db, job).await {
                Ok(current) => current,
                // The database is busy or gone: the browser reconnects, or falls back to asking.
                Err(AppError::Busy) => {
                    tokio::time::sleep(RECHECK).await;
                    continue;
                }
                Err(_) => return None,
            };
            let progress = progress_of(&current);
            if follow.last != Some(progress) {
                follow.last = Some(progress);
                follow.ended = current.state.finished();
                let event = Event::default().event("progress").json_data(&current);
                return Some((event.map_err(|_| AppError::INTERNAL), follow));
            }
            tokio::select! {
                _ = tokio::time::timeout(RECHECK, follow.changes.changed()) => {}
                _ = crate::server::lifecycle::shutdown_begun() => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::{app_on, call, operate, sign_in};
    use crate::server::Config;
    use crate::server::config::JobSettings;
    use axum::http::Method;
    use serde_json::{Value, json};
    use std::time::Duration;

    /// The stream sends the job as it moves on and ends with it; it is only for a signed-in
    /// operator and an existing job.
    #[tokio::test]
    async fn the_progress_stream_follows_a_job_to_its_end() {
        let mut config = Config::for_tests();
        config.jobs = JobSettings {
            threshold: 5,
            chunk: 4,
            pause: Duration::from_millis(30),
            clock: crate::server::jobs::Clock::System,
        };
        let (app, db) = app_on(&crate::server::storage::db::test_database().await, config).await;
        let cookie = sign_in(&app, "useradmin").await;
        let pool = |fqdn: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT id FROM pools WHERE fqdn = $1")
                    .bind(fqdn)
                    .fetch_one(&db)
                    .await
                    .unwrap()
            }
        };
        let (from, to) = (pool("pool01.contoso.com").await, pool("pool02.contoso.com").await);
        let users: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM enabled_users WHERE pool_id = $1 ORDER BY user_id LIMIT 24",
        )
        .bind(from)
        .fetch_all(&db)
        .await
        .unwrap();
        let options = json!({"options": {"destination": to, "force": false}});
        let (status, text) =
            operate(&app, &cookie, &users, "preview_move", options, "move_users", None).await;
        assert_eq!(status, 200, "{text}");
        let job = serde_json::from_str::<Value>(&text).unwrap()["job"].as_i64().expect("a job");

        let (status, stream) =
            call(&app, Method::GET, &format!("/events/jobs/{job}"), Some(&cookie), "").await;
        assert_eq!(status, 200);
        let events: Vec<Value> = stream
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| serde_json::from_str(data).unwrap())
            .collect();
        assert!(stream.contains("event: progress"), "{stream}");
        let last = events.last().expect("at least one event");
        assert_eq!((last["state"].as_str(), last["done"].as_u64()), (Some("completed"), Some(24)));
        let done: Vec<u64> = events.iter().map(|e| e["done"].as_u64().unwrap()).collect();
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "progress only goes forward: {done:?}");

        assert_eq!(call(&app, Method::GET, &format!("/events/jobs/{job}"), None, "").await.0, 401);
        assert_eq!(call(&app, Method::GET, "/events/jobs/9999", Some(&cookie), "").await.0, 404);
    }
}

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
    if let Err(error) = operator_for(&state, token, Permission::ViewDeployment).await {
        return error_response(&error);
    }
    let job = JobId(id);
    if let Err(error) = crate::server::jobs::load(&state.db, job).await {
        return error_response(&error);
    }
    struct Follow {
        db: sqlx::SqlitePool,
        changes: tokio::sync::watch::Receiver<u64>,
        last: Option<(JobState, u64, bool, u64, u64)>,
        ended: bool,
    }
    let start =
        Follow { db: state.db.clone(), changes: crate::server::jobs::changes(), last: None, ended: false };
    let events = futures::stream::unfold(start, move |mut follow| async move {
        if follow.ended {
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
                return Some((event.map_err(|_| AppError::Internal), follow));
            }
            let _ = tokio::time::timeout(RECHECK, follow.changes.changed()).await;
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

//! Server functions of jobs (moves, deletes, configurations, organization moves): follow one,
//! list them, cancel and resume. Live progress is a Server-Sent Events stream (`http::events`).

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::jobs::{Job, JobId, JobLineFilter, JobUserLine};
use crate::domain::paging::Page;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// A job with one page of its per-user results.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobView {
    pub job: Job,
    pub lines: Page<JobUserLine>,
    /// Once the job stopped: the undo of what it changed, if it can be undone.
    pub undo: Option<crate::domain::undo::UndoableChange>,
    /// The users it left out, counted by reason.
    pub left_out: Vec<crate::domain::jobs::LeftOut>,
}

#[server(prefix = "/api", endpoint = "get_job", input = Json)]
pub async fn get_job(job: JobId, filter: JobLineFilter, page: u32) -> Result<JobView, AppError> {
    gate::authorized(GetJob::PATH, |state, viewer| async move {
        crate::server::jobs::must_see(&state.db, &viewer, job).await?;
        let lines = crate::server::jobs::lines(&state.db, job, filter, page).await?;
        let left_out = crate::server::jobs::left_out_by_reason(&state.db, job).await?;
        let job = crate::server::jobs::load(&state.db, job).await?;
        let undo = match job.state.finished() {
            true => crate::server::operations::undo::undoable(&state.db, job.event_id).await?,
            false => None,
        };
        Ok(JobView { job, lines, undo, left_out })
    })
    .await
}

/// The users a job left out (refused or skipped): what *Retry* takes into a new preview.
#[server(prefix = "/api", endpoint = "left_out_users", input = Json)]
pub async fn left_out_users(job: JobId) -> Result<Vec<crate::domain::user::UserId>, AppError> {
    gate::authorized(LeftOutUsers::PATH, |state, viewer| async move {
        crate::server::jobs::must_see(&state.db, &viewer, job).await?;
        crate::server::jobs::left_out_users(&state.db, job).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_jobs", input = Json)]
pub async fn list_jobs() -> Result<Vec<Job>, AppError> {
    gate::authorized(ListJobs::PATH, |state, viewer| async move {
        crate::server::jobs::recent(&state.db, &viewer, 50).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "cancel_job", input = Json)]
pub async fn cancel_job(job: JobId) -> Result<(), AppError> {
    gate::authorized(CancelJob::PATH, |state, operator| async move {
        crate::server::jobs::must_see(&state.db, &operator, job).await?;
        crate::server::jobs::cancel(&state.db, &operator, job).await
    })
    .await
}

/// Resumes an interrupted or failed job. A force move deletes data as it goes, so resuming one
/// needs the operator's password again (`password`), like starting it.
#[server(prefix = "/api", endpoint = "resume_job", input = Json)]
pub async fn resume_job(job: JobId, #[server(default)] password: Option<String>) -> Result<(), AppError> {
    gate::authorized(ResumeJob::PATH, |state, operator| async move {
        crate::server::jobs::must_see(&state.db, &operator, job).await?;
        let client = gate::client(&state.config);
        crate::server::jobs::resume_confirmed(
            &state.db,
            &state.config,
            &operator,
            job,
            password.as_deref(),
            &client,
        )
        .await
    })
    .await
}

//! Server functions of move jobs: follow one, list them, cancel and resume.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::jobs::{JobId, JobLineFilter, JobUserLine, MoveJob};
use crate::domain::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// A job with one page of its per-user results.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MoveJobView {
    pub job: MoveJob,
    pub lines: Page<JobUserLine>,
}

#[server(prefix = "/api", endpoint = "get_move_job", input = Json)]
pub async fn get_move_job(job: JobId, filter: JobLineFilter, page: u32) -> Result<MoveJobView, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ViewDeployment, |state, _| async move {
        let lines = crate::server::jobs::lines(&state.db, job, filter, page).await?;
        let job = crate::server::jobs::load(&state.db, job).await?;
        Ok(MoveJobView { job, lines })
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_move_jobs", input = Json)]
pub async fn list_move_jobs() -> Result<Vec<MoveJob>, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ViewDeployment, |state, _| async move {
        crate::server::jobs::recent(&state.db, 50).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "cancel_move_job", input = Json)]
pub async fn cancel_move_job(job: JobId) -> Result<(), AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, operator| async move {
        crate::server::jobs::cancel(&state.db, &operator, job).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "resume_move_job", input = Json)]
pub async fn resume_move_job(job: JobId) -> Result<(), AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, operator| async move {
        crate::server::jobs::resume(&state.db, &operator, job).await?;
        crate::server::jobs::spawn(state.db.clone(), job, state.config.jobs);
        Ok(())
    })
    .await
}

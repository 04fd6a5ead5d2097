//! Deleting users' server data and enablement, in one transaction with its audit record. The
//! directory user stays; enabling it again starts from empty server data.

use crate::domain::AppError;
use crate::domain::delete::{DeleteLine, DeletePreview, DeleteRun, MAX_DELETE, delete_totals};
use crate::domain::jobs::{JobId, JobKind, JobUserOutcome};
use crate::domain::operation::{OperationKind, PREVIEW_LINES, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::user::UserId;
use crate::server::jobs::{ChunkLine, JobLine, JobWork};
use crate::server::security::audit;
use crate::server::storage::db::Engine;
use serde_json::json;
use sqlx::AnyConnection;

/// The delete's view of enabled users.
fn line_of(user: super::EnabledUser) -> DeleteLine {
    DeleteLine {
        id: user.id,
        display_name: user.display_name,
        sip_uri: user.sip_uri,
        pool_fqdn: user.pool_fqdn,
        data: user.data,
    }
}

async fn prepare(conn: &mut AnyConnection, users: &[UserId]) -> Result<DeletePreview, AppError> {
    let users: Vec<DeleteLine> =
        super::enabled_users_all(conn, users, MAX_DELETE).await?.into_iter().map(line_of).collect();
    Ok(DeletePreview { count: users.len() as u64, totals: delete_totals(&users), users })
}

/// Deleting users' server data and enablement (needs step-up).
pub struct Delete;

impl super::Operation for Delete {
    const KIND: OperationKind = OperationKind::Delete;
    const RUNS_AS_JOB: bool = true;
    type Options = ();
    type Preview = DeletePreview;
    type Run = DeleteRun;

    async fn plan(conn: &mut AnyConnection, users: &[UserId], _: &()) -> Result<DeletePreview, AppError> {
        prepare(conn, users).await
    }

    fn fingerprint(preview: &DeletePreview) -> String {
        fingerprint_of(&preview.users)
    }

    fn lines(preview: &DeletePreview) -> u64 {
        preview.count
    }

    fn needs_step_up(_: &()) -> bool {
        true
    }

    fn shorten(preview: &mut DeletePreview) {
        preview.users.truncate(PREVIEW_LINES);
    }

    /// Deletes exactly the planned users' server data and enablement, with the audit record.
    async fn apply(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: DeletePreview,
        _: &(),
    ) -> Result<DeleteRun, AppError> {
        let event_id = record_event(conn, operator, &preview, None).await?;
        let lines: Vec<audit::UserLine<'_>> = preview
            .users
            .iter()
            .map(|u| {
                (u.id.0, None, u.display_name.as_str(), None, "deleted", None, Some(u.pool_fqdn.as_str()))
            })
            .collect();
        audit::record_users(conn, event_id, lines).await?;
        let ids: Vec<UserId> = preview.users.iter().map(|u| u.id).collect();
        delete(conn, &ids).await?;
        Ok(DeleteRun { event_id, preview })
    }

    fn undo_kept(_: &DeletePreview) -> Option<(JobKind, bool)> {
        Some((JobKind::Delete, true))
    }

    fn changed_users(preview: &DeletePreview) -> Vec<UserId> {
        preview.users.iter().map(|u| u.id).collect()
    }

    fn data_lost(preview: &DeletePreview) -> u64 {
        preview.totals.total()
    }

    fn event_of(run: &DeleteRun) -> Option<i64> {
        Some(run.event_id)
    }

    fn shorten_run(run: &mut DeleteRun) {
        run.preview.users.truncate(PREVIEW_LINES);
    }

    async fn create_job(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: &DeletePreview,
        _: &(),
    ) -> Result<JobId, AppError> {
        let id = crate::server::jobs::next_id(conn).await?;
        let event_id = record_event(conn, operator, preview, Some(id.0)).await?;
        let lines: Vec<JobLine<'_>> =
            preview.users.iter().map(|u| JobLine::new(u.id, &u.display_name)).collect();
        crate::server::jobs::record(conn, id, operator, &JobWork::Delete, event_id, &lines).await
    }
}

/// The audit event of a delete, with the planned totals (and its job, if it runs as one).
async fn record_event(
    conn: &mut AnyConnection,
    operator: &Operator,
    preview: &DeletePreview,
    job: Option<i64>,
) -> Result<i64, AppError> {
    let t = &preview.totals;
    let mut parameters = json!({
        "contacts": t.contacts, "contact_groups": t.contact_groups, "allowed": t.allowed,
        "blocked": t.blocked, "meetings": t.meetings, "presence_items": t.presence_items,
    });
    if let Some(job) = job {
        parameters["job"] = json!(job);
    }
    audit::record(conn, operator, "delete_users", parameters, preview.count).await
}

/// The data rows and their counts go with the enablement (ON DELETE CASCADE).
async fn delete(conn: &mut AnyConnection, users: &[UserId]) -> Result<(), AppError> {
    let ids = Engine::of(conn).id_rows("$1");
    sqlx::query(&format!("DELETE FROM enabled_users WHERE user_id IN (SELECT value FROM {ids} ids)"))
        .bind(serde_json::to_string(users).map_err(|_| AppError::INTERNAL)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One chunk of a delete job, in the job's transaction: the users still enabled are deleted.
pub(crate) async fn run_chunk(
    conn: &mut AnyConnection,
    users: &[UserId],
) -> Result<Vec<ChunkLine>, AppError> {
    let lines: Vec<DeleteLine> = super::enabled_users(conn, users).await?.into_iter().map(line_of).collect();
    let found: Vec<UserId> = lines.iter().map(|l| l.id).collect();
    delete(conn, &found).await?;
    Ok(lines
        .into_iter()
        .map(|l| ChunkLine {
            user: l.id,
            outcome: JobUserOutcome::Deleted,
            data_kept: 0,
            data_lost: l.data.total(),
            audit_reason: None,
            sip_uri: Some(format!("sip:{}", l.sip_uri)),
            pool: Some(l.pool_fqdn),
        })
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::search::UserTarget;
    use crate::server::operations::moves::tests::{deployment, miscounted_users, operator, pool, users_of};
    use sqlx::AnyPool;

    /// The preview of a target, through a selection as the wizard makes it.
    async fn preview(db: &AnyPool, target: &UserTarget) -> Result<DeletePreview, AppError> {
        use crate::domain::operation::SelectionSource;
        let selection =
            super::super::selection::create(db, &operator(), &SelectionSource::Users(target.clone())).await?;
        Ok(super::super::preview::<Delete>(db, &operator(), selection.id, &()).await?.preview)
    }

    /// Plans and deletes these users at once.
    pub(crate) async fn run(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
    ) -> Result<DeleteRun, AppError> {
        super::super::apply_now::<Delete>(db, operator, users, &()).await
    }

    /// Records the delete of these users as a job, without starting it.
    pub(crate) async fn create_job(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
    ) -> Result<JobId, AppError> {
        super::super::create_job_now::<Delete>(db, operator, users, &()).await
    }

    async fn count(db: &AnyPool, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
    }

    #[tokio::test]
    async fn deletes_data_and_enablement_but_keeps_the_directory_user() {
        let db = deployment().await;
        let pool01 = pool(&db, "pool01.contoso.com").await;
        let users = users_of(&db, pool01, 2).await;
        let preview = preview(&db, &UserTarget::Users(users.clone())).await.unwrap();
        let contacts = count(
            &db,
            &format!("SELECT COUNT(*) FROM contacts WHERE user_id IN ({}, {})", users[0].0, users[1].0),
        )
        .await;
        assert_eq!(preview.totals.contacts, contacts as u64);
        assert!(contacts > 0);
        let directory = count(&db, "SELECT COUNT(*) FROM directory_users").await;
        let enabled = count(&db, "SELECT COUNT(*) FROM enabled_users").await;
        let all_contacts = count(&db, "SELECT COUNT(*) FROM contacts").await;

        let run = run(&db, &operator(), &users).await.unwrap();
        assert_eq!(run.preview.count, 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM directory_users").await, directory);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM enabled_users").await, enabled - 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts").await, all_contacts - contacts);
        for table in
            ["contacts", "contact_groups", "access_entries", "meetings", "presence_items", "user_data_counts"]
        {
            let left = count(
                &db,
                &format!("SELECT COUNT(*) FROM {table} WHERE user_id IN ({}, {})", users[0].0, users[1].0),
            )
            .await;
            assert_eq!(left, 0, "{table}");
        }
        assert_eq!(miscounted_users(&db).await, 0);
        // The audit record was written with the change.
        let lines =
            count(&db, &format!("SELECT COUNT(*) FROM audit_event_users WHERE event_id = {}", run.event_id))
                .await;
        assert_eq!(lines, 2);
        // The directory user can be enabled again: it is a directory user without enablement.
        let name = &preview.users.iter().find(|u| u.id == users[0]).unwrap().display_name;
        let query = crate::domain::enable::DirectoryQuery { text: name.clone(), ..Default::default() };
        assert!(
            crate::server::operations::enable::candidate_ids(&db, &Default::default(), &query)
                .await
                .unwrap()
                .contains(&users[0])
        );
        // Deleting again is refused: they are no longer enabled.
        assert_eq!(run_again(&db, &users).await, Some(AppError::UnknownUsers));
    }

    async fn run_again(db: &AnyPool, users: &[UserId]) -> Option<AppError> {
        run(db, &operator(), users).await.err()
    }

    #[tokio::test]
    async fn a_failure_deletes_nothing_and_records_nothing() {
        let db = deployment().await;
        let pool01 = pool(&db, "pool01.contoso.com").await;
        let users = users_of(&db, pool01, 5).await;
        // Make the delete of the last user's meetings fail half-way through the statement.
        let condition = format!("OLD.user_id = {}", users[4].0);
        crate::server::storage::db::inject_failure(
            &db,
            "fail_delete",
            "DELETE",
            "meetings",
            Some(&condition),
        )
        .await;
        let has_meetings =
            count(&db, &format!("SELECT COUNT(*) FROM meetings WHERE user_id = {}", users[4].0)).await;
        assert!(has_meetings > 0, "the test needs a user with meetings");
        let before = (
            count(&db, "SELECT COUNT(*) FROM enabled_users").await,
            count(&db, "SELECT COUNT(*) FROM contacts").await,
            count(&db, "SELECT COUNT(*) FROM audit_events").await,
        );
        assert_eq!(run(&db, &operator(), &users).await.err(), Some(AppError::INTERNAL));
        let after = (
            count(&db, "SELECT COUNT(*) FROM enabled_users").await,
            count(&db, "SELECT COUNT(*) FROM contacts").await,
            count(&db, "SELECT COUNT(*) FROM audit_events").await,
        );
        assert_eq!(before, after);
        // Bad input changes nothing either.
        assert_eq!(run(&db, &operator(), &[]).await.err(), Some(AppError::EmptySelection));
        assert_eq!(run(&db, &operator(), &[UserId(-5)]).await.err(), Some(AppError::UnknownUsers));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events").await, before.2);
    }
}

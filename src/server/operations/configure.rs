//! Configuring users in bulk: one UPDATE for the users that can change, the others listed with
//! their reason, all in one transaction with the audit record.

use crate::domain::AppError;
use crate::domain::configure::{
    ConfigureLine, ConfigurePreview, ConfigureRun, MAX_CONFIGURE, SettingsChange, skip_reason,
};
use crate::domain::jobs::{JobId, JobKind, JobUserOutcome};
use crate::domain::operation::{OperationKind, PREVIEW_LINES, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::user::UserId;
use crate::server::jobs::{ChunkLine, JobLine, JobWork};
use crate::server::security::audit;
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use serde_json::json;
use sqlx::AnyConnection;

/// The configure's view of enabled users: each with the reason it cannot be configured, if any.
fn line_of(user: super::EnabledUser) -> ConfigureLine {
    ConfigureLine {
        id: user.id,
        display_name: user.display_name,
        sip_uri: user.sip_uri,
        pool_fqdn: user.pool_fqdn,
        version: user.pool_version,
        skip: skip_reason(user.pool_version, user.pool_state),
    }
}

async fn check_change(conn: &mut AnyConnection, change: &SettingsChange) -> Result<(), AppError> {
    change.validate()?;
    if let Some(Some(policy)) = &change.meeting_policy {
        let known: Option<String> = sqlx::query_scalar("SELECT name FROM meeting_policies WHERE name = $1")
            .bind(policy)
            .fetch_optional(&mut *conn)
            .await?;
        known.ok_or(AppError::UnknownMeetingPolicy)?;
    }
    Ok(())
}

async fn prepare(
    conn: &mut AnyConnection,
    users: &[UserId],
    change: &SettingsChange,
) -> Result<ConfigurePreview, AppError> {
    check_change(conn, change).await?;
    let mut lines: Vec<ConfigureLine> =
        super::enabled_users_all(conn, users, MAX_CONFIGURE).await?.into_iter().map(line_of).collect();
    // Skipped users first: they are what the operator has to read.
    lines.sort_by_key(|l| l.skip.is_none());
    let skipped = lines.iter().filter(|l| l.skip.is_some()).count() as u64;
    Ok(ConfigurePreview {
        change: change.clone(),
        count: lines.len() as u64,
        to_change: lines.len() as u64 - skipped,
        skipped,
        users: lines,
    })
}

/// Changing users' settings in bulk.
pub struct Configure;

impl super::Operation for Configure {
    const KIND: OperationKind = OperationKind::Configure;
    const RUNS_AS_JOB: bool = true;
    type Options = SettingsChange;
    type Preview = ConfigurePreview;
    type Run = ConfigureRun;

    async fn plan(
        conn: &mut AnyConnection,
        users: &[UserId],
        change: &SettingsChange,
    ) -> Result<ConfigurePreview, AppError> {
        prepare(conn, users, change).await
    }

    fn fingerprint(preview: &ConfigurePreview) -> String {
        fingerprint_of(&preview.users)
    }

    fn lines(preview: &ConfigurePreview) -> u64 {
        preview.count
    }

    fn needs_step_up(_: &SettingsChange) -> bool {
        false
    }

    fn shorten(preview: &mut ConfigurePreview) {
        preview.users.truncate(PREVIEW_LINES);
    }

    /// Applies the change to the planned users that can take it; the others are recorded with
    /// their reason.
    async fn apply(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: ConfigurePreview,
        change: &SettingsChange,
    ) -> Result<ConfigureRun, AppError> {
        let event_id = audit::record(
            conn,
            operator,
            "configure_users",
            json!({"change": audited_change(change), "configured": preview.to_change, "skipped": preview.skipped}),
            preview.count,
        )
        .await?;
        let audit_lines: Vec<audit::UserLine<'_>> = preview
            .users
            .iter()
            .map(|l| {
                let (outcome, reason) = match l.skip {
                    None => ("configured", None),
                    Some(skip) => ("skipped", Some(skip.as_str())),
                };
                (l.id.0, None, l.display_name.as_str(), None, outcome, reason, Some(l.pool_fqdn.as_str()))
            })
            .collect();
        audit::record_users(conn, event_id, audit_lines).await?;
        let changing: Vec<i64> = preview.users.iter().filter(|l| l.skip.is_none()).map(|l| l.id.0).collect();
        if !changing.is_empty() {
            update(conn, &changing, change).await?;
        }
        Ok(ConfigureRun { event_id, preview })
    }

    fn undo_kept(_: &ConfigurePreview) -> Option<(JobKind, bool)> {
        Some((JobKind::Configure, false))
    }

    fn changed_users(preview: &ConfigurePreview) -> Vec<UserId> {
        preview.users.iter().filter(|l| l.skip.is_none()).map(|l| l.id).collect()
    }

    fn event_of(run: &ConfigureRun) -> Option<i64> {
        Some(run.event_id)
    }

    fn shorten_run(run: &mut ConfigureRun) {
        run.preview.users.truncate(PREVIEW_LINES);
    }

    async fn create_job(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: &ConfigurePreview,
        change: &SettingsChange,
    ) -> Result<JobId, AppError> {
        let id = crate::server::jobs::next_id(conn).await?;
        let parameters = json!({"change": audited_change(change), "planned_configured": preview.to_change,
                                "planned_skipped": preview.skipped, "job": id.0});
        let event_id = audit::record(conn, operator, "configure_users", parameters, preview.count).await?;
        let lines: Vec<JobLine<'_>> =
            preview.users.iter().map(|u| JobLine::new(u.id, &u.display_name)).collect();
        crate::server::jobs::record(conn, id, operator, &JobWork::Configure(change.clone()), event_id, &lines)
            .await
    }
}

/// One chunk of a configure job, in the job's transaction: the users still enabled are judged
/// as they are now and changed, or skipped with the reason. The meeting policy is checked
/// again: it may have been removed since the job started.
pub(crate) async fn run_chunk(
    conn: &mut AnyConnection,
    users: &[UserId],
    change: &SettingsChange,
) -> Result<Vec<ChunkLine>, AppError> {
    check_change(conn, change).await?;
    let lines: Vec<ConfigureLine> =
        super::enabled_users(conn, users).await?.into_iter().map(line_of).collect();
    let changing: Vec<i64> = lines.iter().filter(|l| l.skip.is_none()).map(|l| l.id.0).collect();
    if !changing.is_empty() {
        update(conn, &changing, change).await?;
    }
    Ok(lines
        .into_iter()
        .map(|l| ChunkLine {
            user: l.id,
            outcome: match l.skip {
                None => JobUserOutcome::Configured,
                Some(skip) => JobUserOutcome::Skipped(skip),
            },
            data_kept: 0,
            data_lost: 0,
            audit_reason: l.skip.map(|s| s.as_str()),
            pool: Some(l.pool_fqdn),
            sip_uri: None,
        })
        .collect())
}

/// One UPDATE setting the changed columns for every user that changes.
async fn update(conn: &mut AnyConnection, users: &[i64], change: &SettingsChange) -> Result<(), AppError> {
    let mut qb = SqlBuilder::new(Engine::of(conn), "UPDATE enabled_users SET ");
    let mut set = qb.separated(", ");
    for (column, value) in [
        ("federation", change.federation),
        ("remote_access", change.remote_access),
        ("public_im", change.public_im),
    ] {
        if let Some(value) = value {
            set.push(column).push_unseparated(" = ").push_bind_unseparated(Flag(value));
        }
    }
    if change.enable_enhanced_presence {
        set.push("enhanced_presence = 1");
    }
    if let Some(archiving) = change.archiving {
        set.push("archiving = ").push_bind_unseparated(archiving.as_str());
    }
    if let Some(policy) = &change.meeting_policy {
        set.push("meeting_policy = ").push_bind_unseparated(policy.clone());
    }
    if let Some(telephony) = change.telephony {
        set.push("telephony = ").push_bind_unseparated(telephony.as_str());
    }
    let engine = Engine::of(conn);
    qb.push(" WHERE user_id IN (SELECT value FROM ")
        .push_bind_in(serde_json::to_string(users).map_err(|_| AppError::INTERNAL)?, |p| engine.id_rows(p))
        .push(" ids)");
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

/// A change as the audit log keeps it: only the settings it sets (a `null` meeting policy is
/// "the global policy"), so that a reader can tell "set to global" from "left alone".
fn audited_change(change: &SettingsChange) -> serde_json::Value {
    let mut fields = serde_json::Map::new();
    let mut set = |key: &str, value: serde_json::Value| {
        fields.insert(key.to_string(), value);
    };
    if let Some(on) = change.federation {
        set("federation", json!(on));
    }
    if let Some(on) = change.remote_access {
        set("remote_access", json!(on));
    }
    if let Some(on) = change.public_im {
        set("public_im", json!(on));
    }
    if change.enable_enhanced_presence {
        set("enable_enhanced_presence", json!(true));
    }
    if let Some(archiving) = change.archiving {
        set("archiving", json!(archiving.as_str()));
    }
    if let Some(policy) = &change.meeting_policy {
        set("meeting_policy", json!(policy));
    }
    if let Some(telephony) = change.telephony {
        set("telephony", json!(telephony.as_str()));
    }
    serde_json::Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::search::UserTarget;
    use crate::domain::user::{ArchivingPolicy, Telephony};
    use crate::server::operations::moves::tests::{deployment, operator, pool, users_of};
    use sqlx::AnyPool;

    #[derive(sqlx::FromRow, Debug, PartialEq, Clone)]
    struct Settings {
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        federation: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        remote_access: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        public_im: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        enhanced_presence: bool,
        archiving: String,
        meeting_policy: Option<String>,
        telephony: String,
    }

    /// The preview of a target, through a selection as the wizard makes it.
    async fn preview(
        db: &AnyPool,
        target: &UserTarget,
        change: &SettingsChange,
    ) -> Result<ConfigurePreview, AppError> {
        use crate::domain::operation::SelectionSource;
        let selection =
            super::super::selection::create(db, &operator(), &SelectionSource::Users(target.clone())).await?;
        Ok(super::super::preview::<Configure>(db, &operator(), selection.id, change).await?.preview)
    }

    async fn run(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
        change: &SettingsChange,
    ) -> Result<ConfigureRun, AppError> {
        super::super::apply_now::<Configure>(db, operator, users, change).await
    }

    async fn settings(db: &AnyPool, id: UserId) -> Settings {
        sqlx::query_as(
            "SELECT federation, remote_access, public_im, enhanced_presence, archiving, meeting_policy, telephony
             FROM enabled_users WHERE user_id = $1",
        )
        .bind(id.0)
        .fetch_one(db)
        .await
        .unwrap()
    }

    fn change() -> SettingsChange {
        SettingsChange {
            federation: Some(true),
            remote_access: Some(false),
            public_im: None,
            enable_enhanced_presence: true,
            archiving: Some(ArchivingPolicy::InternalAndFederated),
            meeting_policy: Some(Some("Large Meetings".into())),
            telephony: Some(Telephony::EnterpriseVoice),
        }
    }

    #[tokio::test]
    async fn earlier_version_and_unassigned_users_are_listed_and_left_alone() {
        let db = deployment().await;
        let current = users_of(&db, pool(&db, "pool01.contoso.com").await, 3).await;
        let ocs2007 = users_of(&db, pool(&db, "ocs2007.contoso.com").await, 2).await;
        let lcs = users_of(&db, pool(&db, "lcs2005.contoso.com").await, 1).await;
        let unassigned = users_of(&db, pool(&db, "se02.contoso.com").await, 1).await;
        let all: Vec<UserId> = [&current[..], &ocs2007[..], &lcs[..], &unassigned[..]].concat();
        let before: Vec<Settings> = settings_of(&db, &all).await;

        let preview = preview(&db, &UserTarget::Users(all.clone()), &change()).await.unwrap();
        assert_eq!((preview.to_change, preview.skipped), (3, 4));
        assert!(preview.users[..4].iter().all(|l| l.skip.is_some()), "skipped users come first");
        let run = run(&db, &operator(), &all, &change()).await.unwrap();
        assert_eq!((run.preview.to_change, run.preview.skipped), (3, 4));

        for (i, id) in all.iter().enumerate() {
            let now = settings(&db, *id).await;
            if i < 3 {
                assert!(now.federation && !now.remote_access && now.enhanced_presence);
                assert_eq!(now.public_im, before[i].public_im, "unset settings stay");
                assert_eq!(now.archiving, "internal_and_federated");
                assert_eq!(now.meeting_policy.as_deref(), Some("Large Meetings"));
                assert_eq!(now.telephony, "enterprise_voice");
            } else {
                assert_eq!(now, before[i], "skipped user {id:?} changed");
            }
        }
        // The audit record holds every user's outcome, written with the change.
        let outcomes: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT outcome, reason FROM audit_event_users WHERE event_id = $1 ORDER BY outcome, reason",
        )
        .bind(run.event_id)
        .fetch_all(&db)
        .await
        .unwrap();
        let count =
            |o: &str, r: Option<&str>| outcomes.iter().filter(|(a, b)| a == o && b.as_deref() == r).count();
        assert_eq!(count("configured", None), 3);
        assert_eq!(count("skipped", Some("earlier_version")), 3);
        assert_eq!(count("skipped", Some("unassigned")), 1);
    }

    async fn settings_of(db: &AnyPool, ids: &[UserId]) -> Vec<Settings> {
        let mut out = Vec::new();
        for id in ids {
            out.push(settings(db, *id).await);
        }
        out
    }

    #[tokio::test]
    async fn bad_changes_change_nothing() {
        let db = deployment().await;
        let users = users_of(&db, pool(&db, "pool01.contoso.com").await, 2).await;
        let before = settings_of(&db, &users).await;
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        let unknown_policy = SettingsChange { meeting_policy: Some(Some("Nope".into())), ..change() };
        assert_eq!(
            run(&db, &operator(), &users, &unknown_policy).await.err(),
            Some(AppError::UnknownMeetingPolicy)
        );
        assert_eq!(
            run(&db, &operator(), &users, &SettingsChange::default()).await.err(),
            Some(AppError::NothingToChange)
        );
        assert_eq!(run(&db, &operator(), &[], &change()).await.err(), Some(AppError::EmptySelection));
        let mut with_stranger = users.clone();
        with_stranger.push(UserId(-1));
        assert_eq!(
            run(&db, &operator(), &with_stranger, &change()).await.err(),
            Some(AppError::UnknownUsers)
        );
        assert_eq!(settings_of(&db, &users).await, before);
        let after: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        assert_eq!(after, events);
    }
}

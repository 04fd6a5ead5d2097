//! Moving users between pools: preview and run. Both read the users' current pools and data
//! amounts in one snapshot; the run applies the plan with set-based statements in one
//! transaction, with its audit record, so that after any failure nothing has moved.

use crate::domain::AppError;
use crate::domain::jobs::{JobId, JobKind, JobUserOutcome};
use crate::domain::moves::{
    DataKind, MAX_MOVE, MoveCandidate, MovePreview, MoveRun, UserMovePlan, can_receive, holds, plan_user,
    refuse_beyond_room, totals,
};
use crate::domain::operation::{MoveOptions, OperationKind, PREVIEW_LINES, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::pool::PoolId;
use crate::domain::user::UserId;
use crate::server::jobs::{ChunkLine, JobLine, JobWork};
use crate::server::security::audit;
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::topology::pools::{POOL_COLUMNS, PoolRecord};
use serde_json::json;
use sqlx::AnyConnection;

/// The tables holding each kind of user data.
fn tables(kind: DataKind) -> &'static [&'static str] {
    match kind {
        DataKind::Contacts => &["contacts", "contact_groups"],
        DataKind::AccessEntries => &["access_entries"],
        DataKind::Meetings => &["meetings"],
        DataKind::EnhancedPresence => &["presence_items"],
    }
}

/// What a plan does when the destination lacks room for every user it would move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// Refuse the whole plan (a preview, an inline run: the operator chooses again).
    RefuseAll,
    /// Move users while there is room, refuse the rest (a job's chunk: others may have moved in
    /// since the preview; the job's results offer to retry them).
    RefuseTheRest,
}

/// Plans the move of these users from their state now: per user what moves, what is kept and
/// what is lost, or why the user is refused; the destination must be usable and have room.
pub(crate) async fn prepare(
    conn: &mut AnyConnection,
    users: &[UserId],
    destination: PoolId,
    force: bool,
) -> Result<MovePreview, AppError> {
    plan_within_room(conn, users, destination, force, WhenFull::RefuseAll).await
}

async fn plan_within_room(
    conn: &mut AnyConnection,
    users: &[UserId],
    destination: PoolId,
    force: bool,
    when_full: WhenFull,
) -> Result<MovePreview, AppError> {
    let destination = crate::server::topology::pools::load(conn, destination).await?;
    if !can_receive(&destination) {
        return Err(AppError::PoolNotUsable);
    }
    let rows = super::enabled_users_all(conn, users, MAX_MOVE).await?;
    let pools: Vec<PoolRecord> =
        sqlx::query_as(&format!("SELECT {POOL_COLUMNS} FROM pools p")).fetch_all(&mut *conn).await?;
    let mut sources = std::collections::HashMap::new();
    for record in pools {
        let pool: crate::domain::pool::Pool = record.try_into()?;
        sources.insert(pool.id.0, pool);
    }
    let mut plans = Vec::with_capacity(rows.len());
    for r in rows {
        let candidate = MoveCandidate {
            id: r.id,
            display_name: r.display_name,
            sip_uri: r.sip_uri,
            source: sources.get(&r.pool_id).cloned().ok_or(AppError::INTERNAL)?,
            converted_to_enhanced_presence: r.converted_to_ep,
            data: r.data,
        };
        plans.push(plan_user(&candidate, &destination, force));
    }
    let destination_users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
        .bind(destination.id.0)
        .fetch_one(&mut *conn)
        .await?;
    let capacity = u64::from(destination.capacity);
    if when_full == WhenFull::RefuseTheRest {
        refuse_beyond_room(&mut plans, capacity.saturating_sub(destination_users as u64));
    }
    let totals = totals(&plans);
    if destination_users as u64 + totals.moving > capacity {
        return Err(AppError::CapacityExceeded {
            capacity,
            used: destination_users as u64,
            adding: totals.moving,
        });
    }
    Ok(MovePreview {
        destination,
        destination_users: destination_users as u64,
        force,
        count: plans.len() as u64,
        users: plans,
        totals,
    })
}

/// Moving users between pools (a force move deletes their data and needs step-up).
pub struct Move;

impl super::Operation for Move {
    const KIND: OperationKind = OperationKind::Move;
    const RUNS_AS_JOB: bool = true;
    type Options = MoveOptions;
    type Preview = MovePreview;
    type Run = MoveRun;

    async fn plan(
        conn: &mut AnyConnection,
        users: &[UserId],
        options: &MoveOptions,
    ) -> Result<MovePreview, AppError> {
        prepare(conn, users, options.destination, options.force).await
    }

    fn destination(options: &MoveOptions) -> Option<PoolId> {
        Some(options.destination)
    }

    fn fingerprint(preview: &MovePreview) -> String {
        // Not the destination's user count: others moving in meanwhile change nothing here
        // unless the capacity runs out, which the plan refuses.
        fingerprint_of(&(&preview.users, preview.destination.id, preview.force))
    }

    fn lines(preview: &MovePreview) -> u64 {
        preview.count
    }

    fn needs_step_up(options: &MoveOptions) -> bool {
        options.force
    }

    fn shorten(preview: &mut MovePreview) {
        preview.users.truncate(PREVIEW_LINES);
    }

    async fn apply(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: MovePreview,
        _: &MoveOptions,
    ) -> Result<MoveRun, AppError> {
        change(conn, &preview).await?;
        let counts = json!({
            "moved": preview.totals.moving,
            "refused": preview.totals.refused,
            "data_kept": preview.totals.kept,
            "data_lost": preview.totals.lost,
        });
        let event_id = record_event(conn, operator, &preview, counts).await?;
        audit::record_users(&mut *conn, event_id, audit_rows(&preview.users)).await?;
        Ok(MoveRun { event_id, preview })
    }

    fn undo_kept(preview: &MovePreview) -> Option<(JobKind, bool)> {
        Some((JobKind::Move, preview.force || preview.totals.lost > 0))
    }

    fn changed_users(preview: &MovePreview) -> Vec<UserId> {
        preview.users.iter().filter(|u| u.moves()).map(|u| u.id).collect()
    }

    fn data_lost(preview: &MovePreview) -> u64 {
        preview.totals.lost
    }

    fn target(preview: &MovePreview) -> Option<String> {
        Some(preview.destination.fqdn.clone())
    }

    fn event_of(run: &MoveRun) -> Option<i64> {
        Some(run.event_id)
    }

    fn shorten_run(run: &mut MoveRun) {
        run.preview.users.truncate(PREVIEW_LINES);
    }

    async fn create_job(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: &MovePreview,
        options: &MoveOptions,
    ) -> Result<JobId, AppError> {
        let id = crate::server::jobs::next_id(conn).await?;
        let counts = json!({
            "job": id.0,
            "planned_moves": preview.totals.moving,
            "planned_refusals": preview.totals.refused,
        });
        let event_id = record_event(conn, operator, preview, counts).await?;
        let lines: Vec<JobLine<'_>> =
            preview.users.iter().map(|u| JobLine::new(u.id, &u.display_name)).collect();
        let work = JobWork::Move { destination: options.destination, force: options.force };
        crate::server::jobs::record(conn, id, operator, &work, event_id, &lines).await
    }
}

/// One chunk of a move job, in the job's transaction: these (enabled) users are planned from
/// their state now and moved.
pub(crate) async fn run_chunk(
    conn: &mut AnyConnection,
    users: &[UserId],
    destination: PoolId,
    force: bool,
) -> Result<Vec<ChunkLine>, AppError> {
    let preview = plan_within_room(conn, users, destination, force, WhenFull::RefuseTheRest).await?;
    change(conn, &preview).await?;
    Ok(preview
        .users
        .into_iter()
        .map(|p| ChunkLine {
            user: p.id,
            outcome: match p.refusal {
                None => JobUserOutcome::Moved,
                Some(refusal) => JobUserOutcome::Refused(refusal),
            },
            data_kept: p.kept(),
            data_lost: p.lost(),
            audit_reason: p.refusal.map(|r| r.as_str()).or_else(|| (p.lost() > 0).then_some("data_lost")),
            pool: Some(p.source_fqdn).filter(|s| !s.is_empty()),
            sip_uri: None,
        })
        .collect())
}

/// The audit event of a move (or force move) to the preview's destination, with `counts`: what
/// was done, or for a job what is planned.
async fn record_event(
    conn: &mut AnyConnection,
    operator: &Operator,
    preview: &MovePreview,
    counts: serde_json::Value,
) -> Result<i64, AppError> {
    let mut parameters = json!({ "destination": preview.destination.fqdn, "force": preview.force });
    if let (Some(all), serde_json::Value::Object(counts)) = (parameters.as_object_mut(), counts) {
        all.extend(counts);
    }
    let operation = if preview.force { "force_move" } else { "move" };
    audit::record(conn, operator, operation, parameters, preview.users.len() as u64).await
}

/// Applies a plan inside the caller's transaction: the users that move change home pool, and
/// their data is deleted where the destination cannot hold it or the move is forced (the rest
/// of their data follows the home pool).
pub(crate) async fn change(conn: &mut AnyConnection, preview: &MovePreview) -> Result<(), AppError> {
    let moving: Vec<i64> = preview.users.iter().filter(|u| u.moves()).map(|u| u.id.0).collect();
    if moving.is_empty() {
        return Ok(());
    }
    let moving_json = serde_json::to_string(&moving).unwrap_or_default();
    let moving_ids = Engine::of(conn).id_rows("$1");
    let dest = &preview.destination;
    for kind in DataKind::ALL.into_iter().filter(|kind| preview.force || !holds(dest.version, *kind)) {
        for table in tables(kind) {
            let sql = format!("DELETE FROM {table} WHERE user_id IN (SELECT value FROM {moving_ids} ids)");
            sqlx::query(&sql).bind(&moving_json).execute(&mut *conn).await?;
        }
    }
    // A pool without enhanced presence turns it off for the users it receives.
    sqlx::query(&format!(
        "UPDATE enabled_users SET pool_id = $2, enhanced_presence = enhanced_presence * $3
         WHERE user_id IN (SELECT value FROM {moving_ids} ids)"
    ))
    .bind(&moving_json)
    .bind(dest.id.0)
    .bind(Flag(dest.version.supports_enhanced_presence()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The audit lines of a plan: outcome, refusal or data loss, and the pool each user left.
/// Tuples, not `serde_json::Value`s: a 100,000-user move writes them in a few milliseconds.
fn audit_rows(plans: &[UserMovePlan]) -> Vec<audit::UserLine<'_>> {
    plans
        .iter()
        .map(|u| {
            (
                u.id.0,
                None,
                u.display_name.as_str(),
                None,
                if u.moves() { "moved" } else { "refused" },
                u.refusal.map(|r| r.as_str()).or_else(|| (u.lost() > 0).then_some("data_lost")),
                Some(u.source_fqdn.as_str()).filter(|s| !s.is_empty()),
            )
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::moves::MoveRefusal;
    use crate::domain::operator::{OperatorId, Role};
    use crate::server::storage::seed;
    use sqlx::AnyPool;

    const DATA_TABLES: [&str; 5] =
        ["contacts", "contact_groups", "access_entries", "meetings", "presence_items"];

    /// Plans and moves these users at once (the run of a preview, without the browser).
    pub(crate) async fn run(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
        destination: PoolId,
        force: bool,
    ) -> Result<MoveRun, AppError> {
        crate::server::operations::apply_now::<Move>(db, operator, users, &MoveOptions { destination, force })
            .await
    }

    async fn preview(
        db: &AnyPool,
        users: &[UserId],
        destination: PoolId,
        force: bool,
    ) -> Result<MovePreview, AppError> {
        prepare(&mut *db.acquire().await?, users, destination, force).await
    }

    /// Records the move of these users as a job, without starting it.
    pub(crate) async fn create_job(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
        destination: PoolId,
        force: bool,
    ) -> Result<JobId, AppError> {
        let options = MoveOptions { destination, force };
        crate::server::operations::create_job_now::<Move>(db, operator, users, &options).await
    }

    pub(crate) fn operator() -> Operator {
        Operator {
            id: OperatorId(1),
            username: "useradmin".into(),
            display_name: "User Administrator".into(),
            roles: vec![Role::UserAdministrator],
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        }
    }

    async fn with_operator(db: &AnyPool) {
        sqlx::query(
            "INSERT INTO operators (id, username, display_name, password_hash, created_at)
             VALUES (1, 'useradmin', 'User Administrator', '-', 0)",
        )
        .execute(db)
        .await
        .unwrap();
    }

    pub(crate) async fn deployment() -> AnyPool {
        let db = seed::tests::small_deployment().await;
        with_operator(&db).await;
        db
    }

    pub(crate) async fn pool(db: &AnyPool, fqdn: &str) -> PoolId {
        PoolId(
            sqlx::query_scalar("SELECT id FROM pools WHERE fqdn = $1")
                .bind(fqdn)
                .fetch_one(db)
                .await
                .unwrap(),
        )
    }

    pub(crate) async fn users_of(db: &AnyPool, pool: PoolId, n: i64) -> Vec<UserId> {
        sqlx::query_scalar("SELECT user_id FROM enabled_users WHERE pool_id = $1 ORDER BY user_id LIMIT $2")
            .bind(pool.0)
            .bind(n)
            .fetch_all(db)
            .await
            .unwrap()
            .into_iter()
            .map(UserId)
            .collect()
    }

    /// Data items of users whose home pool's version cannot hold them: always zero.
    pub(crate) async fn unholdable_data(db: &AnyPool) -> i64 {
        let mut total = 0;
        for kind in DataKind::ALL {
            for table in tables(kind) {
                let sql = format!(
                    "SELECT COUNT(*) FROM {table} t JOIN enabled_users e ON e.user_id = t.user_id
                     JOIN pools p ON p.id = e.pool_id WHERE p.version = $1"
                );
                for version in crate::domain::pool::ServerVersion::ALL {
                    if !holds(version, kind) {
                        let n: i64 =
                            sqlx::query_scalar(&sql).bind(version.as_str()).fetch_one(db).await.unwrap();
                        total += n;
                    }
                }
            }
        }
        total
    }

    /// Users whose trigger-maintained data counts differ from their data: always zero.
    pub(crate) async fn miscounted_users(db: &AnyPool) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM enabled_users e LEFT JOIN user_data_counts n ON n.user_id = e.user_id
             WHERE n.user_id IS NULL
                OR n.contacts <> (SELECT COUNT(*) FROM contacts WHERE user_id = e.user_id)
                OR n.contact_groups <> (SELECT COUNT(*) FROM contact_groups WHERE user_id = e.user_id)
                OR n.allowed <> (SELECT COUNT(*) FROM access_entries WHERE user_id = e.user_id AND access = 'allow')
                OR n.blocked <> (SELECT COUNT(*) FROM access_entries WHERE user_id = e.user_id AND access = 'block')
                OR n.meetings <> (SELECT COUNT(*) FROM meetings WHERE user_id = e.user_id)
                OR n.presence_items <> (SELECT COUNT(*) FROM presence_items WHERE user_id = e.user_id)",
        )
        .fetch_one(db)
        .await
        .unwrap()
    }

    /// Everything a move can change, as one comparable snapshot.
    pub(crate) async fn snapshot(db: &AnyPool) -> Vec<(String, i64, i64)> {
        let mut rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT 'user', user_id, pool_id FROM enabled_users ORDER BY user_id")
                .fetch_all(db)
                .await
                .unwrap();
        for table in DATA_TABLES {
            let more: Vec<(String, i64, i64)> =
                sqlx::query_as(&format!("SELECT '{table}', id, user_id FROM {table} ORDER BY id"))
                    .fetch_all(db)
                    .await
                    .unwrap();
            rows.extend(more);
        }
        rows
    }

    pub(crate) async fn data_of(db: &AnyPool, users: &[UserId], table: &str) -> i64 {
        let ids = serde_json::to_string(&users.iter().map(|u| u.0).collect::<Vec<_>>()).unwrap();
        let ids_rows = crate::server::storage::db::engine(db).id_rows("$1");
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE user_id IN (SELECT value FROM {ids_rows} ids)"
        ))
        .bind(ids)
        .fetch_one(db)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_normal_move_takes_the_users_and_all_their_data() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 6).await;
        let contacts = data_of(&db, &users, "contacts").await;
        let preview = preview(&db, &users, to, false).await.unwrap();
        assert_eq!(preview.totals.moving, 6);
        assert_eq!(preview.totals.lost, 0);
        let run = run(&db, &operator(), &users, to, false).await.unwrap();
        assert_eq!(run.preview.totals, preview.totals);
        assert_eq!(users_of(&db, from, 10_000).await.iter().filter(|u| users.contains(u)).count(), 0);
        assert_eq!(data_of(&db, &users, "contacts").await, contacts);
        assert_eq!(unholdable_data(&db).await, 0);
        let (operation, target): (String, i64) =
            sqlx::query_as("SELECT operation, target_count FROM audit_events WHERE id = $1")
                .bind(run.event_id)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!((operation.as_str(), target), ("move", 6));
        let guids: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_event_users WHERE event_id = $1 AND object_guid <> '' AND outcome = 'moved'",
        )
        .bind(run.event_id)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(guids, 6);
    }

    #[tokio::test]
    async fn users_of_an_unavailable_pool_need_a_forced_move_which_loses_their_data() {
        let db = deployment().await;
        let (down, up) = (pool(&db, "pool03.contoso.com").await, pool(&db, "pool01.contoso.com").await);
        let users = users_of(&db, down, 4).await;
        let before = snapshot(&db).await;
        let normal = run(&db, &operator(), &users, up, false).await.unwrap();
        assert!(normal.preview.users.iter().all(|u| u.refusal == Some(MoveRefusal::NeedsForce)));
        // The refusal is recorded, and nothing moved.
        let after: Vec<_> = snapshot(&db).await;
        assert_eq!(after, before);

        let forced = run(&db, &operator(), &users, up, true).await.unwrap();
        assert_eq!(forced.preview.totals.moving, 4);
        assert!(forced.preview.totals.lost > 0);
        assert_eq!(forced.preview.totals.kept, 0);
        for table in DATA_TABLES {
            assert_eq!(data_of(&db, &users, table).await, 0, "{table}");
        }
        assert_eq!(miscounted_users(&db).await, 0);
        assert_eq!(users_of(&db, up, 10_000).await.iter().filter(|u| users.contains(u)).count(), 4);
        assert_eq!(unholdable_data(&db).await, 0);
    }

    #[tokio::test]
    async fn moving_to_lcs_2005_refuses_converted_users_and_drops_what_it_cannot_hold() {
        let db = deployment().await;
        let (from, lcs) = (pool(&db, "pool01.contoso.com").await, pool(&db, "lcs2005.contoso.com").await);
        let capacity_room: i64 = sqlx::query_scalar("SELECT capacity FROM pools WHERE id = $1")
            .bind(lcs.0)
            .fetch_one(&db)
            .await
            .unwrap();
        sqlx::query("UPDATE pools SET capacity = $1 WHERE id = $2")
            .bind(capacity_room + 100)
            .bind(lcs.0)
            .execute(&db)
            .await
            .unwrap();
        let converted: Vec<UserId> = sqlx::query_scalar(
            "SELECT user_id FROM enabled_users WHERE pool_id = $1 AND converted_to_ep = 1 ORDER BY user_id LIMIT 2",
        )
        .bind(from.0)
        .fetch_all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(UserId)
        .collect();
        let plain: Vec<UserId> = sqlx::query_scalar(
            "SELECT e.user_id FROM enabled_users e WHERE e.pool_id = $1 AND e.converted_to_ep = 0
             AND EXISTS (SELECT 1 FROM meetings m WHERE m.user_id = e.user_id) ORDER BY e.user_id LIMIT 2",
        )
        .bind(from.0)
        .fetch_all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(UserId)
        .collect();
        assert_eq!((converted.len(), plain.len()), (2, 2));
        let contacts = data_of(&db, &plain, "contacts").await;
        let all: Vec<UserId> = converted.iter().chain(&plain).copied().collect();
        let run = run(&db, &operator(), &all, lcs, false).await.unwrap();
        for u in &run.preview.users {
            let expected = converted.contains(&u.id).then_some(MoveRefusal::ConvertedToEnhancedPresence);
            assert_eq!(u.refusal, expected);
        }
        assert_eq!(data_of(&db, &plain, "contacts").await, contacts, "contacts are kept");
        assert_eq!(data_of(&db, &plain, "meetings").await, 0, "LCS 2005 SP1 holds no meetings");
        assert_eq!(data_of(&db, &plain, "presence_items").await, 0);
        let ep: i64 = sqlx::query_scalar(
            "SELECT CAST(SUM(enhanced_presence) AS BIGINT) FROM enabled_users WHERE pool_id = $1",
        )
        .bind(lcs.0)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(ep, 0);
        assert!(data_of(&db, &converted, "presence_items").await > 0, "refused users keep everything");
        assert_eq!(unholdable_data(&db).await, 0);
    }

    #[tokio::test]
    async fn a_failure_in_the_middle_leaves_nothing_moved() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 20).await;
        let before = snapshot(&db).await;
        // The audit is written after the users and their data have been moved.
        crate::server::storage::db::inject_failure(&db, "fail_move", "INSERT", "audit_event_users", None)
            .await;
        assert_eq!(run(&db, &operator(), &users, to, false).await.err(), Some(AppError::INTERNAL));
        assert_eq!(snapshot(&db).await, before);
        // And a forced move failing half-way through deleting the users' data.
        crate::server::storage::db::remove_failure(&db, "fail_move", "audit_event_users").await;
        crate::server::storage::db::inject_failure(&db, "fail_data", "DELETE", "meetings", None).await;
        assert_eq!(run(&db, &operator(), &users, to, true).await.err(), Some(AppError::INTERNAL));
        assert_eq!(snapshot(&db).await, before);
    }

    #[tokio::test]
    async fn capacity_and_bad_input_are_refused_and_change_nothing() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "se01.contoso.com").await);
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
            .bind(to.0)
            .fetch_one(&db)
            .await
            .unwrap();
        sqlx::query("UPDATE pools SET capacity = $1 WHERE id = $2")
            .bind(used + 2)
            .bind(to.0)
            .execute(&db)
            .await
            .unwrap();
        let users = users_of(&db, from, 3).await;
        let before = snapshot(&db).await;
        assert_eq!(
            run(&db, &operator(), &users, to, false).await.err(),
            Some(AppError::CapacityExceeded { capacity: used as u64 + 2, used: used as u64, adding: 3 })
        );
        assert_eq!(run(&db, &operator(), &[], to, false).await.err(), Some(AppError::EmptySelection));
        let not_enabled: i64 = sqlx::query_scalar(
            "SELECT id FROM directory_users d WHERE NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) LIMIT 1",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(
            run(&db, &operator(), &[UserId(not_enabled)], to, false).await.err(),
            Some(AppError::UnknownUsers)
        );
        let deactivated = pool(&db, "se02.contoso.com").await;
        assert_eq!(
            run(&db, &operator(), &users, deactivated, true).await.err(),
            Some(AppError::PoolNotUsable)
        );
        assert_eq!(
            run(&db, &operator(), &users, PoolId(999), false).await.err(),
            Some(AppError::PoolNotFound)
        );
        assert_eq!(snapshot(&db).await, before);
    }

    #[tokio::test]
    async fn unassigned_users_move_out_of_their_deactivated_pool_with_their_data() {
        let db = deployment().await;
        let (deactivated, to) = (pool(&db, "se02.contoso.com").await, pool(&db, "pool01.contoso.com").await);
        let users = users_of(&db, deactivated, 5).await;
        let contacts = data_of(&db, &users, "contacts").await;
        let run = run(&db, &operator(), &users, to, false).await.unwrap();
        assert_eq!(run.preview.totals.moving, 5);
        assert_eq!(data_of(&db, &users, "contacts").await, contacts);
        assert_eq!(unholdable_data(&db).await, 0);
    }

    /// Two moves of overlapping users, at the same time, on a real database file: each user
    /// ends in exactly one pool with all of its data there (or, forced, none of it).
    #[tokio::test]
    async fn concurrent_overlapping_moves_leave_every_user_whole() {
        let dir = std::env::temp_dir().join(format!("uc-admin-moves-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/moves.db", dir.display());
        let db = crate::server::storage::db::connect(&url).await.unwrap();
        seed::generate(&db, 400).await.unwrap();
        with_operator(&db).await;
        let (from, a, b) = (
            pool(&db, "pool01.contoso.com").await,
            pool(&db, "pool02.contoso.com").await,
            pool(&db, "se01.contoso.com").await,
        );
        let users = users_of(&db, from, 40).await;
        let (first, second) = (users[..30].to_vec(), users[10..].to_vec());
        let contacts = data_of(&db, &users, "contacts").await;
        let (db1, db2) = (db.clone(), db.clone());
        let t1 = tokio::spawn(async move { run(&db1, &operator(), &first, a, false).await });
        let t2 = tokio::spawn(async move { run(&db2, &operator(), &second, b, true).await });
        let (r1, r2) = (t1.await.unwrap().unwrap(), t2.await.unwrap().unwrap());
        // The moves ran one after the other: each moved all of its users, the overlap twice.
        assert_eq!((r1.preview.totals.moving, r2.preview.totals.moving), (30, 30));
        assert_eq!(unholdable_data(&db).await, 0);
        // Users only in the normal move kept their contacts; forced ones have none.
        assert_eq!(data_of(&db, &users[30..], "contacts").await, 0);
        assert!(data_of(&db, &users[..10], "contacts").await > 0 || contacts == 0);
        let homes: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT pool_id FROM enabled_users WHERE user_id IN ({})",
            users.iter().map(|u| u.0.to_string()).collect::<Vec<_>>().join(",")
        ))
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(homes.len(), 40);
        assert!(homes.iter().all(|p| *p == a.0 || *p == b.0));
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

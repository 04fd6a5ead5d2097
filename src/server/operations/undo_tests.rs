//! Undo: each kind of change goes back exactly (a dump of every row it touched, before the
//! change and after its undo), users changed since are skipped with the reason, an undo can be
//! undone, and expired snapshots go.

use super::*;
use crate::domain::jobs::{JobState, Started};
use crate::domain::operation::{MoveOptions, OrgMoveOptions, SelectionSource};
use crate::domain::org::OrgMoveTarget;
use crate::domain::search::UserTarget;
use crate::server::jobs::{self, JobSettings};
use crate::server::operations::configure::Configure;
use crate::server::operations::delete::Delete;
use crate::server::operations::moves::Move;
use crate::server::operations::moves::tests::{deployment, operator, pool, users_of};
use crate::server::operations::{needs_step_up, preview as op_preview, run, selection};
use crate::server::organizations::moves::OrgMove;
use std::time::Duration;

const INLINE: JobSettings = JobSettings {
    threshold: usize::MAX,
    chunk: 500,
    pause: Duration::ZERO,
    clock: crate::server::jobs::Clock::System,
};
const AS_JOB: JobSettings =
    JobSettings { threshold: 0, chunk: 3, pause: Duration::ZERO, clock: crate::server::jobs::Clock::System };

/// Every row of these users in every table a change can touch, and their data counts, as text.
async fn dump(db: &AnyPool, users: &[UserId]) -> Vec<String> {
    let engine = crate::server::storage::db::engine(db);
    let ids = ids_json(users).unwrap();
    let mut rows = Vec::new();
    let counts = Kept {
        table: "user_data_counts",
        per_user: true,
        columns: &[
            ("user_id", I),
            ("contacts", I),
            ("contact_groups", I),
            ("allowed", I),
            ("blocked", I),
            ("meetings", I),
            ("presence_items", I),
        ],
    };
    for table in KEPT.iter().chain([&counts]) {
        let columns: Vec<String> = table.columns.iter().map(|(c, _)| format!("t.{c}")).collect();
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let found: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT '{name}:' || CAST({array} AS TEXT) FROM {name} t WHERE t.user_id IN (SELECT value FROM {ids_rows} ids)",
            name = table.table,
            array = engine.json_array(&columns),
            ids_rows = engine.id_rows("$1"),
        ))
        .bind(&ids)
        .fetch_all(db)
        .await
        .unwrap();
        rows.extend(found);
    }
    rows.sort();
    rows
}

async fn select(db: &AnyPool, users: &[UserId]) -> crate::domain::operation::SelectionId {
    let source = SelectionSource::Users(UserTarget::Users(users.to_vec()));
    selection::create(db, &operator(), &source).await.unwrap().id
}

/// Waits for a job started by a run to stop.
async fn finished(db: &AnyPool, job: JobId) -> crate::domain::jobs::Job {
    let mut changes = jobs::changes();
    loop {
        let current = jobs::load(db, job).await.unwrap();
        if current.state.finished() {
            return current;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
    }
}

/// The audit event of a run: inline, its result's; as a job, the job's.
async fn event_of<T>(db: &AnyPool, started: Started<T>, event: impl Fn(&T) -> i64) -> i64 {
    match started {
        Started::Done(run) => event(&run),
        Started::Job(job) => finished(db, job).await.event_id,
        Started::Requested(_) => panic!("no approval policy here"),
    }
}

/// Previews and runs the undo of a change; returns the preview and the finished undo job.
async fn undo(db: &AnyPool, who: &Operator, change: i64) -> (UndoPreview, crate::domain::jobs::Job) {
    let previewed = preview(db, who, change).await.unwrap();
    let Started::Job(job) = run::<Undo>(db, INLINE, who, &previewed.token).await.unwrap() else {
        panic!("an undo is always a job")
    };
    (previewed.preview, finished(db, job).await)
}

async fn add_contact(db: &AnyPool, user: UserId) {
    sqlx::query(
        "INSERT INTO contacts (user_id, contact_uri, display_name) VALUES ($1, 'sip:new@contoso.com', 'New')",
    )
    .bind(user.0)
    .execute(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_kind_of_change_goes_back_exactly_inline_and_as_a_job() {
    let db = deployment().await;
    let (pool01, pool02) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    for settings in [INLINE, AS_JOB] {
        // Force move: home pool and every item of data.
        let users = users_of(&db, pool01, 7).await;
        let before = dump(&db, &users).await;
        let options = MoveOptions { destination: pool02, force: true };
        let token =
            op_preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap().token;
        let started = run::<Move>(&db, settings, &operator(), &token).await.unwrap();
        let change = event_of(&db, started, |r| r.event_id).await;
        assert_ne!(dump(&db, &users).await, before, "the force move changed them");
        let found = undoable(&db, change).await.unwrap().expect("undoable");
        assert_eq!((found.users, found.needs_password, found.bytes > 0), (7, true, true));
        let (planned, job) = undo(&db, &operator(), change).await;
        assert_eq!((planned.restored, planned.skipped_total()), (7, 0));
        assert_eq!((job.state, job.moved, job.refused), (JobState::Completed, 7, 0));
        assert_eq!(dump(&db, &users).await, before, "force move undone exactly");

        // Delete: enablement, settings and data come back.
        let users = users_of(&db, pool01, 5).await;
        let before = dump(&db, &users).await;
        let token =
            op_preview::<Delete>(&db, &operator(), select(&db, &users).await, &()).await.unwrap().token;
        let started = run::<Delete>(&db, settings, &operator(), &token).await.unwrap();
        let change = event_of(&db, started, |r| r.event_id).await;
        assert!(dump(&db, &users).await.iter().all(|row| !row.starts_with("enabled_users:")));
        let (_, job) = undo(&db, &operator(), change).await;
        assert_eq!(job.moved, 5);
        assert_eq!(dump(&db, &users).await, before, "delete undone exactly");

        // Configure: the settings come back.
        let users = users_of(&db, pool01, 4).await;
        let before = dump(&db, &users).await;
        let change_settings = crate::domain::configure::SettingsChange {
            federation: Some(true),
            public_im: Some(true),
            remote_access: Some(true),
            ..Default::default()
        };
        let token = op_preview::<Configure>(&db, &operator(), select(&db, &users).await, &change_settings)
            .await
            .unwrap()
            .token;
        let started = run::<Configure>(&db, settings, &operator(), &token).await.unwrap();
        let change = event_of(&db, started, |r| r.event_id).await;
        assert_ne!(dump(&db, &users).await, before);
        undo(&db, &operator(), change).await;
        assert_eq!(dump(&db, &users).await, before, "configure undone exactly");

        // A move (data follows the home pool): only the pool goes back.
        let users = users_of(&db, pool01, 6).await;
        let before = dump(&db, &users).await;
        let options = MoveOptions { destination: pool02, force: false };
        let token =
            op_preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap().token;
        let started = run::<Move>(&db, settings, &operator(), &token).await.unwrap();
        let change = event_of(&db, started, |r| r.event_id).await;
        assert!(!undoable(&db, change).await.unwrap().unwrap().needs_password);
        undo(&db, &operator(), change).await;
        assert_eq!(dump(&db, &users).await, before, "move undone exactly");
    }
}

#[tokio::test]
async fn an_organization_move_goes_back_with_its_revoked_roles() {
    use crate::server::organizations::orgs::tests::{enterprise, manager, place};
    let (db, _enterprise, a, b) = enterprise().await;
    let members = place(&db, a, 8).await;
    sqlx::query("INSERT INTO org_roles (user_id, org_id, role) VALUES ($1, $2, 'viewer')")
        .bind(members[0].0)
        .bind(a.0)
        .execute(&db)
        .await
        .unwrap();
    let before = dump(&db, &members).await;
    for settings in [INLINE, AS_JOB] {
        let source = SelectionSource::Members(OrgMoveTarget::Users(members.clone()));
        let chosen = selection::create(&db, &manager(), &source).await.unwrap();
        let options = OrgMoveOptions { to: b, lock_after_move: true };
        let token = op_preview::<OrgMove>(&db, &manager(), chosen.id, &options).await.unwrap().token;
        let started = run::<OrgMove>(&db, settings, &manager(), &token).await.unwrap();
        let change = event_of(&db, started, |r| r.event_id).await;
        assert_ne!(dump(&db, &members).await, before, "moved, locked, the role revoked");
        // A User Administrator may not undo what only an Enterprise User Manager may do.
        assert_eq!(preview(&db, &operator(), change).await.err(), Some(AppError::Forbidden));
        let (_, job) = undo(&db, &manager(), change).await;
        assert_eq!(job.moved, 8);
        assert_eq!(dump(&db, &members).await, before, "organization move undone exactly");
    }
}

#[tokio::test]
async fn users_changed_since_or_who_cannot_go_back_are_skipped_with_the_reason() {
    let db = deployment().await;
    let (pool01, pool02, se01) = (
        pool(&db, "pool01.contoso.com").await,
        pool(&db, "pool02.contoso.com").await,
        pool(&db, "se01.contoso.com").await,
    );
    let users = users_of(&db, pool01, 6).await;
    let options = MoveOptions { destination: pool02, force: true };
    let token =
        op_preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap().token;
    let Started::Done(moved) = run::<Move>(&db, INLINE, &operator(), &token).await.unwrap() else { panic!() };
    let change = moved.event_id;

    // Moved again, given new data, gone from the directory.
    let again = MoveOptions { destination: se01, force: false };
    let token =
        op_preview::<Move>(&db, &operator(), select(&db, &users[..1]).await, &again).await.unwrap().token;
    run::<Move>(&db, INLINE, &operator(), &token).await.unwrap();
    add_contact(&db, users[1]).await;
    sqlx::query("DELETE FROM directory_users WHERE id = $1").bind(users[2].0).execute(&db).await.unwrap();
    // pool01 has room for one of the three others.
    sqlx::query("UPDATE pools SET capacity = (SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1) + 1 WHERE id = $1")
        .bind(pool01.0)
        .execute(&db)
        .await
        .unwrap();
    let untouched = dump(&db, &users[..5]).await;

    let previewed = preview(&db, &operator(), change).await.unwrap();
    // In the preview's order (the move's, by name); by user here.
    let skip_of = |lines: &[UndoLine], user: UserId| lines.iter().find(|l| l.id == user).map(|l| l.skip);
    let lines = &previewed.preview.users;
    assert_eq!(skip_of(lines, users[0]), Some(Some(UndoSkip::ChangedSince)), "moved again");
    assert_eq!(skip_of(lines, users[1]), Some(Some(UndoSkip::ChangedSince)), "new data");
    assert_eq!(skip_of(lines, users[2]), Some(Some(UndoSkip::UserDeleted)));
    let mut others: Vec<Option<UndoSkip>> = users[3..].iter().map(|u| skip_of(lines, *u).unwrap()).collect();
    others.sort();
    assert_eq!(others, vec![None, Some(UndoSkip::PoolFull), Some(UndoSkip::PoolFull)], "room for one");
    assert_eq!(previewed.preview.restored, 1);
    assert_eq!(
        previewed.preview.skipped,
        crate::domain::undo::skip_counts([
            UndoSkip::ChangedSince,
            UndoSkip::ChangedSince,
            UndoSkip::UserDeleted,
            UndoSkip::PoolFull,
            UndoSkip::PoolFull
        ])
    );
    // The capacity changes before the run: the preview is no longer what the run would do.
    sqlx::query("UPDATE pools SET capacity = capacity + 10 WHERE id = $1")
        .bind(pool01.0)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        run::<Undo>(&db, INLINE, &operator(), &previewed.token).await.err(),
        Some(AppError::SelectionChanged)
    );
    assert_eq!(dump(&db, &users[..5]).await, untouched, "nothing done");

    // Deactivated now: nobody can go back to it.
    sqlx::query("UPDATE pools SET state = 'deactivated' WHERE id = $1")
        .bind(pool01.0)
        .execute(&db)
        .await
        .unwrap();
    let blocked = preview(&db, &operator(), change).await.unwrap();
    assert_eq!(blocked.preview.restored, 0);
    assert!(
        users[3..]
            .iter()
            .all(|u| skip_of(&blocked.preview.users, *u) == Some(Some(UndoSkip::PoolUnavailable)))
    );
    assert_eq!(
        run::<Undo>(&db, INLINE, &operator(), &blocked.token).await.err(),
        Some(AppError::NothingToUndo)
    );
    sqlx::query("UPDATE pools SET state = 'active' WHERE id = $1").bind(pool01.0).execute(&db).await.unwrap();

    let (_, job) = undo(&db, &operator(), change).await;
    assert_eq!((job.moved, job.refused), (3, 3));
    let lines = jobs::lines(&db, job.id, crate::domain::jobs::JobLineFilter::All, 1).await.unwrap();
    let outcome_of = |user: UserId| lines.items.iter().find(|l| l.id == user).map(|l| l.outcome);
    assert_eq!(
        outcome_of(users[2]),
        Some(crate::domain::jobs::JobUserOutcome::NotRestored(UndoSkip::UserDeleted))
    );
    let restored: Vec<UserId> = users[3..]
        .iter()
        .copied()
        .filter(|u| outcome_of(*u) == Some(crate::domain::jobs::JobUserOutcome::Restored))
        .collect();
    assert_eq!(restored.len(), 3, "the capacity was raised since: all three went back");
    // Those put back are marked: a second undo of the same change skips them.
    let second = preview(&db, &operator(), change).await.unwrap();
    assert!(
        restored.iter().all(|u| skip_of(&second.preview.users, *u) == Some(Some(UndoSkip::AlreadyUndone)))
    );
    // The undo is audited as an undo of that change.
    let audited: String = sqlx::query_scalar("SELECT parameters FROM audit_events WHERE operation = 'undo'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(audited.contains(&format!("\"of_event\":{change}")), "{audited}");
}

#[tokio::test]
async fn an_undo_can_be_undone_and_asks_for_the_password_when_the_change_deleted_data() {
    let db = deployment().await;
    let (pool01, pool02) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, pool01, 4).await;
    let before = dump(&db, &users).await;
    let options = MoveOptions { destination: pool02, force: true };
    let token =
        op_preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap().token;
    let Started::Done(moved) = run::<Move>(&db, INLINE, &operator(), &token).await.unwrap() else { panic!() };
    let after_move = dump(&db, &users).await;
    let previewed = preview(&db, &operator(), moved.event_id).await.unwrap();
    assert!(needs_step_up::<Undo>(&db, &operator(), &previewed.token).await.unwrap());
    let (_, undone) = undo(&db, &operator(), moved.event_id).await;
    assert_eq!(dump(&db, &users).await, before);
    // Undoing the undo: the force move's state again (the data gone again, so the password).
    let again = preview(&db, &operator(), undone.event_id).await.unwrap();
    assert_eq!(again.preview.change.job, Some(undone.id));
    assert!(again.preview.change.needs_password);
    let (_, redone) = undo(&db, &operator(), undone.event_id).await;
    assert_eq!(redone.moved, 4);
    assert_eq!(dump(&db, &users).await, after_move);
}

#[tokio::test]
async fn expired_snapshots_are_removed_and_cannot_be_undone() {
    let db = deployment().await;
    let (pool01, pool02) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, pool01, 3).await;
    let options = MoveOptions { destination: pool02, force: true };
    let token =
        op_preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap().token;
    let Started::Done(moved) = run::<Move>(&db, INLINE, &operator(), &token).await.unwrap() else { panic!() };
    assert_eq!(remove_expired(&db).await, Ok(0), "not expired yet");
    assert_eq!(usage(&db).await.unwrap().0, 1);
    sqlx::query("UPDATE undo_snapshots SET expires_at = $1").bind(now() - 1).execute(&db).await.unwrap();
    assert_eq!(undoable(&db, moved.event_id).await, Ok(None), "expired: no longer offered");
    assert_eq!(preview(&db, &operator(), moved.event_id).await.err(), Some(AppError::UndoNotAvailable));
    assert_eq!(remove_expired(&db).await, Ok(1));
    for table in ["undo_snapshots", "undo_users", "undo_rows"] {
        let left: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db).await.unwrap();
        assert_eq!(left, 0, "{table}");
    }
    assert_eq!(usage(&db).await.unwrap(), (0, 0, 0));
    // A change nobody was changed by, and an enable, keep nothing to undo.
    assert_eq!(undoable(&db, 999_999).await, Ok(None));
}

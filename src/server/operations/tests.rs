//! The shape every operation shares: selection → preview (with its token) → run of the token.

use super::delete::Delete;
use super::moves::Move;
use super::moves::tests::{deployment, operator, pool, users_of};
use super::{Operation, needs_step_up, preview, run, selection};
use crate::domain::AppError;
use crate::domain::jobs::{JobState, Started};
use crate::domain::operation::{MoveOptions, OrgMoveOptions, PreviewToken, SelectionSource};
use crate::domain::operator::{Operator, OperatorId};
use crate::domain::org::OrgMoveTarget;
use crate::domain::search::UserTarget;
use crate::domain::user::UserId;
use crate::server::jobs::{self, JobSettings};
use crate::server::organizations::moves::OrgMove;
use sqlx::AnyPool;
use std::time::Duration;

const INLINE: JobSettings = JobSettings {
    threshold: usize::MAX,
    chunk: 500,
    pause: Duration::ZERO,
    clock: crate::server::jobs::Clock::System,
};

async fn select(db: &AnyPool, users: &[UserId]) -> crate::domain::operation::SelectionId {
    let source = SelectionSource::Users(UserTarget::Users(users.to_vec()));
    selection::create(db, &operator(), &source).await.unwrap().id
}

async fn homes(db: &AnyPool) -> Vec<(i64, i64)> {
    sqlx::query_as("SELECT user_id, pool_id FROM enabled_users ORDER BY user_id").fetch_all(db).await.unwrap()
}

#[tokio::test]
async fn a_run_does_exactly_the_preview_once_and_only_for_whoever_previewed_it() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 6).await;
    let chosen = select(&db, &users).await;
    let options = MoveOptions { destination: to, force: false };
    let previewed = preview::<Move>(&db, &operator(), chosen, &options).await.unwrap();
    assert_eq!((previewed.lines, previewed.preview.totals.moving), (6, 6));
    // Nothing changed by the preview.
    assert_eq!(users_of(&db, to, 10_000).await.iter().filter(|u| users.contains(u)).count(), 0);

    // Another operator cannot run it, nor a different operation.
    let other = Operator { id: OperatorId(2), ..operator() };
    assert_eq!(
        run::<Move>(&db, INLINE, &other, &previewed.token).await.err(),
        Some(AppError::PreviewExpired)
    );
    assert_eq!(
        run::<Delete>(&db, INLINE, &operator(), &previewed.token).await.err(),
        Some(AppError::PreviewExpired)
    );
    let forged = PreviewToken("0".repeat(64));
    assert_eq!(run::<Move>(&db, INLINE, &operator(), &forged).await.err(), Some(AppError::PreviewExpired));

    let Started::Done(done) = run::<Move>(&db, INLINE, &operator(), &previewed.token).await.unwrap() else {
        panic!("six users move inline")
    };
    assert_eq!(done.preview.totals, previewed.preview.totals);
    assert_eq!(users_of(&db, to, 10_000).await.iter().filter(|u| users.contains(u)).count(), 6);
    // A token runs once.
    assert_eq!(
        run::<Move>(&db, INLINE, &operator(), &previewed.token).await.err(),
        Some(AppError::PreviewExpired)
    );
}

#[tokio::test]
async fn a_preview_token_is_refused_once_its_users_changed_and_nothing_is_done() {
    let db = deployment().await;
    let (from, to, other) = (
        pool(&db, "pool01.contoso.com").await,
        pool(&db, "pool02.contoso.com").await,
        pool(&db, "se01.contoso.com").await,
    );
    let users = users_of(&db, from, 5).await;
    let options = MoveOptions { destination: to, force: false };
    let previewed = preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap();
    // Someone else moves one of the users elsewhere before the run.
    let moved = select(&db, &users[2..3]).await;
    let elsewhere = MoveOptions { destination: other, force: false };
    let theirs = preview::<Move>(&db, &operator(), moved, &elsewhere).await.unwrap();
    run::<Move>(&db, INLINE, &operator(), &theirs.token).await.unwrap();
    let before = homes(&db).await;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();

    assert_eq!(
        run::<Move>(&db, INLINE, &operator(), &previewed.token).await.err(),
        Some(AppError::SelectionChanged)
    );
    assert_eq!(homes(&db).await, before, "nobody moved");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
    assert_eq!(after, events, "nothing audited");

    // A user gone from the service since the preview is a change too, for a delete as well.
    let doomed = users_of(&db, to, 3).await;
    let delete = preview::<Delete>(&db, &operator(), select(&db, &doomed).await, &()).await.unwrap();
    sqlx::query("DELETE FROM enabled_users WHERE user_id = $1").bind(doomed[0].0).execute(&db).await.unwrap();
    assert_eq!(
        run::<Delete>(&db, INLINE, &operator(), &delete.token).await.err(),
        Some(AppError::SelectionChanged)
    );
    let left: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM enabled_users WHERE user_id IN ({}, {})",
        doomed[1].0, doomed[2].0
    ))
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, 2);
}

#[tokio::test]
async fn step_up_is_asked_for_force_moves_and_deletes_only() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let chosen = select(&db, &users_of(&db, from, 2).await).await;
    let asks = async |force| {
        let options = MoveOptions { destination: to, force };
        let token = preview::<Move>(&db, &operator(), chosen, &options).await.unwrap().token;
        needs_step_up::<Move>(&db, &operator(), &token).await.unwrap()
    };
    assert!(!asks(false).await);
    assert!(asks(true).await);
    let delete = preview::<Delete>(&db, &operator(), chosen, &()).await.unwrap().token;
    assert!(needs_step_up::<Delete>(&db, &operator(), &delete).await.unwrap());
    assert!(Delete::needs_step_up(&()));
}

/// Above the threshold the service records a job (in the run's transaction) and starts it;
/// the job does what the preview said.
#[tokio::test]
async fn a_large_run_becomes_a_job_that_the_service_starts() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 25).await;
    let options = MoveOptions { destination: to, force: false };
    let previewed = preview::<Move>(&db, &operator(), select(&db, &users).await, &options).await.unwrap();
    let settings = JobSettings {
        threshold: 10,
        chunk: 4,
        pause: Duration::ZERO,
        clock: crate::server::jobs::Clock::System,
    };
    let Started::Job(job) = run::<Move>(&db, settings, &operator(), &previewed.token).await.unwrap() else {
        panic!("25 users above a threshold of 10 run as a job")
    };
    let mut changes = jobs::changes();
    let finished = loop {
        let current = jobs::load(&db, job).await.unwrap();
        if current.state.finished() {
            break current;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
    };
    assert_eq!((finished.state, finished.moved, finished.total), (JobState::Completed, 25, 25));
    assert_eq!(users_of(&db, to, 10_000).await.iter().filter(|u| users.contains(u)).count(), 25);
}

/// An organization move is a job like the others: it goes on without the browser, and after a
/// restart it resumes where it stopped; household members chosen along keep their history.
#[tokio::test]
async fn an_organization_move_job_survives_a_restart_and_keeps_households_together() {
    use crate::server::organizations::orgs::tests::{enterprise, manager, place};
    let (db, _enterprise, a, b) = enterprise().await;
    let members = place(&db, a, 12).await;
    // One household: the first member chosen, the last one comes along.
    sqlx::query("INSERT INTO households (id, name) VALUES (90, 'Family') ON CONFLICT DO NOTHING")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE org_members SET household_id = 90 WHERE user_id IN ($1, $2)")
        .bind(members[0].0)
        .bind(members[11].0)
        .execute(&db)
        .await
        .unwrap();
    let chosen: Vec<UserId> = members[..11].to_vec();
    let source = SelectionSource::Members(OrgMoveTarget::Users(chosen));
    let selection = selection::create(&db, &manager(), &source).await.unwrap();
    let options = OrgMoveOptions { to: b, lock_after_move: false };
    let previewed = preview::<OrgMove>(&db, &manager(), selection.id, &options).await.unwrap();
    assert_eq!((previewed.lines, previewed.preview.moving, previewed.preview.along), (12, 12, 1));
    // A threshold of zero, and no task: the test drives the job chunk by chunk.
    let settings = JobSettings {
        threshold: 0,
        chunk: 5,
        pause: Duration::from_secs(3600),
        clock: crate::server::jobs::Clock::System,
    };
    let Started::Job(job) = run::<OrgMove>(&db, settings, &manager(), &previewed.token).await.unwrap() else {
        panic!("a job")
    };
    // The job's own task ran its first chunk and now pauses for an hour: the server stops.
    let mut changes = jobs::changes();
    while jobs::load(&db, job).await.unwrap().done == 0 {
        let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
    }
    assert_eq!(jobs::recover(&db, settings).await.unwrap(), (1, Vec::new()));
    let stopped = jobs::load(&db, job).await.unwrap();
    assert_eq!((stopped.state, stopped.done), (JobState::Interrupted, 5));
    let in_b: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_members WHERE org_id = $1")
        .bind(b.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(in_b, 5, "exactly the first chunk moved");
    jobs::reopen(&db, (&manager()).into(), job).await.unwrap();
    let fast = JobSettings {
        threshold: 0,
        chunk: 5,
        pause: Duration::ZERO,
        clock: crate::server::jobs::Clock::System,
    };
    assert_eq!(jobs::drive(db.clone(), job, fast).await, JobState::Completed);
    let done = jobs::load(&db, job).await.unwrap();
    assert_eq!((done.done, done.moved, done.destination_fqdn.is_empty()), (12, 12, false));
    let along: Option<String> = sqlx::query_scalar("SELECT along_with FROM org_moves WHERE user_id = $1")
        .bind(members[11].0)
        .fetch_one(&db)
        .await
        .unwrap();
    let chosen_name: String = sqlx::query_scalar("SELECT display_name FROM directory_users WHERE id = $1")
        .bind(members[0].0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(along, Some(chosen_name), "the household member's history names whom it came with");
    let ends: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'org_move_job_end'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(ends, 1);
}

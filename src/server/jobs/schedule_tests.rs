//! Job windows and pace against a clock the tests set: a scheduled job waits for its start, a
//! windowed job pauses between chunks when its window closes and resumes in the next one, an
//! operator can start a waiting job at once or close it, and a destination that fills up while
//! a job runs refuses the rest of its users one by one.

use super::*;
use crate::domain::jobs::Started;
use crate::domain::operation::{MoveOptions, SelectionSource};
use crate::domain::schedule::{ScheduleProblem, ScheduleRequest};
use crate::domain::search::UserTarget;
use crate::server::operations::moves::Move;
use crate::server::operations::moves::tests::{create_job, deployment, operator, pool, users_of};
use crate::server::operations::{self, selection};

const HOUR: i64 = 3_600_000;

/// 23:00 UTC on 7 December 2026.
const NIGHT: i64 = 1_796_684_400_000;

fn settings(clock: Clock) -> JobSettings {
    JobSettings { threshold: 0, chunk: 7, pause: Duration::ZERO, clock }
}

fn night_window() -> JobSchedule {
    let asked = ScheduleRequest {
        window_opens: "22:00".into(),
        window_closes: "05:00".into(),
        time_zone: "UTC".into(),
        ..Default::default()
    };
    schedule::resolve(&asked, 0).unwrap().unwrap()
}

async fn scheduled(db: &AnyPool, job: JobId, schedule: &JobSchedule, settings: JobSettings) {
    in_write(db, async |conn| schedule_job(conn, job, schedule, settings).await).await.unwrap();
}

async fn moved_to(db: &AnyPool, users: &[UserId], to: PoolId) -> usize {
    let there = users_of(db, to, 100_000).await;
    users.iter().filter(|u| there.contains(u)).count()
}

/// Waits (real time) for the job's task to leave it in a state other than running.
async fn settled(db: &AnyPool, job: JobId) -> Job {
    for _ in 0..600 {
        let current = load(db, job).await.unwrap();
        if current.state != JobState::Running {
            return current;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} still running after 30 s");
}

async fn audit_operations(db: &AnyPool) -> Vec<(String, String)> {
    sqlx::query_as("SELECT operation, operator_name FROM audit_events ORDER BY id")
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_scheduled_job_waits_for_its_start_and_is_taken_up_when_it_comes() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 20).await;
    let clock = Clock::manual(NIGHT);
    let job = create_job(&db, &operator(), &users, to, false).await.unwrap();
    let schedule = JobSchedule { start_at_ms: Some(NIGHT + HOUR), ..night_window() };
    scheduled(&db, job, &schedule, settings(clock)).await;

    let waiting = load(&db, job).await.unwrap();
    assert_eq!(waiting.state, JobState::Scheduled);
    assert_eq!(waiting.wakes_at.as_ref().map(|w| w.at), Some((NIGHT + HOUR) / 1000));
    assert_eq!(
        waiting.schedule.as_ref().map(|s| s.chunk_users),
        Some(7),
        "the chunk size is kept for the estimate"
    );
    // A restart leaves it alone; a driver that finds it stops at once; nothing moved.
    assert_eq!(recover(&db, settings(clock)).await.unwrap(), (0, vec![]));
    assert_eq!(run_chunk_at(&db, job, 7, NIGHT).await.unwrap(), ChunkStep::Stopped(JobState::Scheduled));
    assert_eq!(wake_due(&db, settings(clock)).await.unwrap(), vec![], "not yet");
    assert_eq!(moved_to(&db, &users, to).await, 0);

    clock.set_ms(NIGHT + HOUR);
    assert_eq!(wake_due(&db, settings(clock)).await.unwrap(), vec![job]);
    assert_eq!(wake_due(&db, settings(clock)).await.unwrap(), vec![], "taken up once");
    assert_eq!(settled(&db, job).await.state, JobState::Completed);
    assert_eq!(moved_to(&db, &users, to).await, 20);
    let resumed = audit_operations(&db).await;
    assert!(resumed.contains(&("move_job_resume".into(), "job schedule".into())), "{resumed:?}");
}

#[tokio::test]
async fn outside_its_window_a_job_pauses_between_chunks_and_resumes_in_the_next_window() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 20).await;
    let clock = Clock::manual(NIGHT);
    let job = create_job(&db, &operator(), &users, to, false).await.unwrap();
    scheduled(&db, job, &night_window(), settings(clock)).await;
    assert_eq!(load(&db, job).await.unwrap().state, JobState::Running, "the window is open at 23:00");

    assert_eq!(run_chunk_at(&db, job, 7, NIGHT).await.unwrap(), ChunkStep::More);
    // 05:00: the window has closed; the next chunk pauses the job instead.
    let morning = NIGHT + 6 * HOUR;
    assert_eq!(run_chunk_at(&db, job, 7, morning).await.unwrap(), ChunkStep::Stopped(JobState::Paused));
    let paused = load(&db, job).await.unwrap();
    assert_eq!((paused.state, paused.done, paused.runner.as_deref()), (JobState::Paused, 7, None));
    let evening = NIGHT + 23 * HOUR;
    assert_eq!(paused.wakes_at.as_ref().map(|w| w.at), Some(evening / 1000), "22:00 the next day");
    assert_eq!(moved_to(&db, &users, to).await, 7);
    assert!(audit_operations(&db).await.contains(&("move_job_pause".into(), "job schedule".into())));

    // Noon: still closed. A keeper that looks too early (its clock behind) takes nothing.
    clock.set_ms(NIGHT + 13 * HOUR);
    assert_eq!(wake_due(&db, settings(clock)).await.unwrap(), vec![]);
    clock.set_ms(evening);
    assert_eq!(wake_due(&db, settings(clock)).await.unwrap(), vec![job]);
    assert_eq!(settled(&db, job).await.state, JobState::Completed);
    assert_eq!(moved_to(&db, &users, to).await, 20);
}

#[tokio::test]
async fn an_operator_starts_a_waiting_job_at_once_or_closes_it() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 20).await;
    let clock = Clock::manual(NIGHT + 6 * HOUR);
    let (first, second) = users.split_at(10);
    let closed = create_job(&db, &operator(), first, to, false).await.unwrap();
    scheduled(
        &db,
        closed,
        &JobSchedule { start_at_ms: Some(NIGHT + 8 * HOUR), ..night_window() },
        settings(clock),
    )
    .await;
    cancel(&db, &operator(), closed).await.unwrap();
    let cancelled = load(&db, closed).await.unwrap();
    assert_eq!((cancelled.state, cancelled.wakes_at), (JobState::Cancelled, None));
    assert_eq!(wake_due(&db, settings(Clock::manual(NIGHT + 100 * HOUR))).await.unwrap(), vec![]);

    // Paused at 05:00; "Start now" runs it to the end outside its window, at its pace.
    let started = create_job(&db, &operator(), second, to, false).await.unwrap();
    scheduled(&db, started, &night_window(), settings(clock)).await;
    assert_eq!(load(&db, started).await.unwrap().state, JobState::Paused);
    resume(&db, settings(clock), &operator(), started).await.unwrap();
    let done = settled(&db, started).await;
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(done.schedule.and_then(|s| s.window), None, "started now, it no longer waits for a window");
    assert_eq!(moved_to(&db, &users, to).await, 10);
}

#[tokio::test]
async fn the_pace_spaces_the_chunks() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 21).await;
    let job = create_job(&db, &operator(), &users, to, false).await.unwrap();
    let paced = JobSchedule { chunk_interval_ms: Some(250), window: None, ..night_window() };
    scheduled(&db, job, &paced, settings(Clock::System)).await;
    let began = std::time::Instant::now();
    assert_eq!(drive(db.clone(), job, settings(Clock::System)).await, JobState::Completed);
    // Three chunks and the end: at least three intervals between the first start and the end.
    assert!(began.elapsed() >= Duration::from_millis(750), "{:?}", began.elapsed());
    assert_eq!(moved_to(&db, &users, to).await, 21);
}

#[tokio::test]
async fn a_destination_that_fills_up_during_a_job_refuses_the_rest_one_by_one() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 10).await;
    let job = create_job(&db, &operator(), &users, to, false).await.unwrap();
    // Others moved in since the preview: room for four.
    let there: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
        .bind(to.0)
        .fetch_one(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE pools SET capacity = $1 WHERE id = $2")
        .bind(there + 4)
        .bind(to.0)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(drive(db.clone(), job, settings(Clock::System)).await, JobState::Completed);
    let done = load(&db, job).await.unwrap();
    assert_eq!((done.moved, done.refused), (4, 6));
    assert_eq!(moved_to(&db, &users, to).await, 4);
    let left_out = left_out_by_reason(&db, job).await.unwrap();
    assert_eq!(left_out.len(), 1);
    assert_eq!(left_out[0].users, 6);
    assert_eq!(left_out[0].outcome, JobUserOutcome::Refused(MoveRefusal::DestinationFull));
}

#[tokio::test]
async fn a_scheduled_preview_runs_as_a_job_however_few_its_users_and_a_bad_one_changes_nothing() {
    let db = deployment().await;
    let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let users = users_of(&db, from, 3).await;
    let source = SelectionSource::Users(UserTarget::Users(users.clone()));
    let chosen = selection::create(&db, &operator(), &source).await.unwrap().id;
    let options = MoveOptions { destination: to, force: false };
    let previews =
        async || -> i64 { sqlx::query_scalar("SELECT COUNT(*) FROM previews").fetch_one(&db).await.unwrap() };
    let before = previews().await;
    for (asked, problem) in [
        (ScheduleRequest { pace: "fast".into(), ..Default::default() }, ScheduleProblem::InvalidPace),
        (
            ScheduleRequest { start_at: "2020-01-01T00:00".into(), ..Default::default() },
            ScheduleProblem::StartInThePast,
        ),
        (
            ScheduleRequest { window_opens: "22:00".into(), ..Default::default() },
            ScheduleProblem::HalfAWindow,
        ),
    ] {
        let refused = operations::preview_scheduled::<Move>(&db, &operator(), chosen, &options, &asked).await;
        assert_eq!(refused.err(), Some(AppError::InvalidSchedule { problem }));
    }
    assert_eq!(previews().await, before, "a refused schedule stores no preview");

    // Tomorrow at this time, in Paris.
    let tomorrow = jiff::Timestamp::from_millisecond(crate::server::now_ms() + 24 * HOUR)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .datetime();
    let asked = ScheduleRequest {
        start_at: format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            tomorrow.year(),
            tomorrow.month(),
            tomorrow.day(),
            tomorrow.hour(),
            tomorrow.minute()
        ),
        pace: "0,5".into(),
        time_zone: "Europe/Paris".into(),
        ..Default::default()
    };
    let previewed =
        operations::preview_scheduled::<Move>(&db, &operator(), chosen, &options, &asked).await.unwrap();
    let summary = previewed.schedule.clone().unwrap();
    assert_eq!(summary.schedule.chunk_interval_ms, Some(2_000));
    assert_eq!(summary.first_run.as_ref().map(|f| f.zone.as_str()), Some("Europe/Paris"));
    let inline = JobSettings { threshold: usize::MAX, ..settings(Clock::System) };
    let Started::Job(job) =
        operations::run::<Move>(&db, inline, &operator(), &previewed.token).await.unwrap()
    else {
        panic!("a scheduled run is a job, even of three users")
    };
    let waiting = load(&db, job).await.unwrap();
    assert_eq!(waiting.state, JobState::Scheduled);
    assert_eq!(waiting.wakes_at.map(|w| w.at), summary.first_run.map(|f| f.at));
    assert!(waiting.finishes_about.is_some(), "at its pace, from its start");
    assert_eq!(moved_to(&db, &users, to).await, 0);
}

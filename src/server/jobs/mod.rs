//! Jobs: a large bulk operation (move, delete, configure) is validated once as a whole, its
//! users recorded in preview order, and then processed chunk by chunk by a background task.
//! Each chunk judges its users from their state at that moment and commits, in one
//! transaction, the change, the users' outcomes, the job's counters and the audit lines. So at
//! any instant, including after a crash, every user is either processed or untouched, the job
//! says exactly which, and no transaction holds the write lock for longer than one chunk.
//!
//! What each kind does to a chunk lives with its service (`moves`, `delete`, `configure`);
//! this module decides inline or job, records, drives, cancels and resumes.

use crate::domain::AppError;
use crate::domain::configure::SettingsChange;
use crate::domain::jobs::{
    JOB_LINES_PER_PAGE, Job, JobId, JobKind, JobLineFilter, JobState, JobUserLine, JobUserOutcome, LeftOut,
};
use crate::domain::moves::MoveRefusal;
use crate::domain::operation::OrgMoveOptions;
use crate::domain::operator::Operator;
use crate::domain::paging::{Page, PageRequest};
use crate::domain::pool::PoolId;
use crate::domain::schedule::{JobSchedule, Waiting};
use crate::domain::user::UserId;
use crate::server::security::audit::{self, Actor};
use crate::server::storage::db::Engine;
use crate::server::storage::db::in_write;
use crate::server::storage::flag::Flag;
use crate::server::{lifecycle, now, now_ms};
use schedule::WindowNow;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashMap;
use std::time::Duration;

pub use crate::server::config::JobSettings;
pub use schedule::Clock;

pub mod schedule;

/// Who this portal process is among the portals (replicas) sharing one database, and how long
/// its hold on a job lasts without being renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub name: String,
    pub lease: Duration,
}

/// How long a job stays with a replica that stopped renewing its lease, by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

static REPLICA: std::sync::OnceLock<Replica> = std::sync::OnceLock::new();

/// Names this process among the replicas: once, at start, before any job runs.
pub fn set_replica(replica: Replica) {
    if REPLICA.set(replica).is_err() {
        tracing::warn!("the replica was named already; the first name stays");
    }
}

/// This process's replica: as set at start, or `local` (tests, one-off commands).
pub fn replica() -> &'static Replica {
    REPLICA.get_or_init(|| Replica { name: "local".into(), lease: DEFAULT_LEASE })
}

/// Until when a lease taken or renewed now lasts.
fn lease_until() -> i64 {
    now_ms() + replica().lease.as_millis() as i64
}

/// What a job does, with what it needs.
#[derive(Debug, Clone)]
pub enum JobWork {
    Move { destination: PoolId, force: bool },
    Delete,
    Configure(SettingsChange),
    OrgMove(OrgMoveOptions),
    Undo(crate::domain::undo::UndoOf),
}

impl JobWork {
    fn kind(&self) -> JobKind {
        match self {
            JobWork::Move { .. } => JobKind::Move,
            JobWork::Delete => JobKind::Delete,
            JobWork::Configure(_) => JobKind::Configure,
            JobWork::OrgMove(_) => JobKind::OrgMove,
            JobWork::Undo(_) => JobKind::Undo,
        }
    }
}

/// The id the next recorded job gets: services name it in the audit event they write first.
pub(crate) async fn next_id(conn: &mut AnyConnection) -> Result<JobId, AppError> {
    let id: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM jobs").fetch_one(&mut *conn).await?;
    Ok(JobId(id))
}

/// One user of a job, as recorded: in plan order, with its name for the job page and, in an
/// organization move, the chosen user it comes along with.
pub struct JobLine<'a> {
    pub user: UserId,
    pub name: &'a str,
    pub along_with: Option<UserId>,
}

impl<'a> JobLine<'a> {
    pub fn new(user: UserId, name: &'a str) -> JobLine<'a> {
        JobLine { user, name, along_with: None }
    }
}

/// Records a validated job with its users in plan order, inside the caller's transaction.
/// `event_id` is the audit event that collects the per-user lines.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    id: JobId,
    operator: &Operator,
    work: &JobWork,
    event_id: i64,
    users: &[JobLine<'_>],
) -> Result<JobId, AppError> {
    if users.is_empty() {
        return Err(AppError::EmptySelection);
    }
    let json = |value: serde_json::Result<String>| value.map_err(|_| AppError::INTERNAL);
    let (destination, force, settings) = match work {
        JobWork::Move { destination, force } => (Some(destination.0), *force, None),
        JobWork::Delete => (None, false, None),
        JobWork::Configure(change) => (None, false, Some(json(serde_json::to_string(change))?)),
        JobWork::OrgMove(options) => (None, false, Some(json(serde_json::to_string(options))?)),
        JobWork::Undo(of) => (None, false, Some(json(serde_json::to_string(of))?)),
    };
    let at = now_ms();
    sqlx::query(
        "INSERT INTO jobs (id, kind, operator_id, operator_name, destination_id, force, settings, state,
                           total, event_id, created_at, run_started_ms, updated_ms, runner, lease_until_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(id.0)
    .bind(work.kind().as_str())
    .bind(operator.id.0)
    .bind(&operator.username)
    .bind(destination)
    .bind(Flag(force))
    .bind(settings)
    .bind(users.len() as i64)
    .bind(event_id)
    .bind(at / 1000)
    .bind(at)
    .bind(at)
    .bind(&replica().name)
    .bind(lease_until())
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(i64, &str, Option<i64>)> =
        users.iter().map(|l| (l.user.0, l.name, l.along_with.map(|a| a.0))).collect();
    sqlx::query(&format!(
        "INSERT INTO job_users (job_id, position, user_id, display_name, along_with)
         SELECT $1, key, CAST(value ->> 0 AS BIGINT), value ->> 1, CAST(value ->> 2 AS BIGINT) FROM {} j",
        Engine::of(conn).json_rows("$2")
    ))
    .bind(id.0)
    .bind(serde_json::to_string(&rows).map_err(|_| AppError::INTERNAL)?)
    .execute(&mut *conn)
    .await?;
    crate::server::operations::undo::open_for_job(conn, id, work, event_id).await?;
    Ok(id)
}

/// What one call of `run_chunk` left the job in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkStep {
    /// Users remain.
    More,
    /// The job is no longer running (finished, cancelled, or stopped by someone else).
    Stopped(JobState),
    /// Another replica holds the job now (it took the job over after this one's lease
    /// expired): this one stops driving it.
    Elsewhere,
}

/// What a chunk did to one of its users, as the kind's service reports it.
pub(crate) struct ChunkLine {
    pub user: UserId,
    pub outcome: JobUserOutcome,
    pub data_kept: u64,
    pub data_lost: u64,
    /// The reason the audit line gives (a refusal, a skip, or `data_lost`).
    pub audit_reason: Option<&'static str>,
    /// The pool the user was homed on.
    pub pool: Option<String>,
    /// The user's SIP URI (`sip:…`) when the chunk removed it; otherwise the audit line reads it.
    pub sip_uri: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobHead {
    kind: String,
    state: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    cancel_requested: bool,
    done: i64,
    total: i64,
    destination_id: Option<i64>,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    force: bool,
    settings: Option<String>,
    event_id: i64,
    operator_id: Option<i64>,
    operator_name: String,
    runner: Option<String>,
    lease_until_ms: i64,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    resume_at_start: bool,
    schedule: Option<String>,
    waiting: Option<String>,
}

impl JobHead {
    fn held_here(&self) -> bool {
        self.runner.as_deref() == Some(replica().name.as_str())
    }

    fn kind(&self) -> JobKind {
        self.kind.parse().unwrap_or(JobKind::Move)
    }

    fn work(&self) -> Result<JobWork, AppError> {
        let corrupt = |what: &str| crate::server::storage::error::corrupt(what, &self.kind);
        Ok(match self.kind() {
            JobKind::Move => JobWork::Move {
                destination: PoolId(self.destination_id.ok_or_else(|| corrupt("job destination"))?),
                force: self.force,
            },
            JobKind::Delete => JobWork::Delete,
            JobKind::Configure => JobWork::Configure(self.settings().ok_or_else(|| corrupt("job settings"))?),
            JobKind::OrgMove => JobWork::OrgMove(self.settings().ok_or_else(|| corrupt("job settings"))?),
            JobKind::Undo => JobWork::Undo(self.settings().ok_or_else(|| corrupt("job settings"))?),
        })
    }

    fn settings<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.settings.as_deref().and_then(|s| serde_json::from_str(s).ok())
    }

    fn schedule(&self) -> Option<JobSchedule> {
        self.schedule.as_deref().and_then(|s| serde_json::from_str(s).ok())
    }
}

async fn head(conn: &mut AnyConnection, job: JobId) -> Result<JobHead, AppError> {
    sqlx::query_as(
        "SELECT kind, state, cancel_requested, done, total, destination_id, force, settings, event_id,
                operator_id, operator_name, runner, lease_until_ms, resume_at_start, schedule, waiting
         FROM jobs WHERE id = $1",
    )
    .bind(job.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::JobNotFound)
}

fn state_of(head: &JobHead) -> JobState {
    stored_state(&head.state, head.waiting.as_deref())
}

/// A job's state from its stored form: an interrupted job waiting for its start or its window
/// is scheduled or paused (see the migration `0026_job_schedules`).
pub(crate) fn stored_state(state: &str, waiting: Option<&str>) -> JobState {
    match (state, waiting.and_then(Waiting::parse)) {
        ("interrupted", Some(Waiting::Start)) => JobState::Scheduled,
        ("interrupted", Some(Waiting::Window)) => JobState::Paused,
        (state, _) => state.parse().unwrap_or(JobState::Failed),
    }
}

/// The operator a job acts for, in its own audit events.
fn job_operator(head: &JobHead) -> Operator {
    Operator {
        id: crate::domain::operator::OperatorId(head.operator_id.unwrap_or(0)),
        username: head.operator_name.clone(),
        display_name: head.operator_name.clone(),
        roles: Vec::new(),
        api_token: None,
        approved_by: None,
        scoped_roles: Vec::new(),
        scope: Default::default(),
    }
}

/// Ends a job in `state` and records the end in the audit trail (same transaction).
async fn finish(
    conn: &mut AnyConnection,
    job: JobId,
    head: &JobHead,
    state: JobState,
    by: Option<&Operator>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE jobs SET state = $1, finished_at = $2, updated_ms = $3, waiting = NULL, wake_at_ms = NULL
         WHERE id = $4",
    )
    .bind(state.as_str())
    .bind(now())
    .bind(now_ms())
    .bind(job.0)
    .execute(&mut *conn)
    .await?;
    let (moved, refused, kept, lost): (i64, i64, i64, i64) =
        sqlx::query_as("SELECT moved, refused, data_kept, data_lost FROM jobs WHERE id = $1")
            .bind(job.0)
            .fetch_one(&mut *conn)
            .await?;
    let operator = by.cloned().unwrap_or_else(|| job_operator(head));
    let parameters = match head.kind() {
        JobKind::Move => json!({"job": job.0, "state": state.as_str(), "moved": moved, "refused": refused,
                                "data_kept": kept, "data_lost": lost, "not_processed": head.total - head.done}),
        JobKind::Delete => {
            json!({"job": job.0, "state": state.as_str(), "deleted": moved, "refused": refused,
                                  "data_deleted": lost, "not_processed": head.total - head.done})
        }
        JobKind::Configure => json!({"job": job.0, "state": state.as_str(), "configured": moved,
                                     "skipped": refused, "not_processed": head.total - head.done}),
        JobKind::OrgMove => json!({"job": job.0, "state": state.as_str(), "moved": moved,
                                   "refused": refused, "not_processed": head.total - head.done}),
        JobKind::Undo => json!({"job": job.0, "state": state.as_str(), "restored": moved,
                                "skipped": refused, "not_processed": head.total - head.done}),
    };
    audit::record(conn, &operator, &head.kind().audit_operation("end"), parameters, 0).await?;
    Ok(())
}

/// Processes the next chunk of a running job, or ends the job when it is cancelled or complete.
pub async fn run_chunk(db: &AnyPool, job: JobId, chunk: usize) -> Result<ChunkStep, AppError> {
    run_chunk_at(db, job, chunk, now_ms()).await
}

/// `run_chunk` at an instant of the job engine's clock: outside the job's maintenance window
/// the job pauses instead, until the window opens again.
pub async fn run_chunk_at(db: &AnyPool, job: JobId, chunk: usize, now: i64) -> Result<ChunkStep, AppError> {
    let (step, processed) = in_write(db, async |conn| {
        let head = head(conn, job).await?;
        let state = state_of(&head);
        if state != JobState::Running {
            return Ok((ChunkStep::Stopped(state), None));
        }
        if !head.held_here() {
            return Ok((ChunkStep::Elsewhere, None));
        }
        if head.cancel_requested || head.done >= head.total {
            let end = if head.done >= head.total { JobState::Completed } else { JobState::Cancelled };
            finish(conn, job, &head, end, None).await?;
            return Ok((ChunkStep::Stopped(end), None));
        }
        if let Some(opens_at) = head.schedule().and_then(|s| match schedule::window_now(&s, now) {
            WindowNow::Closed { opens_at_ms } => Some(opens_at_ms),
            _ => None,
        }) {
            pause(conn, job, &head, opens_at).await?;
            return Ok((ChunkStep::Stopped(JobState::Paused), None));
        }
        let lines: Vec<(i64, i64, String, crate::server::storage::flag::Flag, Option<i64>)> = sqlx::query_as(
            "SELECT j.position, j.user_id, j.display_name, e.user_id IS NOT NULL, j.along_with
             FROM job_users j LEFT JOIN enabled_users e ON e.user_id = j.user_id
             WHERE j.job_id = $1 AND j.position >= $2 ORDER BY j.position LIMIT $3",
        )
        .bind(job.0)
        .bind(head.done)
        .bind(chunk.max(1) as i64)
        .fetch_all(&mut *conn)
        .await?;
        let enabled: Vec<UserId> = lines.iter().filter(|l| l.3.0).map(|l| UserId(l.1)).collect();
        let everyone: Vec<UserId> = lines.iter().map(|l| UserId(l.1)).collect();
        // What an undo of the job needs: the chunk's users' rows as they are before it.
        let undo = crate::server::operations::undo::of_job(conn, job).await?;
        if let Some((snapshot, tables)) = &undo {
            crate::server::operations::undo::keep_before(conn, *snapshot, tables, &everyone).await?;
        }
        // Judged from the users' state now: a user moved, deleted or changed since the preview,
        // or a pool that went down, is judged as it is, not as it was.
        let processed = match head.work()? {
            // Organization membership does not depend on enablement: every user is moved.
            JobWork::OrgMove(options) => {
                let users: Vec<(UserId, Option<UserId>)> =
                    lines.iter().map(|l| (UserId(l.1), l.4.map(UserId))).collect();
                let operator = head.operator_name.as_str();
                crate::server::organizations::moves::run_chunk(conn, &users, options, operator, head.event_id)
                    .await?
            }
            JobWork::Undo(of) => crate::server::operations::undo::run_chunk(conn, job, of, &everyone).await?,
            _ if enabled.is_empty() => Vec::new(),
            JobWork::Move { destination, force } => {
                crate::server::operations::moves::run_chunk(conn, &enabled, destination, force).await?
            }
            JobWork::Delete => crate::server::operations::delete::run_chunk(conn, &enabled).await?,
            JobWork::Configure(change) => {
                crate::server::operations::configure::run_chunk(conn, &enabled, &change).await?
            }
        };
        let mut done: HashMap<UserId, ChunkLine> =
            processed.into_iter().map(|line| (line.user, line)).collect();
        let results: Vec<ChunkLine> = lines
            .iter()
            .map(|(_, id, _, _, _)| {
                done.remove(&UserId(*id)).unwrap_or(ChunkLine {
                    user: UserId(*id),
                    outcome: JobUserOutcome::Refused(MoveRefusal::NotEnabled),
                    data_kept: 0,
                    data_lost: 0,
                    audit_reason: Some(MoveRefusal::NotEnabled.as_str()),
                    pool: None,
                    sip_uri: None,
                })
            })
            .collect();
        // Positions are contiguous from `done`: line i of the chunk is element i of the array.
        let stored: Vec<(Option<&str>, Option<&str>, u64, u64)> = results
            .iter()
            .map(|r| {
                let (outcome, reason) = r.outcome.stored();
                (outcome, reason, r.data_kept, r.data_lost)
            })
            .collect();
        sqlx::query(Engine::of(conn).job_outcomes_update())
            .bind(serde_json::to_string(&stored).unwrap_or_default())
            .bind(head.done)
            .bind(job.0)
            .bind(lines.len() as i64)
            .execute(&mut *conn)
            .await?;
        if let Some((snapshot, _)) = &undo {
            let (changed, unchanged): (Vec<&ChunkLine>, Vec<&ChunkLine>) =
                results.iter().partition(|r| r.outcome.changed());
            let ids = |lines: Vec<&ChunkLine>| lines.into_iter().map(|r| r.user).collect::<Vec<_>>();
            crate::server::operations::undo::seal(conn, *snapshot, &ids(changed), &ids(unchanged)).await?;
        }
        let changed = results.iter().filter(|r| r.outcome.changed()).count() as i64;
        let (kept, lost) = results.iter().fold((0, 0), |(k, l), r| (k + r.data_kept, l + r.data_lost));
        sqlx::query(
            "UPDATE jobs SET done = done + $1, moved = moved + $2, refused = refused + $3,
                    data_kept = data_kept + $4, data_lost = data_lost + $5, updated_ms = $6,
                    lease_until_ms = $8
             WHERE id = $7",
        )
        .bind(lines.len() as i64)
        .bind(changed)
        .bind(lines.len() as i64 - changed)
        .bind(kept as i64)
        .bind(lost as i64)
        .bind(now_ms())
        .bind(job.0)
        .bind(lease_until())
        .execute(&mut *conn)
        .await?;
        let audit_lines: Vec<audit::UserLine<'_>> = results
            .iter()
            .zip(&lines)
            .map(|(r, (_, id, name, _, _))| {
                let outcome = r.outcome.stored().0.unwrap_or("refused");
                (*id, None, name.as_str(), r.sip_uri.as_deref(), outcome, r.audit_reason, r.pool.as_deref())
            })
            .collect();
        audit::record_users(conn, head.event_id, audit_lines).await?;
        Ok((ChunkStep::More, Some((head.kind(), lines.len() as u64))))
    })
    .await?;
    // Counted once committed.
    if let Some((kind, users)) = processed {
        crate::server::metrics::job_users_processed(kind, users);
    }
    Ok(step)
}

/// Who starts and resumes jobs at the time their schedule says, in the audit log.
pub const SCHEDULE_ACTOR: Actor<'static> = Actor { id: None, name: "job schedule" };

/// Stops a job between two chunks until its window opens again (`wake_at`): no replica holds
/// it meanwhile; the schedule keeper takes it up then.
async fn pause(conn: &mut AnyConnection, job: JobId, head: &JobHead, wake_at: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE jobs SET state = 'interrupted', waiting = 'window', wake_at_ms = $1, runner = NULL,
                updated_ms = $2
         WHERE id = $3",
    )
    .bind(wake_at)
    .bind(now_ms())
    .bind(job.0)
    .execute(&mut *conn)
    .await?;
    let parameters =
        json!({"job": job.0, "resumes_at": wake_at / 1000, "done": head.done, "total": head.total});
    audit::record_as(
        conn,
        SCHEDULE_ACTOR.id,
        SCHEDULE_ACTOR.name,
        &head.kind().audit_operation("pause"),
        parameters,
        0,
    )
    .await?;
    Ok(())
}

/// Gives a job just recorded (in the caller's transaction) its schedule: kept with the job, and
/// if the job must wait for its start or its window, it waits instead of running.
pub(crate) async fn schedule_job(
    conn: &mut AnyConnection,
    job: JobId,
    schedule: &JobSchedule,
    settings: JobSettings,
) -> Result<(), AppError> {
    let now = settings.clock.now_ms();
    let schedule = &JobSchedule { chunk_users: settings.chunk as u32, ..schedule.clone() };
    let json = serde_json::to_string(schedule).map_err(|_| AppError::INTERNAL)?;
    sqlx::query("UPDATE jobs SET schedule = $1 WHERE id = $2")
        .bind(json)
        .bind(job.0)
        .execute(&mut *conn)
        .await?;
    if let Some((waiting, wake_at)) = schedule::waiting(schedule, now) {
        sqlx::query(
            "UPDATE jobs SET state = 'interrupted', waiting = $1, wake_at_ms = $2, runner = NULL WHERE id = $3",
        )
        .bind(waiting.as_str())
        .bind(wake_at)
        .bind(job.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Takes up the waiting jobs whose start or window has come (on the engine's clock), each
/// claimed in a write transaction that looks at it again (so of several replicas exactly one
/// wins it), and drives each in a task of its own. A window that is still closed (the clock
/// moved back, a daylight-saving change) moves the wake-up instead. Returns the jobs taken up.
pub async fn wake_due(db: &AnyPool, settings: JobSettings) -> Result<Vec<JobId>, AppError> {
    let now = settings.clock.now_ms();
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE waiting IS NOT NULL AND state = 'interrupted' AND wake_at_ms <= $1 ORDER BY id",
    )
    .bind(now)
    .fetch_all(db)
    .await?;
    let mut woken = Vec::new();
    for job in due.into_iter().map(JobId) {
        let claimed = in_write(db, async |conn| {
            let head = head(conn, job).await?;
            if !state_of(&head).waiting() {
                return Ok(false);
            }
            if let Some((_, wake_at)) = head.schedule().and_then(|s| schedule::waiting(&s, now)) {
                sqlx::query("UPDATE jobs SET wake_at_ms = $1 WHERE id = $2")
                    .bind(wake_at)
                    .bind(job.0)
                    .execute(&mut *conn)
                    .await?;
                return Ok(false);
            }
            take_up(conn, job, &head, SCHEDULE_ACTOR).await?;
            Ok(true)
        })
        .await?;
        if claimed {
            tracing::info!(%job, "job taken up at the time its schedule says");
            changed();
            spawn(db.clone(), job, settings);
            woken.push(job);
        }
    }
    Ok(woken)
}

/// Marks a job running on this replica from its first unprocessed user, audited as a resume
/// by `actor`; its own transaction is the caller's.
async fn take_up(
    conn: &mut AnyConnection,
    job: JobId,
    head: &JobHead,
    actor: Actor<'_>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE jobs SET state = 'running', error = NULL, cancel_requested = 0, resume_at_start = 0,
                waiting = NULL, wake_at_ms = NULL, run_started_ms = $1, run_started_done = done,
                updated_ms = $1, runner = $3, lease_until_ms = $4
         WHERE id = $2",
    )
    .bind(now_ms())
    .bind(job.0)
    .bind(&replica().name)
    .bind(lease_until())
    .execute(&mut *conn)
    .await?;
    let operation = head.kind().audit_operation("resume");
    let mut parameters = json!({"job": job.0});
    if let Some(waiting) = head.waiting.as_deref() {
        parameters["waited_for"] = json!(waiting);
    }
    audit::record_as(conn, actor.id, actor.name, &operation, parameters, 0).await?;
    Ok(())
}

/// Marks a job failed after a chunk was rolled back, keeping the error to show.
async fn fail(db: &AnyPool, job: JobId, error: &AppError) -> Result<(), AppError> {
    in_write(db, async |conn| {
        let head = head(conn, job).await?;
        if state_of(&head) != JobState::Running || !head.held_here() {
            return Ok(());
        }
        sqlx::query("UPDATE jobs SET state = 'failed', error = $1, updated_ms = $2 WHERE id = $3")
            .bind(serde_json::to_string(error).unwrap_or_default())
            .bind(now_ms())
            .bind(job.0)
            .execute(&mut *conn)
            .await?;
        audit::record(
            conn,
            &job_operator(&head),
            &head.kind().audit_operation("end"),
            json!({"job": job.0, "state": "failed", "error": error.code()}),
            0,
        )
        .await?;
        Ok(())
    })
    .await
}

/// How often a chunk that found the database busy (other writers held it past the busy
/// timeout) is tried again before the job is marked failed.
const BUSY_RETRIES: u32 = 5;

/// Counts changes of any job in this process (a chunk committed, a job ended, was cancelled
/// or resumed). Progress streams watch it and read their job again when it moves, so the
/// browser hears of progress as it is made, without polling the server.
static CHANGES: std::sync::LazyLock<tokio::sync::watch::Sender<u64>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// A receiver that wakes when any job changes.
pub fn changes() -> tokio::sync::watch::Receiver<u64> {
    CHANGES.subscribe()
}

fn changed() {
    CHANGES.send_modify(|n| *n = n.wrapping_add(1));
}

/// The tasks driving jobs in this process, so that a shutdown can wait for them. One per
/// process: jobs are spawned from wherever an operation starts one.
static TASKS: std::sync::LazyLock<tokio_util::task::TaskTracker> =
    std::sync::LazyLock::new(tokio_util::task::TaskTracker::new);

/// Works through a job until it stops: the background task of a running job. Asked to stop
/// for a shutdown, it lets the chunk in hand commit and then suspends the job, which the
/// next start resumes.
pub async fn drive(db: AnyPool, job: JobId, settings: JobSettings) -> JobState {
    let mut busy = 0;
    // The job's pace: the least time from the start of one chunk to the start of the next.
    let interval = pace_of(&db, job).await;
    loop {
        if lifecycle::shutting_down() {
            return suspend(&db, job).await;
        }
        let began = std::time::Instant::now();
        let step = run_chunk_at(&db, job, settings.chunk, settings.clock.now_ms()).await;
        changed();
        let wait = match step {
            Ok(ChunkStep::More) => {
                busy = 0;
                settings.pause.max(interval.saturating_sub(began.elapsed()))
            }
            Ok(ChunkStep::Stopped(state)) => return state,
            Ok(ChunkStep::Elsewhere) => {
                tracing::warn!(%job, "job taken over by another replica; this one stops driving it");
                return JobState::Running;
            }
            // The chunk was rolled back whole; a busy database is load, not a fault.
            Err(AppError::Busy) if busy < BUSY_RETRIES => {
                busy += 1;
                Duration::from_millis(200 * u64::from(busy))
            }
            Err(error) => {
                if let Err(e) = fail(&db, job, &error).await {
                    // The database itself is failing; the restart recovery marks the job.
                    tracing::error!(%job, ?e, ?error, "could not record the failure of a job");
                }
                changed();
                return JobState::Failed;
            }
        };
        if wait.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = lifecycle::shutdown_begun() => {}
            }
        }
    }
}

/// A job's least time between chunk starts, from its schedule; zero for full speed.
async fn pace_of(db: &AnyPool, job: JobId) -> Duration {
    let schedule: Option<Option<String>> = sqlx::query_scalar("SELECT schedule FROM jobs WHERE id = $1")
        .bind(job.0)
        .fetch_optional(db)
        .await
        .unwrap_or_default();
    schedule
        .flatten()
        .and_then(|s| serde_json::from_str::<JobSchedule>(&s).ok())
        .and_then(|s| s.chunk_interval_ms)
        .map_or(Duration::ZERO, |ms| Duration::from_millis(u64::from(ms)))
}

/// Starts the background task of a running job.
pub fn spawn(db: AnyPool, job: JobId, settings: JobSettings) {
    TASKS.spawn(drive(db, job, settings));
}

/// A job stopped by a shutdown between two chunks: interrupted, and marked to be resumed by
/// the next start.
async fn suspend(db: &AnyPool, job: JobId) -> JobState {
    let marked = sqlx::query(
        "UPDATE jobs SET state = 'interrupted', resume_at_start = 1, updated_ms = $1
         WHERE id = $2 AND state = 'running' AND runner = $3",
    )
    .bind(now_ms())
    .bind(job.0)
    .bind(&replica().name)
    .execute(db)
    .await;
    match marked {
        Ok(_) => tracing::info!(%job, "job suspended for the shutdown; the next start resumes it"),
        // Left running: the next start marks it interrupted, for an operator to resume.
        Err(e) => tracing::error!(%job, ?e, "could not suspend a job for the shutdown"),
    }
    changed();
    JobState::Interrupted
}

/// How the job runner of this process is doing, for `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunnerStatus {
    /// A shutdown has begun: no chunk starts any more.
    pub stopping: bool,
    /// Jobs being driven by this process now.
    pub driving: usize,
}

pub fn runner_status() -> RunnerStatus {
    RunnerStatus { stopping: lifecycle::shutting_down(), driving: TASKS.len() }
}

/// Once the shutdown has begun (which asks every job to stop after the chunk in hand), waits
/// up to `timeout` for them to commit it and suspend. Returns how many were still working at
/// the deadline (their chunk then rolls back when the process exits: nothing is half done).
pub async fn wait_for_jobs(timeout: Duration) -> usize {
    TASKS.close();
    match tokio::time::timeout(timeout, TASKS.wait()).await {
        Ok(()) => 0,
        Err(_) => TASKS.len(),
    }
}

/// At start-up, before serving: the jobs this replica was running when it stopped without a
/// clean shutdown (a crash, a kill) are marked interrupted, for an operator to resume or
/// cancel: their chunks either committed or left no trace, so every user is processed or
/// untouched. Then the jobs no live replica holds are taken over (see [`take_over`]): those a
/// clean shutdown suspended, and those of another replica whose lease has expired.
/// Returns (interrupted, taken over).
pub async fn recover(db: &AnyPool, settings: JobSettings) -> Result<(u64, Vec<JobId>), AppError> {
    let interrupted = sqlx::query(
        "UPDATE jobs SET state = 'interrupted', updated_ms = $1
         WHERE state = 'running' AND (runner IS NULL OR runner = $2)",
    )
    .bind(now_ms())
    .bind(&replica().name)
    .execute(db)
    .await?
    .rows_affected();
    let taken = take_over(db, settings).await?;
    Ok((interrupted, taken))
}

/// Who resumes jobs after a clean shutdown, in the audit log.
pub const RESTART_ACTOR: Actor<'static> = Actor { id: None, name: "service restart" };
/// Who continues a job whose replica stopped renewing its lease, in the audit log.
pub const FAILOVER_ACTOR: Actor<'static> = Actor { id: None, name: "replica failover" };

/// Renews the leases of the jobs this replica is running. Returns how many.
pub async fn renew_leases(db: &AnyPool) -> Result<u64, AppError> {
    Ok(sqlx::query("UPDATE jobs SET lease_until_ms = $1 WHERE state = 'running' AND runner = $2")
        .bind(lease_until())
        .bind(&replica().name)
        .execute(db)
        .await?
        .rows_affected())
}

/// Takes over the jobs no live replica holds, and drives each in a task of its own: running
/// jobs of other replicas whose lease has expired (the replica died or lost the database) and
/// jobs suspended by a clean shutdown. Each claim is a write transaction that looks at the job again, so of
/// several replicas trying at once exactly one wins it; the job continues from its first
/// unprocessed user, and the claim is audited as a resume. Returns the jobs taken.
pub async fn take_over(db: &AnyPool, settings: JobSettings) -> Result<Vec<JobId>, AppError> {
    let candidates: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs
         WHERE (state = 'running' AND lease_until_ms < $1) OR (state = 'interrupted' AND resume_at_start = 1)
         ORDER BY id",
    )
    .bind(now_ms())
    .fetch_all(db)
    .await?;
    let mut taken = Vec::new();
    for job in candidates.into_iter().map(JobId) {
        let claimed = in_write(db, async |conn| {
            let head = head(conn, job).await?;
            let actor = match state_of(&head) {
                // Never one of this replica's own: its task is still driving it, only slowly
                // (had this process died, it would not be asking).
                JobState::Running if head.held_here() => return Ok(false),
                JobState::Running if head.lease_until_ms < now_ms() => FAILOVER_ACTOR,
                JobState::Interrupted if head.resume_at_start => RESTART_ACTOR,
                _ => return Ok(false),
            };
            sqlx::query(
                "UPDATE jobs SET state = 'running', error = NULL, resume_at_start = 0, runner = $1,
                        lease_until_ms = $2, run_started_ms = $3, run_started_done = done, updated_ms = $3
                 WHERE id = $4",
            )
            .bind(&replica().name)
            .bind(lease_until())
            .bind(now_ms())
            .bind(job.0)
            .execute(&mut *conn)
            .await?;
            let operation = head.kind().audit_operation("resume");
            let parameters = json!({"job": job.0, "replica": replica().name, "from": head.runner});
            audit::record_as(conn, actor.id, actor.name, &operation, parameters, 0).await?;
            Ok(true)
        })
        .await?;
        if claimed {
            tracing::info!(%job, replica = %replica().name, "job taken over");
            changed();
            spawn(db.clone(), job, settings);
            taken.push(job);
        }
    }
    Ok(taken)
}

/// How often the keeper looks for waiting jobs whose time has come, at most.
const SCHEDULE_TICK: Duration = Duration::from_secs(5);

/// The replica's lease and schedule keeper, until the shutdown begins: every third of the
/// lease (and at least every few seconds) it renews the leases of its jobs, takes over the jobs
/// no live replica holds, and takes up the waiting jobs whose start or window has come.
pub async fn keep_leases(db: AnyPool, settings: JobSettings) {
    let every = (replica().lease / 3).min(SCHEDULE_TICK);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = lifecycle::shutdown_begun() => return,
        }
        if let Err(error) = renew_leases(&db).await {
            tracing::warn!(%error, "could not renew the leases of this replica's jobs");
        }
        if let Err(error) = take_over(&db, settings).await {
            tracing::warn!(%error, "could not look for jobs to take over");
        }
        if let Err(error) = wake_due(&db, settings).await {
            tracing::warn!(%error, "could not look for scheduled jobs to start");
        }
    }
}

/// Asks a running job to stop after its current chunk; an interrupted or failed job is closed
/// at once. Users already processed stay so; the rest stay as they are.
pub async fn cancel(db: &AnyPool, operator: &Operator, job: JobId) -> Result<(), AppError> {
    let cancelled = in_write(db, async |conn| {
        let head = head(conn, job).await?;
        match state_of(&head) {
            JobState::Running if !head.cancel_requested => {
                sqlx::query("UPDATE jobs SET cancel_requested = 1, updated_ms = $1 WHERE id = $2")
                    .bind(now_ms())
                    .bind(job.0)
                    .execute(&mut *conn)
                    .await?;
                let operation = head.kind().audit_operation("cancel");
                audit::record(conn, operator, &operation, json!({"job": job.0}), 0).await?;
                Ok(())
            }
            state if state.resumable() => finish(conn, job, &head, JobState::Cancelled, Some(operator)).await,
            _ => Err(AppError::JobStateConflict),
        }
    })
    .await;
    changed();
    cancelled
}

/// Whether resuming this job needs the operator's password again (a force move does, like
/// starting one).
pub async fn resume_needs_step_up(db: &AnyPool, job: JobId) -> Result<bool, AppError> {
    let force: Option<crate::server::storage::flag::Flag> =
        sqlx::query_scalar("SELECT kind = 'move' AND force = 1 FROM jobs WHERE id = $1")
            .bind(job.0)
            .fetch_optional(db)
            .await?;
    force.map(bool::from).ok_or(AppError::JobNotFound)
}

/// Resumes a job as `resume` does; a force move deletes data as it goes, so resuming one needs
/// the operator's password again, like starting it.
pub async fn resume_confirmed(
    db: &AnyPool,
    config: &crate::server::Config,
    operator: &Operator,
    job: JobId,
    password: Option<&str>,
    client: &crate::server::security::operators::Client,
) -> Result<(), AppError> {
    let needed = resume_needs_step_up(db, job).await?;
    crate::server::security::operators::step_up_if(needed, db, config, operator, password, client).await?;
    resume(db, config.jobs, operator, job).await
}

/// Continues an interrupted or failed job from its first unprocessed user, in a new task.
pub async fn resume(
    db: &AnyPool,
    settings: JobSettings,
    operator: &Operator,
    job: JobId,
) -> Result<(), AppError> {
    reopen(db, operator.into(), job).await?;
    changed();
    spawn(db.clone(), job, settings);
    Ok(())
}

/// Marks an interrupted or failed job running again, from its first unprocessed user; only
/// one caller can win the state change.
/// A scheduled or paused job started this way starts now: a paused job then runs to its end
/// outside its window (its pace stays); an operator who wants the window back cancels.
pub(crate) async fn reopen(db: &AnyPool, actor: Actor<'_>, job: JobId) -> Result<(), AppError> {
    in_write(db, async |conn| {
        let head = head(conn, job).await?;
        let state = state_of(&head);
        if !state.resumable() {
            return Err(AppError::JobStateConflict);
        }
        if let Some(mut schedule) = head.schedule().filter(|_| state.waiting()) {
            schedule.start_at_ms = None;
            schedule.window = None;
            sqlx::query("UPDATE jobs SET schedule = $1 WHERE id = $2")
                .bind(serde_json::to_string(&schedule).map_err(|_| AppError::INTERNAL)?)
                .bind(job.0)
                .execute(&mut *conn)
                .await?;
        }
        take_up(conn, job, &head, actor).await
    })
    .await
}

#[derive(sqlx::FromRow)]
struct JobRecord {
    id: i64,
    kind: String,
    operator_name: String,
    destination_fqdn: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    force: bool,
    state: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    cancel_requested: bool,
    error: Option<String>,
    total: i64,
    done: i64,
    moved: i64,
    refused: i64,
    data_kept: i64,
    data_lost: i64,
    created_at: i64,
    finished_at: Option<i64>,
    run_started_ms: i64,
    run_started_done: i64,
    updated_ms: i64,
    runner: Option<String>,
    event_id: i64,
    settings: Option<String>,
    schedule: Option<String>,
    waiting: Option<String>,
    wake_at_ms: Option<i64>,
}

impl From<JobRecord> for Job {
    fn from(r: JobRecord) -> Job {
        let state = stored_state(&r.state, r.waiting.as_deref());
        let kind = r.kind.parse().unwrap_or(JobKind::Move);
        let undo_of = (kind == JobKind::Undo)
            .then(|| r.settings.as_deref().and_then(|s| serde_json::from_str(s).ok()))
            .flatten();
        // A running job's rate is measured up to now; a stopped one's up to its last change.
        let now = now_ms();
        let until = if state == JobState::Running { now } else { r.updated_ms };
        let schedule: Option<JobSchedule> = r.schedule.as_deref().and_then(|s| serde_json::from_str(s).ok());
        let zone = schedule.as_ref().map_or("UTC", |s| s.time_zone.as_str());
        let wakes_at = r.wake_at_ms.filter(|_| state.waiting());
        let finishes_about = finish_estimate(&r, state, schedule.as_ref(), wakes_at.unwrap_or(now), until)
            .map(|at| schedule::zoned(at, zone));
        let wakes_at = wakes_at.map(|at| schedule::zoned(at, zone));
        Job {
            id: JobId(r.id),
            kind,
            operator_name: r.operator_name,
            destination_fqdn: r.destination_fqdn,
            force: r.force,
            state,
            cancel_requested: r.cancel_requested,
            error: r.error.and_then(|e| serde_json::from_str(&e).ok()),
            total: r.total as u64,
            done: r.done as u64,
            moved: r.moved as u64,
            refused: r.refused as u64,
            data_kept: r.data_kept as u64,
            data_lost: r.data_lost as u64,
            created_at: r.created_at,
            finished_at: r.finished_at,
            run_seconds: (until - r.run_started_ms).max(0) as u64 / 1000,
            run_done: (r.done - r.run_started_done).max(0) as u64,
            runner: r.runner,
            event_id: r.event_id,
            undo_of,
            schedule,
            wakes_at,
            finishes_about,
        }
    }
}

/// When a job with a schedule should be done: its remaining users at the rate of its last run
/// (or, before it has run, at its pace), from `from` (now, or when it wakes), counting only the
/// time inside its window. None without a schedule (the page shows the time left instead) or
/// without a rate to go by.
fn finish_estimate(
    r: &JobRecord,
    state: JobState,
    schedule: Option<&JobSchedule>,
    from: i64,
    until: i64,
) -> Option<i64> {
    let schedule = schedule?;
    if !matches!(state, JobState::Running | JobState::Scheduled | JobState::Paused) {
        return None;
    }
    let remaining = (r.total - r.done).max(0);
    let (ran_ms, ran_users) = (until - r.run_started_ms, r.done - r.run_started_done);
    let work_ms = if ran_users > 0 && ran_ms > 0 {
        (ran_ms as i128 * remaining as i128 / ran_users as i128) as i64
    } else {
        // Not run yet: the pace bounds the rate, at the configured chunk size.
        let interval = i64::from(schedule.chunk_interval_ms?);
        let chunk = i64::from(schedule.chunk_users.max(1));
        (remaining + chunk - 1) / chunk * interval
    };
    Some(schedule::finishes_at(Some(schedule), from, work_ms))
}

const JOB_COLUMNS: &str =
    "j.id, j.kind, j.operator_name, COALESCE(p.fqdn, o.name, '') AS destination_fqdn, j.force, j.state,
    j.cancel_requested, j.error, j.total, j.done, j.moved, j.refused, j.data_kept, j.data_lost,
    j.created_at, j.finished_at, j.run_started_ms, j.run_started_done, j.updated_ms, j.runner, j.event_id,
    j.settings, j.schedule, j.waiting, j.wake_at_ms";

/// Jobs with their destination: a pool, or for an organization move an organization.
fn job_sources(engine: Engine) -> String {
    format!(
        "jobs j LEFT JOIN pools p ON p.id = j.destination_id
         LEFT JOIN organizations o ON j.kind = 'org_move' AND o.id = CAST({} ->> 'to' AS BIGINT)",
        engine.json("j.settings")
    )
}

/// A job a scoped operator did not start is as good as missing to them.
pub async fn must_see(db: &AnyPool, viewer: &Operator, job: JobId) -> Result<(), AppError> {
    if viewer.scope.is_everything() {
        return Ok(());
    }
    let by: Option<Option<i64>> = sqlx::query_scalar("SELECT operator_id FROM jobs WHERE id = $1")
        .bind(job.0)
        .fetch_optional(db)
        .await?;
    match by {
        Some(Some(id)) if id == viewer.id.0 => Ok(()),
        _ => Err(AppError::JobNotFound),
    }
}

pub async fn load(db: &AnyPool, job: JobId) -> Result<Job, AppError> {
    let record: JobRecord = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM {} WHERE j.id = $1",
        job_sources(crate::server::storage::db::engine(db))
    ))
    .bind(job.0)
    .fetch_optional(db)
    .await?
    .ok_or(AppError::JobNotFound)?;
    Ok(record.into())
}

/// The most recent jobs, newest first.
/// The newest jobs the viewer may see: everyone's, or a scoped operator's own (others' name
/// users outside their scope).
pub async fn recent(db: &AnyPool, viewer: &Operator, limit: u32) -> Result<Vec<Job>, AppError> {
    let own_only = (!viewer.scope.is_everything()).then_some(viewer.id.0);
    let records: Vec<JobRecord> = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM {} WHERE ($2 IS NULL OR j.operator_id = $2) ORDER BY j.id DESC LIMIT $1",
        job_sources(crate::server::storage::db::engine(db))
    ))
    .bind(i64::from(limit))
    .bind(own_only)
    .fetch_all(db)
    .await?;
    Ok(records.into_iter().map(Job::from).collect())
}

/// One page of a job's per-user results, in preview order.
pub async fn lines(
    db: &AnyPool,
    job: JobId,
    filter: JobLineFilter,
    page: u32,
) -> Result<Page<JobUserLine>, AppError> {
    let request = PageRequest::new(page, JOB_LINES_PER_PAGE)?;
    load(db, job).await?;
    let condition = match filter {
        JobLineFilter::All => "TRUE",
        JobLineFilter::Moved => "outcome IN ('moved', 'deleted', 'configured', 'restored')",
        JobLineFilter::Refused => "outcome IN ('refused', 'skipped')",
        JobLineFilter::Pending => "outcome IS NULL",
    };
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM job_users WHERE job_id = $1 AND {condition}"))
            .bind(job.0)
            .fetch_one(db)
            .await?;
    // user id, name, outcome, reason, data kept, data lost
    type LineRow = (i64, String, Option<String>, Option<String>, i64, i64);
    let rows: Vec<LineRow> = sqlx::query_as(&format!(
        "SELECT user_id, display_name, outcome, reason, data_kept, data_lost FROM job_users
         WHERE job_id = $1 AND {condition} ORDER BY position LIMIT $2 OFFSET $3"
    ))
    .bind(job.0)
    .bind(i64::from(JOB_LINES_PER_PAGE))
    .bind(request.offset() as i64)
    .fetch_all(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|(id, display_name, outcome, reason, kept, lost)| {
            let outcome = JobUserOutcome::from_stored(outcome.as_deref(), reason.as_deref());
            JobUserLine {
                id: UserId(id),
                display_name,
                outcome,
                data_kept: kept as u64,
                data_lost: lost as u64,
            }
        })
        .collect();
    Ok(request.of(items, total as u64))
}

/// Every per-user result of a job, in preview order, as CSV (`user_id, display_name, outcome,
/// reason, data_kept, data_lost`): what `Move-CsUser -Report` gives a script.
/// The users a job left out, counted by reason, most frequent first.
pub async fn left_out_by_reason(db: &AnyPool, job: JobId) -> Result<Vec<LeftOut>, AppError> {
    let rows: Vec<(Option<String>, Option<String>, i64)> = sqlx::query_as(
        "SELECT outcome, reason, COUNT(*) FROM job_users
         WHERE job_id = $1 AND outcome IN ('refused', 'skipped')
         GROUP BY outcome, reason ORDER BY COUNT(*) DESC, outcome, reason",
    )
    .bind(job.0)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(outcome, reason, users)| LeftOut {
            outcome: JobUserOutcome::from_stored(outcome.as_deref(), reason.as_deref()),
            users: users as u64,
        })
        .collect())
}

/// The users a job left out, in the job's order: whom *Retry* takes into a new preview.
pub async fn left_out_users(db: &AnyPool, job: JobId) -> Result<Vec<UserId>, AppError> {
    load(db, job).await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM job_users WHERE job_id = $1 AND outcome IN ('refused', 'skipped') ORDER BY position",
    )
    .bind(job.0)
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// Every per-user result of a job as CSV, like `Move-CsUser -Report`; audited as a download.
pub async fn report_csv(db: &AnyPool, operator: &Operator, job: JobId) -> Result<Vec<u8>, AppError> {
    must_see(db, operator, job).await?;
    let csv = lines_csv(db, job).await?;
    let lines = csv.iter().filter(|b| **b == b'\n').count().saturating_sub(1) as u64;
    let file = format!("{}.csv", job.0);
    crate::server::security::audit::record_download(db, operator, "job_users_csv", &file, lines).await?;
    Ok(csv)
}

async fn lines_csv(db: &AnyPool, job: JobId) -> Result<Vec<u8>, AppError> {
    use crate::server::security::audit::log::neutralized;
    load(db, job).await?;
    type LineRow = (i64, String, Option<String>, Option<String>, i64, i64);
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT user_id, display_name, outcome, reason, data_kept, data_lost FROM job_users
         WHERE job_id = $1 ORDER BY position",
    )
    .bind(job.0)
    .fetch_all(db)
    .await?;
    let fail = |e: csv::Error| {
        tracing::error!("job CSV: {e}");
        AppError::INTERNAL
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["user_id", "display_name", "outcome", "reason", "data_kept", "data_lost"])
        .map_err(fail)?;
    for (id, name, outcome, reason, kept, lost) in rows {
        out.write_record([
            id.to_string(),
            neutralized(&name),
            outcome.unwrap_or_else(|| "pending".into()),
            reason.unwrap_or_default(),
            kept.to_string(),
            lost.to_string(),
        ])
        .map_err(fail)?;
    }
    out.into_inner().map_err(|_| AppError::INTERNAL)
}

#[cfg(test)]
mod schedule_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::operations::moves::tests::{deployment, operator, pool, unholdable_data, users_of};

    const SETTINGS: JobSettings =
        JobSettings { threshold: 0, chunk: 7, pause: Duration::ZERO, clock: Clock::System };

    async fn home_of(db: &AnyPool, users: &[UserId]) -> Vec<i64> {
        let mut homes = Vec::new();
        for u in users {
            let home: Vec<i64> = sqlx::query_scalar("SELECT pool_id FROM enabled_users WHERE user_id = $1")
                .bind(u.0)
                .fetch_all(db)
                .await
                .unwrap();
            assert_eq!(home.len(), 1, "every user is in exactly one pool");
            homes.push(home[0]);
        }
        homes
    }

    async fn outcomes(db: &AnyPool, job: JobId) -> Vec<(Option<String>, Option<String>)> {
        sqlx::query_as("SELECT outcome, reason FROM job_users WHERE job_id = $1 ORDER BY position")
            .bind(job.0)
            .fetch_all(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_job_moves_everyone_chunk_by_chunk_and_records_each_outcome() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 30).await;
        let job = crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false)
            .await
            .unwrap();
        // Nothing moves before the job runs.
        assert!(home_of(&db, &users).await.iter().all(|p| *p == from.0));
        assert_eq!(drive(db.clone(), job, SETTINGS).await, JobState::Completed);
        assert!(home_of(&db, &users).await.iter().all(|p| *p == to.0));
        let loaded = load(&db, job).await.unwrap();
        assert_eq!(
            (loaded.state, loaded.done, loaded.moved, loaded.total),
            (JobState::Completed, 30, 30, 30)
        );
        assert!(loaded.finished_at.is_some());
        assert!(outcomes(&db, job).await.iter().all(|o| o.0.as_deref() == Some("moved")));
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_event_users u JOIN jobs j ON j.event_id = u.event_id
             WHERE j.id = $1 AND u.outcome = 'moved' AND u.source_pool = 'pool01.contoso.com'",
        )
        .bind(job.0)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(audited, 30);
        let ends: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'move_job_end'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(ends, 1);
        assert_eq!(unholdable_data(&db).await, 0);
        let page = lines(&db, job, JobLineFilter::Moved, 1).await.unwrap();
        assert_eq!(page.total, 30);
    }

    /// A delete job deletes chunk by chunk; a restart in the middle leaves every user deleted
    /// with all its data or untouched, and resuming finishes it. A user deleted by someone
    /// else meanwhile is reported, not counted twice.
    #[tokio::test]
    async fn a_delete_job_survives_a_restart_and_reports_users_gone_meanwhile() {
        use crate::server::operations::delete::tests as delete;
        let db = deployment().await;
        let from = pool(&db, "pool01.contoso.com").await;
        let users = users_of(&db, from, 30).await;
        let settings = JobSettings { threshold: 10, chunk: 7, pause: Duration::ZERO, clock: Clock::System };
        let job = delete::create_job(&db, &operator(), &users).await.unwrap();
        assert_eq!(run_chunk(&db, job, 7).await.unwrap(), ChunkStep::More);
        // The server stops here; at the next start:
        recover(&db, settings).await.unwrap();
        let after_stop = load(&db, job).await.unwrap();
        let still_enabled: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM enabled_users WHERE user_id IN ({})",
            users.iter().map(|u| u.0.to_string()).collect::<Vec<_>>().join(",")
        ))
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!((after_stop.state, after_stop.moved), (JobState::Interrupted, 7));
        assert_eq!(still_enabled as u64, 30 - after_stop.moved, "deleted exactly the users the job says");
        assert_eq!(crate::server::operations::moves::tests::miscounted_users(&db).await, 0);
        // Someone deletes a user the job has not reached yet.
        let pending: Vec<UserId> =
            lines(&db, job, JobLineFilter::Pending, 1).await.unwrap().items.iter().map(|l| l.id).collect();
        let gone = *pending.last().unwrap();
        delete::run(&db, &operator(), &[gone]).await.unwrap();
        reopen(&db, (&operator()).into(), job).await.unwrap();
        assert_eq!(drive(db.clone(), job, settings).await, JobState::Completed);
        let done = load(&db, job).await.unwrap();
        assert_eq!((done.kind, done.done, done.moved, done.refused), (JobKind::Delete, 30, 29, 1));
        let refused = lines(&db, job, JobLineFilter::Refused, 1).await.unwrap();
        assert_eq!(
            refused.items.iter().map(|l| (l.id, l.outcome)).collect::<Vec<_>>(),
            [(gone, JobUserOutcome::Refused(MoveRefusal::NotEnabled))]
        );
        assert_eq!(
            left_out_by_reason(&db, job).await.unwrap(),
            [LeftOut { outcome: JobUserOutcome::Refused(MoveRefusal::NotEnabled), users: 1 }]
        );
        assert_eq!(left_out_users(&db, job).await.unwrap(), [gone]);
        for table in ["contacts", "meetings", "access_entries", "presence_items", "user_data_counts"] {
            let left: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table} WHERE user_id IN ({})",
                users.iter().map(|u| u.0.to_string()).collect::<Vec<_>>().join(",")
            ))
            .fetch_one(&db)
            .await
            .unwrap();
            assert_eq!(left, 0, "{table}");
        }
        let ends: Vec<String> = sqlx::query_scalar(
            "SELECT operation FROM audit_events WHERE operation LIKE 'delete_job_%' ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(ends, ["delete_job_resume", "delete_job_end"]);
    }

    /// A configure job changes the users it can and skips the others with the reason, as the
    /// inline run does.
    #[tokio::test]
    async fn a_configure_job_changes_some_and_skips_others_with_the_reason() {
        use crate::domain::configure::{ConfigureSkip, SettingsChange};
        let db = deployment().await;
        let r2 = users_of(&db, pool(&db, "pool01.contoso.com").await, 12).await;
        let old = users_of(&db, pool(&db, "ocs2007.contoso.com").await, 5).await;
        let users: Vec<UserId> = r2.iter().chain(&old).copied().collect();
        let change = SettingsChange { public_im: Some(true), ..Default::default() };
        let job =
            crate::server::operations::create_job_now::<crate::server::operations::configure::Configure>(
                &db,
                &operator(),
                &users,
                &change,
            )
            .await
            .unwrap();
        while run_chunk(&db, job, 4).await.unwrap() == ChunkStep::More {}
        let done = load(&db, job).await.unwrap();
        assert_eq!(
            (done.kind, done.state, done.moved, done.refused),
            (JobKind::Configure, JobState::Completed, 12, 5)
        );
        let skipped = lines(&db, job, JobLineFilter::Refused, 1).await.unwrap();
        assert!(
            skipped.items.iter().all(|l| l.outcome == JobUserOutcome::Skipped(ConfigureSkip::EarlierVersion))
        );
        // The job page's summary groups them by reason, and a retry takes exactly them.
        assert_eq!(
            left_out_by_reason(&db, job).await.unwrap(),
            [LeftOut { outcome: JobUserOutcome::Skipped(ConfigureSkip::EarlierVersion), users: 5 }]
        );
        let mut retried = left_out_users(&db, job).await.unwrap();
        retried.sort();
        let mut expected = old.clone();
        expected.sort();
        assert_eq!(retried, expected);
        let on: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM enabled_users WHERE public_im = 1 AND user_id IN ({})",
            r2.iter().map(|u| u.0.to_string()).collect::<Vec<_>>().join(",")
        ))
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(on, 12);
    }

    #[tokio::test]
    async fn cancelling_keeps_the_users_already_moved_and_leaves_the_rest_in_place() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 30).await;
        let job = crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false)
            .await
            .unwrap();
        assert_eq!(run_chunk(&db, job, 10).await.unwrap(), ChunkStep::More);
        cancel(&db, &operator(), job).await.unwrap();
        assert_eq!(run_chunk(&db, job, 10).await.unwrap(), ChunkStep::Stopped(JobState::Cancelled));
        let loaded = load(&db, job).await.unwrap();
        assert_eq!((loaded.state, loaded.done, loaded.moved), (JobState::Cancelled, 10, 10));
        let moved: Vec<UserId> =
            lines(&db, job, JobLineFilter::Moved, 1).await.unwrap().items.iter().map(|l| l.id).collect();
        let pending: Vec<UserId> =
            lines(&db, job, JobLineFilter::Pending, 1).await.unwrap().items.iter().map(|l| l.id).collect();
        assert_eq!((moved.len(), pending.len()), (10, 20));
        assert!(home_of(&db, &moved).await.iter().all(|p| *p == to.0));
        assert!(home_of(&db, &pending).await.iter().all(|p| *p == from.0));
        // A finished job cannot be cancelled or resumed again.
        assert_eq!(cancel(&db, &operator(), job).await, Err(AppError::JobStateConflict));
        assert_eq!(reopen(&db, (&operator()).into(), job).await, Err(AppError::JobStateConflict));
    }

    #[tokio::test]
    async fn a_restart_marks_the_job_interrupted_and_resuming_finishes_it() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "se01.contoso.com").await);
        let users = users_of(&db, from, 25).await;
        let job = crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false)
            .await
            .unwrap();
        run_chunk(&db, job, 10).await.unwrap();
        // The server stops here; at the next start:
        assert_eq!(recover(&db, SETTINGS).await.unwrap(), (1, Vec::new()));
        let stopped = load(&db, job).await.unwrap();
        assert_eq!((stopped.state, stopped.done), (JobState::Interrupted, 10));
        let homes = home_of(&db, &users).await;
        assert_eq!(homes.iter().filter(|p| **p == to.0).count(), 10);
        assert_eq!(homes.iter().filter(|p| **p == from.0).count(), 15);
        // An interrupted job does not run by itself.
        assert_eq!(run_chunk(&db, job, 10).await.unwrap(), ChunkStep::Stopped(JobState::Interrupted));
        reopen(&db, (&operator()).into(), job).await.unwrap();
        assert_eq!(
            reopen(&db, (&operator()).into(), job).await,
            Err(AppError::JobStateConflict),
            "only one resume wins"
        );
        assert_eq!(drive(db.clone(), job, SETTINGS).await, JobState::Completed);
        assert!(home_of(&db, &users).await.iter().all(|p| *p == to.0));
        assert_eq!(load(&db, job).await.unwrap().moved, 25);
    }

    /// A job suspended by a clean shutdown (see `suspend`) is resumed by the next start,
    /// audited as resumed by the restart, and finishes; one found running after a crash is not.
    #[tokio::test]
    async fn the_next_start_resumes_a_job_suspended_by_a_shutdown() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "se01.contoso.com").await);
        let users = users_of(&db, from, 25).await;
        let operator = operator();
        let create = async |users| {
            crate::server::operations::moves::tests::create_job(&db, &operator, users, to, false).await
        };
        let suspended = create(&users[..20]).await.unwrap();
        let crashed = create(&users[20..]).await.unwrap();
        run_chunk(&db, suspended, 10).await.unwrap();
        // What `suspend` leaves; the other job was running when the process died.
        sqlx::query("UPDATE jobs SET state = 'interrupted', resume_at_start = 1 WHERE id = $1")
            .bind(suspended.0)
            .execute(&db)
            .await
            .unwrap();
        let mut changes = changes();
        assert_eq!(recover(&db, SETTINGS).await.unwrap(), (1, vec![suspended]));
        while load(&db, suspended).await.unwrap().state == JobState::Running {
            let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
        }
        let done = load(&db, suspended).await.unwrap();
        assert_eq!((done.state, done.moved), (JobState::Completed, 20));
        assert_eq!(load(&db, crashed).await.unwrap().state, JobState::Interrupted);
        let by: String = sqlx::query_scalar(
            "SELECT operator_name FROM audit_events WHERE operation = 'move_job_resume' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(by, RESTART_ACTOR.name);
        // Resumed once: the flag is cleared.
        assert_eq!(recover(&db, SETTINGS).await.unwrap(), (0, Vec::new()));
    }

    async fn lease_of(db: &AnyPool, job: JobId) -> (Option<String>, i64, String) {
        sqlx::query_as("SELECT runner, lease_until_ms, state FROM jobs WHERE id = $1")
            .bind(job.0)
            .fetch_one(db)
            .await
            .unwrap()
    }

    /// Another replica's job is left alone while its lease lasts: its chunks are not run here
    /// and it is not taken. Once the lease has expired (the replica died), exactly one claim
    /// takes it, audited as a failover from that replica, and it finishes from where it was.
    #[tokio::test]
    async fn a_job_whose_replica_stopped_renewing_its_lease_is_taken_over_once_and_finished() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "se01.contoso.com").await);
        let users = users_of(&db, from, 25).await;
        let job = crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false)
            .await
            .unwrap();
        let (runner, lease, _) = lease_of(&db, job).await;
        assert_eq!(runner.as_deref(), Some("local"));
        assert!(lease > now_ms(), "a new job is leased to the replica that recorded it");
        assert_eq!(run_chunk(&db, job, 10).await, Ok(ChunkStep::More));

        let alive = now_ms() + 60_000;
        sqlx::query("UPDATE jobs SET runner = 'replica-a', lease_until_ms = $1 WHERE id = $2")
            .bind(alive)
            .bind(job.0)
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(run_chunk(&db, job, 10).await, Ok(ChunkStep::Elsewhere));
        assert_eq!(take_over(&db, SETTINGS).await, Ok(Vec::new()));
        assert_eq!(renew_leases(&db).await, Ok(0), "only this replica's leases are renewed");
        assert_eq!(lease_of(&db, job).await, (Some("replica-a".into()), alive, "running".into()));
        assert_eq!(load(&db, job).await.unwrap().done, 10);

        sqlx::query("UPDATE jobs SET lease_until_ms = $1 WHERE id = $2")
            .bind(now_ms() - 1)
            .bind(job.0)
            .execute(&db)
            .await
            .unwrap();
        let mut changes = changes();
        let (first, second) = tokio::join!(take_over(&db, SETTINGS), take_over(&db, SETTINGS));
        let mut taken = [first.unwrap(), second.unwrap()].concat();
        taken.sort();
        assert_eq!(taken, vec![job], "exactly one claim wins");
        while load(&db, job).await.unwrap().state == JobState::Running {
            let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
        }
        let done = load(&db, job).await.unwrap();
        assert_eq!((done.state, done.done, done.moved), (JobState::Completed, 25, 25));
        assert!(home_of(&db, &users).await.iter().all(|p| *p == to.0));
        let (by, parameters): (String, String) = sqlx::query_as(
            "SELECT operator_name, parameters FROM audit_events WHERE operation = 'move_job_resume'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(by, FAILOVER_ACTOR.name);
        let parameters: serde_json::Value = serde_json::from_str(&parameters).unwrap();
        assert_eq!(parameters, json!({"job": job.0, "replica": "local", "from": "replica-a"}));
    }

    /// A replica starting after a crash marks its own running jobs interrupted (as a single
    /// portal does), and leaves those another live replica holds running.
    #[tokio::test]
    async fn a_starting_replica_interrupts_only_its_own_running_jobs() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "se01.contoso.com").await);
        let users = users_of(&db, from, 20).await;
        let create = async |users| {
            crate::server::operations::moves::tests::create_job(&db, &operator(), users, to, false).await
        };
        let own = create(&users[..10]).await.unwrap();
        let other = create(&users[10..]).await.unwrap();
        sqlx::query("UPDATE jobs SET runner = 'replica-b', lease_until_ms = $1 WHERE id = $2")
            .bind(now_ms() + 60_000)
            .bind(other.0)
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(recover(&db, SETTINGS).await.unwrap(), (1, Vec::new()));
        assert_eq!(load(&db, own).await.unwrap().state, JobState::Interrupted);
        assert_eq!(load(&db, other).await.unwrap().state, JobState::Running);
        assert_eq!(renew_leases(&db).await, Ok(0));
    }

    #[tokio::test]
    async fn a_failing_chunk_is_rolled_back_and_the_job_can_resume_after_the_fix() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 20).await;
        let job = crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false)
            .await
            .unwrap();
        run_chunk(&db, job, 7).await.unwrap();
        crate::server::storage::db::inject_failure(&db, "fail_chunk", "INSERT", "audit_event_users", None)
            .await;
        assert_eq!(drive(db.clone(), job, SETTINGS).await, JobState::Failed);
        let failed = load(&db, job).await.unwrap();
        assert_eq!(
            (failed.state, failed.done, failed.error),
            (JobState::Failed, 7, Some(AppError::INTERNAL))
        );
        let homes = home_of(&db, &users).await;
        assert_eq!(homes.iter().filter(|p| **p == to.0).count(), 7, "the failed chunk moved nobody");
        crate::server::storage::db::remove_failure(&db, "fail_chunk", "audit_event_users").await;
        reopen(&db, (&operator()).into(), job).await.unwrap();
        assert_eq!(drive(db.clone(), job, SETTINGS).await, JobState::Completed);
        assert!(home_of(&db, &users).await.iter().all(|p| *p == to.0));
    }

    #[tokio::test]
    async fn each_chunk_judges_its_users_as_they_are_when_their_turn_comes() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 12).await;
        let job = crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false)
            .await
            .unwrap();
        let order: Vec<UserId> =
            lines(&db, job, JobLineFilter::All, 1).await.unwrap().items.iter().map(|l| l.id).collect();
        // Before the job reaches them: one user is disabled for the service, one already moved.
        sqlx::query("DELETE FROM enabled_users WHERE user_id = $1")
            .bind(order[11].0)
            .execute(&db)
            .await
            .unwrap();
        crate::server::operations::moves::tests::run(&db, &operator(), &[order[10]], to, false)
            .await
            .unwrap();
        assert_eq!(drive(db.clone(), job, SETTINGS).await, JobState::Completed);
        let outcomes = outcomes(&db, job).await;
        assert_eq!(outcomes[10], (Some("refused".into()), Some("already_there".into())));
        assert_eq!(outcomes[11], (Some("refused".into()), Some("not_enabled".into())));
        assert_eq!(load(&db, job).await.unwrap().moved, 10);
    }

    #[tokio::test]
    async fn a_job_is_validated_as_a_whole_before_it_starts() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "se01.contoso.com").await);
        sqlx::query("UPDATE pools SET capacity = 1 WHERE id = $1").bind(to.0).execute(&db).await.unwrap();
        let users = users_of(&db, from, 10).await;
        assert!(matches!(
            crate::server::operations::moves::tests::create_job(&db, &operator(), &users, to, false).await,
            Err(AppError::CapacityExceeded { .. })
        ));
        let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs").fetch_one(&db).await.unwrap();
        assert_eq!(jobs, 0);
        assert_eq!(load(&db, JobId(99)).await, Err(AppError::JobNotFound));
    }
}

//! Operations on users (enable, move, delete, configure, organization move), all in one shape:
//! a stored `selection` of users → `preview` (the plan as the users are now, with a preview
//! token) → `run` (the token; exactly the previewed plan, or a refusal if it changed). Each
//! operation says only what is its own by implementing `Operation`; this module decides
//! everything they share, including whether a run is done inline or as a job.
//! Export and import of user data live here too.

pub mod approval;
pub mod configure;
pub mod delete;
pub mod enable;
pub mod export;
pub mod moves;
pub mod selection;
pub mod undo;
pub mod user_data;

use crate::domain::AppError;
use crate::domain::jobs::{JobId, JobKind, Started};
use crate::domain::operation::{OperationKind, PREVIEW_TOKEN_MINUTES, PreviewToken, Previewed, SelectionId};
use crate::domain::operator::Operator;
use crate::domain::pool::{PoolState, ServerVersion};
use crate::domain::schedule::{JobSchedule, ScheduleProblem, ScheduleRequest, ScheduleSummary};
use crate::domain::user::{ServerDataCounts, UserId, distinct_selection};
use crate::server::directory::users::DataCountsRecord;
use crate::server::jobs::JobSettings;
use crate::server::now;
use crate::server::security::operators::{random_token, token_hash};
use crate::server::storage::db::Engine;
use crate::server::storage::db::{in_write, read_snapshot};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{AnyConnection, AnyPool};

/// What one operation is: how it plans, what of a plan must not change before the run, how it
/// applies a plan inline and how it records one as a job.
pub trait Operation {
    const KIND: OperationKind;
    /// Whether a run above the job threshold becomes a job (enabling is one transaction always,
    /// its batches being capped lower).
    const RUNS_AS_JOB: bool;
    /// Whether every run is a job, however few its users (an undo).
    const ALWAYS_AS_JOB: bool = false;
    type Options: Serialize + DeserializeOwned + Send + Sync;
    type Preview: Send;
    type Run: Send;

    /// Plans the operation on these users from their state now. Refuses bad options and users
    /// the operation cannot take (unknown, too many).
    fn plan(
        conn: &mut AnyConnection,
        users: &[UserId],
        options: &Self::Options,
    ) -> impl Future<Output = Result<Self::Preview, AppError>> + Send;

    /// The part of a plan that, if it differs at the run, means the preview is no longer what
    /// the run would do.
    fn fingerprint(preview: &Self::Preview) -> String;

    /// Users the plan covers (what decides inline or job).
    fn lines(preview: &Self::Preview) -> u64;

    /// Whether the run needs the operator's password again (a force move, a delete).
    fn needs_step_up(options: &Self::Options) -> bool;

    /// Cuts a preview to what the browser shows.
    fn shorten(preview: &mut Self::Preview);

    /// Applies the plan in the caller's transaction, with its audit record.
    fn apply(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: Self::Preview,
        options: &Self::Options,
    ) -> impl Future<Output = Result<Self::Run, AppError>> + Send;

    /// Cuts a run's result to what the browser shows.
    fn shorten_run(run: &mut Self::Run);

    /// What an undo of the plan's change keeps: the change's kind (its tables) and whether it
    /// deletes user data. `None`: the operation cannot be undone (enabling).
    fn undo_kept(_preview: &Self::Preview) -> Option<(JobKind, bool)> {
        None
    }

    /// The users the plan changes (whose rows an undo keeps).
    fn changed_users(_preview: &Self::Preview) -> Vec<UserId> {
        Vec::new()
    }

    /// Items of user data the plan deletes (what an approver is shown).
    fn data_lost(_preview: &Self::Preview) -> u64 {
        0
    }

    /// The pool the operation homes its users on, if it does: a pool-scoped operator may
    /// choose only their pools.
    fn destination(_options: &Self::Options) -> Option<crate::domain::pool::PoolId> {
        None
    }

    /// Where the plan takes its users (a pool, an organization), for an approver.
    fn target(_preview: &Self::Preview) -> Option<String> {
        None
    }

    /// The audit event of an applied run: what names the change to undo.
    fn event_of(_run: &Self::Run) -> Option<i64> {
        None
    }

    /// Records the plan as a job in the caller's transaction (its audit event with the planned
    /// counts, its users in plan order); the job's task does the work. Only asked of operations
    /// that run as jobs; the others keep this default.
    fn create_job(
        _conn: &mut AnyConnection,
        _operator: &Operator,
        _preview: &Self::Preview,
        _options: &Self::Options,
    ) -> impl Future<Output = Result<JobId, AppError>> + Send {
        async { Err(AppError::INTERNAL) }
    }
}

/// An enabled user as the operations plan from it: home pool, SIP URI and data amounts.
pub(crate) struct EnabledUser {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: String,
    pub converted_to_ep: bool,
    pub pool_id: i64,
    pub pool_fqdn: String,
    pub pool_version: ServerVersion,
    pub pool_state: PoolState,
    pub data: ServerDataCounts,
}

/// The enabled users among `ids`, by display name, in one query (the amounts of data come from
/// the trigger-maintained counts). Users no longer enabled are simply not there: a job's chunk
/// reports them; a plan refuses them (`enabled_users_all`).
pub(crate) async fn enabled_users(
    conn: &mut AnyConnection,
    ids: &[UserId],
) -> Result<Vec<EnabledUser>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: i64,
        display_name: String,
        sip_uri: String,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        converted_to_ep: bool,
        pool_id: i64,
        fqdn: String,
        version: String,
        state: String,
        #[sqlx(flatten)]
        data: DataCountsRecord,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT e.user_id, d.display_name, e.sip_uri, e.converted_to_ep, e.pool_id, p.fqdn, p.version, p.state,
                n.contacts, n.contact_groups, n.allowed, n.blocked, n.meetings, n.presence_items
         FROM {} ids
         JOIN enabled_users e ON e.user_id = ids.value
         JOIN directory_users d ON d.id = e.user_id
         JOIN pools p ON p.id = e.pool_id
         JOIN user_data_counts n ON n.user_id = e.user_id
         ORDER BY d.display_name COLLATE NOCASE, e.user_id",
        Engine::of(conn).id_rows("$1")
    ))
    .bind(serde_json::to_string(ids).map_err(|_| AppError::INTERNAL)?)
    .fetch_all(&mut *conn)
    .await?;
    let corrupt = crate::server::storage::error::corrupt;
    rows.into_iter()
        .map(|r| {
            Ok(EnabledUser {
                id: UserId(r.user_id),
                display_name: r.display_name,
                sip_uri: r.sip_uri,
                converted_to_ep: r.converted_to_ep,
                pool_id: r.pool_id,
                pool_fqdn: r.fqdn,
                pool_version: r.version.parse().map_err(|_| corrupt("server version", &r.version))?,
                pool_state: r.state.parse().map_err(|_| corrupt("pool state", &r.state))?,
                data: r.data.into(),
            })
        })
        .collect()
}

/// The users of a plan: each once, at most `max`, and every one of them enabled — a user
/// deleted (or never enabled) since the list was shown refuses the whole operation rather than
/// act on a set the operator did not see.
pub(crate) async fn enabled_users_all(
    conn: &mut AnyConnection,
    users: &[UserId],
    max: usize,
) -> Result<Vec<EnabledUser>, AppError> {
    let ids = distinct_selection(users, max)?;
    let found = enabled_users(conn, &ids).await?;
    if found.len() != ids.len() {
        return Err(AppError::UnknownUsers);
    }
    Ok(found)
}

/// What the operation would do to the selection's users; changes nothing but storing the
/// preview token that its run names.
pub async fn preview<O: Operation>(
    db: &AnyPool,
    operator: &Operator,
    selection: SelectionId,
    options: &O::Options,
) -> Result<Previewed<O::Preview>, AppError> {
    preview_scheduled::<O>(db, operator, selection, options, &ScheduleRequest::default()).await
}

/// `preview`, with when and how fast the run's job should work: checked here (a bad schedule
/// is refused before anything is stored), kept with the preview, and given to the job its run
/// records — a scheduled run always becomes a job, however few its users.
pub async fn preview_scheduled<O: Operation>(
    db: &AnyPool,
    operator: &Operator,
    selection: SelectionId,
    options: &O::Options,
    schedule: &ScheduleRequest,
) -> Result<Previewed<O::Preview>, AppError> {
    let now_ms = crate::server::now_ms();
    let schedule = crate::server::jobs::schedule::resolve(schedule, now_ms)?;
    if schedule.is_some() && !O::RUNS_AS_JOB {
        return Err(AppError::InvalidSchedule { problem: ScheduleProblem::NotForThisOperation });
    }
    let schedule_json =
        schedule.as_ref().map(serde_json::to_string).transpose().map_err(|_| AppError::INTERNAL)?;
    let mut preview = {
        let mut snapshot = read_snapshot(db).await?;
        let users = reach::<O>(&mut snapshot, operator, selection, options).await?;
        O::plan(&mut snapshot, &users, options).await?
    };
    let fingerprint = O::fingerprint(&preview);
    let lines = O::lines(&preview);
    let token = random_token();
    let options_json = serde_json::to_string(options).map_err(|_| AppError::INTERNAL)?;
    in_write(db, async |conn| {
        sqlx::query("DELETE FROM previews WHERE created_at < $1")
            .bind(now() - PREVIEW_TOKEN_MINUTES * 60)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO previews (token_hash, operator_id, selection_id, kind, options, fingerprint, created_at,
                                   schedule)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token_hash(&token))
        .bind(operator.id.0)
        .bind(selection.0)
        .bind(O::KIND.as_str())
        .bind(&options_json)
        .bind(&fingerprint)
        .bind(now())
        .bind(&schedule_json)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
    .await?;
    O::shorten(&mut preview);
    let schedule = schedule.map(|schedule| {
        let first_run = crate::server::jobs::schedule::waiting(&schedule, now_ms)
            .map(|(_, at)| crate::server::jobs::schedule::zoned(at, &schedule.time_zone));
        ScheduleSummary { schedule, first_run }
    });
    Ok(Previewed { token: PreviewToken(token), selection, lines, preview, schedule })
}

/// The selection's users, all inside the operator's scope, and a destination they may choose.
async fn reach<O: Operation>(
    conn: &mut AnyConnection,
    operator: &Operator,
    selection: SelectionId,
    options: &O::Options,
) -> Result<Vec<UserId>, AppError> {
    if O::destination(options).is_some_and(|pool| !operator.scope.allows_destination(pool)) {
        return Err(AppError::DestinationOutOfScope);
    }
    selection::users(conn, operator, selection).await
}

/// A stored preview, as its run finds it.
struct StoredPreview {
    selection: SelectionId,
    options: String,
    fingerprint: String,
    /// The job's schedule (JSON), if the operator gave one.
    schedule: Option<String>,
}

impl StoredPreview {
    fn schedule(&self) -> Result<Option<JobSchedule>, AppError> {
        schedule_of(self.schedule.as_deref())
    }
}

/// A kept schedule read back.
pub(crate) fn schedule_of(json: Option<&str>) -> Result<Option<JobSchedule>, AppError> {
    json.map(|json| {
        serde_json::from_str(json)
            .map_err(|_| crate::server::storage::error::corrupt("preview schedule", json))
    })
    .transpose()
}

/// The operator's unused, unexpired preview of this kind behind `token`; anything else is
/// `PreviewExpired` (a token of another operator is as good as unknown).
async fn stored_preview(
    conn: &mut AnyConnection,
    operator: &Operator,
    kind: OperationKind,
    token: &PreviewToken,
) -> Result<StoredPreview, AppError> {
    let row: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT selection_id, options, fingerprint, schedule FROM previews
         WHERE token_hash = $1 AND operator_id = $2 AND kind = $3 AND used_at IS NULL AND created_at >= $4",
    )
    .bind(token_hash(&token.0))
    .bind(operator.id.0)
    .bind(kind.as_str())
    .bind(now() - PREVIEW_TOKEN_MINUTES * 60)
    .fetch_optional(&mut *conn)
    .await?;
    let (selection, options, fingerprint, schedule) = row.ok_or(AppError::PreviewExpired)?;
    Ok(StoredPreview { selection: SelectionId(selection), options, fingerprint, schedule })
}

fn options_of<O: Operation>(stored: &StoredPreview) -> Result<O::Options, AppError> {
    serde_json::from_str(&stored.options)
        .map_err(|_| crate::server::storage::error::corrupt("preview options", &stored.options))
}

/// Whether running this preview needs the operator's password again; asked before the run,
/// whose transaction must not wait for a password check.
pub async fn needs_step_up<O: Operation>(
    db: &AnyPool,
    operator: &Operator,
    token: &PreviewToken,
) -> Result<bool, AppError> {
    let mut conn = db.acquire().await?;
    let stored = stored_preview(&mut conn, operator, O::KIND, token).await?;
    Ok(O::needs_step_up(&options_of::<O>(&stored)?))
}

/// Runs a preview: plans again from the users' state now and, if the plan is the previewed one,
/// applies it — at most the job threshold's users inline, in this one transaction; more as a
/// job recorded in it, whose task starts once it is committed. The token is then used up.
pub async fn run<O: Operation>(
    db: &AnyPool,
    jobs: JobSettings,
    operator: &Operator,
    token: &PreviewToken,
) -> Result<Started<O::Run>, AppError> {
    let started = in_write(db, async |conn| {
        let stored = stored_preview(conn, operator, O::KIND, token).await?;
        let options = options_of::<O>(&stored)?;
        let users = reach::<O>(conn, operator, stored.selection, &options).await?;
        let schedule = stored.schedule()?;
        let started =
            run_plan::<O>(conn, jobs, operator, &users, &options, &stored.fingerprint, schedule.as_ref())
                .await?;
        sqlx::query("UPDATE previews SET used_at = $1 WHERE token_hash = $2")
            .bind(now())
            .bind(token_hash(&token.0))
            .execute(&mut *conn)
            .await?;
        Ok(started)
    })
    .await?;
    if let Started::Job(job) = &started {
        crate::server::jobs::spawn(db.clone(), *job, jobs);
    }
    Ok(started)
}

/// Users that left an operation's reach since its preview are a change, not a mistake of the
/// operator's.
fn changed_since(error: AppError) -> AppError {
    match error {
        AppError::UnknownUsers | AppError::AlreadyEnabled | AppError::CapacityExceeded { .. } => {
            AppError::SelectionChanged
        }
        other => other,
    }
}

/// Plans again from the users' state now and, if the plan is the previewed one (`fingerprint`),
/// applies it in the caller's transaction — inline, or recorded as a job (which the caller
/// starts once committed). What a run and an approved request both do.
async fn run_plan<O: Operation>(
    conn: &mut AnyConnection,
    jobs: JobSettings,
    operator: &Operator,
    users: &[UserId],
    options: &O::Options,
    fingerprint: &str,
    schedule: Option<&JobSchedule>,
) -> Result<Started<O::Run>, AppError> {
    let plan = O::plan(conn, users, options).await.map_err(changed_since)?;
    if O::fingerprint(&plan) != fingerprint {
        return Err(AppError::SelectionChanged);
    }
    let as_job = O::ALWAYS_AS_JOB || schedule.is_some() || O::lines(&plan) > jobs.threshold as u64;
    if O::RUNS_AS_JOB && as_job {
        let job = O::create_job(conn, operator, &plan, options).await?;
        if let Some(schedule) = schedule {
            crate::server::jobs::schedule_job(conn, job, schedule, jobs).await?;
        }
        return Ok(Started::Job(job));
    }
    let mut run = apply_keeping_undo::<O>(conn, operator, plan, options).await?;
    O::shorten_run(&mut run);
    Ok(Started::Done(run))
}

/// Applies a plan inline; for an operation that can be undone, first keeps the rows of the users
/// it changes and then their state after, in the same transaction.
async fn apply_keeping_undo<O: Operation>(
    conn: &mut AnyConnection,
    operator: &Operator,
    plan: O::Preview,
    options: &O::Options,
) -> Result<O::Run, AppError> {
    let changed = O::changed_users(&plan);
    let Some((kind, data_lost)) = O::undo_kept(&plan).filter(|_| !changed.is_empty()) else {
        return O::apply(conn, operator, plan, options).await;
    };
    let tables = undo::tables_of(kind, data_lost);
    let snapshot = undo::open(conn, kind, data_lost, &tables, None, None).await?;
    undo::keep_before(conn, snapshot, &tables, &changed).await?;
    let run = O::apply(conn, operator, plan, options).await?;
    undo::seal(conn, snapshot, &changed, &[]).await?;
    let event = O::event_of(&run).ok_or(AppError::INTERNAL)?;
    undo::name_event(conn, snapshot, event).await?;
    Ok(run)
}

/// Runs a preview as `run` does, after the operator's password when the run needs it again (a
/// force move, a delete): checked first, outside the run's transaction; a run the approval
/// policy holds becomes a request instead. What both the server functions and the scripting
/// API call.
pub async fn run_confirmed<O: Operation>(
    db: &AnyPool,
    config: &crate::server::Config,
    operator: &Operator,
    token: &PreviewToken,
    password: Option<&str>,
    client: &crate::server::security::operators::Client,
) -> Result<Started<O::Run>, AppError> {
    let needed = needs_step_up::<O>(db, operator, token).await?;
    crate::server::security::operators::step_up_if(needed, db, config, operator, password, client).await?;
    // The approval policy may hold the run for a second operator.
    if let Some(request) = approval::hold::<O>(db, operator, token).await? {
        return Ok(Started::Requested(request));
    }
    run::<O>(db, config.jobs, operator, token).await
}

/// Plans and applies at once, in one transaction, on these users: for tests of the operations'
/// rules, which need no preview in between.
#[cfg(test)]
pub async fn apply_now<O: Operation>(
    db: &AnyPool,
    operator: &Operator,
    users: &[UserId],
    options: &O::Options,
) -> Result<O::Run, AppError> {
    in_write(db, async |conn| {
        let plan = O::plan(conn, users, options).await?;
        O::apply(conn, operator, plan, options).await
    })
    .await
}

/// Records the plan of these users as a job and starts nothing: for tests of the job engine.
#[cfg(test)]
pub async fn create_job_now<O: Operation>(
    db: &AnyPool,
    operator: &Operator,
    users: &[UserId],
    options: &O::Options,
) -> Result<JobId, AppError> {
    in_write(db, async |conn| {
        let plan = O::plan(conn, users, options).await?;
        O::create_job(conn, operator, &plan, options).await
    })
    .await
}

#[cfg(test)]
mod tests;

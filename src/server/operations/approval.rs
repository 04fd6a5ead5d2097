//! Two-person approval of runs. `run_confirmed` asks `hold` before running a preview: when the
//! policy holds the run, the preview becomes a request (its token is spent; its users, options
//! and fingerprint are kept) and nothing changes. Another operator with the operation's
//! permission approves it — the run then happens as the requester's, exactly as previewed or
//! not at all (`SelectionChanged`: the request is outdated, a new preview is needed) — or
//! rejects it. A request nobody decides expires.

use super::{Operation, StoredPreview, options_of, run_plan, selection, stored_preview};
use crate::domain::AppError;
use crate::domain::approval::{
    ApprovalId, ApprovalPolicy, ApprovalReason, ApprovalRequest, ApprovalState, checked_comment,
};
use crate::domain::jobs::{JobId, Started};
use crate::domain::operation::{OperationKind, PreviewToken};
use crate::domain::operator::{Operator, OperatorId};
use crate::domain::user::UserId;
use crate::server::directory::within::push_within;
use crate::server::jobs::JobSettings;
use crate::server::now;
use crate::server::security::audit;
use crate::server::security::operators::{Client, token_hash};
use crate::server::storage::db::engine;
use crate::server::storage::db::{Engine, in_write, read_snapshot};
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

const POLICY_KEY: &str = "approval_policy";

/// The policy in force (none: nothing needs approval).
pub async fn policy(db: &AnyPool) -> Result<ApprovalPolicy, AppError> {
    let mut conn = db.acquire().await?;
    policy_in(&mut conn).await
}

async fn policy_in(conn: &mut AnyConnection) -> Result<ApprovalPolicy, AppError> {
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(POLICY_KEY)
        .fetch_optional(&mut *conn)
        .await?;
    match stored {
        None => Ok(ApprovalPolicy::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|_| crate::server::storage::error::corrupt("approval policy", &text)),
    }
}

/// Sets the policy (an Enterprise Administrator's), audited with what it says.
pub async fn set_policy(db: &AnyPool, operator: &Operator, policy: ApprovalPolicy) -> Result<(), AppError> {
    let policy = policy.checked()?;
    let text = serde_json::to_string(&policy).map_err(|_| AppError::INTERNAL)?;
    in_write(db, async |conn| {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(POLICY_KEY)
        .bind(&text)
        .execute(&mut *conn)
        .await?;
        let parameters = serde_json::to_value(policy).map_err(|_| AppError::INTERNAL)?;
        audit::record(conn, operator, "approval_policy", parameters, 0).await?;
        Ok(())
    })
    .await
}

/// What a held run's request says about its plan.
pub(crate) struct Held {
    pub force: bool,
    pub users: u64,
    pub changing: u64,
    pub data_lost: u64,
    pub target: Option<String>,
}

/// Before a run: when the policy holds it, records the request (the preview's token spent) and
/// returns it; otherwise `None`, and the run goes ahead. Refuses as the run would when the
/// users changed since the preview.
pub(crate) async fn hold<O: Operation>(
    db: &AnyPool,
    operator: &Operator,
    token: &PreviewToken,
) -> Result<Option<ApprovalId>, AppError> {
    let policy = policy(db).await?;
    if !policy.any() {
        return Ok(None);
    }
    let (stored, users, held) = {
        let mut snapshot = read_snapshot(db).await?;
        let stored = stored_preview(&mut snapshot, operator, O::KIND, token).await?;
        let options = options_of::<O>(&stored)?;
        let users = selection::users(&mut snapshot, operator, stored.selection).await?;
        let plan = O::plan(&mut snapshot, &users, &options).await.map_err(super::changed_since)?;
        if O::fingerprint(&plan) != stored.fingerprint {
            return Err(AppError::SelectionChanged);
        }
        let held = Held {
            force: O::KIND == OperationKind::Move && O::needs_step_up(&options),
            users: O::lines(&plan),
            changing: O::changed_users(&plan).len() as u64,
            data_lost: O::data_lost(&plan),
            target: O::target(&plan),
        };
        (stored, users, held)
    };
    let Some(reason) = policy.requires(O::KIND, held.force, held.users) else {
        return Ok(None);
    };
    let needs_password = O::needs_step_up(&options_of::<O>(&stored)?);
    let request = in_write(db, async |conn| {
        // Spent like a run's: the request is the preview's one use.
        let spent = sqlx::query("UPDATE previews SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now())
            .bind(token_hash(&token.0))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if spent != 1 {
            return Err(AppError::PreviewExpired);
        }
        record(conn, operator, O::KIND, &stored, &users, &held, reason, needs_password, policy.expiry_hours)
            .await
    })
    .await?;
    Ok(Some(request))
}

#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut AnyConnection,
    operator: &Operator,
    kind: OperationKind,
    stored: &StoredPreview,
    users: &[UserId],
    held: &Held,
    reason: ApprovalReason,
    needs_password: bool,
    expiry_hours: u32,
) -> Result<ApprovalId, AppError> {
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO approval_requests (kind, options, force, reason, requester_id, requester_name, created_at,
                                        expires_at, users, changing, data_lost, target, fingerprint, needs_password,
                                        schedule)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(&stored.options)
    .bind(Flag(held.force))
    .bind(reason.as_str())
    .bind(operator.id.0)
    .bind(&operator.username)
    .bind(at)
    .bind(at + i64::from(expiry_hours) * 3600)
    .bind(held.users as i64)
    .bind(held.changing as i64)
    .bind(held.data_lost as i64)
    .bind(&held.target)
    .bind(&stored.fingerprint)
    .bind(Flag(needs_password))
    .bind(&stored.schedule)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO approval_users (request_id, position, user_id) SELECT $1, key, value FROM {} ids",
        Engine::of(conn).id_rows("$2")
    ))
    .bind(id)
    .bind(serde_json::to_string(users).map_err(|_| AppError::INTERNAL)?)
    .execute(&mut *conn)
    .await?;
    let parameters = json!({"request": id, "kind": kind.as_str(), "reason": reason.as_str(),
                            "users": held.users, "data_lost": held.data_lost, "target": held.target});
    audit::record(conn, operator, "approval_request", parameters, held.users).await?;
    Ok(ApprovalId(id))
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    kind: String,
    options: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    force: bool,
    reason: String,
    requester_id: i64,
    requester_name: String,
    created_at: i64,
    expires_at: i64,
    state: String,
    users: i64,
    changing: i64,
    data_lost: i64,
    target: Option<String>,
    fingerprint: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    needs_password: bool,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    comment: Option<String>,
    job_id: Option<i64>,
    event_id: Option<i64>,
    /// The job schedule of the held preview (JSON); a start that passed meanwhile starts at once.
    schedule: Option<String>,
}

const REQUEST_COLUMNS: &str = "id, kind, options, force, reason, requester_id, requester_name, created_at, expires_at,
     state, users, changing, data_lost, target, fingerprint, needs_password, decided_by, decided_at, comment, job_id,
     event_id, schedule";

impl RequestRow {
    fn request(&self) -> Result<ApprovalRequest, AppError> {
        let corrupt = |what: &str, value: &str| crate::server::storage::error::corrupt(what, value);
        Ok(ApprovalRequest {
            id: ApprovalId(self.id),
            kind: self.kind.parse().map_err(|_| corrupt("request kind", &self.kind))?,
            force: self.force,
            reason: self.reason.parse().map_err(|_| corrupt("request reason", &self.reason))?,
            requested_by: self.requester_name.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            // A pending request past its time reads as expired, before the sweep marks it.
            state: match self.state.parse().map_err(|_| corrupt("request state", &self.state))? {
                ApprovalState::Pending if self.expires_at < now() => ApprovalState::Expired,
                state => state,
            },
            users: self.users as u64,
            changing: self.changing as u64,
            data_lost: self.data_lost as u64,
            target: self.target.clone(),
            fingerprint: self.fingerprint.clone(),
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at,
            comment: self.comment.clone(),
            job: self.job_id.map(JobId),
            event_id: self.event_id,
            needs_password: self.needs_password,
        })
    }
}

async fn load(conn: &mut AnyConnection, id: ApprovalId) -> Result<RequestRow, AppError> {
    sqlx::query_as(&format!("SELECT {REQUEST_COLUMNS} FROM approval_requests WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::ApprovalNotFound)
}

/// The most recent requests, newest first (pending ones past their time marked expired first).
pub async fn list(db: &AnyPool, viewer: &Operator) -> Result<Vec<ApprovalRequest>, AppError> {
    expire(db).await?;
    let mut qb =
        SqlBuilder::new(engine(db), format!("SELECT {REQUEST_COLUMNS} FROM approval_requests r WHERE 1 = 1"));
    push_visible(&mut qb, viewer);
    qb.push(" ORDER BY (state = 'pending') DESC, id DESC LIMIT 100");
    let rows: Vec<RequestRow> = qb.build_query_as().fetch_all(db).await?;
    rows.iter().map(RequestRow::request).collect()
}

/// Keeps the requests a viewer may see: all for an unscoped one; for a scoped operator their
/// own and those whose every user is inside their scope (the others name users outside it).
fn push_visible(qb: &mut SqlBuilder<'_>, viewer: &Operator) {
    if viewer.scope.is_everything() {
        return;
    }
    qb.push(" AND (r.requester_id = ").push_bind(viewer.id.0);
    qb.push(
        " OR NOT EXISTS (SELECT 1 FROM approval_users a LEFT JOIN enabled_users e ON e.user_id = a.user_id
           WHERE a.request_id = r.id AND NOT (1 = 1",
    );
    push_within(qb, &viewer.scope, "a.user_id", Some("e.pool_id"));
    qb.push(")))");
}

/// One request, with its first users (id, name) for the approver to see; a request a scoped
/// viewer may not see is as good as missing.
pub async fn one(
    db: &AnyPool,
    viewer: &Operator,
    id: ApprovalId,
) -> Result<(ApprovalRequest, Vec<(UserId, String)>), AppError> {
    let mut qb = SqlBuilder::new(engine(db), "SELECT COUNT(*) FROM approval_requests r WHERE r.id = ");
    qb.push_bind(id.0);
    push_visible(&mut qb, viewer);
    let visible: i64 = qb.build_query_scalar().fetch_one(db).await?;
    if visible == 0 {
        return Err(AppError::ApprovalNotFound);
    }
    let mut conn = db.acquire().await?;
    let request = load(&mut conn, id).await?.request()?;
    let users: Vec<(i64, String)> = sqlx::query_as(
        "SELECT a.user_id, COALESCE(d.display_name, '') FROM approval_users a
         LEFT JOIN directory_users d ON d.id = a.user_id
         WHERE a.request_id = $1 ORDER BY a.position LIMIT 100",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok((request, users.into_iter().map(|(id, name)| (UserId(id), name)).collect()))
}

/// Marks pending requests past their time expired, each audited (a write only when some are).
pub async fn expire(db: &AnyPool) -> Result<u64, AppError> {
    let due: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM approval_requests WHERE state = 'pending' AND expires_at < $1",
    )
    .bind(now())
    .fetch_one(db)
    .await?;
    if due == 0 {
        return Ok(0);
    }
    in_write(db, async |conn| {
        let expired: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, requester_id, requester_name FROM approval_requests WHERE state = 'pending' AND expires_at < $1",
        )
        .bind(now())
        .fetch_all(&mut *conn)
        .await?;
        for (id, _, _) in &expired {
            sqlx::query("UPDATE approval_requests SET state = 'expired', decided_at = $1 WHERE id = $2")
                .bind(now())
                .bind(id)
                .execute(&mut *conn)
                .await?;
            audit::record_as(conn, None, "approval expiry", "approval_expire", json!({"request": id}), 0).await?;
        }
        Ok(expired.len() as u64)
    })
    .await
}

/// The checks every decision makes: the request is pending and in time, the decider is not the
/// requester and holds the operation's permission.
fn decidable(row: &RequestRow, decider: &Operator) -> Result<OperationKind, AppError> {
    let request = row.request()?;
    match request.state {
        ApprovalState::Pending => {}
        ApprovalState::Expired => return Err(AppError::ApprovalExpired),
        _ => return Err(AppError::ApprovalDecided),
    }
    if row.requester_id == decider.id.0 {
        return Err(AppError::SelfApproval);
    }
    let permission = match request.kind {
        OperationKind::Undo => crate::domain::operator::Permission::ManageUsers,
        kind => kind.permission(),
    };
    if !decider.may(permission) {
        return Err(AppError::Forbidden);
    }
    Ok(request.kind)
}

/// Takes the decision of a pending request in the caller's transaction: of two operators
/// deciding at once, one gets it (the other's update finds it taken, on either engine) and the
/// other is told it was decided.
async fn claim(conn: &mut AnyConnection, decider: &Operator, id: ApprovalId) -> Result<(), AppError> {
    let claimed = sqlx::query(
        "UPDATE approval_requests SET decided_by = $1 WHERE id = $2 AND state = 'pending' AND decided_by IS NULL",
    )
    .bind(&decider.username)
    .bind(id.0)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(AppError::ApprovalDecided);
    }
    Ok(())
}

/// Rejects a request, with a comment.
pub async fn reject(db: &AnyPool, decider: &Operator, id: ApprovalId, comment: &str) -> Result<(), AppError> {
    let comment = checked_comment(comment)?;
    in_write(db, async |conn| {
        let row = load(conn, id).await?;
        decidable(&row, decider)?;
        claim(conn, decider, id).await?;
        sqlx::query(
            "UPDATE approval_requests SET state = 'rejected', decided_by = $1, decided_at = $2, comment = $3
             WHERE id = $4",
        )
        .bind(&decider.username)
        .bind(now())
        .bind(&comment)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        let parameters = json!({"request": id.0, "requester": row.requester_name, "comment": comment});
        audit::record(conn, decider, "approval_reject", parameters, 0).await?;
        Ok(())
    })
    .await
}

/// Approves a request: the run happens now, as the requester's with the approver named, or the
/// request is outdated (the users changed since its preview) and `SelectionChanged` says so.
/// A run that deletes data needs the approver's password.
pub async fn approve(
    db: &AnyPool,
    config: &crate::server::Config,
    decider: &Operator,
    id: ApprovalId,
    comment: &str,
    password: Option<&str>,
    client: &Client,
) -> Result<Started<()>, AppError> {
    let comment = checked_comment(comment)?;
    let (kind, needs_password) = {
        let mut conn = db.acquire().await?;
        let row = load(&mut conn, id).await?;
        (decidable(&row, decider)?, row.needs_password)
    };
    crate::server::security::operators::step_up_if(needs_password, db, config, decider, password, client)
        .await?;
    use super::{configure::Configure, delete::Delete, enable::Enable, moves::Move, undo::Undo};
    use crate::server::organizations::moves::OrgMove;
    let jobs = config.jobs;
    match kind {
        OperationKind::Enable => approve_as::<Enable>(db, jobs, decider, id, comment).await,
        OperationKind::Move => approve_as::<Move>(db, jobs, decider, id, comment).await,
        OperationKind::Delete => approve_as::<Delete>(db, jobs, decider, id, comment).await,
        OperationKind::Configure => approve_as::<Configure>(db, jobs, decider, id, comment).await,
        OperationKind::OrgMove => approve_as::<OrgMove>(db, jobs, decider, id, comment).await,
        OperationKind::Undo => approve_as::<Undo>(db, jobs, decider, id, comment).await,
    }
}

/// What an approval found.
enum Approved {
    Ran(Started<()>, Option<JobId>),
    Outdated,
}

async fn approve_as<O: Operation>(
    db: &AnyPool,
    jobs: JobSettings,
    decider: &Operator,
    id: ApprovalId,
    comment: Option<String>,
) -> Result<Started<()>, AppError> {
    let approved = in_write(db, async |conn| {
        let row = load(conn, id).await?;
        let kind = decidable(&row, decider)?;
        claim(conn, decider, id).await?;
        let options: O::Options = serde_json::from_str(&row.options)
            .map_err(|_| crate::server::storage::error::corrupt("request options", &row.options))?;
        let users: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM approval_users WHERE request_id = $1 ORDER BY position")
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await?;
        let users: Vec<UserId> = users.into_iter().map(UserId).collect();
        // A second pair of eyes that sees only part of the users does not approve the rest.
        let permission = match kind {
            OperationKind::Undo => crate::domain::operator::Permission::ManageUsers,
            kind => kind.permission(),
        };
        crate::server::directory::within::all_inside(conn, &decider.scope_for(permission), &users).await?;
        // The run is the requester's, approved by the decider (both in its audit event); the
        // requester's scope was checked when they asked.
        let requester = Operator {
            id: OperatorId(row.requester_id),
            username: row.requester_name.clone(),
            display_name: row.requester_name.clone(),
            roles: Vec::new(),
            api_token: None,
            approved_by: Some(decider.username.clone()),
            scoped_roles: Vec::new(),
            scope: Default::default(),
        };
        let schedule = super::schedule_of(row.schedule.as_deref())?;
        let planned = run_plan::<O>(conn, jobs, &requester, &users, &options, &row.fingerprint, schedule.as_ref());
        let outcome = match planned.await {
            Err(AppError::SelectionChanged) => None,
            Ok(Started::Job(job)) => Some((Some(job), None)),
            Ok(Started::Done(run)) => Some((None, O::event_of(&run))),
            // A plan's run is never held again.
            Ok(Started::Requested(_)) => return Err(AppError::INTERNAL),
            Err(other) => return Err(other),
        };
        let (state, job, event) = match outcome {
            None => ("outdated", None, None),
            Some((job, event)) => ("approved", job.map(|j| j.0), event),
        };
        sqlx::query(
            "UPDATE approval_requests SET state = $1, decided_by = $2, decided_at = $3, comment = $4, job_id = $5,
                    event_id = $6
             WHERE id = $7",
        )
        .bind(state)
        .bind(&decider.username)
        .bind(now())
        .bind(&comment)
        .bind(job)
        .bind(event)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        let operation = if outcome.is_some() { "approval_approve" } else { "approval_outdated" };
        let parameters = json!({"request": id.0, "requester": row.requester_name, "comment": comment, "job": job});
        audit::record(conn, decider, operation, parameters, 0).await?;
        Ok(match outcome {
            None => Approved::Outdated,
            Some((Some(job), _)) => Approved::Ran(Started::Job(job), Some(job)),
            Some((None, _)) => Approved::Ran(Started::Done(()), None),
        })
    })
    .await?;
    match approved {
        Approved::Outdated => Err(AppError::SelectionChanged),
        Approved::Ran(started, job) => {
            if let Some(job) = job {
                crate::server::jobs::spawn(db.clone(), job, jobs);
            }
            Ok(started)
        }
    }
}

#[cfg(test)]
#[path = "approval_tests.rs"]
mod tests;

//! Moving users between organizations: the plan (households come along, roles revoked, alerts
//! left), the move with every side effect in one transaction with the history and the audit
//! record, and the operation and job chunk the wizard's moves run as. CSV moves and the
//! directory sync apply the same move.

use super::orgs::{all, load};
use crate::domain::AppError;
use crate::domain::jobs::{JobId, JobKind, JobUserOutcome};
use crate::domain::moves::MoveRefusal;
use crate::domain::operation::{OperationKind, OrgMoveOptions, PREVIEW_LINES, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::org::{
    OrgId, OrgMoveLine, OrgMovePreview, OrgMoveRecord, OrgMoveRun, OrgRole, Organization, check_destination,
    roles_on_leaving, with_households,
};
use crate::domain::scope::UserScope;
use crate::domain::user::{UserId, distinct_selection};
use crate::server::directory::within::push_within;
use crate::server::jobs::{ChunkLine, JobLine, JobWork};
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use crate::server::{now, security::audit};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashMap;

/// Largest number of users one organization move takes (households included).
pub const MAX_ORG_MOVE: usize = 250_000;

/// How a move came about, as the history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveSource {
    Manual,
    Csv,
    Sync,
}

impl MoveSource {
    fn as_str(self) -> &'static str {
        match self {
            MoveSource::Manual => "manual",
            MoveSource::Csv => "csv",
            MoveSource::Sync => "sync",
        }
    }
}

/// Plans a move of the chosen users and their households to `to`, as they are now.
async fn plan(
    conn: &mut AnyConnection,
    users: &[UserId],
    to: OrgId,
    lock_after_move: bool,
) -> Result<OrgMovePreview, AppError> {
    let chosen = distinct_selection(users, MAX_ORG_MOVE)?;

    // Households of the chosen users, in one query.
    let id_rows = Engine::of(conn).id_rows("$1");
    let households: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT c.value, m.user_id FROM {id_rows} c
         JOIN org_members h ON h.user_id = c.value AND h.household_id IS NOT NULL
         JOIN org_members m ON m.household_id = h.household_id
         ORDER BY c.key, m.user_id"
    ))
    .bind(serde_json::to_string(&chosen).map_err(|_| AppError::INTERNAL)?)
    .fetch_all(&mut *conn)
    .await?;
    let mut household_of: HashMap<i64, Vec<UserId>> = HashMap::new();
    for (chosen, member) in households {
        household_of.entry(chosen).or_default().push(UserId(member));
    }
    let everyone = with_households(&chosen, |id| household_of.get(&id.0).cloned().unwrap_or_default());
    if everyone.len() > MAX_ORG_MOVE {
        return Err(AppError::BatchTooLarge { max: MAX_ORG_MOVE as u64 });
    }
    plan_lines(conn, everyone, to, lock_after_move).await
}

/// Plans the move of exactly these users (each with the chosen user it moves along with, if
/// it comes as a household member) to `to`, as they are now.
async fn plan_lines(
    conn: &mut AnyConnection,
    everyone: Vec<(UserId, Option<UserId>)>,
    to: OrgId,
    lock_after_move: bool,
) -> Result<OrgMovePreview, AppError> {
    let destination = load(conn, to).await?;
    let orgs: HashMap<OrgId, Organization> = all(conn).await?.into_iter().map(|o| (o.id, o)).collect();
    let ids: Vec<i64> = everyone.iter().map(|(id, _)| id.0).collect();
    let ids_json = serde_json::to_string(&ids).map_err(|_| AppError::INTERNAL)?;

    #[derive(sqlx::FromRow)]
    struct Member {
        user_id: i64,
        display_name: String,
        org_id: i64,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        prevent_move: bool,
    }
    let id_rows = Engine::of(conn).id_rows("$1");
    let members: Vec<Member> = sqlx::query_as(&format!(
        "SELECT m.user_id, d.display_name, m.org_id, m.prevent_move
         FROM {id_rows} ids JOIN org_members m ON m.user_id = ids.value
         JOIN directory_users d ON d.id = m.user_id"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    if members.len() != ids.len() {
        return Err(AppError::UnknownUsers);
    }
    let members: HashMap<i64, Member> = members.into_iter().map(|m| (m.user_id, m)).collect();

    // Roles each user holds in the organization they are in.
    let roles: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT r.user_id, r.role FROM {id_rows} ids
         JOIN org_members m ON m.user_id = ids.value
         JOIN org_roles r ON r.user_id = m.user_id AND r.org_id = m.org_id
         ORDER BY r.role"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    let mut roles_of: HashMap<i64, Vec<OrgRole>> = HashMap::new();
    for (user, role) in roles {
        let role = role.parse().map_err(|_| crate::server::storage::error::corrupt("org role", &role))?;
        roles_of.entry(user).or_default().push(role);
    }
    // Draft and scheduled alerts of their organization that target them.
    let alerts: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT t.user_id, a.title FROM {id_rows} ids
         JOIN org_members m ON m.user_id = ids.value
         JOIN alert_targets t ON t.user_id = m.user_id
         JOIN alerts a ON a.id = t.alert_id AND a.org_id = m.org_id AND a.state IN ('draft', 'scheduled')
         ORDER BY a.title"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    let mut alerts_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (user, title) in alerts {
        alerts_of.entry(user).or_default().push(title);
    }

    let mut lines = Vec::with_capacity(everyone.len());
    for (id, along_with) in everyone {
        let m = members.get(&id.0).ok_or(AppError::UnknownUsers)?;
        let from = orgs.get(&OrgId(m.org_id)).ok_or(AppError::INTERNAL)?;
        let refusal = check_destination(from, &destination);
        let held = roles_of.remove(&id.0).unwrap_or_default();
        let (kept_roles, revoked_roles) =
            if refusal.is_some() { (held, vec![]) } else { roles_on_leaving(from, &held) };
        lines.push(OrgMoveLine {
            id,
            display_name: m.display_name.clone(),
            from: from.id,
            from_name: from.name.clone(),
            refusal,
            revoked_roles,
            kept_roles,
            alerts_left: if refusal.is_some() { vec![] } else { alerts_of.remove(&id.0).unwrap_or_default() },
            along_with,
            locked: m.prevent_move,
        });
    }
    let moving = lines.iter().filter(|l| l.refusal.is_none()).count() as u64;
    let along = lines.iter().filter(|l| l.along_with.is_some()).count() as u64;
    Ok(OrgMovePreview {
        destination,
        lock_after_move,
        count: lines.len() as u64,
        moving,
        along,
        users: lines,
    })
}

/// Moving users (and their households) between organizations, with every side effect.
pub struct OrgMove;

impl crate::server::operations::Operation for OrgMove {
    const KIND: OperationKind = OperationKind::OrgMove;
    const RUNS_AS_JOB: bool = true;
    type Options = OrgMoveOptions;
    type Preview = OrgMovePreview;
    type Run = OrgMoveRun;

    async fn plan(
        conn: &mut AnyConnection,
        users: &[UserId],
        options: &OrgMoveOptions,
    ) -> Result<OrgMovePreview, AppError> {
        plan(conn, users, options.to, options.lock_after_move).await
    }

    fn fingerprint(preview: &OrgMovePreview) -> String {
        fingerprint_of(&(&preview.users, preview.destination.id, preview.lock_after_move))
    }

    fn lines(preview: &OrgMovePreview) -> u64 {
        preview.count
    }

    fn needs_step_up(_: &OrgMoveOptions) -> bool {
        false
    }

    fn shorten(preview: &mut OrgMovePreview) {
        preview.users.truncate(PREVIEW_LINES);
    }

    async fn apply(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: OrgMovePreview,
        _: &OrgMoveOptions,
    ) -> Result<OrgMoveRun, AppError> {
        apply_plan(conn, operator.into(), preview, MoveSource::Manual).await
    }

    fn undo_kept(_: &OrgMovePreview) -> Option<(JobKind, bool)> {
        Some((JobKind::OrgMove, false))
    }

    fn changed_users(preview: &OrgMovePreview) -> Vec<UserId> {
        preview.users.iter().filter(|l| l.refusal.is_none()).map(|l| l.id).collect()
    }

    fn target(preview: &OrgMovePreview) -> Option<String> {
        Some(preview.destination.name.clone())
    }

    fn event_of(run: &OrgMoveRun) -> Option<i64> {
        Some(run.event_id)
    }

    fn shorten_run(run: &mut OrgMoveRun) {
        run.preview.users.truncate(PREVIEW_LINES);
    }

    async fn create_job(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: &OrgMovePreview,
        options: &OrgMoveOptions,
    ) -> Result<JobId, AppError> {
        let id = crate::server::jobs::next_id(conn).await?;
        let event_id =
            record_event(conn, operator.into(), preview, MoveSource::Manual, json!({"job": id.0})).await?;
        let lines: Vec<JobLine<'_>> = preview
            .users
            .iter()
            .map(|l| JobLine { along_with: l.along_with, ..JobLine::new(l.id, &l.display_name) })
            .collect();
        crate::server::jobs::record(conn, id, operator, &JobWork::OrgMove(*options), event_id, &lines).await
    }
}

/// The audit event of a move, with `counts` (what was done, or for a job what is planned).
async fn record_event(
    conn: &mut AnyConnection,
    actor: audit::Actor<'_>,
    preview: &OrgMovePreview,
    source: MoveSource,
    counts: serde_json::Value,
) -> Result<i64, AppError> {
    let mut parameters = json!({"to": preview.destination.name, "source": source.as_str(),
                                "lock_after_move": preview.lock_after_move});
    if let (Some(all), serde_json::Value::Object(counts)) = (parameters.as_object_mut(), counts) {
        all.extend(counts);
    }
    audit::record_as(conn, actor.id, actor.name, "org_move", parameters, preview.count).await
}

/// The move itself, inside the caller's transaction (CSV moves and the directory sync; the
/// wizard goes through `OrgMove`): planned from the users' state now, then applied.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    actor: audit::Actor<'_>,
    users: &[UserId],
    to: OrgId,
    lock_after_move: bool,
    source: MoveSource,
) -> Result<OrgMoveRun, AppError> {
    let preview = plan(conn, users, to, lock_after_move).await?;
    apply_plan(conn, actor, preview, source).await
}

/// Applies a plan with its audit record: roles revoked, draft and scheduled alerts of the old
/// organization no longer target the users, membership changed (with the lock if asked),
/// history written.
async fn apply_plan(
    conn: &mut AnyConnection,
    actor: audit::Actor<'_>,
    preview: OrgMovePreview,
    source: MoveSource,
) -> Result<OrgMoveRun, AppError> {
    let event_id = record_event(conn, actor, &preview, source, json!({"moved": preview.moving})).await?;
    let audit_lines: Vec<audit::UserLine<'_>> = preview
        .users
        .iter()
        .map(|l| {
            let (outcome, reason) = match l.refusal {
                None => ("moved", None),
                Some(_) => ("refused", Some("already_there")),
            };
            (l.id.0, None, l.display_name.as_str(), None, outcome, reason, Some(l.from_name.as_str()))
        })
        .collect();
    audit::record_users(conn, event_id, audit_lines).await?;
    change(conn, actor.name, &preview, source, event_id).await?;
    Ok(OrgMoveRun { event_id, preview })
}

/// One chunk of an organization move job, in the job's transaction: exactly these users (with
/// the chosen user each household member comes along with) are planned as they are now and
/// moved.
pub(crate) async fn run_chunk(
    conn: &mut AnyConnection,
    users: &[(UserId, Option<UserId>)],
    options: OrgMoveOptions,
    operator_name: &str,
    event_id: i64,
) -> Result<Vec<ChunkLine>, AppError> {
    let preview = plan_lines(conn, users.to_vec(), options.to, options.lock_after_move).await?;
    change(conn, operator_name, &preview, MoveSource::Manual, event_id).await?;
    Ok(preview
        .users
        .into_iter()
        .map(|l| ChunkLine {
            user: l.id,
            outcome: match l.refusal {
                None => JobUserOutcome::Moved,
                Some(_) => JobUserOutcome::Refused(MoveRefusal::AlreadyThere),
            },
            data_kept: 0,
            data_lost: 0,
            audit_reason: l.refusal.map(|_| "already_there"),
            pool: Some(l.from_name),
            sip_uri: None,
        })
        .collect())
}

/// The side effects of a planned move, set-based: one statement each for all moving users.
async fn change(
    conn: &mut AnyConnection,
    operator_name: &str,
    preview: &OrgMovePreview,
    source: MoveSource,
    event_id: i64,
) -> Result<(), AppError> {
    let moving: Vec<&OrgMoveLine> = preview.users.iter().filter(|l| l.refusal.is_none()).collect();
    if moving.is_empty() {
        return Ok(());
    }
    let mut names: HashMap<UserId, String> =
        preview.users.iter().map(|l| (l.id, l.display_name.clone())).collect();
    // A job moves a household member in a later chunk than the user it came along with.
    let missing: Vec<i64> =
        moving.iter().filter_map(|l| l.along_with).filter(|a| !names.contains_key(a)).map(|a| a.0).collect();
    if !missing.is_empty() {
        let found: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT d.id, d.display_name FROM {} j JOIN directory_users d ON d.id = j.value",
            Engine::of(conn).id_rows("$1")
        ))
        .bind(serde_json::to_string(&missing).map_err(|_| AppError::INTERNAL)?)
        .fetch_all(&mut *conn)
        .await?;
        names.extend(found.into_iter().map(|(id, name)| (UserId(id), name)));
    }
    // Set-based: one statement per side effect for all the moving users.
    let rows: Vec<serde_json::Value> = moving
        .iter()
        .map(|l| {
            json!({
                "user": l.id.0,
                "from": l.from.0,
                "from_name": l.from_name,
                "name": l.display_name,
                "revoked": l.revoked_roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "along": l.along_with.and_then(|a| names.get(&a).cloned()),
            })
        })
        .collect();
    let revoked: Vec<(i64, i64, &str)> = moving
        .iter()
        .flat_map(|l| l.revoked_roles.iter().map(move |r| (l.id.0, l.from.0, r.as_str())))
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|_| AppError::INTERNAL)?;
    let engine = Engine::of(conn);
    let (json_rows_1, json_rows_3, json_rows_7) =
        (engine.json_rows("$1"), engine.json_rows("$3"), engine.json_rows("$7"));
    sqlx::query(&format!(
        "DELETE FROM org_roles WHERE (user_id, org_id, role) IN (
             SELECT CAST(value ->> 0 AS BIGINT), CAST(value ->> 1 AS BIGINT), value ->> 2 FROM {json_rows_1} r)"
    ))
    .bind(serde_json::to_string(&revoked).map_err(|_| AppError::INTERNAL)?)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "DELETE FROM alert_targets WHERE (alert_id, user_id) IN (
             SELECT t.alert_id, t.user_id FROM {json_rows_1} j
             JOIN alert_targets t ON t.user_id = CAST(j.value ->> 'user' AS BIGINT)
             JOIN alerts a ON a.id = t.alert_id
             WHERE a.org_id = CAST(j.value ->> 'from' AS BIGINT) AND a.state IN ('draft', 'scheduled'))"
    ))
    .bind(&rows)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE org_members SET org_id = $1, prevent_move = CASE WHEN $2 = 1 THEN 1 ELSE prevent_move END
         WHERE user_id IN (SELECT CAST(value ->> 'user' AS BIGINT) FROM {json_rows_3} j)"
    ))
    .bind(preview.destination.id.0)
    .bind(Flag(preview.lock_after_move))
    .bind(&rows)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO org_moves (at, event_id, operator_name, source, user_id, display_name, from_org,
                                from_name, to_org, to_name, revoked_roles, along_with)
         SELECT $1, $2, $3, $4, CAST(j.value ->> 'user' AS BIGINT), j.value ->> 'name',
                CAST(j.value ->> 'from' AS BIGINT), j.value ->> 'from_name',
                $5, $6, CAST(j.value -> 'revoked' AS TEXT), j.value ->> 'along'
         FROM {json_rows_7} j"
    ))
    .bind(now())
    .bind(event_id)
    .bind(operator_name)
    .bind(source.as_str())
    .bind(preview.destination.id.0)
    .bind(&preview.destination.name)
    .bind(&rows)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HistoryRecord {
    id: i64,
    at: i64,
    operator_name: String,
    user_id: i64,
    display_name: String,
    from_name: String,
    to_name: String,
    revoked_roles: String,
    along_with: Option<String>,
    source: String,
}

impl TryFrom<HistoryRecord> for OrgMoveRecord {
    type Error = AppError;
    fn try_from(r: HistoryRecord) -> Result<OrgMoveRecord, AppError> {
        let codes: Vec<String> = serde_json::from_str(&r.revoked_roles)
            .map_err(|_| crate::server::storage::error::corrupt("revoked roles", &r.revoked_roles))?;
        let revoked_roles = codes
            .iter()
            .map(|c| c.parse().map_err(|_| crate::server::storage::error::corrupt("org role", c)))
            .collect::<Result<_, _>>()?;
        Ok(OrgMoveRecord {
            id: r.id,
            at: r.at,
            operator: r.operator_name,
            user_id: UserId(r.user_id),
            display_name: r.display_name,
            from_name: r.from_name,
            to_name: r.to_name,
            revoked_roles,
            along_with: r.along_with,
            source: r.source,
        })
    }
}

const HISTORY_COLUMNS: &str =
    "id, at, operator_name, user_id, display_name, from_name, to_name, revoked_roles, along_with, source";

/// A user's moves, newest first.
pub async fn user_history(db: &AnyPool, user: UserId) -> Result<Vec<OrgMoveRecord>, AppError> {
    let records: Vec<HistoryRecord> = sqlx::query_as(&format!(
        "SELECT {HISTORY_COLUMNS} FROM org_moves WHERE user_id = $1 ORDER BY id DESC"
    ))
    .bind(user.0)
    .fetch_all(db)
    .await?;
    records.into_iter().map(OrgMoveRecord::try_from).collect()
}

/// Moves into or out of an organization of the users inside the viewer's scope, newest first
/// (at most `limit`).
pub async fn org_history(
    db: &AnyPool,
    within: &UserScope,
    org: OrgId,
    limit: u32,
) -> Result<Vec<OrgMoveRecord>, AppError> {
    let columns: Vec<String> = HISTORY_COLUMNS.split(", ").map(|c| format!("o.{c}")).collect();
    let mut qb = SqlBuilder::new(
        crate::server::storage::db::engine(db),
        format!(
            "SELECT {} FROM org_moves o LEFT JOIN enabled_users e ON e.user_id = o.user_id WHERE (o.from_org = ",
            columns.join(", ")
        ),
    );
    qb.push_bind(org.0).push(" OR o.to_org = ").push_bind(org.0).push(")");
    push_within(&mut qb, within, "o.user_id", Some("e.pool_id"));
    qb.push(" ORDER BY o.id DESC LIMIT ").push_bind(i64::from(limit));
    let records: Vec<HistoryRecord> = qb.build_query_as().fetch_all(db).await?;
    records.into_iter().map(OrgMoveRecord::try_from).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) async fn preview(
        db: &AnyPool,
        users: &[UserId],
        to: OrgId,
        lock_after_move: bool,
    ) -> Result<OrgMovePreview, AppError> {
        plan(&mut *db.acquire().await?, users, to, lock_after_move).await
    }

    /// Plans and moves these users at once.
    pub(crate) async fn run(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
        to: OrgId,
        lock_after_move: bool,
    ) -> Result<OrgMoveRun, AppError> {
        let options = OrgMoveOptions { to, lock_after_move };
        crate::server::operations::apply_now::<OrgMove>(db, operator, users, &options).await
    }
}

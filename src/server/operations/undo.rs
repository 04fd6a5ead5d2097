//! Undo of bulk changes. A change keeps, in the transaction that makes it, each changed user's
//! rows as they were before (`undo_rows`, one JSON array per row) and a signature of the user
//! right after (`undo_users.after`). An undo is an operation of the common shape (selection =
//! the change's users, preview, run) that always runs as a job: each chunk judges its users now
//! — changed since (signature), gone from the directory, previous pool unusable or full, SIP URI
//! taken — and puts the others back in one transaction, keeping in turn what it changes, so an
//! undo can be undone.

use super::{Operation, selection};
use crate::domain::AppError;
use crate::domain::jobs::{JobId, JobKind, JobUserOutcome};
use crate::domain::operation::{OperationKind, PREVIEW_LINES, Previewed, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::pool::PoolState;
use crate::domain::undo::{
    DEFAULT_RETENTION_DAYS, UndoLine, UndoOf, UndoOptions, UndoPreview, UndoSkip, UndoableChange, skip_counts,
};
use crate::domain::user::UserId;
use crate::server::jobs::{ChunkLine, JobLine, JobWork};
use crate::server::now;
use crate::server::security::audit;
use crate::server::storage::db::{Engine, in_write, read_snapshot};
use crate::server::storage::flag::Flag;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{HashMap, HashSet};

/// A table whose rows a change keeps: its columns in order, each an integer or text.
struct Kept {
    table: &'static str,
    /// One row per user (`user_id` is its key): put back by an upsert, or removed when the user
    /// had none before. Otherwise the user's rows are removed and the kept ones inserted again.
    per_user: bool,
    columns: &'static [(&'static str, bool)],
}

const I: bool = true;
const T: bool = false;

/// Every table a change can touch, in the order they are put back (a row before the rows that
/// point at it).
const KEPT: &[Kept] = &[
    Kept {
        table: "enabled_users",
        per_user: true,
        columns: &[
            ("user_id", I),
            ("sip_uri", T),
            ("pool_id", I),
            ("enhanced_presence", I),
            ("converted_to_ep", I),
            ("federation", I),
            ("remote_access", I),
            ("public_im", I),
            ("archiving", T),
            ("meeting_policy", T),
            ("telephony", T),
        ],
    },
    Kept {
        table: "org_members",
        per_user: true,
        columns: &[("user_id", I), ("org_id", I), ("prevent_move", I), ("household_id", I)],
    },
    Kept { table: "contact_groups", per_user: false, columns: &[("id", I), ("user_id", I), ("name", T)] },
    Kept {
        table: "contacts",
        per_user: false,
        columns: &[("id", I), ("user_id", I), ("contact_uri", T), ("display_name", T), ("group_id", I)],
    },
    Kept {
        table: "access_entries",
        per_user: false,
        columns: &[("id", I), ("user_id", I), ("entry", T), ("access", T)],
    },
    Kept {
        table: "meetings",
        per_user: false,
        columns: &[("id", I), ("user_id", I), ("subject", T), ("starts_at", I), ("duration_minutes", I)],
    },
    Kept {
        table: "presence_items",
        per_user: false,
        columns: &[("id", I), ("user_id", I), ("category", T), ("instance", I), ("value", T)],
    },
    Kept { table: "org_roles", per_user: false, columns: &[("user_id", I), ("org_id", I), ("role", T)] },
    Kept { table: "alert_targets", per_user: false, columns: &[("alert_id", I), ("user_id", I)] },
];

/// The tables of the user data (what a force move or a delete removes).
pub const DATA_TABLES: [&str; 5] =
    ["contact_groups", "contacts", "access_entries", "meetings", "presence_items"];

/// What a change of each kind keeps.
pub fn tables_of(kind: JobKind, data_lost: bool) -> Vec<String> {
    let mut tables = match kind {
        JobKind::Move | JobKind::Delete | JobKind::Configure | JobKind::Undo => vec!["enabled_users"],
        JobKind::OrgMove => vec!["org_members", "org_roles", "alert_targets"],
    };
    if data_lost && kind != JobKind::OrgMove {
        tables.extend(DATA_TABLES);
    }
    tables.into_iter().map(String::from).collect()
}

fn kept(tables: &[String]) -> impl Iterator<Item = &'static Kept> + '_ {
    KEPT.iter().filter(|k| tables.iter().any(|t| t == k.table))
}

static RETENTION_DAYS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// How long changes stay undoable in this process: once, at start.
pub fn set_retention_days(days: u32) {
    if RETENTION_DAYS.set(days).is_err() {
        tracing::warn!("the undo retention was set already; the first value stays");
    }
}

fn retention_seconds() -> i64 {
    i64::from(*RETENTION_DAYS.get_or_init(|| DEFAULT_RETENTION_DAYS)) * 24 * 60 * 60
}

/// A user's state as a change leaves it, as text: what must still be so for an undo to put
/// the user back. Their enablement and settings, their amounts of data, their organization
/// and its roles and alerts.
fn signature(engine: Engine) -> String {
    let items = [
        "e.sip_uri",
        "e.pool_id",
        "e.enhanced_presence",
        "e.converted_to_ep",
        "e.federation",
        "e.remote_access",
        "e.public_im",
        "e.archiving",
        "e.meeting_policy",
        "e.telephony",
        "n.contacts",
        "n.contact_groups",
        "n.allowed",
        "n.blocked",
        "n.meetings",
        "n.presence_items",
        "m.org_id",
        "m.prevent_move",
        "m.household_id",
        "(SELECT COUNT(*) FROM org_roles r WHERE r.user_id = d.id)",
        "(SELECT COUNT(*) FROM alert_targets t WHERE t.user_id = d.id)",
    ];
    format!("CAST({} AS TEXT)", engine.json_array(&items))
}

/// The joins `signature` reads, from `directory_users d`.
const SIGNATURE_JOINS: &str = "LEFT JOIN enabled_users e ON e.user_id = d.id
     LEFT JOIN user_data_counts n ON n.user_id = d.id
     LEFT JOIN org_members m ON m.user_id = d.id";

fn ids_json(users: &[UserId]) -> Result<String, AppError> {
    serde_json::to_string(&users.iter().map(|u| u.0).collect::<Vec<_>>()).map_err(|_| AppError::INTERNAL)
}

/// Starts the snapshot of a change in the caller's transaction; `event` and `job` may follow
/// (an inline change writes its audit event after its rows). Returns its id.
pub(crate) async fn open(
    conn: &mut AnyConnection,
    kind: JobKind,
    data_lost: bool,
    tables: &[String],
    job: Option<JobId>,
    event: Option<i64>,
) -> Result<i64, AppError> {
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO undo_snapshots (event_id, job_id, kind, data_lost, tables, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(event)
    .bind(job.map(|j| j.0))
    .bind(kind.as_str())
    .bind(Flag(data_lost))
    .bind(serde_json::to_string(tables).map_err(|_| AppError::INTERNAL)?)
    .bind(at)
    .bind(at + retention_seconds())
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Opens the snapshot of a job being recorded (its chunks keep their users' rows in it): what a
/// job of its kind keeps; an undo keeps what the change it undoes kept.
pub(crate) async fn open_for_job(
    conn: &mut AnyConnection,
    job: JobId,
    work: &JobWork,
    event: i64,
) -> Result<i64, AppError> {
    let (kind, data_lost, tables) = match work {
        JobWork::Move { destination, force } => {
            let version: String = sqlx::query_scalar("SELECT version FROM pools WHERE id = $1")
                .bind(destination.0)
                .fetch_one(&mut *conn)
                .await?;
            let version = version
                .parse()
                .map_err(|_| crate::server::storage::error::corrupt("server version", &version))?;
            let lost = *force
                || crate::domain::moves::DataKind::ALL
                    .into_iter()
                    .any(|kind| !crate::domain::moves::holds(version, kind));
            (JobKind::Move, lost, tables_of(JobKind::Move, lost))
        }
        JobWork::Delete => (JobKind::Delete, true, tables_of(JobKind::Delete, true)),
        JobWork::Configure(_) => (JobKind::Configure, false, tables_of(JobKind::Configure, false)),
        JobWork::OrgMove(_) => (JobKind::OrgMove, false, tables_of(JobKind::OrgMove, false)),
        JobWork::Undo(of) => {
            let (tables, lost): (String, Flag) =
                sqlx::query_as("SELECT tables, data_lost FROM undo_snapshots WHERE id = $1")
                    .bind(of.snapshot)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(AppError::UndoNotAvailable)?;
            (JobKind::Undo, lost.0, parse_tables(&tables)?)
        }
    };
    open(conn, kind, data_lost, &tables, Some(job), Some(event)).await
}

/// Names the audit event of a snapshot opened before its change wrote it.
pub(crate) async fn name_event(conn: &mut AnyConnection, snapshot: i64, event: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE undo_snapshots SET event_id = $1 WHERE id = $2")
        .bind(event)
        .bind(snapshot)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The snapshot of a job's change, if it keeps one (jobs recorded before undo existed do not).
pub(crate) async fn of_job(
    conn: &mut AnyConnection,
    job: JobId,
) -> Result<Option<(i64, Vec<String>)>, AppError> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, tables FROM undo_snapshots WHERE job_id = $1")
            .bind(job.0)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(id, tables)| Ok((id, parse_tables(&tables)?))).transpose()
}

fn parse_tables(tables: &str) -> Result<Vec<String>, AppError> {
    serde_json::from_str(tables).map_err(|_| crate::server::storage::error::corrupt("undo tables", tables))
}

/// Keeps the rows of these users in the snapshot's tables, as they are now (before the change).
pub(crate) async fn keep_before(
    conn: &mut AnyConnection,
    snapshot: i64,
    tables: &[String],
    users: &[UserId],
) -> Result<(), AppError> {
    if users.is_empty() {
        return Ok(());
    }
    let engine = Engine::of(conn);
    let ids = ids_json(users)?;
    for table in kept(tables) {
        let columns: Vec<String> = table.columns.iter().map(|(name, _)| format!("t.{name}")).collect();
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        sqlx::query(&format!(
            "INSERT INTO undo_rows (snapshot_id, user_id, tbl, row)
             SELECT $1, t.user_id, '{name}', CAST({array} AS TEXT)
             FROM {name} t WHERE t.user_id IN (SELECT value FROM {ids_rows} ids)",
            name = table.table,
            array = engine.json_array(&columns),
            ids_rows = engine.id_rows("$2"),
        ))
        .bind(snapshot)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// After the change: keeps the signature of the users it changed and forgets the rows of those
/// it left alone.
pub(crate) async fn seal(
    conn: &mut AnyConnection,
    snapshot: i64,
    changed: &[UserId],
    unchanged: &[UserId],
) -> Result<(), AppError> {
    let engine = Engine::of(conn);
    if !unchanged.is_empty() {
        sqlx::query(&format!(
            "DELETE FROM undo_rows WHERE snapshot_id = $1 AND user_id IN (SELECT value FROM {} ids)",
            engine.id_rows("$2")
        ))
        .bind(snapshot)
        .bind(ids_json(unchanged)?)
        .execute(&mut *conn)
        .await?;
    }
    if changed.is_empty() {
        return Ok(());
    }
    let ids = ids_json(changed)?;
    sqlx::query(&format!(
        "INSERT INTO undo_users (snapshot_id, user_id, position, display_name, after)
         SELECT $1, d.id, (SELECT COALESCE(MAX(position), -1) + 1 FROM undo_users WHERE snapshot_id = $1) + ids.key,
                d.display_name, {signature}
         FROM {ids_rows} ids JOIN directory_users d ON d.id = ids.value {SIGNATURE_JOINS}",
        signature = signature(engine),
        ids_rows = engine.id_rows("$2"),
    ))
    .bind(snapshot)
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    let in_ids = format!("user_id IN (SELECT value FROM {} ids)", engine.id_rows("$2"));
    sqlx::query(&format!(
        "UPDATE undo_snapshots SET users = users + $3,
                bytes = bytes
                    + (SELECT COALESCE(SUM(LENGTH(row)), 0) FROM undo_rows WHERE snapshot_id = $1 AND {in_ids})
                    + (SELECT COALESCE(SUM(LENGTH(after)), 0) FROM undo_users WHERE snapshot_id = $1 AND {in_ids})
         WHERE id = $1"
    ))
    .bind(snapshot)
    .bind(&ids)
    .bind(changed.len() as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A snapshot as an undo reads it.
struct Snapshot {
    id: i64,
    change: UndoableChange,
    tables: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    id: i64,
    event_id: i64,
    job_id: Option<i64>,
    kind: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    data_lost: bool,
    tables: String,
    users: i64,
    bytes: i64,
    created_at: i64,
    expires_at: i64,
}

const SNAPSHOT_COLUMNS: &str =
    "id, event_id, job_id, kind, data_lost, tables, users, bytes, created_at, expires_at";

async fn snapshot_from(conn: &mut AnyConnection, row: SnapshotRow) -> Result<Snapshot, AppError> {
    let undone_by: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM jobs WHERE kind = 'undo' AND CAST({} ->> 'snapshot' AS BIGINT) = $1 ORDER BY id",
        Engine::of(conn).json("settings")
    ))
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    let kind =
        row.kind.parse().map_err(|_| crate::server::storage::error::corrupt("undo kind", &row.kind))?;
    Ok(Snapshot {
        id: row.id,
        tables: parse_tables(&row.tables)?,
        change: UndoableChange {
            change: row.event_id,
            job: row.job_id.map(JobId),
            kind,
            users: row.users as u64,
            bytes: row.bytes as u64,
            created_at: row.created_at,
            expires_at: row.expires_at,
            needs_password: row.data_lost,
            undone_by: undone_by.into_iter().map(JobId).collect(),
        },
    })
}

/// The undoable change recorded as this audit event: kept, not expired, and it changed someone.
async fn snapshot(conn: &mut AnyConnection, change: i64) -> Result<Snapshot, AppError> {
    let row: Option<SnapshotRow> = sqlx::query_as(&format!(
        "SELECT {SNAPSHOT_COLUMNS} FROM undo_snapshots WHERE event_id = $1 AND expires_at >= $2 AND users > 0"
    ))
    .bind(change)
    .bind(now())
    .fetch_optional(&mut *conn)
    .await?;
    snapshot_from(conn, row.ok_or(AppError::UndoNotAvailable)?).await
}

/// Whether the change recorded as this audit event can be undone, and what it kept; `None`
/// when it cannot (not a bulk change, expired, changed nobody, or from before undo existed).
pub async fn undoable(db: &AnyPool, change: i64) -> Result<Option<UndoableChange>, AppError> {
    let mut conn = db.acquire().await?;
    match snapshot(&mut conn, change).await {
        Ok(snapshot) => Ok(Some(snapshot.change)),
        Err(AppError::UndoNotAvailable) => Ok(None),
        Err(other) => Err(other),
    }
}

/// How much the kept snapshots take, in all: (snapshots, users, bytes).
pub async fn usage(db: &AnyPool) -> Result<(u64, u64, u64), AppError> {
    let (snapshots, users, bytes): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(users), 0) AS BIGINT), CAST(COALESCE(SUM(bytes), 0) AS BIGINT)
         FROM undo_snapshots WHERE users > 0",
    )
    .fetch_one(db)
    .await?;
    Ok((snapshots as u64, users as u64, bytes as u64))
}

/// One user as an undo judges them now.
struct Judged {
    user: UserId,
    name: String,
    skip: Option<UndoSkip>,
    data: u64,
}

/// Judges these users of the snapshot, in order, from their state now. Capacity is counted in
/// order too: the first users to go back to a pool take its room.
async fn judge(
    conn: &mut AnyConnection,
    snapshot: &Snapshot,
    users: &[UserId],
) -> Result<Vec<Judged>, AppError> {
    let engine = Engine::of(conn);
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: i64,
        display_name: String,
        after: String,
        undone_by: Option<i64>,
        in_directory: Option<i64>,
        now: Option<String>,
        pool_now: Option<i64>,
        before: Option<String>,
        data: i64,
    }
    let data_tables = DATA_TABLES.map(|t| format!("'{t}'")).join(", ");
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT u.user_id, u.display_name, u.after, u.undone_by, d.id AS in_directory,
                CASE WHEN d.id IS NULL THEN NULL ELSE {signature} END AS now, e.pool_id AS pool_now,
                (SELECT b.row FROM undo_rows b
                 WHERE b.snapshot_id = u.snapshot_id AND b.user_id = u.user_id AND b.tbl = 'enabled_users') AS before,
                (SELECT COUNT(*) FROM undo_rows b
                 WHERE b.snapshot_id = u.snapshot_id AND b.user_id = u.user_id AND b.tbl IN ({data_tables})) AS data
         FROM {ids_rows} ids
         -- The ids drive (SQLite keeps a CROSS JOIN's order): the snapshot's users are many.
         CROSS JOIN undo_users u
         LEFT JOIN directory_users d ON d.id = u.user_id {SIGNATURE_JOINS}
         WHERE u.snapshot_id = $1 AND u.user_id = ids.value
         ORDER BY ids.key",
        signature = signature(engine),
        ids_rows = engine.id_rows("$2"),
    ))
    .bind(snapshot.id)
    .bind(ids_json(users)?)
    .fetch_all(&mut *conn)
    .await?;
    // Pools: state, capacity and users now.
    let pools: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT p.id, p.state, p.capacity, (SELECT COUNT(*) FROM enabled_users e WHERE e.pool_id = p.id) FROM pools p",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut room: HashMap<i64, (bool, i64)> = pools
        .into_iter()
        .map(|(id, state, capacity, users)| (id, (state == PoolState::Active.as_str(), capacity - users)))
        .collect();
    // Only a user enabled again (an undone delete) can find their SIP URI taken.
    let returning: Vec<&str> =
        rows.iter().filter(|r| r.pool_now.is_none()).filter_map(|r| r.before.as_deref()).collect();
    let taken = sip_uris_taken(conn, &returning).await?;
    let reused = data_ids_reused(conn, snapshot, users).await?;
    let corrupt = |row: &str| crate::server::storage::error::corrupt("undo row", row);
    let mut judged = Vec::with_capacity(rows.len());
    for row in rows {
        // The user's enablement before the change: SIP URI and pool.
        let before: Option<(String, i64)> = match &row.before {
            None => None,
            Some(text) => {
                let values: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| corrupt(text))?;
                let sip = values.get(1).and_then(|v| v.as_str()).ok_or_else(|| corrupt(text))?;
                let pool = values.get(2).and_then(|v| v.as_i64()).ok_or_else(|| corrupt(text))?;
                Some((sip.to_owned(), pool))
            }
        };
        let skip = if row.undone_by.is_some() {
            Some(UndoSkip::AlreadyUndone)
        } else if row.in_directory.is_none() {
            Some(UndoSkip::UserDeleted)
        } else if row.now.as_deref() != Some(row.after.as_str()) || reused.contains(&row.user_id) {
            Some(UndoSkip::ChangedSince)
        } else {
            match &before {
                // Going back to another pool (or enabled again): it must be usable and have room.
                Some((sip, pool)) if row.pool_now != Some(*pool) => {
                    let (active, free) = room.get(pool).copied().unwrap_or((false, 0));
                    if !active {
                        Some(UndoSkip::PoolUnavailable)
                    } else if free <= 0 {
                        Some(UndoSkip::PoolFull)
                    } else if row.pool_now.is_none() && taken.contains(&sip.to_lowercase()) {
                        Some(UndoSkip::SipUriTaken)
                    } else {
                        if let Some(entry) = room.get_mut(pool) {
                            entry.1 -= 1;
                        }
                        if let Some(now) = row.pool_now.and_then(|p| room.get_mut(&p)) {
                            now.1 += 1;
                        }
                        None
                    }
                }
                _ => None,
            }
        };
        judged.push(Judged {
            user: UserId(row.user_id),
            name: row.display_name,
            skip,
            data: row.data as u64,
        });
    }
    Ok(judged)
}

/// The SIP URIs among these kept enablements that some user has now (lower case).
async fn sip_uris_taken(conn: &mut AnyConnection, before: &[&str]) -> Result<HashSet<String>, AppError> {
    let sips: Vec<String> = before
        .iter()
        .filter_map(|text| serde_json::from_str::<Vec<serde_json::Value>>(text).ok())
        .filter_map(|values| values.get(1).and_then(|v| v.as_str()).map(str::to_lowercase))
        .collect();
    if sips.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT lower(e.sip_uri) FROM enabled_users e WHERE lower(e.sip_uri) IN (SELECT value FROM {} s)",
        Engine::of(conn).text_rows("$1")
    ))
    .bind(serde_json::to_string(&sips).map_err(|_| AppError::INTERNAL)?)
    .fetch_all(&mut *conn)
    .await?;
    Ok(found.into_iter().collect())
}

/// Users whose kept data rows' ids belong to another user's rows now (SQLite hands the
/// highest ids out again once they are deleted): they cannot be put back as they were.
async fn data_ids_reused(
    conn: &mut AnyConnection,
    snapshot: &Snapshot,
    users: &[UserId],
) -> Result<HashSet<i64>, AppError> {
    let engine = Engine::of(conn);
    let mut reused = HashSet::new();
    for table in DATA_TABLES.iter().filter(|t| snapshot.tables.iter().any(|s| s == *t)) {
        let found: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT b.user_id FROM undo_rows b
             JOIN {table} t ON t.id = CAST({row} ->> 0 AS BIGINT) AND t.user_id <> b.user_id
             WHERE b.snapshot_id = $1 AND b.tbl = '{table}' AND b.user_id IN (SELECT value FROM {ids} ids)",
            row = engine.json("b.row"),
            ids = engine.id_rows("$2"),
        ))
        .bind(snapshot.id)
        .bind(ids_json(users)?)
        .fetch_all(&mut *conn)
        .await?;
        reused.extend(found);
    }
    Ok(reused)
}

/// Puts these users' kept rows back, table by table, in the caller's transaction.
async fn put_back(conn: &mut AnyConnection, snapshot: &Snapshot, users: &[UserId]) -> Result<(), AppError> {
    let engine = Engine::of(conn);
    let ids = ids_json(users)?;
    let in_users = format!("user_id IN (SELECT value FROM {} ids)", engine.id_rows("$2"));
    for table in kept(&snapshot.tables) {
        let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, integer))| {
                let value = format!("{} ->> {i}", engine.json("b.row"));
                if *integer { format!("CAST({value} AS BIGINT)") } else { value }
            })
            .collect();
        let select = format!(
            "SELECT {} FROM undo_rows b WHERE b.snapshot_id = $1 AND b.tbl = '{}' AND b.{in_users}",
            values.join(", "),
            table.table
        );
        if table.per_user {
            // Users without a kept row had none before the change (an undone undo of a delete).
            // (NOT EXISTS probes the snapshot's index per user; NOT IN would read it all.)
            sqlx::query(&format!(
                "DELETE FROM {name} WHERE {in_users} AND NOT EXISTS
                     (SELECT 1 FROM undo_rows b
                      WHERE b.snapshot_id = $1 AND b.user_id = {name}.user_id AND b.tbl = '{name}')",
                name = table.table
            ))
            .bind(snapshot.id)
            .bind(&ids)
            .execute(&mut *conn)
            .await?;
            let updates: Vec<String> = names.iter().skip(1).map(|c| format!("{c} = excluded.{c}")).collect();
            sqlx::query(&format!(
                "INSERT INTO {name} ({columns}) {select} ON CONFLICT (user_id) DO UPDATE SET {updates}",
                name = table.table,
                columns = names.join(", "),
                updates = updates.join(", "),
            ))
            .bind(snapshot.id)
            .bind(&ids)
            .execute(&mut *conn)
            .await?;
        } else {
            sqlx::query(&format!(
                "DELETE FROM {} WHERE user_id IN (SELECT value FROM {} ids)",
                table.table,
                engine.id_rows("$1")
            ))
            .bind(&ids)
            .execute(&mut *conn)
            .await?;
            sqlx::query(&format!("INSERT INTO {} ({}) {select}", table.table, names.join(", ")))
                .bind(snapshot.id)
                .bind(&ids)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// One chunk of an undo job: judges its users now, puts back those that can go back and marks
/// them undone in the change's snapshot. (The job engine keeps what the chunk changes in the
/// undo's own snapshot, as for every job.)
pub(crate) async fn run_chunk(
    conn: &mut AnyConnection,
    job: JobId,
    of: UndoOf,
    users: &[UserId],
) -> Result<Vec<ChunkLine>, AppError> {
    let row: SnapshotRow =
        sqlx::query_as(&format!("SELECT {SNAPSHOT_COLUMNS} FROM undo_snapshots WHERE id = $1"))
            .bind(of.snapshot)
            .fetch_optional(&mut *conn)
            .await?
            // Removed by the clean-up since the job started: nothing can go back any more.
            .ok_or(AppError::UndoNotAvailable)?;
    let snapshot = snapshot_from(conn, row).await?;
    let judged = judge(conn, &snapshot, users).await?;
    let going: Vec<UserId> = judged.iter().filter(|j| j.skip.is_none()).map(|j| j.user).collect();
    if !going.is_empty() {
        put_back(conn, &snapshot, &going).await?;
        sqlx::query(&format!(
            "UPDATE undo_users SET undone_by = $1 WHERE snapshot_id = $2 AND user_id IN (SELECT value FROM {} ids)",
            Engine::of(conn).id_rows("$3")
        ))
        .bind(job.0)
        .bind(snapshot.id)
        .bind(ids_json(&going)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(judged
        .into_iter()
        .map(|j| ChunkLine {
            user: j.user,
            outcome: match j.skip {
                None => JobUserOutcome::Restored,
                Some(skip) => JobUserOutcome::NotRestored(skip),
            },
            data_kept: if j.skip.is_none() { j.data } else { 0 },
            data_lost: 0,
            audit_reason: j.skip.map(UndoSkip::as_str),
            pool: None,
            sip_uri: None,
        })
        .collect())
}

/// The undo of a change, in the common shape of the operations.
pub struct Undo;

impl Operation for Undo {
    const KIND: OperationKind = OperationKind::Undo;
    const RUNS_AS_JOB: bool = true;
    const ALWAYS_AS_JOB: bool = true;
    type Options = UndoOptions;
    type Preview = UndoPreview;
    type Run = ();

    async fn plan(
        conn: &mut AnyConnection,
        users: &[UserId],
        options: &UndoOptions,
    ) -> Result<UndoPreview, AppError> {
        let snapshot = snapshot(conn, options.change).await?;
        let judged = judge(conn, &snapshot, users).await?;
        if judged.len() != users.len() {
            return Err(AppError::UnknownUsers);
        }
        let restored = judged.iter().filter(|j| j.skip.is_none()).count() as u64;
        let data = judged.iter().filter(|j| j.skip.is_none()).map(|j| j.data).sum();
        Ok(UndoPreview {
            skipped: skip_counts(judged.iter().filter_map(|j| j.skip)),
            restored,
            data,
            change: snapshot.change,
            users: judged
                .into_iter()
                .map(|j| UndoLine { id: j.user, display_name: j.name, skip: j.skip, data: j.data })
                .collect(),
        })
    }

    fn fingerprint(preview: &UndoPreview) -> String {
        let lines: Vec<(i64, Option<UndoSkip>)> = preview.users.iter().map(|l| (l.id.0, l.skip)).collect();
        fingerprint_of(&lines)
    }

    fn lines(preview: &UndoPreview) -> u64 {
        preview.users.len() as u64
    }

    fn needs_step_up(options: &UndoOptions) -> bool {
        options.asks_password
    }

    fn shorten(preview: &mut UndoPreview) {
        preview.users.truncate(PREVIEW_LINES);
    }

    /// Never called: an undo always runs as a job (`ALWAYS_AS_JOB`).
    async fn apply(
        _conn: &mut AnyConnection,
        _operator: &Operator,
        _preview: UndoPreview,
        _options: &UndoOptions,
    ) -> Result<(), AppError> {
        Err(AppError::INTERNAL)
    }

    fn shorten_run(_run: &mut ()) {}

    async fn create_job(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: &UndoPreview,
        _options: &UndoOptions,
    ) -> Result<JobId, AppError> {
        if preview.restored == 0 {
            return Err(AppError::NothingToUndo);
        }
        let snapshot = snapshot(conn, preview.change.change).await?;
        let id = crate::server::jobs::next_id(conn).await?;
        let event = audit::record(
            conn,
            operator,
            "undo",
            json!({"job": id.0, "of_event": snapshot.change.change, "of_job": snapshot.change.job.map(|j| j.0),
                   "of_kind": snapshot.change.kind.as_str(), "restored": preview.restored,
                   "skipped": preview.skipped_total()}),
            preview.users.len() as u64,
        )
        .await?;
        let lines: Vec<JobLine<'_>> =
            preview.users.iter().map(|l| JobLine::new(l.id, &l.display_name)).collect();
        let of = UndoOf { change: snapshot.change.change, job: snapshot.change.job, snapshot: snapshot.id };
        crate::server::jobs::record(conn, id, operator, &JobWork::Undo(of), event, &lines).await
    }
}

/// Previews the undo of a change: its users become the operator's selection, planned as they
/// are now. The operator needs the permission of the change's own kind.
pub async fn preview(
    db: &AnyPool,
    operator: &Operator,
    change: i64,
) -> Result<Previewed<UndoPreview>, AppError> {
    let (users, snapshot) = {
        let mut conn = read_snapshot(db).await?;
        let snapshot = snapshot(&mut conn, change).await?;
        let users: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM undo_users WHERE snapshot_id = $1 ORDER BY position")
                .bind(snapshot.id)
                .fetch_all(&mut *conn)
                .await?;
        (users.into_iter().map(UserId).collect::<Vec<_>>(), snapshot)
    };
    let permission = match snapshot.change.kind {
        JobKind::OrgMove => crate::domain::operator::Permission::MoveUsersBetweenOrganizations,
        _ => crate::domain::operator::Permission::ManageUsers,
    };
    if !operator.may(permission) {
        return Err(AppError::Forbidden);
    }
    let selection = selection::store(db, operator, &users, &json!({ "undo": change }).to_string()).await?;
    let options = UndoOptions { change, asks_password: snapshot.change.needs_password };
    super::preview::<Undo>(db, operator, selection.id, &options).await
}

/// Removes the snapshots whose retention has passed, a few at a time (each in a transaction of
/// its own, so the clean-up never holds the database long). Returns how many.
pub async fn remove_expired(db: &AnyPool) -> Result<u64, AppError> {
    let expired: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM undo_snapshots WHERE expires_at < $1 ORDER BY id")
            .bind(now())
            .fetch_all(db)
            .await?;
    for id in &expired {
        in_write(db, async |conn| {
            sqlx::query("DELETE FROM undo_rows WHERE snapshot_id = $1").bind(id).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM undo_users WHERE snapshot_id = $1").bind(id).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM undo_snapshots WHERE id = $1").bind(id).execute(&mut *conn).await?;
            Ok(())
        })
        .await?;
    }
    if !expired.is_empty() {
        tracing::info!(snapshots = expired.len(), "expired undo snapshots removed");
    }
    Ok(expired.len() as u64)
}

/// The daily clean-up, until the shutdown begins: at start, then every day.
pub async fn clean_up_daily(db: AnyPool) {
    loop {
        if let Err(error) = remove_expired(&db).await {
            tracing::warn!(%error, "could not remove the expired undo snapshots");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(24 * 60 * 60)) => {}
            _ = crate::server::lifecycle::shutdown_begun() => return,
        }
    }
}

#[cfg(test)]
#[path = "undo_tests.rs"]
mod tests;

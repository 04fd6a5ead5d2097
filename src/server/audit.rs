//! The audit trail: one event per operation, with per-user outcomes, written in the same
//! transaction as the change it records. Append-only (the schema refuses updates and deletes).

use super::now;
use crate::domain::AppError;
use crate::domain::operator::Operator;
use sqlx::SqliteConnection;

/// One per-user audit line: user id, object GUID, display name, SIP URI, outcome, reason and
/// source pool; a `None` GUID or SIP URI is looked up from the user's current entry.
pub type UserLine<'a> =
    (i64, Option<&'a str>, &'a str, Option<&'a str>, &'a str, Option<&'a str>, Option<&'a str>);

/// Records an event and returns its id.
pub async fn record(
    conn: &mut SqliteConnection,
    operator: &Operator,
    operation: &str,
    parameters: serde_json::Value,
    target_count: u64,
) -> Result<i64, AppError> {
    let id = sqlx::query_scalar(
        "INSERT INTO audit_events (at, operator_id, operator_name, operation, parameters, target_count)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(now())
    .bind(operator.id.0)
    .bind(&operator.username)
    .bind(operation)
    .bind(parameters.to_string())
    .bind(target_count as i64)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Per-user outcomes of an event, set-based from a JSON array of
/// `[user_id, object_guid, display_name, sip_uri, outcome, reason, source_pool]`; a null GUID or SIP URI is
/// taken from the user's current directory entry and enablement.
pub async fn record_users(
    conn: &mut SqliteConnection,
    event_id: i64,
    rows: impl serde::Serialize,
) -> Result<(), AppError> {
    let rows = serde_json::to_string(&rows).map_err(|_| AppError::Internal)?;
    sqlx::query(
        "INSERT INTO audit_event_users
             (event_id, user_id, object_guid, display_name, sip_uri, outcome, reason, source_pool)
         SELECT ?, value ->> 0,
                COALESCE(value ->> 1, (SELECT object_guid FROM directory_users WHERE id = value ->> 0)),
                value ->> 2,
                COALESCE(value ->> 3, (SELECT 'sip:' || sip_uri FROM enabled_users WHERE user_id = value ->> 0)),
                value ->> 4, value ->> 5, value ->> 6
         FROM json_each(?)",
    )
    .bind(event_id)
    .bind(rows)
    .execute(conn)
    .await?;
    Ok(())
}

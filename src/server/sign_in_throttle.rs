//! Failed sign-ins and password confirmations, counted per typed account name and per client
//! address: the rules are `domain::security::ThrottlePolicy`, the counts live in
//! `sign_in_throttle`. Every failure and every lockout is audited by the caller's transaction.

use super::{audit, now};
use crate::domain::AppError;
use crate::domain::security::{Lockout, ThrottleScope};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

/// Who is trying: the key of each scope.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub account: String,
    pub address: String,
}

impl Attempt {
    pub fn new(username: &str, address: &str) -> Attempt {
        // Bounded and case-folded like the user names themselves, so `Admin` and `admin` share
        // one count and a long name cannot bloat the table.
        let account = username.trim().chars().take(64).collect::<String>().to_lowercase();
        Attempt { account, address: address.chars().take(64).collect() }
    }

    fn keys(&self) -> [(ThrottleScope, &str); 2] {
        [(ThrottleScope::Account, &self.account), (ThrottleScope::Address, &self.address)]
    }
}

/// Refuses the attempt, without checking any password, while either key is held back.
pub async fn check(db: &SqlitePool, attempt: &Attempt) -> Result<(), AppError> {
    let blocked_until: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(blocked_until) FROM sign_in_throttle
         WHERE (scope = 'account' AND key = ?) OR (scope = 'address' AND key = ?)",
    )
    .bind(&attempt.account)
    .bind(&attempt.address)
    .fetch_one(db)
    .await?;
    let wait = blocked_until.unwrap_or(0) - now();
    if wait > 0 { Err(AppError::TooManySignInAttempts { retry_after: wait as u64 }) } else { Ok(()) }
}

/// Counts a failure for both keys inside the caller's transaction and audits the lockouts it
/// causes. Returns the account's live failure count (for the audit record of the failure).
pub async fn record_failure(conn: &mut SqliteConnection, attempt: &Attempt) -> Result<u32, AppError> {
    let t = now();
    let mut account_failures = 0;
    for (scope, key) in attempt.keys() {
        let policy = scope.policy();
        let before: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT failures, last_failure_at, blocked_until FROM sign_in_throttle WHERE scope = ? AND key = ?",
        )
        .bind(scope.as_str())
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
        let live =
            before.map(|(f, last, blocked)| policy.live_failures(f as u32, last, blocked, t)).unwrap_or(0);
        let failures = live + 1;
        let blocked_until = match policy.wait_after(failures) {
            0 => 0,
            wait => t + wait,
        };
        sqlx::query(
            "INSERT INTO sign_in_throttle (scope, key, failures, last_failure_at, blocked_until)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (scope, key) DO UPDATE SET failures = excluded.failures,
                 last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until",
        )
        .bind(scope.as_str())
        .bind(key)
        .bind(failures as i64)
        .bind(t)
        .bind(blocked_until)
        .execute(&mut *conn)
        .await?;
        if policy.locks_at(failures) {
            let parameters = json!({ "scope": scope.as_str(), "key": key, "until": blocked_until });
            audit::record_as(conn, None, &attempt.account, "sign_in_locked", parameters, 0).await?;
        }
        if scope == ThrottleScope::Account {
            account_failures = failures;
        }
    }
    Ok(account_failures)
}

/// A successful sign-in or confirmation clears the account's count (the address keeps its own:
/// one known account must not reset the guessing of others from that address).
pub async fn record_success(conn: &mut SqliteConnection, attempt: &Attempt) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE scope = 'account' AND key = ?")
        .bind(&attempt.account)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The names and addresses with failures that still count, those held back first.
pub async fn lockouts(db: &SqlitePool) -> Result<Vec<Lockout>, AppError> {
    let t = now();
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT scope, key, failures, last_failure_at, blocked_until FROM sign_in_throttle
         WHERE failures > 0 ORDER BY blocked_until DESC, last_failure_at DESC, scope, key LIMIT 500",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(scope, key, failures, last, blocked_until)| {
            let scope = ThrottleScope::parse(&scope)?;
            let failures = scope.policy().live_failures(failures as u32, last, blocked_until, t);
            let blocked_until = if blocked_until > t { blocked_until } else { 0 };
            (failures > 0).then_some(Lockout { scope, key, failures, blocked_until })
        })
        .collect())
}

/// Lifts a lockout (an administrator who knows the operator is at the keyboard).
pub async fn unlock(
    db: &SqlitePool,
    operator: &crate::domain::operator::Operator,
    scope: ThrottleScope,
    key: &str,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let removed = sqlx::query("DELETE FROM sign_in_throttle WHERE scope = ? AND key = ?")
        .bind(scope.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(AppError::NothingToChange);
    }
    audit::record(&mut tx, operator, "sign_in_unlock", json!({ "scope": scope.as_str(), "key": key }), 0)
        .await?;
    tx.commit().await?;
    Ok(())
}

//! Failed sign-ins and password confirmations, counted per typed account name and per client
//! address: the rules are `domain::security::ThrottlePolicy`, the counts live in
//! `sign_in_throttle`. A password check is reserved (`sign_in_pending`) before it runs, so
//! that parallel attempts cannot overrun the budget; failures are audited within a budget per
//! address and window (`audit_failure`).

use crate::domain::AppError;
use crate::domain::security::{ACCOUNT_THROTTLE, ADDRESS_THROTTLE, Lockout, ThrottleScope};
use crate::server::{now, security::audit};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

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
        Attempt { account, address: address_key(address) }
    }

    fn keys(&self) -> [(ThrottleScope, &str); 2] {
        [(ThrottleScope::Account, &self.account), (ThrottleScope::Address, &self.address)]
    }
}

/// The throttle key of a client address. An IPv6 client controls at least a /64, so one
/// person could otherwise rotate through 2^64 addresses, each with its own budget.
pub fn address_key(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Ok(ip) => ip.to_string(),
        Err(_) => address.chars().take(64).collect(),
    }
}

/// The answer of `reserve`: go on and check the password, or refuse without checking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The password may be checked; the outcome goes to `failed` or `succeeded`.
    Admitted(Reservation),
    /// Held back: refused without checking any password.
    HeldBack { retry_after: u64 },
}

/// A password check in progress: its place in the budget of each key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pending: [i64; 2],
}

/// A check whose request vanished (dropped, crashed) gives its place back after this long.
const PENDING_SECONDS: i64 = 120;

/// Decides whether an attempt may check a password, inside the caller's write transaction
/// (which serializes every attempt). A key admits at most as many checks at once as it has
/// failures left before its lockout: the checks in progress are counted *before* any password
/// is verified, so a burst of parallel attempts cannot all pass the check while none has
/// failed yet, and no more passwords are verified than the policy allows. Attempts made while
/// a key is held back count as failures of the keys that have a count already, so hammering a
/// name locks it, but a stranger's invented names add no rows.
pub async fn reserve(conn: &mut AnyConnection, attempt: &Attempt) -> Result<Admission, AppError> {
    let t = now();
    sqlx::query("DELETE FROM sign_in_pending WHERE started_at < $1")
        .bind(t - PENDING_SECONDS)
        .execute(&mut *conn)
        .await?;
    let mut held_until = 0;
    let mut budget_in_use = false;
    for (scope, key) in attempt.keys() {
        let policy = scope.policy();
        let row = count_of(conn, scope, key).await?;
        let live =
            row.map(|(f, last, blocked)| policy.live_failures(f as u32, last, blocked, t)).unwrap_or(0);
        let blocked = row.map(|r| r.2).filter(|b| *b > t).unwrap_or(0);
        held_until = held_until.max(blocked);
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_pending WHERE scope = $1 AND key = $2")
                .bind(scope.as_str())
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
        if i64::from(live) + pending >= i64::from(policy.lockout_after) {
            budget_in_use = true;
        }
    }
    if held_until > t {
        count_failure(conn, attempt, t, false).await?;
        let until: i64 = sqlx::query_scalar(
            "SELECT MAX(blocked_until) FROM sign_in_throttle
             WHERE (scope = 'account' AND key = $1) OR (scope = 'address' AND key = $2)",
        )
        .bind(&attempt.account)
        .bind(&attempt.address)
        .fetch_one(&mut *conn)
        .await?;
        return Ok(Admission::HeldBack { retry_after: (until - t).max(1) as u64 });
    }
    if budget_in_use {
        // Every guess left is being checked right now; they finish within a second.
        return Ok(Admission::HeldBack { retry_after: 1 });
    }
    let mut pending = [0; 2];
    for (i, (scope, key)) in attempt.keys().into_iter().enumerate() {
        pending[i] = sqlx::query_scalar(
            "INSERT INTO sign_in_pending (scope, key, started_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(scope.as_str())
        .bind(key)
        .bind(t)
        .fetch_one(&mut *conn)
        .await?;
    }
    Ok(Admission::Admitted(Reservation { pending }))
}

async fn end_reservation(conn: &mut AnyConnection, reservation: Reservation) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sign_in_pending WHERE id IN ($1, $2)")
        .bind(reservation.pending[0])
        .bind(reservation.pending[1])
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The password could not be checked (the directory did not answer): the check ends and
/// counts for nothing.
pub async fn abandoned(conn: &mut AnyConnection, reservation: Reservation) -> Result<(), AppError> {
    end_reservation(conn, reservation).await
}

/// The password was wrong: the check ends and counts as a failure of both keys. Returns the
/// account's live failure count.
pub async fn failed(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    reservation: Reservation,
) -> Result<u32, AppError> {
    end_reservation(conn, reservation).await?;
    count_failure(conn, attempt, now(), true).await
}

/// The password was right: the check ends and the account's count is cleared (a success ends
/// a run of typing mistakes). The address keeps its count: one known account must not reset
/// the guessing of others from that address.
pub async fn succeeded(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    reservation: Reservation,
) -> Result<(), AppError> {
    end_reservation(conn, reservation).await?;
    sqlx::query("DELETE FROM sign_in_throttle WHERE scope = 'account' AND key = $1")
        .bind(&attempt.account)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A key's failures, last failure time and hold-back time, if it has a count.
async fn count_of(
    conn: &mut AnyConnection,
    scope: ThrottleScope,
    key: &str,
) -> Result<Option<(i64, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT failures, last_failure_at, blocked_until FROM sign_in_throttle WHERE scope = $1 AND key = $2",
    )
    .bind(scope.as_str())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Counts a failure for both keys and audits the lockouts it causes. Returns the account's
/// live failure count.
async fn count_failure(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    t: i64,
    new_account_row: bool,
) -> Result<u32, AppError> {
    forget_stale(conn, t).await?;
    let mut account_failures = 0;
    for (scope, key) in attempt.keys() {
        let policy = scope.policy();
        let before = count_of(conn, scope, key).await?;
        if before.is_none() && scope == ThrottleScope::Account && !new_account_row {
            continue;
        }
        let live =
            before.map(|(f, last, blocked)| policy.live_failures(f as u32, last, blocked, t)).unwrap_or(0);
        let failures = live + 1;
        // A lockout runs its full time from the failure that caused it; attempts during it
        // count, but do not push it further.
        let locked_until = before.map(|(_, _, b)| b).filter(|b| live >= policy.lockout_after && *b > t);
        let blocked_until = match (locked_until, policy.wait_after(failures)) {
            (Some(until), _) => until,
            (None, 0) => 0,
            (None, wait) => t + wait,
        };
        sqlx::query(
            "INSERT INTO sign_in_throttle (scope, key, failures, last_failure_at, blocked_until)
             VALUES ($1, $2, $3, $4, $5)
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
            // An account key is a typed name: kept in the parameters, which only the operators'
            // managers read (see `audit::log::Reader`).
            let parameters = json!({ "scope": scope.as_str(), "key": key, "until": blocked_until });
            audit::record_as(conn, None, "", "sign_in_locked", parameters, 0).await?;
        }
        if scope == ThrottleScope::Account {
            account_failures = failures;
        }
    }
    Ok(account_failures)
}

/// Keys whose failures no longer count and that are not held back are deleted, so names typed
/// once by a stranger do not pile up.
async fn forget_stale(conn: &mut AnyConnection, t: i64) -> Result<(), AppError> {
    let horizon = ACCOUNT_THROTTLE.window_seconds.max(ADDRESS_THROTTLE.window_seconds);
    sqlx::query("DELETE FROM sign_in_throttle WHERE last_failure_at < $1 AND blocked_until <= $2")
        .bind(t - horizon)
        .bind(t)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Failed sign-ins audited one by one per client address and 15-minute window; past that, a
/// summary event at 20, 40, 80 … failures. The same across all addresses with a larger
/// budget. So a flood of failures writes a logarithmic number of audit events, never one
/// per request.
pub const AUDITED_FAILURES_PER_ADDRESS: i64 = 20;
pub const AUDITED_FAILURES_IN_ALL: i64 = 1_000;
pub(crate) const AUDIT_WINDOW_SECONDS: i64 = 15 * 60;

/// Audits a failed sign-in (wrong password, unknown name, or held back) within the budget
/// above. `typed` is the name as typed (bounded); it may be a password typed in the wrong
/// field, so only the operators' managers read it (see `audit::log::Reader`).
pub async fn audit_failure(
    conn: &mut AnyConnection,
    attempt: &Attempt,
    typed: &str,
    parameters: serde_json::Value,
) -> Result<(), AppError> {
    let t = now();
    let window = t - t.rem_euclid(AUDIT_WINDOW_SECONDS);
    sqlx::query("DELETE FROM sign_in_failure_windows WHERE window_start < $1")
        .bind(window - 24 * 3600)
        .execute(&mut *conn)
        .await?;
    let mut counts = [0i64; 2];
    for (i, key) in [attempt.address.as_str(), ALL_ADDRESSES].into_iter().enumerate() {
        counts[i] = sqlx::query_scalar(
            "INSERT INTO sign_in_failure_windows (address, window_start, failures) VALUES ($1, $2, 1)
             ON CONFLICT (address, window_start) DO UPDATE SET failures = sign_in_failure_windows.failures + 1
             RETURNING failures",
        )
        .bind(key)
        .bind(window)
        .fetch_one(&mut *conn)
        .await?;
    }
    let [here, everywhere] = counts;
    if here <= AUDITED_FAILURES_PER_ADDRESS && everywhere <= AUDITED_FAILURES_IN_ALL {
        return audit::record_as(conn, None, typed, "sign_in_failed", parameters, 0).await.map(drop);
    }
    for (key, count, budget) in [
        (attempt.address.as_str(), here, AUDITED_FAILURES_PER_ADDRESS),
        (ALL_ADDRESSES, everywhere, AUDITED_FAILURES_IN_ALL),
    ] {
        if summary_due(count, budget) {
            let parameters = json!({ "address": key, "window_start": window, "failures": count });
            audit::record_as(conn, None, "", "sign_in_failures_repeated", parameters, 0).await?;
        }
    }
    Ok(())
}

/// The key of the count over every address.
const ALL_ADDRESSES: &str = "*";

/// Whether the `count`th failure of a window gets a summary event: at twice the budget, four
/// times, eight times …
fn summary_due(count: i64, budget: i64) -> bool {
    count > budget && count % budget == 0 && (count / budget).count_ones() == 1
}

/// The names and addresses with failures that still count, those held back first.
pub async fn lockouts(db: &AnyPool) -> Result<Vec<Lockout>, AppError> {
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
    db: &AnyPool,
    operator: &crate::domain::operator::Operator,
    scope: ThrottleScope,
    key: &str,
) -> Result<(), AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let removed = sqlx::query("DELETE FROM sign_in_throttle WHERE scope = $1 AND key = $2")
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

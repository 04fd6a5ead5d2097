//! Maps server-side failures to the portal's one error type. The detail goes to the log;
//! the browser only ever sees the stable code.

use crate::domain::AppError;

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> AppError {
        if is_busy(&err) {
            // Other writers held the lock past the busy timeout: a conflict of load, not a
            // fault. Nothing was changed (the transaction rolls back); the operator may retry.
            tracing::warn!(error = %err, "database busy");
            return AppError::Busy;
        }
        tracing::error!(error = %err, "database error");
        // Tests run without a log subscriber: show the cause there too.
        #[cfg(test)]
        eprintln!("database error: {err}");
        AppError::INTERNAL
    }
}

/// Logs a value that the database holds but the domain does not accept (a broken invariant).
pub fn corrupt(what: &str, value: &str) -> AppError {
    tracing::error!(what, value, "unexpected value in the database");
    AppError::INTERNAL
}

/// SQLITE_BUSY or SQLITE_LOCKED (with their extended codes: the primary code is the low byte),
/// or no pooled connection free within the pool's timeout.
fn is_busy(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(e) => match e.code().as_deref() {
            // PostgreSQL: a lock not had within lock_timeout, a serialization failure, a deadlock.
            Some("55P03" | "40001" | "40P01") => true,
            // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
            Some(code) => code.parse::<i32>().is_ok_and(|code| matches!(code & 0xff, 5 | 6)),
            None => false,
        },
        _ => false,
    }
}

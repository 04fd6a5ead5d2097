//! Maps server-side failures to the portal's one error type. The detail goes to the log;
//! the browser only ever sees the stable code.

use crate::domain::AppError;

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> AppError {
        tracing::error!(error = %err, "database error");
        // Tests run without a log subscriber: show the cause there too.
        #[cfg(test)]
        eprintln!("database error: {err}");
        AppError::Internal
    }
}

/// Logs a value that the database holds but the domain does not accept (a broken invariant).
pub fn corrupt(what: &str, value: &str) -> AppError {
    tracing::error!(what, value, "unexpected value in the database");
    AppError::Internal
}

//! Server-only code: configuration, database, services. Compiled with the `ssr` feature only;
//! UI components never import it. Grouped by what the code serves: `directory` (users and
//! search), `topology` (pools), `operations` (bulk work on users), `organizations`, `security`,
//! `jobs` (the engine of large operations), `metrics` (what `/metrics` reports) and `storage`
//! (database, backups, seed).

pub mod config;
pub mod directory;
pub mod jobs;
pub mod lifecycle;
pub mod metrics;
pub mod operations;
pub mod organizations;
pub mod security;
pub mod state;
pub mod storage;
#[cfg(test)]
pub(crate) mod test_ldap;
#[cfg(test)]
pub(crate) mod test_postgres;
pub mod topology;

pub use config::Config;
pub use state::AppState;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

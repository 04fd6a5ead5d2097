//! Server-only code: configuration, database, services. Compiled with the `ssr` feature only;
//! UI components never import it.

pub mod audit;
pub mod backup;
pub mod client_address;
pub mod config;
pub mod configure;
pub mod db;
pub mod delete;
pub mod directory;
pub mod enable;
pub mod error;
pub mod export;
pub mod jobs;
pub mod ldap_sync;
pub mod moves;
pub mod operators;
pub mod org_csv;
pub mod orgs;
pub mod pools;
pub mod saved_queries;
pub mod search;
pub mod seed;
pub mod sign_in_throttle;
pub mod state;
pub mod user_data;
pub mod users;

pub use config::Config;
pub use state::AppState;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

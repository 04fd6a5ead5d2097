//! Runtime configuration, read from the environment once at start.

use crate::server::organizations::ldap_sync::LdapSettings;
use crate::server::security::client_address::ProxyNet;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// sqlx SQLite URL, e.g. `sqlite://data/uc-admin.db`.
    pub database_url: String,
    /// Password given to the demo operators when they are created. `None` generates one.
    pub demo_password: Option<String>,
    /// Directory users created in a new demo deployment (about three in four are enabled).
    pub demo_users: u32,
    /// The origin operators reach the portal at, e.g. `https://uc.contoso.com`. Session
    /// cookies are marked `Secure` when it is https.
    pub public_origin: Option<String>,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_absolute: Duration,
    /// How moves of many users run as background jobs.
    pub jobs: JobSettings,
    /// Where online backups are written: `UC_ADMIN_BACKUP_DIR`, by default `backups` next to
    /// the database file.
    pub backup_dir: PathBuf,
    /// The reverse proxies whose `X-Forwarded-For` entries are believed
    /// (`UC_ADMIN_TRUSTED_PROXIES`, addresses or networks; `UC_ADMIN_BEHIND_PROXY=1` trusts a
    /// proxy on this machine). Empty: the client address is the TCP peer's.
    pub trusted_proxies: Vec<ProxyNet>,
    /// The LDAP directory organizations are synchronized from (`UC_ADMIN_LDAP_*`), if any.
    pub directory: Option<LdapSettings>,
}

/// How large bulk operations are split (`UC_ADMIN_MOVE_JOB_*`): a run on more users than
/// `threshold` becomes a job of committed chunks.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Operations on more users than this run as jobs.
    pub threshold: usize,
    /// Users per chunk (per transaction).
    pub chunk: usize,
    /// Pause between chunks, letting other writers in.
    pub pause: Duration,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/uc-admin.db";

impl Config {
    pub fn from_env() -> Config {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let minutes = |name: &str, default: u64| {
            Duration::from_secs(60 * var(name).and_then(|v| v.parse().ok()).unwrap_or(default))
        };
        let database_url = var("UC_ADMIN_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        Config {
            backup_dir: var("UC_ADMIN_BACKUP_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| default_backup_dir(&database_url)),
            trusted_proxies: trusted_proxies(
                var("UC_ADMIN_TRUSTED_PROXIES").as_deref(),
                var("UC_ADMIN_BEHIND_PROXY").is_some_and(|v| v == "1" || v == "true"),
            ),
            directory: LdapSettings::from_env(),
            database_url,
            demo_password: var("UC_ADMIN_DEMO_PASSWORD"),
            demo_users: var("UC_ADMIN_DEMO_USERS").and_then(|v| v.parse().ok()).unwrap_or(2_000),
            public_origin: var("UC_ADMIN_PUBLIC_ORIGIN"),
            session_idle: minutes("UC_ADMIN_SESSION_IDLE_MINUTES", 30),
            session_absolute: minutes("UC_ADMIN_SESSION_MAX_HOURS", 12) * 60,
            jobs: JobSettings {
                threshold: var("UC_ADMIN_MOVE_JOB_THRESHOLD").and_then(|v| v.parse().ok()).unwrap_or(1_000),
                chunk: var("UC_ADMIN_MOVE_JOB_CHUNK").and_then(|v| v.parse().ok()).unwrap_or(500).max(1),
                pause: Duration::from_millis(
                    var("UC_ADMIN_MOVE_JOB_PAUSE_MS").and_then(|v| v.parse().ok()).unwrap_or(0),
                ),
            },
        }
    }

    /// Settings for tests: in-memory database, fixed password.
    pub fn for_tests() -> Config {
        Config {
            database_url: "sqlite::memory:".into(),
            demo_password: Some("test-password".into()),
            demo_users: 200,
            public_origin: None,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            jobs: JobSettings { threshold: 1_000, chunk: 500, pause: Duration::ZERO },
            backup_dir: std::env::temp_dir().join(format!("uc-admin-test-backups-{}", std::process::id())),
            trusted_proxies: Vec::new(),
            directory: None,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
    }

    /// The session cookie's name: `__Host-` prefixed over https.
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies() {
            crate::server::security::operators::SECURE_SESSION_COOKIE
        } else {
            crate::server::security::operators::SESSION_COOKIE
        }
    }
}

/// `backups` beside the database file (the working directory for an in-memory database).
fn default_backup_dir(database_url: &str) -> PathBuf {
    crate::server::storage::db::database_file(database_url)
        .and_then(|file| file.parent().map(|dir| dir.join("backups")))
        .unwrap_or_else(|| PathBuf::from("backups"))
}

/// The trusted proxies: the listed ones (an entry that does not parse is left out and logged),
/// plus loopback with `behind_proxy`.
fn trusted_proxies(list: Option<&str>, behind_proxy: bool) -> Vec<ProxyNet> {
    let mut nets: Vec<ProxyNet> = list
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .filter_map(|s| s.parse().map_err(|e| tracing::error!("UC_ADMIN_TRUSTED_PROXIES: {e}")).ok())
        .collect();
    if behind_proxy {
        nets.extend(ProxyNet::LOOPBACK);
    }
    nets
}

//! Runtime configuration, settled once at start: defaults, then the configuration file
//! (`--config`), then environment variables, then flags — each one overriding the one before.
//! A bad value anywhere is a [`ConfigError`] naming its key, and nothing starts.

mod args;
mod file;

pub use args::{SecretEnv, SettingsArgs};
pub use file::{ConfigFile, LogFormat};

use crate::server::organizations::ldap_sync::LdapSettings;
use crate::server::security::audit_stream::{self, SinkTarget, StreamSettings};
use crate::server::security::client_address::ProxyNet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// sqlx SQLite URL, e.g. `sqlite://data/uc-admin.db`.
    pub database_url: String,
    /// Password given to the demo operators when they are created. `None` generates one.
    pub demo_password: Option<String>,
    /// Directory users created in a new demo deployment (about three in four are enabled).
    pub demo_users: u32,
    /// `--demo`: a new database gets the demo deployment (a flag, never in the file).
    pub demo: bool,
    /// The origin operators reach the portal at, e.g. `https://uc.contoso.com`. Session
    /// cookies are marked `Secure` when it is https.
    pub public_origin: Option<String>,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_absolute: Duration,
    /// How moves of many users run as background jobs.
    pub jobs: JobSettings,
    /// This portal among the portals (replicas) sharing the database, and its job leases.
    pub replica: crate::server::jobs::Replica,
    /// Calls per second each scripting API token may make (`api.requests_per_second`).
    pub api_requests_per_second: u32,
    /// Days a bulk change stays undoable (`undo.retention_days`).
    pub undo_retention_days: u32,
    /// Where online backups are written: `UC_ADMIN_BACKUP_DIR`, by default `backups` next to
    /// the database file.
    pub backup_dir: PathBuf,
    /// The reverse proxies whose `X-Forwarded-For` entries are believed
    /// (`UC_ADMIN_TRUSTED_PROXIES`, addresses or networks; `UC_ADMIN_BEHIND_PROXY=1` trusts a
    /// proxy on this machine). Empty: the client address is the TCP peer's.
    pub trusted_proxies: Vec<ProxyNet>,
    /// The LDAP directory organizations are synchronized from (`UC_ADMIN_LDAP_*`), if any.
    pub directory: Option<LdapSettings>,
    /// Operators signing in with their directory account (`directory.sign_in`), if enabled.
    pub directory_sign_in: Option<DirectorySignIn>,
    /// How often the server runs the directory sync (`directory.sync_every_minutes`), if at all.
    pub directory_sync_every: Option<Duration>,
    /// Where every committed audit event is also sent (`audit.*`): none by default.
    pub audit_stream: StreamSettings,
    /// Where the portal listens.
    pub listen: SocketAddr,
    /// The browser bundle and assets (`target/site` in a checkout, `/usr/share/uc-admin/site`
    /// when installed).
    pub site_root: PathBuf,
    /// A separate address for `/metrics`; `None` serves it on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// How long a shutdown waits for requests in flight and the chunks of running jobs.
    pub shutdown_timeout: Duration,
    pub log_format: LogFormat,
    /// A `tracing` filter (`RUST_LOG` syntax).
    pub log_filter: String,
}

/// How operators sign in with the directory: how their entry is found, which groups they are
/// in, and which roles those groups give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySignIn {
    /// Finds the operator's entry under `directory.base_dn`; `{name}` is the typed name,
    /// escaped.
    pub user_filter: String,
    pub group_base_dn: String,
    /// Finds the groups an entry is a member of; `{dn}` is the entry's DN, escaped.
    pub group_filter: String,
    /// Group names (`cn`, any case) and the role each gives.
    pub roles: Vec<(String, crate::domain::operator::Role)>,
    /// How often a signed-in directory operator's groups are read again.
    pub recheck: Duration,
}

/// A script's calls per second per token, unless configured.
pub const DEFAULT_API_REQUESTS_PER_SECOND: u32 = 20;

pub const DEFAULT_USER_FILTER: &str = "(&(objectClass=inetOrgPerson)(uid={name}))";
pub const DEFAULT_GROUP_FILTER: &str = "(&(objectClass=groupOfNames)(member={dn}))";

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
    /// Where scheduled jobs read the time: the system clock, or a test's.
    pub clock: crate::server::jobs::schedule::Clock,
}

/// The default replica name: the machine's host name (one portal per machine).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "uc-admin".into())
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/uc-admin.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";
const DEFAULT_LDAP_FILTER: &str = "(objectClass=inetOrgPerson)";
/// What `config check` prints instead of a secret.
pub const MASK: &str = "********";

/// A configuration that cannot be used: the key (as in the file), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key, message: message.into() }
}

impl Config {
    /// Reads the configuration file named by `--config` (if any) and merges it under the
    /// flags and environment variables that clap has already read into `args`.
    pub fn load(args: &SettingsArgs, secrets: &SecretEnv) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => ConfigFile::default(),
        };
        Config::resolve(args, secrets, &file)
    }

    /// The precedence itself: flag or environment (already one value in `args`), then the
    /// file, then the default; then every value is checked.
    pub fn resolve(
        args: &SettingsArgs,
        secrets: &SecretEnv,
        file: &ConfigFile,
    ) -> Result<Config, ConfigError> {
        let (server, db, jobs, log, dir) =
            (&file.server, &file.database, &file.jobs, &file.log, &file.directory);

        let listen = match (args.listen, &server.listen) {
            (Some(addr), _) => addr,
            (None, Some(text)) => text.parse().map_err(|_| {
                invalid("server.listen", format!("{text:?} is not an address and port, like 127.0.0.1:3000"))
            })?,
            (None, None) => DEFAULT_LISTEN.parse().expect("the default listen address parses"),
        };
        let metrics_listen = match (args.metrics_listen, &server.metrics_listen) {
            (Some(addr), _) => Some(addr),
            (None, Some(text)) => Some(text.parse().map_err(|_| {
                invalid(
                    "server.metrics_listen",
                    format!("{text:?} is not an address and port, like 127.0.0.1:9300"),
                )
            })?),
            (None, None) => None,
        };
        if metrics_listen == Some(listen) {
            return Err(invalid(
                "server.metrics_listen",
                "must differ from server.listen (leave it out to serve /metrics there)",
            ));
        }

        let public_origin =
            args.public_origin.clone().or_else(|| server.public_origin.clone()).filter(|o| !o.is_empty());
        if let Some(origin) = &public_origin {
            check_origin(origin).map_err(|message| invalid("server.public_origin", message))?;
        }

        let proxy_list =
            args.trusted_proxies.clone().or_else(|| server.trusted_proxies.clone()).unwrap_or_default();
        let mut trusted_proxies = Vec::new();
        for entry in proxy_list.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            trusted_proxies
                .push(entry.parse::<ProxyNet>().map_err(|e| invalid("server.trusted_proxies", e))?);
        }
        if args.behind_proxy.or(server.behind_proxy).unwrap_or(false) {
            trusted_proxies.extend(ProxyNet::LOOPBACK);
        }

        let shutdown_seconds = args.shutdown_timeout.or(server.shutdown_timeout_seconds).unwrap_or(30);
        if !(1..=3600).contains(&shutdown_seconds) {
            return Err(invalid(
                "server.shutdown_timeout_seconds",
                format!("must be 1 to 3600 seconds, not {shutdown_seconds}"),
            ));
        }

        let database_url = args
            .database_url
            .clone()
            .or_else(|| db.url.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if crate::server::storage::db::Engine::of_url(&database_url).is_none() {
            return Err(invalid(
                "database.url",
                format!(
                    "{:?} is neither a SQLite URL (sqlite://path/to/file.db) nor a PostgreSQL URL \
                     (postgres://user@host/database)",
                    crate::server::storage::db::redacted_url(&database_url)
                ),
            ));
        }
        let backup_dir = args
            .backup_dir
            .clone()
            .or_else(|| db.backup_dir.as_ref().map(PathBuf::from))
            .unwrap_or_else(|| default_backup_dir(&database_url));

        let idle = args.session_idle_minutes.or(file.sessions.idle_minutes).unwrap_or(30);
        let max_hours = args.session_max_hours.or(file.sessions.max_hours).unwrap_or(12);
        if !(1..=24 * 60).contains(&idle) {
            return Err(invalid("sessions.idle_minutes", format!("must be 1 to 1440 minutes, not {idle}")));
        }
        if !(1..=24 * 30).contains(&max_hours) {
            return Err(invalid("sessions.max_hours", format!("must be 1 to 720 hours, not {max_hours}")));
        }

        let threshold = args.job_threshold.or(jobs.threshold).unwrap_or(1_000);
        let chunk = args.job_chunk.or(jobs.chunk).unwrap_or(500);
        let pause_ms = args.job_pause_ms.or(jobs.pause_ms).unwrap_or(0);
        if !(1..=50_000).contains(&chunk) {
            return Err(invalid("jobs.chunk", format!("must be 1 to 50000 users, not {chunk}")));
        }
        if pause_ms > 60_000 {
            return Err(invalid("jobs.pause_ms", format!("must be at most 60000 ms, not {pause_ms}")));
        }
        let api_requests_per_second = args
            .api_requests_per_second
            .or(file.api.requests_per_second)
            .unwrap_or(DEFAULT_API_REQUESTS_PER_SECOND);
        if !(1..=1_000_000).contains(&api_requests_per_second) {
            return Err(invalid(
                "api.requests_per_second",
                format!("must be 1 to 1000000, not {api_requests_per_second}"),
            ));
        }
        let undo_retention_days = args
            .undo_retention_days
            .or(file.undo.retention_days)
            .unwrap_or(crate::domain::undo::DEFAULT_RETENTION_DAYS);
        if !(1..=crate::domain::undo::MAX_RETENTION_DAYS).contains(&undo_retention_days) {
            return Err(invalid(
                "undo.retention_days",
                format!(
                    "must be 1 to {} days, not {undo_retention_days}",
                    crate::domain::undo::MAX_RETENTION_DAYS
                ),
            ));
        }
        let lease_seconds = args.job_lease_seconds.or(jobs.lease_seconds).unwrap_or(30);
        if !(2..=600).contains(&lease_seconds) {
            return Err(invalid(
                "jobs.lease_seconds",
                format!("must be 2 to 600 seconds, not {lease_seconds}"),
            ));
        }
        let replica_name =
            args.replica_name.clone().or_else(|| jobs.replica_name.clone()).unwrap_or_else(host_name);
        if replica_name.is_empty()
            || replica_name.len() > 64
            || !replica_name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        {
            return Err(invalid(
                "jobs.replica_name",
                format!("{replica_name:?} must be 1 to 64 letters, digits, '-', '_', '.' or ':'"),
            ));
        }

        let log_filter = args
            .log_filter
            .clone()
            .or_else(|| log.filter.clone())
            .unwrap_or_else(|| DEFAULT_LOG_FILTER.into());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            return Err(invalid("log.filter", format!("{log_filter:?}: {e}")));
        }

        let directory = match args.ldap_url.clone().or_else(|| dir.url.clone()).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => {
                if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
                    return Err(invalid(
                        "directory.url",
                        format!("{url:?} must start with ldap:// or ldaps://"),
                    ));
                }
                let base_dn = args
                    .ldap_base_dn
                    .clone()
                    .or_else(|| dir.base_dn.clone())
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| invalid("directory.base_dn", "required when directory.url is set"))?;
                Some(LdapSettings {
                    url,
                    bind_dn: args.ldap_bind_dn.clone().or_else(|| dir.bind_dn.clone()),
                    password: secrets.ldap_password.clone().or_else(|| dir.password.clone()),
                    base_dn,
                    filter: args
                        .ldap_filter
                        .clone()
                        .or_else(|| dir.filter.clone())
                        .unwrap_or_else(|| DEFAULT_LDAP_FILTER.into()),
                    org_attribute: args
                        .ldap_org_attribute
                        .clone()
                        .or_else(|| dir.org_attribute.clone())
                        .unwrap_or_else(|| "o".into()),
                    guid_attribute: args
                        .ldap_guid_attribute
                        .clone()
                        .or_else(|| dir.guid_attribute.clone())
                        .unwrap_or_else(|| "entryUUID".into()),
                    starttls: args.ldap_starttls.or(dir.starttls).unwrap_or(false),
                })
            }
        };

        let directory_sign_in = match (dir.sign_in.unwrap_or(false), &directory) {
            (false, _) => None,
            (true, None) => {
                return Err(invalid("directory.sign_in", "needs directory.url and directory.base_dn"));
            }
            (true, Some(ldap)) => {
                let user_filter = dir.user_filter.clone().unwrap_or_else(|| DEFAULT_USER_FILTER.into());
                if !user_filter.contains("{name}") {
                    return Err(invalid("directory.user_filter", "must contain {name}, the typed name"));
                }
                let group_filter = dir.group_filter.clone().unwrap_or_else(|| DEFAULT_GROUP_FILTER.into());
                if !group_filter.contains("{dn}") {
                    return Err(invalid("directory.group_filter", "must contain {dn}, the member's DN"));
                }
                let mut roles = Vec::new();
                for (group, role) in dir.roles.clone().unwrap_or_default() {
                    let role = role.parse().map_err(|_| {
                        invalid(
                            "directory.roles",
                            format!(
                                "{group:?} = {role:?}: the role must be user_administrator, help_desk, \
                                 enterprise_administrator or enterprise_user_manager"
                            ),
                        )
                    })?;
                    roles.push((group, role));
                }
                if roles.is_empty() {
                    return Err(invalid("directory.roles", "map at least one group to a role"));
                }
                let minutes = dir.recheck_minutes.unwrap_or(5);
                if !(1..=1440).contains(&minutes) {
                    return Err(invalid(
                        "directory.recheck_minutes",
                        format!("must be 1 to 1440, not {minutes}"),
                    ));
                }
                Some(DirectorySignIn {
                    user_filter,
                    group_base_dn: dir.group_base_dn.clone().unwrap_or_else(|| ldap.base_dn.clone()),
                    group_filter,
                    roles,
                    recheck: Duration::from_secs(60 * minutes),
                })
            }
        };

        let directory_sync_every = match (args.ldap_sync_every_minutes.or(dir.sync_every_minutes), &directory)
        {
            (None, _) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "directory.sync_every_minutes",
                    "needs directory.url and directory.base_dn",
                ));
            }
            (Some(minutes), Some(_)) if !(5..=10_080).contains(&minutes) => {
                return Err(invalid(
                    "directory.sync_every_minutes",
                    format!("must be 5 to 10080, not {minutes}"),
                ));
            }
            (Some(minutes), Some(_)) => Some(Duration::from_secs(60 * minutes)),
        };

        let audit_stream = audit_stream_settings(args, &file.audit)?;

        let demo_users = args.demo_users.or(file.demo.users).unwrap_or(2_000);
        if !(1..=5_000_000).contains(&demo_users) {
            return Err(invalid("demo.users", format!("must be 1 to 5000000, not {demo_users}")));
        }

        Ok(Config {
            database_url,
            demo_password: secrets.demo_password.clone().or_else(|| file.demo.password.clone()),
            demo_users,
            demo: args.demo,
            public_origin,
            session_idle: Duration::from_secs(60 * idle),
            session_absolute: Duration::from_secs(3600 * max_hours),
            jobs: JobSettings {
                threshold: threshold as usize,
                chunk: chunk as usize,
                pause: Duration::from_millis(pause_ms),
                clock: Default::default(),
            },
            replica: crate::server::jobs::Replica {
                name: replica_name,
                lease: Duration::from_secs(lease_seconds),
            },
            api_requests_per_second,
            undo_retention_days,
            backup_dir,
            trusted_proxies,
            directory,
            directory_sign_in,
            directory_sync_every,
            audit_stream,
            listen,
            site_root: args
                .site_root
                .clone()
                .or_else(|| server.site_root.as_ref().map(PathBuf::from))
                .unwrap_or_else(|| DEFAULT_SITE_ROOT.into()),
            metrics_listen,
            shutdown_timeout: Duration::from_secs(shutdown_seconds),
            log_format: args.log_format.or(log.format).unwrap_or_default(),
            log_filter,
        })
    }

    /// The configuration in effect, as a file would say it, with the secrets masked: what
    /// `uc-admin config check` prints.
    pub fn effective(&self) -> ConfigFile {
        let mask = |secret: &Option<String>| secret.as_ref().map(|_| MASK.to_string());
        let proxies: Vec<String> = self.trusted_proxies.iter().map(ToString::to_string).collect();
        ConfigFile {
            server: file::ServerSection {
                listen: Some(self.listen.to_string()),
                site_root: Some(self.site_root.display().to_string()),
                public_origin: self.public_origin.clone(),
                trusted_proxies: Some(proxies),
                behind_proxy: None,
                shutdown_timeout_seconds: Some(self.shutdown_timeout.as_secs()),
                metrics_listen: self.metrics_listen.map(|a| a.to_string()),
            },
            database: file::DatabaseSection {
                url: Some(crate::server::storage::db::redacted_url(&self.database_url)),
                backup_dir: Some(self.backup_dir.display().to_string()),
            },
            sessions: file::SessionsSection {
                idle_minutes: Some(self.session_idle.as_secs() / 60),
                max_hours: Some(self.session_absolute.as_secs() / 3600),
            },
            jobs: file::JobsSection {
                threshold: Some(self.jobs.threshold as u64),
                chunk: Some(self.jobs.chunk as u64),
                pause_ms: Some(self.jobs.pause.as_millis() as u64),
                lease_seconds: Some(self.replica.lease.as_secs()),
                replica_name: Some(self.replica.name.clone()),
            },
            api: file::ApiSection { requests_per_second: Some(self.api_requests_per_second) },
            undo: file::UndoSection { retention_days: Some(self.undo_retention_days) },
            audit: file::AuditSection {
                stream: Some(self.audit_stream.sinks.iter().map(ToString::to_string).collect()),
                stream_rotate_bytes: Some(self.audit_stream.rotate_bytes),
                stream_keep: Some(self.audit_stream.keep),
                syslog_app_name: Some(self.audit_stream.app_name.clone()),
                syslog_facility: Some(self.audit_stream.facility.clone()),
            },
            log: file::LogSection { format: Some(self.log_format), filter: Some(self.log_filter.clone()) },
            directory: match &self.directory {
                None => file::DirectorySection::default(),
                Some(d) => file::DirectorySection {
                    url: Some(d.url.clone()),
                    bind_dn: d.bind_dn.clone(),
                    password: mask(&d.password),
                    base_dn: Some(d.base_dn.clone()),
                    filter: Some(d.filter.clone()),
                    org_attribute: Some(d.org_attribute.clone()),
                    guid_attribute: Some(d.guid_attribute.clone()),
                    starttls: Some(d.starttls),
                    sign_in: Some(self.directory_sign_in.is_some()),
                    user_filter: self.directory_sign_in.as_ref().map(|s| s.user_filter.clone()),
                    group_base_dn: self.directory_sign_in.as_ref().map(|s| s.group_base_dn.clone()),
                    group_filter: self.directory_sign_in.as_ref().map(|s| s.group_filter.clone()),
                    roles: self
                        .directory_sign_in
                        .as_ref()
                        .map(|s| s.roles.iter().map(|(g, r)| (g.clone(), r.as_str().to_string())).collect()),
                    recheck_minutes: self.directory_sign_in.as_ref().map(|s| s.recheck.as_secs() / 60),
                    sync_every_minutes: self.directory_sync_every.map(|d| d.as_secs() / 60),
                },
            },
            demo: file::DemoSection { password: mask(&self.demo_password), users: Some(self.demo_users) },
        }
    }

    /// Settings for tests: in-memory database, fixed password.
    pub fn for_tests() -> Config {
        Config {
            database_url: "sqlite::memory:".into(),
            demo_password: Some("test-password".into()),
            demo_users: 200,
            demo: true,
            public_origin: None,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            jobs: JobSettings {
                threshold: 1_000,
                chunk: 500,
                pause: Duration::ZERO,
                clock: crate::server::jobs::Clock::System,
            },
            replica: crate::server::jobs::Replica {
                name: "local".into(),
                lease: crate::server::jobs::DEFAULT_LEASE,
            },
            api_requests_per_second: DEFAULT_API_REQUESTS_PER_SECOND,
            undo_retention_days: crate::domain::undo::DEFAULT_RETENTION_DAYS,
            backup_dir: std::env::temp_dir().join(format!("uc-admin-test-backups-{}", std::process::id())),
            trusted_proxies: Vec::new(),
            directory: None,
            directory_sign_in: None,
            directory_sync_every: None,
            audit_stream: StreamSettings::default(),
            listen: DEFAULT_LISTEN.parse().expect("the default listen address parses"),
            site_root: DEFAULT_SITE_ROOT.into(),
            metrics_listen: None,
            shutdown_timeout: Duration::from_secs(30),
            log_format: LogFormat::Text,
            log_filter: DEFAULT_LOG_FILTER.into(),
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

/// The audit stream's sinks and options (`audit.*`); each sink at most once.
fn audit_stream_settings(
    args: &SettingsArgs,
    section: &file::AuditSection,
) -> Result<StreamSettings, ConfigError> {
    let mut sinks: Vec<SinkTarget> = Vec::new();
    let listed = args.audit_stream.clone().or_else(|| section.stream.clone()).unwrap_or_default();
    for text in listed.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let sink = SinkTarget::parse(text).map_err(|e| invalid("audit.stream", e))?;
        if sinks.contains(&sink) {
            return Err(invalid("audit.stream", format!("{text:?} is listed twice")));
        }
        sinks.push(sink);
    }
    let rotate_bytes = args
        .audit_stream_rotate_bytes
        .or(section.stream_rotate_bytes)
        .unwrap_or(audit_stream::DEFAULT_ROTATE_BYTES);
    if !(4_096..=1 << 40).contains(&rotate_bytes) {
        return Err(invalid(
            "audit.stream_rotate_bytes",
            format!("must be 4096 bytes to 1 TiB, not {rotate_bytes}"),
        ));
    }
    let keep = args.audit_stream_keep.or(section.stream_keep).unwrap_or(audit_stream::DEFAULT_KEEP);
    if !(1..=1_000).contains(&keep) {
        return Err(invalid("audit.stream_keep", format!("must be 1 to 1000 files, not {keep}")));
    }
    let app_name = args
        .audit_syslog_app_name
        .clone()
        .or_else(|| section.syslog_app_name.clone())
        .unwrap_or_else(|| audit_stream::DEFAULT_APP_NAME.into());
    if !audit_stream::valid_app_name(&app_name) {
        return Err(invalid(
            "audit.syslog_app_name",
            format!("{app_name:?} must be 1 to 48 printable ASCII characters without spaces"),
        ));
    }
    let facility = args
        .audit_syslog_facility
        .clone()
        .or_else(|| section.syslog_facility.clone())
        .unwrap_or_else(|| audit_stream::DEFAULT_FACILITY.into())
        .to_ascii_lowercase();
    if audit_stream::facility_code(&facility).is_none() {
        return Err(invalid(
            "audit.syslog_facility",
            format!(
                "{facility:?} is not a syslog facility (kern, user, daemon, auth, authpriv, local0 … local7, …)"
            ),
        ));
    }
    Ok(StreamSettings { sinks, rotate_bytes, keep, app_name, facility })
}

/// `backups` beside the database file (the working directory for an in-memory database).
fn default_backup_dir(database_url: &str) -> PathBuf {
    crate::server::storage::db::database_file(database_url)
        .and_then(|file| file.parent().map(|dir| dir.join("backups")))
        .unwrap_or_else(|| PathBuf::from("backups"))
}

fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let file_error = |message: String| ConfigError::File { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    ConfigFile::parse(&text).map_err(file_error)
}

/// `scheme://host[:port]`, http or https, nothing after the authority.
fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{origin:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
        return Err(format!("{origin:?} must be only scheme, host and port, like https://uc.contoso.com"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: SettingsArgs, file: &str) -> Result<Config, ConfigError> {
        Config::resolve(&args, &SecretEnv::default(), &ConfigFile::parse(file).unwrap())
    }

    fn invalid_key(args: SettingsArgs, file: &str) -> &'static str {
        match resolve(args, file) {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("{file}: {other:?}"),
        }
    }

    #[test]
    fn directory_sign_in_needs_a_directory_filters_with_their_placeholder_and_known_roles() {
        let none = SettingsArgs::default;
        let base = "[directory]\nurl = \"ldap://dc01\"\nbase_dn = \"dc=x\"\nsign_in = true\n";
        let roles = "roles = { CSHelpDesk = \"help_desk\" }\n";
        assert_eq!(invalid_key(none(), "[directory]\nsign_in = true\n"), "directory.sign_in");
        assert_eq!(invalid_key(none(), base), "directory.roles");
        assert_eq!(
            invalid_key(none(), &format!("{base}roles = {{ CSHelpDesk = \"janitor\" }}\n")),
            "directory.roles"
        );
        assert_eq!(
            invalid_key(none(), &format!("{base}{roles}user_filter = \"(uid=x)\"\n")),
            "directory.user_filter"
        );
        assert_eq!(
            invalid_key(none(), &format!("{base}{roles}group_filter = \"(member=x)\"\n")),
            "directory.group_filter"
        );
        assert_eq!(
            invalid_key(none(), &format!("{base}{roles}recheck_minutes = 0\n")),
            "directory.recheck_minutes"
        );
        assert_eq!(
            invalid_key(none(), "[directory]\nsync_every_minutes = 60\n"),
            "directory.sync_every_minutes"
        );
        assert_eq!(
            invalid_key(none(), &format!("{base}{roles}sync_every_minutes = 1\n")),
            "directory.sync_every_minutes"
        );
        let every =
            resolve(none(), &format!("{base}{roles}sync_every_minutes = 60\n")).unwrap().directory_sync_every;
        assert_eq!(every, Some(Duration::from_secs(3600)));
        let config = resolve(none(), &format!("{base}{roles}")).unwrap();
        let sign_in = config.directory_sign_in.unwrap();
        assert_eq!(sign_in.roles, [("CSHelpDesk".to_string(), crate::domain::operator::Role::HelpDesk)]);
        assert_eq!((sign_in.group_base_dn.as_str(), sign_in.recheck.as_secs()), ("dc=x", 300));
        assert!(
            resolve(none(), "[directory]\nurl = \"ldap://dc01\"\nbase_dn = \"dc=x\"\n")
                .unwrap()
                .directory_sign_in
                .is_none()
        );
    }

    #[test]
    fn audit_stream_sinks_come_from_the_file_or_the_environment() {
        let none = resolve(SettingsArgs::default(), "").unwrap().audit_stream;
        assert_eq!(none, StreamSettings::default());
        assert!(none.sinks.is_empty(), "nothing is streamed unless configured");
        let file = "[audit]\nstream = [\"file:/var/log/uc-admin/audit.jsonl\", \"udp://127.0.0.1:514\"]\n\
                    stream_keep = 3\nsyslog_facility = \"AUTHPRIV\"\n";
        let config = resolve(SettingsArgs::default(), file).unwrap().audit_stream;
        assert_eq!(
            config.sinks,
            [
                SinkTarget::File("/var/log/uc-admin/audit.jsonl".into()),
                SinkTarget::SyslogUdp("127.0.0.1:514".into())
            ]
        );
        assert_eq!(
            (config.keep, config.facility.as_str(), config.app_name.as_str()),
            (3, "authpriv", "uc-admin")
        );
        // UC_ADMIN_AUDIT_STREAM (comma-separated, split by clap) replaces the file's list.
        let args = SettingsArgs {
            audit_stream: Some(vec!["tcp://siem.contoso.com:6514".into(), " stdout".into()]),
            ..Default::default()
        };
        let config = resolve(args, file).unwrap();
        assert_eq!(
            config.audit_stream.sinks,
            [SinkTarget::SyslogTcp("siem.contoso.com:6514".into()), SinkTarget::Stdout]
        );
        let effective = config.effective().audit;
        assert_eq!(
            effective.stream,
            Some(vec!["tcp://siem.contoso.com:6514".to_string(), "stdout".to_string()])
        );
    }

    #[test]
    fn defaults_then_file_then_environment_or_flag() {
        let config = resolve(SettingsArgs::default(), "").unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!((config.jobs.threshold, config.jobs.chunk), (1_000, 500));
        assert_eq!(config.backup_dir, PathBuf::from("data/backups"));
        assert_eq!(config.shutdown_timeout, Duration::from_secs(30));

        let file = "[jobs]\nchunk = 50\nthreshold = 60\n[server]\nlisten = \"127.0.0.1:4000\"\nbehind_proxy = true\n\
                    [database]\nurl = \"sqlite:///srv/uc.db\"\n";
        let config = resolve(SettingsArgs::default(), file).unwrap();
        assert_eq!((config.jobs.chunk, config.jobs.threshold, config.listen.port()), (50, 60, 4000));
        assert_eq!(config.backup_dir, PathBuf::from("/srv/backups"), "beside the file's database");
        assert_eq!(config.trusted_proxies.len(), 2, "loopback, v4 and v6");

        // clap has already put the flag over the environment variable into `args`.
        let args = SettingsArgs {
            job_chunk: Some(70),
            listen: Some("0.0.0.0:5000".parse().unwrap()),
            ..Default::default()
        };
        let config = resolve(args, file).unwrap();
        assert_eq!((config.jobs.chunk, config.jobs.threshold, config.listen.port()), (70, 60, 5000));

        // Secrets: the environment over the file.
        let file = ConfigFile::parse("[demo]\npassword = \"from-file\"\n").unwrap();
        let env = SecretEnv { demo_password: Some("from-env".into()), ldap_password: None };
        let config = Config::resolve(&SettingsArgs::default(), &env, &file).unwrap();
        assert_eq!(config.demo_password.as_deref(), Some("from-env"));
        let config = Config::resolve(&SettingsArgs::default(), &SecretEnv::default(), &file).unwrap();
        assert_eq!(config.demo_password.as_deref(), Some("from-file"));
        assert_eq!(config.effective().demo.password.as_deref(), Some(MASK));
    }

    #[test]
    fn every_bad_value_names_its_key() {
        let none = SettingsArgs::default;
        assert_eq!(invalid_key(none(), "[server]\nlisten = \"localhost\"\n"), "server.listen");
        assert_eq!(invalid_key(none(), "[server]\nmetrics_listen = \"9300\"\n"), "server.metrics_listen");
        assert_eq!(
            invalid_key(none(), "[server]\nlisten = \"127.0.0.1:9\"\nmetrics_listen = \"127.0.0.1:9\"\n"),
            "server.metrics_listen"
        );
        for origin in ["uc.contoso.com", "https://uc.contoso.com/portal", "ftp://uc", "https://"] {
            let args = SettingsArgs { public_origin: Some(origin.into()), ..Default::default() };
            assert_eq!(invalid_key(args, ""), "server.public_origin", "{origin}");
        }
        assert_eq!(
            invalid_key(none(), "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"nope\"]\n"),
            "server.trusted_proxies"
        );
        assert_eq!(
            invalid_key(none(), "[server]\nshutdown_timeout_seconds = 0\n"),
            "server.shutdown_timeout_seconds"
        );
        assert_eq!(invalid_key(none(), "[database]\nurl = \"mysql://db/uc\"\n"), "database.url");
        assert_eq!(invalid_key(none(), "[sessions]\nidle_minutes = 0\n"), "sessions.idle_minutes");
        assert_eq!(invalid_key(none(), "[sessions]\nmax_hours = 1000\n"), "sessions.max_hours");
        assert_eq!(invalid_key(none(), "[jobs]\nchunk = 0\n"), "jobs.chunk");
        assert_eq!(invalid_key(none(), "[jobs]\npause_ms = 70000\n"), "jobs.pause_ms");
        assert_eq!(invalid_key(none(), "[jobs]\nlease_seconds = 1\n"), "jobs.lease_seconds");
        assert_eq!(invalid_key(none(), "[api]\nrequests_per_second = 0\n"), "api.requests_per_second");
        assert_eq!(invalid_key(none(), "[undo]\nretention_days = 0\n"), "undo.retention_days");
        assert_eq!(invalid_key(none(), "[jobs]\nreplica_name = \"a b\"\n"), "jobs.replica_name");
        assert_eq!(invalid_key(none(), "[log]\nfilter = \"info,[\"\n"), "log.filter");
        assert_eq!(
            invalid_key(none(), "[directory]\nurl = \"http://dc01\"\nbase_dn = \"dc=x\"\n"),
            "directory.url"
        );
        assert_eq!(invalid_key(none(), "[directory]\nurl = \"ldap://dc01\"\n"), "directory.base_dn");
        assert_eq!(invalid_key(none(), "[demo]\nusers = 0\n"), "demo.users");
        assert_eq!(invalid_key(none(), "[audit]\nstream = [\"syslog://x:514\"]\n"), "audit.stream");
        assert_eq!(invalid_key(none(), "[audit]\nstream = [\"udp://x\"]\n"), "audit.stream");
        assert_eq!(invalid_key(none(), "[audit]\nstream = [\"stdout\", \"stdout\"]\n"), "audit.stream");
        assert_eq!(invalid_key(none(), "[audit]\nstream_rotate_bytes = 10\n"), "audit.stream_rotate_bytes");
        assert_eq!(invalid_key(none(), "[audit]\nstream_keep = 0\n"), "audit.stream_keep");
        assert_eq!(invalid_key(none(), "[audit]\nsyslog_app_name = \"uc admin\"\n"), "audit.syslog_app_name");
        assert_eq!(invalid_key(none(), "[audit]\nsyslog_facility = \"local9\"\n"), "audit.syslog_facility");
        // The file's own errors name the key and the line.
        for (text, expected) in [
            ("[jobs]\nchunkz = 1\n", "unknown field `chunkz`"),
            ("[log]\nformat = \"xml\"\n", "unknown variant `xml`"),
            ("[jobs]\nchunk = -1\n", "line 2"),
            ("listen = \"127.0.0.1:1\"\n", "unknown field `listen`"),
            ("[server\n", "line 1"),
        ] {
            let error = ConfigFile::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

    /// The example file documents every key there is, and nothing else.
    #[test]
    fn the_example_file_has_every_key() {
        let example = include_str!("../../../packaging/uc-admin.toml");
        // Uncommented, the example must parse; its keys (commented or not) are compared with a
        // configuration that sets everything.
        let uncommented: String = example
            .lines()
            .map(|line| line.strip_prefix("# ").filter(|rest| rest.contains(" = ")).unwrap_or(line))
            .filter(|line| !line.starts_with('#'))
            .map(|line| format!("{line}\n"))
            .collect();
        let parsed = ConfigFile::parse(&uncommented).unwrap();
        let table: toml::Table = toml::from_str(&uncommented).unwrap();
        let full = toml::Table::try_from(&parsed).unwrap();
        let keys = |t: &toml::Table| -> Vec<String> {
            let mut keys: Vec<String> = t
                .iter()
                .flat_map(|(section, v)| v.as_table().unwrap().keys().map(move |k| format!("{section}.{k}")))
                .collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&table), keys(&full));
        assert_eq!(keys(&full).len(), 7 + 2 + 2 + 5 + 1 + 1 + 5 + 2 + 15 + 2, "{:?}", keys(&full));
        ConfigFile::parse(example).unwrap();
        resolve(SettingsArgs::default(), example).unwrap();
    }
}

//! The settings every command accepts as flags or environment variables (the environment
//! variable of each is shown in `--help`). A flag beats its environment variable, and both beat
//! the configuration file. Secrets (the demo and LDAP passwords) have no flag, because anyone on
//! the machine can read a command line: they come from the environment or the file.

use super::file::LogFormat;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Default, Clone, Args)]
pub struct SettingsArgs {
    /// Configuration file (TOML); see packaging/uc-admin.toml for every key.
    #[arg(long, env = "UC_ADMIN_CONFIG", value_name = "FILE", global = true, help_heading = "Configuration")]
    pub config: Option<PathBuf>,

    /// Address and port the portal listens on [default: 127.0.0.1:3000].
    #[arg(long, env = "UC_ADMIN_LISTEN", value_name = "ADDR", global = true, help_heading = "Server")]
    pub listen: Option<SocketAddr>,
    /// Folder of the browser bundle and assets [default: target/site].
    #[arg(long, env = "UC_ADMIN_SITE_ROOT", value_name = "DIR", global = true, help_heading = "Server")]
    pub site_root: Option<PathBuf>,
    /// The origin operators reach the portal at, e.g. https://uc.contoso.com; https makes
    /// cookies Secure.
    #[arg(long, env = "UC_ADMIN_PUBLIC_ORIGIN", value_name = "URL", global = true, help_heading = "Server")]
    pub public_origin: Option<String>,
    /// Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For entries
    /// give the client address.
    #[arg(
        long,
        env = "UC_ADMIN_TRUSTED_PROXIES",
        value_name = "LIST",
        value_delimiter = ',',
        global = true,
        help_heading = "Server"
    )]
    pub trusted_proxies: Option<Vec<String>>,
    /// Trust a reverse proxy on this machine (loopback).
    #[arg(long, env = "UC_ADMIN_BEHIND_PROXY", value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new(), global = true, help_heading = "Server")]
    pub behind_proxy: Option<bool>,
    /// On SIGTERM or Ctrl-C, how long in-flight requests and running jobs' current chunks may
    /// take before the process exits anyway [default: 30].
    #[arg(
        long,
        env = "UC_ADMIN_SHUTDOWN_TIMEOUT",
        value_name = "SECONDS",
        global = true,
        help_heading = "Server"
    )]
    pub shutdown_timeout: Option<u64>,
    /// Serve /metrics on this address only, instead of on the portal's address.
    #[arg(
        long,
        env = "UC_ADMIN_METRICS_LISTEN",
        value_name = "ADDR",
        global = true,
        help_heading = "Server"
    )]
    pub metrics_listen: Option<SocketAddr>,

    /// SQLite database [default: sqlite://data/uc-admin.db].
    #[arg(long, env = "UC_ADMIN_DATABASE_URL", value_name = "URL", global = true, help_heading = "Database")]
    pub database_url: Option<String>,
    /// Backup folder [default: backups beside the database file].
    #[arg(long, env = "UC_ADMIN_BACKUP_DIR", value_name = "DIR", global = true, help_heading = "Database")]
    pub backup_dir: Option<PathBuf>,

    /// A session ends after this long without a request [default: 30].
    #[arg(
        long,
        env = "UC_ADMIN_SESSION_IDLE_MINUTES",
        value_name = "MINUTES",
        global = true,
        help_heading = "Sessions"
    )]
    pub session_idle_minutes: Option<u64>,
    /// A session ends this long after sign-in, however busy [default: 12].
    #[arg(
        long,
        env = "UC_ADMIN_SESSION_MAX_HOURS",
        value_name = "HOURS",
        global = true,
        help_heading = "Sessions"
    )]
    pub session_max_hours: Option<u64>,

    /// Moves, deletes and configurations of more users than this run as jobs [default: 1000].
    #[arg(
        long,
        env = "UC_ADMIN_MOVE_JOB_THRESHOLD",
        value_name = "USERS",
        global = true,
        help_heading = "Jobs"
    )]
    pub job_threshold: Option<u64>,
    /// Users per job chunk, each one transaction [default: 500].
    #[arg(long, env = "UC_ADMIN_MOVE_JOB_CHUNK", value_name = "USERS", global = true, help_heading = "Jobs")]
    pub job_chunk: Option<u64>,
    /// Pause between chunks, letting other writers in [default: 0].
    #[arg(long, env = "UC_ADMIN_MOVE_JOB_PAUSE_MS", value_name = "MS", global = true, help_heading = "Jobs")]
    pub job_pause_ms: Option<u64>,
    /// How long a running job stays with a replica that stopped renewing its hold on it,
    /// before another replica takes it over [default: 30].
    #[arg(
        long,
        env = "UC_ADMIN_JOB_LEASE_SECONDS",
        value_name = "SECONDS",
        global = true,
        help_heading = "Jobs"
    )]
    pub job_lease_seconds: Option<u64>,
    /// This portal's name among the portals sharing one database; it must differ between
    /// portals on one machine [default: the host name].
    #[arg(long, env = "UC_ADMIN_REPLICA_NAME", value_name = "NAME", global = true, help_heading = "Jobs")]
    pub replica_name: Option<String>,

    /// Calls per second each scripting API token may make, with bursts of twice as many
    /// [default: 20].
    #[arg(
        long,
        env = "UC_ADMIN_API_REQUESTS_PER_SECOND",
        value_name = "N",
        global = true,
        help_heading = "Scripting API"
    )]
    pub api_requests_per_second: Option<u32>,

    /// Days a bulk change (move, delete, configure, organization move) stays undoable; a daily
    /// clean-up removes what it kept after that [default: 30].
    #[arg(
        long,
        env = "UC_ADMIN_UNDO_RETENTION_DAYS",
        value_name = "DAYS",
        global = true,
        help_heading = "Undo"
    )]
    pub undo_retention_days: Option<u32>,

    /// Where every committed audit event is also sent, comma-separated: stdout or
    /// file:PATH (JSON lines), udp://HOST:PORT or tcp://HOST:PORT (RFC 5424 syslog) [default: none].
    #[arg(
        long,
        env = "UC_ADMIN_AUDIT_STREAM",
        value_name = "LIST",
        value_delimiter = ',',
        global = true,
        help_heading = "Audit streaming"
    )]
    pub audit_stream: Option<Vec<String>>,
    /// A file sink starts a new file before it would grow past this [default: 104857600].
    #[arg(
        long,
        env = "UC_ADMIN_AUDIT_STREAM_ROTATE_BYTES",
        value_name = "BYTES",
        global = true,
        help_heading = "Audit streaming"
    )]
    pub audit_stream_rotate_bytes: Option<u64>,
    /// Rotated files a file sink keeps (1 to 1000) [default: 5].
    #[arg(
        long,
        env = "UC_ADMIN_AUDIT_STREAM_KEEP",
        value_name = "FILES",
        global = true,
        help_heading = "Audit streaming"
    )]
    pub audit_stream_keep: Option<u32>,
    /// APP-NAME of the syslog messages [default: uc-admin].
    #[arg(
        long,
        env = "UC_ADMIN_AUDIT_SYSLOG_APP_NAME",
        value_name = "NAME",
        global = true,
        help_heading = "Audit streaming"
    )]
    pub audit_syslog_app_name: Option<String>,
    /// Facility of the syslog messages, e.g. local0, auth, authpriv [default: local0].
    #[arg(
        long,
        env = "UC_ADMIN_AUDIT_SYSLOG_FACILITY",
        value_name = "NAME",
        global = true,
        help_heading = "Audit streaming"
    )]
    pub audit_syslog_facility: Option<String>,

    /// Log lines for people (text) or for a log collector (json, one object a line) [default: text].
    #[arg(long, env = "UC_ADMIN_LOG_FORMAT", value_name = "FORMAT", global = true, help_heading = "Logging")]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info or info,uc_admin=debug [default: info,sqlx=warn].
    #[arg(long, env = "RUST_LOG", value_name = "FILTER", global = true, help_heading = "Logging")]
    pub log_filter: Option<String>,

    /// LDAP directory for sync-directory: ldap://host:389 or ldaps://host:636. The bind password
    /// comes from UC_ADMIN_LDAP_PASSWORD or the file.
    #[arg(long, env = "UC_ADMIN_LDAP_URL", value_name = "URL", global = true, help_heading = "Directory")]
    pub ldap_url: Option<String>,
    /// Bind identity (anonymous if unset).
    #[arg(long, env = "UC_ADMIN_LDAP_BIND_DN", value_name = "DN", global = true, help_heading = "Directory")]
    pub ldap_bind_dn: Option<String>,
    /// Where the users are, e.g. ou=People,dc=contoso,dc=com.
    #[arg(long, env = "UC_ADMIN_LDAP_BASE_DN", value_name = "DN", global = true, help_heading = "Directory")]
    pub ldap_base_dn: Option<String>,
    /// Which entries are users [default: (objectClass=inetOrgPerson)].
    #[arg(
        long,
        env = "UC_ADMIN_LDAP_FILTER",
        value_name = "FILTER",
        global = true,
        help_heading = "Directory"
    )]
    pub ldap_filter: Option<String>,
    /// Attribute naming the user's organization [default: o].
    #[arg(
        long,
        env = "UC_ADMIN_LDAP_ORG_ATTRIBUTE",
        value_name = "NAME",
        global = true,
        help_heading = "Directory"
    )]
    pub ldap_org_attribute: Option<String>,
    /// Stable entry identifier [default: entryUUID].
    #[arg(
        long,
        env = "UC_ADMIN_LDAP_GUID_ATTRIBUTE",
        value_name = "NAME",
        global = true,
        help_heading = "Directory"
    )]
    pub ldap_guid_attribute: Option<String>,
    /// Upgrade ldap:// with StartTLS.
    #[arg(long, env = "UC_ADMIN_LDAP_STARTTLS", value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new(), global = true, help_heading = "Directory")]
    pub ldap_starttls: Option<bool>,
    /// Run the directory sync inside the server every N minutes (5 to 10080) [default: never].
    #[arg(
        long,
        env = "UC_ADMIN_LDAP_SYNC_EVERY_MINUTES",
        value_name = "N",
        global = true,
        help_heading = "Directory"
    )]
    pub ldap_sync_every_minutes: Option<u64>,

    /// Serve the demo deployment: a new database gets it (generated), never otherwise. Without
    /// it, a new database is a company's own, empty, and needs `uc-admin init` first.
    #[arg(long, env = "UC_ADMIN_DEMO", global = true, help_heading = "Demo",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub demo: bool,
    /// Directory users in a new demo deployment [default: 2000]. The demo operators' password
    /// comes from UC_ADMIN_DEMO_PASSWORD or the file (generated and printed once otherwise).
    #[arg(long, env = "UC_ADMIN_DEMO_USERS", value_name = "N", global = true, help_heading = "Demo")]
    pub demo_users: Option<u32>,
}

/// The secrets, read from the environment only (never flags).
#[derive(Debug, Default, Clone)]
pub struct SecretEnv {
    pub demo_password: Option<String>,
    pub ldap_password: Option<String>,
}

impl SecretEnv {
    pub const DEMO_PASSWORD: &str = "UC_ADMIN_DEMO_PASSWORD";
    pub const LDAP_PASSWORD: &str = "UC_ADMIN_LDAP_PASSWORD";
    /// `uc-admin init`'s password, for automation (a terminal prompt otherwise).
    pub const ADMIN_PASSWORD: &str = "UC_ADMIN_ADMIN_PASSWORD";

    pub fn from_env() -> SecretEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        SecretEnv { demo_password: var(Self::DEMO_PASSWORD), ldap_password: var(Self::LDAP_PASSWORD) }
    }
}

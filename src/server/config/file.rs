//! The configuration file (`--config`, TOML). Every section and key is optional; an unknown
//! section or key is an error naming it and its line, so that a misspelt key is never silently
//! ignored. `packaging/uc-admin.toml` documents every key.

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "ServerSection::is_empty")]
    pub server: ServerSection,
    #[serde(default, skip_serializing_if = "DatabaseSection::is_empty")]
    pub database: DatabaseSection,
    #[serde(default, skip_serializing_if = "SessionsSection::is_empty")]
    pub sessions: SessionsSection,
    #[serde(default, skip_serializing_if = "JobsSection::is_empty")]
    pub jobs: JobsSection,
    #[serde(default, skip_serializing_if = "ApiSection::is_empty")]
    pub api: ApiSection,
    #[serde(default, skip_serializing_if = "UndoSection::is_empty")]
    pub undo: UndoSection,
    #[serde(default, skip_serializing_if = "AuditSection::is_empty")]
    pub audit: AuditSection,
    #[serde(default, skip_serializing_if = "LogSection::is_empty")]
    pub log: LogSection,
    #[serde(default, skip_serializing_if = "DirectorySection::is_empty")]
    pub directory: DirectorySection,
    #[serde(default, skip_serializing_if = "DemoSection::is_empty")]
    pub demo: DemoSection,
}

/// `section.is_empty()`: nothing set, so `config check` leaves the section out.
macro_rules! section {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(#[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
        impl $name {
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_none())*
            }
        }
    };
}

section!(ServerSection {
    listen: String,
    site_root: String,
    public_origin: String,
    trusted_proxies: Vec<String>,
    behind_proxy: bool,
    shutdown_timeout_seconds: u64,
    metrics_listen: String,
});

section!(DatabaseSection { url: String, backup_dir: String });

section!(SessionsSection { idle_minutes: u64, max_hours: u64 });

section!(JobsSection { threshold: u64, chunk: u64, pause_ms: u64, lease_seconds: u64, replica_name: String });

section!(ApiSection { requests_per_second: u32 });

section!(UndoSection { retention_days: u32 });

section!(AuditSection {
    stream: Vec<String>,
    stream_rotate_bytes: u64,
    stream_keep: u32,
    syslog_app_name: String,
    syslog_facility: String,
});

section!(LogSection { format: LogFormat, filter: String });

section!(DirectorySection {
    url: String,
    bind_dn: String,
    password: String,
    base_dn: String,
    filter: String,
    org_attribute: String,
    guid_attribute: String,
    starttls: bool,
    sign_in: bool,
    user_filter: String,
    group_base_dn: String,
    group_filter: String,
    roles: std::collections::BTreeMap<String, String>,
    recheck_minutes: u64,
    sync_every_minutes: u64,
});

section!(DemoSection { password: String, users: u32 });

/// How log lines are written: for people (`text`) or for a log collector (`json`, one object a
/// line).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl ConfigFile {
    /// Parses a configuration file's text; the error names the key and the line.
    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }
}

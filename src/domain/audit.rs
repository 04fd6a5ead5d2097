//! The audit log as the portal shows it: events, their per-user outcomes, and the filters of
//! the audit page.

use super::AppError;
use super::format::parse_rfc3339;
use super::paging::DEFAULT_PAGE_SIZE;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// Operations the log records, in the order the filter offers them.
pub const OPERATIONS: [&str; 51] = [
    "sign_in",
    "sign_in_failed",
    "sign_in_failures_repeated",
    "sign_in_locked",
    "sign_in_unlock",
    "step_up_failed",
    "sign_out",
    "session_end",
    "operator_disable",
    "operator_enable",
    "operator_created",
    "operator_password_reset",
    "operator_deleted",
    "password_changed",
    "backup",
    "download",
    "enable",
    "move",
    "force_move",
    "move_job_cancel",
    "move_job_resume",
    "move_job_end",
    "delete_users",
    "delete_job_cancel",
    "delete_job_resume",
    "delete_job_end",
    "configure_users",
    "configure_job_cancel",
    "configure_job_resume",
    "configure_job_end",
    "org_move_job_cancel",
    "org_move_job_resume",
    "org_move_job_end",
    "import_user_data",
    "pool_state",
    "pool_add",
    "pool_change",
    "topology_import",
    "saved_query_share",
    "api_token_create",
    "api_token_revoke",
    "undo",
    "undo_job_cancel",
    "undo_job_resume",
    "undo_job_end",
    "approval_policy",
    "approval_request",
    "approval_approve",
    "approval_reject",
    "approval_outdated",
    "approval_expire",
];

/// Longest operator or user text of the audit filter, in characters.
pub const MAX_AUDIT_TEXT: usize = 100;
/// Events per page of the audit page.
pub const AUDIT_PAGE_SIZE: u32 = DEFAULT_PAGE_SIZE;
/// Most events one CSV export holds.
pub const MAX_AUDIT_EXPORT: usize = 100_000;

/// The audit page's filters; every one set must hold.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Operator user name, matched anywhere, case-insensitive.
    pub operator: String,
    /// One of `OPERATIONS`, or empty for all.
    pub operation: String,
    /// First and last day (UTC, `YYYY-MM-DD`), both included.
    pub from: String,
    pub to: String,
    /// A user's display name or SIP URI, matched anywhere in the event's per-user lines.
    pub user: String,
    pub page: u32,
}

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Start of a UTC day given as `YYYY-MM-DD`, in Unix seconds.
pub fn day_start(date: &str) -> Option<i64> {
    parse_rfc3339(&format!("{date}T00:00:00Z"))
}

impl AuditQuery {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> AuditQuery {
        let text = |k: &str| get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        AuditQuery {
            operator: text("operator"),
            operation: text("operation"),
            from: text("from"),
            to: text("to"),
            user: text("user"),
            page: get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1),
        }
    }

    /// The filters as a query string (without the page), for links and the CSV export.
    pub fn to_query_string(&self) -> String {
        [
            ("operator", &self.operator),
            ("operation", &self.operation),
            ("from", &self.from),
            ("to", &self.to),
            ("user", &self.user),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// The time range the dates select, as `[from, to)` in Unix seconds; checks every filter.
    pub fn validate(&self) -> Result<(Option<i64>, Option<i64>), AppError> {
        let text_ok = |t: &str| t.chars().count() <= MAX_AUDIT_TEXT && !t.chars().any(char::is_control);
        if !text_ok(&self.operator) || !text_ok(&self.user) || self.page == 0 {
            return Err(AppError::InvalidAuditFilter);
        }
        if !self.operation.is_empty() && !OPERATIONS.contains(&self.operation.as_str()) {
            return Err(AppError::UnknownFilterValue { field: "operation".into() });
        }
        let date = |d: &str| -> Result<Option<i64>, AppError> {
            if d.is_empty() { Ok(None) } else { day_start(d).map(Some).ok_or(AppError::InvalidAuditFilter) }
        };
        let from = date(&self.from)?;
        let to = date(&self.to)?.map(|t| t + 86_400);
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(AppError::InvalidAuditFilter);
        }
        Ok((from, to))
    }
}

/// Where audit events are streamed (a SIEM), as the audit page shows it: one per configured
/// sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSinkStatus {
    /// `jsonl` (JSON lines to standard output or a file) or `syslog` (RFC 5424).
    pub kind: String,
    /// Where to: `stdout`, `file:/var/log/…`, `udp://host:port` or `tcp://host:port`.
    pub target: String,
    /// The last event the sink received, and when it was sent; `None` before the first.
    pub last_event_id: Option<i64>,
    pub sent_at: Option<i64>,
    /// Committed events not sent to it yet.
    pub pending: u64,
}

/// One event of the log.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub operator: String,
    /// The scripting API token the change was made through, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<String>,
    /// The second operator who approved the change, if the approval policy held it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub operation: String,
    /// The operation's parameters, as the JSON object the service recorded.
    pub parameters: String,
    pub target_count: u64,
}

/// One user's outcome in an event.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditUserLine {
    pub user_id: i64,
    pub display_name: String,
    pub sip_uri: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    /// The pool the user was homed on before the operation, where it matters.
    pub source_pool: Option<String>,
}

/// An event seen from one user's timeline.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAuditEntry {
    pub event: AuditEvent,
    pub line: AuditUserLine,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> AuditQuery {
        AuditQuery::from_params(|k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn date_range_includes_both_days() {
        let (from, to) = q(&[("from", "2026-11-20"), ("to", "2026-11-21")]).validate().unwrap();
        assert_eq!(from, Some(day_start("2026-11-20").unwrap()));
        assert_eq!(to.unwrap() - from.unwrap(), 2 * 86_400);
        assert_eq!(q(&[]).validate(), Ok((None, None)));
    }

    #[test]
    fn bad_filters_are_refused() {
        assert_eq!(q(&[("from", "2026-02-30")]).validate(), Err(AppError::InvalidAuditFilter));
        assert_eq!(q(&[("to", "yesterday")]).validate(), Err(AppError::InvalidAuditFilter));
        assert_eq!(
            q(&[("from", "2026-11-22"), ("to", "2026-11-21")]).validate(),
            Err(AppError::InvalidAuditFilter)
        );
        assert_eq!(
            q(&[("operation", "drop_tables")]).validate(),
            Err(AppError::UnknownFilterValue { field: "operation".into() })
        );
        assert_eq!(
            q(&[("user", &"u".repeat(MAX_AUDIT_TEXT + 1))]).validate(),
            Err(AppError::InvalidAuditFilter)
        );
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let query = q(&[
            ("operator", "use radmin"),
            ("operation", "move"),
            ("from", "2026-01-01"),
            ("user", "O'Brien & co"),
        ]);
        let qs = query.to_query_string();
        let pairs: Vec<(String, String)> = qs
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.into(), percent_encoding::percent_decode_str(v).decode_utf8().unwrap().into_owned())
            })
            .collect();
        let back =
            AuditQuery::from_params(|k| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()));
        assert_eq!(back, query);
    }
}

//! Server functions of the audit page and of a user's timeline. Read-only: the log cannot be
//! changed through the portal.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::audit::{AuditEvent, AuditQuery, AuditSinkStatus, AuditUserLine, UserAuditEntry};
use crate::domain::paging::Page;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// Entries of a user's timeline on the user page.
pub const TIMELINE_ENTRIES: u32 = 100;

#[server(prefix = "/api", endpoint = "list_audit_events", input = Json)]
pub async fn list_audit_events(query: AuditQuery) -> Result<Page<AuditEvent>, AppError> {
    use crate::server::security::audit::log::{Reader, events};
    gate::authorized(ListAuditEvents::PATH, |state, viewer| async move {
        events(&state.db, &query, Reader::of(&viewer)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "get_audit_event", input = Json)]
pub async fn get_audit_event(id: i64, page: u32) -> Result<(AuditEvent, Page<AuditUserLine>), AppError> {
    use crate::server::security::audit::log::{Reader, event};
    gate::authorized(GetAuditEvent::PATH, |state, viewer| async move {
        event(&state.db, id, page, Reader::of(&viewer)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "user_timeline", input = Json)]
pub async fn user_timeline(user: i64) -> Result<Vec<UserAuditEntry>, AppError> {
    gate::authorized(UserTimeline::PATH, |state, viewer| async move {
        let id = crate::domain::user::UserId(user);
        crate::server::directory::within::must_see(&state.db, &viewer.scope, id).await?;
        crate::server::security::audit::log::user_timeline(&state.db, user, TIMELINE_ENTRIES).await
    })
    .await
}

/// The audit stream's sinks as configured, each with the last event it received (empty: no
/// streaming configured).
#[server(prefix = "/api", endpoint = "audit_stream_status", input = Json)]
pub async fn audit_stream_status() -> Result<Vec<AuditSinkStatus>, AppError> {
    gate::authorized(AuditStreamStatus::PATH, |state, _| async move {
        crate::server::security::audit_stream::status(&state.db, &state.config.audit_stream).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::{app, app_on, call, sign_in};
    use crate::server::Config;
    use crate::server::security::audit_stream::SinkTarget;
    use axum::http::Method;

    /// The audit page's streaming status: empty when nothing is configured, otherwise each sink
    /// with what it received; the same lag is in `/metrics`.
    #[tokio::test]
    async fn the_stream_status_lists_the_configured_sinks_to_every_operator() {
        let (app, _) = app().await;
        let help_desk = sign_in(&app, "helpdesk").await;
        let (status, body) =
            call(&app, Method::POST, "/api/audit_stream_status", Some(&help_desk), "{}").await;
        assert_eq!((status, body.as_str()), (200, "[]"));

        let mut config = Config::for_tests();
        config.audit_stream.sinks = vec![SinkTarget::SyslogUdp("127.0.0.1:9".into())];
        let (app, _) = app_on(&crate::server::storage::db::test_database().await, config).await;
        let help_desk = sign_in(&app, "helpdesk").await;
        let (status, body) =
            call(&app, Method::POST, "/api/audit_stream_status", Some(&help_desk), "{}").await;
        assert_eq!(status, 200, "{body}");
        let sinks: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (sinks[0]["kind"].as_str(), sinks[0]["target"].as_str()),
            (Some("syslog"), Some("udp://127.0.0.1:9"))
        );
        assert!(sinks[0]["last_event_id"].is_null(), "nothing streamed: no task runs in tests");
        let pending = sinks[0]["pending"].as_u64().unwrap();
        assert!(pending >= 1, "the sign-in is an event waiting: {body}");
        let (_, metrics) = call(&app, Method::GET, "/metrics", None, "").await;
        assert!(
            metrics.contains("uc_admin_audit_stream_lag_events{sink=\"udp://127.0.0.1:9\"}"),
            "{metrics}"
        );
    }
}

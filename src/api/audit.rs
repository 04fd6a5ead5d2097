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
    gate::authorized(UserTimeline::PATH, |state, _| async move {
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

//! The audit log: filtered, paged list of events, one event with its per-user outcomes, and a
//! user's timeline. Read-only: the portal has no way to change a record.

use super::common::{
    ErrorPanel, I18n, ListSummary, Loading, PrevNext, archiving_name, count, lang, page_title,
    pool_state_name, telephony_name, yes_no,
};
use crate::api::audit::{audit_stream_status, get_audit_event, list_audit_events, user_timeline};
use crate::domain::AppError;
use crate::domain::audit::{AuditEvent, AuditQuery, MAX_AUDIT_TEXT, OPERATIONS};
use crate::domain::format::format_instant;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_params_map, use_query_map};

/// The translated name of an operation code; unknown codes show as they are.
pub fn operation_name(i18n: I18n, code: &str) -> String {
    let name = match code {
        "sign_in" => t_string!(i18n, audit.op_sign_in),
        "sign_in_failed" => t_string!(i18n, audit.op_sign_in_failed),
        "sign_out" => t_string!(i18n, audit.op_sign_out),
        "sign_in_locked" => t_string!(i18n, audit.op_sign_in_locked),
        "sign_in_unlock" => t_string!(i18n, audit.op_sign_in_unlock),
        "step_up_failed" => t_string!(i18n, audit.op_step_up_failed),
        "session_end" => t_string!(i18n, audit.op_session_end),
        "operator_disable" => t_string!(i18n, audit.op_operator_disable),
        "operator_enable" => t_string!(i18n, audit.op_operator_enable),
        "backup" => t_string!(i18n, audit.op_backup),
        "enable" => t_string!(i18n, audit.op_enable),
        "move" => t_string!(i18n, audit.op_move),
        "force_move" => t_string!(i18n, audit.op_force_move),
        "move_job_cancel" => t_string!(i18n, audit.op_move_job_cancel),
        "move_job_resume" => t_string!(i18n, audit.op_move_job_resume),
        "move_job_pause" => t_string!(i18n, audit.op_move_job_pause),
        "delete_job_pause" => t_string!(i18n, audit.op_delete_job_pause),
        "configure_job_pause" => t_string!(i18n, audit.op_configure_job_pause),
        "org_move_job_pause" => t_string!(i18n, audit.op_org_move_job_pause),
        "undo_job_pause" => t_string!(i18n, audit.op_undo_job_pause),
        "move_job_end" => t_string!(i18n, audit.op_move_job_end),
        "delete_users" => t_string!(i18n, audit.op_delete_users),
        "configure_users" => t_string!(i18n, audit.op_configure_users),
        "import_user_data" => t_string!(i18n, audit.op_import_user_data),
        "pool_state" => t_string!(i18n, audit.op_pool_state),
        "operator_created" => t_string!(i18n, audit.op_operator_created),
        "operator_password_reset" => t_string!(i18n, audit.op_operator_password_reset),
        "password_changed" => t_string!(i18n, audit.op_password_changed),
        "operator_deleted" => t_string!(i18n, audit.op_operator_deleted),
        "pool_add" => t_string!(i18n, audit.op_pool_add),
        "pool_change" => t_string!(i18n, audit.op_pool_change),
        "topology_import" => t_string!(i18n, audit.op_topology_import),
        "saved_query_share" => t_string!(i18n, audit.op_saved_query_share),
        "delete_job_cancel" => t_string!(i18n, audit.op_delete_job_cancel),
        "delete_job_resume" => t_string!(i18n, audit.op_delete_job_resume),
        "delete_job_end" => t_string!(i18n, audit.op_delete_job_end),
        "configure_job_cancel" => t_string!(i18n, audit.op_configure_job_cancel),
        "configure_job_resume" => t_string!(i18n, audit.op_configure_job_resume),
        "configure_job_end" => t_string!(i18n, audit.op_configure_job_end),
        "org_move_job_cancel" => t_string!(i18n, audit.op_org_move_job_cancel),
        "org_move_job_resume" => t_string!(i18n, audit.op_org_move_job_resume),
        "org_move_job_end" => t_string!(i18n, audit.op_org_move_job_end),
        // Recorded by the organization services (shown in timelines and in the log).
        "org_move" => t_string!(i18n, audit.op_org_move),
        "csv_import" => t_string!(i18n, audit.op_csv_import),
        "directory_sync" => t_string!(i18n, audit.op_directory_sync),
        "prevent_user_move" => t_string!(i18n, audit.op_prevent_user_move),
        "sign_in_failures_repeated" => t_string!(i18n, audit.op_sign_in_failures_repeated),
        "download" => t_string!(i18n, audit.op_download),
        "api_token_create" => t_string!(i18n, audit.op_api_token_create),
        "api_token_revoke" => t_string!(i18n, audit.op_api_token_revoke),
        "undo" => t_string!(i18n, audit.op_undo),
        "undo_job_cancel" => t_string!(i18n, audit.op_undo_job_cancel),
        "undo_job_resume" => t_string!(i18n, audit.op_undo_job_resume),
        "undo_job_end" => t_string!(i18n, audit.op_undo_job_end),
        "approval_policy" => t_string!(i18n, audit.op_approval_policy),
        "approval_request" => t_string!(i18n, audit.op_approval_request),
        "approval_approve" => t_string!(i18n, audit.op_approval_approve),
        "approval_reject" => t_string!(i18n, audit.op_approval_reject),
        "approval_outdated" => t_string!(i18n, audit.op_approval_outdated),
        "approval_expire" => t_string!(i18n, audit.op_approval_expire),
        other => return other.to_string(),
    };
    name.to_string()
}

/// Who did it: the operator's name. The name typed into a failed sign-in is shown only to
/// those who manage operators; others get it empty from the server and read why here.
pub fn operator_text(i18n: I18n, operation: &str, operator: &str) -> String {
    if operator.is_empty() && matches!(operation, "sign_in_failed" | "sign_in_locked") {
        t_string!(i18n, audit.name_hidden).to_string()
    } else {
        operator.to_string()
    }
}

/// The translated name of a per-user outcome code.
pub fn outcome_name(i18n: I18n, code: &str) -> String {
    let name = match code {
        "enabled" => t_string!(i18n, audit.out_enabled),
        "failed" => t_string!(i18n, audit.out_failed),
        "moved" => t_string!(i18n, audit.out_moved),
        "refused" => t_string!(i18n, audit.out_refused),
        "deleted" => t_string!(i18n, audit.out_deleted),
        "configured" => t_string!(i18n, audit.out_configured),
        "skipped" => t_string!(i18n, audit.out_skipped),
        "imported" => t_string!(i18n, audit.out_imported),
        "restored" => t_string!(i18n, audit.out_restored),
        // Directory syncs and organization CSV files.
        "created" => t_string!(i18n, audit.out_created),
        "updated" => t_string!(i18n, audit.out_updated),
        "unchanged" => t_string!(i18n, audit.out_unchanged),
        other => return other.to_string(),
    };
    name.to_string()
}

fn when(i18n: I18n, at: i64) -> String {
    format_instant(lang(i18n), at)
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(|q| AuditQuery::from_params(|k| q.get(k))));
    let events = Resource::new(move || query.get(), list_audit_events);
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, audit.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, audit.title)}</h1></div>
        <p class="hint">{t!(i18n, audit.intro)}</p>
        <StreamStatus />
        {move || view! { <AuditFilters query=query.get() /> }}
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match events.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! { <p class="empty" role="status">{t!(i18n, audit.empty)}</p> }.into_any(),
                    Ok(page) => {
                        let (first, last) = page.shown_range();
                        let pages = page.page_count();
                        let qs = q.to_query_string();
                        let csv = if qs.is_empty() { "/exports/audit.csv".to_string() } else { format!("/exports/audit.csv?{qs}") };
                        let page_link = move |n: u32| {
                            if qs.is_empty() { format!("/audit?page={n}") } else { format!("/audit?{qs}&page={n}") }
                        };
                        let current = q.page.min(pages);
                        view! {
                            <div class="list-actions">
                                <ListSummary first last total=page.total testid="audit-summary" />
                                <a href=csv class="button" rel="external" download data-testid="audit-csv">{t!(i18n, audit.export_csv)}</a>
                            </div>
                            <div class="table-wrap">
                                <table class="data-table" data-testid="audit-table">
                                    <caption class="visually-hidden">{t!(i18n, audit.title)}</caption>
                                    <thead><tr>
                                        <th scope="col">{t!(i18n, audit.col_time)}</th>
                                        <th scope="col">{t!(i18n, audit.col_operator)}</th>
                                        <th scope="col">{t!(i18n, audit.col_operation)}</th>
                                        <th scope="col" class="num">{t!(i18n, audit.col_targets)}</th>
                                        <th scope="col">{t!(i18n, audit.col_parameters)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(|e| view! { <EventRow event=e /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <PrevNext current pages link=Callback::new(page_link) />
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Where audit events are streamed (a SIEM), and the last event each sink received.
#[component]
fn StreamStatus() -> impl IntoView {
    let i18n = use_i18n();
    let sinks = Resource::new(|| (), |_| audit_stream_status());
    view! {
        <section class="audit-stream" data-testid="audit-stream" aria-labelledby="audit-stream-title">
            <h2 id="audit-stream-title">{t!(i18n, audit.stream_title)}</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match sinks.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(sinks) if sinks.is_empty() => {
                            view! { <p class="hint" data-testid="audit-stream-none">{t!(i18n, audit.stream_not_configured)}</p> }.into_any()
                        }
                        Ok(sinks) => view! {
                            <ul class="audit-stream-sinks">
                                {sinks.into_iter().map(|sink| {
                                    // Closures, so that a language chosen on this page retranslates them.
                                    let syslog = sink.kind == "syslog";
                                    let kind = move || if syslog {
                                        t_string!(i18n, audit.stream_kind_syslog).to_string()
                                    } else {
                                        t_string!(i18n, audit.stream_kind_jsonl).to_string()
                                    };
                                    let last = move || match (sink.last_event_id, sink.sent_at) {
                                        (Some(id), Some(at)) => t_string!(i18n, audit.stream_last_sent, id = id.to_string(), time = when(i18n, at)).to_string(),
                                        _ => t_string!(i18n, audit.stream_nothing_sent).to_string(),
                                    };
                                    let pending = sink.pending;
                                    view! {
                                        <li data-testid="audit-stream-sink">
                                            <strong>{kind}</strong>" "<code>{sink.target}</code>" — "{last}
                                            {(pending > 0).then(|| view! { " · "{move || t_string!(i18n, audit.stream_pending, count = pending.to_string()).to_string()} })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditFilters(query: AuditQuery) -> impl IntoView {
    let i18n = use_i18n();
    let operation = query.operation.clone();
    view! {
        <Form method="GET" action="/audit" attr:class="filter-bar audit-filters" attr:role="search">
            <div class="field">
                <label for="audit-operator">{t!(i18n, audit.f_operator)}</label>
                <input id="audit-operator" type="search" name="operator" value=query.operator.clone() maxlength=MAX_AUDIT_TEXT />
            </div>
            <div class="field">
                <label for="audit-operation">{t!(i18n, audit.f_operation)}</label>
                <select id="audit-operation" name="operation">
                    <option value="" selected=operation.is_empty()>{t!(i18n, search.any)}</option>
                    {OPERATIONS.into_iter().map(|op| {
                        let selected = operation == op;
                        view! { <option value=op selected=selected>{move || operation_name(i18n, op)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-from">{t!(i18n, audit.f_from)}</label>
                <input id="audit-from" type="date" name="from" value=query.from.clone() />
            </div>
            <div class="field">
                <label for="audit-to">{t!(i18n, audit.f_to)}</label>
                <input id="audit-to" type="date" name="to" value=query.to.clone() />
            </div>
            <div class="field">
                <label for="audit-user">{t!(i18n, audit.f_user)}</label>
                <input id="audit-user" type="search" name="user" value=query.user.clone() maxlength=MAX_AUDIT_TEXT />
            </div>
            <button type="submit" class="button">{t!(i18n, users.apply)}</button>
            <A href="/audit" attr:class="button button-quiet">{t!(i18n, users.filter_clear)}</A>
        </Form>
    }
}

/// The parameters of an event as an operator reads them: translated names, and values in words
/// (yes/no, counts in the locale's digits, states and kinds by their names, times as dates).
fn parameters_text(i18n: I18n, parameters: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(parameters) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(key, value)| {
                format!("{}: {}", parameter_label(i18n, key), parameter_value(i18n, key, value))
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => parameters.to_string(),
    }
}

/// The translated name of a parameter the services record; an unknown one shows as it is.
fn parameter_label(i18n: I18n, key: &str) -> String {
    let label = match key {
        "added" => t_string!(i18n, audit_param.added),
        "address" => t_string!(i18n, audit_param.address),
        "allowed" => t_string!(i18n, audit_param.allowed),
        "along" => t_string!(i18n, audit_param.along),
        "already_present" => t_string!(i18n, audit_param.already_present),
        "archiving" => t_string!(i18n, audit_param.archiving),
        "blocked" => t_string!(i18n, audit_param.blocked),
        "bytes" => t_string!(i18n, audit_param.bytes),
        "change" => t_string!(i18n, audit_param.change),
        "configured" => t_string!(i18n, audit_param.configured),
        "contact_groups" => t_string!(i18n, audit_param.contact_groups),
        "contacts" => t_string!(i18n, audit_param.contacts),
        "data_deleted" => t_string!(i18n, audit_param.data_deleted),
        "data_kept" => t_string!(i18n, audit_param.data_kept),
        "data_lost" => t_string!(i18n, audit_param.data_lost),
        "deleted" => t_string!(i18n, audit_param.deleted),
        "destination" => t_string!(i18n, audit_param.destination),
        "enable_enhanced_presence" => t_string!(i18n, audit_param.enable_enhanced_presence),
        "enabled" => t_string!(i18n, audit_param.enabled),
        "expires_at" => t_string!(i18n, audit_param.expires_at),
        "enhanced_presence" => t_string!(i18n, audit_param.enhanced_presence),
        "entries" => t_string!(i18n, audit_param.entries),
        "error" => t_string!(i18n, audit_param.error),
        "failures" => t_string!(i18n, audit_param.failures),
        "federation" => t_string!(i18n, audit_param.federation),
        "file" => t_string!(i18n, audit_param.file),
        "force" => t_string!(i18n, audit_param.force),
        "from" => t_string!(i18n, audit_param.from),
        "from_name" => t_string!(i18n, audit_param.from_name),
        "job" => t_string!(i18n, audit_param.job),
        "key" => t_string!(i18n, audit_param.key),
        "kind" => t_string!(i18n, audit_param.kind),
        "lock_after_move" => t_string!(i18n, audit_param.lock_after_move),
        "locked" => t_string!(i18n, audit_param.locked),
        "meeting_policy" => t_string!(i18n, audit_param.meeting_policy),
        "meetings" => t_string!(i18n, audit_param.meetings),
        "moved" => t_string!(i18n, audit_param.moved),
        "name" => t_string!(i18n, audit_param.name),
        "not_processed" => t_string!(i18n, audit_param.not_processed),
        "request" => t_string!(i18n, audit_param.request),
        "requester" => t_string!(i18n, audit_param.requester),
        "comment" => t_string!(i18n, audit_param.comment),
        "target" => t_string!(i18n, audit_param.target),
        "force_move" => t_string!(i18n, audit_param.force_move),
        "delete" => t_string!(i18n, audit_param.delete),
        "org_move" => t_string!(i18n, audit_param.org_move),
        "above_users" => t_string!(i18n, audit_param.above_users),
        "expiry_hours" => t_string!(i18n, audit_param.expiry_hours),
        "of_event" => t_string!(i18n, audit_param.of_event),
        "of_job" => t_string!(i18n, audit_param.of_job),
        "of_kind" => t_string!(i18n, audit_param.of_kind),
        "operator" | "owner" => t_string!(i18n, audit_param.operator),
        "permissions" => t_string!(i18n, audit_param.permissions),
        "planned_configured" => t_string!(i18n, audit_param.planned_configured),
        "planned_moves" => t_string!(i18n, audit_param.planned_moves),
        "planned_refusals" => t_string!(i18n, audit_param.planned_refusals),
        "planned_skipped" => t_string!(i18n, audit_param.planned_skipped),
        "pool" => t_string!(i18n, audit_param.pool),
        "presence_items" => t_string!(i18n, audit_param.presence_items),
        "public_im" => t_string!(i18n, audit_param.public_im),
        "reason" => t_string!(i18n, audit_param.reason),
        "refused" => t_string!(i18n, audit_param.refused),
        "remote_access" => t_string!(i18n, audit_param.remote_access),
        "restored" => t_string!(i18n, audit_param.restored),
        "revoked" => t_string!(i18n, audit_param.revoked),
        "rows" => t_string!(i18n, audit_param.rows),
        "scope" => t_string!(i18n, audit_param.scope),
        "session" => t_string!(i18n, audit_param.session),
        "sessions_ended" => t_string!(i18n, audit_param.sessions_ended),
        "shared" => t_string!(i18n, audit_param.shared),
        "sip_address_source" => t_string!(i18n, audit_param.sip_address_source),
        "sip_domain" => t_string!(i18n, audit_param.sip_domain),
        "skipped" => t_string!(i18n, audit_param.skipped),
        "source" => t_string!(i18n, audit_param.source),
        "state" => t_string!(i18n, audit_param.state),
        "telephony" => t_string!(i18n, audit_param.telephony),
        "ticked" => t_string!(i18n, audit_param.ticked),
        "to" => t_string!(i18n, audit_param.to),
        "token" => t_string!(i18n, audit_param.token),
        "until" => t_string!(i18n, audit_param.until),
        "user" => t_string!(i18n, audit_param.user),
        "users" => t_string!(i18n, audit_param.users),
        "window_start" => t_string!(i18n, audit_param.window_start),
        other => return other.to_string(),
    };
    label.to_string()
}

fn parameter_value(i18n: I18n, key: &str, value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Bool(on) => yes_no(i18n, *on).to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(at) if matches!(key, "until" | "window_start" | "expires_at") => {
                format_instant(lang(i18n), at)
            }
            Some(n)
                if n >= 0
                    && !matches!(
                        key,
                        "job" | "session" | "operator" | "token" | "of_job" | "of_event" | "request"
                    ) =>
            {
                count(i18n, n as u64)
            }
            _ => n.to_string(),
        },
        Value::Null if key == "meeting_policy" => t_string!(i18n, user_page.global_policy).to_string(),
        Value::Null => t_string!(i18n, audit_value.none).to_string(),
        Value::String(text) => coded_value(i18n, key, text).unwrap_or_else(|| text.clone()),
        // A settings change: what it sets.
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| format!("{} {}", parameter_label(i18n, k), parameter_value(i18n, k, v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(items) => {
            items.iter().map(|v| parameter_value(i18n, key, v)).collect::<Vec<_>>().join(", ")
        }
    }
}

/// The words for a coded value: states, sources, kinds, policies; `None` for free text.
fn coded_value(i18n: I18n, key: &str, code: &str) -> Option<String> {
    use crate::domain::enable::SipAddressSource;
    use crate::domain::jobs::JobState;
    use crate::domain::pool::PoolState;
    use crate::domain::user::{ArchivingPolicy, Telephony};
    let words = match (key, code) {
        ("from" | "to" | "state", _) if code.parse::<PoolState>().is_ok() => {
            pool_state_name(i18n, code.parse::<PoolState>().ok()?)
        }
        ("state", _) => super::jobs::job_state_name(i18n, code.parse::<JobState>().ok()?),
        ("of_kind", _) => super::jobs::kind_name(i18n, code.parse().ok()?, false),
        ("source", "manual") => t_string!(i18n, audit_value.source_manual),
        ("source", "csv") => t_string!(i18n, audit_value.source_csv),
        ("source", "sync") => t_string!(i18n, audit_value.source_sync),
        ("scope", "account") => t_string!(i18n, audit_value.scope_account),
        ("scope", "address") => t_string!(i18n, audit_value.scope_address),
        ("reason", "throttled") => t_string!(i18n, audit_value.reason_throttled),
        ("kind", "backup") => t_string!(i18n, audit_value.kind_backup),
        ("kind", "user_data") => t_string!(i18n, audit_value.kind_user_data),
        ("kind", "enable_results") => t_string!(i18n, audit_value.kind_enable_results),
        ("kind", "audit_csv") => t_string!(i18n, audit_value.kind_audit_csv),
        ("permissions", _) => super::api_page::permission_name(
            i18n,
            crate::domain::operator::Permission::ALL.into_iter().find(|p| p.as_str() == code)?,
        ),
        ("sip_address_source", _) => {
            super::enable::source_name(i18n, SipAddressSource::ALL.into_iter().find(|s| s.as_str() == code)?)
        }
        ("archiving", _) => archiving_name(i18n, code.parse::<ArchivingPolicy>().ok()?),
        ("telephony", _) => telephony_name(i18n, code.parse::<Telephony>().ok()?),
        ("error", _) => {
            let error: AppError = serde_json::from_value(serde_json::json!({ "code": code })).ok()?;
            return Some(super::common::error_message(i18n, &error));
        }
        _ => return None,
    };
    Some(words.to_string())
}

#[component]
fn EventRow(event: AuditEvent) -> impl IntoView {
    let i18n = use_i18n();
    let AuditEvent { id, at, operator, api_token, approved_by, operation, parameters, target_count } = event;
    let op = operation.clone();
    let operation_code = operation.clone();
    view! {
        <tr data-operation=operation.clone()>
            <td><A href=format!("/audit/{id}")>{move || when(i18n, at)}</A></td>
            <td>
                {move || operator_text(i18n, &operation_code, &operator)}
                {api_token.map(|name| view! {
                    <span class="via-token" data-testid="audit-via-token">
                        {move || t_string!(i18n, audit.via_token, name = name.clone()).to_string()}
                    </span>
                })}
                {approved_by.map(|name| view! {
                    <span class="via-token" data-testid="audit-approved-by">
                        {move || t_string!(i18n, audit.approved_by, name = name.clone()).to_string()}
                    </span>
                })}
            </td>
            <td>{move || operation_name(i18n, &op)}</td>
            // Operations on no user (sign-in, pool state) show a dash, not a misleading 0.
            <td class="num">{move || if target_count == 0 { "–".to_string() } else { count(i18n, target_count) }}</td>
            <td class="params">{move || parameters_text(i18n, &parameters)}</td>
        </tr>
    }
}

#[component]
pub fn AuditEventPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query_map = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let page = Memo::new(move |_| {
        query_map.read().get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1)
    });
    // An inline bulk change (not a job) is undone from its record.
    let undoable = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => crate::api::undo::get_undoable_change(id).await,
                None => Ok(None),
            }
        },
    );
    let event = Resource::new(
        move || (id.get(), page.get()),
        |(id, page)| async move {
            match id {
                Some(id) => get_audit_event(id, page).await,
                None => Err(AppError::AuditEventNotFound),
            }
        },
    );
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, audit.event_title), t_string!(i18n, app_name)))}
        <p><A href="/audit">{t!(i18n, audit.back)}</A></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                // A job's change is undone from the job's page.
                let undo = undoable.await.ok().flatten().filter(|u| u.job.is_none());
                match event.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((event, lines)) => {
                        let (first, last) = lines.shown_range();
                        let pages = lines.page_count();
                        let current = lines.page;
                        let id = event.id;
                        let op = event.operation.clone();
                        view! {
                            <div class="page-header"><h1>{move || operation_name(i18n, &op)}</h1></div>
                            <dl class="properties" data-testid="audit-event">
                                <dt>{t!(i18n, audit.col_time)}</dt><dd>{move || when(i18n, event.at)}</dd>
                                <dt>{t!(i18n, audit.col_operator)}</dt><dd>{operator_text(i18n, &event.operation, &event.operator)}</dd>
                                {event.api_token.clone().map(|name| view! {
                                    <dt>{t!(i18n, audit.col_api_token)}</dt><dd data-testid="audit-event-token">{name}</dd>
                                })}
                                {event.approved_by.clone().map(|name| view! {
                                    <dt>{t!(i18n, audit.col_approved_by)}</dt><dd data-testid="audit-event-approver">{name}</dd>
                                })}
                                <dt>{t!(i18n, audit.col_targets)}</dt><dd>{move || count(i18n, event.target_count)}</dd>
                                <dt>{t!(i18n, audit.col_parameters)}</dt><dd class="params">{let p = event.parameters.clone(); move || parameters_text(i18n, &p)}</dd>
                            </dl>
                            {undo.map(|found| view! { <crate::ui::undo::UndoOffer found /> })}
                            {(lines.total > 0).then(|| view! {
                                <h2>{t!(i18n, audit.users_title)}</h2>
                                <ListSummary first last total=lines.total testid="audit-lines-summary" />
                                <div class="table-wrap">
                                    <table class="data-table" data-testid="audit-lines">
                                        <caption class="visually-hidden">{t!(i18n, audit.users_title)}</caption>
                                        <thead><tr>
                                            <th scope="col">{t!(i18n, users.col_display_name)}</th>
                                            <th scope="col">{t!(i18n, users.col_sip_uri)}</th>
                                            <th scope="col">{t!(i18n, audit.col_outcome)}</th>
                                            <th scope="col">{t!(i18n, audit.col_reason)}</th>
                                            <th scope="col">{t!(i18n, audit.col_source_pool)}</th>
                                        </tr></thead>
                                        <tbody>
                                            {lines.items.into_iter().map(|l| {
                                                let outcome = l.outcome.clone();
                                                view! {
                                                    <tr>
                                                        <td><A href=format!("/users/{}", l.user_id)>{l.display_name}</A></td>
                                                        <td class="mono">{l.sip_uri.unwrap_or_default()}</td>
                                                        <td>{move || outcome_name(i18n, &outcome)}</td>
                                                        <td>{l.reason.unwrap_or_default()}</td>
                                                        <td>{l.source_pool.unwrap_or_default()}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <PrevNext current pages link=Callback::new(move |n: u32| format!("/audit/{id}?page={n}")) />
                            })}
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A user's history, loaded by the page (a resource made inside a view the server renders after
/// an await gets another id than the browser's, and hydration fails).
pub type TimelineResource = Resource<Result<Vec<crate::domain::audit::UserAuditEntry>, AppError>>;

/// The resource of a user's history, for the page to make at its top.
pub fn timeline_resource(user: Memo<Result<crate::domain::user::UserId, AppError>>) -> TimelineResource {
    Resource::new(move || user.get(), |user| async move { user_timeline(user?.0).await })
}

/// A user's history from the log, newest first.
#[component]
pub fn UserTimeline(entries: TimelineResource) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel" aria-labelledby="user-timeline">
            <h2 id="user-timeline">{t!(i18n, audit.timeline_title)}</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match entries.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="hint">{t!(i18n, audit.timeline_empty)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="timeline" data-testid="user-timeline">
                                {list.into_iter().map(|e| {
                                    let op = e.event.operation.clone();
                                    let outcome = e.line.outcome.clone();
                                    let at = e.event.at;
                                    let reason = e.line.reason.clone();
                                    view! {
                                        <li>
                                            <A href=format!("/audit/{}", e.event.id)>{move || when(i18n, at)}</A>
                                            " · "<strong>{move || operation_name(i18n, &op)}</strong>
                                            " · "{move || outcome_name(i18n, &outcome)}
                                            {reason.map(|r| view! { " (" {r} ")" })}
                                            " · "{e.event.operator.clone()}
                                            // Both names when a second operator approved it.
                                            {e.event.approved_by.clone().map(|name| view! {
                                                " · "<span data-testid="timeline-approved-by">
                                                    {move || t_string!(i18n, audit.approved_by, name = name.clone()).to_string()}
                                                </span>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

//! Helpers shared by the pages: translated names of domain values, locale formatting,
//! error panels.

use crate::domain::AppError;
use crate::domain::format::{Lang, format_count};
use crate::domain::node::{NodeId, PoolTree};
use crate::domain::operator::Role;
use crate::domain::pool::{PoolCategory, PoolKind, PoolState, ServerVersion};
use crate::domain::topology::TopologyProblem;
use crate::domain::user::{ArchivingPolicy, Telephony, UserStatus};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

pub type I18n = leptos_i18n::I18nContext<Locale>;

pub fn lang(i18n: I18n) -> Lang {
    match i18n.get_locale() {
        Locale::en => Lang::En,
        Locale::fr => Lang::Fr,
        Locale::de => Lang::De,
    }
}

/// A count formatted for the current locale (reactive when called in a closure).
pub fn count(i18n: I18n, n: u64) -> String {
    format_count(lang(i18n), n)
}

pub fn error_message(i18n: I18n, error: &AppError) -> String {
    crate::messages::error_message(i18n.get_locale(), error)
}

/// Why a pool, domain or forest of a topology cannot be used: alone on the Topology page, after
/// "Line N:" for a file.
pub fn topology_problem(i18n: I18n, problem: TopologyProblem) -> String {
    crate::messages::topology_problem(i18n.get_locale(), problem)
}

/// The label of a search filter, by its URL name.
pub fn filter_name(i18n: I18n, field: &str) -> &'static str {
    crate::messages::filter_name(i18n.get_locale(), field)
}

/// Reads the file chosen in a file input as text, in the browser; `unreadable` is the error of
/// a file that is not text.
#[cfg(feature = "hydrate")]
pub async fn read_text_file(
    input: &web_sys::HtmlInputElement,
    max_bytes: usize,
    unreadable: AppError,
) -> Result<Option<String>, AppError> {
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(None);
    };
    if file.size() > max_bytes as f64 {
        return Err(AppError::FileTooLarge { max_bytes: max_bytes as u64 });
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.map_err(|_| unreadable.clone())?;
    text.as_string().map(Some).ok_or(unreadable)
}

/// Previous / "page N of M" / next links for a list whose pages are addressed by `link(page)`.
#[component]
pub fn PrevNext(current: u32, pages: u32, link: Callback<u32, String>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="pagination" aria-label=move || t_string!(i18n, users.pagination)>
            {(current > 1).then(|| view! {
                <A href=link.run(current - 1) attr:class="button button-quiet" attr:rel="prev">{t!(i18n, users.previous_page)}</A>
            })}
            <span class="page-of" aria-current="page">
                {move || t_string!(i18n, users.page_of, page = count(i18n, current.into()), pages = count(i18n, pages.into())).to_string()}
            </span>
            {(current < pages).then(|| view! {
                <A href=link.run(current + 1) attr:class="button button-quiet" attr:rel="next">{t!(i18n, users.next_page)}</A>
            })}
        </nav>
    }
}

pub fn role_name(i18n: I18n, role: Role) -> &'static str {
    match role {
        Role::UserAdministrator => t_string!(i18n, roles.user_administrator),
        Role::HelpDesk => t_string!(i18n, roles.help_desk),
        Role::EnterpriseAdministrator => t_string!(i18n, roles.enterprise_administrator),
        Role::EnterpriseUserManager => t_string!(i18n, roles.enterprise_user_manager),
    }
}

/// Product names are not translated.
pub fn version_name(version: ServerVersion) -> &'static str {
    match version {
        ServerVersion::Lcs2005Sp1 => "Live Communications Server 2005 SP1",
        ServerVersion::Ocs2007 => "Office Communications Server 2007",
        ServerVersion::Ocs2007R2 => "Office Communications Server 2007 R2",
    }
}

pub fn version_short_name(version: ServerVersion) -> &'static str {
    match version {
        ServerVersion::Lcs2005Sp1 => "LCS 2005 SP1",
        ServerVersion::Ocs2007 => "OCS 2007",
        ServerVersion::Ocs2007R2 => "OCS 2007 R2",
    }
}

pub fn pool_kind_name(i18n: I18n, kind: PoolKind) -> &'static str {
    match kind {
        PoolKind::Enterprise => t_string!(i18n, pool_kind.enterprise),
        PoolKind::Standard => t_string!(i18n, pool_kind.standard),
    }
}

pub fn pool_state_name(i18n: I18n, state: PoolState) -> &'static str {
    match state {
        PoolState::Active => t_string!(i18n, pool_state.active),
        PoolState::Deactivated => t_string!(i18n, pool_state.deactivated),
        PoolState::Removed => t_string!(i18n, pool_state.removed),
    }
}

pub fn availability_name(i18n: I18n, available: bool) -> &'static str {
    if available { t_string!(i18n, availability.running) } else { t_string!(i18n, availability.unavailable) }
}

pub fn status_name(i18n: I18n, status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => t_string!(i18n, user_status.active),
        UserStatus::Unassigned => t_string!(i18n, user_status.unassigned),
        UserStatus::AccountDisabled => t_string!(i18n, user_status.account_disabled),
    }
}

pub fn archiving_name(i18n: I18n, policy: ArchivingPolicy) -> &'static str {
    match policy {
        ArchivingPolicy::Global => t_string!(i18n, archiving.global),
        ArchivingPolicy::Internal => t_string!(i18n, archiving.internal),
        ArchivingPolicy::Federated => t_string!(i18n, archiving.federated),
        ArchivingPolicy::InternalAndFederated => t_string!(i18n, archiving.internal_and_federated),
        ArchivingPolicy::Disabled => t_string!(i18n, archiving.disabled),
    }
}

pub fn telephony_name(i18n: I18n, telephony: Telephony) -> &'static str {
    match telephony {
        Telephony::Disabled => t_string!(i18n, telephony.disabled),
        Telephony::EnterpriseVoice => t_string!(i18n, telephony.enterprise_voice),
        Telephony::PbxIntegration => t_string!(i18n, telephony.pbx_integration),
        Telephony::RemoteCallControl => t_string!(i18n, telephony.remote_call_control),
        Telephony::RemoteCallControlOnly => t_string!(i18n, telephony.remote_call_control_only),
    }
}

pub fn yes_no(i18n: I18n, value: bool) -> &'static str {
    if value { t_string!(i18n, yes) } else { t_string!(i18n, no) }
}

pub fn category_name(i18n: I18n, category: PoolCategory) -> &'static str {
    match category {
        PoolCategory::EnterprisePools => t_string!(i18n, tree.enterprise_pools),
        PoolCategory::StandardServers => t_string!(i18n, tree.standard_servers),
        PoolCategory::EarlierVersions => t_string!(i18n, tree.earlier_versions),
    }
}

/// The name of a tree node as headings show it.
pub fn node_name(i18n: I18n, node: NodeId, tree: Option<&PoolTree>) -> String {
    match node {
        NodeId::Forest => {
            let name = tree.map(|t| t.forest_name.clone()).unwrap_or_default();
            t_string!(i18n, tree.forest, name).to_string()
        }
        NodeId::Category(c) => category_name(i18n, c).to_string(),
        NodeId::Unassigned => t_string!(i18n, tree.unassigned).to_string(),
        NodeId::Pool(id) => tree
            .and_then(|t| t.pools.iter().find(|p| p.pool.id == id))
            .map(|p| p.pool.fqdn.clone())
            .unwrap_or_else(|| format!("#{id}")),
    }
}

/// A translated error in an alert box; an ended session offers the sign-in page.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let signed_out = error == AppError::Unauthenticated;
    let code = error.code();
    view! {
        <div class="alert alert-error" role="alert" data-error-code=code>
            <p>{move || error_message(i18n, &error)}</p>
            {signed_out.then(|| view! { <p><A href="/login">{t!(i18n, login.submit)}</A></p> })}
        </div>
    }
}

/// The confirmation of a dangerous action, under what it is about: the question, Cancel, and
/// the button that does it (disabled while `pending`).
#[component]
pub fn ConfirmPanel(
    /// The id of the heading the panel belongs to.
    labelled_by: &'static str,
    /// A page-unique id for the question.
    question_id: &'static str,
    #[prop(into)] question: Signal<String>,
    #[prop(into)] cancel: Signal<String>,
    #[prop(into)] confirm: Signal<String>,
    #[prop(optional, into)] pending: Signal<bool>,
    #[prop(optional)] confirm_testid: Option<&'static str>,
    #[prop(optional)] question_testid: Option<&'static str>,
    on_cancel: Callback<()>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="confirm-panel" role="alertdialog" aria-labelledby=labelled_by aria-describedby=question_id>
            <p id=question_id data-testid=question_testid>{question}</p>
            <div class="wizard-actions">
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>{cancel}</button>
                <button type="button" class="button button-danger" data-testid=confirm_testid
                    disabled=move || pending.get()
                    on:click=move |_| on_confirm.run(())>
                    {confirm}
                </button>
            </div>
        </div>
    }
}

/// The error of a page whose subject could not be read: a user, pool, node, organization or job
/// that does not exist answers 404 with a way back; other errors keep their alert.
#[component]
pub fn PageError(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    if !error.is_not_found() {
        return view! { <ErrorPanel error /> }.into_any();
    }
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let code = error.code();
    view! {
        <section class="not-found" data-testid="not-found" data-error-code=code>
            <h1>{t!(i18n, not_found.title)}</h1>
            <p>{move || error_message(i18n, &error)}</p>
            <p class="list-actions">
                <A href="/browse/forest" attr:class="button">{t!(i18n, not_found.home)}</A>
                <A href="/search" attr:class="button button-quiet">{t!(i18n, search.open)}</A>
            </p>
        </section>
    }
    .into_any()
}

#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="loading" role="status">{t!(i18n, loading)}</p> }
}

/// "Showing 51–100 of 1,500", in the current locale.
#[component]
pub fn ListSummary(
    first: u64,
    last: u64,
    total: u64,
    testid: &'static str,
    /// The total is a cap: more items match.
    #[prop(optional)]
    more: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="list-summary" role="status" data-testid=testid>
            {move || {
                if more {
                    return t_string!(
                        i18n,
                        users.showing_more,
                        first = count(i18n, first),
                        last = count(i18n, last),
                        total = count(i18n, total)
                    )
                    .to_string();
                }
                t_string!(
                    i18n,
                    users.showing,
                    first = count(i18n, first),
                    last = count(i18n, last),
                    total = count(i18n, total)
                )
                .to_string()
            }}
        </p>
    }
}

/// The selected users of a list, shared by its header and row checkboxes.
pub type Selection = RwSignal<std::collections::BTreeSet<crate::domain::user::UserId>>;

/// The header checkbox that ticks (or unticks) every user of the page shown.
#[component]
pub fn SelectPageBox(selected: Selection, ids: Vec<crate::domain::user::UserId>) -> impl IntoView {
    let i18n = use_i18n();
    let ids = StoredValue::new(ids);
    view! {
        <input
            type="checkbox"
            aria-label=move || t_string!(i18n, selection.select_page)
            prop:checked=move || {
                ids.with_value(|ids| selected.with(|s| !ids.is_empty() && ids.iter().all(|id| s.contains(id))))
            }
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                ids.with_value(|ids| {
                    selected.update(|s| {
                        for id in ids {
                            if on { s.insert(*id); } else { s.remove(id); }
                        }
                    })
                });
            }
        />
    }
}

/// The checkbox of one user's row.
#[component]
pub fn SelectRowBox(selected: Selection, id: crate::domain::user::UserId, name: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <input
            type="checkbox"
            aria-label=move || t_string!(i18n, selection.select_user, name = name.clone()).to_string()
            prop:checked=move || selected.with(|s| s.contains(&id))
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                selected.update(|s| {
                    if on { s.insert(id); } else { s.remove(&id); }
                });
            }
        />
    }
}

/// Step-up: the operator's password again before a force move or a delete; the error of a
/// wrong one is shown beside the field, which keeps the focus order of the dialog.
#[component]
pub fn PasswordConfirm(
    password: RwSignal<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Why the password is asked for, when it is not that the operation cannot be undone.
    #[prop(optional)]
    hint: Option<fn(I18n) -> &'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field step-up">
            <label for="step-up-password">{t!(i18n, security.step_up_label)}</label>
            <input
                id="step-up-password"
                type="password"
                autocomplete="current-password"
                maxlength=crate::domain::security::MAX_PASSWORD_CHARS
                aria-describedby="step-up-hint"
                aria-invalid=move || error.try_get().flatten().is_some().to_string()
                prop:value=move || password.try_get().unwrap_or_default()
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            <p id="step-up-hint" class="field-hint">
                {move || hint.map(|hint| hint(i18n)).unwrap_or_else(|| t_string!(i18n, security.step_up_hint))}
            </p>
            // The error comes from the wizard's action, which may be disposed first when the
            // wizard navigates away (a large operation goes to its job's page): read it fallibly.
            {move || error.try_get().flatten().map(|e| view! {
                <p class="field-error" role="alert" data-testid="step-up-error">{error_message(i18n, &e)}</p>
            })}
        </div>
    }
}

/// The step-up error of an action's last answer, if that is what it was.
pub fn step_up_error<T>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Signal<Option<AppError>> {
    Signal::derive(move || match value() {
        Some(Err(e)) if e.asks_for_password_again() => Some(e),
        _ => None,
    })
}

/// The document's title. On the server it is the text as it is while the page is built: the
/// head is written after the page, when its reactive scope may be gone (a closure reading the
/// language then panicked under load). In the browser it follows the language.
pub fn page_title(text: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    title_of(Box::new(text))
}

fn title_of(text: Box<dyn Fn() -> String + Send + Sync>) -> AnyView {
    #[cfg(feature = "ssr")]
    let text = {
        let now = text();
        move || now.clone()
    };
    view! { <leptos_meta::Title text=text /> }.into_any()
}

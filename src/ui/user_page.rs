//! The user property page: status, communications, settings, server data, directory.

use super::common::lang;
use super::common::{
    Loading, PageError, archiving_name, count, page_title, pool_state_name, status_name, telephony_name,
    version_name, yes_no,
};
use super::target::user_href;
use crate::api::get_user_detail;
use crate::domain::AppError;
use crate::domain::format::format_instant;
use crate::domain::operator::{Operator, Permission};
use crate::domain::user::{UserDetail, UserId, UserStatus};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.read().get("id").and_then(|s| s.parse::<i64>().ok()).map(UserId).ok_or(AppError::UserNotFound)
    });
    let detail = Resource::new(move || id.get(), |id| async move { get_user_detail(id?).await });
    let timeline = super::audit::timeline_resource(id);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(user) => view! { <UserView user timeline /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserView(user: UserDetail, timeline: super::audit::TimelineResource) -> impl IntoView {
    let i18n = use_i18n();
    let name = user.directory.display_name.clone();
    let title_name = name.clone();
    let status = user.status;
    let pool_state = user.pool.state;
    let s = user.settings.clone();
    let d = user.data;
    let next_meeting = user.next_meeting_at;
    let dir = user.directory.clone();
    let enabled_text = move |on: bool| {
        if on { t_string!(i18n, user_page.enabled) } else { t_string!(i18n, user_page.disabled) }
    };
    let (federation, remote, public_im) = (s.federation, s.remote_access, s.public_im);
    let (archiving, telephony) = (s.archiving, s.telephony);
    let meeting_policy = s.meeting_policy.clone();
    let (ep, converted) = (user.enhanced_presence, user.converted_to_enhanced_presence);
    let account_enabled = dir.account_enabled;
    let optional = move |v: Option<String>| v.unwrap_or_else(|| t_string!(i18n, not_set).to_string());
    let may_manage = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let id = user.id;
    // Users of a deactivated or removed pool are listed under "Unassigned users".
    let (list_href, list_name) = match status {
        UserStatus::Unassigned => ("/browse/unassigned".to_string(), None),
        _ => (format!("/browse/pool-{}", user.pool.id.0), Some(user.pool.fqdn.clone())),
    };
    let crumb_name = name.clone();
    view! {
        {page_title(move || format!("{} – {}", title_name, t_string!(i18n, app_name)))}
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, user_page.breadcrumb)>
            <ol>
                <li><A href="/browse/forest">{t!(i18n, user_page.crumb_root)}</A></li>
                <li>
                    <A href=list_href>
                        {move || list_name.clone().unwrap_or_else(|| t_string!(i18n, tree.unassigned).to_string())}
                    </A>
                </li>
                <li aria-current="page">{crumb_name}</li>
            </ol>
        </nav>
        <div class="page-header">
            <h1>{name}</h1>
            <span class="mono subtitle">{user.sip_uri.to_string()}</span>
        </div>
        {may_manage.then(|| view! {
            <div class="list-actions list-operations" data-testid="user-actions">
                <A href=user_href("move", id) attr:class="button">{t!(i18n, user_page.move_user)}</A>
                <A href=user_href("configure", id) attr:class="button">{t!(i18n, user_page.configure_user)}</A>
                <A href=user_href("delete", id) attr:class="button">{t!(i18n, user_page.delete_user)}</A>
                // A download, not a page: the router must leave it alone.
                <a href=format!("/exports/user-data.xml?users={}", id.0) class="button" rel="external" download>
                    {t!(i18n, user_page.export_user)}
                </a>
            </div>
        })}
        {match status {
            UserStatus::Unassigned => Some(view! {
                <p class="alert alert-warn" data-testid="cannot-sign-in">
                    {move || {
                        t_string!(i18n, user_page.cannot_sign_in, state = pool_state_name(i18n, pool_state).to_lowercase())
                            .to_string()
                    }}
                </p>
            }.into_any()),
            UserStatus::AccountDisabled => Some(view! {
                <p class="alert alert-warn" data-testid="cannot-sign-in">{t!(i18n, user_page.account_disabled_note)}</p>
            }.into_any()),
            UserStatus::Active => None,
        }}
        <div class="panels">
            <section class="panel" aria-labelledby="user-communications">
                <h2 id="user-communications">{t!(i18n, user_page.communications)}</h2>
                <dl class="properties">
                    <dt>{t!(i18n, user_page.sip_uri)}</dt>
                    <dd class="mono">{user.sip_uri.to_string()}</dd>
                    <dt>{t!(i18n, user_page.home_pool)}</dt>
                    <dd data-testid="user-pool"><A href=format!("/pools/{}", user.pool.id)>{user.pool.fqdn.clone()}</A></dd>
                    <dt>{t!(i18n, user_page.version)}</dt>
                    <dd>{version_name(user.pool.version)}</dd>
                    <dt>{t!(i18n, user_page.status)}</dt>
                    <dd data-testid="user-status">{move || status_name(i18n, status)}</dd>
                    <dt>{t!(i18n, user_page.enhanced_presence)}</dt>
                    <dd>{move || enabled_text(ep)}</dd>
                    <dt>{t!(i18n, user_page.converted)}</dt>
                    <dd>{move || yes_no(i18n, converted)}</dd>
                </dl>
            </section>
            <section class="panel" aria-labelledby="user-settings">
                <h2 id="user-settings">{t!(i18n, user_page.settings)}</h2>
                <dl class="properties">
                    <dt>{t!(i18n, user_page.federation)}</dt>
                    <dd>{move || enabled_text(federation)}</dd>
                    <dt>{t!(i18n, user_page.remote_access)}</dt>
                    <dd>{move || enabled_text(remote)}</dd>
                    <dt>{t!(i18n, user_page.public_im)}</dt>
                    <dd>{move || enabled_text(public_im)}</dd>
                    <dt>{t!(i18n, user_page.archiving)}</dt>
                    <dd>{move || archiving_name(i18n, archiving)}</dd>
                    <dt>{t!(i18n, user_page.meeting_policy)}</dt>
                    <dd>
                        {move || meeting_policy.clone().unwrap_or_else(|| t_string!(i18n, user_page.global_policy).to_string())}
                    </dd>
                    <dt>{t!(i18n, user_page.telephony)}</dt>
                    <dd>{move || telephony_name(i18n, telephony)}</dd>
                </dl>
            </section>
            <section class="panel" aria-labelledby="user-server-data">
                <h2 id="user-server-data">{t!(i18n, user_page.server_data)}</h2>
                <p class="muted">{t!(i18n, user_page.server_data_intro)}</p>
                <dl class="properties numbers" data-testid="server-data">
                    <dt>{t!(i18n, user_page.contacts)}</dt>
                    <dd data-testid="data-contacts">{move || count(i18n, d.contacts)}</dd>
                    <dt>{t!(i18n, user_page.contact_groups)}</dt>
                    <dd>{move || count(i18n, d.contact_groups)}</dd>
                    <dt>{t!(i18n, user_page.allowed)}</dt>
                    <dd>{move || count(i18n, d.allowed)}</dd>
                    <dt>{t!(i18n, user_page.blocked)}</dt>
                    <dd>{move || count(i18n, d.blocked)}</dd>
                    <dt>{t!(i18n, user_page.meetings)}</dt>
                    <dd>{move || count(i18n, d.meetings)}</dd>
                    <dt>{t!(i18n, user_page.presence_items)}</dt>
                    <dd>{move || count(i18n, d.presence_items)}</dd>
                    <dt>{t!(i18n, user_page.next_meeting)}</dt>
                    <dd data-testid="next-meeting">
                        {move || match next_meeting {
                            Some(at) => format_instant(lang(i18n), at),
                            None => t_string!(i18n, user_page.no_meeting).to_string(),
                        }}
                    </dd>
                </dl>
            </section>
            <section class="panel" aria-labelledby="user-directory">
                <h2 id="user-directory">{t!(i18n, user_page.directory)}</h2>
                <dl class="properties">
                    <dt>{t!(i18n, user_page.display_name)}</dt>
                    <dd>{dir.display_name.clone()}</dd>
                    <dt>{t!(i18n, user_page.given_name)}</dt>
                    <dd>{dir.given_name.clone()}</dd>
                    <dt>{t!(i18n, user_page.surname)}</dt>
                    <dd>{dir.surname.clone()}</dd>
                    <dt>{t!(i18n, user_page.sam_account_name)}</dt>
                    <dd class="mono">{dir.sam_account_name.clone()}</dd>
                    <dt>{t!(i18n, user_page.user_principal_name)}</dt>
                    <dd class="mono">{dir.user_principal_name.clone()}</dd>
                    <dt>{t!(i18n, user_page.email)}</dt>
                    <dd class="mono">{let e = dir.email.clone(); move || optional(e.clone())}</dd>
                    <dt>{t!(i18n, user_page.department)}</dt>
                    <dd>{let dep = dir.department.clone(); move || optional(dep.clone())}</dd>
                    <dt>{t!(i18n, user_page.container)}</dt>
                    <dd class="mono dn">{distinguished_name(&dir.container)}</dd>
                    <dt>{t!(i18n, user_page.account)}</dt>
                    <dd>
                        {move || if account_enabled {
                            t_string!(i18n, user_page.account_enabled)
                        } else {
                            t_string!(i18n, user_page.account_disabled)
                        }}
                    </dd>
                    <dt>{t!(i18n, user_page.object_guid)}</dt>
                    <dd class="mono">{dir.object_guid.clone()}</dd>
                </dl>
            </section>
        </div>
        <super::audit::UserTimeline entries=timeline />
    }
}

/// A distinguished name that wraps only after its commas (`OU=Sales,<wbr>DC=contoso`), never
/// in the middle of a name; copied, it is the name as it is.
fn distinguished_name(dn: &str) -> impl IntoView + use<> {
    let parts: Vec<String> = dn.split_inclusive(',').map(str::to_string).collect();
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            if i < last {
                view! { <span>{part}</span><wbr /> }.into_any()
            } else {
                view! { <span>{part}</span> }.into_any()
            }
        })
        .collect_view()
}

//! The console frame: header with operator and language, the pool tree, and the page.

use super::common::{ErrorPanel, I18n, Loading, category_name, count, error_message, page_title, role_name};
use crate::api::{SetTheme, SignOut, get_current_operator, get_deployment_kind, get_pool_tree, get_theme};
use crate::domain::AppError;
use crate::domain::deployment::DeploymentKind;
use crate::domain::node::{NodeId, PoolTree};
use crate::domain::operator::{Operator, Theme};
use crate::domain::pool::{PoolCategory, PoolState};
use crate::i18n::*;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};

/// Users ticked in the user tables; kept while the operator moves between nodes and pages.
#[derive(Clone, Copy)]
pub struct SelectedUsers(pub RwSignal<std::collections::BTreeSet<crate::domain::user::UserId>>);

/// Directory users named by a checked list for enabling (the Enable wizard starts with them).
#[derive(Clone, Copy)]
pub struct ListedForEnable(pub RwSignal<std::collections::BTreeSet<crate::domain::user::UserId>>);

/// The deployment tree, loaded once per console and shared with the pages (for node names).
#[derive(Clone, Copy)]
pub struct TreeResource(pub Resource<Result<PoolTree, AppError>>);

#[component]
pub fn Console() -> impl IntoView {
    let operator = Resource::new(|| (), |_| get_current_operator());
    let deployment = Resource::new(|| (), |_| get_deployment_kind());
    let theme = Resource::new(|| (), |_| get_theme());
    let tree = Resource::new(|| (), |_| get_pool_tree());
    provide_context(TreeResource(tree));
    provide_context(SelectedUsers(RwSignal::new(Default::default())));
    provide_context(ListedForEnable(RwSignal::new(Default::default())));
    provide_context(super::orgs::SelectedMembers(RwSignal::new(Default::default())));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let demo = matches!(deployment.await, Ok(Some(DeploymentKind::Demo)));
                // A theme that cannot be read is the system's: the console works either way.
                let theme = theme.await.unwrap_or_default();
                match operator.await {
                    Ok(operator) => EitherOf3::A(view! { <Frame operator tree demo theme /> }),
                    Err(AppError::Unauthenticated) => EitherOf3::B(view! { <Redirect path="/login" /> }),
                    Err(error) => EitherOf3::C(view! { <main id="main" class="page"><ErrorPanel error /></main> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(
    operator: Operator,
    tree: Resource<Result<PoolTree, AppError>>,
    demo: bool,
    theme: Theme,
) -> impl IntoView {
    let i18n = use_i18n();
    let theme = RwSignal::new(theme);
    let administers = operator.may(crate::domain::operator::Permission::ManageOperators);
    let manages_pools = operator.may(crate::domain::operator::Permission::ManagePools);
    provide_context(operator.clone());
    // The theme is set on the console's root, so the server sends the page in it already.
    view! {
        <div class="theme-root" data-theme=move || theme.get().as_str()>
        {page_title(move || t_string!(i18n, app_name).to_string())}
        <Header operator demo theme />
        <div class="console">
            <nav class="sidebar" aria-label=move || t_string!(i18n, tree.label)>
                <ul class="actions">
                    <li><A href="/search" attr:class="action-link">{t!(i18n, search.open)}</A></li>
                    <li><A href="/enable" attr:class="action-link">{t!(i18n, enable.open_wizard)}</A></li>
                    <li><A href="/import" attr:class="action-link">{t!(i18n, import.open_wizard)}</A></li>
                    <li><A href="/lists" attr:class="action-link">{t!(i18n, lists.open)}</A></li>
                    <li><A href="/jobs" attr:class="action-link">{t!(i18n, jobs.open_list)}</A></li>
                    <li><A href="/requests" attr:class="action-link">{t!(i18n, requests.open)}</A></li>
                    <li><A href="/orgs" attr:class="action-link">{t!(i18n, orgs.open)}</A></li>
                    <li><A href="/audit" attr:class="action-link">{t!(i18n, audit.open)}</A></li>
                    <li><A href="/scripting" attr:class="action-link">{t!(i18n, api.open)}</A></li>
                    {manages_pools.then(|| view! {
                        <li><A href="/topology" attr:class="action-link">{t!(i18n, topology.open)}</A></li>
                    })}
                    {administers.then(|| view! {
                        <li><A href="/admin" attr:class="action-link">{t!(i18n, admin.open)}</A></li>
                    })}
                </ul>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match tree.await {
                            Ok(tree) => view! { <Tree tree /> }.into_any(),
                            // Signed in with a one-time password: their own password comes
                            // first. (Here, in the tree's own suspense: awaiting the tree around
                            // the whole console would rebuild every page whenever it reloads.)
                            Err(AppError::PasswordChangeRequired) => view! { <Redirect path="/password" /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
            <main id="main" class="content" tabindex="-1">
                <Outlet />
            </main>
        </div>
        </div>
    }
}

#[component]
fn Header(operator: Operator, demo: bool, theme: RwSignal<Theme>) -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    let roles = StoredValue::new(operator.roles.clone());
    let menu_open = RwSignal::new(false);
    let roles_text = move || {
        roles.with_value(|roles| roles.iter().map(|r| role_name(i18n, *r)).collect::<Vec<_>>().join(", "))
    };
    view! {
        <header class="topbar">
            <div class="brand">
                <A href="/browse/forest" attr:class="brand-name">{t!(i18n, app_name)}</A>
                <span class="brand-tagline">{t!(i18n, app_tagline)}</span>
                // A demo database says so on every page, so that nobody takes it for the real one.
                {demo.then(|| view! {
                    <span class="demo-badge" data-testid="demo-badge" title=move || t_string!(i18n, header.demo_hint)>
                        {t!(i18n, header.demo)}
                    </span>
                })}
            </div>
            <div class="topbar-tools">
                <LanguageSwitcher />
                <ThemeSwitcher theme />
                // Who is signed in, and in a menu their roles and the way out.
                <details
                    class="operator-menu"
                    data-testid="operator"
                    prop:open=move || menu_open.get()
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            menu_open.set(false);
                        }
                    }
                >
                    <summary on:click=move |ev| {
                        ev.prevent_default();
                        menu_open.update(|open| *open = !*open);
                    }>
                        <span class="visually-hidden">{t!(i18n, header.signed_in_as)}" "</span>
                        <span class="operator-name">{operator.display_name.clone()}</span>
                        <span class="operator-roles">{move || roles_text()}</span>
                    </summary>
                    <div class="menu-panel">
                        <p>{t!(i18n, header.signed_in_as)}" "<strong>{operator.username.clone()}</strong></p>
                        <p>{t!(i18n, header.roles)}": "{move || roles_text()}</p>
                        <p><A href="/password">{t!(i18n, header.change_password)}</A></p>
                        <ActionForm action=sign_out attr:class="sign-out">
                            <button type="submit" class="button">{t!(i18n, header.sign_out)}</button>
                        </ActionForm>
                    </div>
                </details>
            </div>
        </header>
    }
}

/// The operator's theme: applied at once, and kept with them for their next visit.
#[component]
fn ThemeSwitcher(theme: RwSignal<Theme>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SetTheme>::new();
    let on_change = move |ev| {
        if let Ok(chosen) = event_target_value(&ev).parse::<Theme>() {
            theme.set(chosen);
            save.dispatch(SetTheme { theme: chosen });
        }
    };
    let name = move |choice: Theme| match choice {
        Theme::System => t_string!(i18n, header.theme_system),
        Theme::Light => t_string!(i18n, header.theme_light),
        Theme::Dark => t_string!(i18n, header.theme_dark),
    };
    let option = move |choice: Theme| {
        view! {
            <option value=choice.as_str() selected=move || theme.get() == choice>
                {move || name(choice)}
            </option>
        }
    };
    let not_saved = move || save.value().get().and_then(Result::err);
    view! {
        <div class="language theme">
            <label for="theme-select">{t!(i18n, header.theme)}</label>
            <select id="theme-select" data-testid="theme-select" on:change=on_change prop:value=move || theme.get().as_str()>
                {option(Theme::System)}
                {option(Theme::Light)}
                {option(Theme::Dark)}
            </select>
            {move || not_saved().map(|error| view! {
                <p class="theme-error" role="alert">
                    {t!(i18n, header.theme_not_saved)}" "{error_message(i18n, &error)}
                </p>
            })}
        </div>
    }
}

#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev| {
        let locale = match event_target_value(&ev).as_str() {
            "fr" => Locale::fr,
            "de" => Locale::de,
            _ => Locale::en,
        };
        i18n.set_locale(locale);
    };
    let option = move |locale: Locale, label: &'static str| {
        view! {
            <option value=locale.as_str() lang=locale.as_str() selected=move || i18n.get_locale() == locale>
                {label}
            </option>
        }
    };
    view! {
        <div class="language">
            <label for="language-select">{t!(i18n, header.language)}</label>
            <select id="language-select" on:change=on_change prop:value=move || i18n.get_locale().as_str()>
                {option(Locale::en, "English")}
                {option(Locale::fr, "Français")}
                {option(Locale::de, "Deutsch")}
            </select>
        </div>
    }
}

#[component]
fn Tree(tree: PoolTree) -> impl IntoView {
    let i18n = use_i18n();
    let forest_name = tree.forest_name.clone();
    let total = tree.total_users;
    let unassigned = tree.unassigned_users;
    let groups =
        [PoolCategory::EnterprisePools, PoolCategory::StandardServers, PoolCategory::EarlierVersions].map(
            |category| {
                let users = tree.users_in(category);
                let pools: Vec<_> = tree.pools_in(category).cloned().collect();
                view! {
                    <li>
                        <NodeLink
                            node=NodeId::Category(category)
                            label=Signal::derive(move || category_name(i18n, category).to_string())
                            users
                        />
                        {if pools.is_empty() {
                            view! { <p class="tree-empty">{t!(i18n, tree.empty_group)}</p> }.into_any()
                        } else {
                            view! {
                                <ul>
                                    {pools
                                        .into_iter()
                                        .map(|p| {
                                            let fqdn = p.pool.fqdn.clone();
                                            let inactive = p.pool.state != PoolState::Active;
                                            let unavailable = !p.pool.available;
                                            view! {
                                                <li>
                                                    <NodeLink
                                                        node=NodeId::Pool(p.pool.id)
                                                        label=Signal::derive(move || fqdn.clone())
                                                        users=p.user_count
                                                        inactive
                                                        unavailable
                                                    />
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                    </li>
                }
            },
        );
    view! {
        <ul class="tree">
            <li>
                <NodeLink
                    node=NodeId::Forest
                    label=Signal::derive(move || t_string!(i18n, tree.forest, name = forest_name.clone()).to_string())
                    users=total
                />
                <ul>
                    {groups.into_iter().collect_view()}
                    <li>
                        <NodeLink
                            node=NodeId::Unassigned
                            label=Signal::derive(move || t_string!(i18n, tree.unassigned).to_string())
                            users=unassigned
                        />
                    </li>
                </ul>
            </li>
        </ul>
    }
}

#[component]
fn NodeLink(
    node: NodeId,
    label: Signal<String>,
    users: u64,
    #[prop(optional)] inactive: bool,
    #[prop(optional)] unavailable: bool,
) -> impl IntoView {
    let i18n: I18n = use_i18n();
    view! {
        <A href=format!("/browse/{node}") attr:class="tree-node" attr:data-node=node.to_string()>
            <span class="tree-label" title=label>{label}</span>
            {inactive.then(|| view! { <span class="badge badge-muted">{t!(i18n, tree.deactivated)}</span> })}
            {unavailable.then(|| view! { <span class="badge badge-warn">{t!(i18n, tree.unavailable)}</span> })}
            <span class="tree-count">
                <span class="visually-hidden">{move || t_string!(i18n, tree.users_count, count = count(i18n, users)).to_string()}</span>
                <span aria-hidden="true">{move || count(i18n, users)}</span>
            </span>
        </A>
    }
}

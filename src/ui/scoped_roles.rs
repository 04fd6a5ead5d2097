//! The administration page's scoped roles: make a role from a template limited to containers,
//! organizations and pools, give it to operators or take it back, delete it.

use super::common::{ErrorPanel, I18n, Loading, role_name};
use crate::api::admin::{CreateScopedRole, DeleteScopedRole, SetScopedRoleHeld, get_scoped_roles};
use crate::domain::operator::{OperatorId, Role};
use crate::domain::pool::PoolId;
use crate::domain::scope::{NewScopedRole, ScopedRoleSummary, ScopedRolesOverview, TEMPLATES};
use crate::i18n::*;
use leptos::prelude::*;

fn term_kind(i18n: I18n, kind: &str) -> &'static str {
    match kind {
        "container" => t_string!(i18n, scoped.kind_container),
        "organization" => t_string!(i18n, scoped.kind_organization),
        _ => t_string!(i18n, scoped.kind_pool),
    }
}

#[component]
pub fn ScopedRolesSection() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateScopedRole>::new();
    let delete = ServerAction::<DeleteScopedRole>::new();
    let hold = ServerAction::<SetScopedRoleHeld>::new();
    let overview = LocalResource::new(move || {
        (create.version().get(), delete.version().get(), hold.version().get());
        get_scoped_roles()
    });
    let last_error = Signal::derive(move || {
        [
            create.value().get().and_then(Result::err),
            delete.value().get().and_then(Result::err),
            hold.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    view! {
        <section class="admin-section" aria-labelledby="admin-scoped-roles" data-testid="scoped-roles">
            <h2 id="admin-scoped-roles">{t!(i18n, scoped.title)}</h2>
            <p class="muted">{t!(i18n, scoped.intro)}</p>
            {move || last_error.get().map(|error| view! { <ErrorPanel error /> })}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(o) => view! { <ScopedRolesTable overview=o.clone() delete hold /> <NewScopedRoleForm overview=o create /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ScopedRolesTable(
    overview: ScopedRolesOverview,
    delete: ServerAction<DeleteScopedRole>,
    hold: ServerAction<SetScopedRoleHeld>,
) -> impl IntoView {
    let i18n = use_i18n();
    if overview.roles.is_empty() {
        return view! { <p class="muted" data-testid="no-scoped-roles">{t!(i18n, scoped.none)}</p> }
            .into_any();
    }
    let operators = overview.operators.clone();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="scoped-roles-table">
                <thead><tr>
                    <th scope="col">{t!(i18n, scoped.col_name)}</th>
                    <th scope="col">{t!(i18n, scoped.col_template)}</th>
                    <th scope="col">{t!(i18n, scoped.col_scope)}</th>
                    <th scope="col">{t!(i18n, scoped.col_holders)}</th>
                    <th scope="col">{t!(i18n, admin.col_action)}</th>
                </tr></thead>
                <tbody>
                    {overview.roles.into_iter().map(|summary| view! { <ScopedRoleRow summary operators=operators.clone() delete hold /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ScopedRoleRow(
    summary: ScopedRoleSummary,
    operators: Vec<(OperatorId, String)>,
    delete: ServerAction<DeleteScopedRole>,
    hold: ServerAction<SetScopedRoleHeld>,
) -> impl IntoView {
    let i18n = use_i18n();
    let role = summary.role.id;
    let name = summary.role.name.clone();
    let template = summary.role.template;
    let select_id = format!("give-scoped-role-{}", role.0);
    let chosen = RwSignal::new(String::new());
    let holders = summary.holders.clone();
    let others: Vec<(OperatorId, String)> =
        operators.into_iter().filter(|(id, _)| !holders.iter().any(|(h, _)| h == id)).collect();
    view! {
        <tr data-scoped-role=name.clone()>
            <td>{name.clone()}</td>
            <td>{move || role_name(i18n, template)}</td>
            <td>
                <ul class="plain-list">
                    {summary.terms.into_iter().map(|(kind, named)| view! {
                        <li><span class="muted">{move || term_kind(i18n, &kind)}": "</span><span class="mono">{named}</span></li>
                    }).collect_view()}
                </ul>
            </td>
            <td>
                <ul class="plain-list">
                    {holders.into_iter().map(|(operator, username)| {
                        let label = username.clone();
                        view! {
                            <li data-holder=username.clone()>
                                <span class="mono">{username.clone()}</span>" "
                                <button type="button" class="button button-small button-quiet"
                                    disabled=move || hold.pending().get()
                                    on:click=move |_| { hold.dispatch(SetScopedRoleHeld { operator, role, held: false }); }>
                                    {t!(i18n, scoped.take_back)}
                                    <span class="visually-hidden">"("{label}")"</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <form class="inline-form" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Ok(id) = chosen.get_untracked().parse::<i64>() {
                        hold.dispatch(SetScopedRoleHeld { operator: OperatorId(id), role, held: true });
                    }
                }>
                    <label for=select_id.clone() class="visually-hidden">{t!(i18n, scoped.give_to)}" "{name.clone()}</label>
                    <select id=select_id on:change=move |ev| chosen.set(event_target_value(&ev)) prop:value=move || chosen.get()>
                        <option value="">{t!(i18n, scoped.choose_operator)}</option>
                        {others.into_iter().map(|(id, username)| view! { <option value=id.0.to_string()>{username}</option> }).collect_view()}
                    </select>
                    " "
                    <button type="submit" class="button button-small" disabled=move || hold.pending().get() || chosen.with(String::is_empty)>
                        {t!(i18n, scoped.give)}
                    </button>
                </form>
            </td>
            <td>
                <button type="button" class="button button-small button-danger"
                    disabled=move || delete.pending().get()
                    on:click=move |_| { delete.dispatch(DeleteScopedRole { role }); }>
                    {t!(i18n, admin.delete)}
                    <span class="visually-hidden">"("{name.clone()}")"</span>
                </button>
            </td>
        </tr>
    }
}

/// A new role: name, template, containers (one a line), organizations and pools.
#[component]
fn NewScopedRoleForm(overview: ScopedRolesOverview, create: ServerAction<CreateScopedRole>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let template = RwSignal::new(Role::UserAdministrator);
    let containers = RwSignal::new(String::new());
    let organizations = RwSignal::new(Vec::<i64>::new());
    let pools = RwSignal::new(Vec::<PoolId>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateScopedRole {
            role: NewScopedRole {
                name: name.get_untracked(),
                template: template.get_untracked(),
                containers: containers.get_untracked(),
                organizations: organizations.get_untracked(),
                pools: pools.get_untracked(),
            },
        });
    };
    view! {
        <h3 id="new-scoped-role">{t!(i18n, scoped.new_title)}</h3>
        <form class="form-stack new-scoped-role" on:submit=submit data-testid="new-scoped-role" aria-labelledby="new-scoped-role">
            <label for="scoped-role-name">{t!(i18n, scoped.col_name)}</label>
            <input id="scoped-role-name" type="text" required maxlength="64" autocomplete="off"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="scoped-role-template">{t!(i18n, scoped.col_template)}</label>
            <select id="scoped-role-template" on:change=move |ev| {
                if let Ok(role) = event_target_value(&ev).parse::<Role>() { template.set(role); }
            }>
                {TEMPLATES.into_iter().map(|role| view! {
                    <option value=role.as_str() selected=move || template.get() == role>{move || role_name(i18n, role)}</option>
                }).collect_view()}
            </select>
            <label for="scoped-role-containers">{t!(i18n, scoped.containers)}</label>
            <textarea id="scoped-role-containers" rows="3" spellcheck="false" class="mono" aria-describedby="scoped-role-containers-hint"
                prop:value=move || containers.get() on:input=move |ev| containers.set(event_target_value(&ev))></textarea>
            <p class="field-hint" id="scoped-role-containers-hint">{t!(i18n, scoped.containers_hint)}</p>
            <fieldset>
                <legend>{t!(i18n, scoped.organizations)}</legend>
                <div class="check-columns">
                    {overview.organizations.into_iter().map(|(id, org)| {
                        let input = format!("scoped-role-org-{id}");
                        view! {
                            <div class="check-row">
                                <input type="checkbox" id=input.clone()
                                    prop:checked=move || organizations.with(|o| o.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        organizations.update(|o| { o.retain(|x| *x != id); if on { o.push(id); } });
                                    } />
                                <label for=input>{org}</label>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, scoped.pools)}</legend>
                <div class="check-columns">
                    {overview.pools.into_iter().map(|(id, fqdn)| {
                        let input = format!("scoped-role-pool-{}", id.0);
                        view! {
                            <div class="check-row">
                                <input type="checkbox" id=input.clone()
                                    prop:checked=move || pools.with(|p| p.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        pools.update(|p| { p.retain(|x| *x != id); if on { p.push(id); } });
                                    } />
                                <label for=input class="mono">{fqdn}</label>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <p class="field-hint">{t!(i18n, scoped.new_hint)}</p>
            <button type="submit" class="button button-primary" disabled=move || create.pending().get()>
                {t!(i18n, scoped.create)}
            </button>
        </form>
    }
}

//! Enterprise organizations: the organization tree, an organization's members (roles,
//! household, Prevent User Move, attributes), alerts and move history; CSV import and move.
//! The move wizard is `org_move`.

use super::common::{ErrorPanel, I18n, ListSummary, Loading, PageError, PrevNext, count, lang, page_title};
use crate::api::orgs::{
    ApplyOrgCsv, OrgOverview, PreviewOrgCsv, SetPreventUserMove, SyncDirectory, get_org_overview,
    get_org_tree, list_org_members,
};
use crate::domain::AppError;
use crate::domain::format::format_instant;
use crate::domain::operator::{Operator, Permission};
use crate::domain::org::{
    AlertState, CsvKind, MembershipOutcome, MembershipProblem, MembershipReport, OrgId, OrgMember, OrgRole,
    OrgSummary,
};
use crate::domain::paging::Page;
use crate::domain::user::UserId;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeSet;

/// Organization members ticked on the organizations pages; kept while the operator pages.
#[derive(Clone, Copy)]
pub struct SelectedMembers(pub RwSignal<BTreeSet<UserId>>);

pub(crate) fn selected_members() -> RwSignal<BTreeSet<UserId>> {
    use_context::<SelectedMembers>().map(|s| s.0).unwrap_or_else(|| RwSignal::new(BTreeSet::new()))
}

pub fn role_name(i18n: I18n, role: OrgRole) -> &'static str {
    match role {
        OrgRole::EnterpriseAdministrator => t_string!(i18n, orgs.role_enterprise_administrator),
        OrgRole::OrganizationAdministrator => t_string!(i18n, orgs.role_organization_administrator),
        OrgRole::AlertManager => t_string!(i18n, orgs.role_alert_manager),
        OrgRole::AlertSender => t_string!(i18n, orgs.role_alert_sender),
        OrgRole::Viewer => t_string!(i18n, orgs.role_viewer),
    }
}

pub(crate) fn roles_text(i18n: I18n, roles: &[OrgRole]) -> String {
    if roles.is_empty() {
        return "–".into();
    }
    roles.iter().map(|r| role_name(i18n, *r)).collect::<Vec<_>>().join(", ")
}

fn alert_state_name(i18n: I18n, state: AlertState) -> &'static str {
    match state {
        AlertState::Draft => t_string!(i18n, orgs.alert_draft),
        AlertState::Scheduled => t_string!(i18n, orgs.alert_scheduled),
        AlertState::Sent => t_string!(i18n, orgs.alert_sent),
    }
}

fn problem_name(i18n: I18n, problem: MembershipProblem) -> &'static str {
    match problem {
        MembershipProblem::InvalidUsername => t_string!(i18n, orgs.problem_invalid_username),
        MembershipProblem::DuplicateInFile => t_string!(i18n, orgs.problem_duplicate),
        MembershipProblem::UnknownOrganization => t_string!(i18n, orgs.problem_unknown_organization),
        MembershipProblem::InvalidLockValue => t_string!(i18n, orgs.problem_invalid_lock),
        MembershipProblem::InvalidEmail => t_string!(i18n, orgs.problem_invalid_email),
        MembershipProblem::InvalidDisplayName => t_string!(i18n, orgs.problem_invalid_display_name),
        MembershipProblem::UnknownUser => t_string!(i18n, orgs.problem_unknown_user),
        MembershipProblem::Locked => t_string!(i18n, orgs.problem_locked),
        MembershipProblem::AlreadyExists => t_string!(i18n, orgs.problem_already_exists),
        MembershipProblem::OutOfScope => t_string!(i18n, orgs.problem_out_of_scope),
    }
}

fn outcome_name(i18n: I18n, outcome: MembershipOutcome) -> String {
    match outcome {
        MembershipOutcome::Created(_) => t_string!(i18n, orgs.outcome_created).to_string(),
        MembershipOutcome::Updated(_) => t_string!(i18n, orgs.outcome_updated).to_string(),
        MembershipOutcome::Moved(_) => t_string!(i18n, orgs.outcome_moved).to_string(),
        MembershipOutcome::Unchanged(_) => t_string!(i18n, orgs.outcome_unchanged).to_string(),
        MembershipOutcome::Rejected(p) => {
            t_string!(i18n, orgs.outcome_rejected, reason = problem_name(i18n, p)).to_string()
        }
    }
}

/// The organization list, the enterprise first and its sub-organizations below it.
#[component]
fn OrgList(orgs: Vec<OrgSummary>, current: OrgId) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="org-list" aria-label=move || t_string!(i18n, orgs.list_label)>
            <ul class="tree">
                {orgs.into_iter().map(|s| {
                    let here = s.org.id == current;
                    let class = if s.org.is_enterprise() { "org-enterprise" } else { "org-sub" };
                    let members = s.members;
                    view! {
                        <li class=class>
                            <A href=format!("/orgs/{}", s.org.id) attr:class="tree-node" attr:aria-current=here.then_some("page")>
                                <span class="tree-label">{s.org.name.clone()}</span>
                                <span class="tree-count">{move || count(i18n, members)}</span>
                            </A>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

#[component]
pub fn OrgsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let tree = Resource::new(|| (), |_| get_org_tree());
    let requested =
        Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).map(OrgId));
    let page =
        Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1));
    // Created here, keyed on the URL, not inside the view that waits for the tree: when the
    // server renders that view more than once, resources made inside it get other ids than the
    // browser's, and hydration fails.
    let members =
        Resource::new(move || (requested.get(), page.get()), |(org, page)| list_org_members(org, page));
    let overview = Resource::new(move || requested.get(), get_org_overview);
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, orgs.title), t_string!(i18n, app_name)))}
        <Transition fallback=Loading>
            {move || {
                let requested = requested.get();
                Suspend::new(async move {
                    let orgs = match tree.await {
                        Ok(orgs) => orgs,
                        Err(error) => return view! { <ErrorPanel error /> }.into_any(),
                    };
                    let enterprise = orgs.iter().find(|o| o.org.is_enterprise()).map(|o| o.org.id);
                    let Some(current) = requested.or(enterprise) else {
                        return view! { <PageError error=AppError::OrganizationNotFound /> }.into_any();
                    };
                    let Some(summary) = orgs.iter().find(|o| o.org.id == current).cloned() else {
                        return view! { <PageError error=AppError::OrganizationNotFound /> }.into_any();
                    };
                    view! {
                        <div class="page-header"><h1>{t!(i18n, orgs.title)}</h1></div>
                        <div class="org-layout">
                            <OrgList orgs current />
                            <div class="org-main">
                                <OrgDetail summary members overview />
                            </div>
                        </div>
                    }
                    .into_any()
                })
            }}
        </Transition>
    }
}

#[component]
fn OrgDetail(
    summary: OrgSummary,
    members: Resource<Result<Page<OrgMember>, AppError>>,
    overview: Resource<Result<OrgOverview, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let org = summary.org.id;
    let may_move =
        use_context::<Operator>().is_some_and(|o| o.may(Permission::MoveUsersBetweenOrganizations));
    let selected = selected_members();
    let lock = ServerAction::<SetPreventUserMove>::new();
    let sync = ServerAction::<SyncDirectory>::new();
    Effect::new(move |_| {
        if matches!(lock.value().get(), Some(Ok(_))) || matches!(sync.value().get(), Some(Ok(_))) {
            members.refetch();
            overview.refetch();
        }
    });
    let selected_count = move || selected.with(|s| s.len() as u64);
    let none_selected = move || (selected_count() == 0).then_some("true");
    let set_lock = move |locked: bool| {
        lock.dispatch(SetPreventUserMove { users: selected.get_untracked().into_iter().collect(), locked });
    };
    let enterprise = summary.org.is_enterprise();
    let kind = move || {
        if enterprise { t_string!(i18n, orgs.kind_enterprise) } else { t_string!(i18n, orgs.kind_sub) }
    };
    view! {
        <h2 class="org-name">{summary.org.name.clone()}</h2>
        <p class="muted">{kind}" · "{move || t_string!(i18n, orgs.members_count, count = count(i18n, summary.members)).to_string()}</p>
        <div class="list-actions" data-testid="org-selection">
            <strong>{move || t_string!(i18n, selection.count, count = count(i18n, selected_count())).to_string()}</strong>
            <button type="button" class="button button-quiet" disabled=move || selected_count() == 0
                on:click=move |_| selected.set(BTreeSet::new())>{t!(i18n, selection.clear)}</button>
            {may_move.then(|| view! {
                <A href=format!("/orgs/move?from={org}") attr:class="button" attr:aria-disabled=none_selected
                    attr:data-testid="org-move-selected">{t!(i18n, orgs.move_selected)}</A>
                <A href=format!("/orgs/move?from={org}&all=1") attr:class="button">{t!(i18n, orgs.move_all)}</A>
                <button type="button" class="button" disabled=move || selected_count() == 0 on:click=move |_| set_lock(true)>
                    {t!(i18n, orgs.lock)}
                </button>
                <button type="button" class="button" disabled=move || selected_count() == 0 on:click=move |_| set_lock(false)>
                    {t!(i18n, orgs.unlock)}
                </button>
                <A href="/orgs/csv" attr:class="button button-quiet">{t!(i18n, orgs.csv_open)}</A>
                <button type="button" class="button button-quiet" disabled=move || sync.pending().get()
                    on:click=move |_| { sync.dispatch(SyncDirectory {}); }>
                    {t!(i18n, orgs.sync)}
                </button>
            })}
        </div>
        {move || lock.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
        {move || match sync.value().get() {
            None => None,
            Some(Err(error)) => Some(view! { <ErrorPanel error /> }.into_any()),
            Some(Ok(report)) => Some(view! {
                <details class="sync-report" open>
                    <summary>{t!(i18n, orgs.sync_report)}</summary>
                    <Report report />
                </details>
            }.into_any()),
        }}
        <section aria-labelledby="org-members-title">
            <h3 id="org-members-title">{t!(i18n, orgs.members_title)}</h3>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match members.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(page) if page.items.is_empty() => view! { <p class="empty">{t!(i18n, orgs.no_members)}</p> }.into_any(),
                        Ok(page) => {
                            let (first, last) = page.shown_range();
                            let (current, pages) = (page.page, page.page_count());
                            view! {
                                <ListSummary first last total=page.total testid="org-members-summary" />
                                <MembersTable members=page.items selected />
                                <PrevNext current pages link=Callback::new(move |n: u32| format!("/orgs/{org}?page={n}")) />
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(o) => view! { <Alerts alerts=o.alerts /> <History history=o.history /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MembersTable(members: Vec<OrgMember>, selected: RwSignal<BTreeSet<UserId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ids: Vec<UserId> = members.iter().map(|m| m.id).collect();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="org-members">
                <caption class="visually-hidden">{t!(i18n, orgs.members_title)}</caption>
                <thead><tr>
                    <th scope="col" class="check"><super::common::SelectPageBox selected ids /></th>
                    <th scope="col">{t!(i18n, users.col_display_name)}</th>
                    <th scope="col">{t!(i18n, orgs.col_username)}</th>
                    <th scope="col">{t!(i18n, orgs.col_roles)}</th>
                    <th scope="col">{t!(i18n, orgs.col_household)}</th>
                    <th scope="col">{t!(i18n, orgs.col_lock)}</th>
                    <th scope="col">{t!(i18n, orgs.col_attributes)}</th>
                </tr></thead>
                <tbody>
                    {members.into_iter().map(|m| {
                        let roles = m.roles.clone();
                        let locked = m.prevent_move;
                        let disabled = !m.account_enabled;
                        let attributes = m.attributes.clone();
                        view! {
                            <tr>
                                <td class="check"><super::common::SelectRowBox selected id=m.id name=m.display_name.clone() /></td>
                                <td>
                                    <A href=format!("/orgs/users/{}", m.id.0)>{m.display_name.clone()}</A>
                                    {disabled.then(|| view! { " " <span class="badge badge-warn">{t!(i18n, user_page.account_disabled)}</span> })}
                                </td>
                                <td class="mono">{m.username.clone()}</td>
                                <td>{move || roles_text(i18n, &roles)}</td>
                                <td>{m.household.clone().unwrap_or_else(|| "–".into())}</td>
                                <td>{move || if locked {
                                    view! { <span class="badge badge-muted">{t!(i18n, orgs.locked)}</span> }.into_any()
                                } else {
                                    view! { "–" }.into_any()
                                }}</td>
                                <td class="attributes">
                                    {attributes.into_iter().map(|a| {
                                        let inactive = !a.active;
                                        view! {
                                            <span class:inactive=inactive>
                                                {format!("{}: {}", a.name, a.value)}
                                                {inactive.then(|| view! { " (" {t!(i18n, orgs.inactive)} ")" })}
                                            </span>
                                        }
                                    }).collect_view()}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Alerts(alerts: Vec<crate::domain::org::AlertSummary>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="org-alerts-title">
            <h3 id="org-alerts-title">{t!(i18n, orgs.alerts_title)}</h3>
            {if alerts.is_empty() {
                view! { <p class="hint">{t!(i18n, orgs.no_alerts)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table" data-testid="org-alerts">
                            <caption class="visually-hidden">{t!(i18n, orgs.alerts_title)}</caption>
                            <thead><tr>
                                <th scope="col">{t!(i18n, orgs.col_alert)}</th>
                                <th scope="col">{t!(i18n, orgs.col_state)}</th>
                                <th scope="col">{t!(i18n, orgs.col_targets)}</th>
                            </tr></thead>
                            <tbody>
                                {alerts.into_iter().map(|a| {
                                    let state = a.state;
                                    let targets = a.targets;
                                    let reached = a.recipients.len() as u64;
                                    let names = a.recipients.join(", ");
                                    view! {
                                        <tr>
                                            <td>{a.title.clone()}</td>
                                            <td>{move || alert_state_name(i18n, state)}</td>
                                            <td>{move || if state == AlertState::Sent {
                                                t_string!(i18n, orgs.reached, count = count(i18n, reached)).to_string()
                                            } else {
                                                t_string!(i18n, orgs.targeted, count = count(i18n, targets)).to_string()
                                            }}
                                            {(state == AlertState::Sent && !names.is_empty()).then(|| view! {
                                                <details><summary>{t!(i18n, orgs.report)}</summary><p class="small">{names.clone()}</p></details>
                                            })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
pub fn History(history: Vec<crate::domain::org::OrgMoveRecord>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="org-history-title">
            <h3 id="org-history-title">{t!(i18n, orgs.history_title)}</h3>
            {if history.is_empty() {
                view! { <p class="hint">{t!(i18n, orgs.no_history)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table" data-testid="org-history">
                            <caption class="visually-hidden">{t!(i18n, orgs.history_title)}</caption>
                            <thead><tr>
                                <th scope="col">{t!(i18n, audit.col_time)}</th>
                                <th scope="col">{t!(i18n, users.col_display_name)}</th>
                                <th scope="col">{t!(i18n, orgs.col_from)}</th>
                                <th scope="col">{t!(i18n, orgs.col_to)}</th>
                                <th scope="col">{t!(i18n, orgs.col_revoked)}</th>
                                <th scope="col">{t!(i18n, orgs.col_along)}</th>
                                <th scope="col">{t!(i18n, audit.col_operator)}</th>
                            </tr></thead>
                            <tbody>
                                {history.into_iter().map(|h| {
                                    let revoked = h.revoked_roles.clone();
                                    let at = h.at;
                                    view! {
                                        <tr>
                                            <td>{move || format_instant(lang(i18n), at)}</td>
                                            <td><A href=format!("/orgs/users/{}", h.user_id.0)>{h.display_name.clone()}</A></td>
                                            <td>{h.from_name.clone()}</td>
                                            <td>{h.to_name.clone()}</td>
                                            <td>{move || roles_text(i18n, &revoked)}</td>
                                            <td>{h.along_with.clone().unwrap_or_else(|| "–".into())}</td>
                                            <td>{format!("{} ({})", h.operator, h.source)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

/// One user's organization moves, newest first.
#[component]
pub fn OrgUserPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let user = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).map(UserId));
    let history = Resource::new(
        move || user.get(),
        |user| async move {
            match user {
                Some(user) => crate::api::orgs::get_user_org_history(user).await,
                None => Err(AppError::UserNotFound),
            }
        },
    );
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, orgs.user_history_title), t_string!(i18n, app_name)))}
        <p><A href="/orgs">{t!(i18n, orgs.back_to_orgs)}</A></p>
        <div class="page-header"><h1>{t!(i18n, orgs.user_history_title)}</h1></div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match history.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(history) => {
                        let name = history.first().map(|h| h.display_name.clone());
                        view! {
                            {name.map(|n| view! { <p class="lead" data-testid="org-user-name">{n}</p> })}
                            <History history />
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvStep {
    File,
    Preview,
    Results,
}

#[component]
pub fn OrgCsvPage() -> impl IntoView {
    let i18n = use_i18n();
    let may = use_context::<Operator>().is_some_and(|o| o.may(Permission::MoveUsersBetweenOrganizations));
    let step = RwSignal::new(CsvStep::File);
    let kind = RwSignal::new(CsvKind::Import);
    let file = RwSignal::new(None::<String>);
    let read_error = RwSignal::new(None::<AppError>);
    let input = NodeRef::<leptos::html::Input>::new();
    let preview = ServerAction::<PreviewOrgCsv>::new();
    let apply = ServerAction::<ApplyOrgCsv>::new();
    let check = move |_| {
        read_error.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(element) = input.get_untracked() {
            leptos::task::spawn_local(async move {
                use crate::domain::org::MAX_CSV_BYTES;
                match super::common::read_text_file(
                    &element,
                    MAX_CSV_BYTES,
                    AppError::CsvMalformed { line: 1 },
                )
                .await
                {
                    Ok(Some(text)) => {
                        file.set(Some(text.clone()));
                        preview.dispatch(PreviewOrgCsv { kind: kind.get_untracked(), content: text });
                        step.set(CsvStep::Preview);
                    }
                    Ok(None) => read_error.set(Some(AppError::EmptySelection)),
                    Err(error) => read_error.set(Some(error)),
                }
            });
        }
    };
    let steps = [CsvStep::File, CsvStep::Preview, CsvStep::Results];
    let step_name = move |s: CsvStep| match s {
        CsvStep::File => t_string!(i18n, import.step_file),
        CsvStep::Preview => t_string!(i18n, import.step_preview),
        CsvStep::Results => t_string!(i18n, import.step_results),
    };
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, orgs.csv_title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, orgs.csv_title)}</h1></div>
        {(!may).then(|| view! { <p class="alert alert-error" role="alert">{t!(i18n, errors.forbidden)}</p> })}
        {super::wizard::steps(move || t_string!(i18n, wizard.steps_label).to_string(), steps.to_vec(), step, step_name)}
        <Show when=move || step.get() == CsvStep::File>
            <section class="wizard-step" aria-labelledby="csv-file-title">
                <h2 id="csv-file-title">{t!(i18n, import.step_file)}</h2>
                <fieldset class="choices">
                    <legend>{t!(i18n, orgs.csv_kind)}</legend>
                    <label class="checkbox">
                        <input type="radio" name="csv-kind" prop:checked=move || kind.get() == CsvKind::Import
                            on:change=move |_| kind.set(CsvKind::Import) />
                        {t!(i18n, orgs.csv_import)}
                    </label>
                    <p class="field-hint mono">"username,display_name,email,organization,prevent_user_move"</p>
                    <label class="checkbox">
                        <input type="radio" name="csv-kind" prop:checked=move || kind.get() == CsvKind::Move
                            on:change=move |_| kind.set(CsvKind::Move) />
                        {t!(i18n, orgs.csv_move)}
                    </label>
                    <p class="field-hint mono">"username,organization"</p>
                </fieldset>
                <p class="hint">{t!(i18n, orgs.csv_rules)}</p>
                <div class="field">
                    <label for="csv-file">{t!(i18n, orgs.csv_file)}</label>
                    <input id="csv-file" type="file" accept=".csv,text/csv" node_ref=input />
                </div>
                {move || read_error.get().map(|error| view! { <ErrorPanel error /> })}
                <div class="wizard-actions">
                    <A href="/orgs" attr:class="button">{t!(i18n, wizard.cancel)}</A>
                    <button type="button" class="button button-primary" disabled=!may on:click=check>{t!(i18n, orgs.csv_check)}</button>
                </div>
            </section>
        </Show>
        <Show when=move || step.get() == CsvStep::Preview>
            <section class="wizard-step" aria-labelledby="csv-preview-title">
                <h2 id="csv-preview-title">{t!(i18n, import.step_preview)}</h2>
                {move || match preview.value().get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => view! {
                        <ErrorPanel error />
                        <div class="wizard-actions"><button type="button" class="button" on:click=move |_| step.set(CsvStep::File)>{t!(i18n, wizard.back)}</button></div>
                    }.into_any(),
                    Some(Ok(report)) => {
                        let applicable = report.created + report.updated + report.moved;
                        view! {
                            <Report report />
                            <div class="wizard-actions">
                                <button type="button" class="button" on:click=move |_| step.set(CsvStep::File)>{t!(i18n, wizard.back)}</button>
                                <button type="button" class="button button-primary" disabled=move || applicable == 0 || apply.pending().get()
                                    on:click=move |_| {
                                        if let Some(content) = file.get_untracked() {
                                            apply.dispatch(ApplyOrgCsv { kind: kind.get_untracked(), content });
                                            step.set(CsvStep::Results);
                                        }
                                    }>
                                    {move || t_string!(i18n, orgs.csv_apply, count = count(i18n, applicable)).to_string()}
                                </button>
                            </div>
                        }
                        .into_any()
                    }
                }}
            </section>
        </Show>
        <Show when=move || step.get() == CsvStep::Results>
            <section class="wizard-step" aria-labelledby="csv-results-title">
                <h2 id="csv-results-title">{t!(i18n, import.step_results)}</h2>
                {move || match apply.value().get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                    Some(Ok(report)) => view! { <Report report /> }.into_any(),
                }}
                <div class="wizard-actions"><A href="/orgs" attr:class="button button-primary">{t!(i18n, orgs.back_to_orgs)}</A></div>
            </section>
        </Show>
    }
}

/// A row-by-row report (CSV file or directory sync) with its totals.
#[component]
fn Report(report: MembershipReport) -> impl IntoView {
    let i18n = use_i18n();
    let MembershipReport { created, updated, moved, unchanged, rejected, .. } = report;
    view! {
        <p class="alert alert-info" role="status" data-testid="csv-summary">
            {move || t_string!(
                i18n,
                orgs.report_totals,
                created = count(i18n, created),
                updated = count(i18n, updated),
                moved = count(i18n, moved),
                unchanged = count(i18n, unchanged),
                rejected = count(i18n, rejected)
            ).to_string()}
        </p>
        <div class="table-wrap">
            <table class="data-table" data-testid="csv-report">
                <caption class="visually-hidden">{t!(i18n, orgs.report_caption)}</caption>
                <thead><tr>
                    <th scope="col" class="num">{t!(i18n, orgs.col_line)}</th>
                    <th scope="col">{t!(i18n, orgs.col_username)}</th>
                    <th scope="col">{t!(i18n, audit.col_outcome)}</th>
                </tr></thead>
                <tbody>
                    {report.rows.into_iter().map(|r| {
                        let outcome = r.outcome;
                        let rejected = matches!(outcome, MembershipOutcome::Rejected(_));
                        view! {
                            <tr class:skipped=rejected>
                                <td class="num">{r.line}</td>
                                <td class="mono">{r.username}</td>
                                <td>{move || outcome_name(i18n, outcome)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

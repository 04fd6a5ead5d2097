//! The Enable Users wizard: pick directory users, choose the pool and the SIP URI rule,
//! preview every user's URI and problems, then run and read (or export) the results.

use super::common::{
    ErrorPanel, I18n, ListSummary, Loading, SelectPageBox, SelectRowBox, count, page_title,
    version_short_name,
};
use crate::api::enable::{get_enable_choices, list_candidates};
use crate::api::operations::{EnableUsers, preview_enable, select_users};
use crate::domain::AppError;
use crate::domain::enable::{
    DirectoryQuery, EnableChoices, EnableOptions, EnablePreview, EnableProblem, EnableRun, MAX_BATCH,
    PlannedUser, SipAddressSource, capacity_left,
};
use crate::domain::jobs::Started;
use crate::domain::operation::{Previewed, SelectionSource};
use crate::domain::operator::{Operator, Permission};
use crate::domain::search::UserTarget;
use crate::domain::user::UserId;
use crate::i18n::*;
use leptos::prelude::*;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Pick,
    Options,
    Preview,
    Results,
}

const STEPS: [Step; 4] = [Step::Pick, Step::Options, Step::Preview, Step::Results];

fn step_name(i18n: I18n, step: Step) -> &'static str {
    match step {
        Step::Pick => t_string!(i18n, enable.step_pick),
        Step::Options => t_string!(i18n, enable.step_options),
        Step::Preview => t_string!(i18n, enable.step_preview),
        Step::Results => t_string!(i18n, enable.step_results),
    }
}

pub fn problem_name(i18n: I18n, problem: EnableProblem) -> &'static str {
    match problem {
        EnableProblem::MissingEmail => t_string!(i18n, problems.missing_email),
        EnableProblem::MissingUserPrincipalName => {
            t_string!(i18n, problems.missing_user_principal_name)
        }
        EnableProblem::NameNotRepresentable => t_string!(i18n, problems.name_not_representable),
        EnableProblem::InvalidUri => t_string!(i18n, problems.invalid_uri),
        EnableProblem::DuplicateOfEnabledUser => {
            t_string!(i18n, problems.duplicate_of_enabled_user)
        }
        EnableProblem::DuplicateInBatch => t_string!(i18n, problems.duplicate_in_batch),
        EnableProblem::AccountDisabled => t_string!(i18n, problems.account_disabled),
    }
}

pub fn source_name(i18n: I18n, source: SipAddressSource) -> &'static str {
    match source {
        SipAddressSource::Email => t_string!(i18n, enable.source_email),
        SipAddressSource::UserPrincipalName => t_string!(i18n, enable.source_upn),
        SipAddressSource::FirstLastAtDomain => t_string!(i18n, enable.source_first_last),
        SipAddressSource::SamAccountNameAtDomain => t_string!(i18n, enable.source_sam),
    }
}

/// What the wizard keeps between its steps.
#[derive(Clone, Copy)]
struct Wizard {
    step: RwSignal<Step>,
    selected: RwSignal<BTreeSet<UserId>>,
    /// "Select all results": every user the filter matches (and how many), instead of ticks.
    matching: RwSignal<Option<(DirectoryQuery, u64)>>,
    options: RwSignal<Option<EnableOptions>>,
    may_enable: bool,
    /// Reloaded after a run: pool counts change.
    choices: Resource<Result<EnableChoices, AppError>>,
}

type PreviewResource = super::wizard::PreviewResource<EnablePreview>;
type AskPreview = super::wizard::Ask<(SelectionSource, EnableOptions)>;

impl Wizard {
    /// The picked users as the server's selection takes them.
    fn source(self) -> SelectionSource {
        match self.matching.get_untracked() {
            Some((query, _)) => SelectionSource::Candidates(query),
            None => {
                SelectionSource::Users(UserTarget::Users(self.selected.get_untracked().into_iter().collect()))
            }
        }
    }

    fn picked(self) -> u64 {
        self.matching
            .with(|m| m.as_ref().map(|(_, n)| *n))
            .unwrap_or_else(|| self.selected.with(|s| s.len() as u64))
    }
}

#[component]
pub fn EnablePage() -> impl IntoView {
    let i18n = use_i18n();
    let may_enable = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let choices = Resource::new(|| (), |_| get_enable_choices());
    // Made here, not in the step that waits for the choices: a resource made inside a view the
    // server renders after an await gets another id than the browser's, and hydration fails.
    let query = RwSignal::new(DirectoryQuery::default());
    let candidates = Resource::new(move || query.get(), list_candidates);
    // From a checked list (Users from a list): its users are picked, the options come next.
    let from_list =
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get("scope").as_deref() == Some("list"));
    let listed = use_context::<super::console::ListedForEnable>()
        .filter(|_| from_list)
        .map(|l| l.0.get_untracked())
        .unwrap_or_default();
    let wizard = Wizard {
        step: RwSignal::new(if listed.is_empty() { Step::Pick } else { Step::Options }),
        selected: RwSignal::new(listed),
        matching: RwSignal::new(None),
        options: RwSignal::new(None),
        may_enable,
        choices,
    };
    // The users picked are stored on the server as a selection when the preview asks for them.
    let asked = super::wizard::Ask::new();
    let preview: PreviewResource =
        super::wizard::preview_resource(asked, move |(source, options)| async move {
            preview_enable(select_users(source).await?.id, options).await
        });
    let run = ServerAction::<EnableUsers>::new();
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, enable.title), t_string!(i18n, app_name)))}
        <div class="page-header">
            <h1>{t!(i18n, enable.title)}</h1>
        </div>
        {(!may_enable).then(|| view! {
            <p class="alert alert-warn" data-testid="enable-not-allowed">{t!(i18n, enable.not_allowed)}</p>
        })}
        {super::wizard::steps(
            move || t_string!(i18n, enable.steps_label).to_string(),
            STEPS.to_vec(),
            wizard.step,
            move |s| step_name(i18n, s),
        )}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match choices.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(choices) => {
                        if wizard.options.get_untracked().is_none() {
                            wizard.options.set(choices.pools.first().map(|p| EnableOptions {
                                pool: p.pool.id,
                                source: SipAddressSource::Email,
                                sip_domain: choices.sip_domains.first().cloned(),
                                enhanced_presence: p.pool.version.supports_enhanced_presence(),
                            }));
                        }
                        let choices = StoredValue::new(choices);
                        view! {
                            <Show when=move || wizard.step.get() == Step::Pick>
                                {view! { <PickStep wizard choices query candidates /> }.into_any()}
                            </Show>
                            <Show when=move || wizard.step.get() == Step::Options>
                                {view! { <OptionsStep wizard choices asked /> }.into_any()}
                            </Show>
                            <Show when=move || wizard.step.get() == Step::Preview>
                                {view! { <PreviewStep wizard preview run /> }.into_any()}
                            </Show>
                            <Show when=move || wizard.step.get() == Step::Results>
                                {view! { <ResultsStep wizard run /> }.into_any()}
                            </Show>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn PickStep(
    wizard: Wizard,
    choices: StoredValue<EnableChoices>,
    query: RwSignal<DirectoryQuery>,
    candidates: Resource<Result<crate::domain::paging::Page<crate::domain::user::DirectoryUser>, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let container = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let selection_error = RwSignal::new(None::<AppError>);
    // Every result of the filter, kept as the filter: the server resolves it into users.
    let select_all = move |total: u64| {
        if total > MAX_BATCH as u64 {
            selection_error.set(Some(AppError::BatchTooLarge { max: MAX_BATCH as u64 }));
        } else {
            selection_error.set(None);
            wizard.selected.set(BTreeSet::new());
            wizard.matching.set(Some((query.get_untracked(), total)));
        }
    };
    // Ticking rows again goes back to picking them one by one.
    Effect::new(move |_| {
        if wizard.selected.with(|s| !s.is_empty()) {
            wizard.matching.set(None);
        }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let blank = |s: String| Some(s).filter(|s| !s.is_empty());
        query.set(DirectoryQuery {
            text: text.get_untracked().trim().to_string(),
            container: blank(container.get_untracked()),
            department: blank(department.get_untracked()),
            page: 1,
            ..query.get_untracked()
        });
    };
    let selected_count = move || wizard.picked();
    view! {
        <section class="wizard-step" aria-labelledby="step-pick-title">
            <h2 id="step-pick-title">{t!(i18n, enable.step_pick)}</h2>
            <form class="filter-bar" role="search" on:submit=apply>
                <div class="field">
                    <label for="dir-text">{t!(i18n, enable.filter_text)}</label>
                    <input id="dir-text" type="search" maxlength="100" bind:value=text />
                </div>
                <div class="field">
                    <label for="dir-container">{t!(i18n, enable.container)}</label>
                    <select id="dir-container" bind:value=container>
                        <option value="">{t!(i18n, enable.all_containers)}</option>
                        {choices
                            .with_value(|c| c.containers.clone())
                            .into_iter()
                            .map(|c| view! { <option value=c.clone()>{c.clone()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="dir-department">{t!(i18n, enable.department)}</label>
                    <select id="dir-department" bind:value=department>
                        <option value="">{t!(i18n, enable.all_departments)}</option>
                        {choices
                            .with_value(|c| c.departments.clone())
                            .into_iter()
                            .map(|d| view! { <option value=d.clone()>{d.clone()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">{t!(i18n, users.apply)}</button>
            </form>
            <div class="selection-bar" role="status" data-testid="selection">
                <strong>{move || t_string!(i18n, selection.count, count = count(i18n, selected_count())).to_string()}</strong>
                <button
                    type="button"
                    class="button button-quiet"
                    disabled=move || selected_count() == 0
                    on:click=move |_| {
                        wizard.selected.set(BTreeSet::new());
                        wizard.matching.set(None);
                    }
                >
                    {t!(i18n, selection.clear)}
                </button>
            </div>
            {move || selection_error.get().map(|error| view! { <ErrorPanel error /> })}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match candidates.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(page) if page.items.is_empty() => {
                            view! { <p class="empty">{t!(i18n, enable.no_candidates)}</p> }.into_any()
                        }
                        Ok(page) => {
                            let total = page.total;
                            let page_ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
                            let (first, last) = page.shown_range();
                            let page_count = page.page_count();
                            let current = page.page;
                            let rows = page
                                .items
                                .into_iter()
                                .map(|u| {
                                    let id = u.id;
                                    let u = u.directory;
                                    let name = u.display_name.clone();
                                    let disabled_account = !u.account_enabled;
                                    view! {
                                        <tr>
                                            <td class="check">
                                                <SelectRowBox selected=wizard.selected id name />
                                            </td>
                                            <td>{u.display_name}</td>
                                            <td class="mono">{u.sam_account_name}</td>
                                            <td class="mono">{u.email.unwrap_or_default()}</td>
                                            <td class="mono small">{u.container}</td>
                                            <td>{u.department.unwrap_or_default()}</td>
                                            <td>
                                                {move || if disabled_account {
                                                    view! { <span class="badge badge-warn">{t!(i18n, enable.account_disabled)}</span> }.into_any()
                                                } else {
                                                    view! { <span class="badge badge-ok">{t!(i18n, enable.account_enabled)}</span> }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view();
                            view! {
                                <div class="list-toolbar">
                                    <ListSummary first last total testid="candidates-summary" />
                                    <button
                                        type="button"
                                        class="button"
                                        data-testid="select-all-results"
                                        on:click=move |_| select_all(total)
                                    >
                                        {move || t_string!(i18n, enable.select_all_results, count = count(i18n, total)).to_string()}
                                    </button>
                                </div>
                                <div class="table-wrap">
                                    <table class="data-table" data-testid="candidates-table">
                                        <caption class="visually-hidden">{t!(i18n, enable.candidates_caption)}</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col" class="check">
                                                    <SelectPageBox selected=wizard.selected ids=page_ids.clone() />
                                                </th>
                                                <th scope="col">{t!(i18n, enable.col_name)}</th>
                                                <th scope="col">{t!(i18n, enable.col_logon)}</th>
                                                <th scope="col">{t!(i18n, enable.col_email)}</th>
                                                <th scope="col">{t!(i18n, enable.container)}</th>
                                                <th scope="col">{t!(i18n, enable.department)}</th>
                                                <th scope="col">{t!(i18n, enable.col_account)}</th>
                                            </tr>
                                        </thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <nav class="pagination" aria-label=move || t_string!(i18n, users.pagination)>
                                    <button
                                        type="button"
                                        class="button button-quiet"
                                        disabled=current <= 1
                                        on:click=move |_| query.update(|q| q.page = q.page.saturating_sub(1).max(1))
                                    >
                                        {t!(i18n, users.previous_page)}
                                    </button>
                                    <span class="page-of">
                                        {move || {
                                            t_string!(
                                                i18n,
                                                users.page_of,
                                                page = count(i18n, current.into()),
                                                pages = count(i18n, page_count.into())
                                            )
                                            .to_string()
                                        }}
                                    </span>
                                    <button
                                        type="button"
                                        class="button button-quiet"
                                        disabled=current >= page_count
                                        on:click=move |_| query.update(|q| q.page += 1)
                                    >
                                        {t!(i18n, users.next_page)}
                                    </button>
                                </nav>
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
            <div class="wizard-actions">
                <button
                    type="button"
                    class="button button-primary"
                    data-testid="wizard-next"
                    disabled=move || selected_count() == 0 || !wizard.may_enable
                    on:click=move |_| wizard.step.set(Step::Options)
                >
                    {t!(i18n, enable.next)}
                </button>
            </div>
        </section>
    }
}

#[component]
fn OptionsStep(wizard: Wizard, choices: StoredValue<EnableChoices>, asked: AskPreview) -> impl IntoView {
    let i18n = use_i18n();
    let pools = choices.with_value(|c| c.pools.clone());
    let domains = choices.with_value(|c| c.sip_domains.clone());
    let current_pool = {
        let pools = pools.clone();
        move || {
            wizard
                .options
                .with(|o| o.as_ref().and_then(|o| pools.iter().find(|p| p.pool.id == o.pool).cloned()))
        }
    };
    let ep_allowed = {
        let current_pool = current_pool.clone();
        move || current_pool().is_some_and(|p| p.pool.version.supports_enhanced_presence())
    };
    let source = move || wizard.options.with(|o| o.as_ref().map(|o| o.source).unwrap_or_default());
    let set = move |f: &dyn Fn(&mut EnableOptions)| {
        wizard.options.update(|o| {
            if let Some(o) = o {
                f(o)
            }
        })
    };
    let on_pool = {
        let pools = pools.clone();
        move |ev: leptos::ev::Event| {
            let id: i64 = event_target_value(&ev).parse().unwrap_or_default();
            if let Some(p) = pools.iter().find(|p| p.pool.id.0 == id) {
                let ep = p.pool.version.supports_enhanced_presence();
                set(&|o| {
                    o.pool = p.pool.id;
                    o.enhanced_presence = ep;
                });
            }
        }
    };
    let go_preview = move |_| {
        if let Some(options) = wizard.options.get_untracked() {
            asked.ask((wizard.source(), options));
            wizard.step.set(Step::Preview);
        }
    };
    if pools.is_empty() {
        return view! {
            <p class="alert alert-warn">{t!(i18n, enable.no_pools)}</p>
            <div class="wizard-actions">
                <button type="button" class="button" on:click=move |_| wizard.step.set(Step::Pick)>{t!(i18n, enable.back)}</button>
            </div>
        }
        .into_any();
    }
    view! {
        <section class="wizard-step" aria-labelledby="step-options-title">
            <h2 id="step-options-title">{t!(i18n, enable.step_options)}</h2>
            <div class="form-grid">
                <label for="enable-pool">{t!(i18n, enable.pool)}</label>
                <select id="enable-pool" on:change=on_pool>
                    {pools
                        .iter()
                        .map(|p| {
                            let id = p.pool.id;
                            let label_pool = p.clone();
                            view! {
                                <option
                                    value=id.0.to_string()
                                    selected=move || wizard.options.with(|o| o.as_ref().is_some_and(|o| o.pool == id))
                                >
                                    {move || {
                                        let free = capacity_left(label_pool.pool.capacity, label_pool.user_count, 0).unwrap_or(0);
                                        t_string!(
                                            i18n,
                                            enable.pool_option,
                                            fqdn = label_pool.pool.fqdn.clone(),
                                            version = version_short_name(label_pool.pool.version),
                                            free = count(i18n, free),
                                            capacity = count(i18n, label_pool.pool.capacity.into())
                                        )
                                        .to_string()
                                    }}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <fieldset class="choice-group">
                <legend>{t!(i18n, enable.sip_legend)}</legend>
                {SipAddressSource::ALL
                    .into_iter()
                    .map(|s| {
                        let id = format!("sip-source-{}", s.as_str());
                        view! {
                            <div class="choice">
                                <input
                                    type="radio"
                                    name="sip-source"
                                    id=id.clone()
                                    value=s.as_str()
                                    prop:checked=move || source() == s
                                    on:change=move |_| set(&|o| o.source = s)
                                />
                                <label for=id>{move || source_name(i18n, s)}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                <div class="field nested">
                    <label for="sip-domain">{t!(i18n, enable.sip_domain)}</label>
                    <select
                        id="sip-domain"
                        disabled=move || !source().needs_domain()
                        on:change=move |ev| {
                            let d = event_target_value(&ev);
                            set(&|o| o.sip_domain = Some(d.clone()));
                        }
                    >
                        {domains
                            .into_iter()
                            .map(|d| {
                                let value = d.clone();
                                let label = d.clone();
                                view! {
                                    <option
                                        value=d
                                        selected=move || wizard.options.with(|o| o.as_ref().and_then(|o| o.sip_domain.clone()) == Some(value.clone()))
                                    >
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </fieldset>
            <div class="choice">
                <input
                    type="checkbox"
                    id="enhanced-presence"
                    disabled={let ep = ep_allowed.clone(); move || !ep()}
                    prop:checked=move || wizard.options.with(|o| o.as_ref().is_some_and(|o| o.enhanced_presence))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        set(&|o| o.enhanced_presence = on);
                    }
                />
                <label for="enhanced-presence">{t!(i18n, enable.enhanced_presence)}</label>
            </div>
            {move || (!ep_allowed()).then(|| view! { <p class="muted">{t!(i18n, enable.ep_unavailable)}</p> })}
            <div class="wizard-actions">
                <button type="button" class="button" on:click=move |_| wizard.step.set(Step::Pick)>{t!(i18n, enable.back)}</button>
                <button type="button" class="button button-primary" on:click=go_preview>{t!(i18n, enable.preview_button)}</button>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn PlanTable(users: Vec<PlannedUser>, results: bool) -> impl IntoView {
    let i18n = use_i18n();
    let rows = users
        .into_iter()
        .map(|u| {
            let problem = u.problem;
            let ok = u.can_enable();
            view! {
                <tr class:problem=!ok>
                    <td>{u.display_name}</td>
                    <td class="mono">{u.sip_uri.map(|s| s.to_string()).unwrap_or_default()}</td>
                    <td>
                        {move || match (ok, results) {
                            (true, false) => view! { <span class="badge badge-ok">{t!(i18n, enable.ready)}</span> }.into_any(),
                            (true, true) => view! { <span class="badge badge-ok">{t!(i18n, enable.outcome_enabled)}</span> }.into_any(),
                            (false, false) => view! { <span class="badge badge-warn">{t!(i18n, enable.left_out)}</span> }.into_any(),
                            (false, true) => view! { <span class="badge badge-warn">{t!(i18n, enable.outcome_failed)}</span> }.into_any(),
                        }}
                    </td>
                    <td>{move || problem.map(|p| problem_name(i18n, p)).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid=if results { "results-table" } else { "preview-table" }>
                <caption class="visually-hidden">
                    {move || if results { t_string!(i18n, enable.step_results) } else { t_string!(i18n, enable.step_preview) }}
                </caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, enable.col_name)}</th>
                        <th scope="col">{t!(i18n, enable.col_sip)}</th>
                        <th scope="col">{t!(i18n, enable.col_outcome)}</th>
                        <th scope="col">{t!(i18n, enable.col_reason)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn PreviewStep(wizard: Wizard, preview: PreviewResource, run: ServerAction<EnableUsers>) -> impl IntoView {
    let i18n = use_i18n();
    super::wizard::preview_section(
        "step-preview-title",
        move || t_string!(i18n, enable.step_preview).to_string(),
        preview,
        move || wizard.step.set(Step::Options),
        move |Previewed { token, preview: plan, .. }| {
            let token = StoredValue::new(token);
            let start = move |_| {
                run.dispatch(EnableUsers { token: token.get_value() });
                wizard.step.set(Step::Results);
            };
            let EnablePreview { pool, pool_users, users } = plan.clone();
            let total = users.len() as u64;
            let ok = plan.enableable();
            let problems = total - ok;
            let fqdn = pool.fqdn.clone();
            view! {
                        <p class="alert alert-info" data-testid="preview-summary">
                            {move || t_string!(i18n, enable.preview_summary, ok = count(i18n, ok), total = count(i18n, total), pool = fqdn.clone()).to_string()}
                            " "
                            {move || {
                                t_string!(
                                    i18n,
                                    enable.capacity_after,
                                    after = count(i18n, pool_users + ok),
                                    capacity = count(i18n, pool.capacity.into())
                                )
                                .to_string()
                            }}
                        </p>
                        {(problems > 0).then(|| view! {
                            <p class="alert alert-warn" data-testid="preview-problems">
                                {move || t_string!(i18n, enable.preview_problems, count = count(i18n, problems)).to_string()}
                            </p>
                        })}
                        <PlanTable users results=false />
                        <div class="wizard-actions">
                            <button type="button" class="button" on:click=move |_| wizard.step.set(Step::Options)>{t!(i18n, enable.back)}</button>
                            <button
                                type="button"
                                class="button button-primary"
                                disabled=ok == 0 || !wizard.may_enable
                                on:click=start
                            >
                                {move || t_string!(i18n, enable.run_button, count = count(i18n, ok)).to_string()}
                            </button>
                        </div>
                    }
                    .into_any()
        },
    )
}

#[component]
fn ResultsStep(wizard: Wizard, run: ServerAction<EnableUsers>) -> impl IntoView {
    let i18n = use_i18n();
    // The tree's counts change with a successful run.
    super::wizard::follow_run(move || run.value().get());
    let again = move |_| {
        wizard.selected.set(BTreeSet::new());
        wizard.matching.set(None);
        run.value().set(None);
        wizard.choices.refetch();
        wizard.step.set(Step::Pick);
    };
    view! {
        <section class="wizard-step" aria-labelledby="step-results-title">
            <h2 id="step-results-title">{t!(i18n, enable.step_results)}</h2>
            {move || match run.value().get() {
                None => view! { <p class="loading" role="status">{t!(i18n, enable.running)}</p> }.into_any(),
                Some(Err(error)) => view! {
                    <ErrorPanel error />
                    <div class="wizard-actions">
                        <button type="button" class="button" on:click=move |_| wizard.step.set(Step::Preview)>{t!(i18n, enable.back)}</button>
                    </div>
                }
                .into_any(),
                // Enabling is one transaction: it never becomes a job.
                Some(Ok(Started::Job(_) | Started::Requested(_))) => view! { <Loading /> }.into_any(),
                Some(Ok(Started::Done(result))) => {
                    let EnableRun { run_id, users, .. } = result.clone();
                    let enabled = result.enabled();
                    let failed = users.len() as u64 - enabled;
                    view! {
                        <p class="alert alert-info" role="status" data-testid="results-summary">
                            {move || t_string!(i18n, enable.results_summary, ok = count(i18n, enabled), failed = count(i18n, failed)).to_string()}
                        </p>
                        <PlanTable users results=true />
                        <div class="wizard-actions">
                            <a class="button" href=format!("/exports/enable-runs/{run_id}.xml") download=format!("enable-results-{run_id}.xml") rel="external">
                                {t!(i18n, enable.export_xml)}
                            </a>
                            <button type="button" class="button button-primary" on:click=again>{t!(i18n, enable.again)}</button>
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

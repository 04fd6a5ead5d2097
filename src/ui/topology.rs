//! The Topology page (Enterprise Administrators): the forest, SIP domains and pools; adding a
//! pool; and the topology file wizard (choose a file, read what it would change, import).
//! A pool's capacity, availability and state change on its own page.

use super::common::{
    ErrorPanel, I18n, Loading, availability_name, count, page_title, pool_kind_name, pool_state_name,
    version_name,
};
use super::console::TreeResource;
use crate::api::pools::{AddPool, ImportTopology, PreviewTopology, TopologyView, topology_overview};
use crate::domain::AppError;
use crate::domain::operator::{Operator, Permission};
use crate::domain::pool::{PoolKind, ServerVersion};
#[cfg(feature = "hydrate")]
use crate::domain::topology::MAX_TOPOLOGY_BYTES;
use crate::domain::topology::{NewPool, TopologyPlan, TopologyPool, TopologyProblem};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

fn may_manage_pools() -> bool {
    use_context::<Operator>().is_some_and(|o| o.may(Permission::ManagePools))
}

fn refetch_tree() {
    if let Some(tree) = use_context::<TreeResource>() {
        tree.0.refetch();
    }
}

#[component]
pub fn TopologyPage() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddPool>::new();
    let overview = Resource::new(move || add.version().get(), |_| topology_overview());
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            refetch_tree();
        }
    });
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, topology.title), t_string!(i18n, app_name)))}
        <div class="page-header">
            <h1>{t!(i18n, topology.title)}</h1>
            {may_manage_pools().then(|| view! {
                <div class="row-actions">
                    <A href="/topology/import" attr:class="button button-primary">{t!(i18n, topology.import_open)}</A>
                    <a href="/exports/topology.toml" class="button" download="topology.toml" data-testid="topology-export">{t!(i18n, topology.export)}</a>
                </div>
            })}
        </div>
        {if may_manage_pools() {
            view! {
                <p class="muted">{t!(i18n, topology.intro)}</p>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                            Ok(view) => view! { <Overview view /> }.into_any(),
                        }
                    })}
                </Transition>
                <AddPoolSection add />
            }
            .into_any()
        } else {
            view! { <p class="alert alert-error" role="alert">{t!(i18n, errors.forbidden)}</p> }.into_any()
        }}
    }
}

#[component]
fn Overview(view: TopologyView) -> impl IntoView {
    let i18n = use_i18n();
    let TopologyView { forest, sip_domains, pools } = view;
    let empty = pools.is_empty();
    view! {
        <section class="admin-section" aria-labelledby="topology-forest">
            <h2 id="topology-forest">{t!(i18n, topology.forest_title)}</h2>
            <dl class="properties">
                <dt>{t!(i18n, topology.forest)}</dt>
                <dd class="mono" data-testid="topology-forest">{if forest.is_empty() { "—".to_string() } else { forest }}</dd>
                <dt>{t!(i18n, topology.sip_domains)}</dt>
                <dd data-testid="topology-domains">
                    {if sip_domains.is_empty() { "—".to_string() } else { String::new() }}
                    {sip_domains.into_iter().enumerate().map(|(i, domain)| view! {
                        {(i > 0).then_some(", ")}
                        <span class="mono">{domain}</span>
                        {(i == 0).then(|| view! { " " <span class="badge">{t!(i18n, topology.default_domain)}</span> })}
                    }).collect_view()}
                </dd>
            </dl>
        </section>
        <section class="admin-section" aria-labelledby="topology-pools">
            <h2 id="topology-pools">{t!(i18n, topology.pools_title)}</h2>
            {empty.then(|| view! { <p class="alert alert-info" data-testid="topology-empty">{t!(i18n, topology.no_pools)}</p> })}
            {(!empty).then(|| view! {
                <div class="table-wrap" tabindex="0">
                    <table class="data-table" data-testid="topology-pools">
                        <thead><tr>
                            <th scope="col">{t!(i18n, topology.col_fqdn)}</th>
                            <th scope="col">{t!(i18n, topology.col_site)}</th>
                            <th scope="col">{t!(i18n, topology.col_kind)}</th>
                            <th scope="col">{t!(i18n, topology.col_version)}</th>
                            <th scope="col">{t!(i18n, topology.col_state)}</th>
                            <th scope="col" class="num">{t!(i18n, topology.col_users)}</th>
                            <th scope="col" class="num">{t!(i18n, topology.col_capacity)}</th>
                        </tr></thead>
                        <tbody>
                            {pools.into_iter().map(|summary| {
                                let pool = summary.pool;
                                let (kind, version, state, available) = (pool.kind, pool.version, pool.state, pool.available);
                                let (users, capacity) = (summary.user_count, u64::from(pool.capacity));
                                let (fqdn, site, href) = (pool.fqdn.clone(), pool.site.clone(), format!("/pools/{}", pool.id));
                                view! {
                                    <tr data-pool=pool.fqdn>
                                        <td class="mono"><A href=href>{fqdn}</A></td>
                                        <td>{site}</td>
                                        <td>{move || pool_kind_name(i18n, kind)}</td>
                                        <td>{version_name(version)}</td>
                                        <td>
                                            {move || pool_state_name(i18n, state)}
                                            {(!available).then(|| view! { " " <span class="badge badge-warn">{move || availability_name(i18n, false)}</span> })}
                                        </td>
                                        <td class="num">{move || count(i18n, users)}</td>
                                        <td class="num">{move || count(i18n, capacity)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <p class="hint">{t!(i18n, topology.pool_page_hint)}</p>
            })}
        </section>
    }
}

#[component]
fn AddPoolSection(add: ServerAction<AddPool>) -> impl IntoView {
    let i18n = use_i18n();
    let fqdn = RwSignal::new(String::new());
    let site = RwSignal::new(String::new());
    let capacity = RwSignal::new(String::new());
    let kind = RwSignal::new(PoolKind::Enterprise);
    let version = RwSignal::new(ServerVersion::Ocs2007R2);
    // A capacity that is not a number is refused here, in the same words the server uses.
    let local_error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            fqdn.set(String::new());
            site.set(String::new());
            capacity.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let Ok(capacity) = capacity.get_untracked().trim().parse::<u32>() else {
            local_error.set(Some(AppError::PoolInvalid { problem: TopologyProblem::InvalidCapacity }));
            return;
        };
        add.dispatch(AddPool {
            pool: NewPool {
                fqdn: fqdn.get_untracked(),
                kind: kind.get_untracked(),
                version: version.get_untracked(),
                site: site.get_untracked(),
                capacity,
            },
        });
    };
    let kinds = [PoolKind::Enterprise, PoolKind::Standard];
    view! {
        <section class="admin-section" aria-labelledby="topology-add">
            <h2 id="topology-add">{t!(i18n, topology.add_title)}</h2>
            <form class="pool-form" on:submit=submit data-testid="add-pool-form">
                <div class="field">
                    <label for="pool-fqdn">{t!(i18n, topology.col_fqdn)}</label>
                    <input id="pool-fqdn" type="text" required autocomplete="off" placeholder="pool01.contoso.com"
                        prop:value=move || fqdn.get() on:input=move |ev| fqdn.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="pool-site">{t!(i18n, topology.col_site)}</label>
                    <input id="pool-site" type="text" required autocomplete="off"
                        prop:value=move || site.get() on:input=move |ev| site.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="pool-kind">{t!(i18n, topology.col_kind)}</label>
                    <select id="pool-kind" on:change=move |ev| {
                        kind.set(if event_target_value(&ev) == "standard" { PoolKind::Standard } else { PoolKind::Enterprise })
                    }>
                        {kinds.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>{move || pool_kind_name(i18n, k)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="pool-version">{t!(i18n, topology.col_version)}</label>
                    <select id="pool-version" on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse() { version.set(v) }
                    }>
                        {ServerVersion::ALL.into_iter().rev().map(|v| view! {
                            <option value=v.as_str() selected=move || version.get() == v>{version_name(v)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="pool-capacity">{t!(i18n, topology.col_capacity)}</label>
                    <input id="pool-capacity" type="number" min="1" max="1000000" required inputmode="numeric"
                        prop:value=move || capacity.get() on:input=move |ev| capacity.set(event_target_value(&ev)) />
                </div>
                <div class="form-actions">
                    <button type="submit" class="button button-primary" disabled=move || add.pending().get()>
                        {t!(i18n, topology.add_button)}
                    </button>
                </div>
            </form>
            {move || local_error.get().or_else(|| add.value().get().and_then(Result::err)).map(|error| view! { <ErrorPanel error /> })}
            {move || matches!(add.value().get(), Some(Ok(_))).then(|| view! {
                <p class="alert alert-success" role="status" data-testid="pool-added">{t!(i18n, topology.added)}</p>
            })}
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    File,
    Preview,
    Done,
}

/// The topology file wizard.
#[component]
pub fn TopologyImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let may = may_manage_pools();
    let step = RwSignal::new(Step::File);
    let file = RwSignal::new(None::<String>);
    let read_error = RwSignal::new(None::<AppError>);
    let no_file = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let preview = ServerAction::<PreviewTopology>::new();
    let run = ServerAction::<ImportTopology>::new();
    let check = move |_| {
        read_error.set(None);
        no_file.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(element) = input.get_untracked() {
            leptos::task::spawn_local(async move {
                let unreadable = AppError::TopologyInvalid { line: 1, problem: TopologyProblem::Syntax };
                match super::common::read_text_file(&element, MAX_TOPOLOGY_BYTES, unreadable).await {
                    Ok(Some(text)) => {
                        file.set(Some(text.clone()));
                        preview.dispatch(PreviewTopology { file: text });
                        step.set(Step::Preview);
                    }
                    Ok(None) => no_file.set(true),
                    Err(error) => read_error.set(Some(error)),
                }
            });
        }
    };
    let start = move |_| {
        if let Some(text) = file.get_untracked() {
            run.dispatch(ImportTopology { file: text });
            step.set(Step::Done);
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = run.value().get() {
            refetch_tree();
        }
    });
    let step_name = move |s: Step| match s {
        Step::File => t_string!(i18n, topology.step_file),
        Step::Preview => t_string!(i18n, topology.step_preview),
        Step::Done => t_string!(i18n, topology.step_done),
    };
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, topology.import_title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, topology.import_title)}</h1></div>
        {super::wizard::steps(move || t_string!(i18n, topology.steps_label).to_string(), vec![Step::File, Step::Preview, Step::Done], step, step_name)}
        <Show when=move || step.get() == Step::File>
            <section class="wizard-step" aria-labelledby="topology-file-title">
                <h2 id="topology-file-title">{t!(i18n, topology.step_file)}</h2>
                <p>{t!(i18n, topology.import_intro)}</p>
                {(!may).then(|| view! { <p class="alert alert-error" role="alert">{t!(i18n, errors.forbidden)}</p> })}
                <div class="field">
                    <label for="topology-file">{t!(i18n, topology.file_label)}</label>
                    <input type="file" id="topology-file" accept=".toml,text/plain,application/toml" node_ref=input
                        data-testid="topology-file" disabled=!may />
                </div>
                {move || read_error.get().map(|error| view! { <ErrorPanel error /> })}
                {move || no_file.get().then(|| view! { <p class="alert alert-warn" role="alert">{t!(i18n, import.choose_first)}</p> })}
                <div class="wizard-actions">
                    <A href="/topology" attr:class="button">{t!(i18n, topology.back_to_topology)}</A>
                    <button type="button" class="button button-primary" data-testid="topology-check" disabled=!may on:click=check>
                        {t!(i18n, topology.check_button)}
                    </button>
                </div>
            </section>
        </Show>
        <Show when=move || step.get() == Step::Preview>
            <section class="wizard-step" aria-labelledby="topology-preview-title">
                <h2 id="topology-preview-title">{t!(i18n, topology.step_preview)}</h2>
                {move || match preview.value().get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => view! {
                        <ErrorPanel error />
                        <div class="wizard-actions">
                            <button type="button" class="button" on:click=move |_| step.set(Step::File)>{t!(i18n, wizard.back)}</button>
                        </div>
                    }.into_any(),
                    Some(Ok(plan)) => {
                        let nothing = plan.is_empty();
                        view! {
                            <PlanView plan done=false />
                            <div class="wizard-actions">
                                <button type="button" class="button" on:click=move |_| step.set(Step::File)>{t!(i18n, wizard.back)}</button>
                                <button type="button" class="button button-primary" data-testid="topology-run"
                                    disabled=move || nothing || run.pending().get() on:click=start>
                                    {t!(i18n, topology.run_button)}
                                </button>
                            </div>
                        }.into_any()
                    }
                }}
            </section>
        </Show>
        <Show when=move || step.get() == Step::Done>
            <section class="wizard-step" aria-labelledby="topology-done-title">
                <h2 id="topology-done-title">{t!(i18n, topology.step_done)}</h2>
                {move || match run.value().get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => view! {
                        <ErrorPanel error />
                        <div class="wizard-actions">
                            <button type="button" class="button" data-testid="wizard-preview-again"
                                on:click=move |_| { step.set(Step::File); }>{t!(i18n, wizard.preview_again)}</button>
                        </div>
                    }.into_any(),
                    Some(Ok(plan)) => view! { <PlanView plan done=true /> }.into_any(),
                }}
                <div class="wizard-actions">
                    <A href="/topology" attr:class="button button-primary">{t!(i18n, topology.back_to_topology)}</A>
                </div>
            </section>
        </Show>
    }
}

fn pool_line(i18n: I18n, pool: &TopologyPool) -> String {
    t_string!(
        i18n,
        topology.pool_summary,
        kind = pool_kind_name(i18n, pool.kind),
        version = version_name(pool.version),
        site = pool.site.clone(),
        capacity = count(i18n, u64::from(pool.capacity))
    )
    .to_string()
}

/// What differs between a pool as it is and as the file has it, one "field: from → to" each.
fn pool_differences(i18n: I18n, before: &TopologyPool, after: &TopologyPool) -> String {
    let mut parts = Vec::new();
    let mut differs = |name: &str, from: String, to: String| {
        if from != to {
            parts.push(format!("{name}: {from} → {to}"));
        }
    };
    differs(
        t_string!(i18n, topology.col_kind),
        pool_kind_name(i18n, before.kind).into(),
        pool_kind_name(i18n, after.kind).into(),
    );
    differs(
        t_string!(i18n, topology.col_version),
        version_name(before.version).into(),
        version_name(after.version).into(),
    );
    differs(t_string!(i18n, topology.col_site), before.site.clone(), after.site.clone());
    differs(
        t_string!(i18n, topology.col_capacity),
        count(i18n, u64::from(before.capacity)),
        count(i18n, u64::from(after.capacity)),
    );
    differs(
        t_string!(i18n, topology.col_availability),
        availability_name(i18n, before.available).into(),
        availability_name(i18n, after.available).into(),
    );
    differs(
        t_string!(i18n, topology.col_state),
        pool_state_name(i18n, before.state).into(),
        pool_state_name(i18n, after.state).into(),
    );
    parts.join("; ")
}

/// The changes of an import: before it runs (`done` false) or after.
#[component]
fn PlanView(plan: TopologyPlan, done: bool) -> impl IntoView {
    let i18n = use_i18n();
    let changes = plan.change_count();
    let rows = move || {
        let mut rows: Vec<(&'static str, String, String)> = Vec::new();
        if let Some((from, to)) = &plan.forest {
            rows.push((
                t_string!(i18n, topology.change_forest),
                to.clone(),
                format!("{} → {to}", if from.is_empty() { "—" } else { from }),
            ));
        }
        if let Some((from, to)) = &plan.default_domain {
            rows.push((
                t_string!(i18n, topology.change_default_domain),
                to.clone(),
                format!("{} → {to}", if from.is_empty() { "—" } else { from }),
            ));
        }
        for domain in &plan.domains_added {
            rows.push((t_string!(i18n, topology.change_domain_added), domain.clone(), String::new()));
        }
        for domain in &plan.domains_removed {
            rows.push((t_string!(i18n, topology.change_domain_removed), domain.clone(), String::new()));
        }
        for pool in &plan.pools_added {
            rows.push((
                t_string!(i18n, topology.change_pool_added),
                pool.fqdn.clone(),
                pool_line(i18n, pool),
            ));
        }
        for change in &plan.pools_changed {
            rows.push((
                t_string!(i18n, topology.change_pool_changed),
                change.after.fqdn.clone(),
                pool_differences(i18n, &change.before, &change.after),
            ));
        }
        for fqdn in &plan.pools_removed {
            rows.push((t_string!(i18n, topology.change_pool_removed), fqdn.clone(), String::new()));
        }
        rows
    };
    view! {
        <p class="alert alert-info" role="status" data-testid=if done { "topology-done" } else { "topology-summary" }>
            {move || {
                let n = count(i18n, changes);
                match (changes, done) {
                    (0, _) => t_string!(i18n, topology.nothing_to_change).to_string(),
                    (_, false) => t_string!(i18n, topology.preview_summary, changes = n).to_string(),
                    (_, true) => t_string!(i18n, topology.done_summary, changes = n).to_string(),
                }
            }}
        </p>
        {(changes > 0).then(|| view! {
            <div class="table-wrap" tabindex="0">
                <table class="data-table" data-testid="topology-plan">
                    <caption class="visually-hidden">{t!(i18n, topology.plan_caption)}</caption>
                    <thead><tr>
                        <th scope="col">{t!(i18n, topology.col_change)}</th>
                        <th scope="col">{t!(i18n, topology.col_item)}</th>
                        <th scope="col">{t!(i18n, topology.col_detail)}</th>
                    </tr></thead>
                    <tbody>
                        {move || rows().into_iter().map(|(change, item, detail)| view! {
                            <tr><td>{change}</td><td class="mono">{item}</td><td>{detail}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
    }
}

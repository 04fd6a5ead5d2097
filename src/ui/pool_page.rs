//! The pool property page.

use super::common::{
    ConfirmPanel, ErrorPanel, Loading, PageError, availability_name, count, page_title, pool_kind_name,
    pool_state_name, version_name,
};
use super::console::TreeResource;
use crate::api::get_pool_detail;
use crate::api::pools::{ChangePool, SetPoolState};
use crate::domain::AppError;
use crate::domain::format::format_percent;
use crate::domain::node::NodeId;
use crate::domain::operator::{Operator, Permission};
use crate::domain::pool::{PoolDetail, PoolId, PoolState};
use crate::domain::topology::TopologyProblem;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PoolPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.read().get("id").and_then(|s| s.parse::<i64>().ok()).map(PoolId).ok_or(AppError::PoolNotFound)
    });
    let detail = Resource::new(move || id.get(), |id| async move { get_pool_detail(id?).await });
    let detail_resource = detail;
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! {
                        <PoolView detail=detail.clone() />
                        <PoolStateActions detail on_changed=Callback::new(move |_: ()| detail_resource.refetch()) />
                    }
                    .into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PoolView(detail: PoolDetail) -> impl IntoView {
    let i18n = use_i18n();
    let pool = detail.summary.pool.clone();
    let used = detail.summary.user_count;
    let capacity = u64::from(pool.capacity);
    let fqdn = pool.fqdn.clone();
    let title_fqdn = fqdn.clone();
    let (kind, version, state, available) = (pool.kind, pool.version, pool.state, pool.available);
    view! {
        {page_title(move || format!("{} – {}", title_fqdn, t_string!(i18n, app_name)))}
        <div class="page-header">
            <h1>{move || t_string!(i18n, pool_page.title, fqdn = fqdn.clone()).to_string()}</h1>
            <A href=format!("/browse/{}", NodeId::Pool(pool.id)) attr:class="button">{t!(i18n, pool_page.show_users)}</A>
        </div>
        {(!pool.hosts_users()).then(|| view! {
            <p class="alert alert-warn">
                {move || t_string!(i18n, pool_page.inactive_note, count = count(i18n, used)).to_string()}
            </p>
        })}
        {(!available).then(|| view! { <p class="alert alert-warn">{t!(i18n, pool_page.unavailable_note)}</p> })}
        <section class="panel" aria-labelledby="pool-properties">
            <h2 id="pool-properties">{t!(i18n, pool_page.properties)}</h2>
            <dl class="properties">
                <dt>{t!(i18n, pool_page.fqdn)}</dt>
                <dd class="mono">{pool.fqdn.clone()}</dd>
                <dt>{t!(i18n, topology.col_site)}</dt>
                <dd data-testid="pool-site">{pool.site.clone()}</dd>
                <dt>{t!(i18n, pool_page.kind)}</dt>
                <dd>{move || pool_kind_name(i18n, kind)}</dd>
                <dt>{t!(i18n, pool_page.version)}</dt>
                <dd>{version_name(version)}</dd>
                <dt>{t!(i18n, pool_page.state)}</dt>
                <dd data-testid="pool-state">{move || pool_state_name(i18n, state)}</dd>
                <dt>{t!(i18n, pool_page.availability)}</dt>
                <dd data-testid="pool-availability">{move || availability_name(i18n, available)}</dd>
                <dt id="capacity-label">{t!(i18n, pool_page.capacity)}</dt>
                <dd>
                    <meter
                        min="0"
                        max=capacity.to_string()
                        low=(capacity * 7 / 10).to_string()
                        high=(capacity * 9 / 10).to_string()
                        optimum="0"
                        value=used.to_string()
                        aria-label=move || t_string!(i18n, pool_page.capacity_meter)
                    ></meter>
                    " "
                    <span data-testid="pool-capacity">
                        {move || {
                            t_string!(
                                i18n,
                                pool_page.capacity_used,
                                used = count(i18n, used),
                                capacity = count(i18n, capacity),
                                percent = format_percent(super::common::lang(i18n), used, capacity)
                            )
                            .to_string()
                        }}
                    </span>
                </dd>
                <dt>{t!(i18n, pool_page.enhanced_presence_users)}</dt>
                <dd>{move || count(i18n, detail.enhanced_presence_users)}</dd>
                <dt>{t!(i18n, pool_page.disabled_accounts)}</dt>
                <dd>{move || count(i18n, detail.disabled_accounts)}</dd>
            </dl>
        </section>
    }
}

/// Deactivate, remove or reactivate the pool, after a confirmation (Enterprise Administrators).
#[component]
fn PoolStateActions(detail: PoolDetail, on_changed: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let may = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManagePools));
    let action = ServerAction::<SetPoolState>::new();
    let asking = RwSignal::new(None::<PoolState>);
    let tree = use_context::<TreeResource>();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            asking.set(None);
            on_changed.run(());
            if let Some(tree) = tree {
                tree.0.refetch();
            }
        }
    });
    let pool = detail.summary.pool.clone();
    let (id, state, users) = (pool.id, pool.state, detail.summary.user_count);
    if !may || state == PoolState::Removed {
        return ().into_any();
    }
    let fqdn = StoredValue::new(pool.fqdn.clone());
    let change = ServerAction::<ChangePool>::new();
    let new_capacity = RwSignal::new(pool.capacity.to_string());
    let new_available = RwSignal::new(pool.available);
    let capacity_error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            on_changed.run(());
            if let Some(tree) = tree {
                tree.0.refetch();
            }
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        capacity_error.set(None);
        match new_capacity.get_untracked().trim().parse::<u32>() {
            Ok(capacity) => {
                change.dispatch(ChangePool { pool: id, capacity, available: new_available.get_untracked() });
            }
            Err(_) => {
                capacity_error.set(Some(AppError::PoolInvalid { problem: TopologyProblem::InvalidCapacity }))
            }
        }
    };
    let ask = move |target: PoolState| {
        move |_| {
            if target == PoolState::Active {
                action.dispatch(SetPoolState { pool: id, state: target });
            } else {
                asking.set(Some(target));
            }
        }
    };
    view! {
        <section class="panel pool-admin" aria-labelledby="pool-change-title">
            <h2 id="pool-change-title">{t!(i18n, topology.change_title)}</h2>
            <form class="pool-form" on:submit=save data-testid="pool-change-form">
                <div class="field">
                    <label for="pool-new-capacity">{t!(i18n, topology.col_capacity)}</label>
                    <input id="pool-new-capacity" type="number" min="1" max="1000000" required inputmode="numeric"
                        prop:value=move || new_capacity.get() on:input=move |ev| new_capacity.set(event_target_value(&ev)) />
                </div>
                <div class="field field-check">
                    <input id="pool-new-available" type="checkbox" prop:checked=move || new_available.get()
                        on:change=move |ev| new_available.set(event_target_checked(&ev)) />
                    <label for="pool-new-available">{t!(i18n, topology.available_label)}</label>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || change.pending().get()>{t!(i18n, topology.save_button)}</button>
                </div>
            </form>
            {move || capacity_error.get().or_else(|| change.value().get().and_then(Result::err)).map(|error| view! { <ErrorPanel error /> })}
            <h2 id="pool-admin-title">{t!(i18n, pool_admin.title)}</h2>
            <div class="list-actions">
                {(state == PoolState::Active).then(|| view! {
                    <button type="button" class="button" on:click=ask(PoolState::Deactivated)>{t!(i18n, pool_admin.deactivate)}</button>
                })}
                {(state == PoolState::Deactivated).then(|| view! {
                    <button type="button" class="button" on:click=ask(PoolState::Active)>{t!(i18n, pool_admin.reactivate)}</button>
                })}
                <button type="button" class="button button-quiet" on:click=ask(PoolState::Removed)>{t!(i18n, pool_admin.remove)}</button>
            </div>
            {move || asking.get().map(|target| view! {
                <ConfirmPanel labelled_by="pool-admin-title" question_id="pool-confirm-text" question_testid="pool-confirm-text"
                    question=Signal::derive(move || {
                        let (f, n) = (fqdn.get_value(), count(i18n, users));
                        if target == PoolState::Removed {
                            t_string!(i18n, pool_admin.confirm_remove, fqdn = f, count = n).to_string()
                        } else {
                            t_string!(i18n, pool_admin.confirm_deactivate, fqdn = f, count = n).to_string()
                        }
                    })
                    cancel=Signal::derive(move || t_string!(i18n, pool_admin.cancel).to_string())
                    confirm=Signal::derive(move || t_string!(i18n, pool_admin.confirm).to_string())
                    on_cancel=Callback::new(move |_| asking.set(None))
                    on_confirm=Callback::new(move |_| { action.dispatch(SetPoolState { pool: id, state: target }); }) />
            })}
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
        </section>
    }
    .into_any()
}

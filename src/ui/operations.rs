//! The delete and configure wizards: what the operation takes and does is shown first, and
//! nothing changes until the operator confirms.

use super::common::{
    ErrorPanel, I18n, Loading, PasswordConfirm, archiving_name, count, step_up_error, telephony_name,
    version_short_name,
};
use super::console::{SelectedUsers, TreeResource};
use super::target::{WizardTarget, from_url, scope_text};
use crate::api::operations::{ConfigureUsers, DeleteUsers, preview_configure, preview_delete};
use crate::domain::configure::{ConfigureLine, ConfigurePreview, ConfigureSkip, SettingsChange};
use crate::domain::delete::{DeleteLine, DeletePreview};
use crate::domain::jobs::Started;
use crate::domain::operator::{Operator, Permission};
use crate::domain::search::UserTarget;
use crate::domain::user::{ArchivingPolicy, ServerDataCounts, Telephony};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// After a change: the selection is spent and the tree's counts are stale.
fn after_change() {
    if let Some(selected) = use_context::<SelectedUsers>() {
        selected.0.set(Default::default());
    }
    if let Some(tree) = use_context::<TreeResource>() {
        tree.0.refetch();
    }
}

/// The page frame of a wizard: title, the users it takes, or why it cannot start.
fn frame_blocked(i18n: I18n, title: fn(I18n) -> &'static str, message: AnyView, back: String) -> AnyView {
    view! {
        <Title text=move || format!("{} – {}", title(i18n), t_string!(i18n, app_name)) />
        <div class="page-header"><h1>{move || title(i18n)}</h1></div>
        {message}
        <p><A href=back>{t!(i18n, moves.back_to_list)}</A></p>
    }
    .into_any()
}

/// The users a wizard works on and the way back, if the operator may manage users and the URL
/// names some; otherwise the page that says why.
fn wizard_users(i18n: I18n, title: fn(I18n) -> &'static str) -> Result<(UserTarget, String), AnyView> {
    let WizardTarget { target, back, .. } = from_url(use_query_map());
    if !use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers)) {
        let message =
            view! { <p class="alert alert-error" role="alert">{t!(i18n, errors.forbidden)}</p> }.into_any();
        return Err(frame_blocked(i18n, title, message, back));
    }
    match target {
        Some(target) => Ok((target, back)),
        None => {
            let message =
                view! { <p class="alert alert-warn">{t!(i18n, moves.nothing_selected)}</p> }.into_any();
            Err(frame_blocked(i18n, title, message, back))
        }
    }
}

/// The amounts of server data, one row per kind.
#[component]
fn DataCounts(counts: ServerDataCounts, caption: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    type CountRow = (fn(I18n) -> &'static str, u64);
    let rows: [CountRow; 6] = [
        (|i| t_string!(i, user_page.contacts), counts.contacts),
        (|i| t_string!(i, user_page.contact_groups), counts.contact_groups),
        (|i| t_string!(i, user_page.allowed), counts.allowed),
        (|i| t_string!(i, user_page.blocked), counts.blocked),
        (|i| t_string!(i, user_page.meetings), counts.meetings),
        (|i| t_string!(i, user_page.presence_items), counts.presence_items),
    ];
    view! {
        <table class="data-table compact" data-testid="delete-totals">
            <caption>{caption}</caption>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(label, n)| view! {
                        <tr><th scope="row">{move || label(i18n)}</th><td class="num">{move || count(i18n, n)}</td></tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn DeleteLines(users: Vec<DeleteLine>, total: usize) -> impl IntoView {
    let i18n = use_i18n();
    let shown = users.len();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="delete-users">
                <caption class="visually-hidden">{t!(i18n, delete.users_caption)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, users.col_display_name)}</th>
                    <th scope="col">{t!(i18n, users.col_sip_uri)}</th>
                    <th scope="col">{t!(i18n, users.col_pool)}</th>
                    <th scope="col" class="num">{t!(i18n, user_page.contacts)}</th>
                    <th scope="col" class="num">{t!(i18n, user_page.meetings)}</th>
                </tr></thead>
                <tbody>
                    {users.into_iter().map(|u| view! {
                        <tr>
                            <td>{u.display_name}</td>
                            <td class="mono">{format!("sip:{}", u.sip_uri)}</td>
                            <td>{u.pool_fqdn}</td>
                            <td class="num">{move || count(i18n, u.data.contacts)}</td>
                            <td class="num">{move || count(i18n, u.data.meetings)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(shown < total).then(|| view! {
            <p class="hint">{move || t_string!(i18n, moves.lines_shown, shown = count(i18n, shown as u64), total = count(i18n, total as u64)).to_string()}</p>
        })}
    }
}

#[component]
pub fn DeletePage() -> impl IntoView {
    let i18n = use_i18n();
    let (target, back) = match wizard_users(i18n, |i| t_string!(i, delete.title)) {
        Ok(users) => users,
        Err(page) => return page,
    };
    let scope = {
        let target = target.clone();
        move || scope_text(i18n, &target)
    };
    let preview = Resource::new(|| (), move |_| preview_delete(target.clone()));
    let run = ServerAction::<DeleteUsers>::new();
    let confirmed = RwSignal::new(false);
    // A wrong confirmation password keeps the confirmation open; anything else is the result.
    let finished = move || {
        run.value()
            .with(|v| matches!(v, Some(Ok(_))) || matches!(v, Some(Err(e)) if !e.asks_for_password_again()))
    };
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match run.value().get() {
        Some(Ok(Started::Done(_))) => after_change(),
        // A large operation runs as a job: follow it on its own page.
        Some(Ok(Started::Job(job))) => {
            after_change();
            navigate(&format!("/jobs/{job}"), Default::default());
        }
        _ => {}
    });
    let back = StoredValue::new(back);
    view! {
        <Title text=move || format!("{} – {}", t_string!(i18n, delete.title), t_string!(i18n, app_name)) />
        <div class="page-header"><h1>{t!(i18n, delete.title)}</h1></div>
        <p class="alert alert-info" data-testid="delete-scope">{scope}</p>
        <Show
            when=move || !finished()
            fallback=move || view! {
                <section class="wizard-step" aria-labelledby="delete-done-title">
                    <h2 id="delete-done-title">{t!(i18n, delete.done_title)}</h2>
                    {move || match run.value().get() {
                        Some(Ok(Started::Job(_))) => view! { <Loading /> }.into_any(),
                        Some(Ok(Started::Done(result))) => {
                            let n = result.preview.user_ids.len() as u64;
                            let event = result.event_id;
                            view! {
                                <p class="alert alert-success" role="status" data-testid="delete-result">
                                    {move || t_string!(i18n, delete.done, count = count(i18n, n)).to_string()}
                                </p>
                                <p>{t!(i18n, delete.directory_kept)}</p>
                                <p>
                                    <A href="/enable">{t!(i18n, enable.open_wizard)}</A>" · "
                                    <A href=format!("/audit/{event}")>{t!(i18n, audit.view_record)}</A>
                                </p>
                            }.into_any()
                        }
                        Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                        None => view! { <Loading /> }.into_any(),
                    }}
                    <div class="wizard-actions">
                        <A href=back.get_value() attr:class="button button-primary">{t!(i18n, moves.back_to_list)}</A>
                    </div>
                </section>
            }
        >
            <section class="wizard-step" aria-labelledby="delete-preview-title">
                <h2 id="delete-preview-title">{t!(i18n, delete.preview_title)}</h2>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Err(error) => view! {
                                <ErrorPanel error />
                                <div class="wizard-actions"><A href=back.get_value() attr:class="button">{t!(i18n, moves.cancel)}</A></div>
                            }.into_any(),
                            Ok(preview) => delete_confirmation(i18n, preview, confirmed, run, back.get_value()),
                        }
                    })}
                </Suspense>
            </section>
        </Show>
    }
    .into_any()
}

fn delete_confirmation(
    i18n: I18n,
    preview: DeletePreview,
    confirmed: RwSignal<bool>,
    run: ServerAction<DeleteUsers>,
    back: String,
) -> AnyView {
    let n = preview.user_ids.len();
    let ids = StoredValue::new(preview.user_ids.clone());
    let totals = preview.totals;
    let password = RwSignal::new(String::new());
    view! {
        <p class="alert alert-warn" data-testid="delete-summary">
            {move || t_string!(i18n, delete.summary, count = count(i18n, n as u64), items = count(i18n, totals.total())).to_string()}
        </p>
        <DataCounts counts=totals caption=Signal::derive(move || t_string!(i18n, delete.totals_caption).to_string()) />
        <DeleteLines users=preview.users total=n />
        <label class="checkbox confirm">
            <input type="checkbox" prop:checked=move || confirmed.get() on:change=move |ev| confirmed.set(event_target_checked(&ev)) />
            {move || t_string!(i18n, delete.confirm_label, count = count(i18n, n as u64)).to_string()}
        </label>
        <PasswordConfirm password error=step_up_error(move || run.value().get()) />
        <div class="wizard-actions">
            <A href=back attr:class="button">{t!(i18n, moves.cancel)}</A>
            <button
                type="button"
                class="button button-danger"
                disabled=move || !confirmed.get() || password.with(String::is_empty) || run.pending().get()
                on:click=move |_| {
                    run.dispatch(DeleteUsers { users: ids.get_value(), password: password.get_untracked() });
                }
            >
                {move || t_string!(i18n, delete.submit, count = count(i18n, n as u64)).to_string()}
            </button>
        </div>
    }
    .into_any()
}

pub(super) fn skip_name(i18n: I18n, skip: ConfigureSkip) -> &'static str {
    match skip {
        ConfigureSkip::EarlierVersion => t_string!(i18n, configure.skip_earlier_version),
        ConfigureSkip::Unassigned => t_string!(i18n, configure.skip_unassigned),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigureStep {
    Settings,
    Preview,
    Results,
}

/// A setting with "leave unchanged" and on/off.
#[component]
fn OnOff(id: &'static str, label: Signal<String>, value: RwSignal<Option<bool>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| value.set(match event_target_value(&ev).as_str() {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            })>
                <option value="" selected=move || value.get().is_none()>{t!(i18n, configure.unchanged)}</option>
                <option value="on" selected=move || value.get() == Some(true)>{t!(i18n, configure.turn_on)}</option>
                <option value="off" selected=move || value.get() == Some(false)>{t!(i18n, configure.turn_off)}</option>
            </select>
        </div>
    }
}

#[component]
pub fn ConfigurePage() -> impl IntoView {
    let i18n = use_i18n();
    let (target, back) = match wizard_users(i18n, |i| t_string!(i, configure.title)) {
        Ok(users) => users,
        Err(page) => return page,
    };
    let scope = {
        let target = target.clone();
        move || scope_text(i18n, &target)
    };
    let step = RwSignal::new(ConfigureStep::Settings);
    let federation = RwSignal::new(None::<bool>);
    let remote = RwSignal::new(None::<bool>);
    let public_im = RwSignal::new(None::<bool>);
    let enhanced = RwSignal::new(false);
    let archiving = RwSignal::new(None::<ArchivingPolicy>);
    // None: unchanged; Some(None): global policy; Some(Some(name)).
    let policy = RwSignal::new(None::<Option<String>>);
    let telephony = RwSignal::new(None::<Telephony>);
    let change = move || SettingsChange {
        federation: federation.get_untracked(),
        remote_access: remote.get_untracked(),
        public_im: public_im.get_untracked(),
        enable_enhanced_presence: enhanced.get_untracked(),
        archiving: archiving.get_untracked(),
        meeting_policy: policy.get_untracked(),
        telephony: telephony.get_untracked(),
    };
    let asked = RwSignal::new(None::<SettingsChange>);
    let preview = {
        let target = target.clone();
        Resource::new(
            move || asked.get(),
            move |change| {
                let target = target.clone();
                async move {
                    match change {
                        Some(change) => Some(preview_configure(target, change).await),
                        None => None,
                    }
                }
            },
        )
    };
    let run = ServerAction::<ConfigureUsers>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match run.value().get() {
        Some(Ok(Started::Done(_))) => after_change(),
        // A large operation runs as a job: follow it on its own page.
        Some(Ok(Started::Job(job))) => {
            after_change();
            navigate(&format!("/jobs/{job}"), Default::default());
        }
        _ => {}
    });
    let options = Resource::new(|| (), |_| crate::api::search::get_search_options());
    let back = StoredValue::new(back);
    let steps = [ConfigureStep::Settings, ConfigureStep::Preview, ConfigureStep::Results];
    let step_name = move |s: ConfigureStep| match s {
        ConfigureStep::Settings => t_string!(i18n, configure.step_settings),
        ConfigureStep::Preview => t_string!(i18n, configure.step_preview),
        ConfigureStep::Results => t_string!(i18n, configure.step_results),
    };
    let l = move |get: fn(I18n) -> &'static str| Signal::derive(move || get(i18n).to_string());
    view! {
        <Title text=move || format!("{} – {}", t_string!(i18n, configure.title), t_string!(i18n, app_name)) />
        <div class="page-header"><h1>{t!(i18n, configure.title)}</h1></div>
        {super::common::wizard_steps(move || t_string!(i18n, moves.steps_label).to_string(), steps.to_vec(), step, step_name)}
        <p class="alert alert-info" data-testid="configure-scope">{scope}</p>
        <Show when=move || step.get() == ConfigureStep::Settings>
            <section class="wizard-step" aria-labelledby="configure-settings-title">
                <h2 id="configure-settings-title">{t!(i18n, configure.step_settings)}</h2>
                <p class="hint">{t!(i18n, configure.settings_hint)}</p>
                <div class="filter-grid">
                    <OnOff id="c-federation" label=l(|i| t_string!(i, search.f_federation)) value=federation />
                    <OnOff id="c-remote" label=l(|i| t_string!(i, search.f_remote_access)) value=remote />
                    <OnOff id="c-public-im" label=l(|i| t_string!(i, search.f_public_im)) value=public_im />
                    <div class="field">
                        <label for="c-archiving">{t!(i18n, search.f_archiving)}</label>
                        <select id="c-archiving" on:change=move |ev| archiving.set(event_target_value(&ev).parse().ok())>
                            <option value="">{t!(i18n, configure.unchanged)}</option>
                            {ArchivingPolicy::ALL.into_iter().map(|a| view! {
                                <option value=a.as_str()>{move || archiving_name(i18n, a)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="c-policy">{t!(i18n, search.f_meeting_policy)}</label>
                        <select id="c-policy" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            policy.set(match v.as_str() {
                                "" => None,
                                crate::domain::search::GLOBAL_POLICY => Some(None),
                                name => Some(Some(name.to_string())),
                            });
                        }>
                            <option value="">{t!(i18n, configure.unchanged)}</option>
                            <option value=crate::domain::search::GLOBAL_POLICY>{t!(i18n, search.global_policy)}</option>
                            <Suspense>
                                {move || Suspend::new(async move {
                                    options.await.map(|o| o.meeting_policies).unwrap_or_default().into_iter()
                                        .map(|p| view! { <option value=p.clone()>{p.clone()}</option> })
                                        .collect_view()
                                })}
                            </Suspense>
                        </select>
                    </div>
                    <div class="field">
                        <label for="c-telephony">{t!(i18n, search.f_telephony)}</label>
                        <select id="c-telephony" on:change=move |ev| telephony.set(event_target_value(&ev).parse().ok())>
                            <option value="">{t!(i18n, configure.unchanged)}</option>
                            {Telephony::ALL.into_iter().map(|t| view! {
                                <option value=t.as_str()>{move || telephony_name(i18n, t)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                <label class="checkbox">
                    <input type="checkbox" id="c-enhanced" prop:checked=move || enhanced.get()
                        on:change=move |ev| enhanced.set(event_target_checked(&ev)) />
                    {t!(i18n, configure.enable_enhanced_presence)}
                </label>
                <p class="field-hint">{t!(i18n, configure.enhanced_presence_hint)}</p>
                <div class="wizard-actions">
                    <A href=back.get_value() attr:class="button">{t!(i18n, moves.cancel)}</A>
                    <button type="button" class="button button-primary" on:click=move |_| {
                        asked.set(Some(change()));
                        step.set(ConfigureStep::Preview);
                    }>{t!(i18n, configure.to_preview)}</button>
                </div>
            </section>
        </Show>
        <Show when=move || step.get() == ConfigureStep::Preview>
            <section class="wizard-step" aria-labelledby="configure-preview-title">
                <h2 id="configure-preview-title">{t!(i18n, configure.step_preview)}</h2>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match preview.await {
                            None => view! { <Loading /> }.into_any(),
                            Some(Err(error)) => view! {
                                <ErrorPanel error />
                                <div class="wizard-actions">
                                    <button type="button" class="button" on:click=move |_| step.set(ConfigureStep::Settings)>{t!(i18n, moves.back)}</button>
                                </div>
                            }.into_any(),
                            Some(Ok(preview)) => {
                                let ids = StoredValue::new(preview.user_ids.clone());
                                let change = StoredValue::new(preview.change.clone());
                                let to_change = preview.to_change;
                                view! {
                                    <ConfigureSummary preview=preview.clone() />
                                    <ConfigureLines lines=preview.users.clone() total=preview.user_ids.len() />
                                    <div class="wizard-actions">
                                        <button type="button" class="button" on:click=move |_| step.set(ConfigureStep::Settings)>{t!(i18n, moves.back)}</button>
                                        <button type="button" class="button button-primary" disabled=move || to_change == 0 || run.pending().get()
                                            on:click=move |_| {
                                                run.dispatch(ConfigureUsers { users: ids.get_value(), change: change.get_value() });
                                                step.set(ConfigureStep::Results);
                                            }>
                                            {move || t_string!(i18n, configure.apply, count = count(i18n, to_change)).to_string()}
                                        </button>
                                    </div>
                                }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </section>
        </Show>
        <Show when=move || step.get() == ConfigureStep::Results>
            <section class="wizard-step" aria-labelledby="configure-results-title">
                <h2 id="configure-results-title">{t!(i18n, configure.step_results)}</h2>
                {move || match run.value().get() {
                    None => view! { <p class="loading" role="status">{t!(i18n, configure.running)}</p> }.into_any(),
                    Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                    Some(Ok(Started::Job(_))) => view! { <p class="loading" role="status">{t!(i18n, configure.running)}</p> }.into_any(),
                    Some(Ok(Started::Done(result))) => {
                        let event = result.event_id;
                        view! {
                            <ConfigureSummary preview=result.preview.clone() done=true />
                            <ConfigureLines lines=result.preview.users.clone() total=result.preview.user_ids.len() />
                            <p><A href=format!("/audit/{event}")>{t!(i18n, audit.view_record)}</A></p>
                        }.into_any()
                    }
                }}
                <div class="wizard-actions">
                    <A href=back.get_value() attr:class="button button-primary">{t!(i18n, moves.back_to_list)}</A>
                </div>
            </section>
        </Show>
    }
    .into_any()
}

#[component]
fn ConfigureSummary(preview: ConfigurePreview, #[prop(optional)] done: bool) -> impl IntoView {
    let i18n = use_i18n();
    let (changing, skipped) = (preview.to_change, preview.skipped);
    view! {
        <p class="alert alert-info" role="status" data-testid="configure-summary">
            {move || if done {
                t_string!(i18n, configure.done, changed = count(i18n, changing), skipped = count(i18n, skipped)).to_string()
            } else {
                t_string!(i18n, configure.summary, changed = count(i18n, changing), skipped = count(i18n, skipped)).to_string()
            }}
        </p>
    }
}

#[component]
fn ConfigureLines(lines: Vec<ConfigureLine>, total: usize) -> impl IntoView {
    let i18n = use_i18n();
    let shown = lines.len();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="configure-users">
                <caption class="visually-hidden">{t!(i18n, configure.users_caption)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, users.col_display_name)}</th>
                    <th scope="col">{t!(i18n, users.col_sip_uri)}</th>
                    <th scope="col">{t!(i18n, users.col_pool)}</th>
                    <th scope="col">{t!(i18n, users.col_version)}</th>
                    <th scope="col">{t!(i18n, configure.col_outcome)}</th>
                </tr></thead>
                <tbody>
                    {lines.into_iter().map(|l| {
                        let skip = l.skip;
                        view! {
                            <tr class:skipped=skip.is_some()>
                                <td>{l.display_name}</td>
                                <td class="mono">{format!("sip:{}", l.sip_uri)}</td>
                                <td>{l.pool_fqdn}</td>
                                <td>{version_short_name(l.version)}</td>
                                <td>{move || match skip {
                                    None => t_string!(i18n, configure.will_change).to_string(),
                                    Some(s) => t_string!(i18n, configure.not_changed, reason = skip_name(i18n, s)).to_string(),
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(shown < total).then(|| view! {
            <p class="hint">{move || t_string!(i18n, moves.lines_shown, shown = count(i18n, shown as u64), total = count(i18n, total as u64)).to_string()}</p>
        })}
    }
}

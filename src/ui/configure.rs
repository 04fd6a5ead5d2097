//! The configure wizard: the settings to change, a preview of who changes and who is left alone
//! (earlier versions, unassigned users), then the run.

use super::common::{I18n, archiving_name, count, page_title, telephony_name, version_short_name};
use super::delete::wizard_users;
use super::target::scope_text;
use super::wizard::{self, WizardSelection};
use crate::api::operations::{ConfigureUsers, preview_configure};
use crate::domain::configure::{ConfigureLine, ConfigurePreview, ConfigureSkip, SettingsChange};
use crate::domain::jobs::Started;
use crate::domain::operation::{Previewed, SelectionSource};
use crate::domain::user::{ArchivingPolicy, Telephony};
use crate::i18n::*;
use crate::ui::schedule::{ScheduleFields, ScheduleInput, ScheduleNote};
use leptos::prelude::*;
use leptos_router::components::A;

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
    let asked = wizard::Ask::new();
    let selection = WizardSelection::new(SelectionSource::Users(target));
    let schedule = ScheduleInput::new();
    let preview = wizard::preview_resource(asked, move |change| async move {
        preview_configure(selection.id().await?, change, schedule.request()).await
    });
    let run = ServerAction::<ConfigureUsers>::new();
    wizard::follow_run(move || run.value().get());
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
        {page_title(move || format!("{} – {}", t_string!(i18n, configure.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, configure.title)}</h1></div>
        {wizard::steps(move || t_string!(i18n, wizard.steps_label).to_string(), steps.to_vec(), step, step_name)}
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
                <ScheduleFields input=schedule id="configure" />
                <div class="wizard-actions">
                    <A href=back.get_value() attr:class="button">{t!(i18n, wizard.cancel)}</A>
                    <button type="button" class="button button-primary" on:click=move |_| {
                        asked.ask(change());
                        step.set(ConfigureStep::Preview);
                    }>{t!(i18n, configure.to_preview)}</button>
                </div>
            </section>
        </Show>
        <Show when=move || step.get() == ConfigureStep::Preview>
            {wizard::preview_section(
                "configure-preview-title",
                move || t_string!(i18n, configure.step_preview).to_string(),
                preview,
                move || step.set(ConfigureStep::Settings),
                move |Previewed { token, preview, schedule, .. }| {
                    let token = StoredValue::new(token);
                    let to_change = preview.to_change;
                    view! {
                        <ScheduleNote summary=schedule />
                        <ConfigureSummary preview=preview.clone() />
                        <ConfigureLines lines=preview.users.clone() total=preview.count as usize />
                        <div class="wizard-actions">
                            <button type="button" class="button" on:click=move |_| step.set(ConfigureStep::Settings)>{t!(i18n, wizard.back)}</button>
                            <button type="button" class="button button-primary" disabled=move || to_change == 0 || run.pending().get()
                                on:click=move |_| {
                                    run.dispatch(ConfigureUsers { token: token.get_value() });
                                    step.set(ConfigureStep::Results);
                                }>
                                {move || t_string!(i18n, configure.apply, count = count(i18n, to_change)).to_string()}
                            </button>
                        </div>
                    }.into_any()
                },
            )}
        </Show>
        <Show when=move || step.get() == ConfigureStep::Results>
            <section class="wizard-step" aria-labelledby="configure-results-title">
                <h2 id="configure-results-title">{t!(i18n, configure.step_results)}</h2>
                {move || match run.value().get() {
                    None => view! { <p class="loading" role="status">{t!(i18n, configure.running)}</p> }.into_any(),
                    Some(Err(error)) => wizard::refused(error, move || step.set(ConfigureStep::Settings)),
                    Some(Ok(Started::Job(_) | Started::Requested(_))) => view! { <p class="loading" role="status">{t!(i18n, configure.running)}</p> }.into_any(),
                    Some(Ok(Started::Done(result))) => {
                        let event = result.event_id;
                        view! {
                            <ConfigureSummary preview=result.preview.clone() done=true />
                            <ConfigureLines lines=result.preview.users.clone() total=result.preview.count as usize />
                            <p><A href=format!("/audit/{event}")>{t!(i18n, audit.view_record)}</A></p>
                        }.into_any()
                    }
                }}
                <div class="wizard-actions">
                    <A href=back.get_value() attr:class="button button-primary">{t!(i18n, wizard.back_to_list)}</A>
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
        {super::wizard::lines_shown(shown as u64, total as u64)}
    }
}

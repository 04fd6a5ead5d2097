//! The move wizard: choose the destination (and force), preview what each user keeps and loses,
//! confirm (a forced move repeats its totals), and read the results.

use super::common::{
    I18n, Loading, PasswordConfirm, count, page_title, step_up_error, version_name, version_short_name,
};
use super::console::TreeResource;
use super::wizard::{self, WizardSelection};
use crate::api::operations::{MoveUsers, preview_move};
use crate::domain::jobs::MoveStarted;
use crate::domain::moves::{DataFate, DataKind, MovePreview, MoveRefusal, MoveTotals, UserMovePlan, holds};
use crate::domain::node::NodeId;
use crate::domain::operation::{MoveOptions, PreviewToken, Previewed, SelectionSource};
use crate::domain::operator::{Operator, Permission};
use crate::domain::pool::{PoolId, PoolState};
use crate::i18n::*;
use crate::ui::schedule::{ScheduleFields, ScheduleInput, ScheduleNote};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Destination,
    Preview,
    Results,
}

pub(crate) fn refusal_name(i18n: I18n, refusal: MoveRefusal) -> &'static str {
    match refusal {
        MoveRefusal::AlreadyThere => t_string!(i18n, moves.refusal_already_there),
        MoveRefusal::ConvertedToEnhancedPresence => {
            t_string!(i18n, moves.refusal_converted_to_enhanced_presence)
        }
        MoveRefusal::NeedsForce => t_string!(i18n, moves.refusal_needs_force),
        MoveRefusal::NotEnabled => t_string!(i18n, moves.refusal_not_enabled),
        MoveRefusal::DestinationFull => t_string!(i18n, moves.refusal_destination_full),
    }
}

fn kind_name(i18n: I18n, kind: DataKind) -> &'static str {
    match kind {
        DataKind::Contacts => t_string!(i18n, moves.kind_contacts),
        DataKind::AccessEntries => t_string!(i18n, moves.kind_access),
        DataKind::Meetings => t_string!(i18n, moves.kind_meetings),
        DataKind::EnhancedPresence => t_string!(i18n, moves.kind_presence),
    }
}

#[component]
pub fn MovePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let tree = use_context::<TreeResource>().map(|t| t.0);
    let may_move = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let super::target::WizardTarget { target, back, node } = super::target::from_url(query);
    let step = RwSignal::new(Step::Destination);
    let destination = RwSignal::new(None::<PoolId>);
    let force = RwSignal::new(false);
    let run = ServerAction::<MoveUsers>::new();
    let Some(target) = target else {
        return wizard::blocked(
            i18n,
            |i| t_string!(i, moves.title),
            wizard::nothing_selected_message(i18n),
            back,
        );
    };
    let selection = WizardSelection::new(SelectionSource::Users(target.clone()));
    let asked = wizard::Ask::new();
    let schedule = ScheduleInput::new();
    let preview = wizard::preview_resource(asked, move |options| async move {
        preview_move(selection.id().await?, options, schedule.request()).await
    });
    let scope_text = {
        let target = target.clone();
        move || super::target::scope_text(i18n, &target)
    };
    let steps = [Step::Destination, Step::Preview, Step::Results];
    let step_name = move |s: Step| match s {
        Step::Destination => t_string!(i18n, moves.step_destination),
        Step::Preview => t_string!(i18n, wizard.step_preview),
        Step::Results => t_string!(i18n, wizard.step_results),
    };
    let source_pool = match node {
        Some(NodeId::Pool(id)) => Some(id),
        _ => None,
    };
    let ask_preview = {
        Callback::new(move |_: ()| {
            if let Some(destination) = destination.get_untracked() {
                asked.ask(MoveOptions { destination, force: force.get_untracked() });
                step.set(Step::Preview);
            }
        })
    };
    let back = StoredValue::new(back);
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, moves.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, moves.title)}</h1></div>
        {wizard::steps(move || t_string!(i18n, wizard.steps_label).to_string(), steps.to_vec(), step, step_name)}
        <p class="alert alert-info" data-testid="move-scope">{scope_text}</p>
        <Show when=move || step.get() == Step::Destination>
            <section class="wizard-step" aria-labelledby="move-destination-title">
                <h2 id="move-destination-title">{t!(i18n, moves.step_destination)}</h2>
                <Suspense fallback=Loading>
                    {move || {
                        Suspend::new(async move {
                        let pools = match tree {
                            Some(t) => t.await.map(|t| t.pools).unwrap_or_default(),
                            None => vec![],
                        };
                        let mut pools: Vec<_> = pools
                            .into_iter()
                            .filter(|p| p.pool.state == PoolState::Active && Some(p.pool.id) != source_pool)
                            .collect();
                        // Current-version pools first: the usual destination, and no data lost.
                        pools.sort_by(|a, b| {
                            b.pool.version.cmp(&a.pool.version).then_with(|| a.pool.fqdn.cmp(&b.pool.fqdn))
                        });
                        if destination.get_untracked().is_none() {
                            destination.set(pools.first().map(|p| p.pool.id));
                        }
                        let current_version = {
                            let pools = pools.clone();
                            move || destination.get().and_then(|d| pools.iter().find(|p| p.pool.id == d).map(|p| p.pool.version))
                        };
                        view! {
                            <div class="form-grid">
                                <label for="move-destination">{t!(i18n, moves.destination)}</label>
                                <select
                                    id="move-destination"
                                    on:change=move |ev| destination.set(event_target_value(&ev).parse().ok().map(PoolId))
                                >
                                    {pools.iter().map(|p| {
                                        let p = p.clone();
                                        let id = p.pool.id;
                                        view! {
                                            <option value=id.0.to_string() selected=move || destination.get() == Some(id)>
                                                {move || {
                                                    let free = u64::from(p.pool.capacity).saturating_sub(p.user_count);
                                                    let note = if p.pool.available { "" } else { t_string!(i18n, moves.unavailable_note) };
                                                    t_string!(
                                                        i18n,
                                                        moves.destination_option,
                                                        fqdn = p.pool.fqdn.clone(),
                                                        version = version_short_name(p.pool.version),
                                                        free = count(i18n, free),
                                                        capacity = count(i18n, p.pool.capacity.into()),
                                                        note = note
                                                    )
                                                    .to_string()
                                                }}
                                            </option>
                                        }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="choice">
                                <input type="checkbox" id="move-force" prop:checked=move || force.get()
                                    on:change=move |ev| force.set(event_target_checked(&ev)) />
                                <label for="move-force">{t!(i18n, moves.force)}</label>
                            </div>
                            <p class="muted">{t!(i18n, moves.force_hint)}</p>
                            <ScheduleFields input=schedule id="move" />
                            <h3 class="subheading">{t!(i18n, moves.capability_title)}</h3>
                            <ul class="capabilities" data-testid="capabilities">
                                {DataKind::ALL.into_iter().map(|kind| {
                                    let current_version = current_version.clone();
                                    view! {
                                        <li>
                                            {move || kind_name(i18n, kind)}": "
                                            {move || match current_version() {
                                                Some(v) if holds(v, kind) && !force.get() => t_string!(i18n, moves.holds),
                                                Some(_) => t_string!(i18n, moves.lacks),
                                                None => "",
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <div class="wizard-actions">
                                <A href=back.get_value() attr:class="button">{t!(i18n, wizard.cancel)}</A>
                                <button type="button" class="button button-primary" data-testid="move-preview"
                                    disabled=move || destination.get().is_none() || !may_move
                                    on:click=move |_| ask_preview.run(())>
                                    {t!(i18n, moves.preview_button)}
                                </button>
                            </div>
                        }
                    })}}
                </Suspense>
            </section>
        </Show>
        <Show when=move || step.get() == Step::Preview>
            <PreviewStep step preview run />
        </Show>
        <Show when=move || step.get() == Step::Results>
            <ResultsStep run step back=back.get_value() />
        </Show>
    }
    .into_any()
}

#[component]
fn Totals(totals: MoveTotals, results: bool) -> impl IntoView {
    let i18n = use_i18n();
    let MoveTotals { moving, refused, kept, lost } = totals;
    view! {
        <p class="alert alert-info" data-testid=if results { "move-results-totals" } else { "move-totals" } role="status">
            {move || {
                let (m, r, k, l) = (count(i18n, moving), count(i18n, refused), count(i18n, kept), count(i18n, lost));
                if results {
                    t_string!(i18n, moves.results_summary, moving = m, refused = r, kept = k, lost = l).to_string()
                } else {
                    t_string!(i18n, moves.totals, moving = m, refused = r, kept = k, lost = l).to_string()
                }
            }}
        </p>
    }
}

#[component]
fn PlanTable(users: Vec<UserMovePlan>, total: usize) -> impl IntoView {
    let i18n = use_i18n();
    let shown = users.len();
    let fate = move |f: DataFate| {
        view! { <span>{move || t_string!(i18n, moves.kept_lost, kept = count(i18n, f.kept), lost = count(i18n, f.lost)).to_string()}</span> }
    };
    let rows = users
        .into_iter()
        .map(|u| {
            let refusal = u.refusal;
            let flagged = refusal.is_some() || u.lost() > 0;
            view! {
                <tr class:problem=flagged>
                    <td>
                        <span class="person-name">{u.display_name.clone()}</span>
                        <span class="mono person-sip">{u.sip_uri.clone()}</span>
                    </td>
                    <td>{u.source_fqdn.clone()}</td>
                    {u.fates.iter().map(|f| view! { <td class="numbers">{fate(*f)}</td> }).collect_view()}
                    <td>
                        {move || match refusal {
                            None => view! { <span class="badge badge-ok">{t!(i18n, moves.moves)}</span> }.into_any(),
                            Some(r) => view! {
                                <span class="badge badge-warn">{t!(i18n, moves.refused)}</span>" "{refusal_name(i18n, r)}
                            }.into_any(),
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {super::wizard::lines_shown(shown as u64, total as u64)}
        <div class="table-wrap" tabindex="0">
            <table class="data-table" data-testid="move-table">
                <caption class="visually-hidden">{t!(i18n, wizard.step_preview)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, wizard.col_name)}</th>
                        <th scope="col">{t!(i18n, moves.col_source)}</th>
                        <th scope="col">{t!(i18n, wizard.col_contacts)}</th>
                        <th scope="col">{t!(i18n, wizard.col_access)}</th>
                        <th scope="col">{t!(i18n, wizard.col_meetings)}</th>
                        <th scope="col">{t!(i18n, wizard.col_presence)}</th>
                        <th scope="col">{t!(i18n, wizard.col_outcome)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn PreviewStep(
    step: RwSignal<Step>,
    preview: wizard::PreviewResource<MovePreview>,
    run: ServerAction<MoveUsers>,
) -> impl IntoView {
    let i18n = use_i18n();
    let confirming = RwSignal::new(false);
    let understood = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let start = move |token: &PreviewToken| {
        run.dispatch(MoveUsers { token: token.clone(), password: None });
        step.set(Step::Results);
    };
    // A force move asks for the password again and stays in the confirmation until it is
    // accepted; then, or on any other answer, the results follow.
    let start_forced = move |token: &PreviewToken| {
        run.dispatch(MoveUsers { token: token.clone(), password: Some(password.get_untracked()) });
    };
    Effect::new(move |_| {
        let answered = run.value().with(|v| match v {
            Some(Err(e)) => !e.asks_for_password_again(),
            Some(Ok(_)) => true,
            None => false,
        });
        if answered && confirming.get_untracked() {
            step.set(Step::Results);
        }
    });
    wizard::preview_section(
        "move-preview-title",
        move || t_string!(i18n, wizard.step_preview).to_string(),
        preview,
        move || step.set(Step::Destination),
        move |Previewed { token, lines, preview: p, schedule, .. }| {
            let total = lines as usize;
            let totals = p.totals;
            let fqdn = p.destination.fqdn.clone();
            let force = p.force;
            let stored = StoredValue::new(token);
            let version = p.destination.version;
            let destination_line = {
                let fqdn = fqdn.clone();
                move || {
                    t_string!(
                        i18n,
                        moves.preview_destination,
                        pool = fqdn.clone(),
                        version = version_name(version)
                    )
                    .to_string()
                }
            };
            view! {
                        <p class="preview-destination" data-testid="move-destination">
                            <strong>{destination_line}</strong>
                        </p>
                        <ScheduleNote summary=schedule />
                        <Totals totals results=false />
                        <PlanTable users=p.users.clone() total />
                        <Show when=move || confirming.get()>
                            <div class="confirm-panel" role="alertdialog" aria-labelledby="force-confirm-title" aria-describedby="force-confirm-text">
                                <h3 id="force-confirm-title">{t!(i18n, moves.confirm_title)}</h3>
                                <p id="force-confirm-text" data-testid="force-confirm-text">
                                    {let fqdn = fqdn.clone(); move || t_string!(
                                        i18n,
                                        moves.confirm_text,
                                        moving = count(i18n, totals.moving),
                                        pool = fqdn.clone(),
                                        lost = count(i18n, totals.lost)
                                    ).to_string()}
                                </p>
                                <div class="choice">
                                    <input type="checkbox" id="force-understood" prop:checked=move || understood.get()
                                        on:change=move |ev| understood.set(event_target_checked(&ev)) />
                                    <label for="force-understood">{t!(i18n, moves.confirm_check)}</label>
                                </div>
                                <PasswordConfirm password error=step_up_error(move || run.value().get()) />
                                <div class="wizard-actions">
                                    <button type="button" class="button" on:click=move |_| confirming.set(false)>{t!(i18n, wizard.cancel)}</button>
                                    <button type="button" class="button button-danger"
                                        disabled=move || !understood.get() || password.with(String::is_empty) || run.pending().get()
                                        on:click=move |_| stored.with_value(|p| start_forced(p))>
                                        {move || t_string!(i18n, moves.confirm_button, count = count(i18n, totals.moving)).to_string()}
                                    </button>
                                </div>
                            </div>
                        </Show>
                        <div class="wizard-actions">
                            <button type="button" class="button" on:click=move |_| step.set(Step::Destination)>{t!(i18n, wizard.back)}</button>
                            <button type="button" class="button button-primary" data-testid="move-run"
                                disabled=move || totals.moving == 0 || confirming.get()
                                on:click=move |_| if force { confirming.set(true) } else { stored.with_value(|p| start(p)) }>
                                {move || t_string!(i18n, moves.run_button, count = count(i18n, totals.moving)).to_string()}
                            </button>
                        </div>
                    }.into_any()
        },
    )
}

#[component]
fn ResultsStep(run: ServerAction<MoveUsers>, step: RwSignal<Step>, back: String) -> impl IntoView {
    let i18n = use_i18n();
    wizard::follow_run(move || run.value().get());
    view! {
        <section class="wizard-step" aria-labelledby="move-results-title">
            <h2 id="move-results-title">{t!(i18n, wizard.step_results)}</h2>
            {move || match run.value().get() {
                None => view! { <p class="loading" role="status">{t!(i18n, wizard.running)}</p> }.into_any(),
                Some(Err(error)) => wizard::refused(error, move || step.set(Step::Destination)),
                Some(Ok(MoveStarted::Job(_) | MoveStarted::Requested(_))) => view! { <p class="loading" role="status">{t!(i18n, wizard.running)}</p> }.into_any(),
                Some(Ok(MoveStarted::Done(result))) => {
                    let total = result.preview.count as usize;
                    view! {
                        <Totals totals=result.preview.totals results=true />
                        <PlanTable users=result.preview.users.clone() total />
                    }.into_any()
                }
            }}
            <div class="wizard-actions">
                <A href=back.clone() attr:class="button button-primary">{t!(i18n, wizard.back_to_list)}</A>
            </div>
        </section>
    }
}

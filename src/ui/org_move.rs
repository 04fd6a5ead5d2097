//! The organization move wizard: the destination and the lock, a preview of every side effect
//! (roles revoked, alerts left, households coming along), then the run. A large move runs as a
//! job on the server, so closing the tab does not stop it; the job page shows its progress.

use super::common::{I18n, Loading, count, page_title};
use super::orgs::{roles_text, selected_members};
use super::wizard::{self, WizardSelection};
use crate::api::operations::{MoveOrgUsers, preview_org_move};
use crate::api::orgs::get_org_tree;
use crate::domain::jobs::Started;
use crate::domain::operation::{OrgMoveOptions, Previewed, SelectionSource};
use crate::domain::operator::{Operator, Permission};
use crate::domain::org::{OrgId, OrgMovePreview, OrgMoveTarget};
use crate::domain::user::UserId;
use crate::i18n::*;
use crate::ui::schedule::{ScheduleFields, ScheduleInput, ScheduleNote};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MoveStep {
    Destination,
    Preview,
    Results,
}

#[component]
pub fn OrgMovePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let from = query.with_untracked(|q| q.get("from")).and_then(|s| s.parse::<i64>().ok()).map(OrgId);
    let all = query.with_untracked(|q| q.get("all")).is_some();
    let selected = selected_members();
    let back = from.map(|o| format!("/orgs/{o}")).unwrap_or_else(|| "/orgs".into());
    let may_move =
        use_context::<Operator>().is_some_and(|o| o.may(Permission::MoveUsersBetweenOrganizations));
    let target = match (all, from) {
        (true, Some(org)) => Some(OrgMoveTarget::Members(org)),
        _ => {
            let users: Vec<UserId> = selected.get_untracked().into_iter().collect();
            (!users.is_empty()).then_some(OrgMoveTarget::Users(users))
        }
    };
    let title = |i18n: I18n| t_string!(i18n, orgs.move_title);
    if !may_move {
        return wizard::blocked(i18n, title, wizard::forbidden_message(i18n), back);
    }
    let Some(target) = target else {
        return wizard::blocked(i18n, title, wizard::nothing_selected_message(i18n), back);
    };
    let selection = WizardSelection::new(SelectionSource::Members(target.clone()));
    let tree = Resource::new(|| (), |_| get_org_tree());
    let target = StoredValue::new(target);
    let step = RwSignal::new(MoveStep::Destination);
    let destination = RwSignal::new(None::<OrgId>);
    let lock_after_move = RwSignal::new(true);
    let asked = wizard::Ask::new();
    let schedule = ScheduleInput::new();
    let preview = wizard::preview_resource(asked, move |options| async move {
        preview_org_move(selection.id().await?, options, schedule.request()).await
    });
    let run = ServerAction::<MoveOrgUsers>::new();
    wizard::follow_run(move || run.value().get());
    let steps = [MoveStep::Destination, MoveStep::Preview, MoveStep::Results];
    let step_name = move |s: MoveStep| match s {
        MoveStep::Destination => t_string!(i18n, orgs.move_step_destination),
        MoveStep::Preview => t_string!(i18n, wizard.step_preview),
        MoveStep::Results => t_string!(i18n, wizard.step_results),
    };
    let back = StoredValue::new(back);
    view! {
        {page_title(move || format!("{} – {}", title(i18n), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{move || title(i18n)}</h1></div>
        {wizard::steps(move || t_string!(i18n, wizard.steps_label).to_string(), steps.to_vec(), step, step_name)}
        <Suspense>
            {move || Suspend::new(async move {
                let orgs = tree.await.unwrap_or_default();
                let scope = move || match target.get_value() {
                    OrgMoveTarget::Users(users) => {
                        t_string!(i18n, orgs.scope_selected, count = count(i18n, users.len() as u64)).to_string()
                    }
                    OrgMoveTarget::Members(org) => {
                        let name = orgs.iter().find(|o| o.org.id == org).map(|o| o.org.name.clone()).unwrap_or_default();
                        t_string!(i18n, orgs.scope_all, org = name).to_string()
                    }
                };
                view! { <p class="alert alert-info" data-testid="org-move-scope">{scope}</p> }
            })}
        </Suspense>
        <Show when=move || step.get() == MoveStep::Destination>
            <section class="wizard-step" aria-labelledby="org-dest-title">
                <h2 id="org-dest-title">{t!(i18n, orgs.move_step_destination)}</h2>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        let orgs = tree.await.unwrap_or_default();
                        view! {
                            <div class="field">
                                <label for="org-destination">{t!(i18n, orgs.destination)}</label>
                                <select id="org-destination" on:change=move |ev| {
                                    destination.set(event_target_value(&ev).parse::<i64>().ok().map(OrgId))
                                }>
                                    <option value="">{t!(i18n, orgs.choose)}</option>
                                    {orgs.into_iter().filter(|o| Some(o.org.id) != from).map(|o| view! {
                                        <option value=o.org.id.0.to_string()>{o.org.name.clone()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                        }
                    })}
                </Suspense>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || lock_after_move.get()
                        on:change=move |ev| lock_after_move.set(event_target_checked(&ev)) />
                    {t!(i18n, orgs.lock_after_move)}
                </label>
                <p class="field-hint">{t!(i18n, orgs.lock_hint)}</p>
                <ScheduleFields input=schedule id="org-move" />
                <div class="wizard-actions">
                    <A href=back.get_value() attr:class="button">{t!(i18n, wizard.cancel)}</A>
                    <button type="button" class="button button-primary" disabled=move || destination.get().is_none()
                        on:click=move |_| {
                            if let Some(to) = destination.get_untracked() {
                                asked.ask(OrgMoveOptions { to, lock_after_move: lock_after_move.get_untracked() });
                                step.set(MoveStep::Preview);
                            }
                        }>{t!(i18n, orgs.to_preview)}</button>
                </div>
            </section>
        </Show>
        <Show when=move || step.get() == MoveStep::Preview>
            {wizard::preview_section(
                "org-preview-title",
                move || t_string!(i18n, wizard.step_preview).to_string(),
                preview,
                move || step.set(MoveStep::Destination),
                move |Previewed { token, lines, preview, schedule, .. }| {
                    let token = StoredValue::new(token);
                    let moving = preview.moving;
                    view! {
                        <ScheduleNote summary=schedule />
                        <PreviewTable preview lines />
                        <div class="wizard-actions">
                            <button type="button" class="button" on:click=move |_| step.set(MoveStep::Destination)>{t!(i18n, wizard.back)}</button>
                            <button type="button" class="button button-primary" disabled=move || moving == 0 || run.pending().get()
                                data-testid="org-move-run"
                                on:click=move |_| {
                                    run.dispatch(MoveOrgUsers { token: token.get_value() });
                                    step.set(MoveStep::Results);
                                }>
                                {move || t_string!(i18n, orgs.run, count = count(i18n, moving)).to_string()}
                            </button>
                        </div>
                    }
                    .into_any()
                },
            )}
        </Show>
        <Show when=move || step.get() == MoveStep::Results>
            <section class="wizard-step" aria-labelledby="org-results-title">
                <h2 id="org-results-title">{t!(i18n, wizard.step_results)}</h2>
                {move || match run.value().get() {
                    None | Some(Ok(Started::Job(_) | Started::Requested(_))) => view! { <p class="loading" role="status">{t!(i18n, wizard.running)}</p> }.into_any(),
                    Some(Err(error)) => wizard::refused(error, move || step.set(MoveStep::Destination)),
                    Some(Ok(Started::Done(result))) => {
                        let to = result.preview.destination.id;
                        let lines = result.preview.count;
                        view! {
                            <PreviewTable preview=result.preview lines done=true />
                            <div class="wizard-actions">
                                <A href=format!("/orgs/{to}") attr:class="button button-primary">{t!(i18n, orgs.open_destination)}</A>
                            </div>
                        }
                        .into_any()
                    }
                }}
            </section>
        </Show>
    }
    .into_any()
}

/// A move's users with every side effect: the preview, or after a move what was done.
#[component]
fn PreviewTable(preview: OrgMovePreview, lines: u64, #[prop(optional)] done: bool) -> impl IntoView {
    let i18n = use_i18n();
    let (moving, along) = (preview.moving, preview.along);
    let shown = preview.users.len() as u64;
    let destination = preview.destination.name.clone();
    let names: std::collections::HashMap<UserId, String> =
        preview.users.iter().map(|u| (u.id, u.display_name.clone())).collect();
    view! {
        <p class="alert alert-info" role="status" data-testid="org-move-summary">
            {move || if done {
                t_string!(i18n, orgs.done, count = count(i18n, moving), org = destination.clone()).to_string()
            } else {
                t_string!(i18n, orgs.summary, count = count(i18n, moving), along = count(i18n, along), org = destination.clone()).to_string()
            }}
        </p>
        {super::wizard::lines_shown(shown, lines)}
        <div class="table-wrap">
            <table class="data-table" data-testid="org-move-preview">
                <caption class="visually-hidden">{t!(i18n, orgs.preview_caption)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, users.col_display_name)}</th>
                    <th scope="col">{t!(i18n, orgs.col_from)}</th>
                    <th scope="col">{t!(i18n, orgs.col_along)}</th>
                    <th scope="col">{t!(i18n, orgs.col_revoked)}</th>
                    <th scope="col">{t!(i18n, orgs.col_kept)}</th>
                    <th scope="col">{t!(i18n, orgs.col_alerts_left)}</th>
                </tr></thead>
                <tbody>
                    {preview.users.into_iter().map(|u| {
                        let (revoked, kept) = (u.revoked_roles.clone(), u.kept_roles.clone());
                        let refused = u.refusal.is_some();
                        let along = u.along_with.and_then(|a| names.get(&a).cloned());
                        view! {
                            <tr class:skipped=refused>
                                <td>
                                    {u.display_name.clone()}
                                    {refused.then(|| view! { " " <span class="badge badge-muted">{t!(i18n, orgs.already_there)}</span> })}
                                </td>
                                <td>{u.from_name.clone()}</td>
                                <td>{along.unwrap_or_else(|| "–".into())}</td>
                                <td>{move || roles_text(i18n, &revoked)}</td>
                                <td>{move || roles_text(i18n, &kept)}</td>
                                <td>{if u.alerts_left.is_empty() { "–".to_string() } else { u.alerts_left.join(", ") }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

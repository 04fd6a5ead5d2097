//! The delete wizard: what the delete takes (users and every item of their server data) is shown
//! first, and nothing changes until the operator confirms with their password.

use super::common::{ErrorPanel, I18n, Loading, PasswordConfirm, count, page_title, step_up_error};
use super::target::{WizardTarget, from_url, scope_text};
use super::wizard::{self, WizardSelection};
use crate::api::operations::{DeleteUsers, preview_delete};
use crate::domain::delete::{DeleteLine, DeletePreview};
use crate::domain::jobs::Started;
use crate::domain::operation::{PreviewToken, Previewed, SelectionSource};
use crate::domain::operator::{Operator, Permission};
use crate::domain::search::UserTarget;
use crate::domain::user::ServerDataCounts;
use crate::i18n::*;
use crate::ui::schedule::{ScheduleFields, ScheduleInput, ScheduleNote};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The users a wizard works on and the way back, if the operator may manage users and the URL
/// names some; otherwise the page that says why.
pub(super) fn wizard_users(
    i18n: I18n,
    title: fn(I18n) -> &'static str,
) -> Result<(UserTarget, String), AnyView> {
    let WizardTarget { target, back, .. } = from_url(use_query_map());
    if !use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers)) {
        return Err(wizard::blocked(i18n, title, wizard::forbidden_message(i18n), back));
    }
    match target {
        Some(target) => Ok((target, back)),
        None => Err(wizard::blocked(i18n, title, wizard::nothing_selected_message(i18n), back)),
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
        {super::wizard::lines_shown(shown as u64, total as u64)}
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
    let selection = WizardSelection::new(SelectionSource::Users(target));
    // Nothing to choose: the preview is asked for when the page opens.
    let asked = wizard::Ask::new();
    asked.ask(());
    let schedule = ScheduleInput::new();
    let preview = wizard::preview_resource(asked, move |()| async move {
        preview_delete(selection.id().await?, schedule.request()).await
    });
    let run = ServerAction::<DeleteUsers>::new();
    let confirmed = RwSignal::new(false);
    let finished = move || run.value().with(wizard::answered);
    wizard::follow_run(move || run.value().get());
    let back = StoredValue::new(back);
    // Back from a preview that could not be made: to the list the users came from.
    let leave = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if leave.get() {
            navigate(&back.get_value(), Default::default());
        }
    });
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, delete.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, delete.title)}</h1></div>
        <p class="alert alert-info" data-testid="delete-scope">{scope}</p>
        <Show
            when=move || !finished()
            fallback=move || view! {
                <section class="wizard-step" aria-labelledby="delete-done-title">
                    <h2 id="delete-done-title">{t!(i18n, delete.done_title)}</h2>
                    {move || match run.value().get() {
                        Some(Ok(Started::Job(_) | Started::Requested(_))) => view! { <Loading /> }.into_any(),
                        Some(Ok(Started::Done(result))) => {
                            let n = result.preview.count;
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
                        <A href=back.get_value() attr:class="button button-primary">{t!(i18n, wizard.back_to_list)}</A>
                    </div>
                </section>
            }
        >
            {wizard::preview_section(
                "delete-preview-title",
                move || t_string!(i18n, delete.preview_title).to_string(),
                preview,
                move || leave.set(true),
                move |previewed| {
                    let reschedule = DeleteSchedule { input: schedule, ask: Callback::new(move |()| asked.ask(())) };
                    delete_confirmation(i18n, previewed, confirmed, run, reschedule, back.get_value())
                },
            )}
        </Show>
    }
    .into_any()
}

/// The delete wizard asks its preview when the page opens; a schedule is given afterwards, and
/// the preview is asked again with it.
struct DeleteSchedule {
    input: ScheduleInput,
    ask: Callback<()>,
}

fn delete_confirmation(
    i18n: I18n,
    previewed: Previewed<DeletePreview>,
    confirmed: RwSignal<bool>,
    run: ServerAction<DeleteUsers>,
    reschedule: DeleteSchedule,
    back: String,
) -> AnyView {
    let Previewed { token, preview, schedule, .. } = previewed;
    let n = preview.count as usize;
    let token: StoredValue<PreviewToken> = StoredValue::new(token);
    let totals = preview.totals;
    let password = RwSignal::new(String::new());
    view! {
        <p class="alert alert-warn" data-testid="delete-summary">
            {move || t_string!(i18n, delete.summary, count = count(i18n, n as u64), items = count(i18n, totals.total())).to_string()}
        </p>
        <ScheduleNote summary=schedule />
        <ScheduleFields input=reschedule.input id="delete">
            <button type="button" class="button" data-testid="delete-reschedule"
                on:click=move |_| reschedule.ask.run(())>
                {t!(i18n, schedule.preview_again)}
            </button>
        </ScheduleFields>
        <DataCounts counts=totals caption=Signal::derive(move || t_string!(i18n, delete.totals_caption).to_string()) />
        <DeleteLines users=preview.users total=n />
        <label class="checkbox confirm">
            <input type="checkbox" prop:checked=move || confirmed.get() on:change=move |ev| confirmed.set(event_target_checked(&ev)) />
            {move || t_string!(i18n, delete.confirm_label, count = count(i18n, n as u64)).to_string()}
        </label>
        <PasswordConfirm password error=step_up_error(move || run.value().get()) />
        <div class="wizard-actions">
            <A href=back attr:class="button">{t!(i18n, wizard.cancel)}</A>
            <button
                type="button"
                class="button button-danger"
                disabled=move || !confirmed.get() || password.with(String::is_empty) || run.pending().get()
                on:click=move |_| {
                    run.dispatch(DeleteUsers { token: token.get_value(), password: password.get_untracked() });
                }
            >
                {move || t_string!(i18n, delete.submit, count = count(i18n, n as u64)).to_string()}
            </button>
        </div>
    }
    .into_any()
}

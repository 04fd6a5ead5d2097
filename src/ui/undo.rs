//! Undo: the panel on a job's page and on an audit record that offers to undo the change, and
//! the undo wizard (`/undo/{change}`): what would go back and who would be skipped and why,
//! then the confirmation (with the password again when the change deleted data), then the
//! undo job's page.

use super::common::{I18n, Loading, PasswordConfirm, count, lang, page_title, step_up_error};
use super::jobs::kind_name;
use super::wizard;
use crate::api::undo::{UndoChange, preview_undo};
use crate::domain::format::{format_instant, format_size};
use crate::domain::operation::{PreviewToken, Previewed};
use crate::domain::operator::{Operator, Permission};
use crate::domain::undo::{UndoLine, UndoPreview, UndoSkip, UndoableChange};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

pub fn undo_skip_name(i18n: I18n, skip: UndoSkip) -> &'static str {
    match skip {
        UndoSkip::ChangedSince => t_string!(i18n, undo.skip_changed_since),
        UndoSkip::UserDeleted => t_string!(i18n, undo.skip_user_deleted),
        UndoSkip::PoolUnavailable => t_string!(i18n, undo.skip_pool_unavailable),
        UndoSkip::PoolFull => t_string!(i18n, undo.skip_pool_full),
        UndoSkip::SipUriTaken => t_string!(i18n, undo.skip_sip_uri_taken),
        UndoSkip::AlreadyUndone => t_string!(i18n, undo.skip_already_undone),
    }
}

/// "Kept until …: N users, size": what an undoable change keeps.
fn kept_text(i18n: I18n, change: &UndoableChange) -> String {
    t_string!(
        i18n,
        undo.kept,
        until = format_instant(lang(i18n), change.expires_at),
        users = count(i18n, change.users),
        size = format_size(lang(i18n), change.bytes)
    )
    .to_string()
}

/// Offers to undo a change the operator may undo: what it keeps, the undo jobs already started
/// on it, and the way to the wizard. (The page loads `found` with its own data: a resource made
/// here, after the page's await, would not hydrate.)
#[component]
pub fn UndoOffer(found: UndoableChange) -> impl IntoView {
    let i18n = use_i18n();
    let may = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let change = found.change;
    let undone_by = found.undone_by.clone();
    let kept = move || kept_text(i18n, &found);
    may.then(|| {
        view! {
            <section class="panel" aria-labelledby="undo-offer-title" data-testid="undo-offer">
                <h2 id="undo-offer-title">{t!(i18n, undo.offer_title)}</h2>
                <p>{t!(i18n, undo.offer_intro)}</p>
                <p class="muted" data-testid="undo-kept">{kept}</p>
                {(!undone_by.is_empty()).then(|| view! {
                    <p class="alert alert-info" data-testid="undo-undone-by">
                        {t!(i18n, undo.undone_by)}" "
                        {undone_by.into_iter().map(|job| view! {
                            <A href=format!("/jobs/{job}")>{move || t_string!(i18n, jobs.job_title, id = job.0).to_string()}</A>" "
                        }).collect_view()}
                    </p>
                })}
                <div class="wizard-actions">
                    <A href=format!("/undo/{change}") attr:class="button" attr:data-testid="undo-open">
                        {t!(i18n, undo.open)}
                    </A>
                </div>
            </section>
        }
    })
}

/// The undo wizard of one change.
#[component]
pub fn UndoPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let change = params.read_untracked().get("change").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let title = |i18n: I18n| t_string!(i18n, undo.title);
    if !use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers)) {
        return wizard::blocked(i18n, title, wizard::forbidden_message(i18n), "/jobs".into());
    }
    let asked = wizard::Ask::new();
    asked.ask(());
    let preview = wizard::preview_resource(asked, move |()| preview_undo(change));
    let run = ServerAction::<UndoChange>::new();
    wizard::follow_run(move || run.value().get());
    let leave = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if leave.get() {
            navigate("/jobs", Default::default());
        }
    });
    view! {
        {page_title(move || format!("{} – {}", title(i18n), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{move || title(i18n)}</h1></div>
        {wizard::steps(
            move || t_string!(i18n, undo.steps).to_string(),
            vec![1u8, 2],
            RwSignal::new(1u8),
            move |step| if step == 1 { t_string!(i18n, undo.step_preview) } else { t_string!(i18n, undo.step_job) },
        )}
        {wizard::preview_section(
            "undo-preview-title",
            move || t_string!(i18n, undo.preview_title).to_string(),
            preview,
            move || leave.set(true),
            move |previewed| undo_confirmation(i18n, previewed, run, asked),
        )}
    }
    .into_any()
}

fn undo_confirmation(
    i18n: I18n,
    previewed: Previewed<UndoPreview>,
    run: ServerAction<UndoChange>,
    asked: wizard::Ask<()>,
) -> AnyView {
    let Previewed { token, preview, lines, .. } = previewed;
    let token: StoredValue<PreviewToken> = StoredValue::new(token);
    let password = RwSignal::new(String::new());
    let change = preview.change.clone();
    let needs_password = change.needs_password;
    let (restored, data, skipped) = (preview.restored, preview.data, preview.skipped.clone());
    let of = match change.job {
        Some(job) => view! {
            <A href=format!("/jobs/{job}")>{move || t_string!(i18n, jobs.job_title, id = job.0).to_string()}</A>
        }
        .into_any(),
        None => view! {
            <A href=format!("/audit/{}", change.change)>{t!(i18n, audit.view_record)}</A>
        }
        .into_any(),
    };
    let kind = change.kind;
    let force = change.needs_password && kind == crate::domain::jobs::JobKind::Move;
    let created = change.created_at;
    let shown = preview.users.len() as u64;
    let nothing = restored == 0;
    view! {
        <dl class="properties" data-testid="undo-change">
            <dt>{t!(i18n, undo.change_kind)}</dt>
            <dd>{move || kind_name(i18n, kind, force)}" – "{of}</dd>
            <dt>{t!(i18n, undo.change_at)}</dt>
            <dd>{move || format_instant(lang(i18n), created)}</dd>
            <dt>{t!(i18n, undo.kept_label)}</dt>
            <dd>{move || kept_text(i18n, &change)}</dd>
        </dl>
        <p class=if nothing { "alert alert-warn" } else { "alert alert-info" } data-testid="undo-summary">
            {move || t_string!(i18n, undo.summary, restored = count(i18n, restored), data = count(i18n, data)).to_string()}
        </p>
        {(!skipped.is_empty()).then(|| view! {
            <div class="table-wrap">
                <table class="data-table" data-testid="undo-skipped">
                    <caption>{t!(i18n, undo.skipped_caption)}</caption>
                    <thead><tr>
                        <th scope="col">{t!(i18n, undo.col_reason)}</th>
                        <th scope="col" class="num">{t!(i18n, undo.col_users)}</th>
                    </tr></thead>
                    <tbody>
                        {skipped.into_iter().map(|s| view! {
                            <tr data-reason=s.reason.as_str()>
                                <td>{move || undo_skip_name(i18n, s.reason)}</td>
                                <td class="num">{move || count(i18n, s.users)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        <UndoLines users=preview.users />
        {wizard::lines_shown(shown, lines)}
        {(needs_password && !nothing).then(|| view! {
            <p class="hint">{t!(i18n, undo.password_note)}</p>
            <PasswordConfirm password error=step_up_error(move || run.value().get()) />
        })}
        // Refused (changed since the preview, the preview ran out): a new preview shows now.
        {move || run.value().get().and_then(Result::err).filter(|e| !e.asks_for_password_again())
            .map(|error| wizard::refused(error, move || asked.ask(())))}
        <div class="wizard-actions">
            <A href="/jobs" attr:class="button">{t!(i18n, wizard.cancel)}</A>
            <button
                type="button"
                class="button button-danger"
                data-testid="undo-submit"
                disabled=move || nothing || (needs_password && password.with(String::is_empty)) || run.pending().get()
                on:click=move |_| {
                    let password = needs_password.then(|| password.get_untracked());
                    run.dispatch(UndoChange { token: token.get_value(), password });
                }
            >
                {move || t_string!(i18n, undo.submit, count = count(i18n, restored)).to_string()}
            </button>
        </div>
    }
    .into_any()
}

#[component]
fn UndoLines(users: Vec<UndoLine>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="undo-table">
                <caption class="visually-hidden">{t!(i18n, undo.users_caption)}</caption>
                <thead><tr>
                    <th scope="col">{t!(i18n, wizard.col_name)}</th>
                    <th scope="col">{t!(i18n, wizard.col_outcome)}</th>
                    <th scope="col" class="num">{t!(i18n, undo.col_data)}</th>
                </tr></thead>
                <tbody>
                    {users.into_iter().map(|line| {
                        let skip = line.skip;
                        view! {
                            <tr class:problem=skip.is_some()>
                                <td><A href=format!("/users/{}", line.id.0)>{line.display_name}</A></td>
                                <td>{move || match skip {
                                    None => view! { <span class="badge badge-ok">{t!(i18n, undo.goes_back)}</span> }.into_any(),
                                    Some(skip) => view! {
                                        <span class="badge badge-warn">{t!(i18n, undo.skipped)}</span>" "{undo_skip_name(i18n, skip)}
                                    }.into_any(),
                                }}</td>
                                <td class="num">{move || count(i18n, line.data)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// What the kept changes take, for the jobs page.
#[component]
pub fn UndoUsageNote() -> impl IntoView {
    let i18n = use_i18n();
    let usage = Resource::new(|| (), |_| crate::api::undo::get_undo_usage());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                usage.await.ok().map(|u| view! {
                    <p class="muted" data-testid="undo-usage">
                        {move || t_string!(i18n, undo.usage, changes = count(i18n, u.changes), users = count(i18n, u.users),
                            size = format_size(lang(i18n), u.bytes), days = count(i18n, u.retention_days.into())).to_string()}
                    </p>
                })
            })}
        </Suspense>
    }
}

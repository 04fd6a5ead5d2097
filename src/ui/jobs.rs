//! Jobs (moves, deletes, configurations of many users): the page that follows one (progress
//! bar, time left, cancel or resume, per-user results) and the list of recent jobs.

use super::common::{
    ErrorPanel, I18n, ListSummary, Loading, PageError, PasswordConfirm, count, error_message, lang,
    page_title, step_up_error, yes_no,
};
use super::configure::skip_name;
use super::console::TreeResource;
use super::moves::refusal_name;
use super::undo::{UndoOffer, UndoUsageNote, undo_skip_name};
use crate::api::jobs::{CancelJob, JobView, ResumeJob, get_job, left_out_users, list_jobs};
use crate::domain::AppError;
use crate::domain::format::{format_duration, format_instant, format_percent};
use crate::domain::jobs::{Job, JobId, JobKind, JobLineFilter, JobState, JobUserOutcome, LeftOut};
use crate::domain::operator::{Operator, Permission};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// How often a running job's page asks for its progress when the live stream is not available
/// (the stream pushes progress as it is made).
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1000);

/// Follows a job's progress stream (`/events/jobs/{id}`): each event carries the job as it is
/// now. `failed` is set when the browser cannot keep the stream open; the page then asks.
#[cfg(feature = "hydrate")]
fn follow_live(job: JobId, live: RwSignal<Option<Job>>, updates: RwSignal<u32>, failed: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    let Ok(source) = web_sys::EventSource::new(&format!("/events/jobs/{job}")) else {
        failed.set(true);
        return;
    };
    let stream = source.clone();
    let on_progress =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(job) = event.data().as_string().and_then(|text| serde_json::from_str::<Job>(&text).ok())
            else {
                return;
            };
            // A finished job's stream ends; closing it stops the browser from reconnecting.
            if job.state.finished() {
                stream.close();
            }
            live.set(Some(job));
            updates.update(|n| *n += 1);
        });
    let watched = source.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        // While CONNECTING the browser retries by itself; CLOSED means it gave up.
        if watched.ready_state() == web_sys::EventSource::CLOSED {
            failed.set(true);
        }
    });
    let _ = source.add_event_listener_with_callback("progress", on_progress.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let kept = StoredValue::new_local((source, on_progress, on_error));
    on_cleanup(move || kept.with_value(|(source, _, _)| source.close()));
}

pub fn job_state_name(i18n: I18n, state: JobState) -> &'static str {
    match state {
        JobState::Running => t_string!(i18n, jobs.state_running),
        JobState::Completed => t_string!(i18n, jobs.state_completed),
        JobState::Cancelled => t_string!(i18n, jobs.state_cancelled),
        JobState::Interrupted => t_string!(i18n, jobs.state_interrupted),
        JobState::Failed => t_string!(i18n, jobs.state_failed),
        JobState::Scheduled => t_string!(i18n, jobs.state_scheduled),
        JobState::Paused => t_string!(i18n, jobs.state_paused),
    }
}

fn state_badge(state: JobState) -> &'static str {
    match state {
        JobState::Running | JobState::Scheduled | JobState::Paused => "badge",
        JobState::Completed => "badge badge-ok",
        JobState::Cancelled | JobState::Interrupted | JobState::Failed => "badge badge-warn",
    }
}

/// The filter's name in the words of the job's kind ("Moved", "Deleted", "Configured" …).
fn filter_name(i18n: I18n, kind: JobKind, filter: JobLineFilter) -> &'static str {
    match (filter, kind) {
        (JobLineFilter::All, _) => t_string!(i18n, jobs.filter_all),
        (JobLineFilter::Moved, JobKind::Move | JobKind::OrgMove) => t_string!(i18n, jobs.filter_moved),
        (JobLineFilter::Moved, JobKind::Delete) => t_string!(i18n, jobs.filter_deleted),
        (JobLineFilter::Moved, JobKind::Configure) => t_string!(i18n, jobs.filter_configured),
        (JobLineFilter::Moved, JobKind::Undo) => t_string!(i18n, jobs.filter_restored),
        (JobLineFilter::Refused, JobKind::Undo) => t_string!(i18n, jobs.filter_skipped),
        (JobLineFilter::Refused, JobKind::Configure) => t_string!(i18n, jobs.filter_skipped),
        (JobLineFilter::Refused, _) => t_string!(i18n, jobs.filter_refused),
        (JobLineFilter::Pending, _) => t_string!(i18n, jobs.filter_pending),
    }
}

/// What a job does, as the job list and page name it.
pub fn kind_name(i18n: I18n, kind: JobKind, force: bool) -> &'static str {
    match (kind, force) {
        (JobKind::Move, false) => t_string!(i18n, jobs.kind_move),
        (JobKind::Move, true) => t_string!(i18n, jobs.kind_force_move),
        (JobKind::Delete, _) => t_string!(i18n, jobs.kind_delete),
        (JobKind::Configure, _) => t_string!(i18n, jobs.kind_configure),
        (JobKind::OrgMove, _) => t_string!(i18n, jobs.kind_org_move),
        (JobKind::Undo, _) => t_string!(i18n, jobs.kind_undo),
    }
}

#[component]
pub fn JobPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.read().get("id").and_then(|s| s.parse::<i64>().ok()).map(JobId).ok_or(AppError::JobNotFound)
    });
    let filter = RwSignal::new(JobLineFilter::All);
    let page = RwSignal::new(1u32);
    let tick = RwSignal::new(0u64);
    let view_of = Resource::new(
        move || (id.get(), filter.get(), page.get(), tick.get()),
        |(id, filter, page, _)| async move { get_job(id?, filter, page).await },
    );
    // Progress arrives live (Server-Sent Events) while the job runs; if the stream cannot be
    // kept open, the page asks every second instead.
    let live = RwSignal::new(None::<Job>);
    let updates = RwSignal::new(0u32);
    let stream_failed = RwSignal::new(false);
    let running = RwSignal::new(false);
    let tree = use_context::<TreeResource>();
    Effect::new(move |was_running: Option<bool>| {
        let now_running = match live.get() {
            Some(job) => job.state == JobState::Running,
            None => view_of.get().and_then(Result::ok).is_some_and(|v| v.job.state == JobState::Running),
        };
        running.set(now_running);
        if was_running == Some(true) && !now_running {
            // The users' results are final now, and the tree's counts have changed.
            tick.update(|t| *t += 1);
            if let Some(tree) = tree {
                tree.0.refetch();
            }
        }
        now_running
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Ok(job) = id.get() {
            live.set(None);
            follow_live(job, live, updates, stream_failed);
        }
    });
    // Every tenth event also refreshes the users' page of results.
    Effect::new(move |_| {
        let n = updates.get();
        if n > 0 && n % 10 == 0 {
            tick.update(|t| *t += 1);
        }
    });
    Effect::new(move |_| {
        if running.get()
            && stream_failed.get()
            && let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), POLL_INTERVAL)
        {
            on_cleanup(move || handle.clear());
        }
    });
    let refresh = Callback::new(move |_: ()| tick.update(|t| *t += 1));
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, jobs.title), t_string!(i18n, app_name)))}
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(view) => view! { <JobView view live updates filter page refresh /> }.into_any(),
                    Err(error) if error.is_not_found() => view! { <PageError error /> }.into_any(),
                    Err(error) => view! { <h1>{t!(i18n, jobs.title)}</h1><ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JobView(
    view: JobView,
    /// The job as its progress stream last sent it, when newer than `view`'s.
    live: RwSignal<Option<Job>>,
    /// Progress events received (shown to tests and assistive tools as `data-live-updates`).
    updates: RwSignal<u32>,
    filter: RwSignal<JobLineFilter>,
    page: RwSignal<u32>,
    refresh: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let JobView { job: loaded, lines, undo, left_out } = view;
    let may_manage = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let (id, kind, force) = (loaded.id, loaded.kind, loaded.force);
    let job = Memo::new(move |_| {
        live.get().filter(|j| j.id == id && j.done >= loaded.done).unwrap_or_else(|| loaded.clone())
    });
    let state = move || job.with(|j| j.state);
    let (total, done) = (move || job.with(|j| j.total), move || job.with(|j| j.done));
    // Resuming a force move deletes data like starting one: the password again.
    let resume_needs_password = kind == JobKind::Move && force;
    let password = RwSignal::new(String::new());
    let cancel = ServerAction::<CancelJob>::new();
    let resume = ServerAction::<ResumeJob>::new();
    Effect::new(move |_| {
        if cancel.version().get() > 0 || resume.version().get() > 0 {
            refresh.run(());
        }
    });
    let action_error = move || {
        cancel
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| resume.value().get().and_then(Result::err))
            .map(|error| view! { <ErrorPanel error /> })
    };
    let progress_text = move || {
        t_string!(
            i18n,
            jobs.progress,
            done = count(i18n, done()),
            total = count(i18n, total()),
            percent = format_percent(lang(i18n), done(), total())
        )
        .to_string()
    };
    let timing = move || {
        job.with(|j| when_text(i18n, j))
            .into_iter()
            .map(|line| view! { <p data-testid="job-when">{line}</p> })
            .collect_view()
    };
    let time_left = move || match (state(), job.with(Job::remaining_seconds)) {
        (JobState::Running, Some(seconds)) => {
            t_string!(i18n, jobs.time_left, time = format_duration(seconds)).to_string()
        }
        (JobState::Running, None) => t_string!(i18n, jobs.estimating).to_string(),
        _ => String::new(),
    };
    let first = u64::from(lines.page.saturating_sub(1)) * u64::from(lines.page_size);
    let shown = lines.items.len() as u64;
    let lines_total = lines.total;
    let pages = lines.page_count();
    let rows = lines
        .items
        .into_iter()
        .map(|line| {
            let outcome = line.outcome;
            let flagged = !outcome.changed() || (kind == JobKind::Move && line.data_lost > 0);
            view! {
                <tr class:problem=flagged>
                    <td><A href=format!("/users/{}", line.id.0)>{line.display_name}</A></td>
                    <td>
                        {move || match outcome {
                            JobUserOutcome::Moved => view! { <span class="badge badge-ok">{t!(i18n, jobs.outcome_moved)}</span> }.into_any(),
                            JobUserOutcome::Pending => view! { <span class="badge">{t!(i18n, jobs.outcome_pending)}</span> }.into_any(),
                            JobUserOutcome::Refused(r) => view! {
                                <span class="badge badge-warn">{t!(i18n, jobs.outcome_refused)}</span>" "{refusal_name(i18n, r)}
                            }.into_any(),
                            JobUserOutcome::Deleted => view! { <span class="badge badge-ok">{t!(i18n, jobs.outcome_deleted)}</span> }.into_any(),
                            JobUserOutcome::Configured => view! { <span class="badge badge-ok">{t!(i18n, jobs.outcome_configured)}</span> }.into_any(),
                            JobUserOutcome::Skipped(skip) => view! {
                                <span class="badge badge-warn">{t!(i18n, jobs.outcome_skipped)}</span>" "{skip_name(i18n, skip)}
                            }.into_any(),
                            JobUserOutcome::Restored => view! { <span class="badge badge-ok">{t!(i18n, jobs.outcome_restored)}</span> }.into_any(),
                            JobUserOutcome::NotRestored(skip) => view! {
                                <span class="badge badge-warn">{t!(i18n, jobs.outcome_skipped)}</span>" "{undo_skip_name(i18n, skip)}
                            }.into_any(),
                        }}
                    </td>
                    {(kind == JobKind::Move).then(|| view! {
                        <td class="numbers">{move || count(i18n, line.data_kept)}</td>
                    })}
                    {matches!(kind, JobKind::Move | JobKind::Delete).then(|| view! {
                        <td class="numbers">{move || count(i18n, line.data_lost)}</td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-header">
            <h1>{move || format!("{} – {}", t_string!(i18n, jobs.job_title, id = id.0), kind_name(i18n, kind, force))}</h1>
            <A href="/jobs" attr:class="button">{t!(i18n, jobs.all_jobs)}</A>
        </div>
        <section class="panel" aria-labelledby="job-progress-title" data-testid="job-progress-panel"
            data-live-updates=move || updates.get().to_string()>
            <h2 id="job-progress-title">{t!(i18n, jobs.progress_title)}</h2>
            <p>
                <span class=move || state_badge(state()) data-testid="job-state">{move || job_state_name(i18n, state())}</span>
                {move || job.with(|j| j.cancel_requested).then(|| view! { " "<span class="muted">{t!(i18n, jobs.cancel_requested)}</span> })}
            </p>
            <label for="job-progress" class="progress-label">{progress_text}</label>
            <progress id="job-progress" class="job-progress" data-testid="job-progress"
                max=move || total().to_string() value=move || done().to_string()>
                {progress_text}
            </progress>
            <p class="muted" data-testid="job-time-left" aria-live="polite">{time_left}</p>
            {move || job.with(|j| j.schedule.clone()).map(|schedule| view! {
                <div class="job-schedule" data-testid="job-schedule">
                    {timing}
                    {move || super::schedule::schedule_lines(i18n, &schedule).into_iter().map(|line| view! { <p class="muted">{line}</p> }).collect_view()}
                </div>
            })}
            {move || view! { <JobCounts job=job.get() /> }}
            {move || (state() == JobState::Interrupted).then(|| view! {
                <p class="alert alert-warn" data-testid="job-interrupted">{t!(i18n, jobs.interrupted_note)}</p>
            })}
            {move || (state() == JobState::Cancelled).then(|| view! {
                <p class="alert alert-info">{t!(i18n, jobs.cancelled_note)}</p>
            })}
            {move || job.with(|j| j.error.clone()).map(|error| view! {
                <div class="alert alert-error" role="alert">
                    <p>{t!(i18n, jobs.failed_note)}</p>
                    <p>{move || error_message(i18n, &error)}</p>
                </div>
            })}
            {action_error}
            <div class="wizard-actions">
                {move || (may_manage && state() == JobState::Running && !job.with(|j| j.cancel_requested)).then(|| view! {
                    <button type="button" class="button button-danger" data-testid="job-cancel"
                        disabled=move || cancel.pending().get()
                        on:click=move |_| { cancel.dispatch(CancelJob { job: id }); }>
                        {t!(i18n, jobs.cancel)}
                    </button>
                })}
                {move || (may_manage && state().resumable() && resume_needs_password).then(|| view! {
                    <PasswordConfirm password error=step_up_error(move || resume.value().get()) />
                })}
                {move || (may_manage && state().resumable()).then(|| view! {
                    <button type="button" class="button" data-testid="job-close"
                        disabled=move || cancel.pending().get() || resume.pending().get()
                        on:click=move |_| { cancel.dispatch(CancelJob { job: id }); }>
                        {t!(i18n, jobs.close)}
                    </button>
                    <button type="button" class="button button-primary" data-testid="job-resume"
                        disabled=move || cancel.pending().get() || resume.pending().get()
                            || (resume_needs_password && password.with(String::is_empty))
                        on:click=move |_| {
                            let password = resume_needs_password.then(|| password.get_untracked());
                            resume.dispatch(ResumeJob { job: id, password });
                        }>
                        {move || if state().waiting() { t_string!(i18n, jobs.start_now) } else { t_string!(i18n, jobs.resume) }}
                    </button>
                })}
            </div>
        </section>
        // Once the job stopped: the users it changed can be put back.
        {undo.map(|found| view! { <UndoOffer found /> })}
        {(!left_out.is_empty()).then(|| {
            let finished = Signal::derive(move || state().finished());
            view! { <LeftOutPanel job=id kind left_out finished /> }
        })}
        <section class="panel" aria-labelledby="job-users-title">
            <h2 id="job-users-title">{t!(i18n, jobs.users_title)}</h2>
            <div class="toolbar">
                <label for="job-filter">{t!(i18n, jobs.filter_label)}</label>
                <select id="job-filter" data-testid="job-filter"
                    on:change=move |ev| {
                        filter.set(event_target_value(&ev).parse().unwrap_or_default());
                        page.set(1);
                    }>
                    {JobLineFilter::ALL.into_iter().map(|f| view! {
                        <option value=f.as_str() selected=move || filter.get() == f>{move || filter_name(i18n, kind, f)}</option>
                    }).collect_view()}
                </select>
                // Every user's line, like Move-CsUser -Report (a plain download, not the router).
                <a class="button" href=format!("/exports/jobs/{}.csv", id.0) rel="external" download
                    data-testid="job-csv">{t!(i18n, jobs.download_csv)}</a>
            </div>
            <ListSummary first=(first + 1).min(lines_total) last=first + shown total=lines_total testid="job-lines-summary" />
            <div class="table-wrap">
                <table class="data-table" data-testid="job-table">
                    <caption class="visually-hidden">{t!(i18n, jobs.users_title)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, wizard.col_name)}</th>
                            <th scope="col">{t!(i18n, wizard.col_outcome)}</th>
                            {(kind == JobKind::Move).then(|| view! {
                                <th scope="col">{t!(i18n, jobs.col_kept)}</th>
                                <th scope="col">{t!(i18n, jobs.col_lost)}</th>
                            })}
                            {(kind == JobKind::Delete).then(|| view! {
                                <th scope="col">{t!(i18n, jobs.items_deleted)}</th>
                            })}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <nav class="pagination" aria-label=move || t_string!(i18n, users.pagination)>
                <button type="button" class="button button-quiet" disabled=move || page.get() <= 1
                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>
                    {t!(i18n, users.previous_page)}
                </button>
                <span class="page-of">
                    {move || t_string!(i18n, users.page_of, page = count(i18n, u64::from(page.get())), pages = count(i18n, pages.into())).to_string()}
                </span>
                <button type="button" class="button button-quiet" disabled=move || { page.get() >= pages }
                    on:click=move |_| page.update(|p| *p += 1)>
                    {t!(i18n, users.next_page)}
                </button>
            </nav>
        </section>
    }
}

/// Why a user was left out, as the job's lines say it.
fn left_out_reason(i18n: I18n, outcome: JobUserOutcome) -> &'static str {
    match outcome {
        JobUserOutcome::Refused(refusal) => refusal_name(i18n, refusal),
        JobUserOutcome::Skipped(skip) => skip_name(i18n, skip),
        JobUserOutcome::NotRestored(skip) => undo_skip_name(i18n, skip),
        _ => "",
    }
}

/// What a job left out, counted by reason, and — once it stopped — the way to try those users
/// again: a new preview of the same operation limited to them, then a run.
#[component]
fn LeftOutPanel(job: JobId, kind: JobKind, left_out: Vec<LeftOut>, finished: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let may_manage = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let total: u64 = left_out.iter().map(|l| l.users).sum();
    let wizard = match kind {
        JobKind::Move => Some("move"),
        JobKind::Delete => Some("delete"),
        JobKind::Configure => Some("configure"),
        JobKind::OrgMove | JobKind::Undo => None,
    };
    let selected = use_context::<super::console::SelectedUsers>();
    let navigate = leptos_router::hooks::use_navigate();
    let retry_error = RwSignal::new(None::<AppError>);
    let retrying = RwSignal::new(false);
    let retry = move |wizard: &'static str| {
        let navigate = navigate.clone();
        retrying.set(true);
        leptos::task::spawn_local(async move {
            match left_out_users(job).await {
                Ok(users) => {
                    if let Some(selected) = selected {
                        selected.0.set(users.into_iter().collect());
                    }
                    navigate(&format!("/{wizard}?scope=selected"), Default::default());
                }
                Err(error) => retry_error.set(Some(error)),
            }
            retrying.set(false);
        });
    };
    let rows = left_out
        .into_iter()
        .map(|l| {
            view! {
                <tr>
                    <td>{move || left_out_reason(i18n, l.outcome)}</td>
                    <td class="numbers">{move || count(i18n, l.users)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="job-left-out-title" data-testid="job-left-out">
            <h2 id="job-left-out-title">{t!(i18n, jobs.left_out_title)}</h2>
            <div class="table-wrap">
                <table class="data-table" data-testid="job-left-out-table">
                    <caption class="visually-hidden">{t!(i18n, jobs.left_out_title)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, jobs.col_reason)}</th>
                            <th scope="col" class="numbers">{t!(i18n, jobs.col_users)}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {move || retry_error.get().map(|error| view! { <ErrorPanel error /> })}
            {move || (may_manage && finished.get()).then(|| wizard.map(|wizard| {
                let retry = retry.clone();
                view! {
                    <p class="field-hint">{t!(i18n, jobs.retry_hint)}</p>
                    <div class="wizard-actions">
                        <button type="button" class="button button-primary" data-testid="job-retry"
                            disabled=move || retrying.get() on:click=move |_| retry(wizard)>
                            {move || t_string!(i18n, jobs.retry, count = count(i18n, total)).to_string()}
                        </button>
                    </div>
                }
            })).flatten()}
        </section>
    }
}

#[component]
fn JobCounts(job: Job) -> impl IntoView {
    let i18n = use_i18n();
    let Job { kind, operator_name, destination_fqdn, force, created_at, finished_at, runner, .. } =
        job.clone();
    type Label = fn(I18n) -> &'static str;
    let (changed_label, left_label): (Label, Label) = match kind {
        JobKind::Move => (|i| t_string!(i, jobs.moved), |i| t_string!(i, jobs.refused)),
        JobKind::Delete => (|i| t_string!(i, jobs.deleted), |i| t_string!(i, jobs.refused)),
        JobKind::Configure => (|i| t_string!(i, jobs.configured), |i| t_string!(i, jobs.skipped)),
        JobKind::OrgMove => (|i| t_string!(i, jobs.moved), |i| t_string!(i, jobs.refused)),
        JobKind::Undo => (|i| t_string!(i, jobs.restored), |i| t_string!(i, jobs.skipped)),
    };
    let undo_of = job.undo_of;
    view! {
        <dl class="properties" data-testid="job-counts">
            <dt>{t!(i18n, jobs.kind)}</dt>
            <dd data-testid="job-kind">{move || kind_name(i18n, kind, force)}</dd>
            {(kind == JobKind::OrgMove).then(|| view! {
                <dt>{t!(i18n, jobs.destination_org)}</dt>
                <dd>{destination_fqdn.clone()}</dd>
            })}
            {(kind == JobKind::Move).then(|| view! {
                <dt>{t!(i18n, jobs.destination)}</dt>
                <dd class="mono">{destination_fqdn.clone()}</dd>
                <dt>{t!(i18n, jobs.forced)}</dt>
                <dd>{move || yes_no(i18n, force)}</dd>
            })}
            {undo_of.map(|of| view! {
                <dt>{t!(i18n, jobs.undoes)}</dt>
                <dd data-testid="job-undoes">{match of.job {
                    Some(job) => view! { <A href=format!("/jobs/{job}")>{move || t_string!(i18n, jobs.job_title, id = job.0).to_string()}</A> }.into_any(),
                    None => view! { <A href=format!("/audit/{}", of.change)>{t!(i18n, audit.view_record)}</A> }.into_any(),
                }}</dd>
            })}
            <dt>{t!(i18n, jobs.started_by)}</dt>
            <dd>{move || format!("{operator_name} – {}", format_instant(lang(i18n), created_at))}</dd>
            {finished_at.map(|at| view! {
                <dt>{t!(i18n, jobs.finished_at)}</dt>
                <dd>{move || format_instant(lang(i18n), at)}</dd>
            })}
            {runner.map(|runner| view! {
                <dt>{t!(i18n, jobs.runner)}</dt>
                <dd class="mono" data-testid="job-runner">{runner}</dd>
            })}
            <dt>{move || changed_label(i18n)}</dt>
            <dd data-testid="job-moved">{move || count(i18n, job.moved)}</dd>
            <dt>{move || left_label(i18n)}</dt>
            <dd>{move || count(i18n, job.refused)}</dd>
            <dt>{t!(i18n, jobs.not_processed)}</dt>
            <dd data-testid="job-not-processed">{move || count(i18n, job.total - job.done.min(job.total))}</dd>
            {(kind == JobKind::Move).then(|| view! {
                <dt>{t!(i18n, jobs.data_kept)}</dt>
                <dd>{move || count(i18n, job.data_kept)}</dd>
                <dt>{t!(i18n, jobs.data_lost)}</dt>
                <dd>{move || count(i18n, job.data_lost)}</dd>
            })}
            {(kind == JobKind::Delete).then(|| view! {
                <dt>{t!(i18n, jobs.items_deleted)}</dt>
                <dd data-testid="job-items-deleted">{move || count(i18n, job.data_lost)}</dd>
            })}
        </dl>
    }
}

/// When a job starts or resumes and when it should be done, one statement each.
fn when_text(i18n: I18n, job: &Job) -> Vec<String> {
    let at = |instant| super::schedule::zoned_text(i18n, instant);
    let mut lines = Vec::new();
    match (job.state, &job.wakes_at) {
        (JobState::Scheduled, Some(wakes)) => {
            lines.push(t_string!(i18n, jobs.starts_at, at = at(wakes)).to_string())
        }
        (JobState::Paused, Some(wakes)) => {
            lines.push(t_string!(i18n, jobs.resumes_at, at = at(wakes)).to_string())
        }
        _ => {}
    }
    if let Some(finish) = &job.finishes_about {
        lines.push(t_string!(i18n, jobs.finishes_about, at = at(finish)).to_string());
    }
    lines
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let i18n = use_i18n();
    let jobs = Resource::new(|| (), |_| list_jobs());
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, jobs.list_title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, jobs.list_title)}</h1></div>
        <p class="muted">{t!(i18n, jobs.list_intro)}</p>
        <UndoUsageNote />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match jobs.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p data-testid="jobs-empty">{t!(i18n, jobs.none)}</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="data-table" data-testid="jobs-table">
                                <caption class="visually-hidden">{t!(i18n, jobs.list_title)}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{t!(i18n, jobs.col_job)}</th>
                                        <th scope="col">{t!(i18n, jobs.col_created)}</th>
                                        <th scope="col">{t!(i18n, jobs.started_by)}</th>
                                        <th scope="col">{t!(i18n, jobs.kind)}</th>
                                        <th scope="col">{t!(i18n, jobs.destination)}</th>
                                        <th scope="col">{t!(i18n, jobs.col_state)}</th>
                                        <th scope="col">{t!(i18n, jobs.col_progress)}</th>
                                        <th scope="col">{t!(i18n, jobs.col_when)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|job| {
                                        let (id, state, done, total, created) = (job.id, job.state, job.done, job.total, job.created_at);
                                        let when = when_text(i18n, &job).into_iter().chain(job.remaining_seconds().filter(|_| job.finishes_about.is_none()).map(|seconds| t_string!(i18n, jobs.time_left, time = format_duration(seconds)).to_string())).collect::<Vec<_>>();
                                        view! {
                                            <tr>
                                                <td><A href=format!("/jobs/{id}")>{move || t_string!(i18n, jobs.job_title, id = id.0).to_string()}</A></td>
                                                <td>{move || format_instant(lang(i18n), created)}</td>
                                                <td>{job.operator_name.clone()}</td>
                                                <td>{move || kind_name(i18n, job.kind, job.force)}</td>
                                                <td class="mono">{if matches!(job.kind, JobKind::Move | JobKind::OrgMove) { job.destination_fqdn.clone() } else { "–".to_string() }}</td>
                                                <td><span class=state_badge(state)>{move || job_state_name(i18n, state)}</span></td>
                                                <td class="numbers">{move || t_string!(i18n, jobs.progress, done = count(i18n, done), total = count(i18n, total), percent = format_percent(lang(i18n), done, total)).to_string()}</td>
                                                <td data-testid="job-when">{when.into_iter().map(|line| view! { <span class="cell-line">{line}</span> }).collect_view()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
        <DirectorySyncSection />
    }
}

/// The directory sync runs (their audit record is their report) and when the next comes.
#[component]
fn DirectorySyncSection() -> impl IntoView {
    let i18n = use_i18n();
    let syncs = Resource::new(|| (), |_| crate::api::orgs::directory_syncs());
    view! {
        <section class="admin-section" aria-labelledby="directory-sync-title">
            <h2 id="directory-sync-title">{t!(i18n, jobs.sync_title)}</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match syncs.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(syncs) => {
                            let every = syncs.every_minutes;
                            let none = syncs.runs.is_empty();
                            view! {
                                <p class="muted" data-testid="sync-schedule">
                                    {move || match every {
                                        Some(minutes) => t_string!(i18n, jobs.sync_every, minutes = count(i18n, minutes)).to_string(),
                                        None => t_string!(i18n, jobs.sync_on_demand).to_string(),
                                    }}
                                </p>
                                {none.then(|| view! { <p data-testid="sync-none">{t!(i18n, jobs.sync_none)}</p> })}
                                {(!none).then(|| view! {
                                    <div class="table-wrap" tabindex="0">
                                        <table class="data-table" data-testid="sync-runs">
                                            <caption class="visually-hidden">{t!(i18n, jobs.sync_title)}</caption>
                                            <thead><tr>
                                                <th scope="col">{t!(i18n, jobs.col_created)}</th>
                                                <th scope="col">{t!(i18n, jobs.started_by)}</th>
                                                <th scope="col" class="num">{t!(i18n, jobs.sync_entries)}</th>
                                                <th scope="col" class="num">{t!(i18n, jobs.sync_created)}</th>
                                                <th scope="col" class="num">{t!(i18n, jobs.sync_updated)}</th>
                                                <th scope="col" class="num">{t!(i18n, jobs.sync_moved)}</th>
                                                <th scope="col" class="num">{t!(i18n, jobs.sync_unchanged)}</th>
                                                <th scope="col" class="num">{t!(i18n, jobs.sync_not_applied)}</th>
                                                <th scope="col">{t!(i18n, jobs.sync_report)}</th>
                                            </tr></thead>
                                            <tbody>
                                                {syncs.runs.into_iter().map(|run| {
                                                    let at = run.at;
                                                    let numbers = [run.entries, run.created, run.updated, run.moved, run.unchanged, run.not_applied];
                                                    view! {
                                                        <tr>
                                                            <td>{move || format_instant(lang(i18n), at)}</td>
                                                            <td>{run.by.clone()}</td>
                                                            {numbers.into_iter().map(|n| view! { <td class="num">{move || count(i18n, n)}</td> }).collect_view()}
                                                            <td><A href=format!("/audit/{}", run.event_id)>{t!(i18n, jobs.sync_open_report)}</A></td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

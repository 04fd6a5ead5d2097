//! Two-person approval: the Requests page (what waits for a second operator, and what was
//! decided), a request's page (what its preview said, its users, approve or reject with a
//! comment), and the policy section of the administration page.

use super::common::{
    ErrorPanel, I18n, Loading, PageError, PasswordConfirm, count, lang, page_title, step_up_error,
};
use super::jobs::kind_name;
use crate::api::approvals::{
    ApproveRequest, RejectRequest, SetApprovalPolicy, get_approval_policy, get_request, list_requests,
};
use crate::domain::AppError;
use crate::domain::approval::{ApprovalId, ApprovalPolicy, ApprovalReason, ApprovalRequest, ApprovalState};
use crate::domain::format::format_instant;
use crate::domain::jobs::{JobKind, Started};
use crate::domain::operation::OperationKind;
use crate::domain::operator::{Operator, Permission};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

fn state_name(i18n: I18n, state: ApprovalState) -> &'static str {
    match state {
        ApprovalState::Pending => t_string!(i18n, requests.state_pending),
        ApprovalState::Approved => t_string!(i18n, requests.state_approved),
        ApprovalState::Rejected => t_string!(i18n, requests.state_rejected),
        ApprovalState::Expired => t_string!(i18n, requests.state_expired),
        ApprovalState::Outdated => t_string!(i18n, requests.state_outdated),
    }
}

fn state_badge(state: ApprovalState) -> &'static str {
    match state {
        ApprovalState::Pending => "badge",
        ApprovalState::Approved => "badge badge-ok",
        _ => "badge badge-warn",
    }
}

fn reason_name(i18n: I18n, reason: ApprovalReason) -> &'static str {
    match reason {
        ApprovalReason::ForceMove => t_string!(i18n, requests.reason_force_move),
        ApprovalReason::Delete => t_string!(i18n, requests.reason_delete),
        ApprovalReason::OrgMove => t_string!(i18n, requests.reason_org_move),
        ApprovalReason::ManyUsers => t_string!(i18n, requests.reason_many_users),
    }
}

/// What a request would do, in the words of the job list.
fn operation_name(i18n: I18n, kind: OperationKind, force: bool) -> &'static str {
    match kind {
        OperationKind::Enable => t_string!(i18n, enable.title),
        OperationKind::Move => kind_name(i18n, JobKind::Move, force),
        OperationKind::Delete => kind_name(i18n, JobKind::Delete, false),
        OperationKind::Configure => kind_name(i18n, JobKind::Configure, false),
        OperationKind::OrgMove => kind_name(i18n, JobKind::OrgMove, false),
        OperationKind::Undo => kind_name(i18n, JobKind::Undo, false),
    }
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let i18n = use_i18n();
    let requests = Resource::new(|| (), |_| list_requests());
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, requests.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, requests.title)}</h1></div>
        <p class="muted">{t!(i18n, requests.intro)}</p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match requests.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p data-testid="requests-empty">{t!(i18n, requests.none)}</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="data-table" data-testid="requests-table">
                                <caption class="visually-hidden">{t!(i18n, requests.title)}</caption>
                                <thead><tr>
                                    <th scope="col">{t!(i18n, requests.col_request)}</th>
                                    <th scope="col">{t!(i18n, requests.col_operation)}</th>
                                    <th scope="col">{t!(i18n, requests.col_requested_by)}</th>
                                    <th scope="col" class="num">{t!(i18n, requests.col_users)}</th>
                                    <th scope="col">{t!(i18n, requests.col_state)}</th>
                                    <th scope="col">{t!(i18n, requests.col_expires)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let (id, kind, force, state, users, expires) = (r.id, r.kind, r.force, r.state, r.users, r.expires_at);
                                        view! {
                                            <tr data-state=state.as_str()>
                                                <td><A href=format!("/requests/{id}")>{move || t_string!(i18n, requests.request_title, id = id.0).to_string()}</A></td>
                                                <td>{move || operation_name(i18n, kind, force)}</td>
                                                <td>{r.requested_by.clone()}</td>
                                                <td class="num">{move || count(i18n, users)}</td>
                                                <td><span class=state_badge(state)>{move || state_name(i18n, state)}</span></td>
                                                <td>{move || format_instant(lang(i18n), expires)}</td>
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
    }
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .map(ApprovalId)
            .ok_or(AppError::ApprovalNotFound)
    });
    let approve = ServerAction::<ApproveRequest>::new();
    let reject = ServerAction::<RejectRequest>::new();
    let view_of = Resource::new(
        move || (id.get(), approve.version().get(), reject.version().get()),
        |(id, _, _)| async move { get_request(id?).await },
    );
    // An approved run that became a job: its page follows the progress.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(Started::Job(job))) = approve.value().get() {
            navigate(&format!("/jobs/{job}"), Default::default());
        }
    });
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, requests.title), t_string!(i18n, app_name)))}
        <p><A href="/requests">{t!(i18n, requests.back)}</A></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match view_of.await {
                    Err(error) if error.is_not_found() => view! { <PageError error /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(view) => view! { <RequestView request=view.request users=view.users approve reject /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RequestView(
    request: ApprovalRequest,
    users: Vec<(crate::domain::user::UserId, String)>,
    approve: ServerAction<ApproveRequest>,
    reject: ServerAction<RejectRequest>,
) -> impl IntoView {
    let i18n = use_i18n();
    let me = use_context::<Operator>();
    let mine = me.as_ref().is_some_and(|o| o.username.eq_ignore_ascii_case(&request.requested_by));
    let may = me.as_ref().is_some_and(|o| o.may(Permission::ManageUsers));
    let pending = request.state == ApprovalState::Pending;
    let ApprovalRequest { id, kind, force, reason, state, users: total, changing, data_lost, .. } =
        request.clone();
    let (created, expires) = (request.created_at, request.expires_at);
    let comment = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let needs_password = request.needs_password;
    let busy = move || approve.pending().get() || reject.pending().get();
    let error = move || {
        approve
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !e.asks_for_password_again())
            .or_else(|| reject.value().get().and_then(Result::err))
            .map(|error| view! { <ErrorPanel error /> })
    };
    view! {
        <div class="page-header">
            <h1>{move || format!("{} – {}", t_string!(i18n, requests.request_title, id = id.0), operation_name(i18n, kind, force))}</h1>
        </div>
        <dl class="properties" data-testid="request-details">
            <dt>{t!(i18n, requests.col_state)}</dt>
            <dd><span class=state_badge(state) data-testid="request-state">{move || state_name(i18n, state)}</span></dd>
            <dt>{t!(i18n, requests.why)}</dt>
            <dd>{move || reason_name(i18n, reason)}</dd>
            <dt>{t!(i18n, requests.col_requested_by)}</dt>
            <dd data-testid="request-requester">{move || format!("{} – {}", request.requested_by, format_instant(lang(i18n), created))}</dd>
            {request.target.clone().map(|target| view! {
                <dt>{t!(i18n, requests.target)}</dt>
                <dd class="mono">{target}</dd>
            })}
            <dt>{t!(i18n, requests.col_users)}</dt>
            <dd data-testid="request-users">{move || t_string!(i18n, requests.users_changing, users = count(i18n, total), changing = count(i18n, changing)).to_string()}</dd>
            <dt>{t!(i18n, requests.data_lost)}</dt>
            <dd data-testid="request-data-lost">{move || count(i18n, data_lost)}</dd>
            <dt>{t!(i18n, requests.fingerprint)}</dt>
            <dd class="mono">{request.fingerprint.clone()}</dd>
            <dt>{t!(i18n, requests.col_expires)}</dt>
            <dd>{move || format_instant(lang(i18n), expires)}</dd>
            {request.decided_by.clone().map(|by| view! {
                <dt>{t!(i18n, requests.decided_by)}</dt>
                <dd data-testid="request-decided-by">{by}</dd>
            })}
            {request.comment.clone().map(|c| view! {
                <dt>{t!(i18n, requests.comment)}</dt>
                <dd data-testid="request-comment">{c}</dd>
            })}
            {request.job.map(|job| view! {
                <dt>{t!(i18n, requests.started)}</dt>
                <dd><A href=format!("/jobs/{job}")>{move || t_string!(i18n, jobs.job_title, id = job.0).to_string()}</A></dd>
            })}
            {request.event_id.map(|event| view! {
                <dt>{t!(i18n, requests.started)}</dt>
                <dd><A href=format!("/audit/{event}")>{t!(i18n, audit.view_record)}</A></dd>
            })}
        </dl>
        {(pending && mine).then(|| view! {
            <p class="alert alert-info" data-testid="request-waiting">{t!(i18n, requests.waiting_for_other)}</p>
        })}
        {error}
        {(pending && may && !mine).then(|| view! {
            <section class="panel" aria-labelledby="request-decide-title" data-testid="request-decide">
                <h2 id="request-decide-title">{t!(i18n, requests.decide_title)}</h2>
                <label for="request-comment">{t!(i18n, requests.comment)}</label>
                <textarea id="request-comment" rows="3" maxlength="500"
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                {needs_password.then(|| view! {
                    <PasswordConfirm password error=step_up_error(move || approve.value().get()) />
                })}
                <div class="wizard-actions">
                    <button type="button" class="button" data-testid="request-reject"
                        disabled=busy
                        on:click=move |_| { reject.dispatch(RejectRequest { request: id, comment: comment.get_untracked() }); }>
                        {t!(i18n, requests.reject)}
                    </button>
                    <button type="button" class="button button-primary" data-testid="request-approve"
                        disabled=move || busy() || (needs_password && password.with(String::is_empty))
                        on:click=move |_| {
                            let password = needs_password.then(|| password.get_untracked());
                            approve.dispatch(ApproveRequest { request: id, comment: comment.get_untracked(), password });
                        }>
                        {t!(i18n, requests.approve)}
                    </button>
                </div>
            </section>
        })}
        <section class="panel" aria-labelledby="request-users-title">
            <h2 id="request-users-title">{t!(i18n, requests.users_title)}</h2>
            <div class="table-wrap">
                <table class="data-table" data-testid="request-user-list">
                    <caption class="visually-hidden">{t!(i18n, requests.users_title)}</caption>
                    <thead><tr><th scope="col">{t!(i18n, wizard.col_name)}</th></tr></thead>
                    <tbody>
                        {users.into_iter().map(|(user, name)| view! {
                            <tr><td><A href=format!("/users/{}", user.0)>{name}</A></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The policy, on the administration page.
#[component]
pub fn ApprovalPolicySection() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SetApprovalPolicy>::new();
    let current = Resource::new(move || save.version().get(), |_| get_approval_policy());
    view! {
        <section class="admin-section" aria-labelledby="admin-approval">
            <h2 id="admin-approval">{t!(i18n, requests.policy_title)}</h2>
            <p class="muted">{t!(i18n, requests.policy_intro)}</p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match current.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(policy) => view! { <PolicyForm policy save /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PolicyForm(policy: ApprovalPolicy, save: ServerAction<SetApprovalPolicy>) -> impl IntoView {
    let i18n = use_i18n();
    let force_move = RwSignal::new(policy.force_move);
    let delete = RwSignal::new(policy.delete);
    let org_move = RwSignal::new(policy.org_move);
    let large = RwSignal::new(policy.above_users.is_some());
    let above = RwSignal::new(policy.above_users.unwrap_or(1_000).to_string());
    let hours = RwSignal::new(policy.expiry_hours.to_string());
    let checkbox = move |id: &'static str, signal: RwSignal<bool>, label: fn(I18n) -> &'static str| {
        view! {
            <div class="check-row">
                <input type="checkbox" id=id prop:checked=move || signal.get()
                    on:change=move |ev| signal.set(event_target_checked(&ev)) />
                <label for=id>{move || label(i18n)}</label>
            </div>
        }
    };
    view! {
        // The server says the rule when a number is out of range (in the operator's language).
        <form class="form-stack approval-policy" data-testid="approval-policy" novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                let policy = ApprovalPolicy {
                    force_move: force_move.get_untracked(),
                    delete: delete.get_untracked(),
                    org_move: org_move.get_untracked(),
                    // Not a number: 0, which the server refuses with the rule.
                    above_users: large.get_untracked().then(|| above.get_untracked().trim().parse().unwrap_or(0)),
                    expiry_hours: hours.get_untracked().trim().parse().unwrap_or(0),
                };
                save.dispatch(SetApprovalPolicy { policy });
            }>
            <fieldset>
                <legend>{t!(i18n, requests.policy_which)}</legend>
                {checkbox("policy-force-move", force_move, |i| t_string!(i, requests.policy_force_move))}
                {checkbox("policy-delete", delete, |i| t_string!(i, requests.policy_delete))}
                {checkbox("policy-org-move", org_move, |i| t_string!(i, requests.policy_org_move))}
                {checkbox("policy-large", large, |i| t_string!(i, requests.policy_large))}
                <label for="policy-above">{t!(i18n, requests.policy_above)}</label>
                <input id="policy-above" type="number" min="1" inputmode="numeric" disabled=move || !large.get()
                    prop:value=move || above.get() on:input=move |ev| above.set(event_target_value(&ev)) />
            </fieldset>
            <label for="policy-hours">{t!(i18n, requests.policy_hours)}</label>
            <input id="policy-hours" type="number" min="1" max="168" inputmode="numeric"
                prop:value=move || hours.get() on:input=move |ev| hours.set(event_target_value(&ev)) />
            {move || save.value().get().map(|answer| match answer {
                Ok(()) => view! { <p class="alert alert-success" role="status" data-testid="policy-saved">{t!(i18n, requests.policy_saved)}</p> }.into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
            })}
            <div class="wizard-actions">
                <button type="submit" class="button button-primary" data-testid="policy-save" disabled=move || save.pending().get()>
                    {t!(i18n, requests.policy_save)}
                </button>
            </div>
        </form>
    }
}

//! The administration page (Enterprise Administrators): operators (disable, re-enable), live
//! sessions (end one), sign-in lockouts (lift one) and online backups (make one, download).

use super::common::{
    ConfirmPanel, ErrorPanel, I18n, Loading, PasswordConfirm, count, lang, page_title, role_name,
    step_up_error,
};
use crate::api::admin::{
    AddOperator, AuthorizeBackupDownload, BackUpDatabase, DeleteOperator, EndSession, ResetOperatorPassword,
    SetOperatorDisabled, UnlockSignIn, get_security_overview,
};
use crate::domain::format::format_instant;
use crate::domain::operator::{Operator, OperatorId, Permission, Role};
use crate::domain::security::{BackupFile, Lockout, OperatorSummary, SessionInfo, ThrottleScope};
use crate::i18n::*;
use leptos::prelude::*;

fn when(i18n: I18n, at: i64) -> String {
    format_instant(lang(i18n), at)
}

fn scope_name(i18n: I18n, scope: ThrottleScope) -> &'static str {
    match scope {
        ThrottleScope::Account => t_string!(i18n, admin.scope_account),
        ThrottleScope::Address => t_string!(i18n, admin.scope_address),
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let disable = ServerAction::<SetOperatorDisabled>::new();
    let end = ServerAction::<EndSession>::new();
    let unlock = ServerAction::<UnlockSignIn>::new();
    let backup = ServerAction::<BackUpDatabase>::new();
    let add = ServerAction::<AddOperator>::new();
    let reset = ServerAction::<ResetOperatorPassword>::new();
    let delete = ServerAction::<DeleteOperator>::new();
    // Reloaded after every change made here. Read in the browser only: sessions and lockouts
    // change by the second, so a server-rendered copy could differ from the one the browser
    // hydrates with.
    let overview = LocalResource::new(move || {
        (
            disable.version().get(),
            end.version().get(),
            unlock.version().get(),
            backup.version().get(),
            add.version().get(),
            reset.version().get(),
            delete.version().get(),
        );
        get_security_overview()
    });
    // The overview is only ever drawn in the browser, after hydration: the server and the
    // browser then agree on the page (a loading line), whatever the timing of the first fetch.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // The one-time password just made (by adding or resetting), with whose it is: shown once.
    let one_time = RwSignal::new(None::<(String, String)>);
    let for_whom = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(password)) = add.value().get().or_else(|| reset.value().get()) {
            one_time.set(Some((for_whom.get_untracked(), password)));
        }
    });
    let last_error = Signal::derive(move || {
        [
            disable.value().get().and_then(Result::err),
            end.value().get().and_then(Result::err),
            unlock.value().get().and_then(Result::err),
            backup.value().get().and_then(Result::err),
            add.value().get().and_then(Result::err),
            reset.value().get().and_then(Result::err),
            delete.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, admin.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, admin.title)}</h1></div>
        <p class="muted">{t!(i18n, admin.intro)}</p>
        {move || last_error.get().map(|error| view! { <ErrorPanel error /> })}
        {move || one_time.get().map(|(name, password)| view! {
            <div class="alert alert-success" role="status" data-testid="one-time-password">
                <p>{t!(i18n, admin.one_time_for, name = name.clone())}" "<code class="mono" data-testid="one-time-value">{password}</code></p>
                <p>{t!(i18n, admin.one_time_hint)}</p>
            </div>
        })}
        <crate::ui::requests::ApprovalPolicySection />
        {move || if hydrated.get() {
            view! {
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                            Ok(o) => view! {
                                <OperatorsSection operators=o.operators disable reset delete for_whom />
                                <NewOperatorSection add for_whom />
                                <crate::ui::scoped_roles::ScopedRolesSection />
                                <SessionsSection sessions=o.sessions end />
                                <LockoutsSection lockouts=o.lockouts unlock />
                                <BackupsSection backups=o.backups backup />
                            }
                            .into_any(),
                        }
                    })}
                </Transition>
            }
            .into_any()
        } else {
            view! { <Loading /> }.into_any()
        }}
    }
}

#[component]
fn OperatorsSection(
    operators: Vec<OperatorSummary>,
    disable: ServerAction<SetOperatorDisabled>,
    reset: ServerAction<ResetOperatorPassword>,
    delete: ServerAction<DeleteOperator>,
    for_whom: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    // The operator whose deletion is being confirmed.
    let deleting = RwSignal::new(None::<(OperatorId, String)>);
    let me = use_context::<Operator>().map(|o| o.id);
    view! {
        <section class="admin-section" aria-labelledby="admin-operators">
            <h2 id="admin-operators">{t!(i18n, admin.operators_title)}</h2>
            <div class="table-wrap">
                <table class="data-table" data-testid="operators-table">
                    <thead><tr>
                        <th scope="col">{t!(i18n, admin.col_username)}</th>
                        <th scope="col">{t!(i18n, admin.col_display_name)}</th>
                        <th scope="col">{t!(i18n, admin.col_roles)}</th>
                        <th scope="col">{t!(i18n, admin.col_status)}</th>
                        <th scope="col" class="num">{t!(i18n, admin.col_sessions)}</th>
                        <th scope="col">{t!(i18n, admin.col_action)}</th>
                    </tr></thead>
                    <tbody>
                        {operators.into_iter().map(|o| {
                            let (id, disabled, sessions, from_directory) = (o.id, o.disabled, o.sessions, o.from_directory);
                            let roles = o.roles.clone();
                            let username = o.username.clone();
                            let is_me = me == Some(id);
                            view! {
                                <tr data-operator=o.username.clone()>
                                    <td class="mono">{o.username.clone()}</td>
                                    <td>
                                        {o.display_name.clone()}
                                        {from_directory.then(|| view! { " " <span class="badge" data-testid="directory-badge">{t!(i18n, admin.directory_operator)}</span> })}
                                    </td>
                                    <td>{move || roles.iter().map(|r| role_name(i18n, *r)).collect::<Vec<_>>().join(", ")}</td>
                                    <td>
                                        <span class=if disabled { "badge badge-warn" } else { "badge badge-ok" }>
                                            {move || if disabled { t_string!(i18n, admin.disabled) } else { t_string!(i18n, admin.active) }}
                                        </span>
                                    </td>
                                    <td class="num">{move || count(i18n, sessions as u64)}</td>
                                    <td>
                                        {(!is_me).then(|| {
                                                            let username = username.clone();
                                            view! {
                                                <div class="row-actions">
                                                <button type="button" class=if disabled { "button button-small" } else { "button button-small button-danger" }
                                                    disabled=move || disable.pending().get()
                                                    on:click=move |_| { disable.dispatch(SetOperatorDisabled { operator: id, disabled: !disabled }); }>
                                                    {move || if disabled { t_string!(i18n, admin.enable) } else { t_string!(i18n, admin.disable) }}
                                                    <span class="visually-hidden">"("{username.clone()}")"</span>
                                                </button>
                                                <button type="button" class="button button-small"
                                                    hidden=from_directory
                                                    disabled=move || reset.pending().get()
                                                    on:click={
                                                        let username = username.clone();
                                                        move |_| {
                                                            for_whom.set(username.clone());
                                                            reset.dispatch(ResetOperatorPassword { operator: id });
                                                        }
                                                    }>
                                                    {t!(i18n, admin.reset_password)}
                                                    <span class="visually-hidden">"("{username.clone()}")"</span>
                                                </button>
                                                <button type="button" class="button button-small button-quiet"
                                                    on:click={
                                                        let username = username.clone();
                                                        move |_| deleting.set(Some((id, username.clone())))
                                                    }>
                                                    {t!(i18n, admin.delete)}
                                                    <span class="visually-hidden">"("{username.clone()}")"</span>
                                                </button>
                                                </div>
                                            }
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {move || deleting.get().map(|(id, name)| view! {
                <ConfirmPanel labelled_by="admin-operators" question_id="delete-operator-text"
                    question=Signal::derive(move || t_string!(i18n, admin.confirm_delete, name = name.clone()).to_string())
                    cancel=Signal::derive(move || t_string!(i18n, admin.cancel).to_string())
                    confirm=Signal::derive(move || t_string!(i18n, admin.confirm_delete_button).to_string())
                    pending=delete.pending() confirm_testid="confirm-delete-operator"
                    on_cancel=Callback::new(move |_| deleting.set(None))
                    on_confirm=Callback::new(move |_| { delete.dispatch(DeleteOperator { operator: id }); deleting.set(None); }) />
            })}
            <p class="field-hint">{t!(i18n, admin.disable_hint)}</p>
        </section>
    }
}

/// A new operator: sign-in name, display name and roles; the one-time password is shown above.
#[component]
fn NewOperatorSection(add: ServerAction<AddOperator>, for_whom: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let roles = RwSignal::new(Vec::<Role>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        for_whom.set(username.get_untracked());
        add.dispatch(AddOperator {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            roles: roles.get_untracked(),
        });
    };
    view! {
        <section class="admin-section" aria-labelledby="admin-new-operator">
            <h2 id="admin-new-operator">{t!(i18n, admin.new_operator_title)}</h2>
            <form class="form-stack new-operator" on:submit=submit data-testid="new-operator">
                <label for="new-operator-name">{t!(i18n, admin.col_username)}</label>
                <input id="new-operator-name" type="text" required autocomplete="off" autocapitalize="none"
                    spellcheck="false" maxlength=crate::api::MAX_USERNAME_CHARS
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="new-operator-display">{t!(i18n, admin.col_display_name)}</label>
                <input id="new-operator-display" type="text" autocomplete="off" maxlength="128"
                    prop:value=move || display_name.get() on:input=move |ev| display_name.set(event_target_value(&ev)) />
                <fieldset>
                    <legend>{t!(i18n, admin.col_roles)}</legend>
                    {Role::ALL.into_iter().map(|role| {
                        let id = format!("new-operator-role-{}", role.as_str());
                        view! {
                            <div class="check-row">
                                <input type="checkbox" id=id.clone()
                                    prop:checked=move || roles.with(|r| r.contains(&role))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        roles.update(|r| {
                                            r.retain(|x| *x != role);
                                            if on { r.push(role); }
                                        });
                                    } />
                                <label for=id>{move || role_name(i18n, role)}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <p class="field-hint">{t!(i18n, admin.new_operator_hint)}</p>
                <button type="submit" class="button button-primary"
                    disabled=move || add.pending().get() || username.with(|u| u.trim().is_empty())>
                    {t!(i18n, admin.add_operator)}
                </button>
            </form>
        </section>
    }
}

#[component]
fn SessionsSection(sessions: Vec<SessionInfo>, end: ServerAction<EndSession>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="admin-section" aria-labelledby="admin-sessions">
            <h2 id="admin-sessions">{t!(i18n, admin.sessions_title)}</h2>
            <div class="table-wrap">
                <table class="data-table" data-testid="sessions-table">
                    <thead><tr>
                        <th scope="col">{t!(i18n, admin.col_username)}</th>
                        <th scope="col">{t!(i18n, admin.col_signed_in)}</th>
                        <th scope="col">{t!(i18n, admin.col_last_seen)}</th>
                        <th scope="col">{t!(i18n, admin.col_expires)}</th>
                        <th scope="col">{t!(i18n, admin.col_address)}</th>
                        <th scope="col">{t!(i18n, admin.col_browser)}</th>
                        <th scope="col">{t!(i18n, admin.col_action)}</th>
                    </tr></thead>
                    <tbody>
                        {sessions.into_iter().map(|s| {
                            let (id, created, seen, expires, current) = (s.id, s.created_at, s.last_seen_at, s.expires_at, s.current);
                            let username = s.username.clone();
                            view! {
                                <tr data-session-of=s.username.clone()>
                                    <td class="mono">{s.username.clone()}</td>
                                    <td>{move || when(i18n, created)}</td>
                                    <td>{move || when(i18n, seen)}</td>
                                    <td>{move || when(i18n, expires)}</td>
                                    <td class="mono">{s.client_address.clone()}</td>
                                    <td class="wrap">{s.user_agent.clone()}</td>
                                    <td>
                                        {if current {
                                            view! { <span class="badge">{t!(i18n, admin.this_session)}</span> }.into_any()
                                        } else {
                                            view! {
                                                <button type="button" class="button button-small button-danger"
                                                    disabled=move || end.pending().get()
                                                    on:click=move |_| { end.dispatch(EndSession { session: id }); }>
                                                    {t!(i18n, admin.end_session)}
                                                    <span class="visually-hidden">"("{username}")"</span>
                                                </button>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn LockoutsSection(lockouts: Vec<Lockout>, unlock: ServerAction<UnlockSignIn>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="admin-section" aria-labelledby="admin-lockouts">
            <h2 id="admin-lockouts">{t!(i18n, admin.lockouts_title)}</h2>
            <p class="field-hint">{t!(i18n, admin.lockouts_hint)}</p>
            {if lockouts.is_empty() {
                view! { <p data-testid="lockouts-empty">{t!(i18n, admin.no_lockouts)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table" data-testid="lockouts-table">
                            <thead><tr>
                                <th scope="col">{t!(i18n, admin.col_scope)}</th>
                                <th scope="col">{t!(i18n, admin.col_key)}</th>
                                <th scope="col" class="num">{t!(i18n, admin.col_failures)}</th>
                                <th scope="col">{t!(i18n, admin.col_until)}</th>
                                <th scope="col">{t!(i18n, admin.col_action)}</th>
                            </tr></thead>
                            <tbody>
                                {lockouts.into_iter().map(|l| {
                                    let (scope, failures, until) = (l.scope, l.failures, l.blocked_until);
                                    let key = StoredValue::new(l.key.clone());
                                    view! {
                                        <tr data-lockout=l.key.clone()>
                                            <td>{move || scope_name(i18n, scope)}</td>
                                            <td class="mono">{l.key.clone()}</td>
                                            <td class="num">{move || count(i18n, failures as u64)}</td>
                                            <td>{move || if until > 0 { when(i18n, until) } else { t_string!(i18n, admin.not_held).to_string() }}</td>
                                            <td>
                                                <button type="button" class="button button-small"
                                                    disabled=move || unlock.pending().get()
                                                    on:click=move |_| { unlock.dispatch(UnlockSignIn { scope, key: key.get_value() }); }>
                                                    {t!(i18n, admin.unlock)}
                                                    <span class="visually-hidden">"("{key.get_value()}")"</span>
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn BackupsSection(backups: Vec<BackupFile>, backup: ServerAction<BackUpDatabase>) -> impl IntoView {
    let i18n = use_i18n();
    let may = use_context::<Operator>().is_some_and(|o| o.may(Permission::BackUpDatabase));
    // A download is confirmed with the password; the server answers with a one-time link.
    let chosen = RwSignal::new(None::<String>);
    let password = RwSignal::new(String::new());
    let authorize = ServerAction::<AuthorizeBackupDownload>::new();
    let ready = move || {
        let file = chosen.get()?;
        let ticket = authorize.value().get().and_then(Result::ok)?;
        Some((file, ticket))
    };
    let other_error = move || match authorize.value().get() {
        Some(Err(e)) if !e.asks_for_password_again() => Some(e),
        _ => None,
    };
    view! {
        <section class="admin-section" aria-labelledby="admin-backups">
            <h2 id="admin-backups">{t!(i18n, admin.backups_title)}</h2>
            <p class="field-hint">{t!(i18n, admin.backups_hint)}</p>
            {may.then(|| view! {
                <div class="wizard-actions">
                    <button type="button" class="button button-primary" data-testid="backup-now"
                        disabled=move || backup.pending().get()
                        on:click=move |_| { backup.dispatch(BackUpDatabase {}); }>
                        {move || if backup.pending().get() { t_string!(i18n, admin.backing_up) } else { t_string!(i18n, admin.back_up_now) }}
                    </button>
                </div>
            })}
            {move || backup.value().get().and_then(Result::ok).map(|file| view! {
                <p class="alert alert-success" role="status" data-testid="backup-done">
                    {move || t_string!(i18n, admin.backup_done, name = file.name.clone()).to_string()}
                </p>
            })}
            {if backups.is_empty() {
                view! { <p data-testid="backups-empty">{t!(i18n, admin.no_backups)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data-table" data-testid="backups-table">
                            <thead><tr>
                                <th scope="col">{t!(i18n, admin.col_file)}</th>
                                <th scope="col">{t!(i18n, admin.col_created)}</th>
                                <th scope="col" class="num">{t!(i18n, admin.col_size)}</th>
                                <th scope="col">{t!(i18n, admin.col_action)}</th>
                            </tr></thead>
                            <tbody>
                                {backups.into_iter().map(|b| {
                                    let (created, kilobytes) = (b.created_at, b.bytes.div_ceil(1024));
                                    let name = StoredValue::new(b.name.clone());
                                    view! {
                                        <tr>
                                            <td class="mono">{b.name.clone()}</td>
                                            <td>{move || when(i18n, created)}</td>
                                            <td class="num">{move || t_string!(i18n, admin.kilobytes, size = count(i18n, kilobytes)).to_string()}</td>
                                            <td>
                                                <button type="button" class="button button-quiet" data-testid="backup-download"
                                                    disabled=!may
                                                    on:click=move |_| {
                                                        chosen.set(Some(name.get_value()));
                                                        password.set(String::new());
                                                        authorize.clear();
                                                    }>
                                                    {t!(i18n, admin.download)}
                                                    <span class="visually-hidden">" "{b.name.clone()}</span>
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {move || chosen.get().map(|file| view! {
                <div class="panel step-up-panel" data-testid="backup-download-panel">
                    <h3>{move || t_string!(i18n, admin.download_title, name = file.clone()).to_string()}</h3>
                    {move || match ready() {
                        Some((file, ticket)) => {
                            let href = format!("/exports/backups/{file}?ticket={ticket}");
                            view! {
                                <p class="alert alert-success" role="status">
                                    <a data-testid="backup-download-link" download href=href>
                                        {move || t_string!(i18n, admin.download_ready, name = file.clone()).to_string()}
                                    </a>
                                </p>
                                <p class="field-hint">{t!(i18n, admin.download_once)}</p>
                            }.into_any()
                        }
                        None => view! {
                            <PasswordConfirm password error=step_up_error(move || authorize.value().get())
                                hint=|i| t_string!(i, admin.download_hint) />
                            {move || other_error().map(|error| view! { <ErrorPanel error /> })}
                            <div class="wizard-actions">
                                <button type="button" class="button" on:click=move |_| chosen.set(None)>{t!(i18n, wizard.cancel)}</button>
                                <button type="button" class="button button-primary" data-testid="backup-download-confirm"
                                    disabled=move || password.with(String::is_empty) || authorize.pending().get()
                                    on:click=move |_| {
                                        if let Some(file) = chosen.get_untracked() {
                                            authorize.dispatch(AuthorizeBackupDownload { file, password: password.get_untracked() });
                                        }
                                    }>
                                    {t!(i18n, admin.download_confirm)}
                                </button>
                            </div>
                        }.into_any(),
                    }}
                </div>
            })}
        </section>
    }
}

//! The Scripting API page: how scripts reach the portal, the operator's personal access tokens
//! (create one — its secret shown once —, see their last use, revoke), every operator's tokens
//! for administrators, and the reference of the API's calls from its OpenAPI document.

use super::common::{ConfirmPanel, ErrorPanel, I18n, Loading, lang, page_title};
use crate::api::tokens::{ApiCall, CreateApiToken, RevokeApiToken, api_reference, list_api_tokens};
use crate::domain::api_token::{
    API_PERMISSIONS, ApiToken, ApiTokenId, ApiTokenStatus, MAX_TOKEN_DAYS, MAX_TOKEN_NAME_CHARS, NewApiToken,
};
use crate::domain::format::format_instant;
use crate::domain::operator::{Operator, Permission};
use crate::i18n::*;
use leptos::prelude::*;

/// Where the API lives, as scripts write it.
const API_BASE: &str = "/api/v1";

pub fn permission_name(i18n: I18n, permission: Permission) -> &'static str {
    match permission {
        Permission::ViewDeployment => t_string!(i18n, api.perm_view_deployment),
        Permission::ManageUsers => t_string!(i18n, api.perm_manage_users),
        Permission::MoveUsersBetweenOrganizations => {
            t_string!(i18n, api.perm_move_users_between_organizations)
        }
        Permission::ManagePools => t_string!(i18n, api.perm_manage_pools),
        Permission::ManageOperators => t_string!(i18n, api.perm_manage_operators),
        Permission::BackUpDatabase => t_string!(i18n, api.perm_back_up_database),
    }
}

fn tag_name(i18n: I18n, tag: &str) -> String {
    let name = match tag {
        "Pools" => t_string!(i18n, api.tag_pools),
        "Users" => t_string!(i18n, api.tag_users),
        "Enable" => t_string!(i18n, api.tag_enable),
        "Move" => t_string!(i18n, api.tag_move),
        "Delete" => t_string!(i18n, api.tag_delete),
        "Configure" => t_string!(i18n, api.tag_configure),
        "Organizations" => t_string!(i18n, api.tag_organizations),
        "Jobs" => t_string!(i18n, api.tag_jobs),
        "User data" => t_string!(i18n, api.tag_user_data),
        "Audit" => t_string!(i18n, api.tag_audit),
        other => return other.to_string(),
    };
    name.to_string()
}

fn when(i18n: I18n, at: i64) -> String {
    format_instant(lang(i18n), at)
}

#[component]
pub fn ApiPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let operator = use_context::<Operator>();
    let administers = operator.as_ref().is_some_and(|o| o.may(Permission::ManageOperators));
    // Read in the browser: the last use of a token changes while the page is open.
    let mine = LocalResource::new(move || {
        (create.version().get(), revoke.version().get());
        list_api_tokens(false)
    });
    let everyone = LocalResource::new(move || {
        (create.version().get(), revoke.version().get());
        async move { if administers { list_api_tokens(true).await.map(Some) } else { Ok(None) } }
    });
    let reference = Resource::new(|| (), |_| api_reference());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let last_error = Signal::derive(move || {
        create.value().get().and_then(Result::err).or_else(|| revoke.value().get().and_then(Result::err))
    });
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, api.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, api.title)}</h1></div>
        <p>{t!(i18n, api.intro, base = API_BASE)}</p>
        <p>
            <a href="/api/v1/openapi.json" data-testid="openapi-link">{t!(i18n, api.document_link)}</a>
        </p>
        {move || last_error.get().map(|error| view! { <ErrorPanel error /> })}
        {move || create.value().get().and_then(Result::ok).map(|created| {
            let example = format!(
                "curl -H \"Authorization: Bearer {}\" {}{}/pools",
                created.secret,
                window_origin(),
                API_BASE
            );
            view! {
                <div class="alert alert-success" role="status" data-testid="new-token">
                    <p>{t!(i18n, api.secret_title, name = created.token.name.clone())}</p>
                    <p><code class="mono secret" data-testid="new-token-secret">{created.secret.clone()}</code></p>
                    <p>{t!(i18n, api.secret_hint)}</p>
                    <p>{t!(i18n, api.example)}</p>
                    <pre class="code-example"><code>{example}</code></pre>
                </div>
            }
        })}
        <NewTokenSection create operator=operator.clone() />
        {move || if hydrated.get() {
            view! {
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match (mine.await, everyone.await) {
                            (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                            (Ok(mine), Ok(everyone)) => view! {
                                <TokensSection title_id="api-mine" tokens=mine revoke owners=false />
                                {everyone.map(|all| view! {
                                    <TokensSection title_id="api-all" tokens=all revoke owners=true />
                                })}
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
        <section class="admin-section" aria-labelledby="api-reference">
            <h2 id="api-reference">{t!(i18n, api.reference_title)}</h2>
            <p class="muted">{t!(i18n, api.reference_intro)}</p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match reference.await {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(calls) => view! { <Reference calls /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The origin scripts reach the portal at, as the browser sees it.
fn window_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
fn NewTokenSection(create: ServerAction<CreateApiToken>, operator: Option<Operator>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(90u32);
    let offered: Vec<Permission> =
        API_PERMISSIONS.into_iter().filter(|p| operator.as_ref().is_some_and(|o| o.may(*p))).collect();
    let chosen = RwSignal::new(vec![Permission::ViewDeployment]);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateApiToken {
            request: NewApiToken {
                name: name.get_untracked(),
                days: days.get_untracked(),
                permissions: chosen.get_untracked(),
            },
        });
    };
    view! {
        <section class="admin-section" aria-labelledby="api-new-token">
            <h2 id="api-new-token">{t!(i18n, api.new_title)}</h2>
            <form class="form-stack" on:submit=submit data-testid="new-token-form">
                <label for="token-name">{t!(i18n, api.name)}</label>
                <input id="token-name" type="text" required autocomplete="off" maxlength=MAX_TOKEN_NAME_CHARS
                    aria-describedby="token-name-hint"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <p class="field-hint" id="token-name-hint">{t!(i18n, api.name_hint)}</p>
                <label for="token-days">{t!(i18n, api.days)}</label>
                <input id="token-days" type="number" required min="1" max=MAX_TOKEN_DAYS inputmode="numeric"
                    aria-describedby="token-days-hint"
                    prop:value=move || days.get().to_string()
                    on:input=move |ev| days.set(event_target_value(&ev).trim().parse().unwrap_or(0)) />
                <p class="field-hint" id="token-days-hint">{t!(i18n, api.days_hint, max = MAX_TOKEN_DAYS)}</p>
                <fieldset aria-describedby="token-permissions-hint">
                    <legend>{t!(i18n, api.permissions)}</legend>
                    {offered.into_iter().map(|permission| {
                        let id = format!("token-permission-{}", permission.as_str());
                        view! {
                            <div class="check-row">
                                <input type="checkbox" id=id.clone()
                                    prop:checked=move || chosen.with(|c| c.contains(&permission))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| {
                                            c.retain(|p| *p != permission);
                                            if on { c.push(permission); }
                                        });
                                    } />
                                <label for=id>{move || permission_name(i18n, permission)}</label>
                            </div>
                        }
                    }).collect_view()}
                    <p class="field-hint" id="token-permissions-hint">{t!(i18n, api.permissions_hint)}</p>
                </fieldset>
                <div class="wizard-actions">
                    <button type="submit" class="button button-primary" data-testid="create-token"
                        disabled=move || create.pending().get()>
                        {t!(i18n, api.create)}
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn TokensSection(
    title_id: &'static str,
    tokens: Vec<ApiToken>,
    revoke: ServerAction<RevokeApiToken>,
    owners: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let revoking = RwSignal::new(None::<(ApiTokenId, String)>);
    let empty = tokens.is_empty();
    view! {
        <section class="admin-section" aria-labelledby=title_id>
            <h2 id=title_id>
                {move || if owners { t_string!(i18n, api.all_title) } else { t_string!(i18n, api.mine_title) }}
            </h2>
            {empty.then(|| view! { <p class="muted">{t!(i18n, api.none)}</p> })}
            {(!empty).then(|| view! {
                <div class="table-wrap">
                    <table class="data-table" data-testid=if owners { "all-tokens" } else { "my-tokens" }>
                        <thead><tr>
                            <th scope="col">{t!(i18n, api.col_name)}</th>
                            {owners.then(|| view! { <th scope="col">{t!(i18n, api.col_owner)}</th> })}
                            <th scope="col">{t!(i18n, api.col_permissions)}</th>
                            <th scope="col">{t!(i18n, api.col_created)}</th>
                            <th scope="col">{t!(i18n, api.col_expires)}</th>
                            <th scope="col">{t!(i18n, api.col_last_used)}</th>
                            <th scope="col">{t!(i18n, api.col_status)}</th>
                            <th scope="col">{t!(i18n, api.col_action)}</th>
                        </tr></thead>
                        <tbody>
                            {tokens.into_iter().map(|token| {
                                let status = token.status;
                                let (id, name) = (token.id, token.name.clone());
                                let permissions = token.permissions.clone();
                                let (created, expires, last_used) = (token.created_at, token.expires_at, token.last_used_at);
                                view! {
                                    <tr data-token=token.name.clone()>
                                        <td>{token.name.clone()}</td>
                                        {owners.then(|| view! { <td class="mono">{token.owner.clone()}</td> })}
                                        <td>{move || permissions.iter().map(|p| permission_name(i18n, *p)).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{move || when(i18n, created)}</td>
                                        <td>{move || when(i18n, expires)}</td>
                                        <td data-testid="token-last-used">{move || match last_used {
                                            Some(at) => when(i18n, at),
                                            None => t_string!(i18n, api.never).to_string(),
                                        }}</td>
                                        <td>
                                            <span class=match status { ApiTokenStatus::Active => "badge badge-ok", _ => "badge badge-muted" }
                                                data-testid="token-status">
                                                {move || match status {
                                                    ApiTokenStatus::Active => t_string!(i18n, api.status_active),
                                                    ApiTokenStatus::Expired => t_string!(i18n, api.status_expired),
                                                    ApiTokenStatus::Revoked => t_string!(i18n, api.status_revoked),
                                                }}
                                            </span>
                                        </td>
                                        <td>
                                            {(status == ApiTokenStatus::Active).then(|| {
                                                let name = name.clone();
                                                view! {
                                                    <button type="button" class="button button-small button-danger"
                                                        on:click={
                                                            let name = name.clone();
                                                            move |_| revoking.set(Some((id, name.clone())))
                                                        }>
                                                        {t!(i18n, api.revoke)}
                                                        <span class="visually-hidden">"("{name.clone()}")"</span>
                                                    </button>
                                                }
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {move || revoking.get().map(|(id, name)| view! {
                <ConfirmPanel labelled_by=title_id question_id="revoke-token-text"
                    question=Signal::derive(move || t_string!(i18n, api.confirm_revoke, name = name.clone()).to_string())
                    cancel=Signal::derive(move || t_string!(i18n, api.cancel).to_string())
                    confirm=Signal::derive(move || t_string!(i18n, api.confirm_revoke_button).to_string())
                    pending=revoke.pending() confirm_testid="confirm-revoke"
                    on_cancel=Callback::new(move |_| revoking.set(None))
                    on_confirm=Callback::new(move |_| { revoke.dispatch(RevokeApiToken { id }); revoking.set(None); }) />
            })}
        </section>
    }
}

/// A summary with its `code` spans (Markdown's backticks) set as code.
fn with_code(text: &str) -> impl IntoView + use<> {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            let part = part.to_string();
            if i % 2 == 1 { view! { <code>{part}</code> }.into_any() } else { part.into_any() }
        })
        .collect_view()
}

#[component]
fn Reference(calls: Vec<ApiCall>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="api-reference">
                <thead><tr>
                    <th scope="col">{t!(i18n, api.col_section)}</th>
                    <th scope="col">{t!(i18n, api.col_method)}</th>
                    <th scope="col">{t!(i18n, api.col_path)}</th>
                    <th scope="col">{t!(i18n, api.col_summary)}</th>
                </tr></thead>
                <tbody>
                    {calls.into_iter().map(|call| {
                        let tag = call.tag.clone();
                        view! {
                            <tr>
                                <td>{move || tag_name(i18n, &tag)}</td>
                                <td class="mono">{call.method.clone()}</td>
                                <td class="mono api-path">{call.path.clone()}</td>
                                <td lang="en">{with_code(&call.summary)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

//! Find users: a SIP URI pattern, the scope, the advanced property filters, the results table
//! (any operation can start from it) and the saved queries.

use super::browse::UserTable;
use super::common::{
    ErrorPanel, I18n, Loading, archiving_name, category_name, error_message, page_title, telephony_name,
    version_name,
};
use super::console::TreeResource;
use super::target::ListOrigin;
use crate::api::search::{
    DeleteSavedQuery, RenameSavedQuery, SaveQuery, ShareSavedQuery, find_users, get_search_options,
    list_saved_queries,
};
use crate::domain::node::NodeId;
use crate::domain::paging::{PAGE_SIZES, SortKey, UserQuery};
use crate::domain::pool::{PoolCategory, ServerVersion};
use crate::domain::search::{
    GLOBAL_POLICY, MAX_PATTERN_CHARS, MAX_QUERY_NAME_CHARS, MeetingPolicyFilter, SavedQuery, SearchFilters,
    UserSearch,
};
use crate::domain::user::{ArchivingPolicy, Telephony};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The page's URL for a search and a list order/page.
fn search_href(search_qs: &str, query: &UserQuery) -> String {
    let list = query.to_query_string();
    let mut parts = vec!["find=1".to_string()];
    if !search_qs.is_empty() {
        parts.push(search_qs.to_string());
    }
    if !list.is_empty() {
        parts.push(list);
    }
    format!("/search?{}", parts.join("&"))
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let i18n = use_i18n();
    let query_map = use_query_map();
    let search = Memo::new(move |_| query_map.with(|q| UserSearch::from_params(|k| q.get(k))));
    let list_query = Memo::new(move |_| {
        query_map.with(|q| {
            // A search reads best in SIP URI order unless the operator chose another.
            let mut list = UserQuery::from_params(|k| q.get(k));
            if q.get("sort").is_none() {
                list.sort = SortKey::SipUri;
            }
            list
        })
    });
    let run = Memo::new(move |_| query_map.with(|q| q.get("find").is_some()));
    let results = Resource::new(
        move || (run.get(), search.get(), list_query.get()),
        |(run, search, query)| async move {
            if !run {
                return None;
            }
            Some(match search {
                Ok(search) => find_users(search.to_query_string(), query).await.map(|page| (search, page)),
                Err(e) => Err(e),
            })
        },
    );
    let options = Resource::new(|| (), |_| get_search_options());
    let saved_version = RwSignal::new(0u32);
    let saved = Resource::new(move || saved_version.get(), |_| list_saved_queries());
    view! {
        {page_title(move || format!("{} – {}", t_string!(i18n, search.title), t_string!(i18n, app_name)))}
        <div class="page-header"><h1>{t!(i18n, search.title)}</h1></div>
        <div class="search-layout">
            <div class="search-main">
                <Transition fallback=Loading>
                    {move || {
                        // Read before the await, so that a new URL (a saved query opened, the
                        // form cleared) rebuilds the form with its values.
                        let current = search.get().unwrap_or_default();
                        let size = list_query.get().page_size;
                        Suspend::new(async move {
                        let options = options.await.unwrap_or_default();
                        view! { <SearchForm current options size /> }
                    })}}
                </Transition>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        let query = list_query.get_untracked();
                        match results.await {
                            None => view! { <p class="hint">{t!(i18n, search.start_hint)}</p> }.into_any(),
                            Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                            Some(Ok((search, found))) => {
                                let (page, more) = (found.page, found.more);
                                let qs = search.to_query_string();
                                let link_qs = qs.clone();
                                let title = Signal::derive(move || t_string!(i18n, search.results).to_string());
                                view! {
                                    <h2 id="results-title">{t!(i18n, search.results)}</h2>
                                    <SaveForm search_qs=qs.clone() saved_version />
                                    <UserTable
                                        origin=ListOrigin::Search(qs)
                                        query
                                        page
                                        more
                                        title
                                        link=Callback::new(move |q: UserQuery| search_href(&link_qs, &q))
                                    />
                                }
                                .into_any()
                            }
                        }
                    })}
                </Transition>
            </div>
            <aside class="saved-queries" aria-labelledby="saved-title">
                <h2 id="saved-title">{t!(i18n, search.saved_title)}</h2>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match saved.await {
                            Ok(list) if list.is_empty() => view! { <p class="hint">{t!(i18n, search.saved_none)}</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="saved-list" data-testid="saved-queries">
                                    {list.into_iter().map(|q| view! { <SavedQueryItem query=q saved_version /> }).collect_view()}
                                </ul>
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </aside>
        </div>
    }
}

/// A yes/no/any filter.
#[component]
fn TriState(name: &'static str, label: Signal<String>, value: Option<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let id = format!("f-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="" selected=value.is_none() prop:selected=value.is_none()>{t!(i18n, search.any)}</option>
                <option value="yes" selected=value == Some(true) prop:selected=value == Some(true)>{t!(i18n, yes)}</option>
                <option value="no" selected=value == Some(false) prop:selected=value == Some(false)>{t!(i18n, no)}</option>
            </select>
        </div>
    }
}

/// A filter with a list of values; `values` are (URL value, label in the current language).
#[component]
fn Choice(
    name: &'static str,
    label: Signal<String>,
    values: Vec<(String, Signal<String>)>,
    current: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = format!("f-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="" selected=current.is_none() prop:selected=current.is_none()>{t!(i18n, search.any)}</option>
                {values
                    .into_iter()
                    .map(|(value, text)| {
                        let selected = current.as_deref() == Some(value.as_str());
                        view! { <option value=value selected=selected prop:selected=selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn SearchForm(
    current: UserSearch,
    options: crate::domain::search::SearchOptions,
    size: u32,
) -> impl IntoView {
    let i18n = use_i18n();
    let tree = use_context::<TreeResource>().and_then(|t| t.0.get_untracked()).and_then(Result::ok);
    let f: SearchFilters = current.filters.clone();
    let open_advanced = !f.is_empty();
    let l = move |get: fn(I18n) -> &'static str| Signal::derive(move || get(i18n).to_string());
    let pools: Vec<(String, Signal<String>)> = tree
        .as_ref()
        .map(|t| {
            t.pools.iter().map(|p| (p.pool.id.0.to_string(), Signal::stored(p.pool.fqdn.clone()))).collect()
        })
        .unwrap_or_default();
    let scope = current.scope;
    let sip_value = current.sip.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default();
    let text_value = current.text.clone().unwrap_or_default();
    // Names in the current language: they follow a change of language.
    let forest_tree = tree.clone();
    let mut scopes: Vec<(NodeId, Signal<String>)> = vec![(
        NodeId::Forest,
        Signal::derive(move || super::common::node_name(i18n, NodeId::Forest, forest_tree.as_ref())),
    )];
    for c in [PoolCategory::EnterprisePools, PoolCategory::StandardServers, PoolCategory::EarlierVersions] {
        scopes.push((NodeId::Category(c), Signal::derive(move || category_name(i18n, c).to_string())));
    }
    scopes.push((NodeId::Unassigned, Signal::derive(move || t_string!(i18n, tree.unassigned).to_string())));
    for p in tree.as_ref().map(|t| t.pools.clone()).unwrap_or_default() {
        scopes.push((NodeId::Pool(p.pool.id), Signal::stored(p.pool.fqdn.clone())));
    }
    let text = |v: &Option<String>| v.clone();
    let policy_current = f.meeting_policy.as_ref().map(|p| match p {
        MeetingPolicyFilter::Global => GLOBAL_POLICY.to_string(),
        MeetingPolicyFilter::Named(n) => n.clone(),
    });
    let mut policies = vec![(
        GLOBAL_POLICY.to_string(),
        Signal::derive(move || t_string!(i18n, search.global_policy).to_string()),
    )];
    policies.extend(options.meeting_policies.iter().map(|p| (p.clone(), Signal::stored(p.clone()))));
    view! {
        <form method="GET" action="/search" class="search-form" role="search" on:submit=clean_search_url>
            <input type="hidden" name="find" value="1" />
            <div class="search-row">
                <div class="field field-grow">
                    <label for="search-text">{t!(i18n, search.text_label)}</label>
                    <input
                        id="search-text"
                        type="search"
                        name="text"
                        value=text_value.clone()
                        prop:value=text_value
                        maxlength=crate::domain::paging::MAX_FILTER_CHARS
                        autocomplete="off"
                        aria-describedby="search-text-hint"
                    />
                    <p class="field-hint" id="search-text-hint">{t!(i18n, search.text_hint)}</p>
                </div>
                <div class="field field-grow">
                    <label for="search-sip">{t!(i18n, search.sip_label)}</label>
                    <input
                        id="search-sip"
                        type="search"
                        name="sip"
                        value=sip_value.clone()
                        prop:value=sip_value
                        maxlength=MAX_PATTERN_CHARS
                        autocomplete="off"
                        aria-describedby="search-sip-hint"
                    />
                    <p class="field-hint" id="search-sip-hint">{t!(i18n, search.sip_hint)}</p>
                </div>
                <div class="field">
                    <label for="search-scope">{t!(i18n, search.scope)}</label>
                    <select id="search-scope" name="node">
                        {scopes
                            .into_iter()
                            .map(|(node, name)| view! { <option value=node.to_string() selected=node == scope prop:selected=node == scope>{name}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="search-size">{t!(i18n, users.page_size)}</label>
                    <select id="search-size" name="size">
                        {PAGE_SIZES
                            .into_iter()
                            .map(|s| view! { <option value=s.to_string() selected=s == size prop:selected=s == size>{s.to_string()}</option> })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <details class="advanced" open=open_advanced>
                <summary>{t!(i18n, search.advanced)}</summary>
                <div class="filter-grid">
                    <Choice name="pool" label=l(|i| t_string!(i, search.f_pool)) values=pools current=f.pool.map(|p| p.0.to_string()) />
                    <Choice
                        name="version"
                        label=l(|i| t_string!(i, search.f_version))
                        values=ServerVersion::ALL.iter().map(|v| (v.as_str().to_string(), Signal::stored(version_name(*v).to_string()))).collect()
                        current=f.version.map(|v| v.as_str().to_string())
                    />
                    <TriState name="ep" label=l(|i| t_string!(i, search.f_enhanced_presence)) value=f.enhanced_presence />
                    <TriState name="federation" label=l(|i| t_string!(i, search.f_federation)) value=f.federation />
                    <TriState name="remote" label=l(|i| t_string!(i, search.f_remote_access)) value=f.remote_access />
                    <TriState name="public_im" label=l(|i| t_string!(i, search.f_public_im)) value=f.public_im />
                    <Choice
                        name="archiving"
                        label=l(|i| t_string!(i, search.f_archiving))
                        values=ArchivingPolicy::ALL.iter().map(|a| { let a = *a; (a.as_str().to_string(), Signal::derive(move || archiving_name(i18n, a).to_string())) }).collect()
                        current=f.archiving.map(|a| a.as_str().to_string())
                    />
                    <Choice name="meeting_policy" label=l(|i| t_string!(i, search.f_meeting_policy)) values=policies current=policy_current />
                    <Choice
                        name="telephony"
                        label=l(|i| t_string!(i, search.f_telephony))
                        values=Telephony::ALL.iter().map(|t| { let t = *t; (t.as_str().to_string(), Signal::derive(move || telephony_name(i18n, t).to_string())) }).collect()
                        current=f.telephony.map(|t| t.as_str().to_string())
                    />
                    <TriState name="account" label=l(|i| t_string!(i, search.f_account_enabled)) value=f.account_enabled />
                    <Choice
                        name="container"
                        label=l(|i| t_string!(i, search.f_container))
                        values=options.containers.iter().map(|c| (c.clone(), Signal::stored(c.clone()))).collect()
                        current=text(&f.container)
                    />
                    <Choice
                        name="department"
                        label=l(|i| t_string!(i, search.f_department))
                        values=options.departments.iter().map(|d| (d.clone(), Signal::stored(d.clone()))).collect()
                        current=text(&f.department)
                    />
                    <TriState name="unassigned" label=l(|i| t_string!(i, search.f_unassigned)) value=f.unassigned />
                </div>
            </details>
            <div class="form-actions">
                <button type="submit" class="button button-primary">{t!(i18n, search.find)}</button>
                <A href="/search" attr:class="button button-quiet">{t!(i18n, search.clear)}</A>
            </div>
        </form>
    }
}

/// Submits the search form to a clean address: only the fields that say something, in the
/// search's own order (`/search?find=1&text=myer&unassigned=yes`), instead of every empty field
/// the browser would list. Without the browser bundle the plain GET form still works.
fn clean_search_url(ev: leptos::ev::SubmitEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else {
            return;
        };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
        let field = |name: &str| data.get(name).as_string().filter(|v| !v.trim().is_empty());
        // A search that does not read (a bad pattern) keeps its fields, so the page can say why.
        let search_qs = match UserSearch::from_params(field) {
            Ok(search) => search.to_query_string(),
            Err(_) => std::iter::once("node")
                .chain(std::iter::once("text"))
                .chain(std::iter::once("sip"))
                .chain(crate::domain::search::FILTER_KEYS)
                .filter_map(|name| field(name).map(|v| format!("{name}={}", encode_value(&v))))
                .collect::<Vec<_>>()
                .join("&"),
        };
        let size =
            field("size").and_then(|s| s.parse().ok()).unwrap_or(crate::domain::paging::DEFAULT_PAGE_SIZE);
        // The default order reads as SIP URI order on this page (see `list_query`).
        let list = UserQuery { page_size: size, ..UserQuery::default() };
        ev.prevent_default();
        leptos_router::hooks::use_navigate()(&search_href(&search_qs, &list), Default::default());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

#[cfg(feature = "hydrate")]
fn encode_value(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Saves the search shown under a name, optionally shared with the other operators.
#[component]
fn SaveForm(search_qs: String, saved_version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveQuery>::new();
    let name = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved_version.update(|v| *v += 1);
        }
    });
    let search_qs = StoredValue::new(search_qs);
    view! {
        <form
            class="save-query"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(SaveQuery {
                    name: name.get_untracked(),
                    search: search_qs.get_value(),
                    shared: shared.get_untracked(),
                });
            }
        >
            <div class="field">
                <label for="save-name">{t!(i18n, search.save_name)}</label>
                <input id="save-name" type="text" maxlength=MAX_QUERY_NAME_CHARS required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <label class="checkbox">
                <input type="checkbox" prop:checked=move || shared.get() on:change=move |ev| shared.set(event_target_checked(&ev)) />
                {t!(i18n, search.share)}
            </label>
            <button type="submit" class="button" disabled=move || save.pending().get()>{t!(i18n, search.save)}</button>
            <span role="status" class="save-status">
                {move || match save.value().get() {
                    Some(Ok(q)) => Some(view! { <span class="ok">{t_string!(i18n, search.saved_as, name = q.name.clone()).to_string()}</span> }.into_any()),
                    Some(Err(e)) => Some(view! { <span class="alert-error-text">{error_message(i18n, &e)}</span> }.into_any()),
                    None => None,
                }}
            </span>
        </form>
    }
}

#[component]
fn SavedQueryItem(query: SavedQuery, saved_version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let rename = ServerAction::<RenameSavedQuery>::new();
    let share = ServerAction::<ShareSavedQuery>::new();
    let delete = ServerAction::<DeleteSavedQuery>::new();
    let renaming = RwSignal::new(false);
    let new_name = RwSignal::new(query.name.clone());
    Effect::new(move |_| {
        let done = matches!(rename.value().get(), Some(Ok(_)))
            || matches!(share.value().get(), Some(Ok(_)))
            || matches!(delete.value().get(), Some(Ok(_)));
        if done {
            saved_version.update(|v| *v += 1);
        }
    });
    let error = move || {
        [
            rename.value().get().and_then(Result::err),
            share.value().get().and_then(Result::err),
            delete.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let id = query.id;
    let open_href = if query.query.is_empty() {
        "/search?find=1".to_string()
    } else {
        format!("/search?find=1&{}", query.query)
    };
    let name = StoredValue::new(query.name.clone());
    let shared = query.shared;
    let input_id = format!("rename-{id}");
    view! {
        <li class="saved-item" data-testid="saved-query">
            <A href=open_href attr:class="saved-name">{query.name.clone()}</A>
            {shared.then(|| view! { <span class="badge badge-ok">{t!(i18n, search.shared_badge)}</span> })}
            {(!query.mine).then(|| {
                let owner = query.owner.clone();
                view! { <span class="saved-owner">{move || t_string!(i18n, search.owner, name = owner.clone()).to_string()}</span> }
            })}
            {query.mine.then(|| view! {
                <div class="saved-actions">
                    <Show
                        when=move || renaming.get()
                        fallback=move || view! {
                            <button type="button" class="button button-quiet button-small"
                                aria-label=move || t_string!(i18n, search.rename_named, name = name.get_value()).to_string()
                                on:click=move |_| renaming.set(true)>{t!(i18n, search.rename)}</button>
                        }
                    >
                        <form class="rename-form" on:submit=move |ev| {
                            ev.prevent_default();
                            rename.dispatch(RenameSavedQuery { id, name: new_name.get_untracked() });
                            renaming.set(false);
                        }>
                            <label class="visually-hidden" for=input_id.clone()>{t!(i18n, search.new_name)}</label>
                            <input id=input_id.clone() type="text" maxlength=MAX_QUERY_NAME_CHARS required
                                prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                            <button type="submit" class="button button-small">{t!(i18n, search.rename_save)}</button>
                        </form>
                    </Show>
                    <button type="button" class="button button-quiet button-small"
                        on:click=move |_| { share.dispatch(ShareSavedQuery { id, shared: !shared }); }>
                        {move || if shared { t_string!(i18n, search.unshare) } else { t_string!(i18n, search.share_action) }}
                    </button>
                    <button type="button" class="button button-quiet button-small button-danger"
                        on:click=move |_| { delete.dispatch(DeleteSavedQuery { id }); }>
                        {t!(i18n, search.delete_saved)}
                    </button>
                </div>
            })}
            {move || error().map(|e| view! { <p class="alert alert-error" role="alert">{error_message(i18n, &e)}</p> })}
        </li>
    }
}

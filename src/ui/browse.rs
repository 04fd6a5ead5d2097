//! The user list of a tree node: quick filter, sortable columns, server-side paging.

use super::common::{
    I18n, ListSummary, Loading, PageError, SelectPageBox, SelectRowBox, count, node_name, page_title,
    status_name, version_short_name, yes_no,
};
use super::console::{SelectedUsers, TreeResource};
use super::target::{ListOrigin, all_href, selected_href};
use crate::api::list_users;
use crate::domain::node::NodeId;
use crate::domain::operator::{Operator, Permission};
use crate::domain::paging::{PAGE_SIZES, Page, SortDir, SortKey, UserQuery};
use crate::domain::user::UserId;
use crate::domain::user::{UserRow, UserStatus};
use crate::domain::user_data::{MAX_EXPORT_SELECTED, MAX_EXPORT_USERS};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_params_map, use_query_map};

fn href(node: NodeId, query: &UserQuery) -> String {
    let qs = query.to_query_string();
    if qs.is_empty() { format!("/browse/{node}") } else { format!("/browse/{node}?{qs}") }
}

fn column_name(i18n: I18n, key: SortKey) -> &'static str {
    match key {
        SortKey::DisplayName => t_string!(i18n, users.col_display_name),
        SortKey::SipUri => t_string!(i18n, users.col_sip_uri),
        SortKey::Pool => t_string!(i18n, users.col_pool),
        SortKey::Version => t_string!(i18n, users.col_version),
        SortKey::EnhancedPresence => t_string!(i18n, users.col_enhanced_presence),
        SortKey::Status => t_string!(i18n, users.col_status),
    }
}

#[component]
pub fn BrowsePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query_map = use_query_map();
    let tree = use_context::<TreeResource>().map(|t| t.0);
    let node = Memo::new(move |_| params.read().get("node").unwrap_or_default().parse::<NodeId>());
    let query = Memo::new(move |_| UserQuery::from_params(|k| query_map.read().get(k)));
    let users = Resource::new(
        move || (node.get(), query.get()),
        |(node, query)| async move { list_users(node?, query).await },
    );
    // One Transition awaits the tree (for the node's name) and the page of users, so the
    // heading, the filter and the table change together and the old page stays until then.
    view! {
        <Transition fallback=Loading>
            {move || {
                // Signals are read before awaiting: after an await the route may be gone.
                let (node, query) = (node.get(), query.get());
                Suspend::new(async move {
                let tree = match tree {
                    Some(t) => t.await.ok(),
                    None => None,
                };
                let (page, node) = match (users.await, node) {
                    (Ok(page), Ok(node)) => (page, node),
                    (Err(error), _) | (_, Err(error)) => return view! { <PageError error /> }.into_any(),
                };
                // The document title reads no signal of this page: leptos_meta may ask it once
                // more after the page is gone (navigating to a pool's properties panicked on a
                // disposed signal).
                let tree = std::sync::Arc::new(tree);
                let name = move || node_name(i18n, node, tree.as_ref().as_ref());
                let title = Signal::derive(name.clone());
                view! {
                    {page_title(move || format!("{} – {}", name(), t_string!(i18n, app_name)))}
                    <div class="page-header">
                        <h1>{title}</h1>
                        <A href=format!("/search?node={node}") attr:class="button button-quiet">
                            {t!(i18n, search.in_node)}
                        </A>
                        {match node {
                            NodeId::Pool(id) => Some(view! {
                                <A href=format!("/pools/{id}") attr:class="button button-quiet">
                                    {t!(i18n, users.pool_properties)}
                                </A>
                            }),
                            _ => None,
                        }}
                    </div>
                    {(node == NodeId::Unassigned)
                        .then(|| view! { <p class="alert alert-info">{t!(i18n, users.unassigned_note)}</p> })}
                    <FilterBar node query=query.clone() />
                    <UserTable
                        origin=ListOrigin::Node { node, filter: query.filter.clone() }
                        query
                        page
                        title
                        link=Callback::new(move |q: UserQuery| href(node, &q))
                    />
                }
                .into_any()
            })}}
        </Transition>
    }
}

/// Quick filter and page size: a GET form, so the URL always describes the list.
#[component]
fn FilterBar(node: NodeId, query: UserQuery) -> impl IntoView {
    let i18n = use_i18n();
    let size = query.page_size;
    view! {
        <Form method="GET" action=format!("/browse/{node}") attr:class="filter-bar" attr:role="search">
            <div class="field">
                <label for="user-filter">{t!(i18n, users.filter_label)}</label>
                <input
                    id="user-filter"
                    type="search"
                    name="q"
                    value=query.filter.clone()
                    maxlength=crate::domain::paging::MAX_FILTER_CHARS
                    autocomplete="off"
                />
            </div>
            <div class="field">
                <label for="page-size">{t!(i18n, users.page_size)}</label>
                <select id="page-size" name="size">
                    {PAGE_SIZES
                        .into_iter()
                        .map(|s| view! { <option value=s.to_string() selected=s == size>{s.to_string()}</option> })
                        .collect_view()}
                </select>
            </div>
            <input type="hidden" name="sort" value=query.sort.as_str() />
            <input type="hidden" name="dir" value=query.dir.as_str() />
            <button type="submit" class="button">{t!(i18n, users.apply)}</button>
            {(!query.filter.is_empty()).then(|| {
                let cleared = UserQuery { filter: String::new(), page: 1, ..query.clone() };
                view! { <A href=href(node, &cleared) attr:class="button button-quiet">{t!(i18n, users.filter_clear)}</A> }
            })}
        </Form>
    }
}

/// The user table of a list (a tree node or a search): selection, actions, sortable headers and
/// pages. `link` gives the list's URL for another order or page.
#[component]
pub fn UserTable(
    origin: ListOrigin,
    query: UserQuery,
    page: Page<UserRow>,
    title: Signal<String>,
    link: Callback<UserQuery, String>,
    /// The total is a cap: more users match (a search's count stops there).
    #[prop(optional)]
    more: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let (first, last) = page.shown_range();
    let total = page.total;
    let filtered = !query.filter.is_empty() || matches!(origin, ListOrigin::Search(_));
    if page.items.is_empty() {
        return view! {
            <p class="empty" role="status">
                {move || if filtered { t_string!(i18n, users.empty_filtered) } else { t_string!(i18n, users.empty) }}
            </p>
        }
        .into_any();
    }
    let headers = SortKey::ALL
        .into_iter()
        .map(|key| {
            let sorted = (query.sort == key).then_some(query.dir);
            let aria_sort = sorted.map(|d| if d == SortDir::Asc { "ascending" } else { "descending" });
            let arrow = match sorted {
                Some(SortDir::Asc) => "▲",
                Some(SortDir::Desc) => "▼",
                None => "",
            };
            let target = link.run(query.sorted_by(key));
            view! {
                <th scope="col" aria-sort=aria_sort data-sort-key=key.as_str()>
                    <A href=target attr:class="sort-link">
                        {move || column_name(i18n, key)}
                        <span class="sort-arrow" aria-hidden="true">{arrow}</span>
                    </A>
                </th>
            }
        })
        .collect_view();
    let page_count = page.page_count();
    let selected =
        use_context::<SelectedUsers>().map(|s| s.0).unwrap_or_else(|| RwSignal::new(Default::default()));
    let page_ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
    let rows = page
        .items
        .into_iter()
        .map(|u| {
            let status = u.status;
            let ep = u.enhanced_presence;
            let status_class = match status {
                UserStatus::Active => "badge badge-ok",
                UserStatus::Unassigned => "badge badge-muted",
                UserStatus::AccountDisabled => "badge badge-warn",
            };
            let id = u.id;
            let name = u.display_name.clone();
            view! {
                <tr>
                    <td class="check">
                        <SelectRowBox selected id name />
                    </td>
                    <td><A href=format!("/users/{}", u.id.0)>{u.display_name}</A></td>
                    <td class="mono sip">{sip_cell(&u.sip_uri.to_string())}</td>
                    <td class="nowrap"><A href=format!("/browse/pool-{}", u.pool_id.0)>{u.pool_fqdn}</A></td>
                    <td class="nowrap">{version_short_name(u.version)}</td>
                    <td>{move || yes_no(i18n, ep)}</td>
                    <td><span class=status_class>{move || status_name(i18n, status)}</span></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <SelectionActions origin total first last more />
        <div class="table-wrap">
            <table class="data-table" data-testid="users-table">
                <caption class="visually-hidden">
                    {move || t_string!(i18n, users.caption, node = title.get()).to_string()}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="check">
                            <SelectPageBox selected ids=page_ids />
                        </th>
                        {headers}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Pagination query page_count link />
    }
    .into_any()
}

/// A SIP URI that may break only before its `@`: at most two lines, never mid-name.
fn sip_cell(uri: &str) -> impl IntoView + use<> {
    match uri.split_once('@') {
        Some((user, domain)) => view! {
            <span class="nowrap">{user.to_string()}</span><wbr /><span class="nowrap">{format!("@{domain}")}</span>
        }
        .into_any(),
        None => view! { <span class="nowrap">{uri.to_string()}</span> }.into_any(),
    }
}

/// The selection and what can be done with it, or with the whole list.
#[component]
fn SelectionActions(origin: ListOrigin, total: u64, first: u64, last: u64, more: bool) -> impl IntoView {
    let i18n = use_i18n();
    let selected =
        use_context::<SelectedUsers>().map(|s| s.0).unwrap_or_else(|| RwSignal::new(Default::default()));
    let may_manage = use_context::<Operator>().is_some_and(|o| o.may(Permission::ManageUsers));
    let selected_count = move || selected.with(|s| s.len() as u64);
    let export_all_href = all_href("exports/user-data.xml", &origin).replacen("scope=node&", "", 1).replacen(
        "scope=search&",
        "",
        1,
    );
    let export_selected_href = move || {
        let ids: Vec<String> = selected.with(|s| s.iter().map(|u| u.0.to_string()).collect());
        format!("/exports/user-data.xml?users={}", ids.join(","))
    };
    let export_limit = MAX_EXPORT_SELECTED as u64;
    let list_exportable = total > 0 && total <= MAX_EXPORT_USERS as u64;
    let for_all = move || {
        if more {
            t_string!(i18n, selection.for_all_more, count = count(i18n, total)).to_string()
        } else {
            t_string!(i18n, selection.for_all, count = count(i18n, total)).to_string()
        }
    };
    // Each group says whose users it acts on, so its buttons show the short verb; their
    // accessible names are the whole sentence.
    let wizard = |name: &str,
                  short: Signal<String>,
                  label: Signal<String>,
                  all: bool,
                  origin: &ListOrigin| {
        let href = if all { all_href(name, origin) } else { selected_href(name, origin) };
        let testid = format!("{name}-{}", if all { "all" } else { "selected" });
        if all {
            view! { <A href=href attr:class="button" attr:data-testid=testid attr:aria-label=label>{short}</A> }.into_any()
        } else {
            // Nothing selected: a disabled control, not a link that opens an empty wizard.
            (move || {
                if selected_count() == 0 {
                    view! { <span class="button" aria-disabled="true" data-testid=testid.clone() aria-label=label>{short}</span> }.into_any()
                } else {
                    view! { <A href=href.clone() attr:class="button" attr:data-testid=testid.clone() attr:aria-label=label>{short}</A> }.into_any()
                }
            })
            .into_any()
        }
    };
    let label = |f: fn(I18n) -> &'static str| Signal::derive(move || f(i18n).to_string());
    view! {
        <div class="list-actions" data-testid="selection">
            <ListSummary first last total more testid="list-summary" />
            <strong>{move || t_string!(i18n, selection.count, count = count(i18n, selected_count())).to_string()}</strong>
            <button type="button" class="button button-quiet" disabled=move || selected_count() == 0
                on:click=move |_| selected.set(Default::default())>
                {t!(i18n, selection.clear)}
            </button>
        </div>
        {may_manage.then(|| view! {
            <div class="list-actions list-operations">
                <span class="actions-label">{move || t_string!(i18n, selection.for_selected, count = count(i18n, selected_count())).to_string()}</span>
                {wizard("move", label(|i| t_string!(i, selection.action_move)), label(|i| t_string!(i, selection.move_selected)), false, &origin)}
                {wizard("configure", label(|i| t_string!(i, selection.action_configure)), label(|i| t_string!(i, selection.configure)), false, &origin)}
                {wizard("delete", label(|i| t_string!(i, selection.action_delete)), label(|i| t_string!(i, selection.delete)), false, &origin)}
                // Downloads, not pages: the router must leave these links alone.
                {move || {
                    let n = selected_count();
                    if n == 0 || n > export_limit {
                        view! { <span class="button" aria-disabled="true" aria-label=move || t_string!(i18n, selection.export_selected)>{t!(i18n, selection.action_export)}</span> }.into_any()
                    } else {
                        view! { <a href=export_selected_href() class="button" rel="external" download data-testid="export-selected" aria-label=move || t_string!(i18n, selection.export_selected)>{t!(i18n, selection.action_export)}</a> }.into_any()
                    }
                }}
            </div>
            <div class="list-actions list-operations">
                <span class="actions-label">{for_all}</span>
                {wizard("move", label(|i| t_string!(i, selection.action_move)), label(|i| t_string!(i, selection.move_all)), true, &origin)}
                {wizard("configure", label(|i| t_string!(i, selection.action_configure)), label(|i| t_string!(i, selection.configure_all)), true, &origin)}
                {wizard("delete", label(|i| t_string!(i, selection.action_delete)), label(|i| t_string!(i, selection.delete_all)), true, &origin)}
                {if list_exportable {
                    view! { <a href=export_all_href.clone() class="button" rel="external" download data-testid="export-list" aria-label=move || t_string!(i18n, selection.export_all)>{t!(i18n, selection.action_export)}</a> }.into_any()
                } else {
                    view! { <span class="button" aria-disabled="true" aria-label=move || t_string!(i18n, selection.export_all) title=move || t_string!(i18n, selection.export_limit, max = count(i18n, MAX_EXPORT_USERS as u64)).to_string()>{t!(i18n, selection.action_export)}</span> }.into_any()
                }}
            </div>
        })}
    }
}

#[component]
fn Pagination(query: UserQuery, page_count: u32, link: Callback<UserQuery, String>) -> impl IntoView {
    let i18n = use_i18n();
    let current = query.page.min(page_count);
    let link = move |target: u32, label: Signal<String>, enabled: bool, rel: &'static str| {
        if enabled {
            view! { <A href=link.run(query.at_page(target)) attr:class="button button-quiet" attr:rel=rel>{label}</A> }
                .into_any()
        } else {
            view! { <span class="button button-quiet" aria-disabled="true">{label}</span> }.into_any()
        }
    };
    view! {
        <nav class="pagination" aria-label=move || t_string!(i18n, users.pagination)>
            {link(1, Signal::derive(move || t_string!(i18n, users.first_page).to_string()), current > 1, "first")}
            {link(
                current.saturating_sub(1).max(1),
                Signal::derive(move || t_string!(i18n, users.previous_page).to_string()),
                current > 1,
                "prev",
            )}
            <span class="page-of" aria-current="page">
                {move || {
                    t_string!(i18n, users.page_of, page = count(i18n, current.into()), pages = count(i18n, page_count.into()))
                        .to_string()
                }}
            </span>
            {link(
                current + 1,
                Signal::derive(move || t_string!(i18n, users.next_page).to_string()),
                current < page_count,
                "next",
            )}
            {link(page_count, Signal::derive(move || t_string!(i18n, users.last_page).to_string()), current < page_count, "last")}
        </nav>
    }
}

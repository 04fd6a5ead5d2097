//! The users a wizard (move, delete, configure) works on, as its URL names them, and the way
//! back to the list they came from.

use super::common::{I18n, count, node_name};
use super::console::{SelectedUsers, TreeResource};
use crate::domain::node::NodeId;
use crate::domain::search::{UserSearch, UserTarget};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Where a wizard's users come from: its URL parameters (`scope`, `node`, `q`, `search`).
#[derive(Debug, Clone, PartialEq)]
pub struct WizardTarget {
    /// `None` when nothing is selected (the wizard says so and offers the way back).
    pub target: Option<UserTarget>,
    /// The list to go back to.
    pub back: String,
    /// The tree node the users were picked from, if any (a move does not offer it as destination).
    pub node: Option<NodeId>,
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// Reads the target once, when the wizard opens: later changes of the selection do not change it.
pub fn from_url(query: Memo<ParamsMap>) -> WizardTarget {
    let get = |k: &str| query.with_untracked(|q| q.get(k));
    let node = get("node").and_then(|n| n.parse::<NodeId>().ok());
    let filter = get("q").unwrap_or_default();
    let search = get("search");
    let user = get("user").and_then(|u| u.parse::<i64>().ok()).map(crate::domain::user::UserId);
    let back = match (&search, node) {
        _ if user.is_some() => format!("/users/{}", user.map_or(0, |u| u.0)),
        (Some(qs), _) => format!("/search?{qs}"),
        (None, Some(node)) if filter.is_empty() => format!("/browse/{node}"),
        (None, Some(node)) => format!("/browse/{node}?q={}", encode(&filter)),
        (None, None) => "/browse/forest".to_string(),
    };
    let target = match get("scope").as_deref() {
        Some("node") => node.map(|node| UserTarget::Node { node, filter }),
        Some("search") => {
            search.as_deref().and_then(|qs| UserSearch::from_query_string(qs).ok()).map(UserTarget::Search)
        }
        Some("user") => user.map(|user| UserTarget::Users(vec![user])),
        _ => {
            let selected = use_context::<SelectedUsers>().map(|s| s.0.get_untracked()).unwrap_or_default();
            let users: Vec<_> = selected.into_iter().collect();
            (!users.is_empty()).then_some(UserTarget::Users(users))
        }
    };
    WizardTarget { target, back, node }
}

/// A wizard's URL for the selected users of a list (`from` is the list's own wizard parameters).
pub fn selected_href(wizard: &str, from: &ListOrigin) -> String {
    format!("/{wizard}?scope=selected&{}", from.params())
}

/// A wizard's URL for one user, from their page (which the wizard goes back to).
pub fn user_href(wizard: &str, user: crate::domain::user::UserId) -> String {
    format!("/{wizard}?scope=user&user={}", user.0)
}

/// A wizard's URL for every user of a list.
pub fn all_href(wizard: &str, from: &ListOrigin) -> String {
    let scope = match from {
        ListOrigin::Node { .. } => "node",
        ListOrigin::Search(_) => "search",
    };
    format!("/{wizard}?scope={scope}&{}", from.params())
}

/// The list a wizard starts from.
#[derive(Debug, Clone, PartialEq)]
pub enum ListOrigin {
    Node {
        node: NodeId,
        filter: String,
    },
    /// A search, in its URL form.
    Search(String),
}

impl ListOrigin {
    fn params(&self) -> String {
        match self {
            ListOrigin::Node { node, filter } if filter.is_empty() => format!("node={node}"),
            ListOrigin::Node { node, filter } => format!("node={node}&q={}", encode(filter)),
            ListOrigin::Search(qs) => format!("search={}", encode(qs)),
        }
    }
}

/// The sentence naming a wizard's users ("The 3 selected users", "Every user of pool01...").
pub fn scope_text(i18n: I18n, target: &UserTarget) -> String {
    let tree = use_context::<TreeResource>().and_then(|t| t.0.get_untracked()).and_then(Result::ok);
    match target {
        UserTarget::Users(users) => {
            t_string!(i18n, wizard.scope_selected, count = count(i18n, users.len() as u64)).to_string()
        }
        UserTarget::Node { node, filter } if filter.is_empty() => {
            t_string!(i18n, wizard.scope_node, node = node_name(i18n, *node, tree.as_ref())).to_string()
        }
        UserTarget::Node { node, filter } => t_string!(
            i18n,
            wizard.scope_filtered,
            node = node_name(i18n, *node, tree.as_ref()),
            filter = filter.clone()
        )
        .to_string(),
        UserTarget::Search(_) => t_string!(i18n, search.scope_all_results).to_string(),
    }
}

//! Server functions of the search page and of saved queries. A search travels in its URL form
//! and is parsed on the server with the same strict rules as in the browser.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::paging::UserQuery;
use crate::domain::search::{SavedQuery, SearchOptions, SearchResults};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "find_users", input = Json)]
pub async fn find_users(search: String, query: UserQuery) -> Result<SearchResults, AppError> {
    use crate::domain::search::UserSearch;
    gate::authorized(FindUsers::PATH, |state, operator| async move {
        let search = UserSearch::from_query_string(&search)?;
        crate::server::directory::search::find(&state.db, &operator.scope, &search, &query).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "search_options", input = Json)]
pub async fn get_search_options() -> Result<SearchOptions, AppError> {
    gate::authorized(GetSearchOptions::PATH, |state, _| async move {
        crate::server::directory::search::options(&state.db).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_saved_queries", input = Json)]
pub async fn list_saved_queries() -> Result<Vec<SavedQuery>, AppError> {
    gate::authorized(ListSavedQueries::PATH, |state, operator| async move {
        crate::server::directory::saved_queries::list(&state.db, &operator).await
    })
    .await
}

/// Saves a search (its URL form, checked first) under a new name.
#[server(prefix = "/api", endpoint = "save_query", input = Json)]
pub async fn save_query(name: String, search: String, shared: bool) -> Result<SavedQuery, AppError> {
    use crate::domain::search::UserSearch;
    gate::authorized(SaveQuery::PATH, |state, operator| async move {
        let search = UserSearch::from_query_string(&search)?;
        crate::server::directory::saved_queries::save(&state.db, &operator, &name, &search, shared).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "rename_saved_query", input = Json)]
pub async fn rename_saved_query(id: i64, name: String) -> Result<SavedQuery, AppError> {
    gate::authorized(RenameSavedQuery::PATH, |state, operator| async move {
        crate::server::directory::saved_queries::rename(&state.db, &operator, id, &name).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "share_saved_query", input = Json)]
pub async fn share_saved_query(id: i64, shared: bool) -> Result<SavedQuery, AppError> {
    gate::authorized(ShareSavedQuery::PATH, |state, operator| async move {
        crate::server::directory::saved_queries::set_shared(&state.db, &operator, id, shared).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "delete_saved_query", input = Json)]
pub async fn delete_saved_query(id: i64) -> Result<(), AppError> {
    gate::authorized(DeleteSavedQuery::PATH, |state, operator| async move {
        crate::server::directory::saved_queries::delete(&state.db, &operator, id).await
    })
    .await
}

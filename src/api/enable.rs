//! Server functions of the Enable Users wizard. Browsing is open to every operator (Help Desk
//! sees the wizard, disabled); previewing and enabling need the ManageUsers permission.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::enable::{DirectoryQuery, EnableChoices, EnableOptions, EnablePreview, EnableRun};
use crate::domain::paging::Page;
use crate::domain::user::{DirectoryUser, UserId};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "enable_choices")]
pub async fn get_enable_choices() -> Result<EnableChoices, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ViewDeployment, |state, _| async move {
        crate::server::enable::choices(&state.db).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_candidates", input = Json)]
pub async fn list_candidates(query: DirectoryQuery) -> Result<Page<DirectoryUser>, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ViewDeployment, |state, _| async move {
        crate::server::enable::candidates(&state.db, &query).await
    })
    .await
}

/// Every user the filter matches, for "select all results".
#[server(prefix = "/api", endpoint = "select_candidates", input = Json)]
pub async fn select_candidates(query: DirectoryQuery) -> Result<Vec<UserId>, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ViewDeployment, |state, _| async move {
        crate::server::enable::candidate_ids(&state.db, &query).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_enable", input = Json)]
pub async fn preview_enable(users: Vec<UserId>, options: EnableOptions) -> Result<EnablePreview, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, _| async move {
        crate::server::enable::preview(&state.db, &users, &options).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "enable_users", input = Json)]
pub async fn enable_users(users: Vec<UserId>, options: EnableOptions) -> Result<EnableRun, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, operator| async move {
        crate::server::enable::run(&state.db, &operator, &users, &options).await
    })
    .await
}

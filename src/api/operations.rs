//! Server functions of the delete and configure wizards: a preview of the target, then the run
//! on exactly the previewed users.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::configure::{ConfigurePreview, SettingsChange};
use crate::domain::delete::DeletePreview;
use crate::domain::jobs::{ConfigureStarted, DeleteStarted};
use crate::domain::search::UserTarget;
use crate::domain::user::UserId;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "preview_delete", input = Json)]
pub async fn preview_delete(target: UserTarget) -> Result<DeletePreview, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, _| async move {
        crate::server::delete::preview(&state.db, &target).await
    })
    .await
}

/// Deletes the server data and enablement of exactly these users (a preview's `user_ids`),
/// once the operator has given their password again.
#[server(prefix = "/api", endpoint = "delete_users", input = Json)]
pub async fn delete_users(users: Vec<UserId>, password: String) -> Result<DeleteStarted, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, operator| async move {
        gate::confirm_password(&state, &operator, &password).await?;
        crate::server::delete::start(&state.db, state.config.jobs, &operator, &users).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_configure", input = Json)]
pub async fn preview_configure(
    target: UserTarget,
    change: SettingsChange,
) -> Result<ConfigurePreview, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, _| async move {
        crate::server::configure::preview(&state.db, &target, &change).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "configure_users", input = Json)]
pub async fn configure_users(
    users: Vec<UserId>,
    change: SettingsChange,
) -> Result<ConfigureStarted, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, operator| async move {
        crate::server::configure::start(&state.db, state.config.jobs, &operator, &users, &change).await
    })
    .await
}

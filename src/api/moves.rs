//! Server functions of the move wizard and of pool state changes.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::jobs::MoveStarted;
use crate::domain::moves::MovePreview;
use crate::domain::pool::{PoolId, PoolState};
use crate::domain::search::UserTarget;
use crate::domain::user::UserId;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "preview_move", input = Json)]
pub async fn preview_move(
    target: UserTarget,
    destination: PoolId,
    force: bool,
) -> Result<MovePreview, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, _| async move {
        crate::server::moves::preview_target(&state.db, &target, destination, force).await
    })
    .await
}

/// Moves exactly the users of a preview (its `user_ids`), as they are now: in one transaction,
/// or, above the configured threshold, as a background job the browser follows. A force move
/// needs the operator's password again (`password`; ignored for a normal move).
#[server(prefix = "/api", endpoint = "move_users", input = Json)]
pub async fn move_users(
    users: Vec<UserId>,
    destination: PoolId,
    force: bool,
    #[server(default)] password: Option<String>,
) -> Result<MoveStarted, AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManageUsers, |state, operator| async move {
        if force {
            gate::confirm_password(&state, &operator, password.as_deref().unwrap_or_default()).await?;
        }
        crate::server::moves::start(&state.db, state.config.jobs, &operator, &users, destination, force).await
    })
    .await
}

/// Deactivates, removes or reactivates a pool (Enterprise Administrators).
#[server(prefix = "/api", endpoint = "set_pool_state", input = Json)]
pub async fn set_pool_state(pool: PoolId, state: PoolState) -> Result<(), AppError> {
    use crate::domain::operator::Permission;
    gate::authorized(Permission::ManagePools, |app, operator| async move {
        crate::server::pools::set_state(&app.db, &operator, pool, state).await
    })
    .await
}

//! Server functions of pool state changes.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::pool::{PoolId, PoolState};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// Deactivates, removes or reactivates a pool (Enterprise Administrators).
#[server(prefix = "/api", endpoint = "set_pool_state", input = Json)]
pub async fn set_pool_state(pool: PoolId, state: PoolState) -> Result<(), AppError> {
    gate::authorized(SetPoolState::PATH, |app, operator| async move {
        crate::server::topology::pools::set_state(&app.db, &operator, pool, state).await
    })
    .await
}

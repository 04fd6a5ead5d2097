//! Server functions. Each one authorizes the operator through the gate, calls one service and
//! returns the portal's error type; `http::error::status_of` maps errors to HTTP statuses, in
//! one place.

#[cfg(feature = "ssr")]
pub mod access;
pub mod admin;
pub mod approvals;
pub mod audit;
pub mod enable;
mod error;
#[cfg(feature = "ssr")]
pub mod gate;
pub mod jobs;
pub mod operations;
pub mod orgs;
pub mod pools;
pub mod search;
pub mod tokens;
pub mod undo;
pub mod user_data;

#[cfg(all(test, feature = "ssr"))]
mod integrity_tests;
#[cfg(all(test, feature = "ssr"))]
mod scope_tests;
#[cfg(test)]
mod sweep_tests;
#[cfg(all(test, feature = "ssr"))]
pub(crate) mod test_support;

use crate::domain::AppError;
use crate::domain::node::{NodeId, PoolTree};
use crate::domain::operator::Operator;
use crate::domain::paging::{Page, UserQuery};
use crate::domain::pool::{PoolDetail, PoolId};
use crate::domain::user::{UserDetail, UserId, UserRow};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;

pub use crate::domain::security::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};

/// Signs the operator in: a new session and its cookie, then the console.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    gate::public(async move {
        if username.chars().count() > MAX_USERNAME_CHARS || password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(AppError::InvalidCredentials);
        }
        let state = gate::state()?;
        let client = gate::client(&state.config);
        let previous = gate::session_token();
        let session = crate::server::security::operators::sign_in(
            &state.db,
            &state.config,
            &username,
            &password,
            &client,
            previous.as_deref(),
        )
        .await?;
        gate::set_session_cookie(&state.config, Some(&session.token));
        // A one-time password is replaced before anything else.
        let must_change =
            crate::server::security::operators::must_change_password(&state.db, session.operator.id).await?;
        leptos_axum::redirect(if must_change { "/password" } else { "/" });
        Ok(())
    })
    .await
}

/// The signed-in operator's own new password (after a one-time password, or whenever they
/// like).
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    gate::authorized(ChangePassword::PATH, |state, operator| async move {
        if new != repeat {
            return Err(AppError::PasswordsDiffer);
        }
        let client = gate::client(&state.config);
        crate::server::security::operators::change_own_password(
            &state.db,
            &state.config,
            &operator,
            &current,
            &new,
            &client,
        )
        .await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Ends the session on the server and clears the cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    gate::public(async move {
        let state = gate::state()?;
        if let Some(token) = gate::session_token() {
            crate::server::security::operators::sign_out(&state.db, &token).await?;
        }
        gate::set_session_cookie(&state.config, None);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// The signed-in operator, or `Unauthenticated`.
#[server(prefix = "/api", endpoint = "current_operator")]
pub async fn get_current_operator() -> Result<Operator, AppError> {
    gate::authorized(GetCurrentOperator::PATH, |_, operator| async move { Ok(operator) }).await
}

/// How the console looks for the signed-in operator (their own choice).
#[server(prefix = "/api", endpoint = "theme")]
pub async fn get_theme() -> Result<crate::domain::operator::Theme, AppError> {
    gate::authorized(GetTheme::PATH, |state, operator| async move {
        crate::server::security::operators::theme_of(&state.db, operator.id).await
    })
    .await
}

/// The signed-in operator chooses how the console looks for them.
#[server(prefix = "/api", endpoint = "set_theme")]
pub async fn set_theme(theme: crate::domain::operator::Theme) -> Result<(), AppError> {
    gate::authorized(SetTheme::PATH, |state, operator| async move {
        crate::server::security::operators::set_theme(&state.db, operator.id, theme).await
    })
    .await
}

/// What the database holds: the demo deployment (the header says so on every page) or a
/// company's own.
#[server(prefix = "/api", endpoint = "deployment_kind")]
pub async fn get_deployment_kind() -> Result<Option<crate::domain::deployment::DeploymentKind>, AppError> {
    gate::authorized(GetDeploymentKind::PATH, |state, _| async move {
        crate::server::storage::deployment::kind(&state.db).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "pool_tree")]
pub async fn get_pool_tree() -> Result<PoolTree, AppError> {
    gate::authorized(GetPoolTree::PATH, |state, operator| async move {
        crate::server::topology::pools::tree(&state.db, &operator.scope).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users(node: NodeId, query: UserQuery) -> Result<Page<UserRow>, AppError> {
    gate::authorized(ListUsers::PATH, |state, operator| async move {
        crate::server::directory::users::list(&state.db, &operator.scope, node, &query).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "pool_detail")]
pub async fn get_pool_detail(id: PoolId) -> Result<PoolDetail, AppError> {
    gate::authorized(GetPoolDetail::PATH, |state, operator| async move {
        crate::server::topology::pools::detail(&state.db, &operator.scope, id).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "user_detail")]
pub async fn get_user_detail(id: UserId) -> Result<UserDetail, AppError> {
    gate::authorized(GetUserDetail::PATH, |state, operator| async move {
        crate::server::directory::users::detail(&state.db, &operator.scope, id).await
    })
    .await
}

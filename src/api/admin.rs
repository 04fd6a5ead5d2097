//! Server functions of the administration page: operators, their sessions, sign-in lockouts
//! and online backups (Enterprise Administrators).

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::operator::{OperatorId, Role};
use crate::domain::security::{BackupFile, SecurityOverview, SessionId, ThrottleScope};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "security_overview", input = Json)]
pub async fn get_security_overview() -> Result<SecurityOverview, AppError> {
    use crate::server::{security::operators, security::sign_in_throttle, storage::backup};
    gate::authorized(GetSecurityOverview::PATH, |state, _| async move {
        let token = gate::session_token();
        Ok(SecurityOverview {
            operators: operators::list(&state.db).await?,
            sessions: operators::sessions(&state.db, token.as_deref()).await?,
            lockouts: sign_in_throttle::lockouts(&state.db).await?,
            backups: backup::list(&state.config.backup_dir)?,
        })
    })
    .await
}

/// A new operator with roles; the answer is their one-time password, shown once.
#[server(prefix = "/api", endpoint = "add_operator", input = Json)]
pub async fn add_operator(
    username: String,
    display_name: String,
    roles: Vec<Role>,
) -> Result<String, AppError> {
    gate::authorized(AddOperator::PATH, |state, by| async move {
        let added = crate::server::security::operators::add_operator(
            &state.db,
            (&by).into(),
            &username,
            &display_name,
            &roles,
        )
        .await?;
        Ok(added.1)
    })
    .await
}

/// A new one-time password for an operator (their sessions end), shown once.
#[server(prefix = "/api", endpoint = "reset_operator_password", input = Json)]
pub async fn reset_operator_password(operator: OperatorId) -> Result<String, AppError> {
    gate::authorized(ResetOperatorPassword::PATH, |state, by| async move {
        crate::server::security::operators::reset_password(&state.db, (&by).into(), operator).await
    })
    .await
}

/// Disables (ending every session of) or re-enables an operator.
#[server(prefix = "/api", endpoint = "set_operator_disabled", input = Json)]
pub async fn set_operator_disabled(operator: OperatorId, disabled: bool) -> Result<(), AppError> {
    gate::authorized(SetOperatorDisabled::PATH, |state, by| async move {
        crate::server::security::operators::set_disabled(&state.db, (&by).into(), operator, disabled).await
    })
    .await
}

/// Deletes an operator (never oneself, never the last Enterprise Administrator).
#[server(prefix = "/api", endpoint = "delete_operator", input = Json)]
pub async fn delete_operator(operator: OperatorId) -> Result<(), AppError> {
    gate::authorized(DeleteOperator::PATH, |state, by| async move {
        crate::server::security::operators::delete_operator(&state.db, (&by).into(), operator).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "end_session", input = Json)]
pub async fn end_session(session: SessionId) -> Result<(), AppError> {
    gate::authorized(EndSession::PATH, |state, by| async move {
        crate::server::security::operators::end_session(&state.db, &by, session).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "unlock_sign_in", input = Json)]
pub async fn unlock_sign_in(scope: ThrottleScope, key: String) -> Result<(), AppError> {
    gate::authorized(UnlockSignIn::PATH, |state, by| async move {
        crate::server::security::sign_in_throttle::unlock(&state.db, &by, scope, &key).await
    })
    .await
}

/// Writes an online backup into the backup folder.
#[server(prefix = "/api", endpoint = "back_up_database", input = Json)]
pub async fn back_up_database() -> Result<BackupFile, AppError> {
    gate::authorized(BackUpDatabase::PATH, |state, by| async move {
        crate::server::storage::backup::write(&state.db, &state.config.backup_dir, (&by).into()).await
    })
    .await
}

/// Confirms the password for downloading a backup and returns a one-time ticket for the
/// download link (`/exports/backups/{file}?ticket=…`): a copy of the whole database leaves
/// the portal only after a second look at who is asking.
#[server(prefix = "/api", endpoint = "authorize_backup_download", input = Json)]
pub async fn authorize_backup_download(file: String, password: String) -> Result<String, AppError> {
    gate::authorized(AuthorizeBackupDownload::PATH, |state, by| async move {
        gate::confirm_password(&state, &by, &password).await?;
        crate::server::storage::backup::issue_ticket(&state.db, &state.config.backup_dir, &by, &file).await
    })
    .await
}

/// The scoped roles, their holders, and what a new role may name.
#[server(prefix = "/api", endpoint = "scoped_roles", input = Json)]
pub async fn get_scoped_roles() -> Result<crate::domain::scope::ScopedRolesOverview, AppError> {
    gate::authorized(GetScopedRoles::PATH, |state, _| async move {
        crate::server::security::scoped_roles::overview(&state.db).await
    })
    .await
}

/// A new role from a template, limited to containers, organizations and pools.
#[server(prefix = "/api", endpoint = "create_scoped_role", input = Json)]
pub async fn create_scoped_role(
    role: crate::domain::scope::NewScopedRole,
) -> Result<crate::domain::scope::ScopedRoleId, AppError> {
    gate::authorized(CreateScopedRole::PATH, |state, by| async move {
        crate::server::security::scoped_roles::create(&state.db, &by, &role).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "delete_scoped_role", input = Json)]
pub async fn delete_scoped_role(role: crate::domain::scope::ScopedRoleId) -> Result<(), AppError> {
    gate::authorized(DeleteScopedRole::PATH, |state, by| async move {
        crate::server::security::scoped_roles::delete(&state.db, &by, role).await
    })
    .await
}

/// Gives a scoped role to an operator (`held`) or takes it back.
#[server(prefix = "/api", endpoint = "set_scoped_role_held", input = Json)]
pub async fn set_scoped_role_held(
    operator: OperatorId,
    role: crate::domain::scope::ScopedRoleId,
    held: bool,
) -> Result<(), AppError> {
    gate::authorized(SetScopedRoleHeld::PATH, |state, by| async move {
        crate::server::security::scoped_roles::set_held(&state.db, &by, operator, role, held).await
    })
    .await
}

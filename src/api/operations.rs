//! Server functions of the bulk operations, all in one shape: `select_users` stores what the
//! operator chose and returns its number; `preview_*` plans an operation on a selection and
//! returns the plan with a preview token; the run (`enable_users`, `move_users`, …) takes the
//! token and does exactly what was previewed. The browser never sends user ids to run.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::configure::{ConfigurePreview, SettingsChange};
use crate::domain::delete::DeletePreview;
use crate::domain::enable::{EnableOptions, EnablePreview};
use crate::domain::jobs::{ConfigureStarted, DeleteStarted, EnableStarted, MoveStarted, OrgMoveStarted};
use crate::domain::moves::MovePreview;
use crate::domain::operation::{
    MoveOptions, OrgMoveOptions, PreviewToken, Previewed, Selection, SelectionId, SelectionSource,
};
use crate::domain::org::OrgMovePreview;
use crate::domain::schedule::ScheduleRequest;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// Preview and run, the same for every operation: authorized by the caller (the access table's
/// permission), then the service.
#[cfg(feature = "ssr")]
mod shape {
    use super::gate;
    use crate::domain::AppError;
    use crate::domain::jobs::Started;
    use crate::domain::operation::{PreviewToken, Previewed, SelectionId};
    use crate::domain::operator::Operator;
    use crate::domain::schedule::ScheduleRequest;
    use crate::server::AppState;
    use crate::server::operations::{self, Operation};

    pub async fn preview<O: Operation>(
        state: AppState,
        operator: Operator,
        selection: SelectionId,
        options: O::Options,
        schedule: ScheduleRequest,
    ) -> Result<Previewed<O::Preview>, AppError> {
        operations::preview_scheduled::<O>(&state.db, &operator, selection, &options, &schedule).await
    }

    /// A run that needs step-up checks the password first, outside the run's transaction.
    pub async fn run<O: Operation>(
        state: AppState,
        operator: Operator,
        token: PreviewToken,
        password: Option<String>,
    ) -> Result<Started<O::Run>, AppError> {
        let client = gate::client(&state.config);
        operations::run_confirmed::<O>(
            &state.db,
            &state.config,
            &operator,
            &token,
            password.as_deref(),
            &client,
        )
        .await
    }
}

/// Resolves what the operator chose (ticked rows, a node, a search, a directory filter, an
/// organization) into a stored selection.
#[server(prefix = "/api", endpoint = "select_users", input = Json)]
pub async fn select_users(source: SelectionSource) -> Result<Selection, AppError> {
    gate::authorized(SelectUsers::PATH, |state, operator| async move {
        crate::server::operations::selection::create(&state.db, &operator, &source).await
    })
    .await
}

/// Checks a pasted or uploaded list of users, one SIP URI or user principal name a line, for
/// an operation: the users of its good lines, and every other line with its number and reason.
#[server(prefix = "/api", endpoint = "check_user_list", input = Json)]
pub async fn check_user_list(
    purpose: crate::domain::user_list::ListPurpose,
    text: String,
) -> Result<crate::domain::user_list::ListCheck, AppError> {
    gate::authorized(CheckUserList::PATH, |state, operator| async move {
        crate::server::directory::user_lists::check(&state.db, &operator.scope, purpose, &text).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_enable", input = Json)]
pub async fn preview_enable(
    selection: SelectionId,
    options: EnableOptions,
) -> Result<Previewed<EnablePreview>, AppError> {
    use crate::server::operations::enable::Enable;
    gate::authorized(PreviewEnable::PATH, |state, operator| async move {
        shape::preview::<Enable>(state, operator, selection, options, Default::default()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "enable_users", input = Json)]
pub async fn enable_users(token: PreviewToken) -> Result<EnableStarted, AppError> {
    use crate::server::operations::enable::Enable;
    gate::authorized(EnableUsers::PATH, |state, operator| async move {
        shape::run::<Enable>(state, operator, token, None).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_move", input = Json)]
pub async fn preview_move(
    selection: SelectionId,
    options: MoveOptions,
    #[server(default)] schedule: ScheduleRequest,
) -> Result<Previewed<MovePreview>, AppError> {
    use crate::server::operations::moves::Move;
    gate::authorized(PreviewMove::PATH, |state, operator| async move {
        shape::preview::<Move>(state, operator, selection, options, schedule).await
    })
    .await
}

/// Runs a move preview; a force move needs the operator's password again (`password`).
#[server(prefix = "/api", endpoint = "move_users", input = Json)]
pub async fn move_users(
    token: PreviewToken,
    #[server(default)] password: Option<String>,
) -> Result<MoveStarted, AppError> {
    use crate::server::operations::moves::Move;
    gate::authorized(MoveUsers::PATH, |state, operator| async move {
        shape::run::<Move>(state, operator, token, password).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_delete", input = Json)]
pub async fn preview_delete(
    selection: SelectionId,
    #[server(default)] schedule: ScheduleRequest,
) -> Result<Previewed<DeletePreview>, AppError> {
    use crate::server::operations::delete::Delete;
    gate::authorized(PreviewDelete::PATH, |state, operator| async move {
        shape::preview::<Delete>(state, operator, selection, (), schedule).await
    })
    .await
}

/// Runs a delete preview, once the operator has given their password again.
#[server(prefix = "/api", endpoint = "delete_users", input = Json)]
pub async fn delete_users(token: PreviewToken, password: String) -> Result<DeleteStarted, AppError> {
    use crate::server::operations::delete::Delete;
    gate::authorized(DeleteUsers::PATH, |state, operator| async move {
        shape::run::<Delete>(state, operator, token, Some(password)).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_configure", input = Json)]
pub async fn preview_configure(
    selection: SelectionId,
    change: SettingsChange,
    #[server(default)] schedule: ScheduleRequest,
) -> Result<Previewed<ConfigurePreview>, AppError> {
    use crate::server::operations::configure::Configure;
    gate::authorized(PreviewConfigure::PATH, |state, operator| async move {
        shape::preview::<Configure>(state, operator, selection, change, schedule).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "configure_users", input = Json)]
pub async fn configure_users(token: PreviewToken) -> Result<ConfigureStarted, AppError> {
    use crate::server::operations::configure::Configure;
    gate::authorized(ConfigureUsers::PATH, |state, operator| async move {
        shape::run::<Configure>(state, operator, token, None).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_org_move", input = Json)]
pub async fn preview_org_move(
    selection: SelectionId,
    options: OrgMoveOptions,
    #[server(default)] schedule: ScheduleRequest,
) -> Result<Previewed<OrgMovePreview>, AppError> {
    use crate::server::organizations::moves::OrgMove;
    gate::authorized(PreviewOrgMove::PATH, |state, operator| async move {
        shape::preview::<OrgMove>(state, operator, selection, options, schedule).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "move_org_users", input = Json)]
pub async fn move_org_users(token: PreviewToken) -> Result<OrgMoveStarted, AppError> {
    use crate::server::organizations::moves::OrgMove;
    gate::authorized(MoveOrgUsers::PATH, |state, operator| async move {
        shape::run::<OrgMove>(state, operator, token, None).await
    })
    .await
}

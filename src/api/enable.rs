//! Server functions of the Enable Users wizard's directory browser, open to every operator (Help
//! Desk sees the wizard, disabled). Previewing and enabling are operations (`api::operations`).

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::enable::{DirectoryQuery, EnableChoices};
use crate::domain::paging::Page;
use crate::domain::user::DirectoryUser;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "enable_choices")]
pub async fn get_enable_choices() -> Result<EnableChoices, AppError> {
    gate::authorized(GetEnableChoices::PATH, |state, operator| async move {
        let destinations = operator.scope_for(crate::domain::operator::Permission::ManageUsers);
        crate::server::operations::enable::choices(&state.db, &destinations).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "list_candidates", input = Json)]
pub async fn list_candidates(query: DirectoryQuery) -> Result<Page<DirectoryUser>, AppError> {
    gate::authorized(ListCandidates::PATH, |state, operator| async move {
        crate::server::operations::enable::candidates(&state.db, &operator.scope, &query).await
    })
    .await
}

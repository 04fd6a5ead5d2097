//! Server functions of the user data import (the export is a download: `api::exports`).

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::user_data::ImportReport;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// What importing this file would add; changes nothing.
#[server(prefix = "/api", endpoint = "preview_import", input = Json)]
pub async fn preview_import(file: String) -> Result<ImportReport, AppError> {
    gate::authorized(PreviewImport::PATH, |state, operator| async move {
        crate::server::operations::user_data::import(&state.db, &operator, &file, false).await
    })
    .await
}

/// Imports the file: all of it, or (on any problem) nothing. Restoring data into users'
/// contact lists and meetings is confirmed with the operator's password.
#[server(prefix = "/api", endpoint = "import_user_data", input = Json)]
pub async fn import_user_data(file: String, password: String) -> Result<ImportReport, AppError> {
    gate::authorized(ImportUserData::PATH, |state, operator| async move {
        gate::confirm_password(&state, &operator, &password).await?;
        crate::server::operations::user_data::import(&state.db, &operator, &file, true).await
    })
    .await
}

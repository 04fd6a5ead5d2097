//! Server functions of undo: whether a change can be undone and what its undo would do now
//! (`preview_undo`, the operator's selection of its users with a preview token), the undo itself
//! (`undo_change`, always a job), and the disk the kept changes take.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::jobs::Started;
use crate::domain::operation::{PreviewToken, Previewed};
use crate::domain::undo::{UndoPreview, UndoableChange};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// What the kept changes take: changes, users, bytes, and the days each is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UndoUsage {
    pub changes: u64,
    pub users: u64,
    pub bytes: u64,
    pub retention_days: u32,
}

/// The change recorded as this audit event, if it can be undone.
#[server(prefix = "/api", endpoint = "undoable_change", input = Json)]
pub async fn get_undoable_change(change: i64) -> Result<Option<UndoableChange>, AppError> {
    gate::authorized(GetUndoableChange::PATH, |state, _| async move {
        crate::server::operations::undo::undoable(&state.db, change).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "undo_usage", input = Json)]
pub async fn get_undo_usage() -> Result<UndoUsage, AppError> {
    gate::authorized(GetUndoUsage::PATH, |state, _| async move {
        let (changes, users, bytes) = crate::server::operations::undo::usage(&state.db).await?;
        Ok(UndoUsage { changes, users, bytes, retention_days: state.config.undo_retention_days })
    })
    .await
}

#[server(prefix = "/api", endpoint = "preview_undo", input = Json)]
pub async fn preview_undo(change: i64) -> Result<Previewed<UndoPreview>, AppError> {
    gate::authorized(PreviewUndo::PATH, |state, operator| async move {
        crate::server::operations::undo::preview(&state.db, &operator, change).await
    })
    .await
}

/// Starts the undo previewed (a job); the undo of a change that deleted data (a force move, a
/// delete) needs the operator's password again.
#[server(prefix = "/api", endpoint = "undo_change", input = Json)]
pub async fn undo_change(
    token: PreviewToken,
    #[server(default)] password: Option<String>,
) -> Result<Started<()>, AppError> {
    use crate::server::operations::undo::Undo;
    gate::authorized(UndoChange::PATH, |state, operator| async move {
        let client = gate::client(&state.config);
        crate::server::operations::run_confirmed::<Undo>(
            &state.db,
            &state.config,
            &operator,
            &token,
            password.as_deref(),
            &client,
        )
        .await
    })
    .await
}

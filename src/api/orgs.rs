//! Server functions of the organizations pages: the tree, members, alerts, history, moves with
//! Prevent User Move, CSV files and the directory sync.

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::org::{
    AlertSummary, CsvKind, MembershipReport, OrgId, OrgMember, OrgMoveRecord, OrgSummary,
};
use crate::domain::paging::Page;
use crate::domain::user::UserId;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;

/// What an organization's page shows besides its members.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrgOverview {
    pub alerts: Vec<AlertSummary>,
    pub history: Vec<OrgMoveRecord>,
}

/// Moves listed on an organization's page.
pub const ORG_HISTORY_ENTRIES: u32 = 100;

#[server(prefix = "/api", endpoint = "org_tree", input = Json)]
pub async fn get_org_tree() -> Result<Vec<OrgSummary>, AppError> {
    gate::authorized(GetOrgTree::PATH, |state, viewer| async move {
        crate::server::organizations::orgs::summaries(&state.db, &viewer.scope).await
    })
    .await
}

/// One page of an organization's members; `None` is the enterprise organization (what the
/// organizations page shows first).
#[server(prefix = "/api", endpoint = "org_members", input = Json)]
pub async fn list_org_members(org: Option<OrgId>, page: u32) -> Result<Page<OrgMember>, AppError> {
    use crate::server::organizations::orgs;
    gate::authorized(ListOrgMembers::PATH, |state, viewer| async move {
        let org = match org {
            Some(org) => org,
            None => orgs::enterprise_org(&state.db).await?,
        };
        orgs::members(&state.db, &viewer.scope, org, page).await
    })
    .await
}

/// An organization's alerts and move history; `None` is the enterprise organization.
#[server(prefix = "/api", endpoint = "org_overview", input = Json)]
pub async fn get_org_overview(org: Option<OrgId>) -> Result<OrgOverview, AppError> {
    use crate::server::organizations::orgs;
    gate::authorized(GetOrgOverview::PATH, |state, viewer| async move {
        let org = match org {
            Some(org) => org,
            None => orgs::enterprise_org(&state.db).await?,
        };
        Ok(OrgOverview {
            alerts: orgs::alerts(&state.db, org).await?,
            history: crate::server::organizations::moves::org_history(
                &state.db,
                &viewer.scope,
                org,
                ORG_HISTORY_ENTRIES,
            )
            .await?,
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "user_org_history", input = Json)]
pub async fn get_user_org_history(user: UserId) -> Result<Vec<OrgMoveRecord>, AppError> {
    gate::authorized(GetUserOrgHistory::PATH, |state, viewer| async move {
        crate::server::directory::within::must_see(&state.db, &viewer.scope, user).await?;
        crate::server::organizations::moves::user_history(&state.db, user).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "set_prevent_move", input = Json)]
pub async fn set_prevent_user_move(users: Vec<UserId>, locked: bool) -> Result<u64, AppError> {
    gate::authorized(SetPreventUserMove::PATH, |state, operator| async move {
        crate::server::directory::within::must_reach_all(&state.db, &operator.scope, &users).await?;
        crate::server::organizations::orgs::set_prevent_move(&state.db, &operator, &users, locked).await
    })
    .await
}

/// Reads a CSV file (its text) and reports what each row would do; changes nothing.
#[server(prefix = "/api", endpoint = "preview_org_csv", input = Json)]
pub async fn preview_org_csv(kind: CsvKind, content: String) -> Result<MembershipReport, AppError> {
    gate::authorized(PreviewOrgCsv::PATH, |state, operator| async move {
        crate::server::organizations::org_csv::apply(&state.db, &operator, kind, content.as_bytes(), false)
            .await
    })
    .await
}

/// Applies a CSV file: valid rows whole, invalid rows rejected with their reason.
#[server(prefix = "/api", endpoint = "apply_org_csv", input = Json)]
pub async fn apply_org_csv(kind: CsvKind, content: String) -> Result<MembershipReport, AppError> {
    gate::authorized(ApplyOrgCsv::PATH, |state, operator| async move {
        crate::server::organizations::org_csv::apply(&state.db, &operator, kind, content.as_bytes(), true)
            .await
    })
    .await
}

/// Runs the directory sync now (when `UC_ADMIN_LDAP_*` names a directory).
/// The directory sync runs (newest first, the last 10) and the schedule, for the jobs page.
#[server(prefix = "/api", endpoint = "directory_syncs", input = Json)]
pub async fn directory_syncs() -> Result<crate::domain::org::SyncRuns, AppError> {
    gate::authorized(DirectorySyncs::PATH, |state, _| async move {
        Ok(crate::domain::org::SyncRuns {
            every_minutes: state.config.directory_sync_every.map(|d| d.as_secs() / 60),
            runs: crate::server::organizations::ldap_sync::recent_runs(&state.db, 10).await?,
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "sync_directory", input = Json)]
pub async fn sync_directory() -> Result<MembershipReport, AppError> {
    use crate::server::organizations::ldap_sync::run;
    gate::authorized(SyncDirectory::PATH, |state, operator| async move {
        let settings = state.config.directory.as_ref().ok_or(AppError::DirectoryNotConfigured)?;
        run(&state.db, settings, (&operator).into()).await
    })
    .await
}

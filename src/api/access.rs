//! What each server function needs: `http::admission` admits a call by this table before its
//! arguments are decoded, `gate::authorized` reads the function's permission from it (a
//! function never names its own), and the authorization sweep test checks every registered
//! server function against it, so a new function that is missing here is refused for everyone
//! and fails the test.

use crate::domain::operator::Permission;

/// What a call may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads only.
    Reads,
    /// Opens or ends the caller's own session (sign-in, sign-out).
    OwnSession,
    /// Changes only the caller's own saved queries.
    OwnSavedQueries,
    /// Stores only the caller's own selections and preview tokens (what a run will name).
    OwnSelections,
    /// Changes only the caller's own password or preferences (the console's theme).
    OwnAccount,
    /// Creates or revokes the caller's own API tokens (an administrator's revocation of
    /// anyone's is checked by the service).
    OwnTokens,
    /// Changes the deployment, users, organizations or operators.
    Changes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub endpoint: &'static str,
    /// `None`: callable without a session (sign-in and sign-out only).
    pub permission: Option<Permission>,
    pub effect: Effect,
    /// Largest request body, in bytes.
    pub max_body: usize,
}

/// Bodies of ordinary calls: options, filters, a selection's number or a preview token. No
/// operation takes a list of user ids any more.
pub const STANDARD_BODY_BYTES: usize = 256 * 1024;
/// Calls that name users one by one (ticked rows): a quarter of a million ids is about 2.5 MB.
const USER_LIST_BODY_BYTES: usize = 4 * 1024 * 1024;
/// A pasted or uploaded list of addresses, carried as a JSON string.
const ADDRESS_LIST_BODY_BYTES: usize = crate::domain::user_list::MAX_LIST_BYTES * 2 + 64 * 1024;
/// A file carried as a JSON string may double in size through escaping.
const USER_DATA_BODY_BYTES: usize = crate::domain::user_data::MAX_IMPORT_BYTES * 2 + 64 * 1024;
const TOPOLOGY_BODY_BYTES: usize = crate::domain::topology::MAX_TOPOLOGY_BYTES * 2 + 64 * 1024;
const CSV_BODY_BYTES: usize = crate::domain::org::MAX_CSV_BYTES * 2 + 64 * 1024;

/// The largest body any call accepts (the outer limit of the whole router).
pub const MAX_BODY_BYTES: usize = USER_DATA_BODY_BYTES;

const fn read(endpoint: &'static str) -> Access {
    Access {
        endpoint,
        permission: Some(Permission::ViewDeployment),
        effect: Effect::Reads,
        max_body: STANDARD_BODY_BYTES,
    }
}

const fn with(endpoint: &'static str, permission: Permission, effect: Effect) -> Access {
    Access { endpoint, permission: Some(permission), effect, max_body: STANDARD_BODY_BYTES }
}

const fn file(endpoint: &'static str, permission: Permission, effect: Effect, max_body: usize) -> Access {
    Access { endpoint, permission: Some(permission), effect, max_body }
}

use Effect::{Changes, OwnSavedQueries, OwnSelections, Reads};
use Permission::{BackUpDatabase, ManageOperators, ManagePools, ManageUsers, MoveUsersBetweenOrganizations};

pub const SERVER_FUNCTIONS: &[Access] = &[
    // Session
    Access { endpoint: "sign_in", permission: None, effect: Effect::OwnSession, max_body: 16 * 1024 },
    Access { endpoint: "sign_out", permission: None, effect: Effect::OwnSession, max_body: 16 * 1024 },
    read("current_operator"),
    read("deployment_kind"),
    with("change_password", Permission::ViewDeployment, Effect::OwnAccount),
    read("theme"),
    with("set_theme", Permission::ViewDeployment, Effect::OwnAccount),
    // Browsing
    read("pool_tree"),
    read("list_users"),
    read("pool_detail"),
    read("user_detail"),
    // Enable
    read("enable_choices"),
    // Selections (what every operation runs on)
    file("select_users", Permission::ViewDeployment, OwnSelections, USER_LIST_BODY_BYTES),
    read("list_candidates"),
    file("check_user_list", ManageUsers, Reads, ADDRESS_LIST_BODY_BYTES),
    with("preview_enable", ManageUsers, OwnSelections),
    with("enable_users", ManageUsers, Changes),
    // Moves and pools
    with("preview_move", ManageUsers, OwnSelections),
    with("move_users", ManageUsers, Changes),
    with("set_pool_state", ManagePools, Changes),
    // Topology
    with("topology_overview", ManagePools, Reads),
    with("add_pool", ManagePools, Changes),
    with("change_pool", ManagePools, Changes),
    file("preview_topology", ManagePools, Reads, TOPOLOGY_BODY_BYTES),
    file("import_topology", ManagePools, Changes, TOPOLOGY_BODY_BYTES),
    read("get_job"),
    read("list_jobs"),
    read("left_out_users"),
    with("cancel_job", ManageUsers, Changes),
    with("resume_job", ManageUsers, Changes),
    // Undo (an organization move's undo also needs that kind's permission, checked by the undo)
    read("undoable_change"),
    read("undo_usage"),
    with("preview_undo", ManageUsers, OwnSelections),
    with("undo_change", ManageUsers, Changes),
    // Two-person approval (an organization move's request needs that kind's permission to
    // decide, checked by the service)
    read("approval_policy"),
    with("set_approval_policy", ManageOperators, Changes),
    read("list_requests"),
    read("get_request"),
    with("approve_request", ManageUsers, Changes),
    with("reject_request", ManageUsers, Changes),
    // Delete and configure
    with("preview_delete", ManageUsers, OwnSelections),
    with("delete_users", ManageUsers, Changes),
    with("preview_configure", ManageUsers, OwnSelections),
    with("configure_users", ManageUsers, Changes),
    // User data
    file("preview_import", ManageUsers, Reads, USER_DATA_BODY_BYTES),
    file("import_user_data", ManageUsers, Changes, USER_DATA_BODY_BYTES),
    // Find and saved queries
    read("find_users"),
    read("search_options"),
    read("list_saved_queries"),
    with("save_query", Permission::ViewDeployment, OwnSavedQueries),
    with("rename_saved_query", Permission::ViewDeployment, OwnSavedQueries),
    with("share_saved_query", Permission::ViewDeployment, OwnSavedQueries),
    with("delete_saved_query", Permission::ViewDeployment, OwnSavedQueries),
    // Audit
    read("list_audit_events"),
    read("get_audit_event"),
    read("user_timeline"),
    read("audit_stream_status"),
    // Organizations
    read("org_tree"),
    read("org_members"),
    read("org_overview"),
    read("user_org_history"),
    with("preview_org_move", MoveUsersBetweenOrganizations, OwnSelections),
    with("move_org_users", MoveUsersBetweenOrganizations, Changes),
    file("set_prevent_move", MoveUsersBetweenOrganizations, Changes, USER_LIST_BODY_BYTES),
    file("preview_org_csv", MoveUsersBetweenOrganizations, Reads, CSV_BODY_BYTES),
    file("apply_org_csv", MoveUsersBetweenOrganizations, Changes, CSV_BODY_BYTES),
    with("sync_directory", MoveUsersBetweenOrganizations, Changes),
    read("directory_syncs"),
    // Scripting API tokens
    with("create_api_token", Permission::ViewDeployment, Effect::OwnTokens),
    read("list_api_tokens"),
    with("revoke_api_token", Permission::ViewDeployment, Effect::OwnTokens),
    read("api_reference"),
    // Administration
    with("security_overview", ManageOperators, Reads),
    with("set_operator_disabled", ManageOperators, Changes),
    with("end_session", ManageOperators, Changes),
    with("unlock_sign_in", ManageOperators, Changes),
    with("add_operator", ManageOperators, Changes),
    with("reset_operator_password", ManageOperators, Changes),
    with("delete_operator", ManageOperators, Changes),
    with("scoped_roles", ManageOperators, Reads),
    with("create_scoped_role", ManageOperators, Changes),
    with("delete_scoped_role", ManageOperators, Changes),
    with("set_scoped_role_held", ManageOperators, Changes),
    with("back_up_database", BackUpDatabase, Changes),
    with("authorize_backup_download", BackUpDatabase, Changes),
];

/// Server functions live under this prefix.
pub const PREFIX: &str = "/api/";

/// The entry of a server function path (`/api/move_users`), if it has one.
pub fn access_of(path: &str) -> Option<&'static Access> {
    let endpoint = path.strip_prefix(PREFIX)?;
    SERVER_FUNCTIONS.iter().find(|a| a.endpoint == endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_needs_more_than_viewing_and_names_are_unique() {
        for a in SERVER_FUNCTIONS {
            if a.effect == Changes {
                assert_ne!(a.permission, Some(Permission::ViewDeployment), "{}", a.endpoint);
                assert!(a.permission.is_some(), "{}", a.endpoint);
            }
            assert!(a.max_body <= MAX_BODY_BYTES, "{}", a.endpoint);
            assert_eq!(SERVER_FUNCTIONS.iter().filter(|b| b.endpoint == a.endpoint).count(), 1);
        }
        assert_eq!(access_of("/api/move_users").map(|a| a.permission), Some(Some(ManageUsers)));
        assert_eq!(access_of("/api/nothing"), None);
        assert_eq!(access_of("/move_users"), None);
    }
}

//! The one error type of the portal. Every failure has a stable code; the UI translates the
//! code, the server logs details. No database or panic text is ever carried to the browser.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// No session cookie, or the session is unknown or has ended.
    #[error("not signed in")]
    Unauthenticated,
    /// The operator is signed in but their roles do not allow the operation.
    #[error("not allowed for this operator's roles")]
    Forbidden,
    /// A request that would change state came from another site's page.
    #[error("cross-site request refused")]
    CrossSiteRequest,
    /// Wrong user name or password; deliberately does not say which.
    #[error("invalid user name or password")]
    InvalidCredentials,
    #[error("pool not found")]
    PoolNotFound,
    #[error("user not found")]
    UserNotFound,
    /// A browser-tree node identifier that does not parse.
    #[error("unknown tree node")]
    InvalidNode,
    /// The request could not be decoded: missing or malformed arguments.
    #[error("malformed request")]
    BadRequest,
    /// A paging, sorting or filter parameter outside its allowed range.
    #[error("invalid list query")]
    InvalidQuery,
    /// An operation on users was asked for no users.
    #[error("no users selected")]
    EmptySelection,
    /// A pasted or uploaded list of users that names no one.
    #[error("the list names no users")]
    EmptyUserList,
    /// Users outside the operator's scope: a scoped role never reaches them.
    #[error("users outside the operator's scope")]
    OutOfScope { outside: u64 },
    /// A pool outside the operator's scope, as the destination of a move or enable.
    #[error("pool outside the operator's scope")]
    DestinationOutOfScope,
    /// A directory container that is not a distinguished name of OU, DC or CN components.
    #[error("not a directory container")]
    InvalidContainer { container: String },
    /// A scoped role needs a name (at most 64 characters) that no other role has.
    #[error("invalid scoped role name")]
    InvalidScopedRoleName,
    /// Scoped roles are made from the User Administrator, Help Desk or Enterprise User Manager roles.
    #[error("not a template for a scoped role")]
    NotARoleTemplate,
    /// A scoped role names at least one container, organization or pool (and at most `max`).
    #[error("a scoped role needs a scope")]
    EmptyScope { max: u32 },
    #[error("scoped role not found")]
    ScopedRoleNotFound,
    /// More users than one operation takes.
    #[error("too many users in one operation")]
    BatchTooLarge { max: u64 },
    /// Some of the given users are not in the directory.
    #[error("unknown users")]
    UnknownUsers,
    /// Some of the given users are enabled already.
    #[error("users already enabled")]
    AlreadyEnabled,
    /// The pool is not active or not available, so users cannot be homed there.
    #[error("the pool cannot take users")]
    PoolNotUsable,
    /// The SIP domain is missing or not one the deployment supports.
    #[error("SIP domain not configured")]
    SipDomainNotConfigured,
    /// Enhanced presence was asked for on a pool whose version lacks it.
    #[error("enhanced presence not supported by the pool")]
    EnhancedPresenceUnsupported,
    /// The operation would push the pool past its capacity.
    #[error("pool capacity exceeded")]
    CapacityExceeded { capacity: u64, used: u64, adding: u64 },
    #[error("export not found")]
    ExportNotFound,
    /// The pool already has that state, or was removed (a removed pool stays removed).
    #[error("the pool state cannot change that way")]
    PoolStateUnchanged,
    /// The request never got a usable answer (network, malformed response).
    #[error("move job not found")]
    JobNotFound,
    /// Cancel or resume asked of a job whose state does not allow it (e.g. already finished).
    #[error("the job cannot do that in its current state")]
    JobStateConflict,
    #[error("the file is not well-formed XML")]
    ImportMalformed { line: u64 },
    /// Well-formed XML, but not a UC Admin user data file of a version this portal reads.
    #[error("not a UC Admin user data file")]
    ImportForeign,
    /// A user data file whose content breaks the format's rules.
    #[error("invalid content in the user data file")]
    ImportInvalid { line: u64 },
    /// The file names a user who is not enabled in this deployment.
    #[error("the file names a user who is not enabled here")]
    ImportUnknownUser { sip_uri: String },
    /// The file holds data the user's home pool cannot hold (server version).
    #[error("the user's pool cannot hold data of the file")]
    ImportNotHoldable { sip_uri: String },
    #[error("the file is too large")]
    FileTooLarge { max_bytes: u64 },
    /// A SIP URI search pattern that cannot match any SIP URI.
    #[error("invalid SIP URI pattern")]
    InvalidSipPattern { problem: crate::domain::search::PatternProblem },
    /// A search filter with a value the portal does not know (`field` is its URL name).
    #[error("unknown filter value")]
    UnknownFilterValue { field: String },
    #[error("invalid saved query name")]
    InvalidQueryName,
    #[error("saved query not found")]
    SavedQueryNotFound,
    /// The operator already has a saved query of that name.
    #[error("a saved query of that name exists")]
    SavedQueryNameTaken,
    /// A configure request that changes no setting.
    #[error("no setting to change")]
    NothingToChange,
    #[error("unknown meeting policy")]
    UnknownMeetingPolicy,
    /// An audit filter (date range, operation) outside what the log holds.
    #[error("invalid audit filter")]
    InvalidAuditFilter,
    #[error("audit record not found")]
    AuditEventNotFound,
    #[error("organization not found")]
    OrganizationNotFound,
    #[error("alert not found")]
    AlertNotFound,
    /// A sent alert's targets and report no longer change.
    #[error("the alert was sent already")]
    AlertAlreadySent,
    /// Only members of an alert's organization can be its targets.
    #[error("the user is not a member of the alert's organization")]
    NotInOrganization,
    /// A CSV file that cannot be read (bad encoding, broken quoting) at this line.
    #[error("the CSV file is malformed")]
    CsvMalformed { line: u64 },
    /// The CSV header does not have exactly the columns of its kind.
    #[error("the CSV file's columns are not the expected ones")]
    CsvHeader,
    /// A topology file line that cannot be used, and why.
    #[error("line {line}: {problem}")]
    TopologyInvalid { line: u64, problem: crate::domain::topology::TopologyProblem },
    /// A topology file that leaves out a pool or SIP domain users still rely on.
    #[error("the file leaves out {name}, which {users} users still rely on; nothing was changed")]
    TopologyMissing { name: String, users: u64 },
    /// A pool the Topology page cannot add or change that way.
    #[error("invalid pool: {problem}")]
    PoolInvalid { problem: crate::domain::topology::TopologyProblem },
    /// A job schedule (start, maintenance window, pace, time zone) that cannot be used.
    #[error("invalid schedule: {problem:?}")]
    InvalidSchedule { problem: crate::domain::schedule::ScheduleProblem },
    /// The LDAP directory could not be reached, refused the bind or the search.
    #[error("the directory is unavailable")]
    DirectoryUnavailable,
    /// No LDAP directory is configured (`UC_ADMIN_LDAP_URL`, `UC_ADMIN_LDAP_BASE_DN`).
    #[error("no directory is configured")]
    DirectoryNotConfigured,
    /// Too many failed sign-ins (or password confirmations) for the name or the address.
    #[error("too many failed attempts")]
    TooManySignInAttempts { retry_after: u64 },
    /// The password given to confirm a force move or a delete is not the operator's.
    #[error("the password confirmation failed")]
    StepUpFailed,
    /// A request body larger than the portal accepts.
    #[error("the request is too large")]
    RequestTooLarge { max_bytes: u64 },
    /// A text field longer than the portal accepts.
    #[error("a text is too long")]
    TextTooLong { max: u64 },
    #[error("operator not found")]
    OperatorNotFound,
    /// The session has ended already.
    #[error("session not found")]
    SessionNotFound,
    /// An administrator cannot disable their own account (and so lock everyone out).
    #[error("you cannot disable your own account")]
    CannotDisableSelf,
    /// A directory sync is running already (started by someone, the schedule or the CLI).
    #[error("a directory sync is running already")]
    DirectorySyncRunning,
    /// The operator signs in with the directory: their password is changed there.
    #[error("this operator signs in with the directory; their password is changed there")]
    DirectoryAccount,
    #[error("an operator cannot delete themselves")]
    CannotDeleteSelf,
    /// The deployment would be left without an Enterprise Administrator who can sign in.
    #[error("the last Enterprise Administrator cannot be deleted")]
    LastAdministrator,
    /// The backup file could not be written (space, permissions).
    #[error("the backup failed")]
    BackupFailed,
    /// The database is PostgreSQL: its backups are pg_dump's, made where the database runs.
    #[error("a PostgreSQL deployment is backed up with pg_dump")]
    BackupWithPgDump,
    /// `copy-database` into a database that already holds something.
    #[error("the target database is not new: copy into a database that holds nothing yet")]
    CopyTargetNotEmpty,
    /// `copy-database` found another number of rows in the target than in the source.
    #[error(
        "the copy of {table} holds {target_rows} rows where the source holds {source_rows}: nothing was copied"
    )]
    CopyMismatch { table: String, source_rows: i64, target_rows: i64 },
    /// A new password shorter than the minimum.
    #[error("a password needs at least {min} characters")]
    WeakPassword { min: u64 },
    /// A new password that contains the operator's name.
    #[error("the password must not contain the operator's name")]
    PasswordIsName,
    /// An operator of that name exists already.
    #[error("an operator of that name exists already")]
    OperatorNameTaken,
    /// `uc-admin init` when the deployment has its first Enterprise Administrator already.
    #[error("an Enterprise Administrator exists already; add operators on the Operators page")]
    AdministratorExists,
    /// A company's own operation on the demo deployment's database (e.g. `uc-admin init`).
    #[error("this database holds the demo deployment; use a new database for your company")]
    DemoDeployment,
    /// The operator signed in with a one-time password and must choose their own first.
    #[error("choose a new password before going on")]
    PasswordChangeRequired,
    /// The new password and its repetition differ.
    #[error("the two new passwords differ")]
    PasswordsDiffer,
    /// A new password equal to the current one.
    #[error("the new password is the same as the current one")]
    PasswordUnchanged,
    /// `--demo` on a database that holds a company's deployment.
    #[error("this database holds a company's deployment; --demo is only for a new database")]
    CompanyDeployment,
    #[error("backup not found")]
    BackupNotFound,
    /// A selection that does not exist, has expired or belongs to another operator.
    #[error("selection not found")]
    SelectionNotFound,
    /// A preview token that is unknown, used already, expired or another operator's.
    #[error("the preview is no longer valid")]
    PreviewExpired,
    /// The users of a preview changed before its run (moved, deleted, changed by someone
    /// else, or the destination changed); nothing was done.
    #[error("the users changed since the preview")]
    SelectionChanged,
    /// The change cannot be undone: not a bulk change, its snapshot expired and was removed, or
    /// it changed nobody.
    #[error("this change cannot be undone")]
    UndoNotAvailable,
    /// Every user of the change was skipped: nothing would go back.
    #[error("nothing to undo")]
    NothingToUndo,
    /// An approval policy whose wait is not 1 hour to `max_hours`.
    #[error("the approval wait must be 1 to {max_hours} hours")]
    ApprovalExpiryInvalid { max_hours: u32 },
    /// An approval policy holding runs "above 0 users".
    #[error("the user threshold must be at least 1")]
    ApprovalThresholdInvalid,
    #[error("the comment is longer than {max} characters")]
    ApprovalCommentTooLong { max: u32 },
    /// The requester tried to approve (or reject) their own request.
    #[error("you cannot decide on your own request")]
    SelfApproval,
    #[error("no such approval request")]
    ApprovalNotFound,
    /// The request waited longer than the policy allows.
    #[error("the request has expired")]
    ApprovalExpired,
    /// Approved, rejected or outdated already.
    #[error("the request has been decided already")]
    ApprovalDecided,
    /// Other changes held the database longer than the portal waits; nothing was changed.
    #[error("the portal is busy")]
    Busy,
    /// A scripting API call without `Authorization: Bearer`.
    #[error("an API token is required")]
    ApiTokenRequired,
    /// A bearer token the portal never issued (or malformed).
    #[error("unknown API token")]
    ApiTokenUnknown,
    #[error("the API token has expired")]
    ApiTokenExpired,
    #[error("the API token was revoked")]
    ApiTokenRevoked,
    /// The operator the token acts for is disabled or deleted.
    #[error("the API token's operator is disabled")]
    ApiTokenOwnerDisabled,
    /// The token was not given the permission the call needs (or its operator lost it).
    #[error("the API token does not allow this call")]
    ApiTokenScope,
    #[error("a token name has 1 to {max} characters")]
    ApiTokenNameInvalid { max: u64 },
    #[error("a token lives 1 to {max_days} days")]
    ApiTokenLifetimeInvalid { max_days: u64 },
    /// A token asked for with no permission, or one its operator does not hold.
    #[error("a token holds some of its operator's own permissions")]
    ApiTokenPermissionNotHeld,
    #[error("API token not found")]
    ApiTokenNotFound,
    /// A token's calls beyond the configured rate; try again after `retry_after` seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// A scripting API body that is not the JSON the call takes (syntax, a missing or unknown
    /// field, a wrong type); `detail` is the decoder's own words.
    #[error("invalid JSON body: {detail}")]
    InvalidJson { detail: String },
    /// A scripting API path or query parameter that is missing, unknown or malformed.
    #[error("invalid parameters: {detail}")]
    InvalidParameters { detail: String },
    /// A scripting API body that is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A scripting API path that does not exist.
    #[error("no such API endpoint")]
    NoSuchEndpoint,
    /// A scripting API path asked with a method it does not take.
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the server could not be reached")]
    Network,
    /// Anything unexpected on the server. Details are in the server log only, under the
    /// request's id, which the answer carries so that an operator can report it.
    #[error("internal server error")]
    Internal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
}

impl AppError {
    /// An unexpected fault (the HTTP layer adds the request's id on the way out).
    pub const INTERNAL: AppError = AppError::Internal { request_id: None };

    /// Whether the error says the thing a page is about does not exist (the page answers 404).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            AppError::PoolNotFound
                | AppError::UserNotFound
                | AppError::JobNotFound
                | AppError::OrganizationNotFound
                | AppError::InvalidNode
                | AppError::AuditEventNotFound
                | AppError::SavedQueryNotFound
                | AppError::OperatorNotFound
                | AppError::ApprovalNotFound
        )
    }

    /// Errors of a password confirmation (step-up): the form stays open to try again.
    pub fn asks_for_password_again(&self) -> bool {
        matches!(self, AppError::StepUpFailed | AppError::TooManySignInAttempts { .. })
    }

    /// Stable machine-readable code, used in logs, tests and translations.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::CrossSiteRequest => "cross_site_request",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::PoolNotFound => "pool_not_found",
            AppError::UserNotFound => "user_not_found",
            AppError::InvalidNode => "invalid_node",
            AppError::BadRequest => "bad_request",
            AppError::InvalidQuery => "invalid_query",
            AppError::EmptySelection => "empty_selection",
            AppError::EmptyUserList => "empty_user_list",
            AppError::OutOfScope { .. } => "out_of_scope",
            AppError::DestinationOutOfScope => "destination_out_of_scope",
            AppError::InvalidContainer { .. } => "invalid_container",
            AppError::InvalidScopedRoleName => "invalid_scoped_role_name",
            AppError::NotARoleTemplate => "not_a_role_template",
            AppError::EmptyScope { .. } => "empty_scope",
            AppError::ScopedRoleNotFound => "scoped_role_not_found",
            AppError::BatchTooLarge { .. } => "batch_too_large",
            AppError::UnknownUsers => "unknown_users",
            AppError::AlreadyEnabled => "already_enabled",
            AppError::PoolNotUsable => "pool_not_usable",
            AppError::SipDomainNotConfigured => "sip_domain_not_configured",
            AppError::EnhancedPresenceUnsupported => "enhanced_presence_unsupported",
            AppError::CapacityExceeded { .. } => "capacity_exceeded",
            AppError::ExportNotFound => "export_not_found",
            AppError::PoolStateUnchanged => "pool_state_unchanged",
            AppError::JobNotFound => "job_not_found",
            AppError::JobStateConflict => "job_state_conflict",
            AppError::ImportMalformed { .. } => "import_malformed",
            AppError::ImportForeign => "import_foreign",
            AppError::ImportInvalid { .. } => "import_invalid",
            AppError::ImportUnknownUser { .. } => "import_unknown_user",
            AppError::ImportNotHoldable { .. } => "import_not_holdable",
            AppError::FileTooLarge { .. } => "file_too_large",
            AppError::InvalidSipPattern { .. } => "invalid_sip_pattern",
            AppError::UnknownFilterValue { .. } => "unknown_filter_value",
            AppError::InvalidQueryName => "invalid_query_name",
            AppError::SavedQueryNotFound => "saved_query_not_found",
            AppError::SavedQueryNameTaken => "saved_query_name_taken",
            AppError::NothingToChange => "nothing_to_change",
            AppError::UnknownMeetingPolicy => "unknown_meeting_policy",
            AppError::InvalidAuditFilter => "invalid_audit_filter",
            AppError::AuditEventNotFound => "audit_event_not_found",
            AppError::OrganizationNotFound => "organization_not_found",
            AppError::AlertNotFound => "alert_not_found",
            AppError::AlertAlreadySent => "alert_already_sent",
            AppError::NotInOrganization => "not_in_organization",
            AppError::CsvMalformed { .. } => "csv_malformed",
            AppError::CsvHeader => "csv_header",
            AppError::TopologyInvalid { .. } => "topology_invalid",
            AppError::TopologyMissing { .. } => "topology_missing",
            AppError::PoolInvalid { .. } => "pool_invalid",
            AppError::InvalidSchedule { .. } => "invalid_schedule",
            AppError::DirectoryUnavailable => "directory_unavailable",
            AppError::DirectoryNotConfigured => "directory_not_configured",
            AppError::TooManySignInAttempts { .. } => "too_many_sign_in_attempts",
            AppError::StepUpFailed => "step_up_failed",
            AppError::RequestTooLarge { .. } => "request_too_large",
            AppError::TextTooLong { .. } => "text_too_long",
            AppError::OperatorNotFound => "operator_not_found",
            AppError::SessionNotFound => "session_not_found",
            AppError::CannotDisableSelf => "cannot_disable_self",
            AppError::CannotDeleteSelf => "cannot_delete_self",
            AppError::DirectoryAccount => "directory_account",
            AppError::DirectorySyncRunning => "directory_sync_running",
            AppError::LastAdministrator => "last_administrator",
            AppError::BackupFailed => "backup_failed",
            AppError::BackupWithPgDump => "backup_with_pg_dump",
            AppError::CopyTargetNotEmpty => "copy_target_not_empty",
            AppError::CopyMismatch { .. } => "copy_mismatch",
            AppError::WeakPassword { .. } => "weak_password",
            AppError::PasswordIsName => "password_is_name",
            AppError::OperatorNameTaken => "operator_name_taken",
            AppError::AdministratorExists => "administrator_exists",
            AppError::DemoDeployment => "demo_deployment",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::PasswordUnchanged => "password_unchanged",
            AppError::PasswordsDiffer => "passwords_differ",
            AppError::CompanyDeployment => "company_deployment",
            AppError::BackupNotFound => "backup_not_found",
            AppError::SelectionNotFound => "selection_not_found",
            AppError::PreviewExpired => "preview_expired",
            AppError::SelectionChanged => "selection_changed",
            AppError::UndoNotAvailable => "undo_not_available",
            AppError::NothingToUndo => "nothing_to_undo",
            AppError::ApprovalExpiryInvalid { .. } => "approval_expiry_invalid",
            AppError::ApprovalThresholdInvalid => "approval_threshold_invalid",
            AppError::ApprovalCommentTooLong { .. } => "approval_comment_too_long",
            AppError::SelfApproval => "self_approval",
            AppError::ApprovalNotFound => "approval_not_found",
            AppError::ApprovalExpired => "approval_expired",
            AppError::ApprovalDecided => "approval_decided",
            AppError::Busy => "busy",
            AppError::ApiTokenRequired => "api_token_required",
            AppError::ApiTokenUnknown => "api_token_unknown",
            AppError::ApiTokenExpired => "api_token_expired",
            AppError::ApiTokenRevoked => "api_token_revoked",
            AppError::ApiTokenOwnerDisabled => "api_token_owner_disabled",
            AppError::ApiTokenScope => "api_token_scope",
            AppError::ApiTokenNameInvalid { .. } => "api_token_name_invalid",
            AppError::ApiTokenLifetimeInvalid { .. } => "api_token_lifetime_invalid",
            AppError::ApiTokenPermissionNotHeld => "api_token_permission_not_held",
            AppError::ApiTokenNotFound => "api_token_not_found",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::InvalidJson { .. } => "invalid_json",
            AppError::InvalidParameters { .. } => "invalid_parameters",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::NoSuchEndpoint => "no_such_endpoint",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Network => "network",
            AppError::Internal { .. } => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_its_code() {
        let json = serde_json::to_string(&AppError::Forbidden).unwrap();
        assert_eq!(json, r#"{"code":"forbidden"}"#);
        let back: AppError = serde_json::from_str(&json).unwrap();
        assert_eq!(back, AppError::Forbidden);
        assert_eq!(AppError::Forbidden.code(), "forbidden");
        let capacity = AppError::CapacityExceeded { capacity: 10, used: 9, adding: 2 };
        let json = serde_json::to_string(&capacity).unwrap();
        assert_eq!(json, r#"{"code":"capacity_exceeded","capacity":10,"used":9,"adding":2}"#);
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), capacity);
    }
}

/// The scripting API's document describes an error by its code; the other fields depend on it.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for AppError {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .property("code", ObjectBuilder::new().schema_type(Type::String))
            .required("code")
            .description(Some("An error: its stable code, and the values its message names."))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for AppError {}

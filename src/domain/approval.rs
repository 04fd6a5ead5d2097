//! Two-person approval: an Enterprise Administrator's policy says which runs need a second
//! operator (force moves, deletes, organization moves, any bulk change above a number of
//! users). Such a run becomes a request carrying its preview (counts, losses, the selection's
//! fingerprint); another operator with the right permission approves it (which starts it) or
//! rejects it, with a comment. Pure types and rules shared with the browser.

use super::AppError;
use super::jobs::JobId;
use super::operation::OperationKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Hours a request waits for a decision, unless the policy says otherwise.
pub const DEFAULT_EXPIRY_HOURS: u32 = 24;
/// The longest wait a policy may set: a week.
pub const MAX_EXPIRY_HOURS: u32 = 7 * 24;
/// The longest comment of a decision, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// Which runs need a second operator's approval.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    pub force_move: bool,
    pub delete: bool,
    pub org_move: bool,
    /// Any bulk change (move, delete, configure, organization move, undo) of more users.
    pub above_users: Option<u64>,
    pub expiry_hours: u32,
}

impl Default for ApprovalPolicy {
    fn default() -> ApprovalPolicy {
        ApprovalPolicy {
            force_move: false,
            delete: false,
            org_move: false,
            above_users: None,
            expiry_hours: DEFAULT_EXPIRY_HOURS,
        }
    }
}

/// Why a run needs approval.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalReason {
    ForceMove,
    Delete,
    OrgMove,
    ManyUsers,
}

impl ApprovalReason {
    pub const ALL: [ApprovalReason; 4] = [
        ApprovalReason::ForceMove,
        ApprovalReason::Delete,
        ApprovalReason::OrgMove,
        ApprovalReason::ManyUsers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalReason::ForceMove => "force_move",
            ApprovalReason::Delete => "delete",
            ApprovalReason::OrgMove => "org_move",
            ApprovalReason::ManyUsers => "many_users",
        }
    }
}

impl FromStr for ApprovalReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ApprovalReason::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

impl ApprovalPolicy {
    /// Refuses a wait outside 1 hour to a week, and a user threshold of zero.
    pub fn checked(self) -> Result<ApprovalPolicy, AppError> {
        if !(1..=MAX_EXPIRY_HOURS).contains(&self.expiry_hours) {
            return Err(AppError::ApprovalExpiryInvalid { max_hours: MAX_EXPIRY_HOURS });
        }
        if self.above_users == Some(0) {
            return Err(AppError::ApprovalThresholdInvalid);
        }
        Ok(self)
    }

    /// Whether a run of this kind on this many users needs approval, and why. Enabling users is
    /// never held (it changes no one's existing data).
    pub fn requires(&self, kind: OperationKind, force: bool, users: u64) -> Option<ApprovalReason> {
        match kind {
            OperationKind::Enable => None,
            OperationKind::Move if force && self.force_move => Some(ApprovalReason::ForceMove),
            OperationKind::Delete if self.delete => Some(ApprovalReason::Delete),
            OperationKind::OrgMove if self.org_move => Some(ApprovalReason::OrgMove),
            _ if self.above_users.is_some_and(|n| users > n) => Some(ApprovalReason::ManyUsers),
            _ => None,
        }
    }

    pub fn any(&self) -> bool {
        self.force_move || self.delete || self.org_move || self.above_users.is_some()
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ApprovalId(pub i64);

impl fmt::Display for ApprovalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Waiting for a second operator.
    Pending,
    /// Approved: the run started (see `job` or `event_id`).
    Approved,
    Rejected,
    /// Nobody decided in time.
    Expired,
    /// The users changed since the preview: refused at approval; a new preview is needed.
    Outdated,
}

impl ApprovalState {
    pub const ALL: [ApprovalState; 5] = [
        ApprovalState::Pending,
        ApprovalState::Approved,
        ApprovalState::Rejected,
        ApprovalState::Expired,
        ApprovalState::Outdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Rejected => "rejected",
            ApprovalState::Expired => "expired",
            ApprovalState::Outdated => "outdated",
        }
    }
}

impl FromStr for ApprovalState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ApprovalState::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// A run waiting for (or given) a second operator's decision, with what its preview said.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub id: ApprovalId,
    pub kind: OperationKind,
    pub force: bool,
    pub reason: ApprovalReason,
    pub requested_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub state: ApprovalState,
    /// Users of the selection, and those the preview changes.
    pub users: u64,
    pub changing: u64,
    /// Items of user data the run deletes.
    pub data_lost: u64,
    /// Where the users go (a pool, an organization), when they go somewhere.
    pub target: Option<String>,
    /// The selection's fingerprint at the preview.
    pub fingerprint: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    /// What the approved run became.
    pub job: Option<JobId>,
    pub event_id: Option<i64>,
    /// Whether the approval needs the approver's password (the run deletes data).
    pub needs_password: bool,
}

/// The comment of a decision, trimmed; refused when longer than the limit.
pub fn checked_comment(comment: &str) -> Result<Option<String>, AppError> {
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::ApprovalCommentTooLong { max: MAX_COMMENT_CHARS as u32 });
    }
    Ok((!comment.is_empty()).then(|| comment.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_says_which_runs_wait_for_a_second_operator() {
        let none = ApprovalPolicy::default();
        assert!(!none.any());
        assert_eq!(none.requires(OperationKind::Delete, false, 1_000_000), None);
        let policy = ApprovalPolicy { force_move: true, delete: true, above_users: Some(100), ..none };
        assert_eq!(policy.requires(OperationKind::Move, true, 1), Some(ApprovalReason::ForceMove));
        assert_eq!(policy.requires(OperationKind::Move, false, 100), None);
        assert_eq!(policy.requires(OperationKind::Move, false, 101), Some(ApprovalReason::ManyUsers));
        assert_eq!(policy.requires(OperationKind::Delete, false, 1), Some(ApprovalReason::Delete));
        assert_eq!(policy.requires(OperationKind::OrgMove, false, 5), None);
        assert_eq!(policy.requires(OperationKind::Configure, false, 101), Some(ApprovalReason::ManyUsers));
        assert_eq!(policy.requires(OperationKind::Enable, false, 10_000), None, "enabling is never held");
        assert_eq!(
            ApprovalPolicy { expiry_hours: 0, ..none }.checked(),
            Err(AppError::ApprovalExpiryInvalid { max_hours: MAX_EXPIRY_HOURS })
        );
        assert_eq!(
            ApprovalPolicy { above_users: Some(0), ..none }.checked(),
            Err(AppError::ApprovalThresholdInvalid)
        );
        for state in ApprovalState::ALL {
            assert_eq!(state.as_str().parse(), Ok(state));
        }
        assert_eq!(checked_comment("  ok  "), Ok(Some("ok".into())));
        assert_eq!(checked_comment(" "), Ok(None));
        assert!(checked_comment(&"x".repeat(501)).is_err());
    }
}

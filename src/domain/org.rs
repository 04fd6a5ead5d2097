//! Enterprise organizations: the enterprise organization and its sub-organizations, the roles
//! users hold in them, and the rules of moving users between them.

use super::AppError;
use super::user::UserId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::str::FromStr;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgId(pub i64);

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An organization: the enterprise organization (no parent) or one of its sub-organizations.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub parent: Option<OrgId>,
}

impl Organization {
    pub fn is_enterprise(&self) -> bool {
        self.parent.is_none()
    }
}

/// A role a user holds in an organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Only in the enterprise organization; the one role a move does not take away.
    EnterpriseAdministrator,
    OrganizationAdministrator,
    AlertManager,
    AlertSender,
    Viewer,
}

impl OrgRole {
    pub const ALL: [OrgRole; 5] = [
        OrgRole::EnterpriseAdministrator,
        OrgRole::OrganizationAdministrator,
        OrgRole::AlertManager,
        OrgRole::AlertSender,
        OrgRole::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::EnterpriseAdministrator => "enterprise_administrator",
            OrgRole::OrganizationAdministrator => "organization_administrator",
            OrgRole::AlertManager => "alert_manager",
            OrgRole::AlertSender => "alert_sender",
            OrgRole::Viewer => "viewer",
        }
    }
}

impl FromStr for OrgRole {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        OrgRole::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// Why a user cannot move to the chosen organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgMoveRefusal {
    /// Already a member of the destination.
    AlreadyThere,
}

/// Moves go between the enterprise organization and any sub-organization, and between
/// sub-organizations: every pair of distinct organizations of the enterprise.
pub fn check_destination(from: &Organization, to: &Organization) -> Option<OrgMoveRefusal> {
    (from.id == to.id).then_some(OrgMoveRefusal::AlreadyThere)
}

/// Splits the roles a user holds in the organization being left into those kept and those
/// revoked: every role is revoked, except Enterprise Administrator held in the enterprise
/// organization. Moving back later restores nothing.
pub fn roles_on_leaving(from: &Organization, roles: &[OrgRole]) -> (Vec<OrgRole>, Vec<OrgRole>) {
    roles.iter().partition(|r| from.is_enterprise() && **r == OrgRole::EnterpriseAdministrator)
}

/// The users a move takes: the chosen ones and, for each, every member of their household,
/// each once, chosen users first. `household_of` gives a user's household members (including
/// the user).
pub fn with_households(
    chosen: &[UserId],
    household_of: impl Fn(UserId) -> Vec<UserId>,
) -> Vec<(UserId, Option<UserId>)> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<(UserId, Option<UserId>)> = Vec::new();
    for id in chosen {
        if seen.insert(*id) {
            out.push((*id, None));
        }
    }
    for id in chosen {
        for member in household_of(*id) {
            if seen.insert(member) {
                // Moved along with the chosen user.
                out.push((member, Some(*id)));
            }
        }
    }
    out
}

/// The state of an alert. Drafts and scheduled alerts still choose their targets; a sent
/// alert's report is a snapshot of whom it was sent to.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Draft,
    Scheduled,
    Sent,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Draft => "draft",
            AlertState::Scheduled => "scheduled",
            AlertState::Sent => "sent",
        }
    }

    /// Whether its targets still follow organization membership.
    pub fn targets_follow_membership(self) -> bool {
        self != AlertState::Sent
    }
}

impl FromStr for AlertState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "draft" => Ok(AlertState::Draft),
            "scheduled" => Ok(AlertState::Scheduled),
            "sent" => Ok(AlertState::Sent),
            _ => Err(()),
        }
    }
}

/// One user of an organization move preview: the roles it takes away, the alerts the user
/// leaves, and whether the user moves along with someone else (household).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMoveLine {
    pub id: UserId,
    pub display_name: String,
    pub from: OrgId,
    pub from_name: String,
    pub refusal: Option<OrgMoveRefusal>,
    pub revoked_roles: Vec<OrgRole>,
    pub kept_roles: Vec<OrgRole>,
    /// Draft and scheduled alerts of the old organization that will no longer target the user.
    pub alerts_left: Vec<String>,
    /// The chosen user whose household brings this user along.
    pub along_with: Option<UserId>,
    pub locked: bool,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMovePreview {
    pub destination: Organization,
    pub lock_after_move: bool,
    /// Users the move covers, households included (`users` may list only the first of them).
    pub count: u64,
    /// Of them, the users that move (the others are in the destination already).
    pub moving: u64,
    /// Of them, the users that come along with a chosen user (same household).
    pub along: u64,
    pub users: Vec<OrgMoveLine>,
}

/// The outcome of a move: what was done, and its audit record.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMoveRun {
    pub event_id: i64,
    pub preview: OrgMovePreview,
}

/// An organization with its number of members, for the organization tree.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub org: Organization,
    pub members: u64,
}

/// An attribute of a user, and whether the user's organization uses it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAttribute {
    pub name: String,
    pub value: String,
    /// Not used by the user's current organization: kept, shown as inactive.
    pub active: bool,
}

/// A member of an organization as its page lists them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMember {
    pub id: UserId,
    pub display_name: String,
    pub username: String,
    pub account_enabled: bool,
    pub prevent_move: bool,
    pub household: Option<String>,
    pub roles: Vec<OrgRole>,
    pub attributes: Vec<MemberAttribute>,
}

/// An alert of an organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSummary {
    pub id: i64,
    pub title: String,
    pub state: AlertState,
    /// Current targets (draft and scheduled alerts).
    pub targets: u64,
    /// Whom it reached (sent alerts), as the report keeps them.
    pub recipients: Vec<String>,
    pub sent_at: Option<i64>,
}

/// Which users an organization move takes, as the operator chose them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgMoveTarget {
    Users(Vec<UserId>),
    /// Every member of an organization.
    Members(OrgId),
}

/// Members listed per page on an organization's page.
pub const MEMBERS_PER_PAGE: u32 = 50;

/// An entry of the move history.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMoveRecord {
    pub id: i64,
    pub at: i64,
    pub operator: String,
    pub user_id: UserId,
    pub display_name: String,
    pub from_name: String,
    pub to_name: String,
    pub revoked_roles: Vec<OrgRole>,
    /// Display name of the user whose move brought this one along.
    pub along_with: Option<String>,
    /// How the move happened: `manual`, `csv` or `sync`.
    pub source: String,
}

/// Checks that an operation names at least one user.
pub fn require_users(users: &[UserId]) -> Result<(), AppError> {
    if users.is_empty() { Err(AppError::EmptySelection) } else { Ok(()) }
}

/// What a file does.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvKind {
    /// `username,display_name,email,organization,prevent_user_move`
    Import,
    /// `username,organization`
    Move,
}

/// Largest CSV file accepted.
pub const MAX_CSV_BYTES: usize = 8 * 1024 * 1024;

/// Why a CSV row was rejected.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipProblem {
    InvalidUsername,
    DuplicateInFile,
    UnknownOrganization,
    InvalidLockValue,
    InvalidEmail,
    InvalidDisplayName,
    UnknownUser,
    /// Prevent User Move is set and the row does not lift it.
    Locked,
    /// Another user of the enterprise already has this user principal name.
    AlreadyExists,
    /// The user is outside the operator's scope (or, new, would be).
    OutOfScope,
}

/// What a CSV row did.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum MembershipOutcome {
    Created(UserId),
    Updated(UserId),
    Moved(UserId),
    Unchanged(UserId),
    Rejected(MembershipProblem),
}

impl MembershipOutcome {
    pub fn code(self) -> &'static str {
        match self {
            MembershipOutcome::Created(_) => "created",
            MembershipOutcome::Updated(_) => "updated",
            MembershipOutcome::Moved(_) => "moved",
            MembershipOutcome::Unchanged(_) => "unchanged",
            MembershipOutcome::Rejected(_) => "rejected",
        }
    }

    /// The user the row applied to, unless rejected.
    pub fn user(self) -> Option<UserId> {
        match self {
            MembershipOutcome::Created(u)
            | MembershipOutcome::Updated(u)
            | MembershipOutcome::Moved(u)
            | MembershipOutcome::Unchanged(u) => Some(u),
            MembershipOutcome::Rejected(_) => None,
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipRow {
    /// Line of the file (the header is line 1).
    pub line: u64,
    pub username: String,
    pub outcome: MembershipOutcome,
}

/// One directory sync run, as the jobs page lists it; its audit event is its full report.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    pub event_id: i64,
    pub at: i64,
    pub by: String,
    pub entries: u64,
    pub created: u64,
    pub updated: u64,
    pub moved: u64,
    pub unchanged: u64,
    pub not_applied: u64,
}

/// The directory sync runs and their schedule, for the jobs page.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SyncRuns {
    /// `directory.sync_every_minutes`, when the server runs the sync on a schedule.
    pub every_minutes: Option<u64>,
    pub runs: Vec<SyncRun>,
}

/// The row-by-row report of a CSV file, with its totals.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipReport {
    pub rows: Vec<MembershipRow>,
    pub created: u64,
    pub updated: u64,
    pub moved: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The audit record of an applied file (none for a preview).
    pub event_id: Option<i64>,
}

impl MembershipReport {
    pub fn add(&mut self, row: MembershipRow) {
        match row.outcome {
            MembershipOutcome::Created(_) => self.created += 1,
            MembershipOutcome::Updated(_) => self.updated += 1,
            MembershipOutcome::Moved(_) => self.moved += 1,
            MembershipOutcome::Unchanged(_) => self.unchanged += 1,
            MembershipOutcome::Rejected(_) => self.rejected += 1,
        }
        self.rows.push(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, parent: Option<i64>) -> Organization {
        Organization { id: OrgId(id), name: format!("org{id}"), parent: parent.map(OrgId) }
    }

    #[test]
    fn every_role_is_revoked_except_enterprise_administrator_from_the_enterprise() {
        let enterprise = org(1, None);
        let sub = org(2, Some(1));
        let roles = [OrgRole::EnterpriseAdministrator, OrgRole::AlertSender, OrgRole::Viewer];
        let (kept, revoked) = roles_on_leaving(&enterprise, &roles);
        assert_eq!(kept, vec![OrgRole::EnterpriseAdministrator]);
        assert_eq!(revoked, vec![OrgRole::AlertSender, OrgRole::Viewer]);
        // From a sub-organization nothing is kept, not even a role of the same name.
        let (kept, revoked) = roles_on_leaving(&sub, &roles);
        assert!(kept.is_empty());
        assert_eq!(revoked.len(), 3);
    }

    #[test]
    fn moves_go_anywhere_but_where_the_user_is() {
        let (enterprise, a, b) = (org(1, None), org(2, Some(1)), org(3, Some(1)));
        assert_eq!(check_destination(&enterprise, &a), None);
        assert_eq!(check_destination(&a, &b), None);
        assert_eq!(check_destination(&b, &enterprise), None);
        assert_eq!(check_destination(&a, &a), Some(OrgMoveRefusal::AlreadyThere));
    }

    #[test]
    fn households_move_along_once() {
        let household = |id: UserId| match id.0 {
            1..=3 => vec![UserId(1), UserId(2), UserId(3)],
            _ => vec![id],
        };
        let users = with_households(&[UserId(2), UserId(7), UserId(3)], household);
        assert_eq!(
            users,
            vec![(UserId(2), None), (UserId(7), None), (UserId(3), None), (UserId(1), Some(UserId(2)))]
        );
    }

    #[test]
    fn only_sent_alerts_keep_their_targets() {
        assert!(AlertState::Draft.targets_follow_membership());
        assert!(AlertState::Scheduled.targets_follow_membership());
        assert!(!AlertState::Sent.targets_follow_membership());
        assert_eq!("sent".parse(), Ok(AlertState::Sent));
    }
}

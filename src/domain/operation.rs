//! The one shape of every bulk operation (enable, move, delete, configure, organization move):
//! the users are first resolved on the server into a numbered **selection**; a **preview** of
//! the operation on that selection says what would happen and hands out a **preview token**;
//! the **run** takes only the token and does exactly what was previewed, or refuses when the
//! users changed since. Pure types shared by the server and the browser.

use super::enable::DirectoryQuery;
use super::operator::Permission;
use super::org::{OrgId, OrgMoveTarget};
use super::pool::PoolId;
use super::search::UserTarget;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A selection stored on the server.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SelectionId(pub i64);

impl fmt::Display for SelectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the operator chose, as the browser describes it: never more than a few ids or a query.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionSource {
    /// Enabled users: ticked rows, a tree node with its filter, or a search's results.
    Users(UserTarget),
    /// Directory users not yet enabled that match the Enable wizard's filter.
    Candidates(DirectoryQuery),
    /// Users of the organizations pages: ticked members, or every member of an organization.
    Members(OrgMoveTarget),
}

/// A selection as resolved on the server: how many users it holds, and a fingerprint of which.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub id: SelectionId,
    pub count: u64,
    /// Identifies the set of users (hex); two selections of the same users share it.
    pub fingerprint: String,
}

/// The operations that share this shape.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Enable,
    Move,
    Delete,
    Configure,
    OrgMove,
    /// Puts the users of an earlier change back.
    Undo,
}

impl OperationKind {
    pub const ALL: [OperationKind; 6] = [
        OperationKind::Enable,
        OperationKind::Move,
        OperationKind::Delete,
        OperationKind::Configure,
        OperationKind::OrgMove,
        OperationKind::Undo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Enable => "enable",
            OperationKind::Move => "move",
            OperationKind::Delete => "delete",
            OperationKind::Configure => "configure",
            OperationKind::OrgMove => "org_move",
            OperationKind::Undo => "undo",
        }
    }

    /// The permission an operator needs to preview and run it (an undo of an organization move
    /// needs that kind's permission too, checked by the undo).
    pub fn permission(self) -> Permission {
        match self {
            OperationKind::OrgMove => Permission::MoveUsersBetweenOrganizations,
            _ => Permission::ManageUsers,
        }
    }
}

impl FromStr for OperationKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        OperationKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Options of a move between pools.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveOptions {
    pub destination: PoolId,
    /// A force move deletes the users' data and needs the operator's password at the run.
    pub force: bool,
}

/// Options of a move between organizations.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMoveOptions {
    pub to: OrgId,
    /// Sets Prevent User Move on the users once they are moved.
    pub lock_after_move: bool,
}

/// Hands a preview to its run: random, single-use, for the operator who previewed, and only
/// for a short while.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PreviewToken(pub String);

/// Users a preview or a run's result lists for the browser; the counts cover them all.
pub const PREVIEW_LINES: usize = 500;

/// Minutes a preview token stays valid.
pub const PREVIEW_TOKEN_MINUTES: i64 = 30;

/// A preview with its token: `preview` lists at most a page of users, `lines` says how many
/// there are in all.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previewed<P> {
    pub token: PreviewToken,
    pub selection: SelectionId,
    pub lines: u64,
    pub preview: P,
    /// When and how fast the run's job works, if the operator said: it always runs as a job.
    #[serde(default)]
    pub schedule: Option<super::schedule::ScheduleSummary>,
}

/// A stable 64-bit FNV-1a hash, printed as hex: the fingerprint of a selection's users, or of
/// the part of a plan that, if it changed, makes a preview no longer what a run would do.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The fingerprint of a value's JSON form.
pub fn fingerprint_of(value: &impl Serialize) -> String {
    fingerprint(&serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_tell_sets_apart() {
        // FNV-1a test vectors.
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
        assert_eq!(fingerprint_of(&[1, 2, 3]), fingerprint_of(&vec![1, 2, 3]));
        assert_ne!(fingerprint_of(&[1, 2, 3]), fingerprint_of(&[1, 2, 4]));
    }

    #[test]
    fn kinds_read_back_and_say_their_permission() {
        for kind in OperationKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!(OperationKind::OrgMove.permission(), Permission::MoveUsersBetweenOrganizations);
        assert_eq!(OperationKind::Delete.permission(), Permission::ManageUsers);
    }
}

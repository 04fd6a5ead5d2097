//! Undo: every bulk change (move, force move, delete of server data, configure, organization
//! move, and an undo itself) keeps what it changed — each user's rows as they were before —
//! for a retention period, and can be put back by an undo job. A user changed again since,
//! gone from the directory, or whose previous pool cannot take them back now, is skipped with
//! the reason; everyone else goes back exactly as they were. Pure types shared with the browser.

use super::jobs::{JobId, JobKind};
use super::user::UserId;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Days a change stays undoable, unless configured (`undo.retention_days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest retention the configuration accepts.
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// Why an undo leaves a user as they are now.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoSkip {
    /// Moved, configured, deleted, re-enabled or given other data since the change.
    ChangedSince,
    /// No longer in the directory.
    UserDeleted,
    /// Their previous pool is deactivated or removed now.
    PoolUnavailable,
    /// Their previous pool is full now.
    PoolFull,
    /// Their SIP URI belongs to another user now (an undone delete).
    SipUriTaken,
    /// An earlier undo of this change put them back already.
    AlreadyUndone,
}

impl UndoSkip {
    pub const ALL: [UndoSkip; 6] = [
        UndoSkip::ChangedSince,
        UndoSkip::UserDeleted,
        UndoSkip::PoolUnavailable,
        UndoSkip::PoolFull,
        UndoSkip::SipUriTaken,
        UndoSkip::AlreadyUndone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UndoSkip::ChangedSince => "changed_since",
            UndoSkip::UserDeleted => "user_deleted",
            UndoSkip::PoolUnavailable => "pool_unavailable",
            UndoSkip::PoolFull => "pool_full",
            UndoSkip::SipUriTaken => "sip_uri_taken",
            UndoSkip::AlreadyUndone => "already_undone",
        }
    }
}

impl FromStr for UndoSkip {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        UndoSkip::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

/// The options of an undo, as the server sets them: the change, named by its audit event, and
/// whether it deleted data (then its undo asks for the password again).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoOptions {
    pub change: i64,
    pub asks_password: bool,
}

/// A change that can be undone, as the job and audit pages show it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoableChange {
    /// The change's audit event.
    pub change: i64,
    /// Its job, if it ran as one.
    pub job: Option<JobId>,
    pub kind: JobKind,
    /// Users it changed (those an undo would put back).
    pub users: u64,
    /// What its snapshot takes on disk (the rows as JSON).
    pub bytes: u64,
    pub created_at: i64,
    /// The snapshot is removed after this (the daily clean-up).
    pub expires_at: i64,
    /// The change deleted user data: its undo asks for the password again.
    pub needs_password: bool,
    /// Undo jobs already started on it.
    pub undone_by: Vec<JobId>,
}

/// How many users an undo leaves alone for one reason.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoSkipCount {
    pub reason: UndoSkip,
    pub users: u64,
}

/// One user of an undo's preview: going back (to `back_to`, a pool or an organization when
/// that changes), or skipped.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoLine {
    pub id: UserId,
    pub display_name: String,
    pub skip: Option<UndoSkip>,
    /// Items of user data the undo puts back.
    pub data: u64,
}

/// What an undo would do now.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoPreview {
    pub change: UndoableChange,
    /// Users that go back.
    pub restored: u64,
    /// Items of user data put back with them.
    pub data: u64,
    /// Users left as they are, by reason (only reasons with users).
    pub skipped: Vec<UndoSkipCount>,
    /// The first users, going back or not.
    pub users: Vec<UndoLine>,
}

impl UndoPreview {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|s| s.users).sum()
    }
}

/// Counts of skips by reason, in the order of [`UndoSkip::ALL`], without zeros.
pub fn skip_counts(skips: impl IntoIterator<Item = UndoSkip>) -> Vec<UndoSkipCount> {
    let mut counts = [0u64; UndoSkip::ALL.len()];
    for skip in skips {
        counts[UndoSkip::ALL.iter().position(|s| *s == skip).unwrap_or(0)] += 1;
    }
    UndoSkip::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, users)| *users > 0)
        .map(|(reason, users)| UndoSkipCount { reason, users })
        .collect()
}

/// What an undo job undoes: the change (its audit event, its job) and the snapshot kept of it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoOf {
    pub change: i64,
    pub job: Option<JobId>,
    pub snapshot: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_read_back_and_count_by_reason() {
        for skip in UndoSkip::ALL {
            assert_eq!(skip.as_str().parse(), Ok(skip));
        }
        let counts = skip_counts([UndoSkip::PoolFull, UndoSkip::ChangedSince, UndoSkip::PoolFull]);
        assert_eq!(
            counts,
            vec![
                UndoSkipCount { reason: UndoSkip::ChangedSince, users: 1 },
                UndoSkipCount { reason: UndoSkip::PoolFull, users: 2 },
            ]
        );
        assert!(skip_counts([]).is_empty());
    }
}

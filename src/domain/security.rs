//! Security rules shared by the server and the administration page: how failed sign-ins slow
//! down and lock out guessing, and what the page shows of sessions, lockouts and backups.

use super::operator::{OperatorId, Role};
use serde::{Deserialize, Serialize};

/// What failed sign-ins are counted by. An account key is the typed user name whether or not
/// such an operator exists, so that a lockout says nothing about which accounts exist.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleScope {
    Account,
    Address,
}

impl ThrottleScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleScope::Account => "account",
            ThrottleScope::Address => "address",
        }
    }

    pub fn parse(s: &str) -> Option<ThrottleScope> {
        [ThrottleScope::Account, ThrottleScope::Address].into_iter().find(|k| k.as_str() == s)
    }

    pub fn policy(self) -> ThrottlePolicy {
        match self {
            ThrottleScope::Account => ACCOUNT_THROTTLE,
            ThrottleScope::Address => ADDRESS_THROTTLE,
        }
    }
}

/// How consecutive failures of one key slow down and then lock further attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures answered without any wait (typing mistakes).
    pub free_failures: u32,
    /// The failure that locks the key for `lockout_seconds`.
    pub lockout_after: u32,
    pub lockout_seconds: i64,
    /// Failures older than this are forgotten.
    pub window_seconds: i64,
}

/// Per account name: three typing mistakes are free, then 1, 2, 4… seconds, and the tenth
/// failure locks the name for 15 minutes.
pub const ACCOUNT_THROTTLE: ThrottlePolicy =
    ThrottlePolicy { free_failures: 3, lockout_after: 10, lockout_seconds: 15 * 60, window_seconds: 15 * 60 };

/// Per client address: more room, since many operators may sit behind one NAT, but one
/// address cannot try many names either.
pub const ADDRESS_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    free_failures: 10,
    lockout_after: 30,
    lockout_seconds: 15 * 60,
    window_seconds: 15 * 60,
};

/// The longest wait before the lockout.
const MAX_DELAY_SECONDS: i64 = 60;

impl ThrottlePolicy {
    /// The failures that still count at `now`, of a key that had `failures` ending at
    /// `last_failure_at`: none once the window has passed or a served lockout has ended.
    pub fn live_failures(&self, failures: u32, last_failure_at: i64, blocked_until: i64, now: i64) -> u32 {
        let forgotten = now - last_failure_at > self.window_seconds;
        let lockout_served = failures >= self.lockout_after && now >= blocked_until;
        if forgotten || lockout_served { 0 } else { failures }
    }

    /// Seconds before the next attempt is checked, after `failures` consecutive failures.
    pub fn wait_after(&self, failures: u32) -> i64 {
        if failures >= self.lockout_after {
            self.lockout_seconds
        } else if failures <= self.free_failures {
            0
        } else {
            let doublings = (failures - self.free_failures - 1).min(16);
            (1i64 << doublings).min(MAX_DELAY_SECONDS)
        }
    }

    /// Whether this failure is the one that locks the key (audited once, as a lockout).
    pub fn locks_at(&self, failures: u32) -> bool {
        failures == self.lockout_after
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub i64);

/// A live session as the administration page lists it. Never carries the token.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: SessionId,
    pub operator: OperatorId,
    pub username: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub client_address: String,
    pub user_agent: String,
    /// The session of the administrator looking at the list.
    pub current: bool,
}

/// An operator account as the administration page lists it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSummary {
    pub id: OperatorId,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub sessions: u32,
    /// Signs in with the directory: no password here, roles from their groups.
    pub from_directory: bool,
}

/// A name or address with recent failed sign-ins; `blocked_until` is 0 unless it is held back.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    pub scope: ThrottleScope,
    pub key: String,
    pub failures: u32,
    pub blocked_until: i64,
}

/// Everything the administration page shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub operators: Vec<OperatorSummary>,
    pub sessions: Vec<SessionInfo>,
    pub lockouts: Vec<Lockout>,
    pub backups: Vec<BackupFile>,
}

/// A backup of the database in the backup folder.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
    pub created_at: i64,
}

/// Whether `name` is a backup file name the portal made (and so may be served): no paths.
pub fn is_backup_name(name: &str) -> bool {
    name.starts_with("uc-admin-")
        && name.ends_with(".db")
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.contains("..")
}

/// Longest user name and password the sign-in form and the confirmations accept.
pub const MAX_USERNAME_CHARS: usize = 256;
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Longest display text a session keeps of the browser's User-Agent.
pub const MAX_USER_AGENT_CHARS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_wait_longer_then_lock() {
        let p = ACCOUNT_THROTTLE;
        let waits: Vec<i64> = (1..=10).map(|n| p.wait_after(n)).collect();
        assert_eq!(waits, [0, 0, 0, 1, 2, 4, 8, 16, 32, 900]);
        assert!(p.locks_at(10) && !p.locks_at(9) && !p.locks_at(11));
        assert_eq!(ADDRESS_THROTTLE.wait_after(10), 0);
        assert_eq!(ADDRESS_THROTTLE.wait_after(20), 60, "waits are capped before the lockout");
        assert_eq!(ADDRESS_THROTTLE.wait_after(30), 900);
    }

    #[test]
    fn failures_are_forgotten_after_the_window_or_a_served_lockout() {
        let p = ACCOUNT_THROTTLE;
        assert_eq!(p.live_failures(5, 1_000, 1_004, 1_100), 5);
        assert_eq!(p.live_failures(5, 1_000, 1_004, 1_000 + 15 * 60 + 1), 0);
        // Locked at 1,000 until 1,900: still counted while locked, forgotten once served.
        assert_eq!(p.live_failures(10, 1_000, 1_900, 1_899), 10);
        assert_eq!(p.live_failures(10, 1_000, 1_900, 1_900), 0);
    }

    #[test]
    fn backup_names_are_plain_file_names() {
        assert!(is_backup_name("uc-admin-20261121-163000.db"));
        for bad in ["../uc-admin-1.db", "uc-admin-1.db/x", "other.db", "uc-admin-..db", "uc-admin-a b.db"] {
            assert!(!is_backup_name(bad), "{bad}");
        }
    }
}

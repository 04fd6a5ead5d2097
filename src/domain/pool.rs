//! Pools (Enterprise pools and Standard Edition servers) and what each server version can do.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PoolId(pub i64);

impl fmt::Display for PoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    /// A pool of front-end servers with a separate back-end database.
    Enterprise,
    /// A single server with its own back-end database.
    Standard,
}

/// Server versions, ordered by release: `Lcs2005Sp1 < Ocs2007 < Ocs2007R2`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerVersion {
    Lcs2005Sp1,
    Ocs2007,
    Ocs2007R2,
}

impl ServerVersion {
    pub const ALL: [ServerVersion; 3] =
        [ServerVersion::Lcs2005Sp1, ServerVersion::Ocs2007, ServerVersion::Ocs2007R2];

    /// The version this console administers fully; pools of older versions are listed under
    /// "Earlier server versions".
    pub fn is_current(self) -> bool {
        self == ServerVersion::Ocs2007R2
    }

    /// Enhanced presence arrived with OCS 2007; LCS 2005 SP1 has only the legacy model.
    pub fn supports_enhanced_presence(self) -> bool {
        self >= ServerVersion::Ocs2007
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServerVersion::Lcs2005Sp1 => "lcs2005sp1",
            ServerVersion::Ocs2007 => "ocs2007",
            ServerVersion::Ocs2007R2 => "ocs2007r2",
        }
    }
}

impl FromStr for ServerVersion {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ServerVersion::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolState {
    Active,
    /// Taken out of service; its users are unassigned until it is reactivated.
    Deactivated,
    /// Gone for good; its users stay unassigned until moved.
    Removed,
}

impl PoolState {
    pub fn as_str(self) -> &'static str {
        match self {
            PoolState::Active => "active",
            PoolState::Deactivated => "deactivated",
            PoolState::Removed => "removed",
        }
    }
}

impl FromStr for PoolState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "active" => Ok(PoolState::Active),
            "deactivated" => Ok(PoolState::Deactivated),
            "removed" => Ok(PoolState::Removed),
            _ => Err(()),
        }
    }
}

impl PoolKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PoolKind::Enterprise => "enterprise",
            PoolKind::Standard => "standard",
        }
    }
}

impl FromStr for PoolKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "enterprise" => Ok(PoolKind::Enterprise),
            "standard" => Ok(PoolKind::Standard),
            _ => Err(()),
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub id: PoolId,
    pub fqdn: String,
    pub kind: PoolKind,
    pub version: ServerVersion,
    pub state: PoolState,
    /// Whether the pool's servers are running and reachable.
    pub available: bool,
    /// How many users the pool is sized for.
    pub capacity: u32,
    /// The site the pool is in.
    pub site: String,
}

/// The groups of the browser tree below the forest.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolCategory {
    EnterprisePools,
    StandardServers,
    EarlierVersions,
}

impl Pool {
    /// Users homed here can sign in only while the pool is active.
    pub fn hosts_users(&self) -> bool {
        self.state == PoolState::Active
    }

    /// The tree group this pool is listed under.
    pub fn category(&self) -> PoolCategory {
        category_of(self.kind, self.version)
    }
}

pub fn category_of(kind: PoolKind, version: ServerVersion) -> PoolCategory {
    match (version.is_current(), kind) {
        (false, _) => PoolCategory::EarlierVersions,
        (true, PoolKind::Enterprise) => PoolCategory::EnterprisePools,
        (true, PoolKind::Standard) => PoolCategory::StandardServers,
    }
}

/// A pool with the number of users homed on it (assigned or not).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSummary {
    pub pool: Pool,
    pub user_count: u64,
}

impl PoolSummary {
    pub fn capacity_used_percent(&self) -> u64 {
        let cap = u64::from(self.pool.capacity.max(1));
        (self.user_count * 100).div_ceil(cap)
    }
}

/// What the pool page shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolDetail {
    pub summary: PoolSummary,
    pub enhanced_presence_users: u64,
    pub disabled_accounts: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(kind: PoolKind, version: ServerVersion) -> Pool {
        Pool {
            id: PoolId(1),
            fqdn: "pool.contoso.com".into(),
            kind,
            version,
            state: PoolState::Active,
            available: true,
            capacity: 100,
            site: "Redmond".into(),
        }
    }

    #[test]
    fn versions_are_ordered_by_release() {
        assert!(ServerVersion::Lcs2005Sp1 < ServerVersion::Ocs2007);
        assert!(ServerVersion::Ocs2007 < ServerVersion::Ocs2007R2);
        assert!(!ServerVersion::Lcs2005Sp1.supports_enhanced_presence());
        assert!(ServerVersion::Ocs2007.supports_enhanced_presence());
    }

    #[test]
    fn only_current_version_pools_are_grouped_by_kind() {
        use PoolCategory::*;
        assert_eq!(pool(PoolKind::Enterprise, ServerVersion::Ocs2007R2).category(), EnterprisePools);
        assert_eq!(pool(PoolKind::Standard, ServerVersion::Ocs2007R2).category(), StandardServers);
        assert_eq!(pool(PoolKind::Enterprise, ServerVersion::Ocs2007).category(), EarlierVersions);
        assert_eq!(pool(PoolKind::Standard, ServerVersion::Lcs2005Sp1).category(), EarlierVersions);
    }

    #[test]
    fn codes_round_trip() {
        for v in ServerVersion::ALL {
            assert_eq!(v.as_str().parse::<ServerVersion>(), Ok(v));
        }
        for s in [PoolState::Active, PoolState::Deactivated, PoolState::Removed] {
            assert_eq!(s.as_str().parse::<PoolState>(), Ok(s));
        }
        assert!("ocs2010".parse::<ServerVersion>().is_err());
    }

    #[test]
    fn inactive_pools_host_no_users() {
        let mut p = pool(PoolKind::Enterprise, ServerVersion::Ocs2007R2);
        assert!(p.hosts_users());
        p.state = PoolState::Deactivated;
        assert!(!p.hosts_users());
        p.state = PoolState::Removed;
        assert!(!p.hosts_users());
    }
}

//! The topology of a deployment: its forest, SIP domains and pools, as a company describes it
//! in a topology file (`uc-admin topology import`, the Topology page) and as the portal writes
//! it back (`uc-admin topology export`). What an import would change is a `TopologyPlan`.

use super::pool::{PoolKind, PoolState, ServerVersion};
use serde::{Deserialize, Serialize};

/// Largest topology file read (a few hundred pools fit in a tiny fraction of it).
pub const MAX_TOPOLOGY_BYTES: usize = 1_000_000;
/// Most users one pool may be sized for.
pub const MAX_CAPACITY: u32 = 1_000_000;
/// Longest site name.
pub const MAX_SITE_CHARS: usize = 64;

/// One pool as a topology file describes it. A file only says `active` or `deactivated`:
/// removing a pool is leaving it out.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyPool {
    pub fqdn: String,
    pub kind: PoolKind,
    pub version: ServerVersion,
    pub site: String,
    pub capacity: u32,
    pub available: bool,
    pub state: PoolState,
}

impl From<super::pool::Pool> for TopologyPool {
    fn from(pool: super::pool::Pool) -> TopologyPool {
        TopologyPool {
            fqdn: pool.fqdn,
            kind: pool.kind,
            version: pool.version,
            site: pool.site,
            capacity: pool.capacity,
            available: pool.available,
            state: pool.state,
        }
    }
}

/// A whole topology: what a file holds once read, or what the database holds.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Topology {
    pub forest: String,
    /// The first is the default domain of new SIP URIs.
    pub sip_domains: Vec<String>,
    pub pools: Vec<TopologyPool>,
}

/// What makes a line of a topology file unusable.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopologyProblem {
    /// Not TOML, an unknown key, a missing key or a value of the wrong type.
    Syntax,
    /// The forest name is not a DNS name.
    InvalidForest,
    /// A SIP domain that is not a DNS name.
    InvalidDomain,
    /// The same SIP domain twice.
    DuplicateDomain,
    /// A file without SIP domains.
    NoDomain,
    /// A pool FQDN that is not a DNS name.
    InvalidFqdn,
    /// Two pools with one FQDN.
    DuplicateFqdn,
    /// Not one of enterprise, standard.
    InvalidKind,
    /// Not one of lcs2005sp1, ocs2007, ocs2007r2.
    InvalidVersion,
    /// Not one of active, deactivated.
    InvalidState,
    /// A capacity of 0 or more than `MAX_CAPACITY`.
    InvalidCapacity,
    /// An empty site name or one longer than `MAX_SITE_CHARS`.
    InvalidSite,
    /// The FQDN of a pool that was removed: it stays removed.
    RemovedPool,
    /// Deactivating a pool that has users would leave them unassigned.
    WouldOrphan { users: u64 },
    /// A capacity below the users homed on the pool.
    CapacityBelowUsers { users: u64 },
    /// A pool's kind or server version changes while users are homed on it.
    PoolInUse { users: u64 },
}

/// In English, for the command line and the log; the portal translates the variant.
impl std::fmt::Display for TopologyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TopologyProblem::Syntax => f.write_str(
                "not valid here (TOML syntax, an unknown or missing key, or a value of the wrong type)",
            ),
            TopologyProblem::InvalidForest => {
                f.write_str("the forest name must be a DNS name such as contoso.com")
            }
            TopologyProblem::InvalidDomain => {
                f.write_str("a SIP domain must be a DNS name such as contoso.com")
            }
            TopologyProblem::DuplicateDomain => f.write_str("this SIP domain is listed twice"),
            TopologyProblem::NoDomain => f.write_str("at least one SIP domain is needed"),
            TopologyProblem::InvalidFqdn => f.write_str("a pool FQDN must be a fully qualified DNS name"),
            TopologyProblem::DuplicateFqdn => f.write_str("another pool already has this FQDN"),
            TopologyProblem::InvalidKind => f.write_str("the kind must be enterprise or standard"),
            TopologyProblem::InvalidVersion => {
                f.write_str("the version must be ocs2007r2, ocs2007 or lcs2005sp1")
            }
            TopologyProblem::InvalidState => {
                f.write_str("the state must be active or deactivated (leave a pool out to remove it)")
            }
            TopologyProblem::InvalidCapacity => {
                f.write_str("the capacity must be a whole number from 1 to 1,000,000")
            }
            TopologyProblem::InvalidSite => f.write_str("the site name must have 1 to 64 characters"),
            TopologyProblem::RemovedPool => {
                f.write_str("a pool with this FQDN was removed, and stays removed")
            }
            TopologyProblem::WouldOrphan { users } => {
                write!(f, "deactivating this pool would leave its {users} users unassigned")
            }
            TopologyProblem::CapacityBelowUsers { users } => {
                write!(f, "the capacity cannot be below the {users} users homed on the pool")
            }
            TopologyProblem::PoolInUse { users } => {
                write!(f, "the kind and version cannot change while {users} users are homed on the pool")
            }
        }
    }
}

/// A pool an import changes: as it is, and as the file has it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolChange {
    pub before: TopologyPool,
    pub after: TopologyPool,
}

/// What importing a topology file would do. Empty when the file says what the database holds.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TopologyPlan {
    /// `Some((from, to))` when the forest name changes.
    pub forest: Option<(String, String)>,
    pub domains_added: Vec<String>,
    pub domains_removed: Vec<String>,
    /// `Some((from, to))` when the default SIP domain changes.
    pub default_domain: Option<(String, String)>,
    pub pools_added: Vec<TopologyPool>,
    pub pools_changed: Vec<PoolChange>,
    /// Pools without users that the file leaves out: they are removed.
    pub pools_removed: Vec<String>,
}

impl TopologyPlan {
    pub fn is_empty(&self) -> bool {
        self == &TopologyPlan::default()
    }

    /// How many things change (for the audit record and the summary line).
    pub fn change_count(&self) -> u64 {
        (usize::from(self.forest.is_some())
            + self.domains_added.len()
            + self.domains_removed.len()
            + usize::from(self.default_domain.is_some())
            + self.pools_added.len()
            + self.pools_changed.len()
            + self.pools_removed.len()) as u64
    }
}

/// A pool as the Topology page adds it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPool {
    pub fqdn: String,
    pub kind: PoolKind,
    pub version: ServerVersion,
    pub site: String,
    pub capacity: u32,
}

/// A site name as kept: trimmed, 1 to `MAX_SITE_CHARS` characters, no control characters.
pub fn check_site(site: &str) -> Result<String, TopologyProblem> {
    let site = site.trim();
    let chars = site.chars().count();
    if chars == 0 || chars > MAX_SITE_CHARS || site.chars().any(char::is_control) {
        return Err(TopologyProblem::InvalidSite);
    }
    Ok(site.to_owned())
}

pub fn check_capacity(capacity: i64) -> Result<u32, TopologyProblem> {
    u32::try_from(capacity)
        .ok()
        .filter(|c| (1..=MAX_CAPACITY).contains(c))
        .ok_or(TopologyProblem::InvalidCapacity)
}

/// A pool FQDN as kept: trimmed, lower case, a DNS name of at least two labels.
pub fn check_fqdn(fqdn: &str) -> Result<String, TopologyProblem> {
    let fqdn = fqdn.trim().to_ascii_lowercase();
    if fqdn.contains('.') && super::sip::is_valid_domain(&fqdn) {
        Ok(fqdn)
    } else {
        Err(TopologyProblem::InvalidFqdn)
    }
}

impl NewPool {
    /// The pool as it is kept, or why it cannot be.
    pub fn checked(&self) -> Result<NewPool, TopologyProblem> {
        Ok(NewPool {
            fqdn: check_fqdn(&self.fqdn)?,
            kind: self.kind,
            version: self.version,
            site: check_site(&self.site)?,
            capacity: check_capacity(i64::from(self.capacity))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_fields_are_checked_and_tidied() {
        assert_eq!(check_fqdn(" Pool01.Contoso.COM "), Ok("pool01.contoso.com".into()));
        assert_eq!(check_fqdn("pool01"), Err(TopologyProblem::InvalidFqdn));
        assert_eq!(check_fqdn("pool 01.contoso.com"), Err(TopologyProblem::InvalidFqdn));
        assert_eq!(check_site("  Dublin "), Ok("Dublin".into()));
        assert_eq!(check_site(" "), Err(TopologyProblem::InvalidSite));
        assert_eq!(check_site(&"x".repeat(65)), Err(TopologyProblem::InvalidSite));
        assert_eq!(check_capacity(0), Err(TopologyProblem::InvalidCapacity));
        assert_eq!(check_capacity(-5), Err(TopologyProblem::InvalidCapacity));
        assert_eq!(check_capacity(1_000_001), Err(TopologyProblem::InvalidCapacity));
        assert_eq!(check_capacity(20_000), Ok(20_000));
    }

    #[test]
    fn an_empty_plan_changes_nothing() {
        assert!(TopologyPlan::default().is_empty());
        let plan = TopologyPlan { pools_removed: vec!["a.contoso.com".into()], ..Default::default() };
        assert!(!plan.is_empty());
        assert_eq!(plan.change_count(), 1);
    }
}

//! Nodes of the pool browser tree, and the tree itself.

use super::pool::{PoolCategory, PoolId, PoolSummary};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A node of the tree; its string form is the URL segment `/browse/{node}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum NodeId {
    /// Every enabled user of the forest.
    Forest,
    Category(PoolCategory),
    /// Enabled users whose pool is deactivated or removed.
    Unassigned,
    Pool(PoolId),
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Forest => f.write_str("forest"),
            NodeId::Category(PoolCategory::EnterprisePools) => f.write_str("enterprise-pools"),
            NodeId::Category(PoolCategory::StandardServers) => f.write_str("standard-servers"),
            NodeId::Category(PoolCategory::EarlierVersions) => f.write_str("earlier-versions"),
            NodeId::Unassigned => f.write_str("unassigned"),
            NodeId::Pool(id) => write!(f, "pool-{}", id.0),
        }
    }
}

impl FromStr for NodeId {
    type Err = super::AppError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "forest" => NodeId::Forest,
            "enterprise-pools" => NodeId::Category(PoolCategory::EnterprisePools),
            "standard-servers" => NodeId::Category(PoolCategory::StandardServers),
            "earlier-versions" => NodeId::Category(PoolCategory::EarlierVersions),
            "unassigned" => NodeId::Unassigned,
            other => {
                let id = other
                    .strip_prefix("pool-")
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or(super::AppError::InvalidNode)?;
                NodeId::Pool(PoolId(id))
            }
        })
    }
}

impl From<NodeId> for String {
    fn from(n: NodeId) -> String {
        n.to_string()
    }
}

impl TryFrom<String> for NodeId {
    type Error = super::AppError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The whole tree with user counts, as the sidebar shows it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolTree {
    pub forest_name: String,
    /// All enabled users, assigned or not.
    pub total_users: u64,
    /// Pools that are not removed, in display order (FQDN).
    pub pools: Vec<PoolSummary>,
    pub unassigned_users: u64,
}

impl PoolTree {
    pub fn pools_in(&self, category: PoolCategory) -> impl Iterator<Item = &PoolSummary> {
        self.pools.iter().filter(move |p| p.pool.category() == category)
    }

    /// Users a category node lists: those homed on its active pools.
    pub fn users_in(&self, category: PoolCategory) -> u64 {
        self.pools_in(category).filter(|p| p.pool.hosts_users()).map(|p| p.user_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_round_trip_through_their_url_form() {
        for n in [
            NodeId::Forest,
            NodeId::Category(PoolCategory::EnterprisePools),
            NodeId::Category(PoolCategory::StandardServers),
            NodeId::Category(PoolCategory::EarlierVersions),
            NodeId::Unassigned,
            NodeId::Pool(PoolId(42)),
        ] {
            assert_eq!(n.to_string().parse::<NodeId>(), Ok(n));
        }
    }

    #[test]
    fn malformed_node_ids_are_rejected() {
        for bad in ["", "pool-", "pool-x", "pool--1", "pool-0", "Forest", "pools-1", "pool-1; drop"] {
            assert_eq!(bad.parse::<NodeId>(), Err(crate::domain::AppError::InvalidNode), "{bad}");
        }
    }
}

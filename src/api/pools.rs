//! Server functions of the topology: pool state, capacity and availability, adding pools, and
//! importing a topology file (Enterprise Administrators).

#[cfg(feature = "ssr")]
use super::gate;
use crate::domain::AppError;
use crate::domain::pool::{PoolId, PoolState, PoolSummary};
use crate::domain::topology::{NewPool, TopologyPlan};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// What the Topology page shows: the forest, the SIP domains (default first), and every pool
/// that is not removed, with its users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopologyView {
    pub forest: String,
    pub sip_domains: Vec<String>,
    pub pools: Vec<PoolSummary>,
}

#[server(prefix = "/api", endpoint = "topology_overview", input = Json)]
pub async fn topology_overview() -> Result<TopologyView, AppError> {
    gate::authorized(TopologyOverview::PATH, |app, operator| async move {
        let topology = crate::server::topology::file::current(&app.db).await?;
        let tree = crate::server::topology::pools::tree(&app.db, &operator.scope).await?;
        Ok(TopologyView { forest: topology.forest, sip_domains: topology.sip_domains, pools: tree.pools })
    })
    .await
}

/// Deactivates, removes or reactivates a pool (Enterprise Administrators).
#[server(prefix = "/api", endpoint = "set_pool_state", input = Json)]
pub async fn set_pool_state(pool: PoolId, state: PoolState) -> Result<(), AppError> {
    gate::authorized(SetPoolState::PATH, |app, operator| async move {
        crate::server::topology::pools::set_state(&app.db, &operator, pool, state).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "add_pool", input = Json)]
pub async fn add_pool(pool: NewPool) -> Result<PoolId, AppError> {
    gate::authorized(AddPool::PATH, |app, operator| async move {
        crate::server::topology::pools::add(&app.db, &operator, &pool).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "change_pool", input = Json)]
pub async fn change_pool(pool: PoolId, capacity: u32, available: bool) -> Result<(), AppError> {
    gate::authorized(ChangePool::PATH, |app, operator| async move {
        crate::server::topology::pools::set_capacity_and_availability(
            &app.db, &operator, pool, capacity, available,
        )
        .await
    })
    .await
}

/// What importing the topology file would change; nothing is written.
#[server(prefix = "/api", endpoint = "preview_topology", input = Json)]
pub async fn preview_topology(file: String) -> Result<TopologyPlan, AppError> {
    gate::authorized(PreviewTopology::PATH, |app, _| async move {
        crate::server::topology::file::plan(&app.db, &file).await
    })
    .await
}

/// Imports the topology file, all or nothing; the answer is what changed.
#[server(prefix = "/api", endpoint = "import_topology", input = Json)]
pub async fn import_topology(file: String) -> Result<TopologyPlan, AppError> {
    gate::authorized(ImportTopology::PATH, |app, operator| async move {
        crate::server::topology::file::import(&app.db, (&operator).into(), &file).await
    })
    .await
}

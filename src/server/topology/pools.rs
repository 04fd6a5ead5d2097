//! Pools: the browser tree and pool details.

use crate::domain::AppError;
use crate::domain::node::PoolTree;
use crate::domain::pool::{Pool, PoolDetail, PoolId, PoolState, PoolSummary};
use crate::domain::scope::UserScope;
use crate::domain::topology::{NewPool, TopologyProblem, check_capacity};
use crate::server::directory::within::push_within;
use crate::server::storage::error::corrupt;
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use sqlx::AnyPool;

#[derive(sqlx::FromRow)]
pub(crate) struct PoolRecord {
    id: i64,
    fqdn: String,
    kind: String,
    version: String,
    state: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    available: bool,
    capacity: i64,
    site: String,
}

pub(crate) const POOL_COLUMNS: &str =
    "p.id, p.fqdn, p.kind, p.version, p.state, p.available, p.capacity, p.site";

impl TryFrom<PoolRecord> for Pool {
    type Error = AppError;
    fn try_from(r: PoolRecord) -> Result<Pool, AppError> {
        Ok(Pool {
            id: PoolId(r.id),
            kind: r.kind.parse().map_err(|_| corrupt("pool kind", &r.kind))?,
            version: r.version.parse().map_err(|_| corrupt("server version", &r.version))?,
            state: r.state.parse().map_err(|_| corrupt("pool state", &r.state))?,
            available: r.available,
            capacity: u32::try_from(r.capacity).map_err(|_| corrupt("capacity", &r.capacity.to_string()))?,
            fqdn: r.fqdn,
            site: r.site,
        })
    }
}

/// One pool, read inside the caller's transaction.
pub(crate) async fn load(conn: &mut sqlx::AnyConnection, id: PoolId) -> Result<Pool, AppError> {
    let record: Option<PoolRecord> =
        sqlx::query_as(&format!("SELECT {POOL_COLUMNS} FROM pools p WHERE p.id = $1"))
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    record.ok_or(AppError::PoolNotFound)?.try_into()
}

pub async fn forest_name(db: &AnyPool) -> Result<String, AppError> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'forest_name'").fetch_optional(db).await?;
    Ok(name.unwrap_or_default())
}

/// Every pool (removed ones too) with the users homed on it, by FQDN. Read inside the caller's
/// connection or transaction.
pub(crate) async fn summaries(conn: &mut sqlx::AnyConnection) -> Result<Vec<PoolSummary>, AppError> {
    summaries_within(conn, &UserScope::Everything).await
}

/// The same, counting only the users inside `within`.
async fn summaries_within(
    conn: &mut sqlx::AnyConnection,
    within: &UserScope,
) -> Result<Vec<PoolSummary>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        pool: PoolRecord,
        users: i64,
    }
    use crate::server::storage::db::Engine;
    let engine = Engine::of(&mut *conn);
    let mut select = SqlBuilder::new(
        engine,
        format!("SELECT {POOL_COLUMNS}, COALESCE(c.users, 0) AS users FROM pools p LEFT JOIN "),
    );
    // SQLite keeps the counts (migration 0022); PostgreSQL, and a scoped call, count them.
    if engine == Engine::Sqlite && within.is_everything() {
        select.push("pool_user_counts");
    } else {
        select.push("(SELECT e.pool_id, COUNT(*) AS users FROM enabled_users e WHERE 1 = 1");
        push_within(&mut select, within, "e.user_id", Some("e.pool_id"));
        select.push(" GROUP BY e.pool_id)");
    }
    select.push(" c ON c.pool_id = p.id ORDER BY p.fqdn");
    let rows: Vec<Row> = select.build_query_as().fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| Ok(PoolSummary { pool: row.pool.try_into()?, user_count: row.users as u64 }))
        .collect()
}

/// The tree with every node's count of the users inside `within`.
pub async fn tree(db: &AnyPool, within: &UserScope) -> Result<PoolTree, AppError> {
    let rows = summaries_within(&mut *db.acquire().await?, within).await?;
    let mut total_users = 0;
    let mut unassigned_users = 0;
    let mut pools = Vec::with_capacity(rows.len());
    for summary in rows {
        total_users += summary.user_count;
        if !summary.pool.hosts_users() {
            unassigned_users += summary.user_count;
        }
        // Removed pools leave the tree; their users remain under Unassigned users.
        if summary.pool.state != crate::domain::pool::PoolState::Removed {
            pools.push(summary);
        }
    }
    Ok(PoolTree { forest_name: forest_name(db).await?, total_users, pools, unassigned_users })
}

/// A pool and its users (those inside `within`).
pub async fn detail(db: &AnyPool, within: &UserScope, id: PoolId) -> Result<PoolDetail, AppError> {
    let record: Option<PoolRecord> =
        sqlx::query_as(&format!("SELECT {POOL_COLUMNS} FROM pools p WHERE p.id = $1"))
            .bind(id.0)
            .fetch_optional(db)
            .await?;
    let pool: Pool = record.ok_or(AppError::PoolNotFound)?.try_into()?;
    let mut counts = SqlBuilder::new(
        crate::server::storage::db::engine(db),
        "SELECT COUNT(*), CAST(COALESCE(SUM(e.enhanced_presence), 0) AS BIGINT),
                CAST(COALESCE(SUM(1 - d.account_enabled), 0) AS BIGINT)
         FROM enabled_users e JOIN directory_users d ON d.id = e.user_id WHERE e.pool_id = ",
    );
    counts.push_bind(id.0);
    push_within(&mut counts, within, "e.user_id", Some("e.pool_id"));
    let (users, enhanced, disabled): (i64, i64, i64) = counts.build_query_as().fetch_one(db).await?;
    Ok(PoolDetail {
        summary: PoolSummary { pool, user_count: users as u64 },
        enhanced_presence_users: enhanced as u64,
        disabled_accounts: disabled as u64,
    })
}

/// Changes a pool's state, with its audit record. Deactivating or removing a pool makes its
/// users unassigned (they cannot sign in); reactivating a deactivated pool brings them back. A
/// removed pool stays removed.
pub async fn set_state(
    db: &AnyPool,
    operator: &crate::domain::operator::Operator,
    id: PoolId,
    state: PoolState,
) -> Result<(), AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let current: Option<String> = sqlx::query_scalar("SELECT state FROM pools WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let current: PoolState =
        current.ok_or(AppError::PoolNotFound)?.parse().map_err(|_| corrupt("pool state", "?"))?;
    if current == state || current == PoolState::Removed {
        return Err(AppError::PoolStateUnchanged);
    }
    let (fqdn, users): (String, i64) = sqlx::query_as(
        "SELECT p.fqdn, (SELECT COUNT(*) FROM enabled_users e WHERE e.pool_id = p.id) FROM pools p WHERE p.id = $1",
    )
    .bind(id.0)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE pools SET state = $1 WHERE id = $2")
        .bind(state.as_str())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    crate::server::security::audit::record(
        &mut tx,
        operator,
        "pool_state",
        serde_json::json!({ "pool": fqdn, "from": current.as_str(), "to": state.as_str() }),
        users as u64,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a pool (Topology page), active and available, with its audit record.
pub async fn add(
    db: &AnyPool,
    operator: &crate::domain::operator::Operator,
    pool: &NewPool,
) -> Result<PoolId, AppError> {
    let pool = pool.checked().map_err(|problem| AppError::PoolInvalid { problem })?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let existing: Option<String> = sqlx::query_scalar("SELECT state FROM pools WHERE fqdn = $1")
        .bind(&pool.fqdn)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(state) = existing {
        let problem =
            if state == "removed" { TopologyProblem::RemovedPool } else { TopologyProblem::DuplicateFqdn };
        return Err(AppError::PoolInvalid { problem });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pools (fqdn, kind, version, site, capacity) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&pool.fqdn)
    .bind(pool.kind.as_str())
    .bind(pool.version.as_str())
    .bind(&pool.site)
    .bind(i64::from(pool.capacity))
    .fetch_one(&mut *tx)
    .await?;
    crate::server::security::audit::record(
        &mut tx,
        operator,
        "pool_add",
        serde_json::json!({
            "pool": pool.fqdn, "kind": pool.kind.as_str(), "version": pool.version.as_str(),
            "site": pool.site, "capacity": pool.capacity,
        }),
        0,
    )
    .await?;
    tx.commit().await?;
    Ok(PoolId(id))
}

/// Changes a pool's capacity and availability (Topology page). The capacity cannot go below
/// the users homed there; a removed pool does not change.
pub async fn set_capacity_and_availability(
    db: &AnyPool,
    operator: &crate::domain::operator::Operator,
    id: PoolId,
    capacity: u32,
    available: bool,
) -> Result<(), AppError> {
    let capacity =
        check_capacity(i64::from(capacity)).map_err(|problem| AppError::PoolInvalid { problem })?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let pool = load(&mut tx, id).await?;
    if pool.state == PoolState::Removed {
        return Err(AppError::PoolStateUnchanged);
    }
    if (pool.capacity, pool.available) == (capacity, available) {
        return Err(AppError::NothingToChange);
    }
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
    if i64::from(capacity) < users {
        return Err(AppError::PoolInvalid {
            problem: TopologyProblem::CapacityBelowUsers { users: users as u64 },
        });
    }
    sqlx::query("UPDATE pools SET capacity = $1, available = $2 WHERE id = $3")
        .bind(i64::from(capacity))
        .bind(Flag(available))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    crate::server::security::audit::record(
        &mut tx,
        operator,
        "pool_change",
        serde_json::json!({
            "pool": pool.fqdn,
            "capacity": { "from": pool.capacity, "to": capacity },
            "available": { "from": pool.available, "to": available },
        }),
        users as u64,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pool::{PoolCategory, PoolState};
    use crate::server::storage::seed::tests::small_deployment;

    /// The counts the tree shows are the users each pool homes, whatever changed them: users
    /// enabled, moved (also by an upsert, as an undo puts a user back), deleted (also by their
    /// directory entry's removal), new pools, a rolled-back change.
    #[tokio::test]
    async fn kept_counts_follow_every_change() {
        let db = small_deployment().await;
        let counted = || async {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT p.id, (SELECT COUNT(*) FROM enabled_users e WHERE e.pool_id = p.id) FROM pools p ORDER BY p.id",
            )
            .fetch_all(&db)
            .await
            .unwrap();
            let mut shown: Vec<(i64, i64)> = tree(&db, &Default::default())
                .await
                .unwrap()
                .pools
                .iter()
                .map(|s| (s.pool.id.0, s.user_count as i64))
                .collect();
            shown.sort();
            let removed: Vec<i64> = sqlx::query_scalar("SELECT id FROM pools WHERE state = 'removed'")
                .fetch_all(&db)
                .await
                .unwrap();
            let rows: Vec<(i64, i64)> = rows.into_iter().filter(|(id, _)| !removed.contains(id)).collect();
            assert_eq!(shown, rows);
        };
        counted().await;
        let pools: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM pools WHERE state = 'active' ORDER BY id LIMIT 2")
                .fetch_all(&db)
                .await
                .unwrap();
        let users: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM enabled_users ORDER BY user_id LIMIT 30")
                .fetch_all(&db)
                .await
                .unwrap();
        for statement in [
            format!("UPDATE enabled_users SET pool_id = {} WHERE user_id <= {}", pools[1], users[9]),
            format!("DELETE FROM enabled_users WHERE user_id IN ({}, {})", users[10], users[11]),
            format!("DELETE FROM directory_users WHERE id = {}", users[12]),
            format!(
                "INSERT INTO enabled_users (user_id, sip_uri, pool_id) VALUES ({}, 'back.again@contoso.com', {})
                 ON CONFLICT (user_id) DO UPDATE SET pool_id = excluded.pool_id",
                users[10], pools[0]
            ),
            format!(
                "INSERT INTO enabled_users (user_id, sip_uri, pool_id) VALUES ({}, 'ignored@contoso.com', {})
                 ON CONFLICT (user_id) DO UPDATE SET pool_id = excluded.pool_id",
                users[13], pools[1]
            ),
            "INSERT INTO pools (fqdn, kind, version, capacity) VALUES ('new.contoso.com', 'standard', 'ocs2007r2', 10)"
                .to_string(),
        ] {
            sqlx::query(&statement).execute(&db).await.unwrap();
            counted().await;
        }
        let mut tx = db.begin().await.unwrap();
        sqlx::query("UPDATE enabled_users SET pool_id = $1").bind(pools[0]).execute(&mut *tx).await.unwrap();
        tx.rollback().await.unwrap();
        counted().await;
    }

    #[tokio::test]
    async fn tree_counts_add_up() {
        let db = small_deployment().await;
        let tree = tree(&db, &Default::default()).await.unwrap();
        let enabled: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&db).await.unwrap();
        assert_eq!(tree.total_users, enabled as u64);
        let listed: u64 =
            [PoolCategory::EnterprisePools, PoolCategory::StandardServers, PoolCategory::EarlierVersions]
                .into_iter()
                .map(|c| tree.users_in(c))
                .sum();
        assert_eq!(listed + tree.unassigned_users, tree.total_users);
        assert!(tree.unassigned_users > 0, "the demo has a deactivated pool with users");
        assert!(tree.pools.iter().any(|p| p.pool.state == PoolState::Deactivated));
        assert!(tree.pools.iter().any(|p| !p.pool.available));
        assert_eq!(tree.forest_name, "contoso.com");
    }

    #[tokio::test]
    async fn pool_detail_counts_its_users() {
        let db = small_deployment().await;
        let tree = tree(&db, &Default::default()).await.unwrap();
        let first = &tree.pools[0];
        let d = detail(&db, &Default::default(), first.pool.id).await.unwrap();
        assert_eq!(d.summary, *first);
        assert!(d.enhanced_presence_users <= d.summary.user_count);
        assert_eq!(detail(&db, &Default::default(), PoolId(9999)).await.err(), Some(AppError::PoolNotFound));
    }

    /// An Enterprise Administrator to act as (the audit records name an operator).
    async fn administrator(db: &AnyPool) -> crate::domain::operator::Operator {
        use crate::domain::operator::{Operator, OperatorId, Role};
        sqlx::query("INSERT INTO operators (id, username, display_name, password_hash, created_at) VALUES (1, 'admin', 'A', '-', 0)")
            .execute(db)
            .await
            .unwrap();
        Operator {
            id: OperatorId(1),
            username: "admin".into(),
            display_name: "A".into(),
            roles: vec![Role::EnterpriseAdministrator],
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        }
    }

    #[tokio::test]
    async fn deactivating_a_pool_unassigns_its_users_and_reactivating_brings_them_back() {
        let db = small_deployment().await;
        let admin = administrator(&db).await;
        let before = tree(&db, &Default::default()).await.unwrap();
        let pool = before.pools.iter().find(|p| p.pool.fqdn == "pool02.contoso.com").unwrap().clone();
        set_state(&db, &admin, pool.pool.id, PoolState::Deactivated).await.unwrap();
        let after = tree(&db, &Default::default()).await.unwrap();
        assert_eq!(after.unassigned_users, before.unassigned_users + pool.user_count);
        assert_eq!(
            set_state(&db, &admin, pool.pool.id, PoolState::Deactivated).await.err(),
            Some(AppError::PoolStateUnchanged)
        );
        set_state(&db, &admin, pool.pool.id, PoolState::Active).await.unwrap();
        assert_eq!(tree(&db, &Default::default()).await.unwrap().unassigned_users, before.unassigned_users);
        set_state(&db, &admin, pool.pool.id, PoolState::Removed).await.unwrap();
        let removed = tree(&db, &Default::default()).await.unwrap();
        assert!(removed.pools.iter().all(|p| p.pool.id != pool.pool.id), "a removed pool leaves the tree");
        assert_eq!(removed.unassigned_users, before.unassigned_users + pool.user_count);
        assert_eq!(
            set_state(&db, &admin, pool.pool.id, PoolState::Active).await.err(),
            Some(AppError::PoolStateUnchanged)
        );
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'pool_state'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(events, 3);
        assert_eq!(
            set_state(&db, &admin, PoolId(999), PoolState::Deactivated).await.err(),
            Some(AppError::PoolNotFound)
        );
    }

    #[tokio::test]
    async fn the_topology_page_adds_pools_and_changes_capacity_within_the_rules() {
        use crate::domain::pool::{PoolKind, ServerVersion};
        let db = small_deployment().await;
        let admin = administrator(&db).await;
        let new = NewPool {
            fqdn: " Pool09.Contoso.com".into(),
            kind: PoolKind::Enterprise,
            version: ServerVersion::Ocs2007R2,
            site: "Dublin".into(),
            capacity: 500,
        };
        let id = add(&db, &admin, &new).await.unwrap();
        let added = detail(&db, &Default::default(), id).await.unwrap().summary.pool;
        assert_eq!(
            (added.fqdn.as_str(), added.site.as_str(), added.capacity),
            ("pool09.contoso.com", "Dublin", 500)
        );
        let refused = |problem| Some(AppError::PoolInvalid { problem });
        assert_eq!(add(&db, &admin, &new).await.err(), refused(TopologyProblem::DuplicateFqdn));
        assert_eq!(
            add(&db, &admin, &NewPool { site: "".into(), fqdn: "x.contoso.com".into(), ..new.clone() })
                .await
                .err(),
            refused(TopologyProblem::InvalidSite)
        );
        assert_eq!(
            add(&db, &admin, &NewPool { capacity: 0, fqdn: "x.contoso.com".into(), ..new.clone() })
                .await
                .err(),
            refused(TopologyProblem::InvalidCapacity)
        );
        set_capacity_and_availability(&db, &admin, id, 800, false).await.unwrap();
        let changed = detail(&db, &Default::default(), id).await.unwrap().summary.pool;
        assert_eq!((changed.capacity, changed.available), (800, false));
        assert_eq!(
            set_capacity_and_availability(&db, &admin, id, 800, false).await.err(),
            Some(AppError::NothingToChange)
        );
        let busy = tree(&db, &Default::default())
            .await
            .unwrap()
            .pools
            .into_iter()
            .find(|p| p.user_count > 1)
            .unwrap();
        assert_eq!(
            set_capacity_and_availability(&db, &admin, busy.pool.id, 1, true).await.err(),
            refused(TopologyProblem::CapacityBelowUsers { users: busy.user_count })
        );
        set_state(&db, &admin, id, PoolState::Removed).await.unwrap();
        assert_eq!(add(&db, &admin, &new).await.err(), refused(TopologyProblem::RemovedPool));
        assert_eq!(
            set_capacity_and_availability(&db, &admin, id, 900, true).await.err(),
            Some(AppError::PoolStateUnchanged)
        );
        let events: Vec<String> = sqlx::query_scalar(
            "SELECT operation FROM audit_events WHERE operation LIKE 'pool_%' ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(events, ["pool_add", "pool_change", "pool_state"]);
    }
}

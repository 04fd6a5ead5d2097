//! The topology as a whole: reading it from the database, planning what a topology file would
//! change, importing one (all or nothing), and exporting the current one. The file's own format
//! is `formats::topology`.

use crate::domain::AppError;
use crate::domain::pool::PoolState;
use crate::domain::topology::{PoolChange, Topology, TopologyPlan, TopologyPool, TopologyProblem};
use crate::formats::topology::{self as format, TopologyFile};
use crate::server::security::audit::{Actor, record_as};
use crate::server::storage::db;
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::topology::pools;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashMap;

/// A pool of the database with what the plan needs to know of it.
struct Current {
    pool: TopologyPool,
    removed: bool,
    users: u64,
}

async fn current_pools(conn: &mut AnyConnection) -> Result<Vec<Current>, AppError> {
    Ok(pools::summaries(conn)
        .await?
        .into_iter()
        .map(|s| Current {
            removed: s.pool.state == PoolState::Removed,
            users: s.user_count,
            pool: s.pool.into(),
        })
        .collect())
}

async fn current_domains(conn: &mut AnyConnection) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT domain FROM sip_domains ORDER BY is_default DESC, domain")
        .fetch_all(conn)
        .await?)
}

async fn current_forest(conn: &mut AnyConnection) -> Result<String, AppError> {
    let forest: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'forest_name'")
        .fetch_optional(conn)
        .await?;
    Ok(forest.unwrap_or_default())
}

/// The topology the database holds (removed pools are gone from it), pools by site.
pub async fn current(db: &AnyPool) -> Result<Topology, AppError> {
    let mut tx = db::read_snapshot(db).await?;
    let mut pools: Vec<TopologyPool> =
        current_pools(&mut tx).await?.into_iter().filter(|p| !p.removed).map(|p| p.pool).collect();
    pools.sort_by(|a, b| (&a.site, &a.fqdn).cmp(&(&b.site, &b.fqdn)));
    Ok(Topology {
        forest: current_forest(&mut tx).await?,
        sip_domains: current_domains(&mut tx).await?,
        pools,
    })
}

/// `uc-admin topology export`: the current topology as a file `import` reads back unchanged.
pub async fn export(db: &AnyPool) -> Result<String, AppError> {
    Ok(format::write(&current(db).await?))
}

/// How many enabled users have a SIP URI in `domain`.
async fn users_in_domain(conn: &mut AnyConnection, domain: &str) -> Result<u64, AppError> {
    let like = Engine::of(conn).like("sip_uri", "$1");
    let users: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM enabled_users WHERE {like}"))
        .bind(format!("%@{}", crate::domain::paging::like_contains_pattern(domain).trim_matches('%')))
        .fetch_one(conn)
        .await?;
    Ok(users as u64)
}

/// What the file would change, or the first line (or left-out pool or domain) that refuses it.
async fn plan_in(conn: &mut AnyConnection, file: &TopologyFile) -> Result<TopologyPlan, AppError> {
    let wanted = &file.topology;
    let mut plan = TopologyPlan::default();
    let forest = current_forest(conn).await?;
    if forest != wanted.forest {
        plan.forest = Some((forest, wanted.forest.clone()));
    }

    let domains = current_domains(conn).await?;
    for domain in &domains {
        if !wanted.sip_domains.contains(domain) {
            let users = users_in_domain(conn, domain).await?;
            if users > 0 {
                return Err(AppError::TopologyMissing { name: domain.clone(), users });
            }
            plan.domains_removed.push(domain.clone());
        }
    }
    plan.domains_added = wanted.sip_domains.iter().filter(|d| !domains.contains(d)).cloned().collect();
    let default = domains.first().cloned().unwrap_or_default();
    if default != wanted.sip_domains[0] {
        plan.default_domain = Some((default, wanted.sip_domains[0].clone()));
    }

    let pools = current_pools(conn).await?;
    let by_fqdn: HashMap<&str, &Current> = pools.iter().map(|p| (p.pool.fqdn.as_str(), p)).collect();
    for (pool, &line) in wanted.pools.iter().zip(&file.pool_lines) {
        let Some(now) = by_fqdn.get(pool.fqdn.as_str()) else {
            plan.pools_added.push(pool.clone());
            continue;
        };
        let refuse = |problem| Err(AppError::TopologyInvalid { line, problem });
        if now.removed {
            return refuse(TopologyProblem::RemovedPool);
        }
        if now.pool == *pool {
            continue;
        }
        if now.users > 0 {
            if pool.state != PoolState::Active && now.pool.state == PoolState::Active {
                return refuse(TopologyProblem::WouldOrphan { users: now.users });
            }
            if (pool.kind, pool.version) != (now.pool.kind, now.pool.version) {
                return refuse(TopologyProblem::PoolInUse { users: now.users });
            }
            if u64::from(pool.capacity) < now.users {
                return refuse(TopologyProblem::CapacityBelowUsers { users: now.users });
            }
        }
        plan.pools_changed.push(PoolChange { before: now.pool.clone(), after: pool.clone() });
    }
    for now in pools.iter().filter(|p| !p.removed) {
        if wanted.pools.iter().any(|p| p.fqdn == now.pool.fqdn) {
            continue;
        }
        if now.users > 0 {
            return Err(AppError::TopologyMissing { name: now.pool.fqdn.clone(), users: now.users });
        }
        plan.pools_removed.push(now.pool.fqdn.clone());
    }
    Ok(plan)
}

/// What importing `text` would change; nothing is written.
pub async fn plan(db: &AnyPool, text: &str) -> Result<TopologyPlan, AppError> {
    let file = format::parse(text)?;
    let mut tx = db::read_snapshot(db).await?;
    plan_in(&mut tx, &file).await
}

/// Imports a topology file in one transaction: the plan is made again inside it (the database
/// may have changed since a preview) and applied whole, or nothing is. Returns what changed;
/// an import that changes nothing writes nothing, not even an audit record.
pub async fn import(db: &AnyPool, actor: Actor<'_>, text: &str) -> Result<TopologyPlan, AppError> {
    let file = format::parse(text)?;
    let mut tx = db::write(db).await?;
    let plan = plan_in(&mut tx, &file).await?;
    if plan.is_empty() {
        return Ok(plan);
    }
    let wanted = &file.topology;
    if let Some((_, forest)) = &plan.forest {
        sqlx::query("INSERT INTO settings (key, value) VALUES ('forest_name', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(forest)
            .execute(&mut *tx)
            .await?;
        // The enterprise organization is named after the forest.
        sqlx::query("UPDATE organizations SET name = $1 WHERE parent_id IS NULL")
            .bind(forest)
            .execute(&mut *tx)
            .await?;
    }
    for domain in &plan.domains_removed {
        sqlx::query("DELETE FROM sip_domains WHERE domain = $1").bind(domain).execute(&mut *tx).await?;
    }
    for domain in &plan.domains_added {
        sqlx::query("INSERT INTO sip_domains (domain, is_default) VALUES ($1, 0)")
            .bind(domain)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE sip_domains SET is_default = CASE WHEN domain = $1 THEN 1 ELSE 0 END")
        .bind(&wanted.sip_domains[0])
        .execute(&mut *tx)
        .await?;
    for pool in &plan.pools_added {
        sqlx::query(
            "INSERT INTO pools (fqdn, kind, version, site, capacity, available, state) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&pool.fqdn)
        .bind(pool.kind.as_str())
        .bind(pool.version.as_str())
        .bind(&pool.site)
        .bind(i64::from(pool.capacity))
        .bind(Flag(pool.available))
        .bind(pool.state.as_str())
        .execute(&mut *tx)
        .await?;
    }
    for PoolChange { after: pool, .. } in &plan.pools_changed {
        sqlx::query(
            "UPDATE pools SET kind = $1, version = $2, site = $3, capacity = $4, available = $5, state = $6 WHERE fqdn = $7",
        )
        .bind(pool.kind.as_str())
        .bind(pool.version.as_str())
        .bind(&pool.site)
        .bind(i64::from(pool.capacity))
        .bind(Flag(pool.available))
        .bind(pool.state.as_str())
        .bind(&pool.fqdn)
        .execute(&mut *tx)
        .await?;
    }
    for fqdn in &plan.pools_removed {
        sqlx::query("UPDATE pools SET state = 'removed' WHERE fqdn = $1")
            .bind(fqdn)
            .execute(&mut *tx)
            .await?;
    }
    let parameters = serde_json::json!({
        "forest": wanted.forest,
        "pools_added": plan.pools_added.iter().map(|p| &p.fqdn).collect::<Vec<_>>(),
        "pools_changed": plan.pools_changed.iter().map(|c| &c.after.fqdn).collect::<Vec<_>>(),
        "pools_removed": plan.pools_removed,
        "domains_added": plan.domains_added,
        "domains_removed": plan.domains_removed,
    });
    record_as(&mut tx, actor.id, actor.name, "topology_import", parameters, plan.change_count()).await?;
    tx.commit().await?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::seed::tests::small_deployment;

    const EXAMPLE: &str = include_str!("../../../packaging/topology.example.toml");
    const ACTOR: Actor<'static> = Actor { id: None, name: "command-line" };

    async fn empty() -> AnyPool {
        db::connect(&crate::server::storage::db::test_database().await).await.unwrap()
    }

    async fn audit_count(db: &AnyPool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'topology_import'")
            .fetch_one(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn importing_the_same_file_twice_changes_nothing_the_second_time() {
        let db = empty().await;
        let plan = plan(&db, EXAMPLE).await.unwrap();
        assert_eq!(plan.pools_added.len(), 4);
        assert_eq!(plan.domains_added, ["contoso.com", "fabrikam.com"]);
        let done = import(&db, ACTOR, EXAMPLE).await.unwrap();
        assert_eq!(done, plan);
        let tree = crate::server::topology::pools::tree(&db, &Default::default()).await.unwrap();
        assert_eq!(tree.forest_name, "contoso.com");
        assert_eq!(tree.pools.len(), 4);
        let again = import(&db, ACTOR, EXAMPLE).await.unwrap();
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(audit_count(&db).await, 1, "an import that changes nothing is not recorded");
        // What export writes imports as nothing to do, and reads as the same topology.
        let exported = export(&db).await.unwrap();
        assert!(plan_again(&db, &exported).await.is_empty());
        let by_fqdn = |text: &str| {
            let mut topology = format::parse(text).unwrap().topology;
            topology.pools.sort_by(|a, b| a.fqdn.cmp(&b.fqdn));
            topology
        };
        assert_eq!(by_fqdn(&exported), by_fqdn(EXAMPLE));
    }

    async fn plan_again(db: &AnyPool, text: &str) -> TopologyPlan {
        plan(db, text).await.unwrap()
    }

    #[tokio::test]
    async fn a_file_that_would_orphan_users_is_refused_and_nothing_changes() {
        let db = small_deployment().await;
        let before = current(&db).await.unwrap();
        let exported = export(&db).await.unwrap();
        // Leaving out a pool with users.
        let without = format::write(&Topology {
            pools: before.pools.iter().filter(|p| p.fqdn != "pool01.contoso.com").cloned().collect(),
            ..before.clone()
        });
        match import(&db, ACTOR, &without).await {
            Err(AppError::TopologyMissing { name, users }) => {
                assert_eq!(name, "pool01.contoso.com");
                assert!(users > 0);
            }
            other => panic!("{other:?}"),
        }
        // Deactivating it names its line.
        let line = exported.lines().position(|l| l == "fqdn = \"pool01.contoso.com\"").unwrap() as u64;
        let deactivated = exported.replacen(
            "fqdn = \"pool01.contoso.com\"\nkind = \"enterprise\"\nversion = \"ocs2007r2\"",
            "fqdn = \"pool01.contoso.com\"\nkind = \"enterprise\"\nversion = \"ocs2007r2\"\nstate = \"deactivated\"",
            1,
        );
        let deactivated = deactivated.replacen(
            "state = \"active\"\n\n[[pool]]\nfqdn = \"pool02",
            "\n[[pool]]\nfqdn = \"pool02",
            1,
        );
        match import(&db, ACTOR, &deactivated).await {
            Err(AppError::TopologyInvalid { line: at, problem: TopologyProblem::WouldOrphan { users } }) => {
                assert!(at == line || at == line + 1, "line {at}, pool at {}", line + 1);
                assert!(users > 0);
            }
            other => panic!("{other:?}"),
        }
        // Leaving out a SIP domain users have.
        let one_domain =
            format::write(&Topology { sip_domains: vec!["fabrikam.com".into()], ..before.clone() });
        assert!(matches!(
            import(&db, ACTOR, &one_domain).await,
            Err(AppError::TopologyMissing { name, .. }) if name == "contoso.com"
        ));
        // Capacity below the users, kind changed under users.
        let mut small = before.clone();
        small.pools.iter_mut().find(|p| p.fqdn == "pool01.contoso.com").unwrap().capacity = 1;
        assert!(matches!(
            import(&db, ACTOR, &format::write(&small)).await,
            Err(AppError::TopologyInvalid { problem: TopologyProblem::CapacityBelowUsers { .. }, .. })
        ));
        let mut kind = before.clone();
        kind.pools.iter_mut().find(|p| p.fqdn == "pool01.contoso.com").unwrap().kind =
            crate::domain::pool::PoolKind::Standard;
        assert!(matches!(
            import(&db, ACTOR, &format::write(&kind)).await,
            Err(AppError::TopologyInvalid { problem: TopologyProblem::PoolInUse { .. }, .. })
        ));
        assert_eq!(current(&db).await.unwrap(), before, "nothing changed");
        assert_eq!(audit_count(&db).await, 0);
    }

    #[tokio::test]
    async fn an_import_adds_changes_and_removes_pools_in_one_go() {
        let db = empty().await;
        import(&db, ACTOR, EXAMPLE).await.unwrap();
        let mut next = format::parse(EXAMPLE).unwrap().topology;
        next.pools.retain(|p| p.fqdn != "lcs.dublin.contoso.com");
        next.pools[0].capacity = 45_000;
        next.pools[1].available = false;
        next.pools.push(crate::domain::topology::TopologyPool {
            fqdn: "pool02.dublin.contoso.com".into(),
            site: "Dublin".into(),
            ..next.pools[0].clone()
        });
        next.sip_domains = vec!["fabrikam.com".into(), "contoso.com".into(), "litware.com".into()];
        next.forest = "corp.contoso.com".into();
        let done = import(&db, ACTOR, &format::write(&next)).await.unwrap();
        assert_eq!(done.pools_removed, ["lcs.dublin.contoso.com"]);
        assert_eq!(done.pools_added.len(), 1);
        assert_eq!(done.pools_changed.len(), 2);
        assert_eq!(done.domains_added, ["litware.com"]);
        assert_eq!(done.default_domain, Some(("contoso.com".into(), "fabrikam.com".into())));
        assert_eq!(done.forest, Some(("contoso.com".into(), "corp.contoso.com".into())));
        let now = current(&db).await.unwrap();
        assert_eq!(now.sip_domains[0], "fabrikam.com");
        assert_eq!(now.pools.len(), 4);
        // A removed pool's FQDN is not used again.
        let mut back = next.clone();
        back.pools.push(format::parse(EXAMPLE).unwrap().topology.pools[3].clone());
        let text = format::write(&back);
        assert!(matches!(
            import(&db, ACTOR, &text).await,
            Err(AppError::TopologyInvalid { problem: TopologyProblem::RemovedPool, .. })
        ));
    }
}

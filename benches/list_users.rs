//! Benchmark: listing one page of users from a 1,000,000-user deployment, server side (service
//! call, SQL and mapping), for the tree nodes and sort orders an operator uses, with the query
//! plan of each list.
//!
//!   cargo bench --features ssr --bench list_users
//!   UC_ADMIN_BENCH_USERS=200000 cargo bench --features ssr --bench list_users
//!
//! The deployment is the search benchmark's (target/bench/search-N.db: four pools of N/4
//! users, generated once and reused).

#[path = "common/million.rs"]
mod million;
#[path = "common/report.rs"]
mod report;

use std::time::{Duration, Instant};
use uc_admin::domain::node::NodeId;
use uc_admin::domain::paging::{SortDir, SortKey, UserQuery};
use uc_admin::domain::pool::PoolCategory;
use uc_admin::server::{directory::users, storage::db, topology::pools};

const RUNS: usize = 30;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let size: u32 =
        std::env::var("UC_ADMIN_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    std::fs::create_dir_all("target/bench").unwrap();
    let pool = db::connect(&format!("sqlite://target/bench/search-{size}.db")).await.expect("database");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&pool).await.unwrap();
    if users == 0 {
        million::fill(&pool, size).await;
    }
    let tree = pools::tree(&pool, &Default::default()).await.unwrap();
    let biggest = tree.pools.iter().max_by_key(|p| p.user_count).unwrap();
    println!(
        "deployment: {} enabled users; largest pool {} with {}",
        tree.total_users, biggest.pool.fqdn, biggest.user_count
    );

    let base = UserQuery::default();
    let pool_node = NodeId::Pool(biggest.pool.id);
    let cases: Vec<(&str, NodeId, UserQuery)> = vec![
        ("forest, by name, page 1", NodeId::Forest, base.clone()),
        ("forest, by name, page 200", NodeId::Forest, UserQuery { page: 200, ..base.clone() }),
        (
            "forest, by SIP URI desc",
            NodeId::Forest,
            UserQuery { sort: SortKey::SipUri, dir: SortDir::Desc, ..base.clone() },
        ),
        ("largest pool, by name", pool_node, base.clone()),
        ("largest pool, by SIP URI", pool_node, UserQuery { sort: SortKey::SipUri, ..base.clone() }),
        ("largest pool, by status", pool_node, UserQuery { sort: SortKey::Status, ..base.clone() }),
        (
            "enterprise pools, by pool",
            NodeId::Category(PoolCategory::EnterprisePools),
            UserQuery { sort: SortKey::Pool, ..base.clone() },
        ),
        ("unassigned, by name", NodeId::Unassigned, base.clone()),
        (
            "forest, quick filter 'miller'",
            NodeId::Forest,
            UserQuery { filter: "miller".into(), ..base.clone() },
        ),
        (
            "largest pool, quick filter 'miller'",
            pool_node,
            UserQuery { filter: "miller".into(), ..base.clone() },
        ),
        ("largest pool, quick filter 'zzz'", pool_node, UserQuery { filter: "zzz".into(), ..base.clone() }),
    ];
    println!(
        "\n{:<38} {:>10} {:>10} {:>10}   ({RUNS} runs, 50 rows a page)",
        "list one page", "p50", "p95", "max"
    );
    let mut plans = Vec::new();
    for (name, node, query) in cases {
        users::list(&pool, &Default::default(), node, &query).await.unwrap(); // warm the page cache
        let mut times = vec![Duration::ZERO; RUNS];
        for t in times.iter_mut() {
            let start = Instant::now();
            let page = users::list(&pool, &Default::default(), node, &query).await.unwrap();
            *t = start.elapsed();
            std::hint::black_box(page);
        }
        times.sort();
        let p50 = percentile(&times, 0.5);
        println!(
            "{name:<38} {:>8.2}ms {:>8.2}ms {:>8.2}ms",
            p50.as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3
        );
        report::at_most(&format!("list: {name} (p50)"), p50, Duration::from_millis(20));
        plans.push((name, users::explain_list(&pool, node, &query).await.unwrap()));
    }
    let start = Instant::now();
    pools::tree(&pool, &Default::default()).await.unwrap();
    let elapsed = start.elapsed();
    println!("{:<38} {:>8.2}ms", "pool tree with counts", elapsed.as_secs_f64() * 1e3);
    report::at_most("list: the pool tree with every count", elapsed, Duration::from_millis(20));
    report::plans(&plans);
}

//! Benchmark: listing one page of users from a large deployment, server side (service call,
//! SQL and mapping), for the tree nodes and sort orders an operator uses.
//!
//!   cargo bench --features ssr --bench list_users             (100,000 directory users)
//!   UC_ADMIN_BENCH_USERS=20000 cargo bench --features ssr --bench list_users
//!
//! The deployment is generated once into target/bench/ and reused by later runs.

use std::time::{Duration, Instant};
use uc_admin::domain::node::NodeId;
use uc_admin::domain::paging::{SortDir, SortKey, UserQuery};
use uc_admin::domain::pool::PoolCategory;
use uc_admin::server::{directory::users, storage::db, storage::seed, topology::pools};

const RUNS: usize = 30;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let size: u32 =
        std::env::var("UC_ADMIN_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    std::fs::create_dir_all("target/bench").unwrap();
    let url = format!("sqlite://target/bench/deployment-{size}.db");
    let pool = db::connect(&url).await.expect("database");
    let started = Instant::now();
    if let Some(report) = seed::ensure_demo(&pool, size).await.expect("seed") {
        println!(
            "generated {} directory users, {} enabled, {} contacts in {:.1} s",
            report.directory_users,
            report.enabled_users,
            report.contacts,
            started.elapsed().as_secs_f64()
        );
    }
    let tree = pools::tree(&pool).await.unwrap();
    let biggest = tree.pools.iter().max_by_key(|p| p.user_count).unwrap();
    println!(
        "deployment: {} enabled users; largest pool {} with {}",
        tree.total_users, biggest.pool.fqdn, biggest.user_count
    );

    let base = UserQuery::default();
    let cases: Vec<(&str, NodeId, UserQuery)> = vec![
        ("forest, by name, page 1", NodeId::Forest, base.clone()),
        ("forest, by name, page 200", NodeId::Forest, UserQuery { page: 200, ..base.clone() }),
        (
            "forest, by SIP URI desc",
            NodeId::Forest,
            UserQuery { sort: SortKey::SipUri, dir: SortDir::Desc, ..base.clone() },
        ),
        ("largest pool, by name", NodeId::Pool(biggest.pool.id), base.clone()),
        (
            "largest pool, by SIP URI",
            NodeId::Pool(biggest.pool.id),
            UserQuery { sort: SortKey::SipUri, ..base.clone() },
        ),
        (
            "largest pool, by status",
            NodeId::Pool(biggest.pool.id),
            UserQuery { sort: SortKey::Status, ..base.clone() },
        ),
        (
            "enterprise pools, by pool",
            NodeId::Category(PoolCategory::EnterprisePools),
            UserQuery { sort: SortKey::Pool, ..base.clone() },
        ),
        ("unassigned, by name", NodeId::Unassigned, base.clone()),
        (
            "forest, quick filter 'müller'",
            NodeId::Forest,
            UserQuery { filter: "müller".into(), ..base.clone() },
        ),
    ];
    println!(
        "\n{:<34} {:>10} {:>10} {:>10}   ({RUNS} runs, 50 rows a page)",
        "list one page", "p50", "p95", "max"
    );
    for (name, node, query) in cases {
        users::list(&pool, node, &query).await.unwrap(); // warm the page cache
        let mut times = vec![Duration::ZERO; RUNS];
        for t in times.iter_mut() {
            let start = Instant::now();
            let page = users::list(&pool, node, &query).await.unwrap();
            *t = start.elapsed();
            std::hint::black_box(page);
        }
        times.sort();
        println!(
            "{name:<34} {:>8.2}ms {:>8.2}ms {:>8.2}ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3
        );
    }
    let start = Instant::now();
    pools::tree(&pool).await.unwrap();
    println!("{:<34} {:>8.2}ms", "pool tree with counts", start.elapsed().as_secs_f64() * 1e3);
}

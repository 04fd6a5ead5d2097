//! Benchmark: finding users by SIP URI in a 1,000,000-user deployment, server side (pattern
//! parsing, SQL and mapping of one page of results with its total), p50 and p95.
//!
//!   cargo bench --features ssr --bench search_users
//!   UC_ADMIN_BENCH_USERS=200000 cargo bench --features ssr --bench search_users
//!
//! The deployment (directory and enabled users, no per-user server data: a search does not
//! read it) is generated once into target/bench/ and reused by later runs.
//!
//! On PostgreSQL (trigram indexes instead of FTS5), on a server the bench starts as the tests
//! do, with a deployment generated for the run:
//!
//!   UC_ADMIN_BENCH_ENGINE=postgres cargo bench --features ssr --bench search_users

#[allow(dead_code)]
#[path = "../src/server/test_postgres.rs"]
mod test_postgres;

#[path = "common/million.rs"]
mod million;
#[path = "common/report.rs"]
mod report;

use million::fill;
use std::time::{Duration, Instant};
use uc_admin::domain::paging::{SortKey, UserQuery};
use uc_admin::domain::search::UserSearch;
use uc_admin::server::{directory::search, storage::db};

const RUNS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let size: u32 =
        std::env::var("UC_ADMIN_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    std::fs::create_dir_all("target/bench").unwrap();
    let url = match std::env::var("UC_ADMIN_BENCH_ENGINE").as_deref() {
        Ok("postgres") => test_postgres::fresh_database().await,
        _ => format!("sqlite://target/bench/search-{size}.db"),
    };
    let pool = db::connect(&url).await.expect("database");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&pool).await.unwrap();
    if users == 0 {
        fill(&pool, size).await;
    }
    println!("deployment: {} enabled users on {:?}", users.max(i64::from(size)), db::engine(&pool));

    let by_uri = UserQuery { sort: SortKey::SipUri, ..UserQuery::default() };
    // The browse lists' default order: by display name.
    let by_name = UserQuery::default();
    let cases: [(&str, &str, &UserQuery); 10] = [
        ("prefix 'jo*'", "sip=jo*", &by_uri),
        ("prefix 'james.smith1*'", "sip=james.smith1*", &by_uri),
        ("prefix 'hannah.*' + federation", "sip=hannah.*&federation=yes", &by_uri),
        ("infix '*abc*' (no match)", "sip=*abc*", &by_uri),
        ("infix '*ert*'", "sip=*ert*", &by_uri),
        ("infix '*smith12*'", "sip=*smith12*", &by_uri),
        ("infix '*ert*' + department", "sip=*ert*&department=Sales", &by_uri),
        ("department only, by SIP URI", "department=Sales", &by_uri),
        ("prefix 'jo*', by name", "sip=jo*", &by_name),
        ("infix '*ert*', by name", "sip=*ert*", &by_name),
    ];
    println!(
        "\n{:<38} {:>9} {:>9} {:>9} {:>9}   ({RUNS} runs, page 1 of 50 rows + total)",
        "search", "results", "p50", "p95", "max"
    );
    let mut plans = Vec::new();
    for (name, qs, query) in cases {
        let s = UserSearch::from_query_string(qs).unwrap();
        let first = search::find(&pool, &Default::default(), &s, query).await.unwrap(); // warms the page cache
        let mut times = vec![Duration::ZERO; RUNS];
        for t in times.iter_mut() {
            let start = Instant::now();
            // Parsing is part of what the server does for every request.
            let s = UserSearch::from_query_string(qs).unwrap();
            let page = search::find(&pool, &Default::default(), &s, query).await.unwrap();
            *t = start.elapsed();
            std::hint::black_box(page);
        }
        times.sort();
        let p50 = percentile(&times, 0.5);
        println!(
            "{name:<38} {:>9} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            if first.more { format!(">{}", first.page.total) } else { first.page.total.to_string() },
            p50.as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3
        );
        report::at_most(&format!("search: {name} (p50)"), p50, Duration::from_millis(20));
        plans.push((name, search::explain(&pool, &s, query).await.unwrap()));
    }
    report::plans(&plans);
}

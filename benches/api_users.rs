//! Benchmark: `GET /api/v1/users`, a page of 100 over a 1,000,000-user deployment, through the
//! real router served over TCP on loopback — bearer token checked, throttle, keyset page, JSON —
//! by 16 keep-alive connections, everything (server and clients) on a 2-thread runtime: the
//! requests per second the portal answers on 2 cores, with p50 and p99.
//!
//!   cargo bench --features ssr --bench api_users
//!   UC_ADMIN_BENCH_USERS=200000 UC_ADMIN_BENCH_SECONDS=5 cargo bench --features ssr --bench api_users
//!
//! The deployment is the search benchmark's (target/bench/search-N.db, generated once).
//! Two workloads: the first page again and again (`?limit=100`), and every client walking the
//! whole list with its cursor (`&cursor=…`), page after page.

#[path = "common/http.rs"]
mod http;
#[path = "common/million.rs"]
mod million;

use http::{Request, percentile};
use std::sync::Arc;
use std::time::Duration;
use uc_admin::domain::api_token::NewApiToken;
use uc_admin::domain::operator::{Permission, Role};
use uc_admin::server::security::{api_tokens, audit, operators};
use uc_admin::server::{AppState, Config, storage::db};

const CLIENTS: usize = 16;

/// Runs `CLIENTS` connections for `seconds`; `walk` follows each page's cursor to the end of
/// the list (and starts again), otherwise asks for the first page every time.
async fn load(
    address: std::net::SocketAddr,
    token: Arc<String>,
    seconds: u64,
    walk: bool,
) -> (Vec<Duration>, f64) {
    http::load(address, CLIENTS, seconds, || {
        let authorization = vec![format!("Authorization: Bearer {token}")];
        move |previous: Option<&[u8]>| {
            let cursor = previous.filter(|_| walk).and_then(|body| {
                let page: serde_json::Value = serde_json::from_slice(body).unwrap();
                page["next_cursor"].as_str().map(str::to_string)
            });
            let path = match cursor {
                Some(c) => format!("/api/v1/users?limit=100&cursor={c}"),
                None => "/api/v1/users?limit=100".to_string(),
            };
            Request { method: "GET", path, headers: authorization.clone(), body: String::new() }
        }
    })
    .await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let size: u32 =
        std::env::var("UC_ADMIN_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let seconds: u64 =
        std::env::var("UC_ADMIN_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    std::fs::create_dir_all("target/bench").unwrap();
    let pool = db::connect(&format!("sqlite://target/bench/search-{size}.db")).await.expect("database");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&pool).await.unwrap();
    if users == 0 {
        million::fill(&pool, size).await;
    }
    // A script's operator and read-only token (made again for every run).
    let by = audit::Actor { id: None, name: "bench" };
    let name = format!("bench{}", std::process::id());
    let (id, _) = operators::add_operator(&pool, by, &name, "Bench", &[Role::HelpDesk]).await.unwrap();
    let operator = operators::load_operator(&pool, id.0).await.unwrap();
    let request =
        NewApiToken { name: "bench".into(), days: 1, permissions: vec![Permission::ViewDeployment] };
    let token = Arc::new(api_tokens::create(&pool, &operator, &request).await.unwrap().secret);

    let config = Config { api_requests_per_second: 1_000_000, ..Config::for_tests() };
    let leptos_options = leptos::config::LeptosOptions::builder().output_name("uc-admin").build();
    let state = AppState { db: pool.clone(), config: Arc::new(config), leptos_options };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, uc_admin::http::router(state)).await.unwrap() });

    println!(
        "deployment: {} enabled users; {CLIENTS} keep-alive connections for {seconds} s each, server and clients on 2 threads",
        users.max(i64::from(size))
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "GET /api/v1/users (100 a page)", "requests", "req/s", "p50", "p99"
    );
    for (label, walk) in [("first page, again and again", false), ("walking the list by cursor", true)] {
        let (times, rate) = load(address, token.clone(), seconds, walk).await;
        println!(
            "{label:<34} {:>10} {:>10.0} {:>8.2}ms {:>8.2}ms",
            times.len(),
            rate,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
}

//! Benchmark: how page loads fare while a burst of 200 sign-ins runs. Argon2 verification
//! runs on the blocking pool behind a semaphore (one core stays free), so the async workers
//! that render pages are not starved. Prints the page load latency alone and during the burst.
//!
//!   cargo bench --features ssr --bench sign_in_burst
//!   UC_ADMIN_HASHING_SLOTS=200 cargo bench --features ssr --bench sign_in_burst   (no bound)
//!
//! Everything runs in-process through the portal's real router, on a temporary SQLite file.
//! The 200 sign-ins use 200 names and 200 client addresses, so that the throttle lets every
//! one of them reach the password check (the worst case for CPU).

use axum::body::Body;
use axum::http::{Method, Request, header};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use uc_admin::server::{AppState, Config, security::operators, storage::db, storage::seed};

const SIGN_INS: usize = 200;
const PAGE: &str = "/browse/forest";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn sign_in_request(i: usize) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/sign_in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("username=burst{i}&password=wrong-{i}")))
        .unwrap();
    let peer: std::net::SocketAddr =
        format!("10.{}.{}.{}:50000", i / 65536, (i / 256) % 256, i % 256 + 1).parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    request
}

async fn load_page(app: &axum::Router, cookie: &str) -> Duration {
    let started = Instant::now();
    let request = Request::builder().uri(PAGE).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
    started.elapsed()
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label:<34} {:>5} loads   p50 {:>8.2} ms   p95 {:>8.2} ms   max {:>8.2} ms",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.95).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("uc-admin-bench-sign-in-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/bench.db", dir.display());
    let pool = db::connect(&url).await.expect("database");
    let mut config = Config::for_tests();
    config.database_url = url;
    seed::ensure_demo(&pool, 2_000).await.unwrap();
    operators::ensure_demo_operators(&pool, &config).await.unwrap();
    let leptos_options = leptos::config::LeptosOptions::builder().output_name("uc-admin").build();
    let app = uc_admin::http::router(AppState { db: pool, config: Arc::new(config), leptos_options });
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::POST)
                .uri("/api/sign_in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("username=admin&password=test-password"))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie =
        response.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();

    for _ in 0..20 {
        load_page(&app, &cookie).await;
    }
    let mut alone = Vec::new();
    for _ in 0..100 {
        alone.push(load_page(&app, &cookie).await);
    }

    let burst_started = Instant::now();
    let burst: Vec<_> = (0..SIGN_INS)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let response = app.oneshot(sign_in_request(i)).await.unwrap();
                response.status().as_u16()
            })
        })
        .collect();
    let mut during = Vec::new();
    while !burst.iter().all(|t| t.is_finished()) {
        during.push(load_page(&app, &cookie).await);
    }
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for task in burst {
        *statuses.entry(task.await.unwrap()).or_default() += 1;
    }
    let burst_time = burst_started.elapsed();

    println!(
        "page {PAGE}, 2,000-user demo deployment, 2 async workers, {} cores, password checks at once: {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        std::env::var("UC_ADMIN_HASHING_SLOTS").unwrap_or_else(|_| "default (cores - 1)".into())
    );
    summary("page load alone", alone);
    summary("page load during 200 sign-ins", during);
    println!(
        "{SIGN_INS} sign-ins (each a password check) took {:.2} s: {:.0} checks/s; answers {statuses:?}",
        burst_time.as_secs_f64(),
        SIGN_INS as f64 / burst_time.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

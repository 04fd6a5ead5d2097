//! Benchmark: enabling 10,000 directory users in one operation (preview, then the run with its
//! audit records), server side. Each run starts from a fresh copy of a generated deployment.
//!
//!   cargo bench --features ssr --bench enable_users

#[path = "common/report.rs"]
mod report;

use std::time::{Duration, Instant};
use uc_admin::domain::enable::{EnableOptions, SipAddressSource};
use uc_admin::domain::jobs::Started;
use uc_admin::domain::operation::SelectionSource;
use uc_admin::domain::operator::{Operator, OperatorId, Role};
use uc_admin::domain::pool::PoolId;
use uc_admin::domain::search::UserTarget;
use uc_admin::domain::user::UserId;
use uc_admin::server::config::JobSettings;
use uc_admin::server::operations::{self, enable::Enable, selection};
use uc_admin::server::{security::operators, storage::db, storage::seed};

const BATCH: usize = 10_000;
const RUNS: usize = 5;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    std::fs::create_dir_all("target/bench").unwrap();
    let template = "target/bench/enable-template.db";
    if !std::path::Path::new(template).exists() {
        let pool = db::connect(&format!("sqlite://{template}")).await.unwrap();
        let started = Instant::now();
        // 60,000 directory users: 15,000 of them are not enabled yet.
        let report = seed::generate(&pool, 60_000).await.unwrap();
        operators::create_operator(&pool, "bench", "Bench", "bench-password", &[Role::UserAdministrator])
            .await
            .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
        pool.close().await;
        println!(
            "generated {} directory users in {:.1} s",
            report.directory_users,
            started.elapsed().as_secs_f64()
        );
    }
    let operator = Operator {
        id: OperatorId(1),
        username: "bench".into(),
        display_name: "Bench".into(),
        roles: vec![Role::UserAdministrator],
        api_token: None,
        approved_by: None,
    };
    let mut previews = Vec::new();
    let mut runs = Vec::new();
    for i in 0..RUNS {
        let path = format!("target/bench/enable-run-{i}.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        std::fs::copy(template, &path).unwrap();
        let pool = db::connect(&format!("sqlite://{path}")).await.unwrap();
        let users: Vec<UserId> = sqlx::query_scalar(
            "SELECT d.id FROM directory_users d WHERE d.email IS NOT NULL AND d.account_enabled = 1
             AND NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) ORDER BY d.id LIMIT $1",
        )
        .bind(BATCH as i64)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(UserId)
        .collect();
        assert_eq!(users.len(), BATCH);
        let target: i64 = sqlx::query_scalar("SELECT id FROM pools WHERE fqdn = 'pool01.contoso.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
        let options = EnableOptions {
            pool: PoolId(target),
            source: SipAddressSource::Email,
            sip_domain: None,
            enhanced_presence: true,
        };
        // As the wizard does it: the users into a selection, the preview, the run of its token.
        let source = SelectionSource::Users(UserTarget::Users(users.clone()));
        let start = Instant::now();
        let chosen = selection::create(&pool, &operator, &source).await.unwrap();
        let previewed = operations::preview::<Enable>(&pool, &operator, chosen.id, &options).await.unwrap();
        previews.push(start.elapsed());
        let preview = previewed.preview;
        let start = Instant::now();
        let settings = JobSettings { threshold: usize::MAX, chunk: 500, pause: Duration::ZERO };
        let Started::Done(run) =
            operations::run::<Enable>(&pool, settings, &operator, &previewed.token).await.unwrap()
        else {
            panic!("enabling is one transaction")
        };
        runs.push(start.elapsed());
        assert_eq!(run.users.len(), BATCH);
        println!(
            "run {}: preview {:>7.1} ms, enable {:>7.1} ms ({} enabled, {} left out)",
            i + 1,
            previews[i].as_secs_f64() * 1e3,
            runs[i].as_secs_f64() * 1e3,
            run.enabled(),
            preview.users.len() as u64 - preview.enableable()
        );
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let (run, preview) = (median(&mut runs), median(&mut previews));
    println!("\nenable {BATCH} users in one operation: median {run:.1} ms (preview {preview:.1} ms)");
    report::at_most(
        &format!("enable {BATCH} users in one operation (the run of a preview)"),
        Duration::from_secs_f64(run / 1e3),
        Duration::from_millis(200),
    );
    report::line(
        &format!("enable {BATCH} users: the preview before it"),
        &format!("{preview:.0} ms"),
        "—",
        None,
    );
}

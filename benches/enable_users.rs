//! Benchmark: enabling 10,000 directory users in one operation (preview, then the run with its
//! audit records), server side. Each run starts from a fresh copy of a generated deployment.
//! Side by side: the floor — the same rows written by plain SQL in the sqlite3 command-line
//! tool (the enabled users with their URIs, the audit event and its 10,000 lines, one
//! transaction) on an identical copy.
//!
//!   cargo bench --features ssr --bench enable_users        (needs `sqlite3` on PATH)

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
        scoped_roles: Vec::new(),
        scope: Default::default(),
    };
    let mut previews = Vec::new();
    let mut runs = Vec::new();
    let mut floors = Vec::new();
    for i in 0..RUNS {
        floors.push(plain_sql(template, &format!("target/bench/enable-floor-{i}.db")));
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
    let (run, preview, floor) = (median(&mut runs), median(&mut previews), median(&mut floors));
    println!(
        "\nenable {BATCH} users in one operation: median {run:.1} ms (preview {preview:.1} ms); \
         plain SQL in sqlite3 {floor:.1} ms"
    );
    report::at_most(
        &format!("enable {BATCH} users in one operation (the run of a preview)"),
        Duration::from_secs_f64(run / 1e3),
        Duration::from_millis(200),
    );
    report::line(
        &format!("enable {BATCH} users: the same rows by plain SQL in sqlite3 (the floor)"),
        &format!("{floor:.0} ms ({:.2}× of it)", run / floor),
        "—",
        None,
    );
    report::line(
        &format!("enable {BATCH} users: the preview before it"),
        &format!("{preview:.0} ms"),
        "—",
        None,
    );
}

/// The enable's row changes as plain SQL in the sqlite3 command-line tool, on a fresh copy of
/// `template` at `path`: the wall time of the process (its start is a few milliseconds).
fn plain_sql(template: &str, path: &str) -> Duration {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    std::fs::copy(template, path).unwrap();
    let script = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         CREATE TEMP TABLE chosen AS SELECT d.id, lower(d.email) AS sip FROM directory_users d
           WHERE d.email IS NOT NULL AND d.account_enabled = 1
             AND NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id)
           ORDER BY d.id LIMIT {BATCH};
         BEGIN IMMEDIATE;
         INSERT INTO enabled_users (user_id, sip_uri, pool_id, enhanced_presence)
           SELECT id, sip, (SELECT id FROM pools WHERE fqdn = 'pool01.contoso.com'), 1 FROM chosen;
         INSERT INTO audit_events (at, operator_id, operator_name, operation, parameters, target_count)
           VALUES (unixepoch(), 1, 'bench', 'enable', '{{}}', {BATCH});
         INSERT INTO audit_event_users (event_id, user_id, object_guid, display_name, sip_uri, outcome)
           SELECT (SELECT MAX(id) FROM audit_events), d.id, d.object_guid, d.display_name, 'sip:' || c.sip, 'enabled'
           FROM chosen c JOIN directory_users d ON d.id = c.id;
         COMMIT;"
    );
    let start = Instant::now();
    // Its output (the journal mode it set) is read, not shown.
    let run = std::process::Command::new("sqlite3").arg(path).arg(script).output().unwrap();
    let took = start.elapsed();
    assert!(run.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&run.stderr));
    let enabled: String = String::from_utf8(
        std::process::Command::new("sqlite3")
            .arg(path)
            .arg("SELECT COUNT(*) FROM audit_event_users")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(enabled.trim(), BATCH.to_string(), "the plain SQL wrote every line");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    took
}

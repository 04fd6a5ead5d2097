//! Benchmark: moving 100,000 users, each with at least 20 contacts and some Allow/Block entries
//! and meetings, from one pool to another in one operation (preview from the same snapshot,
//! set-based changes, audit record), against the same row changes done as plain SQL by the
//! sqlite3 command-line tool on an identical copy of the database.
//!
//! The same move as a background job (chunked) is timed too, and then a force move of the
//! same users followed by its undo (every user back on pool01 with all their data, as a job):
//! times and the size of what the force move kept for the undo.
//!
//!   cargo bench --features ssr --bench move_users        (needs `sqlite3` on PATH)
//!
//! On PostgreSQL (a server the bench starts, as the tests do), against the same rows changed
//! by plain SQL in `psql`; each run works on a copy of a template database:
//!
//!   UC_ADMIN_BENCH_ENGINE=postgres cargo bench --features ssr --bench move_users

#[path = "common/report.rs"]
mod report;
#[allow(dead_code)]
#[path = "../src/server/test_postgres.rs"]
mod test_postgres;

use std::process::Command;
use std::time::Instant;
use uc_admin::domain::jobs::Started;
use uc_admin::domain::operation::{MoveOptions, SelectionSource};
use uc_admin::domain::operator::{Operator, OperatorId, Role};
use uc_admin::domain::pool::PoolId;
use uc_admin::domain::search::UserTarget;
use uc_admin::domain::user::UserId;
use uc_admin::server::operations::{self, moves::Move, selection};
use uc_admin::server::{jobs, security::operators, storage::db, storage::seed};

const USERS: i64 = 100_000;
const RUNS: usize = 3;

/// The engine the bench runs on, where its databases are, and its plain-SQL peer.
enum Engine {
    Sqlite,
    /// The URL of the template database on the bench's PostgreSQL server.
    Postgres(String),
}

impl Engine {
    async fn from_env() -> Engine {
        match std::env::var("UC_ADMIN_BENCH_ENGINE").as_deref() {
            Ok("postgres") => Engine::Postgres(test_postgres::fresh_database().await),
            _ => Engine::Sqlite,
        }
    }

    fn template(&self) -> String {
        match self {
            Engine::Sqlite => "sqlite://target/bench/move-template.db".into(),
            Engine::Postgres(url) => url.clone(),
        }
    }

    fn peer(&self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite3",
            Engine::Postgres(_) => "psql",
        }
    }

    /// A fresh copy of the template, named `name`; returns its URL.
    async fn fresh_copy(&self, name: &str) -> String {
        match self {
            Engine::Sqlite => {
                let path = format!("target/bench/{name}.db");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
                std::fs::copy("target/bench/move-template.db", &path).unwrap();
                format!("sqlite://{path}")
            }
            Engine::Postgres(template) => {
                use sqlx::{Connection, Executor};
                let (server, template_name) = template.rsplit_once('/').unwrap();
                let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await.unwrap();
                admin.execute(format!("DROP DATABASE IF EXISTS {name}").as_str()).await.unwrap();
                admin
                    .execute(format!("CREATE DATABASE {name} TEMPLATE {template_name}").as_str())
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                format!("{server}/{name}")
            }
        }
    }

    /// The SQL that shapes the generated deployment: every user homed on pool01 with all its
    /// data, at least 20 contacts each, and both pools large enough.
    fn shaping(&self) -> [&'static str; 4] {
        let extra = match self {
            Engine::Sqlite => {
                "INSERT OR IGNORE INTO contacts (user_id, contact_uri, display_name)
                 SELECT e.user_id, 'extra' || n.value || '.' || e.user_id || '@fabrikam.com', 'Partner ' || n.value
                 FROM enabled_users e JOIN json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]') n
                 WHERE (SELECT COUNT(*) FROM contacts c WHERE c.user_id = e.user_id) < 20"
            }
            Engine::Postgres(_) => {
                "INSERT INTO contacts (user_id, contact_uri, display_name)
                 SELECT e.user_id, 'extra' || n || '.' || e.user_id || '@fabrikam.com', 'Partner ' || n
                 FROM enabled_users e CROSS JOIN generate_series(1, 20) n
                 WHERE (SELECT COUNT(*) FROM contacts c WHERE c.user_id = e.user_id) < 20
                 ON CONFLICT DO NOTHING"
            }
        };
        ["UPDATE pools SET capacity = 1000000", "UPDATE enabled_users SET pool_id = 1", extra, "ANALYZE"]
    }

    /// The move's row changes as plain SQL, run by the engine's own command-line tool on the
    /// database at `url`.
    fn plain_sql(&self, url: &str) -> Command {
        match self {
            Engine::Sqlite => {
                let script = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                     PRAGMA cache_size = -65536;
                     CREATE TEMP TABLE ids AS SELECT user_id FROM enabled_users ORDER BY user_id LIMIT {USERS};
                     BEGIN IMMEDIATE;
                     UPDATE enabled_users SET pool_id = 2, enhanced_presence = enhanced_presence AND 1
                       WHERE user_id IN (SELECT user_id FROM ids);
                     INSERT INTO audit_events (at, operator_id, operator_name, operation, parameters, target_count)
                       VALUES (unixepoch(), 1, 'bench', 'move', '{{}}', {USERS});
                     INSERT INTO audit_event_users (event_id, user_id, object_guid, display_name, sip_uri, outcome)
                       SELECT (SELECT MAX(id) FROM audit_events), d.id, d.object_guid, d.display_name, 'sip:' || e.sip_uri, 'moved'
                       FROM ids JOIN directory_users d ON d.id = ids.user_id JOIN enabled_users e ON e.user_id = d.id;
                     COMMIT;"
                );
                let mut command = Command::new("sqlite3");
                command.arg(url.trim_start_matches("sqlite://")).arg(script);
                command
            }
            Engine::Postgres(_) => {
                let script = format!(
                    "BEGIN;
                     CREATE TEMP TABLE ids AS SELECT user_id FROM enabled_users ORDER BY user_id LIMIT {USERS};
                     UPDATE enabled_users SET pool_id = 2, enhanced_presence = enhanced_presence
                       WHERE user_id IN (SELECT user_id FROM ids);
                     INSERT INTO audit_events (at, operator_id, operator_name, operation, parameters, target_count)
                       VALUES (CAST(extract(epoch FROM now()) AS BIGINT), 1, 'bench', 'move', '{{}}', {USERS});
                     INSERT INTO audit_event_users (event_id, user_id, object_guid, display_name, sip_uri, outcome)
                       SELECT (SELECT MAX(id) FROM audit_events), d.id, d.object_guid, d.display_name, 'sip:' || e.sip_uri, 'moved'
                       FROM ids JOIN directory_users d ON d.id = ids.user_id JOIN enabled_users e ON e.user_id = d.id;
                     COMMIT;"
                );
                let mut command = Command::new("psql");
                command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", &script]);
                command
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    std::fs::create_dir_all("target/bench").unwrap();
    let engine = Engine::from_env().await;
    let template = engine.template();
    let fresh = match &engine {
        Engine::Sqlite => !std::path::Path::new("target/bench/move-template.db").exists(),
        Engine::Postgres(_) => true,
    };
    if fresh {
        let started = Instant::now();
        let pool = db::connect(&template).await.unwrap();
        seed::generate(&pool, 136_000).await.unwrap();
        operators::create_operator(&pool, "bench", "Bench", "bench-password", &[Role::UserAdministrator])
            .await
            .unwrap();
        for sql in engine.shaping() {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        if let Engine::Sqlite = engine {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
        }
        pool.close().await;
        println!("prepared the deployment in {:.1} s", started.elapsed().as_secs_f64());
    }
    {
        let pool = db::connect(&template).await.unwrap();
        let (users, contacts, min_contacts, access, meetings): (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM enabled_users), (SELECT COUNT(*) FROM contacts),
                    (SELECT MIN(n) FROM (SELECT COUNT(*) AS n FROM contacts GROUP BY user_id) AS per_user),
                    (SELECT COUNT(*) FROM access_entries), (SELECT COUNT(*) FROM meetings)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        println!(
            "deployment: {users} enabled users on pool01; {contacts} contacts (at least {min_contacts} each), \
             {access} Allow/Block entries, {meetings} meetings"
        );
        pool.close().await;
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

    let mut ours = Vec::new();
    let mut plain = Vec::new();
    let mut as_job = Vec::new();
    let mut selections = Vec::new();
    let mut previews = Vec::new();
    for i in 0..RUNS {
        // The portal's move.
        let pool = db::connect(&engine.fresh_copy("move_run").await).await.unwrap();
        let users: Vec<UserId> =
            sqlx::query_scalar("SELECT user_id FROM enabled_users ORDER BY user_id LIMIT $1")
                .bind(USERS)
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .map(UserId)
                .collect();
        // As the wizard does it: the users into a selection, the preview, the run of its token.
        let options = MoveOptions { destination: PoolId(2), force: false };
        let source = SelectionSource::Users(UserTarget::Users(users.clone()));
        let start = Instant::now();
        let chosen = selection::create(&pool, &operator, &source).await.unwrap();
        let selected_at = start.elapsed().as_secs_f64();
        let previewed = operations::preview::<Move>(&pool, &operator, chosen.id, &options).await.unwrap();
        let previewed_at = start.elapsed().as_secs_f64();
        let inline =
            jobs::JobSettings { threshold: usize::MAX, chunk: 500, pause: std::time::Duration::ZERO };
        // The run alone is the move: it plans again (to refuse a changed plan) and applies it.
        let start = Instant::now();
        let Started::Done(run) =
            operations::run::<Move>(&pool, inline, &operator, &previewed.token).await.unwrap()
        else {
            panic!("an inline run")
        };
        let elapsed = start.elapsed().as_secs_f64();
        selections.push(selected_at);
        previews.push(previewed_at - selected_at);
        assert_eq!(run.preview.totals.moving, USERS as u64);
        ours.push(elapsed);
        pool.close().await;

        // The same move as a background job, in chunks of 500 users (one transaction each).
        let pool = db::connect(&engine.fresh_copy("move_job").await).await.unwrap();
        let start = Instant::now();
        let chosen = selection::create(&pool, &operator, &source).await.unwrap();
        let previewed = operations::preview::<Move>(&pool, &operator, chosen.id, &options).await.unwrap();
        let settings = jobs::JobSettings { threshold: 0, chunk: 500, pause: std::time::Duration::ZERO };
        let Started::Job(job) =
            operations::run::<Move>(&pool, settings, &operator, &previewed.token).await.unwrap()
        else {
            panic!("a job")
        };
        let state = loop {
            let state = jobs::load(&pool, job).await.unwrap().state;
            if state.finished() {
                break state;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let elapsed_job = start.elapsed().as_secs_f64();
        assert_eq!(state, uc_admin::domain::jobs::JobState::Completed);
        as_job.push(elapsed_job);
        pool.close().await;

        // The same row changes as plain SQL, by the engine's own tool, on an identical copy.
        let url = engine.fresh_copy("move_plain").await;
        let start = Instant::now();
        let status = engine.plain_sql(&url).status().expect("the command-line tool on PATH");
        let elapsed_plain = start.elapsed().as_secs_f64();
        assert!(status.success());
        plain.push(elapsed_plain);
        println!(
            "run {}: selection {:>5.0} ms, preview {:>5.0} ms, run (the move) {:>6.0} ms, {} {:>6.0} ms, \
             as a job in chunks of 500 {:>6.0} ms",
            i + 1,
            selections[i] * 1e3,
            previews[i] * 1e3,
            elapsed * 1e3,
            engine.peer(),
            elapsed_plain * 1e3,
            elapsed_job * 1e3
        );
    }
    ours.sort_by(f64::total_cmp);
    selections.sort_by(f64::total_cmp);
    previews.sort_by(f64::total_cmp);
    as_job.sort_by(f64::total_cmp);
    plain.sort_by(f64::total_cmp);
    let (o, p) = (ours[RUNS / 2], plain[RUNS / 2]);
    println!(
        "\nmove {USERS} users with their data (the run of a preview) on {}: portal median {:.0} ms, \
         plain SQL ({}) median {:.0} ms, ratio {:.2}x; target: {}",
        if let Engine::Sqlite = engine { "SQLite" } else { "PostgreSQL" },
        o * 1e3,
        engine.peer(),
        p * 1e3,
        o / p,
        if let Engine::Sqlite = engine { "at most 2000 ms and 3x" } else { "at most 2x" }
    );
    let engine_name = if let Engine::Sqlite = engine { "SQLite" } else { "PostgreSQL" };
    report::line(
        &format!(
            "move {USERS} users with data, {engine_name}: the run against plain SQL ({}) in one run",
            engine.peer()
        ),
        &format!("{:.2} s / {:.2} s = {:.2}×", o, p, o / p),
        "≤ 1.5×",
        Some(o / p <= 1.5),
    );
    report::line(
        &format!("move {USERS} users as a job (200 chunks of 500), {engine_name}"),
        &format!("{:.1} s", as_job[RUNS / 2]),
        "—",
        None,
    );
    println!(
        "before it, in the wizard: the selection median {:.0} ms, the preview median {:.0} ms",
        selections[RUNS / 2] * 1e3,
        previews[RUNS / 2] * 1e3
    );
    println!(
        "the same move as a background job (200 chunks of 500): median {:.0} ms",
        as_job[RUNS / 2] * 1e3
    );

    undo_of_a_force_move(&engine, &operator).await;
}

/// A force move of the users (their data deleted, kept for the undo), then its undo as the
/// wizard does it: preview, then the job (chunks of 500) that puts everyone back.
async fn undo_of_a_force_move(engine: &Engine, operator: &Operator) {
    use uc_admin::server::operations::undo::{self, Undo};
    let pool = db::connect(&engine.fresh_copy("undo_run").await).await.unwrap();
    let users: Vec<UserId> =
        sqlx::query_scalar("SELECT user_id FROM enabled_users ORDER BY user_id LIMIT $1")
            .bind(USERS)
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(UserId)
            .collect();
    let data = async |pool: &sqlx::AnyPool| -> i64 {
        sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM contacts) + (SELECT COUNT(*) FROM contact_groups)
                  + (SELECT COUNT(*) FROM access_entries) + (SELECT COUNT(*) FROM meetings)
                  + (SELECT COUNT(*) FROM presence_items)",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    };
    let size = async |pool: &sqlx::AnyPool| -> i64 {
        match engine {
            Engine::Sqlite => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.unwrap();
                sqlx::query_scalar(
                    "SELECT (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size())",
                )
                .fetch_one(pool)
                .await
                .unwrap()
            }
            Engine::Postgres(_) => {
                sqlx::query_scalar("SELECT CAST(pg_database_size(current_database()) AS BIGINT)")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
        }
    };
    let items_before = data(&pool).await;
    let inline = jobs::JobSettings { threshold: usize::MAX, chunk: 500, pause: std::time::Duration::ZERO };
    let source = SelectionSource::Users(UserTarget::Users(users));
    let chosen = selection::create(&pool, operator, &source).await.unwrap();
    let options = MoveOptions { destination: PoolId(2), force: true };
    let previewed = operations::preview::<Move>(&pool, operator, chosen.id, &options).await.unwrap();
    let size_before = size(&pool).await;
    let start = Instant::now();
    let Started::Done(run) =
        operations::run::<Move>(&pool, inline, operator, &previewed.token).await.unwrap()
    else {
        panic!("an inline run")
    };
    let force_ms = start.elapsed().as_secs_f64() * 1e3;
    let size_after = size(&pool).await;
    let items_lost = items_before - data(&pool).await;
    let kept = undo::undoable(&pool, run.event_id).await.unwrap().expect("undoable");

    let start = Instant::now();
    let previewed = undo::preview(&pool, operator, run.event_id).await.unwrap();
    let preview_ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(previewed.preview.restored, USERS as u64);
    let settings = jobs::JobSettings { threshold: 0, chunk: 500, pause: std::time::Duration::ZERO };
    let start = Instant::now();
    let Started::Job(job) =
        operations::run::<Undo>(&pool, settings, operator, &previewed.token).await.unwrap()
    else {
        panic!("an undo job")
    };
    let finished = loop {
        let job = jobs::load(&pool, job).await.unwrap();
        if job.state.finished() {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let undo_ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(finished.moved, USERS as u64);
    assert_eq!(data(&pool).await, items_before, "every item of data is back");
    println!(
        "\nforce move of {USERS} users ({items_lost} items of data deleted), keeping them for the undo: {force_ms:.0} ms; \
         kept: {:.1} MB of rows (database {:+.1} MB)",
        kept.bytes as f64 / 1e6,
        (size_after - size_before) as f64 / 1e6
    );
    println!(
        "its undo: preview {preview_ms:.0} ms, the job (200 chunks of 500) {undo_ms:.0} ms = {:.0} users/s; \
         every user back with all {items_before} items",
        USERS as f64 / (undo_ms / 1e3)
    );
    report::line(
        &format!("force move of {USERS} users, {items_lost} items kept for the undo"),
        &format!("{:.1} s", force_ms / 1e3),
        "—",
        None,
    );
    report::line(
        &format!("its undo: preview / the job of 200 chunks"),
        &format!(
            "{:.1} s / {:.0} s ({:.0} users/s)",
            preview_ms / 1e3,
            undo_ms / 1e3,
            USERS as f64 / (undo_ms / 1e3)
        ),
        "—",
        None,
    );
    pool.close().await;
}

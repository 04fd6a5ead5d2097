//! Several portals (replicas) on one PostgreSQL database, as real `uc-admin serve` processes.
//!
//! Failover: a large move is started on one replica, which is killed with SIGKILL in the middle
//! of it; the other replica takes the job over once the dead one's lease has expired and
//! finishes it. Afterwards every user is enabled once, on the right pool, with all of their
//! data, and the job and the audit trail say each user moved exactly once.
//! `UC_ADMIN_FAILOVER_RUNS` (default 3) sets the number of kills, `UC_ADMIN_FAILOVER_MOVERS`
//! the size of the move (default 100,000); `scripts/failover-soak.sh` runs 20.
//!
//! Concurrency: ten operators, half on each replica, move overlapping selections between pools
//! at once; no request fails with a fault, and no user ends up in two pools, over capacity or
//! without their data.
#![cfg(feature = "ssr")]

mod common;
#[allow(dead_code)]
#[path = "../src/server/test_postgres.rs"]
mod test_postgres;

use common::{Server, free_port};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::time::{Duration, Instant};

const PASSWORD: &str = "failover-test-password";
/// The movers are put on pool02 before the runs, and move to pool01.
const HOME: &str = "pool02.contoso.com";
const AWAY: &str = "pool01.contoso.com";
/// How long a replica's hold on a job lasts without renewal, in these tests.
const LEASE_SECONDS: u64 = 3;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map(|v| v.parse().expect(name)).unwrap_or(default)
}

/// Per user and kind of data: rows and the sum of their ids, so that a lost, duplicated or
/// replaced row shows.
const DATA: &str = "
    SELECT 0 AS kind, user_id, COUNT(*) AS n, SUM(id) AS s FROM contacts GROUP BY user_id
    UNION ALL SELECT 1, user_id, COUNT(*), SUM(id) FROM contact_groups GROUP BY user_id
    UNION ALL SELECT 2, user_id, COUNT(*), SUM(id) FROM access_entries GROUP BY user_id
    UNION ALL SELECT 3, user_id, COUNT(*), SUM(id) FROM meetings GROUP BY user_id
    UNION ALL SELECT 4, user_id, COUNT(*), SUM(id) FROM presence_items GROUP BY user_id
    UNION ALL SELECT 5, user_id, COUNT(group_id), COALESCE(SUM(group_id), 0) FROM contacts GROUP BY user_id";

/// A new database on the test's PostgreSQL server holding a generated deployment.
async fn generated_deployment(directory_users: u64) -> String {
    let url = test_postgres::fresh_database().await;
    let generate = std::process::Command::new(common::BINARY)
        .args(["generate", "--users", &directory_users.to_string()])
        .env("UC_ADMIN_DATABASE_URL", &url)
        .env("UC_ADMIN_DEMO_PASSWORD", PASSWORD)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(generate.status.success(), "generate: {}", String::from_utf8_lossy(&generate.stderr));
    url
}

/// A portal named `name` on the database at `url`, with a short job lease.
fn replica(name: &str, url: &str) -> Server {
    Server::start(
        free_port(),
        &[
            ("UC_ADMIN_DATABASE_URL", url.to_string()),
            ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.into()),
            ("UC_ADMIN_REPLICA_NAME", name.into()),
            ("UC_ADMIN_JOB_LEASE_SECONDS", LEASE_SECONDS.to_string()),
            ("UC_ADMIN_MOVE_JOB_THRESHOLD", "1000".into()),
            ("UC_ADMIN_MOVE_JOB_CHUNK", "1000".into()),
        ],
    )
}

async fn pool_id(conn: &mut PgConnection, fqdn: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM pools WHERE fqdn = $1").bind(fqdn).fetch_one(conn).await.unwrap()
}

/// Records every user's home and data (tables of the test's own, next to the portal's).
async fn save_snapshot(conn: &mut PgConnection) {
    for sql in [
        "CREATE TABLE test_homes AS SELECT user_id, sip_uri, pool_id FROM enabled_users",
        "ALTER TABLE test_homes ADD PRIMARY KEY (user_id)",
        &format!("CREATE TABLE test_data AS {DATA}"),
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
}

/// Every user is enabled once with the SIP URI they had, on their home pool, except the users
/// of `home`, who are on `movers_on`; see also [`check_data_and_capacity`].
async fn check_users(conn: &mut PgConnection, home: i64, movers_on: i64) -> Result<(), String> {
    let (users, before): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM enabled_users), (SELECT COUNT(*) FROM test_homes)")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    if users != before {
        return Err(format!("{users} enabled users instead of {before}"));
    }
    let misplaced: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT h.user_id, h.pool_id, e.pool_id FROM test_homes h LEFT JOIN enabled_users e USING (user_id)
         WHERE e.user_id IS NULL OR e.sip_uri <> h.sip_uri
            OR e.pool_id <> CASE WHEN h.pool_id = $1 THEN $2 ELSE h.pool_id END
         LIMIT 5",
    )
    .bind(home)
    .bind(movers_on)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !misplaced.is_empty() {
        return Err(format!("users misplaced (user, home, pool now): {misplaced:?}"));
    }
    check_data_and_capacity(conn).await
}

/// Starts a move of every user of the pool `from` to `to` on the replica at `port`; returns
/// the job and how many users it moves.
fn start_pool_move(port: u16, cookie: &str, from: i64, to: i64) -> (i64, u64) {
    let target = json!({"node": {"node": format!("pool-{from}"), "filter": ""}});
    let selection = common::post_json(port, cookie, "select_users", &json!({"source": {"users": target}}));
    let count = selection["count"].as_u64().unwrap_or_else(|| panic!("selection: {selection}"));
    let preview = common::post_json(
        port,
        cookie,
        "preview_move",
        &json!({"selection": selection["id"], "options": {"destination": to, "force": false}}),
    );
    let totals = &preview["preview"]["totals"];
    assert_eq!((totals["moving"].as_u64(), totals["refused"].as_u64()), (Some(count), Some(0)), "{totals}");
    let run = common::post_json(port, cookie, "move_users", &json!({"token": preview["token"]}));
    (run["job"].as_i64().unwrap_or_else(|| panic!("a move job: {run}")), count)
}

#[derive(Debug, sqlx::FromRow)]
struct JobRow {
    state: String,
    total: i64,
    done: i64,
    moved: i64,
    runner: Option<String>,
    event_id: i64,
}

async fn job_row(conn: &mut PgConnection, job: i64) -> JobRow {
    sqlx::query_as("SELECT state, total, done, moved, runner, event_id FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(conn)
        .await
        .unwrap()
}

#[test]
fn a_replica_finishes_the_move_of_a_replica_killed_in_the_middle_of_it() {
    let runs = env_number("UC_ADMIN_FAILOVER_RUNS", 3);
    let movers = env_number("UC_ADMIN_FAILOVER_MOVERS", 100_000);
    // Three directory users in four are enabled.
    let directory_users = movers * 4 / 3 + 2_000;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let started = Instant::now();
    let url = rt.block_on(generated_deployment(directory_users));
    let generated = started.elapsed();
    let mut conn = rt.block_on(async { PgConnection::connect(&url).await.unwrap() });
    let (home, away) = rt.block_on(async {
        let (home, away) = (pool_id(&mut conn, HOME).await, pool_id(&mut conn, AWAY).await);
        // The movers: the first enabled users, wherever the generator put them, on pool02.
        // pool02's own users go to se01 first; pools with room for everyone.
        let spare = pool_id(&mut conn, "se01.contoso.com").await;
        for sql in [
            "UPDATE pools SET capacity = 1000000 WHERE id IN ($1, $2, $4)",
            "UPDATE enabled_users SET pool_id = $4 WHERE pool_id = $1",
            "UPDATE enabled_users SET pool_id = $1
             WHERE user_id IN (SELECT user_id FROM enabled_users ORDER BY user_id LIMIT $3)",
        ] {
            let query = sqlx::query(sql).bind(home).bind(away).bind(movers as i64).bind(spare);
            query.execute(&mut conn).await.unwrap();
        }
        sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
        save_snapshot(&mut conn).await;
        (home, away)
    });
    let mut replicas = [replica("replica-a", &url), replica("replica-b", &url)];
    let names = ["replica-a", "replica-b"];
    let mut lines = Vec::new();
    for run in 0..runs as usize {
        // The replicas take turns: the one that starts the move is killed.
        let (victim, survivor) = (run % 2, 1 - run % 2);
        let port = replicas[victim].port;
        let cookie = common::session_cookie(&common::sign_in(port, "useradmin", PASSWORD));
        let (job, moving) = start_pool_move(port, &cookie, home, away);
        assert_eq!(moving, movers, "run {run}: the movers are pool02's users");
        let began = Instant::now();
        // Killed somewhere between a tenth and two thirds of the way.
        let kill_at = movers as i64 * (10 + (run as i64 * 23) % 57) / 100;
        let done_at_kill = rt.block_on(async {
            loop {
                let row = job_row(&mut conn, job).await;
                assert_eq!(row.state, "running", "run {run}: the job ended before the kill: {row:?}");
                if row.done >= kill_at {
                    return row.done;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        replicas[victim].kill();
        let killed = Instant::now();
        let row = rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(900);
            loop {
                let row = job_row(&mut conn, job).await;
                if row.state != "running" {
                    return row;
                }
                assert!(Instant::now() < deadline, "run {run}: the job was not finished: {row:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let finished = killed.elapsed();
        let context = format!("run {run} (killed {} at {done_at_kill} of {movers})", names[victim]);
        assert_eq!(row.state, "completed", "{context}: {row:?}");
        assert_eq!(
            (row.total, row.done, row.moved),
            (movers as i64, movers as i64, movers as i64),
            "{context}"
        );
        assert_eq!(row.runner.as_deref(), Some(names[survivor]), "{context}");
        rt.block_on(async {
            check_users(&mut conn, home, away).await.unwrap_or_else(|e| panic!("{context}: {e}"));
            // Each mover moved once: one line per user in the job and in its audit event.
            let (moved_lines, audited, distinct): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM job_users WHERE job_id = $1 AND outcome = 'moved'),
                        (SELECT COUNT(*) FROM audit_event_users WHERE event_id = $2 AND outcome = 'moved'),
                        (SELECT COUNT(DISTINCT user_id) FROM audit_event_users WHERE event_id = $2)",
            )
            .bind(job)
            .bind(row.event_id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!((moved_lines, audited, distinct), (row.total, row.total, row.total), "{context}");
            // The takeover is audited, naming both replicas.
            let takeovers: Vec<(String, String)> = sqlx::query_as(
                "SELECT operator_name, parameters FROM audit_events
                 WHERE operation = 'move_job_resume' AND CAST(parameters AS jsonb) ->> 'job' = $1",
            )
            .bind(job.to_string())
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert_eq!(takeovers.len(), 1, "{context}: {takeovers:?}");
            let parameters: Value = serde_json::from_str(&takeovers[0].1).unwrap();
            assert_eq!(takeovers[0].0, "replica failover", "{context}");
            assert_eq!(
                (parameters["from"].as_str(), parameters["replica"].as_str()),
                (Some(names[victim]), Some(names[survivor])),
                "{context}"
            );
            // Back home for the next run (the test's own reset, not an operation).
            sqlx::query(
                "UPDATE enabled_users SET pool_id = $1
                 WHERE user_id IN (SELECT user_id FROM test_homes WHERE pool_id = $1)",
            )
            .bind(home)
            .execute(&mut conn)
            .await
            .unwrap();
        });
        lines.push(format!(
            "run {run}: {movers} users, {} killed after {:.1} s at {done_at_kill} moved; {} finished {:.1} s later",
            names[victim],
            killed.duration_since(began).as_secs_f64(),
            names[survivor],
            finished.as_secs_f64()
        ));
        // The killed replica comes back under its name: it leaves the job it lost alone.
        replicas[victim] = replica(names[victim], &url);
    }
    for line in &lines {
        println!("failover: {line}");
    }
    println!(
        "failover: {runs} kills survived; deployment of {directory_users} directory users generated in {:.0} s, \
         {:.0} s in all",
        generated.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// Ten operators, five on each replica, move overlapping selections of pool01's and pool02's
/// users back and forth at once, large ones as jobs on either replica.
#[test]
fn ten_operators_on_two_replicas_never_put_a_user_in_two_pools() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = rt.block_on(generated_deployment(20_000));
    let mut conn = rt.block_on(async { PgConnection::connect(&url).await.unwrap() });
    let (pools, users) = rt.block_on(async {
        save_snapshot(&mut conn).await;
        let pools = [pool_id(&mut conn, AWAY).await, pool_id(&mut conn, HOME).await];
        let users: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM enabled_users WHERE pool_id IN ($1, $2) ORDER BY user_id LIMIT 3000",
        )
        .bind(pools[0])
        .bind(pools[1])
        .fetch_all(&mut conn)
        .await
        .unwrap();
        (pools, users)
    });
    let replicas = [replica("replica-a", &url), replica("replica-b", &url)];
    let ports = [replicas[0].port, replicas[1].port];
    let started = Instant::now();
    let operators: Vec<_> = (0..10usize)
        .map(|operator| {
            let users = users.clone();
            std::thread::spawn(move || {
                let port = ports[operator % 2];
                let cookie = common::session_cookie(&common::sign_in(port, "useradmin", PASSWORD));
                let mut answers = Vec::new();
                for round in 0..4usize {
                    // Windows that overlap the next operator's; every third one large (a job).
                    let size = if (operator + round) % 3 == 0 { 1_500 } else { 200 };
                    let start = (operator * 150 + round * 97) % (users.len() - size);
                    let window = &users[start..start + size];
                    let to = pools[(operator + round) % 2];
                    let selection = common::post_json(
                        port,
                        &cookie,
                        "select_users",
                        &json!({"source": {"users": {"users": window}}}),
                    );
                    let body =
                        json!({"selection": selection["id"], "options": {"destination": to, "force": false}})
                            .to_string();
                    let preview = common::http(
                        port,
                        "POST",
                        "/api/preview_move",
                        &[common::JSON, ("Cookie", &cookie)],
                        &body,
                    );
                    answers.push(preview.status);
                    if preview.status != 200 {
                        continue;
                    }
                    let token = serde_json::from_str::<Value>(&preview.body).unwrap()["token"].clone();
                    let run = common::http(
                        port,
                        "POST",
                        "/api/move_users",
                        &[common::JSON, ("Cookie", &cookie)],
                        &json!({"token": token}).to_string(),
                    );
                    answers.push(run.status);
                }
                answers
            })
        })
        .collect();
    let answers: Vec<u16> = operators.into_iter().flat_map(|o| o.join().unwrap()).collect();
    assert!(answers.iter().all(|s| [200, 409].contains(s)), "answers: {answers:?}");
    let (jobs, moved) = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(300);
        while sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE state = 'running'")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            > 0
        {
            assert!(Instant::now() < deadline, "jobs still running");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let states: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT state FROM jobs").fetch_all(&mut conn).await.unwrap();
        assert!(states.iter().all(|s| s == "completed"), "job states {states:?}");
        // Users of the two pools may be on either; everyone else where they were.
        let misplaced: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM test_homes h LEFT JOIN enabled_users e USING (user_id)
             WHERE e.user_id IS NULL OR e.sip_uri <> h.sip_uri
                OR (h.pool_id IN ($1, $2) AND e.pool_id NOT IN ($1, $2))
                OR (h.pool_id NOT IN ($1, $2) AND e.pool_id <> h.pool_id)",
        )
        .bind(pools[0])
        .bind(pools[1])
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(misplaced, 0);
        // Whatever moved, the users are all there once, with their data, within capacity.
        let (users, before): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM enabled_users), (SELECT COUNT(*) FROM test_homes)")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(users, before);
        check_data_and_capacity(&mut conn).await.unwrap();
        let counts: (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(moved), 0) AS BIGINT) FROM jobs")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        counts
    });
    let ok = answers.iter().filter(|s| **s == 200).count();
    println!(
        "concurrency: 10 operators on 2 replicas, {} requests ({ok} ok, {} conflicts), {jobs} jobs moving {moved} \
         users, {:.1} s",
        answers.len(),
        answers.len() - ok,
        started.elapsed().as_secs_f64()
    );
}

/// Every user's data is all there, unchanged, and no pool is over its capacity.
async fn check_data_and_capacity(conn: &mut PgConnection) -> Result<(), String> {
    let data: i64 = sqlx::query_scalar(&format!(
        "WITH now AS ({DATA})
         SELECT COUNT(*) FROM ((SELECT * FROM now EXCEPT SELECT * FROM test_data)
                               UNION ALL (SELECT * FROM test_data EXCEPT SELECT * FROM now)) d"
    ))
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    if data != 0 {
        return Err(format!("{data} (user, kind of data) rows differ from before"));
    }
    let over: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT p.fqdn, p.capacity, COUNT(e.user_id) FROM pools p JOIN enabled_users e ON e.pool_id = p.id
         GROUP BY p.id HAVING COUNT(e.user_id) > p.capacity",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !over.is_empty() {
        return Err(format!("pools over capacity (pool, capacity, users): {over:?}"));
    }
    Ok(())
}

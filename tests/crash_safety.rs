//! Crash safety of large moves. The real server is killed with SIGKILL at random moments of a
//! move job (while it records the job, inside a chunk's transaction, between chunks, after the
//! end), again and again, and restarted on the same database. After every restart the database
//! must be intact, every user on exactly one pool with all of its data, and the job must say
//! exactly who has moved. Interrupted jobs are resumed; a finished move is followed by the move
//! back. `UC_ADMIN_CRASH_KILLS` sets the number of kills (default 50), `UC_ADMIN_CRASH_SEED`
//! the seed of the kill times; `scripts/crash-soak.sh` runs 500.
#![cfg(feature = "ssr")]

mod common;

use common::{JSON, Server, TempDir};
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uc_admin::server::storage::seed::Rng;

const PASSWORD: &str = "crash-test-password";
/// About 15,000 enabled users; pool02 (OCS 2007 R2) holds about 3,300 of them.
const DIRECTORY_USERS: u32 = 20_000;
/// The movers are pool02's users: pool01 (also 2007 R2) has room for all of them, and pool02
/// has room for them again when they come back.
const HOME: &str = "pool02.contoso.com";
const AWAY: &str = "pool01.contoso.com";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map(|v| v.parse().expect(name)).unwrap_or(default)
}

async fn connect(path: &Path, busy_timeout: Duration) -> SqliteConnection {
    SqliteConnectOptions::new().filename(path).busy_timeout(busy_timeout).connect().await.unwrap()
}

/// Per user and kind of data: rows and the sum of their ids, so that a lost, duplicated or
/// replaced row shows. Kind 6 is the contacts' links to their groups.
const DATA: &str = "
    SELECT 0 AS kind, user_id, COUNT(*) AS n, SUM(id) AS s FROM contacts GROUP BY user_id
    UNION ALL SELECT 1, user_id, COUNT(*), SUM(id) FROM contact_groups GROUP BY user_id
    UNION ALL SELECT 2, user_id, COUNT(*), SUM(id) FROM access_entries WHERE access = 'allow' GROUP BY user_id
    UNION ALL SELECT 3, user_id, COUNT(*), SUM(id) FROM access_entries WHERE access = 'block' GROUP BY user_id
    UNION ALL SELECT 4, user_id, COUNT(*), SUM(id) FROM meetings GROUP BY user_id
    UNION ALL SELECT 5, user_id, COUNT(*), SUM(id) FROM presence_items GROUP BY user_id
    UNION ALL SELECT 6, user_id, COUNT(group_id), COALESCE(SUM(group_id), 0) FROM contacts GROUP BY user_id";

/// Opens the database with the initial state attached as `snap` (a database of the test's own;
/// comparing in SQL keeps each check well under a second).
async fn open(db: &Path, snapshot: &Path) -> SqliteConnection {
    let mut conn = connect(db, Duration::from_secs(10)).await;
    sqlx::query("ATTACH DATABASE $1 AS snap")
        .bind(snapshot.to_str().unwrap())
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// Records the users' homes and data before any move; returns the movers (the users of `home`).
async fn save_snapshot(conn: &mut SqliteConnection, home: i64) -> BTreeSet<i64> {
    for sql in [
        "CREATE TABLE snap.homes (user_id INTEGER PRIMARY KEY, sip_uri, pool_id, enhanced_presence,
                                  converted_to_ep)",
        "INSERT INTO snap.homes
         SELECT user_id, sip_uri, pool_id, enhanced_presence, converted_to_ep FROM enabled_users",
        &format!("CREATE TABLE snap.data AS {DATA}"),
        // Per user: the counts the cache must hold, and what a move keeps (the job's
        // `data_kept`: every row but the group links).
        "CREATE TABLE snap.counts (user_id INTEGER PRIMARY KEY, contacts, contact_groups, allowed, blocked,
                                   meetings, presence_items, items)",
        "INSERT INTO snap.counts
         SELECT user_id, SUM(n * (kind = 0)), SUM(n * (kind = 1)), SUM(n * (kind = 2)), SUM(n * (kind = 3)),
                SUM(n * (kind = 4)), SUM(n * (kind = 5)), SUM(n * (kind < 6))
         FROM snap.data GROUP BY user_id",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
    let movers: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM snap.homes WHERE pool_id = $1")
        .bind(home)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    movers.into_iter().collect()
}

async fn pool_id(conn: &mut SqliteConnection, fqdn: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM pools WHERE fqdn = $1").bind(fqdn).fetch_one(conn).await.unwrap()
}

/// What changes with every committed transaction of a job (create, chunk, resume, end): compared
/// before a kill and after the restart, it tells whether the transaction in flight was lost.
type Commits = (i64, i64, i64);

async fn commits(conn: &mut SqliteConnection) -> Commits {
    sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM audit_events),
                (SELECT COALESCE(MAX(rowid), 0) FROM audit_event_users),
                (SELECT COALESCE(SUM(done), 0) FROM jobs)",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn last_job(conn: &mut SqliteConnection) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM jobs").fetch_one(conn).await.unwrap()
}

/// A move job of the movers, and where it takes them.
#[derive(Debug, Clone, Copy)]
struct Job {
    id: i64,
    from: i64,
    to: i64,
}

/// A job as the database holds it after a restart.
#[derive(Debug)]
struct JobRow {
    state: String,
    total: i64,
    done: i64,
}

/// The invariants after a restart. `job` is the movers' unfinished job, if any; without one,
/// every mover is on `side`. `pools`: the movers' initial pool and the other one.
async fn check(
    conn: &mut SqliteConnection,
    movers: &BTreeSet<i64>,
    pools: [i64; 2],
    job: Option<Job>,
    side: i64,
) -> Result<Option<JobRow>, String> {
    let integrity: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut *conn).await.unwrap();
    if integrity != ["ok"] {
        return Err(format!("integrity_check: {integrity:?}"));
    }
    let broken_links = sqlx::query("PRAGMA main.foreign_key_check").fetch_all(&mut *conn).await.unwrap();
    if !broken_links.is_empty() {
        return Err(format!("foreign_key_check: {} rows", broken_links.len()));
    }
    // Every user is still enabled, once, unchanged but for the movers' pool (one of the two).
    let (users, before): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM enabled_users), (SELECT COUNT(*) FROM snap.homes)")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    if users != before {
        return Err(format!("{users} enabled users instead of {before}"));
    }
    let changed: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT h.user_id, h.pool_id, e.pool_id
         FROM snap.homes h LEFT JOIN enabled_users e ON e.user_id = h.user_id
         WHERE e.user_id IS NULL OR e.sip_uri <> h.sip_uri OR e.enhanced_presence <> h.enhanced_presence
            OR e.converted_to_ep <> h.converted_to_ep
            OR (e.pool_id <> h.pool_id AND NOT (h.pool_id = $1 AND e.pool_id IN ($1, $2)))
         LIMIT 5",
    )
    .bind(pools[0])
    .bind(pools[1])
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !changed.is_empty() {
        return Err(format!("users changed or gone (user, pool before, pool now): {changed:?}"));
    }
    // Every user's data is there, all of it, once.
    let data: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "WITH now AS ({DATA})
         SELECT 'now', * FROM (SELECT * FROM now EXCEPT SELECT * FROM snap.data)
         UNION ALL SELECT 'before', * FROM (SELECT * FROM snap.data EXCEPT SELECT * FROM now)
         LIMIT 6"
    ))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !data.is_empty() {
        return Err(format!("data changed (when, kind, user, rows, sum of ids): {data:?}"));
    }
    // The cached counts (migration 0005) match the rows.
    let miscounted: Vec<i64> = sqlx::query_scalar(
        "SELECT e.user_id FROM enabled_users e LEFT JOIN user_data_counts c ON c.user_id = e.user_id
         LEFT JOIN snap.counts s ON s.user_id = e.user_id
         WHERE c.user_id IS NULL
            OR c.contacts <> COALESCE(s.contacts, 0) OR c.contact_groups <> COALESCE(s.contact_groups, 0)
            OR c.allowed <> COALESCE(s.allowed, 0) OR c.blocked <> COALESCE(s.blocked, 0)
            OR c.meetings <> COALESCE(s.meetings, 0) OR c.presence_items <> COALESCE(s.presence_items, 0)
         LIMIT 5",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !miscounted.is_empty() {
        return Err(format!("cached data counts wrong for users {miscounted:?}"));
    }
    let running: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'running'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    if running > 0 {
        return Err(format!("{running} jobs still running after the restart"));
    }
    let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state <> 'completed' AND id <> $1")
        .bind(job.map_or(0, |j| j.id))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    if others > 0 {
        return Err(format!("{others} earlier jobs are not completed"));
    }
    let Some(job) = job else {
        let elsewhere: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM snap.homes h JOIN enabled_users e ON e.user_id = h.user_id
             WHERE h.pool_id = $1 AND e.pool_id <> $2",
        )
        .bind(pools[0])
        .bind(side)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        return if elsewhere > 0 {
            Err(format!("{elsewhere} movers not on pool {side} with no job"))
        } else {
            Ok(None)
        };
    };

    // The job tells exactly who has moved: its processed users are at the destination with all
    // their data, the others at the source, and its counters and audit lines agree.
    type Head = (String, i64, i64, i64, i64, i64, i64, i64, i64);
    let (state, total, done, moved, refused, kept, lost, destination, event): Head = sqlx::query_as(
        "SELECT state, total, done, moved, refused, data_kept, data_lost, destination_id, event_id
         FROM jobs WHERE id = $1",
    )
    .bind(job.id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let fail = |what: String| Err(format!("job {} ({state}, {done} of {total} done): {what}", job.id));
    if !["interrupted", "completed"].contains(&state.as_str()) {
        return fail("not marked interrupted after the restart".into());
    }
    if destination != job.to || (refused, lost) != (0, 0) {
        return fail(format!("destination {destination}, {refused} refused, {lost} data items lost"));
    }
    // Positions 0..total, each user once, all of them movers.
    type Lines = (i64, i64, i64, i64, i64, i64, i64);
    let (lines, distinct, first, last, of_movers, moved_lines, kept_lines): Lines = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT j.user_id), COALESCE(MIN(j.position), 0),
                COALESCE(MAX(j.position), -1),
                COALESCE(SUM(h.pool_id = $2), 0), COALESCE(SUM(j.outcome = 'moved'), 0),
                COALESCE(SUM(CASE WHEN j.outcome = 'moved' THEN j.data_kept END), 0)
         FROM job_users j LEFT JOIN snap.homes h ON h.user_id = j.user_id WHERE j.job_id = $1",
    )
    .bind(job.id)
    .bind(pools[0])
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let expected = movers.len() as i64;
    if (lines, distinct, first, last, of_movers, total)
        != (expected, expected, 0, expected - 1, expected, expected)
    {
        return fail(format!(
            "{lines} lines, {distinct} users, positions {first}..={last}, {of_movers} movers"
        ));
    }
    // Processed users moved with all their data; the others are untouched at the source.
    // position, user, pool, outcome, reason, data kept, data held
    type JobLine = (i64, i64, Option<i64>, Option<String>, Option<String>, i64, i64);
    let wrong: Vec<JobLine> = sqlx::query_as(
        "SELECT j.position, j.user_id, e.pool_id, j.outcome, j.reason, j.data_kept, COALESCE(i.items, 0)
         FROM job_users j LEFT JOIN enabled_users e ON e.user_id = j.user_id
         LEFT JOIN snap.counts i ON i.user_id = j.user_id
         WHERE j.job_id = $1 AND NOT COALESCE(
             (j.outcome = 'moved' AND j.position < $2 AND e.pool_id = $3
              AND j.data_kept = COALESCE(i.items, 0))
             OR (j.outcome IS NULL AND j.position >= $2 AND e.pool_id = $4), 0)
         LIMIT 5",
    )
    .bind(job.id)
    .bind(done)
    .bind(job.to)
    .bind(job.from)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !wrong.is_empty() {
        return fail(format!("(position, user, pool, outcome, reason, data kept, data items): {wrong:?}"));
    }
    if (moved, kept) != (moved_lines, kept_lines) {
        return fail(format!("counts {moved} moved, {kept} kept; lines {moved_lines}, {kept_lines}"));
    }
    if state == "completed" && done != total {
        return fail("completed early".into());
    }
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_event_users WHERE event_id = $1 AND outcome = 'moved'",
    )
    .bind(event)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    if audited != moved {
        return fail(format!("{audited} audit lines for {moved} moved users"));
    }
    Ok(Some(JobRow { state, total, done }))
}

/// Frames of the write-ahead log after its last commit frame (with the log's salt and a valid
/// checksum chain), plus a torn frame if one follows: what a transaction had written when it was
/// killed, and what recovery must ignore. Read from the file as the killed server left it.
fn uncommitted_wal_frames(path: &Path) -> usize {
    let Ok(wal) = std::fs::read(path) else { return 0 };
    let word = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if wal.len() < 32 {
        return 0;
    }
    let big_endian = match word(&wal) {
        0x377f_0682 => false,
        0x377f_0683 => true,
        _ => return 0,
    };
    let checksum = |mut s: (u32, u32), data: &[u8]| {
        for pair in data.chunks_exact(8) {
            let x = |b: &[u8]| {
                let b = [b[0], b[1], b[2], b[3]];
                if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
            };
            s.0 = s.0.wrapping_add(x(&pair[..4])).wrapping_add(s.1);
            s.1 = s.1.wrapping_add(x(&pair[4..])).wrapping_add(s.0);
        }
        s
    };
    let page = word(&wal[8..]) as usize;
    let salt = (word(&wal[16..]), word(&wal[20..]));
    let mut sum = checksum((0, 0), &wal[..24]);
    if sum != (word(&wal[24..]), word(&wal[28..])) {
        return 0;
    }
    let (mut valid, mut committed, mut torn) = (0, 0, 0);
    let mut at = 32;
    while at + 24 <= wal.len() {
        let header = &wal[at..at + 24];
        if (word(&header[8..]), word(&header[12..])) != salt {
            break;
        }
        let Some(content) = wal.get(at + 24..at + 24 + page) else {
            torn = 1;
            break;
        };
        sum = checksum(checksum(sum, &header[..8]), content);
        if sum != (word(&header[16..]), word(&header[20..])) {
            torn = 1;
            break;
        }
        valid += 1;
        if word(&header[4..]) != 0 {
            committed = valid;
        }
        at += 24 + page;
    }
    valid - committed + torn
}

fn is_busy(error: &sqlx::Error) -> bool {
    let code = error.as_database_error().and_then(|e| e.code());
    matches!(code.as_deref(), Some("5" | "261" | "517"))
}

/// How fast the server moves users and records jobs, learnt from the kills, so that kill times
/// spread over a whole job whatever the machine's speed.
struct Pace {
    create_ms: f64,
    user_ms: f64,
}

/// One kill, as seen from the test.
struct Kill {
    /// For a kill while starting a move: the newest job before it, the job the server answered
    /// (if it did before dying), and the move.
    start: Option<(i64, Option<i64>, i64, i64)>,
    done_before: i64,
    elapsed_ms: f64,
    answered_ms: Option<f64>,
    chunk: i64,
    pause: i64,
    /// The server held the write lock just before the kill.
    lock_held: bool,
    at_probe: Commits,
    wal_frames: usize,
}

impl Kill {
    fn describe(&self) -> String {
        format!(
            "{} at {} users done, chunk {}, pause {} ms, killed {:.0} ms after the request, write lock {}, \
             {} uncommitted WAL frames",
            if self.start.is_some() { "starting a move" } else { "resuming" },
            self.done_before,
            self.chunk,
            self.pause,
            self.elapsed_ms,
            if self.lock_held { "held" } else { "free" },
            self.wal_frames
        )
    }
}

impl Pace {
    fn learn(&mut self, kill: &Kill, row: Option<&JobRow>) {
        if let (Some(_), Some(ms)) = (kill.start, kill.answered_ms) {
            self.create_ms = 0.7 * self.create_ms + 0.3 * ms;
        }
        let Some(row) = row else { return };
        let run = row.done - kill.done_before;
        // Only a kill after a few chunks of a job still running says how long a chunk takes.
        if row.done == row.total || run < 2 * kill.chunk {
            return;
        }
        let lead = if kill.start.is_some() { self.create_ms } else { 0.0 };
        let per_chunk = (kill.elapsed_ms - lead).max(1.0) / (run as f64 / kill.chunk as f64 + 0.5);
        let per_user = (per_chunk - kill.pause as f64).max(0.2) / kill.chunk as f64;
        self.user_ms = 0.7 * self.user_ms + 0.3 * per_user;
    }
}

#[derive(Default)]
struct Stats {
    kills: u64,
    before_job: u64,
    before_chunk: u64,
    mid_job: u64,
    after_end: u64,
    mid_transaction: u64,
    raced: u64,
    torn_wal: u64,
    chunks: i64,
}

impl Stats {
    fn record(&mut self, kill: &Kill, row: Option<&JobRow>, after: Commits) {
        match row {
            None => self.before_job += 1,
            Some(row) if row.state == "completed" => self.after_end += 1,
            Some(row) if row.done == kill.done_before => self.before_chunk += 1,
            Some(_) => self.mid_job += 1,
        }
        if let Some(row) = row {
            self.chunks += ((row.done - kill.done_before) as u64).div_ceil(kill.chunk as u64) as i64;
        }
        // The lock was held and nothing committed after: the transaction in flight was lost.
        match (kill.lock_held, after == kill.at_probe) {
            (true, true) => self.mid_transaction += 1,
            (true, false) => self.raced += 1,
            _ => {}
        }
        if kill.wal_frames > 0 {
            self.torn_wal += 1;
        }
    }
}

#[test]
fn killing_the_server_during_large_moves_never_leaves_a_user_half_moved() {
    let kills = env_number("UC_ADMIN_CRASH_KILLS", 50);
    let seed = env_number("UC_ADMIN_CRASH_SEED", 0x5EED_C4A5_4001);
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = TempDir::new(&format!("uc-admin-crash-test-{}", std::process::id()));
    let db = dir.path().join("crash.db");
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let url = format!("sqlite://{}", db.display());

    let generate = std::process::Command::new(common::BINARY)
        .args(["generate", "--users", &DIRECTORY_USERS.to_string()])
        .env("UC_ADMIN_DATABASE_URL", &url)
        .env("UC_ADMIN_DEMO_PASSWORD", PASSWORD)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(generate.status.success(), "generate: {}", String::from_utf8_lossy(&generate.stderr));
    let generate_seconds = started.elapsed().as_secs_f64();
    let snapshot = dir.path().join("snapshot.db");
    // An empty file is an empty database; ATTACH does not create one.
    std::fs::File::create(&snapshot).unwrap();
    let (movers, pools, enabled) = rt.block_on(async {
        let mut conn = open(&db, &snapshot).await;
        let pools = [pool_id(&mut conn, HOME).await, pool_id(&mut conn, AWAY).await];
        let movers = save_snapshot(&mut conn, pools[0]).await;
        let enabled: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM snap.homes").fetch_one(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        (movers, pools, enabled)
    });
    assert!(movers.len() >= 2_000, "{} users on {HOME}", movers.len());

    let mut rng = Rng(seed);
    let mut pace = Pace { create_ms: 60.0, user_ms: 0.06 };
    let mut stats = Stats::default();
    let mut side = pools[0];
    let mut job: Option<Job> = None;
    let mut cookie = String::new();
    let mut last: Option<Kill> = None;
    let (server, mut row) = loop {
        // Chunk size and pause change with every restart: a resumed job continues with others.
        let chunk = [50, 100][rng.below(2)];
        let pause = [0, 5, 20][rng.below(3)];
        let mut server = Server::start(
            common::free_port(),
            &[
                ("UC_ADMIN_DATABASE_URL", url.clone()),
                ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.into()),
                ("UC_ADMIN_MOVE_JOB_THRESHOLD", "1000".into()),
                ("UC_ADMIN_MOVE_JOB_CHUNK", chunk.to_string()),
                ("UC_ADMIN_MOVE_JOB_PAUSE_MS", pause.to_string()),
            ],
        );
        let port = server.port;
        if cookie.is_empty() {
            cookie = common::session_cookie(&common::sign_in(port, "useradmin", PASSWORD));
        }
        let context = match &last {
            Some(kill) => format!("after kill {} of {kills} (seed {seed}; {})", stats.kills, kill.describe()),
            None => "at the first start".to_string(),
        };
        let (row, after) = rt.block_on(async {
            let mut conn = open(&db, &snapshot).await;
            if let Some((newest_before, answered, from, to)) = last.as_ref().and_then(|k| k.start) {
                let newest = last_job(&mut conn).await;
                if newest != newest_before {
                    assert_eq!(newest, newest_before + 1, "{context}: one job per move");
                    job = Some(Job { id: newest, from, to });
                }
                if let Some(answered) = answered {
                    assert_eq!(Some(answered), job.map(|j| j.id), "{context}: the job the server answered");
                }
            }
            let row = check(&mut conn, &movers, pools, job, side).await;
            let after = commits(&mut conn).await;
            conn.close().await.unwrap();
            (row.unwrap_or_else(|e| panic!("{context}: {e}")), after)
        });
        // The job page says the same as the database.
        if let (Some(job), Some(row)) = (job, &row) {
            let view = common::post_json(
                port,
                &cookie,
                "get_job",
                &json!({"job": job.id, "filter": "all", "page": 1}),
            );
            let seen = (view["job"]["state"].as_str(), view["job"]["done"].as_i64());
            assert_eq!(seen, (Some(row.state.as_str()), Some(row.done)), "{context}");
        }
        if let Some(kill) = last.take() {
            stats.record(&kill, row.as_ref(), after);
            pace.learn(&kill, row.as_ref());
            if kills > 50 && stats.kills % 50 == 0 {
                println!(
                    "crash safety: {} of {kills} kills survived ({:.0} s)",
                    stats.kills,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        if stats.kills == kills {
            break (server, row);
        }

        // Resume the interrupted job, or start the next move (back, once a move is complete).
        if let (Some(j), Some(r)) = (job, &row)
            && r.state == "completed"
        {
            side = j.to;
            job = None;
        }
        // Opened before the request, so the probe before the kill is quick.
        let mut probe = rt.block_on(connect(&db, Duration::ZERO));
        let (request, start, done_before, users_left, lead) = match (job, &row) {
            (Some(job), Some(row)) => {
                let body = json!({"job": job.id}).to_string();
                let request =
                    common::send(port, "POST", "/api/resume_job", &[JSON, ("Cookie", &cookie)], &body);
                (request, None, row.done, row.total - row.done, 5.0)
            }
            _ => {
                let to = if side == pools[0] { pools[1] } else { pools[0] };
                // Out of pool02 the whole pool node is moved; back, the movers by id.
                let target = if side == pools[0] {
                    json!({"node": {"node": format!("pool-{side}"), "filter": ""}})
                } else {
                    json!({"users": movers})
                };
                let selection =
                    common::post_json(port, &cookie, "select_users", &json!({"source": {"users": target}}));
                assert_eq!(
                    selection["count"].as_u64(),
                    Some(movers.len() as u64),
                    "{context}: the selection"
                );
                let preview = common::post_json(
                    port,
                    &cookie,
                    "preview_move",
                    &json!({"selection": selection["id"], "options": {"destination": to, "force": false}}),
                );
                assert_eq!(preview["lines"].as_u64(), Some(movers.len() as u64), "{context}: the preview");
                let totals = &preview["preview"]["totals"];
                assert_eq!(
                    (totals["moving"].as_u64(), totals["refused"].as_u64()),
                    (Some(movers.len() as u64), Some(0))
                );
                let newest = rt.block_on(async {
                    let mut conn = connect(&db, Duration::from_secs(10)).await;
                    let newest = last_job(&mut conn).await;
                    conn.close().await.unwrap();
                    newest
                });
                let body = json!({"token": preview["token"]}).to_string();
                let request =
                    common::send(port, "POST", "/api/move_users", &[JSON, ("Cookie", &cookie)], &body);
                (request, Some((newest, None::<i64>, side, to)), 0, movers.len() as i64, pace.create_ms)
            }
        };
        let sent = Instant::now();
        let reader = std::thread::spawn(move || {
            let response = common::read_response(request);
            (sent.elapsed().as_secs_f64() * 1000.0, response)
        });
        // Kill times: some while the request is handled (the job recorded or resumed), most
        // anywhere in the run, some near or after its end.
        let run_ms =
            (users_left as u64).div_ceil(chunk as u64) as f64 * (chunk as f64 * pace.user_ms + pause as f64);
        let early = if start.is_some() { 30 } else { 15 };
        let delay_ms = match rng.below(100) {
            n if n < early => rng.unit() * lead * 1.5,
            n if n < 85 => lead + rng.unit() * run_ms,
            _ => lead + run_ms * (0.85 + 0.4 * rng.unit()),
        };
        std::thread::sleep(
            (sent + Duration::from_secs_f64(delay_ms / 1000.0)).saturating_duration_since(Instant::now()),
        );
        // Just before the kill: what has committed, and whether a transaction is open (the
        // probe's own one is released before the kill, and its connection closed).
        let (at_probe, lock_held) = rt.block_on(async {
            let at = commits(&mut probe).await;
            let held = match sqlx::query("BEGIN IMMEDIATE").execute(&mut probe).await {
                Ok(_) => {
                    sqlx::query("ROLLBACK").execute(&mut probe).await.unwrap();
                    false
                }
                Err(e) if is_busy(&e) => true,
                Err(e) => panic!("probe: {e}"),
            };
            probe.close().await.unwrap();
            (at, held)
        });
        let elapsed_ms = sent.elapsed().as_secs_f64() * 1000.0;
        server.kill();
        let (answered_ms, response) = reader.join().unwrap();
        let answered = match response {
            Ok(r) => {
                assert_eq!(r.status, 200, "{context}: {}", r.body);
                Some(serde_json::from_str::<Value>(&r.body).unwrap())
            }
            Err(_) => None,
        };
        let start = start.map(|(newest, _, from, to)| {
            let job = answered.as_ref().map(|a| a["job"].as_i64().expect("a move job"));
            (newest, job, from, to)
        });
        stats.kills += 1;
        last = Some(Kill {
            start,
            done_before,
            elapsed_ms,
            answered_ms: answered.is_some().then_some(answered_ms),
            chunk,
            pause,
            lock_held,
            at_probe,
            wal_frames: uncommitted_wal_frames(&wal),
        });
    };

    // Last, the job runs to its end undisturbed, and everything is checked once more.
    if let (Some(j), Some(r)) = (job, &row)
        && r.state != "completed"
    {
        common::post_json(server.port, &cookie, "resume_job", &json!({"job": j.id}));
        let deadline = Instant::now() + Duration::from_secs(120);
        while common::post_json(
            server.port,
            &cookie,
            "get_job",
            &json!({"job": j.id, "filter": "all", "page": 1}),
        )["job"]["state"]
            != "completed"
        {
            assert!(Instant::now() < deadline, "the last job did not complete");
            std::thread::sleep(Duration::from_millis(50));
        }
        row = rt.block_on(async {
            let mut conn = open(&db, &snapshot).await;
            let row = check(&mut conn, &movers, pools, job, side).await;
            conn.close().await.unwrap();
            row.unwrap_or_else(|e| panic!("after the last job: {e}"))
        });
        assert_eq!(row.as_ref().map(|r| r.state.as_str()), Some("completed"));
    }
    let (jobs, completed, resumes, moves): (i64, i64, i64, i64) = rt.block_on(async {
        let mut conn = connect(&db, Duration::from_secs(10)).await;
        let counts = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM jobs),
                    (SELECT COUNT(*) FROM jobs WHERE state = 'completed'),
                    (SELECT COUNT(*) FROM audit_events WHERE operation = 'move_job_resume'),
                    (SELECT COALESCE(SUM(moved), 0) FROM jobs)",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        counts
    });
    drop(server);
    let s = &stats;
    println!(
        "crash safety: {kills} kills survived (seed {seed}), {} users moved back and forth between two OCS \
         2007 R2 pools of {} enabled users: {jobs} jobs ({completed} completed), {resumes} resumes, {moves} \
         user moves committed ({} chunks in the runs that were killed); kills: {} before the job was \
         recorded, {} before its next chunk, {} mid-job, {} after its end; {} mid-transaction (rolled back), \
         {} just after a commit, {} with uncommitted WAL frames; generate {generate_seconds:.1} s, total \
         {:.1} s",
        movers.len(),
        enabled,
        s.chunks,
        s.before_job,
        s.before_chunk,
        s.mid_job,
        s.after_end,
        s.mid_transaction,
        s.raced,
        s.torn_wal,
        started.elapsed().as_secs_f64()
    );
    // Otherwise the kill times missed what this test is about.
    if kills >= 50 {
        assert!(s.mid_job > 0 && s.mid_transaction > 0, "no kill landed inside a job's transaction");
    }
}

/// The invariants of an undo after a restart: every mover is either back home with exactly
/// the data they had (rows and ids) or still away with none, the undo job's `restored` lines
/// name exactly those back home, nobody else changed, and no job is left running.
async fn check_undo(
    conn: &mut SqliteConnection,
    movers: &BTreeSet<i64>,
    [home, away]: [i64; 2],
    undo_job: i64,
) -> Result<(i64, String), String> {
    let integrity: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut *conn).await.unwrap();
    if integrity != ["ok"] {
        return Err(format!("integrity_check: {integrity:?}"));
    }
    let movers_json = serde_json::to_string(movers).unwrap();
    // Where each mover is: home or away, nowhere else, enabled once.
    let (back, still_away, elsewhere): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(e.pool_id = $2), 0), COALESCE(SUM(e.pool_id = $3), 0),
                COALESCE(SUM(e.pool_id IS NULL OR e.pool_id NOT IN ($2, $3)), 0)
         FROM json_each($1) m LEFT JOIN enabled_users e ON e.user_id = m.value",
    )
    .bind(&movers_json)
    .bind(home)
    .bind(away)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    if elsewhere > 0 {
        return Err(format!("{elsewhere} movers neither home nor away"));
    }
    // Back home: all of their data as before. Away: none (the force move deleted it).
    let data: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "WITH now AS ({DATA}),
              home_movers AS (SELECT e.user_id FROM enabled_users e JOIN json_each($1) m ON m.value = e.user_id
                              WHERE e.pool_id = $2)
         SELECT 'now', * FROM (SELECT * FROM now WHERE user_id IN (SELECT user_id FROM home_movers)
                               EXCEPT SELECT * FROM snap.data WHERE user_id IN (SELECT user_id FROM home_movers))
         UNION ALL
         SELECT 'before', * FROM (SELECT * FROM snap.data WHERE user_id IN (SELECT user_id FROM home_movers)
                                  EXCEPT SELECT * FROM now WHERE user_id IN (SELECT user_id FROM home_movers))
         UNION ALL
         SELECT 'away', * FROM now WHERE n > 0 AND user_id IN
             (SELECT e.user_id FROM enabled_users e JOIN json_each($1) m ON m.value = e.user_id WHERE e.pool_id = $3)
         LIMIT 6"
    ))
    .bind(&movers_json)
    .bind(home)
    .bind(away)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !data.is_empty() {
        return Err(format!("a mover half restored (when, kind, user, rows, sum of ids): {data:?}"));
    }
    // Nobody else changed.
    let others: Vec<i64> = sqlx::query_scalar(&format!(
        "WITH now AS ({DATA})
         SELECT h.user_id FROM snap.homes h LEFT JOIN enabled_users e ON e.user_id = h.user_id
         WHERE h.user_id NOT IN (SELECT value FROM json_each($1)) AND (e.user_id IS NULL OR e.pool_id <> h.pool_id)
         UNION ALL
         SELECT user_id FROM (SELECT * FROM now EXCEPT SELECT * FROM snap.data)
         WHERE user_id NOT IN (SELECT value FROM json_each($1))
         LIMIT 5"
    ))
    .bind(&movers_json)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    if !others.is_empty() {
        return Err(format!("users outside the undo changed: {others:?}"));
    }
    let (restored, wrong, state): (i64, i64, String) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM job_users WHERE job_id = $1 AND outcome = 'restored'),
                (SELECT COUNT(*) FROM job_users j JOIN enabled_users e ON e.user_id = j.user_id
                 WHERE j.job_id = $1 AND (j.outcome = 'restored') <> (e.pool_id = $2)),
                (SELECT state FROM jobs WHERE id = $1)",
    )
    .bind(undo_job)
    .bind(home)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    if restored != back || wrong > 0 {
        return Err(format!("the job says {restored} restored ({wrong} wrong), {back} are back home"));
    }
    if back + still_away != movers.len() as i64 {
        return Err(format!("{back} back and {still_away} away of {} movers", movers.len()));
    }
    if state == "running" {
        return Err("the undo job is still running after the restart".into());
    }
    Ok((back, state))
}

/// A force move takes pool02's users away (deleting their data), and its undo is killed again
/// and again: after every restart each user is restored whole or not at all, and the resumed
/// undo finishes with everyone back as they were. `UC_ADMIN_CRASH_UNDO_KILLS` (default 8).
#[test]
fn killing_the_server_during_an_undo_restores_each_user_whole_or_not_at_all() {
    let kills = env_number("UC_ADMIN_CRASH_UNDO_KILLS", 8);
    let mut rng = Rng(env_number("UC_ADMIN_CRASH_SEED", 0x5EED_C4A5_4001) ^ 0x0DD0);
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = TempDir::new(&format!("uc-admin-undo-crash-test-{}", std::process::id()));
    let db = dir.path().join("undo.db");
    let url = format!("sqlite://{}", db.display());
    let generate = std::process::Command::new(common::BINARY)
        .args(["generate", "--users", &DIRECTORY_USERS.to_string()])
        .env("UC_ADMIN_DATABASE_URL", &url)
        .env("UC_ADMIN_DEMO_PASSWORD", PASSWORD)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(generate.status.success(), "generate: {}", String::from_utf8_lossy(&generate.stderr));
    let snapshot = dir.path().join("snapshot.db");
    std::fs::File::create(&snapshot).unwrap();
    let (movers, pools) = rt.block_on(async {
        let mut conn = open(&db, &snapshot).await;
        let pools = [pool_id(&mut conn, HOME).await, pool_id(&mut conn, AWAY).await];
        let movers = save_snapshot(&mut conn, pools[0]).await;
        conn.close().await.unwrap();
        (movers, pools)
    });
    let env = |chunk: u32| {
        vec![
            ("UC_ADMIN_DATABASE_URL", url.clone()),
            ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.to_string()),
            ("UC_ADMIN_MOVE_JOB_THRESHOLD", "1000".to_string()),
            ("UC_ADMIN_MOVE_JOB_CHUNK", chunk.to_string()),
            ("UC_ADMIN_MOVE_JOB_PAUSE_MS", "5".to_string()),
        ]
    };
    let mut server = Server::start(common::free_port(), &env(200));
    let cookie = common::session_cookie(&common::sign_in(server.port, "useradmin", PASSWORD));
    let wait = |port: u16, job: i64| loop {
        let view =
            common::post_json(port, &cookie, "get_job", &json!({"job": job, "filter": "all", "page": 1}));
        if view["job"]["state"] != "running" {
            return view;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The force move away, undisturbed.
    let port = server.port;
    let target = json!({"node": {"node": format!("pool-{}", pools[0]), "filter": ""}});
    let selection = common::post_json(port, &cookie, "select_users", &json!({"source": {"users": target}}));
    let preview = common::post_json(
        port,
        &cookie,
        "preview_move",
        &json!({"selection": selection["id"], "options": {"destination": pools[1], "force": true}}),
    );
    let moved = common::post_json(
        port,
        &cookie,
        "move_users",
        &json!({"token": preview["token"], "password": PASSWORD}),
    );
    let moved = wait(port, moved["job"].as_i64().expect("a force move job"));
    assert_eq!(moved["job"]["moved"].as_u64(), Some(movers.len() as u64));
    let change = moved["job"]["event_id"].as_i64().unwrap();
    assert_eq!(moved["undo"]["users"].as_u64(), Some(movers.len() as u64), "the job page offers the undo");

    let preview = common::post_json(port, &cookie, "preview_undo", &json!({"change": change}));
    assert_eq!(preview["preview"]["restored"].as_u64(), Some(movers.len() as u64));
    let undo = common::post_json(
        port,
        &cookie,
        "undo_change",
        &json!({"token": preview["token"], "password": PASSWORD}),
    );
    let undo_job = undo["job"].as_i64().expect("an undo job");
    let began = Instant::now();
    let mut progress = Vec::new();
    for kill in 0..kills {
        // Anywhere in the next second or so of the undo (a chunk of 50 to 200 users).
        std::thread::sleep(Duration::from_millis(30 + rng.below(900) as u64));
        server.kill();
        // Restarted first: the start marks the job the kill interrupted (as a real restart does).
        let chunk = [50, 100, 200][rng.below(3)];
        server = Server::start(common::free_port(), &env(chunk));
        let (back, state) = rt.block_on(async {
            let mut conn = open(&db, &snapshot).await;
            let checked = check_undo(&mut conn, &movers, pools, undo_job).await;
            conn.close().await.unwrap();
            checked.unwrap_or_else(|e| panic!("after kill {} of {kills}: {e}", kill + 1))
        });
        progress.push(back);
        if state == "completed" {
            break;
        }
        // The undo is resumed (an operator's click): it continues from its first user left.
        common::post_json(server.port, &cookie, "resume_job", &json!({"job": undo_job}));
    }
    let finished = wait(server.port, undo_job);
    assert_eq!(finished["job"]["state"], "completed");
    assert_eq!(finished["job"]["moved"].as_u64(), Some(movers.len() as u64), "everyone restored");
    rt.block_on(async {
        let mut conn = open(&db, &snapshot).await;
        let (back, _) = check_undo(&mut conn, &movers, pools, undo_job).await.unwrap();
        assert_eq!(back, movers.len() as i64);
        // And exactly as before the force move: the general check, with nobody moved.
        check(&mut conn, &movers, pools, None, pools[0]).await.unwrap();
        conn.close().await.unwrap();
    });
    drop(server);
    println!(
        "undo crash safety: {} kills during the undo of a force move of {} users; restored after each kill: \
         {progress:?}; undo {:.1} s, total {:.1} s",
        progress.len(),
        movers.len(),
        began.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

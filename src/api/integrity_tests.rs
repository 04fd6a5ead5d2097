//! Integrity under load, through the real router on file databases (WAL, several pooled
//! connections, as the binary runs): a request dropped in the middle of its transaction, many
//! operators at once on overlapping users, a burst of sign-ins for one account, forged
//! client addresses, a flood of unknown names, step-up where it matters, and bulk changes that
//! run as jobs. Bursts are bounded in count and stay in-process.

use super::test_support::{app_on, call, operate, previewed, request, send, sign_in, snapshot};
use crate::domain::jobs::JobState;
use crate::domain::security::{ACCOUNT_THROTTLE, ADDRESS_THROTTLE};
use crate::server::Config;
use crate::server::security::sign_in_throttle::AUDITED_FAILURES_PER_ADDRESS;
use axum::http::{Method, header};
use serde_json::{Value, json};
use sqlx::AnyPool;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A fresh folder for one test's database.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uc-admin-integrity-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn url_in(dir: &std::path::Path) -> String {
    format!("sqlite://{}/uc-admin.db", dir.display())
}

/// A database many connections share: a WAL file in `dir` on SQLite, or a database of its own
/// on the tests' PostgreSQL server (`UC_ADMIN_TEST_ENGINE=postgres`).
async fn shared_database(dir: &std::path::Path) -> String {
    match std::env::var("UC_ADMIN_TEST_ENGINE").as_deref() {
        Ok("postgres") => crate::server::test_postgres::fresh_database().await,
        _ => url_in(dir),
    }
}

async fn scalar(db: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

/// The database is whole: no broken page, no dangling reference, every user's cached data
/// counts equal to its rows.
async fn assert_consistent(db: &AnyPool) {
    // PostgreSQL checks its pages and foreign keys itself, always; SQLite is asked.
    if crate::server::storage::db::engine(db) == crate::server::storage::db::Engine::Sqlite {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(db).await.unwrap();
        assert_eq!(integrity, "ok");
        let dangling: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(db).await.unwrap();
        assert!(dangling.is_empty(), "{dangling:?}");
    }
    assert_eq!(
        crate::server::operations::moves::tests::miscounted_users(db).await,
        0,
        "data counts agree with the data"
    );
}

fn no_change() -> Value {
    json!({"federation": null, "remote_access": null, "public_im": null, "enable_enhanced_presence": false,
           "archiving": null, "meeting_policy": null, "telephony": null})
}

fn federation(on: bool) -> Value {
    let mut change = no_change();
    change["federation"] = json!(on);
    change
}

/// 1. A request whose future is dropped while its transaction holds the write lock (what axum
/// does when the client disconnects) rolls back: the next write goes through at once, and no
/// user is half-changed. With a raw `BEGIN IMMEDIATE` the pooled connection kept the lock and
/// every later write failed with "database is locked" after the busy timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dropped_mid_transaction_releases_the_lock_and_changes_nothing() {
    let dir = temp_dir("dropped");
    let mut config = Config::for_tests();
    config.demo_users = 20_000;
    // One transaction for the whole change, so that there is a transaction to drop.
    config.jobs.threshold = usize::MAX;
    let (app, db) = app_on(&url_in(&dir), config).await;
    let cookie = sign_in(&app, "useradmin").await;
    let users: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM enabled_users ORDER BY user_id")
        .fetch_all(&db)
        .await
        .unwrap();
    let settings_before = snapshot(&db).await["enabled_users"].clone();
    // A second handle on the file that never waits: it tells whether someone holds the lock.
    let probe = {
        use sqlx::sqlite::SqliteConnectOptions;
        use std::str::FromStr;
        let options = SqliteConnectOptions::from_str(&url_in(&dir)).unwrap().busy_timeout(Duration::ZERO);
        sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap()
    };
    let mut dropped_mid_transaction = 0;
    for _attempt in 0..5 {
        let events_before =
            scalar(&db, "SELECT COUNT(*) FROM audit_events WHERE operation = 'configure_users'").await;
        // The run of a preview plans again and changes every user in one transaction.
        let change = json!({"change": federation(true)});
        let token = previewed(&app, &cookie, &users, "preview_configure", change).await.unwrap();
        let body = json!({ "token": token }).to_string();
        let task = tokio::spawn({
            let (app, cookie, body) = (app.clone(), cookie.clone(), body.clone());
            async move { call(&app, Method::POST, "/api/configure_users", Some(&cookie), &body).await }
        });
        // Wait until the request holds the write lock, then drop it there.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match probe.begin_with("BEGIN IMMEDIATE").await {
                Err(_) => break,
                Ok(tx) => tx.rollback().await.unwrap(),
            }
            assert!(!task.is_finished() || Instant::now() < deadline, "the request never took the lock");
            if task.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        task.abort();
        let _ = task.await;
        let events_after =
            scalar(&db, "SELECT COUNT(*) FROM audit_events WHERE operation = 'configure_users'").await;
        // A write through the portal right after: the lock was released.
        let started = Instant::now();
        let save = json!({"name": format!("after drop {_attempt}"), "search": "q=a", "shared": false});
        let (status, text) =
            call(&app, Method::POST, "/api/save_query", Some(&cookie), &save.to_string()).await;
        let waited = started.elapsed();
        assert_eq!(status, 200, "{text}");
        assert!(waited < Duration::from_secs(1), "the next write waited {waited:?}");
        if events_after == events_before {
            dropped_mid_transaction += 1;
            assert_eq!(snapshot(&db).await["enabled_users"], settings_before, "no user is half-changed");
            println!("dropped mid-transaction: the next write went through after {waited:?}");
        } else {
            // It committed before the drop landed: the change is whole; undo it and try again.
            let undo = json!({"change": federation(false)});
            let (status, text) =
                operate(&app, &cookie, &users, "preview_configure", undo, "configure_users", None).await;
            assert_eq!(status, 200, "{text}");
        }
        assert_consistent(&db).await;
    }
    assert!(dropped_mid_transaction > 0, "no attempt was dropped inside its transaction");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Error codes a request may meet when others change the same users at the same time: each is
/// a clear, translated conflict, and nothing of the request was applied.
const CONFLICTS: [&str; 9] = [
    "unknown_users",
    "selection_changed",
    "already_enabled",
    "capacity_exceeded",
    "pool_not_usable",
    "pool_state_unchanged",
    "saved_query_name_taken",
    "saved_query_not_found",
    "busy",
];

/// 2. Twenty operators at once on overlapping users: enable, move, configure, delete, saved
/// queries, pool state. No request fails with a 500; each succeeds or gets a clear conflict;
/// the database is consistent afterwards. On PostgreSQL the operators are spread over two
/// portals (replicas) on the one database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_operators_on_overlapping_users_get_answers_not_faults() {
    let dir = temp_dir("operators");
    let mut config = Config::for_tests();
    config.demo_users = 1_500;
    let url = shared_database(&dir).await;
    let (app, db) = app_on(&url, config.clone()).await;
    let replica = match crate::server::storage::db::engine(&db) {
        crate::server::storage::db::Engine::Postgres => app_on(&url, config).await.0,
        crate::server::storage::db::Engine::Sqlite => app.clone(),
    };
    let pools: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, fqdn FROM pools").fetch_all(&db).await.unwrap();
    let pool = |fqdn: &str| pools.iter().find(|p| p.1 == fqdn).unwrap().0;
    let (pool01, pool02, se01) =
        (pool("pool01.contoso.com"), pool("pool02.contoso.com"), pool("se01.contoso.com"));
    let shared: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM enabled_users WHERE pool_id IN ($1, $2) ORDER BY user_id LIMIT 60",
    )
    .bind(pool01)
    .bind(pool02)
    .fetch_all(&db)
    .await
    .unwrap();
    let candidates: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM directory_users WHERE id NOT IN (SELECT user_id FROM enabled_users)
         AND email <> '' ORDER BY id LIMIT 40",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(shared.len() == 60 && candidates.len() >= 20);
    // Twenty operators with their own accounts: every fifth an Enterprise Administrator.
    for operator in 0..20usize {
        use crate::domain::operator::Role;
        let roles: &[Role] = if operator % 5 == 0 {
            &[Role::EnterpriseAdministrator, Role::UserAdministrator]
        } else {
            &[Role::UserAdministrator]
        };
        crate::server::security::operators::create_operator(
            &db,
            &format!("op{operator}"),
            "Operator",
            "test-password",
            roles,
        )
        .await
        .unwrap();
    }

    let mut tasks = Vec::new();
    for operator in 0..20usize {
        let app = if operator % 2 == 0 { app.clone() } else { replica.clone() };
        let (shared, candidates) = (shared.clone(), candidates.clone());
        tasks.push(tokio::spawn(async move {
            let cookie = sign_in(&app, &format!("op{operator}")).await;
            // Overlapping windows of the same users.
            let window: Vec<i64> = shared.iter().skip(operator * 2).take(12).copied().collect();
            let newcomers: Vec<i64> = candidates.iter().skip(operator).take(3).copied().collect();
            let destination = if operator % 2 == 0 { pool02 } else { pool01 };
            let enable = json!({"options": {"pool": pool01, "source": "email", "sip_domain": null,
                                            "enhanced_presence": false}});
            let mut answers = Vec::new();
            // (preview, its users, options, run, step-up password)
            let operations: Vec<(&str, &[i64], Value, &str, Option<&str>)> = vec![
                (
                    "preview_move",
                    &window,
                    json!({"options": {"destination": destination, "force": false}}),
                    "move_users",
                    None,
                ),
                (
                    "preview_configure",
                    &window,
                    json!({"change": federation(operator % 3 == 0)}),
                    "configure_users",
                    None,
                ),
                ("preview_enable", &newcomers, enable, "enable_users", None),
                (
                    "preview_move",
                    &window,
                    json!({"options": {"destination": pool01 + pool02 - destination, "force": true}}),
                    "move_users",
                    Some("test-password"),
                ),
                ("preview_delete", &window[..3], json!({}), "delete_users", Some("test-password")),
                (
                    "preview_configure",
                    &window,
                    json!({"change": federation(operator % 2 == 0)}),
                    "configure_users",
                    None,
                ),
            ];
            for (preview, users, options, run, password) in operations {
                let (status, text) = operate(&app, &cookie, users, preview, options, run, password).await;
                answers.push((run, status, text));
            }
            let calls: Vec<(&str, Value)> = vec![
                (
                    "save_query",
                    json!({"name": format!("q{}", operator % 4), "search": "q=a", "shared": false}),
                ),
                (
                    "set_pool_state",
                    json!({"pool": se01, "state": if operator % 2 == 0 { "deactivated" } else { "active" }}),
                ),
            ];
            for (endpoint, body) in calls {
                let (status, text) =
                    call(&app, Method::POST, &format!("/api/{endpoint}"), Some(&cookie), &body.to_string())
                        .await;
                answers.push((endpoint, status, text));
            }
            answers
        }));
    }
    let (mut ok, mut conflicts) = (0, 0);
    for task in tasks {
        for (endpoint, status, text) in task.await.unwrap() {
            assert_ne!(status, 500, "{endpoint}: {text}");
            if status == 200 {
                ok += 1;
                continue;
            }
            let code =
                serde_json::from_str::<Value>(&text).ok().and_then(|v| v["code"].as_str().map(String::from));
            let code = code.unwrap_or_else(|| panic!("{endpoint}: {status} {text}"));
            // Only the Enterprise Administrators may change a pool's state.
            let refused_role = code == "forbidden" && endpoint == "set_pool_state";
            assert!(CONFLICTS.contains(&code.as_str()) || refused_role, "{endpoint}: {status} {text}");
            conflicts += 1;
        }
    }
    println!("20 operators: {ok} changes applied, {conflicts} clear conflicts, no fault");
    assert!(ok > 40, "most requests go through ({ok})");
    assert_consistent(&db).await;
    // Every change that was applied is audited, and every audited delete removed its users.
    let deleted_but_enabled = scalar(
        &db,
        "SELECT COUNT(*) FROM audit_event_users u JOIN audit_events a ON a.id = u.event_id
         WHERE a.operation = 'delete_users' AND u.user_id IN (SELECT user_id FROM enabled_users)",
    )
    .await;
    assert_eq!(deleted_but_enabled, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 3. Two hundred wrong passwords at once for one account: attempts are reserved before any
/// password is checked, so no more are verified than the policy allows; none fails with a 500;
/// the account locks; and the right password during the lockout gets the same answer as a
/// wrong one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ins_gets_no_more_guesses_than_the_policy() {
    let dir = temp_dir("burst");
    let mut config = Config::for_tests();
    config.demo_users = 50;
    let (app, db) = app_on(&url_in(&dir), config).await;
    crate::server::security::operators::create_operator(
        &db,
        "burst",
        "Burst target",
        "the-right-password",
        &[crate::domain::operator::Role::HelpDesk],
    )
    .await
    .unwrap();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM operators WHERE username = 'burst'")
        .fetch_one(&db)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let body = format!("username=burst&password=guess-{i}");
                call(&app, Method::POST, "/api/sign_in", None, &body).await
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for task in tasks {
        let (status, text) = task.await.unwrap();
        assert!(status == 401 || status == 429, "{status} {text}");
        *statuses.entry(status).or_default() += 1;
    }
    let verified = crate::server::security::operators::verifications_of(&hash);
    println!("200 parallel wrong passwords: {statuses:?}, {verified} passwords verified");
    assert!((1..=ACCOUNT_THROTTLE.lockout_after).contains(&verified), "{verified} verified");
    let (failures, blocked_until): (i64, i64) = sqlx::query_as(
        "SELECT failures, blocked_until FROM sign_in_throttle WHERE scope = 'account' AND key = 'burst'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(failures >= i64::from(ACCOUNT_THROTTLE.lockout_after), "{failures}");
    assert!(
        blocked_until - crate::server::now() > ACCOUNT_THROTTLE.lockout_seconds - 60,
        "locked for the lockout time"
    );
    // A held-back answer says when to try again, in the body and in the header.
    let held = tower::ServiceExt::oneshot(
        app.clone(),
        request(Method::POST, "/api/sign_in", None, "username=burst&password=again"),
    )
    .await
    .unwrap();
    assert_eq!(held.status(), 429);
    let wait: u64 = held.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(wait > 60, "{wait}");
    // During the lockout the right password is refused exactly like a wrong one, unchecked.
    let right =
        call(&app, Method::POST, "/api/sign_in", None, "username=burst&password=the-right-password").await;
    let wrong = call(&app, Method::POST, "/api/sign_in", None, "username=burst&password=nope").await;
    let code = |text: &str| serde_json::from_str::<Value>(text).unwrap()["code"].clone();
    assert_eq!((right.0, code(&right.1)), (429, json!("too_many_sign_in_attempts")));
    assert_eq!((wrong.0, code(&wrong.1)), (right.0, code(&right.1)));
    assert_eq!(
        crate::server::security::operators::verifications_of(&hash),
        verified,
        "nothing verified during the lockout"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sign-in request as from `peer`, with these `X-Forwarded-For` lines.
fn sign_in_from(peer: &str, forwarded: &[&str], username: &str) -> axum::http::Request<axum::body::Body> {
    let mut request = request(Method::POST, "/api/sign_in", None, &format!("username={username}&password=x"));
    let peer: std::net::SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    for line in forwarded {
        request.headers_mut().append("x-forwarded-for", header::HeaderValue::from_str(line).unwrap());
    }
    request
}

/// 5. Behind a trusted proxy, the client is the right-most address the proxy vouches for: a
/// forged first hop, or a second header line, does not give a client a fresh budget.
#[tokio::test]
async fn forged_forwarded_for_headers_do_not_dodge_the_address_throttle() {
    let mut config = Config::for_tests();
    config.demo_users = 50;
    config.trusted_proxies = crate::server::security::client_address::ProxyNet::LOOPBACK.to_vec();
    let (app, db) =
        super::test_support::app_on(&crate::server::storage::db::test_database().await, config).await;
    let mut held_back_at = None;
    for i in 0..(ADDRESS_THROTTLE.free_failures + 3) {
        // A new name each time (so the name's own count never bites), a new forged first hop
        // each time, and the real client appended by our proxy on a second line.
        let forged = format!("10.9.{}.{}", i / 200, i % 200 + 1);
        let request = sign_in_from("127.0.0.1:40000", &[&forged, "203.0.113.9"], &format!("someone{i}"));
        let (status, _) = send(&app, request).await;
        if status == 429 {
            held_back_at = Some(i + 1);
            break;
        }
    }
    assert_eq!(
        held_back_at,
        Some(ADDRESS_THROTTLE.free_failures + 2),
        "held back right after the free failures"
    );
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM sign_in_throttle WHERE scope = 'address'")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(keys, ["203.0.113.9"]);
    // A client that is not our proxy cannot claim to forward for anyone.
    let (status, _) = send(&app, sign_in_from("198.51.100.4:5000", &["203.0.113.77"], "x")).await;
    assert_eq!(status, 401);
    let direct: i64 =
        scalar(&db, "SELECT COUNT(*) FROM sign_in_throttle WHERE scope = 'address' AND key = '198.51.100.4'")
            .await;
    assert_eq!(direct, 1);
}

/// 6. A flood of failed sign-ins with invented names from one IPv6 /64 writes a bounded number
/// of audit events and throttle rows.
#[tokio::test]
async fn a_flood_of_unknown_names_is_audited_and_counted_within_bounds() {
    let mut config = Config::for_tests();
    config.demo_users = 50;
    let (app, db) =
        super::test_support::app_on(&crate::server::storage::db::test_database().await, config).await;
    let attempts = 300;
    // Failures are audited per wall-clock quarter of an hour: the flood must fall in one (a run
    // that crossed a boundary audited 20 more). Close to the next boundary, wait for it.
    let window = crate::server::security::sign_in_throttle::AUDIT_WINDOW_SECONDS;
    let left = window - crate::server::now().rem_euclid(window);
    if left < 120 {
        tokio::time::sleep(std::time::Duration::from_secs(left as u64 + 1)).await;
    }
    for i in 0..attempts {
        let peer = format!("[2001:db8:1:2::{:x}]:443", i + 1);
        let (status, _) = send(&app, sign_in_from(&peer, &[], &format!("invented-{i}"))).await;
        assert!(status == 401 || status == 429);
    }
    let single = scalar(&db, "SELECT COUNT(*) FROM audit_events WHERE operation = 'sign_in_failed'").await;
    let summaries =
        scalar(&db, "SELECT COUNT(*) FROM audit_events WHERE operation = 'sign_in_failures_repeated'").await;
    let rows = scalar(&db, "SELECT COUNT(*) FROM sign_in_throttle").await;
    println!(
        "{attempts} failed sign-ins from one /64: {single} audited one by one, {summaries} summaries, {rows} throttle rows"
    );
    assert_eq!(single, AUDITED_FAILURES_PER_ADDRESS);
    // Summaries at 40, 80 and 160 failures.
    assert_eq!(summaries, 3);
    // One address row; name rows only for attempts the address was not yet held back for.
    assert!(rows <= i64::from(ADDRESS_THROTTLE.free_failures) + 2, "{rows} throttle rows");
    let last: String = sqlx::query_scalar(
        "SELECT parameters FROM audit_events WHERE operation = 'sign_in_failures_repeated' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let last: Value = serde_json::from_str(&last).unwrap();
    assert_eq!((last["address"].as_str(), last["failures"].as_i64()), (Some("2001:db8:1:2::/64"), Some(160)));
    // Help Desk reads the failures without the names typed; an administrator reads them.
    let helpdesk = sign_in(&app, "helpdesk").await;
    let admin = sign_in(&app, "admin").await;
    let query = json!({"query": {"operator": "", "operation": "sign_in_failed", "from": "", "to": "", "user": "", "page": 1}});
    for (cookie, sees_names) in [(&helpdesk, false), (&admin, true)] {
        let (status, text) =
            call(&app, Method::POST, "/api/list_audit_events", Some(cookie), &query.to_string()).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text.contains("invented-"), sees_names, "{text}");
    }
    let probe = json!({"query": {"operator": "invented", "operation": "", "from": "", "to": "", "user": "", "page": 1}});
    let (_, text) =
        call(&app, Method::POST, "/api/list_audit_events", Some(&helpdesk), &probe.to_string()).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["total"],
        0,
        "a hidden name cannot be found by filtering"
    );
}

/// 7. Resuming a force move, restoring user data and downloading a backup ask for the password
/// again; a wrong or missing one changes nothing. Downloads are audited, and a download link
/// works once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_up_guards_resume_restore_and_backup_download() {
    let dir = temp_dir("step-up");
    let mut config = Config::for_tests();
    config.demo_users = 300;
    config.backup_dir = dir.join("backups");
    let (app, db) = app_on(&url_in(&dir), config).await;
    let admin = sign_in(&app, "admin").await;
    let code =
        |text: &str| serde_json::from_str::<Value>(text).map(|v| v["code"].clone()).unwrap_or_default();

    // An interrupted force move.
    let users: Vec<crate::domain::user::UserId> = sqlx::query_scalar(
        "SELECT user_id FROM enabled_users e JOIN pools p ON p.id = e.pool_id
                            WHERE p.fqdn = 'pool01.contoso.com' LIMIT 5",
    )
    .fetch_all(&db)
    .await
    .unwrap()
    .into_iter()
    .map(crate::domain::user::UserId)
    .collect();
    let destination: i64 = scalar(&db, "SELECT id FROM pools WHERE fqdn = 'pool02.contoso.com'").await;
    let operator = crate::server::operations::moves::tests::operator();
    let job = crate::server::operations::moves::tests::create_job(
        &db,
        &operator,
        &users,
        crate::domain::pool::PoolId(destination),
        true,
    )
    .await
    .unwrap();
    crate::server::jobs::recover(&db, crate::server::Config::for_tests().jobs).await.unwrap();
    let before = snapshot(&db).await;
    for body in [json!({"job": job}), json!({"job": job, "password": "wrong"})] {
        let (status, text) =
            call(&app, Method::POST, "/api/resume_job", Some(&admin), &body.to_string()).await;
        assert_eq!((status, code(&text)), (403, json!("step_up_failed")), "{body}");
    }
    let after = snapshot(&db).await;
    assert_eq!(after["jobs"], before["jobs"], "the job did not resume");
    let body = json!({"job": job, "password": "test-password"});
    assert_eq!(call(&app, Method::POST, "/api/resume_job", Some(&admin), &body.to_string()).await.0, 200);

    // Restoring user data.
    let data = crate::server::operations::user_data::load(&db, &users[..1]).await.unwrap();
    let mut data = data;
    data[0].contacts.push(crate::domain::user_data::ContactItem {
        uri: "restored@fabrikam.com".into(),
        display_name: "Restored".into(),
        group: None,
    });
    let xml = crate::server::operations::user_data::to_xml(&data, "admin", crate::server::now()).unwrap();
    let restored = "SELECT COUNT(*) FROM contacts WHERE contact_uri = 'restored@fabrikam.com'";
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/import_user_data",
        Some(&admin),
        &json!({"file": xml, "password": "wrong"}).to_string(),
    )
    .await;
    assert_eq!((status, code(&text)), (403, json!("step_up_failed")));
    assert_eq!(scalar(&db, restored).await, 0);
    let (status, _) =
        call(&app, Method::POST, "/api/import_user_data", Some(&admin), &json!({"file": xml}).to_string())
            .await;
    assert_eq!(status, 400, "no password, no import");
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/import_user_data",
        Some(&admin),
        &json!({"file": xml, "password": "test-password"}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(scalar(&db, restored).await, 1);

    // Downloading a backup: a ticket from a password confirmation, used once.
    let (status, text) = call(&app, Method::POST, "/api/back_up_database", Some(&admin), "{}").await;
    assert_eq!(status, 200, "{text}");
    let file = serde_json::from_str::<Value>(&text).unwrap()["name"].as_str().unwrap().to_string();
    let path = format!("/exports/backups/{file}");
    assert_eq!(call(&app, Method::GET, &path, Some(&admin), "").await.0, 403, "no ticket");
    let ask = |password: &str| json!({"file": file, "password": password}).to_string();
    let (status, text) =
        call(&app, Method::POST, "/api/authorize_backup_download", Some(&admin), &ask("wrong")).await;
    assert_eq!((status, code(&text)), (403, json!("step_up_failed")));
    let (status, text) =
        call(&app, Method::POST, "/api/authorize_backup_download", Some(&admin), &ask("test-password")).await;
    assert_eq!(status, 200, "{text}");
    let ticket: String = serde_json::from_str(&text).unwrap();
    let useradmin = sign_in(&app, "useradmin").await;
    let with_ticket = format!("{path}?ticket={ticket}");
    assert_eq!(
        call(&app, Method::GET, &with_ticket, Some(&useradmin), "").await.0,
        403,
        "not someone else's"
    );
    let (status, body) = call(&app, Method::GET, &with_ticket, Some(&admin), "").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("SQLite format 3"));
    assert_eq!(call(&app, Method::GET, &with_ticket, Some(&admin), "").await.0, 403, "used once");
    // Exports are audited too.
    let (status, _) = call(&app, Method::GET, "/exports/audit.csv", Some(&admin), "").await;
    assert_eq!(status, 200);
    let downloads: Vec<String> = sqlx::query_scalar(
        "SELECT parameters ->> '$.kind' FROM audit_events WHERE operation = 'download' ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(downloads, ["backup", "audit_csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 8. Over https the session cookie carries the `__Host-` prefix (Secure, Path=/, no Domain),
/// and that is the cookie the portal reads.
#[tokio::test]
async fn the_session_cookie_is_host_prefixed_over_https() {
    let mut config = Config::for_tests();
    config.demo_users = 50;
    config.public_origin = Some("https://uc.contoso.com".into());
    let (app, _) =
        super::test_support::app_on(&crate::server::storage::db::test_database().await, config).await;
    let response = tower::ServiceExt::oneshot(
        app.clone(),
        request(Method::POST, "/api/sign_in", None, "username=admin&password=test-password"),
    )
    .await
    .unwrap();
    let cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-uc_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("; Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(call(&app, Method::POST, "/api/pool_tree", Some(pair), "{}").await.0, 200);
    let token = pair.split_once('=').unwrap().1;
    let unprefixed = format!("uc_session={token}");
    assert_eq!(call(&app, Method::POST, "/api/pool_tree", Some(&unprefixed), "{}").await.0, 401);
}

/// Waits for a job to stop, and returns its final state.
async fn finished(db: &AnyPool, job: crate::domain::jobs::JobId) -> crate::domain::jobs::Job {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let loaded = crate::server::jobs::load(db, job).await.unwrap();
        if loaded.state != JobState::Running {
            return loaded;
        }
        assert!(Instant::now() < deadline, "job {job} did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 10. Deleting or configuring more users than the job threshold runs as a job of committed
/// chunks: the request answers at once with the job, other writers get the lock between
/// chunks, and every user ends up processed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_deletes_and_configurations_run_as_jobs_of_short_transactions() {
    let dir = temp_dir("bulk-jobs");
    let mut config = Config::for_tests();
    config.demo_users = 6_000;
    config.jobs.threshold = 100;
    config.jobs.chunk = 200;
    let (app, db) = app_on(&url_in(&dir), config).await;
    let cookie = sign_in(&app, "useradmin").await;
    let configurable: Vec<i64> = sqlx::query_scalar(
        "SELECT e.user_id FROM enabled_users e JOIN pools p ON p.id = e.pool_id ORDER BY e.user_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let count = configurable.len() as u64;
    let change = json!({"change": federation(true)});
    let (status, text) =
        operate(&app, &cookie, &configurable, "preview_configure", change, "configure_users", None).await;
    assert_eq!(status, 200, "{text}");
    let job: crate::domain::jobs::JobId =
        serde_json::from_value(serde_json::from_str::<Value>(&text).unwrap()["job"].clone()).expect("a job");
    // While the job runs, other operators' writes keep going through.
    let mut longest = Duration::ZERO;
    for i in 0..20 {
        let started = Instant::now();
        let save = json!({"name": format!("during {i}"), "search": "q=b", "shared": false}).to_string();
        assert_eq!(call(&app, Method::POST, "/api/save_query", Some(&cookie), &save).await.0, 200);
        longest = longest.max(started.elapsed());
    }
    let configured = finished(&db, job).await;
    println!("configure job of {count} users: the longest concurrent write waited {longest:?}");
    assert!(longest < Duration::from_secs(3), "a write waited {longest:?}: a chunk held the lock too long");
    assert_eq!(
        (configured.state, configured.done, configured.moved + configured.refused),
        (JobState::Completed, count, count)
    );
    let skipped = scalar(
        &db,
        "SELECT COUNT(*) FROM enabled_users e JOIN pools p ON p.id = e.pool_id
                               WHERE p.version <> 'ocs2007r2' OR p.state <> 'active'",
    )
    .await as u64;
    assert_eq!(configured.refused, skipped, "earlier versions and unassigned users are skipped");
    let unchanged = scalar(
        &db,
        "SELECT COUNT(*) FROM enabled_users e JOIN pools p ON p.id = e.pool_id
                                 WHERE p.version = 'ocs2007r2' AND p.state = 'active' AND NOT e.federation",
    )
    .await;
    assert_eq!(unchanged, 0);

    // Delete a third of them as a job; meanwhile a tenth are deleted by someone else first.
    let doomed: Vec<i64> = configurable.iter().step_by(3).copied().collect();
    let early: Vec<i64> = doomed.iter().rev().take(50).copied().collect();
    let delete = async |users: &[i64]| {
        operate(&app, &cookie, users, "preview_delete", json!({}), "delete_users", Some("test-password"))
            .await
    };
    let (status, text) = delete(&doomed).await;
    assert_eq!(status, 200, "{text}");
    let job: crate::domain::jobs::JobId =
        serde_json::from_value(serde_json::from_str::<Value>(&text).unwrap()["job"].clone()).expect("a job");
    // Whoever comes second finds them gone: at the preview, or as a change since it.
    let (status, text) = delete(&early).await;
    let gone = (status == 400 && text.contains("unknown_users"))
        || (status == 409 && text.contains("selection_changed"));
    assert!(status == 200 || gone, "{status} {text}");
    let deleted = finished(&db, job).await;
    assert_eq!((deleted.state, deleted.done), (JobState::Completed, doomed.len() as u64));
    let left = scalar(
        &db,
        &format!(
            "SELECT COUNT(*) FROM enabled_users WHERE user_id IN ({})",
            doomed.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
    )
    .await;
    assert_eq!(left, 0, "every user of the job is gone, whoever deleted it");
    assert_eq!(deleted.moved + deleted.refused, doomed.len() as u64);
    let lines =
        crate::server::jobs::lines(&db, job, crate::domain::jobs::JobLineFilter::Moved, 1).await.unwrap();
    assert_eq!(lines.total, deleted.moved);
    assert!(lines.items.iter().all(|l| l.outcome == crate::domain::jobs::JobUserOutcome::Deleted));
    let audited = scalar(
        &db,
        &format!(
            "SELECT COUNT(*) FROM audit_event_users u JOIN jobs j ON j.event_id = u.event_id
         WHERE j.id = {} AND u.outcome = 'deleted' AND u.sip_uri LIKE 'sip:%'",
            job.0
        ),
    )
    .await;
    assert_eq!(audited as u64, deleted.moved, "each deleted user audited with its SIP URI");
    assert_consistent(&db).await;
    let _ = std::fs::remove_dir_all(&dir);
}

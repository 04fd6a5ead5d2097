//! UC Admin as a service, through the real binary: the command line (help, version, exit
//! codes), configuration refused before anything starts, the probes and metrics, the request
//! log, and a SIGTERM during a 100,000-user move — exit 0 within the bound, the job suspended
//! after a committed chunk, resumed by the next start and completed, no user lost or half moved.
#![cfg(feature = "ssr")]

mod common;

use common::{BINARY, Server, TempDir};
use serde_json::{Value, json};
use sqlx::{Connection, SqliteConnection};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const PASSWORD: &str = "service-test-password";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BINARY);
    command.args(args).env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help_the_version_names_the_commit_and_usage_errors_exit_2() {
    for command in [
        &[][..],
        &["serve"],
        &["generate"],
        &["sync-directory"],
        &["backup"],
        &["config"],
        &["config", "check"],
        &["config", "example"],
    ] {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let output = run(&args, &[]);
        let (out, err) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(out.contains("Usage: uc-admin"), "{args:?}: {out}");
        // The environment variable of each setting is in the help (lines wrap anywhere).
        let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("[env: UC_ADMIN_DATABASE_URL=]"), "{args:?}: {out}");
    }
    let (version, _) = text(&run(&["--version"], &[]));
    assert!(version.starts_with(&format!("uc-admin {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
    for wrong in [&["bogus"][..], &["generate"], &["generate", "--users", "0"], &["backup", "--too", "x"]] {
        let output = run(wrong, &[]);
        assert_eq!(output.status.code(), Some(2), "{wrong:?}: {}", text(&output).1);
    }
}

#[test]
fn a_bad_configuration_is_refused_naming_the_key_and_nothing_starts() {
    let dir = TempDir::new(&format!("uc-admin-config-test-{}", std::process::id()));
    let port = common::free_port();
    let database = dir.path().join("never.db");
    let url = format!("sqlite://{}", database.display());
    let file = dir.path().join("uc-admin.toml");
    let listen = format!("127.0.0.1:{port}");
    let cases: [(&str, &[(&str, &str)], &str); 6] = [
        ("[jobs]\nchunks = 5\n", &[], "unknown field `chunks`"),
        ("[jobs]\nchunk = \"many\"\n", &[], "line 2"),
        ("[surver]\nlisten = \"127.0.0.1:1\"\n", &[], "unknown field `surver`"),
        ("[jobs]\nchunk = 0\n", &[], "jobs.chunk: must be 1 to 50000 users, not 0"),
        ("", &[("UC_ADMIN_PUBLIC_ORIGIN", "ftp://uc.contoso.com")], "server.public_origin"),
        ("[server]\ntrusted_proxies = [\"10.0.0.0/99\"]\n", &[], "server.trusted_proxies"),
    ];
    for (contents, env, expected) in cases {
        std::fs::write(&file, contents).unwrap();
        let mut all_env = vec![("UC_ADMIN_DATABASE_URL", url.as_str()), ("UC_ADMIN_LISTEN", listen.as_str())];
        all_env.extend_from_slice(env);
        for args in [
            &["--config", file.to_str().unwrap(), "config", "check"][..],
            &["--config", file.to_str().unwrap()],
        ] {
            let output = run(args, &all_env);
            let (_, err) = text(&output);
            assert_eq!(output.status.code(), Some(78), "{contents:?} {args:?}: {err}");
            assert!(err.contains(expected), "{contents:?}: {err}");
        }
    }
    // The server refused before opening the database or listening.
    assert!(!database.exists());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    // A missing file is an error too, naming it.
    let output = run(&["--config", "/nonexistent/uc-admin.toml", "config", "check"], &[]);
    assert_eq!(output.status.code(), Some(78));
    assert!(text(&output).1.contains("/nonexistent/uc-admin.toml"));
}

#[test]
fn flags_beat_the_environment_which_beats_the_file_and_secrets_are_masked() {
    let dir = TempDir::new(&format!("uc-admin-precedence-test-{}", std::process::id()));
    let file = dir.path().join("uc-admin.toml");
    std::fs::write(
        &file,
        "[jobs]\nthreshold = 11\nchunk = 22\npause_ms = 33\n[demo]\npassword = \"file-secret-1\"\n\
         [directory]\nurl = \"ldap://127.0.0.1:1389\"\nbase_dn = \"dc=contoso,dc=com\"\npassword = \"file-secret-2\"\n",
    )
    .unwrap();
    let output = run(
        &["--config", file.to_str().unwrap(), "--job-chunk", "44", "config", "check"],
        &[
            ("UC_ADMIN_MOVE_JOB_CHUNK", "55"),
            ("UC_ADMIN_MOVE_JOB_PAUSE_MS", "66"),
            ("UC_ADMIN_LDAP_PASSWORD", "env-secret-3"),
        ],
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let effective: toml::Table = toml::from_str(out.split_once('\n').unwrap().1).unwrap();
    let jobs = &effective["jobs"];
    // threshold from the file, pause from the environment, chunk from the flag.
    assert_eq!(
        (jobs["threshold"].as_integer(), jobs["pause_ms"].as_integer(), jobs["chunk"].as_integer()),
        (Some(11), Some(66), Some(44))
    );
    assert_eq!(effective["demo"]["password"].as_str(), Some("********"));
    assert_eq!(effective["directory"]["password"].as_str(), Some("********"));
    for secret in ["file-secret-1", "file-secret-2", "env-secret-3"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{secret} printed");
    }
    // The documented example is a valid configuration.
    let example = dir.path().join("example.toml");
    std::fs::write(&example, text(&run(&["config", "example"], &[])).0).unwrap();
    let output = run(&["--config", example.to_str().unwrap(), "config", "check"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
}

fn start(dir: &TempDir, extra: &[(&str, String)]) -> Server {
    let mut env = vec![
        ("UC_ADMIN_DATABASE_URL", format!("sqlite://{}/service.db", dir.path().display())),
        ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.to_string()),
        ("UC_ADMIN_DEMO_USERS", "300".to_string()),
    ];
    env.extend(extra.iter().cloned());
    Server::start(common::free_port(), &env)
}

#[test]
fn probes_metrics_and_one_json_log_line_per_request() {
    let dir = TempDir::new(&format!("uc-admin-probes-test-{}", std::process::id()));
    let metrics_port = common::free_port();
    let mut server = start(
        &dir,
        &[
            ("UC_ADMIN_LOG_FORMAT", "json".into()),
            ("RUST_LOG", "info".into()),
            ("UC_ADMIN_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}")),
        ],
    );
    let port = server.port;
    let health = common::http(port, "GET", "/healthz", &[], "");
    assert_eq!((health.status, health.body.as_str()), (200, r#"{"status":"alive"}"#));
    let ready = common::http(port, "GET", "/readyz", &[], "");
    assert_eq!(ready.status, 200, "{}", ready.body);
    let ready: Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(
        ready,
        json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok", "jobs": "ok"}})
    );

    let signed_in = common::sign_in(port, "useradmin", PASSWORD);
    let cookie = common::session_cookie(&signed_in);
    let request_id = signed_in.header("x-request-id").unwrap().to_string();
    let tree = common::post_json(port, &cookie, "org_tree", &json!({}));
    let refused = common::sign_in(port, "useradmin", "wrong-password");
    assert_eq!(refused.status, 401);
    // A script's call with an API token.
    let request = json!({"request": {"name": "probe script", "days": 1, "permissions": ["view_deployment"]}});
    let secret = common::post_json(port, &cookie, "create_api_token", &request)["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {secret}");
    let pools = common::http(port, "GET", "/api/v1/pools", &[("Authorization", bearer.as_str())], "");
    assert_eq!(pools.status, 200, "{}", pools.body);

    // /metrics is on its own address only.
    assert_eq!(common::http(port, "GET", "/metrics", &[], "").status, 404);
    let scrape = common::http(metrics_port, "GET", "/metrics", &[], "");
    assert_eq!(scrape.status, 200);
    assert!(scrape.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    let metrics = scrape.body;
    for expected in [
        r#"uc_admin_http_requests_total{method="POST",route="/api/sign_in",status="200"} 1"#,
        r#"uc_admin_http_requests_total{method="POST",route="/api/sign_in",status="401"} 1"#,
        r#"uc_admin_http_requests_total{method="POST",route="/api/org_tree",status="200"} 1"#,
        r#"uc_admin_http_requests_total{method="GET",route="/readyz",status="200"} 1"#,
        r#"uc_admin_http_requests_total{method="GET",route="/api/v1/pools",status="200"} 1"#,
        r#"uc_admin_server_function_errors_total{function="/api/sign_in",status="401"} 1"#,
        r#"uc_admin_sign_in_failures_total{reason="invalid"} 1"#,
        r#"uc_admin_http_request_duration_seconds_count{method="POST",route="/api/org_tree",status="200"} 1"#,
        r#"uc_admin_jobs{state="running"} 0"#,
        r#"uc_admin_sign_in_lockouts{scope="account"} 0"#,
        "uc_admin_database_connections{state=\"in_use\"}",
        &format!("uc_admin_build_info{{version=\"{}\",commit=", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(metrics.contains(expected), "{expected} missing from\n{metrics}");
    }
    // Nothing about the people: no SIP URI, no user name typed, no password.
    assert!(!metrics.contains('@') && !metrics.contains("useradmin") && !metrics.contains(PASSWORD));

    let (status, _) = server.terminate(Duration::from_secs(30)).expect("exits after SIGTERM");
    assert_eq!(status.code(), Some(0));
    let log = server.log_text();
    let lines: Vec<Value> = log.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["fields"]["message"] == "request").collect();
    let sign_in =
        requests.iter().find(|l| l["fields"]["request_id"] == request_id.as_str()).expect("the sign-in line");
    assert_eq!(sign_in["fields"]["route"], "/api/sign_in");
    assert_eq!(sign_in["fields"]["status"], 200);
    assert!(sign_in["fields"]["duration_ms"].as_f64().is_some());
    let tree_line = requests.iter().find(|l| l["fields"]["route"] == "/api/org_tree").expect("the tree line");
    assert!(tree_line["fields"]["operator"].as_i64().is_some(), "{tree_line}");
    let api_line = requests.iter().find(|l| l["fields"]["route"] == "/api/v1/pools").expect("the API line");
    assert_eq!(api_line["fields"]["api_token"], "probe script", "{api_line}");
    assert_eq!(api_line["fields"]["operator"], tree_line["fields"]["operator"]);
    assert!(!log.contains(&secret), "the token's secret is never logged");
    assert!(tree.is_object() || tree.is_array());
    // Probes are not logged at info; no password or SIP URI is.
    assert!(!requests.iter().any(|l| l["fields"]["route"] == "/healthz"));
    assert!(!log.contains(PASSWORD) && !log.contains("wrong-password") && !log.contains("sip:"), "{log}");
    assert!(lines.iter().any(|l| l["fields"]["message"] == "stopped cleanly"));
}

const MOVERS: i64 = 100_000;

#[test]
fn sigterm_during_a_100000_user_move_exits_0_and_the_next_start_finishes_the_job() {
    let dir = TempDir::new(&format!("uc-admin-sigterm-test-{}", std::process::id()));
    let url = format!("sqlite://{}/service.db", dir.path().display());
    let output = run(
        &["generate", "--users", "500"],
        &[("UC_ADMIN_DATABASE_URL", url.as_str()), ("UC_ADMIN_DEMO_PASSWORD", PASSWORD)],
    );
    assert!(output.status.success(), "{}", text(&output).1);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (from, to) = rt.block_on(async {
        let mut conn = SqliteConnection::connect(&url).await.unwrap();
        // 100,000 more users on pool02 (its own go to pool01 first), room for all on pool01.
        sqlx::raw_sql(&format!(
            "BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MOVERS})
             INSERT INTO directory_users (id, object_guid, display_name, given_name, surname, sam_account_name,
                                          user_principal_name, email, container)
             SELECT 10000000 + i, printf('00000000-0000-4000-8000-%012d', i), printf('Load Tester %06d', i), 'Load',
                    printf('Tester %06d', i), printf('load%06d', i), printf('load%06d@contoso.com', i),
                    printf('load%06d@contoso.com', i), 'OU=Seattle,OU=Users,DC=contoso,DC=com'
             FROM n;
             UPDATE enabled_users SET pool_id = (SELECT id FROM pools WHERE fqdn = 'pool01.contoso.com')
               WHERE pool_id = (SELECT id FROM pools WHERE fqdn = 'pool02.contoso.com');
             INSERT INTO enabled_users (user_id, sip_uri, pool_id)
               SELECT id, printf('load%06d@contoso.com', id - 10000000), (SELECT id FROM pools WHERE fqdn = 'pool02.contoso.com')
               FROM directory_users WHERE id > 10000000;
             UPDATE pools SET capacity = 1000000 WHERE fqdn IN ('pool01.contoso.com', 'pool02.contoso.com');
             COMMIT;"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let id = |fqdn: &'static str| sqlx::query_scalar::<_, i64>("SELECT id FROM pools WHERE fqdn = $1").bind(fqdn);
        let from = id("pool02.contoso.com").fetch_one(&mut conn).await.unwrap();
        let to = id("pool01.contoso.com").fetch_one(&mut conn).await.unwrap();
        (from, to)
    });
    // Chunks of 500 with a pause: the move takes about ten seconds, so the SIGTERM lands in it.
    let settings = [
        ("UC_ADMIN_DATABASE_URL", url.clone()),
        ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.to_string()),
        ("UC_ADMIN_MOVE_JOB_CHUNK", "500".to_string()),
        ("UC_ADMIN_MOVE_JOB_PAUSE_MS", "40".to_string()),
        ("UC_ADMIN_SHUTDOWN_TIMEOUT", "20".to_string()),
    ];
    let mut server = Server::start(common::free_port(), &settings);
    let port = server.port;
    let cookie = common::session_cookie(&common::sign_in(port, "useradmin", PASSWORD));
    let node = json!({"node": {"node": format!("pool-{from}"), "filter": ""}});
    let selection = common::post_json(port, &cookie, "select_users", &json!({"source": {"users": node}}));
    assert_eq!(selection["count"].as_i64(), Some(MOVERS));
    let preview = common::post_json(
        port,
        &cookie,
        "preview_move",
        &json!({"selection": selection["id"], "options": {"destination": to, "force": false}}),
    );
    let started = common::post_json(port, &cookie, "move_users", &json!({"token": preview["token"]}));
    let job = started["job"].as_i64().unwrap_or_else(|| panic!("a job: {started}"));
    let job_row = async |conn: &mut SqliteConnection| -> (String, i64, i64, bool) {
        sqlx::query_as("SELECT state, done, moved, resume_at_start FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(conn)
            .await
            .unwrap()
    };
    let on_destination = async |conn: &mut SqliteConnection| -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1 AND user_id > 10000000")
            .bind(to)
            .fetch_one(conn)
            .await
            .unwrap()
    };
    // Well into the move, then SIGTERM.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view =
            common::post_json(port, &cookie, "get_job", &json!({"job": job, "filter": "all", "page": 1}));
        if view["job"]["done"].as_i64().unwrap_or(0) >= 10_000 {
            break;
        }
        assert!(Instant::now() < deadline, "the move did not progress: {view}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, took) = server.terminate(Duration::from_secs(20)).expect("exits within the shutdown bound");
    assert_eq!(status.code(), Some(0), "{}", server.log_text());
    assert!(took < Duration::from_secs(20));
    let (state, done, moved, resume) = rt.block_on(async {
        let mut conn = SqliteConnection::connect(&url).await.unwrap();
        let row = job_row(&mut conn).await;
        // Exactly the users the job says it processed are on the destination: the chunk in hand
        // committed whole, nothing after it started.
        assert_eq!(on_destination(&mut conn).await, row.2, "moved users vs the job's count");
        row
    });
    assert_eq!((state.as_str(), resume), ("interrupted", true));
    assert!(done > 0 && done < MOVERS && done % 500 == 0, "stopped between chunks: {done}");
    assert_eq!(moved, done);

    // The next start resumes the job by itself, and it completes.
    let restarted = Instant::now();
    let server = Server::start(common::free_port(), &settings);
    let deadline = Instant::now() + Duration::from_secs(120);
    let finished = rt.block_on(async {
        let mut conn = SqliteConnection::connect(&url).await.unwrap();
        loop {
            let row = job_row(&mut conn).await;
            if row.0 != "running" {
                break (row, on_destination(&mut conn).await);
            }
            assert!(Instant::now() < deadline, "the resumed job did not finish: {row:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    assert_eq!(finished, (("completed".to_string(), MOVERS, MOVERS, false), MOVERS));
    println!(
        "SIGTERM at {done} of {MOVERS} users: exit code 0 after {} ms; restarted, the job finished the other {} users in {:.1} s",
        took.as_millis(),
        MOVERS - done,
        restarted.elapsed().as_secs_f64()
    );
    let resumed_by: String = rt.block_on(async {
        let mut conn = SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT operator_name FROM audit_events WHERE operation = 'move_job_resume' ORDER BY id DESC LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert_eq!(resumed_by, "service restart");
    drop(server);
}

#[test]
fn a_new_database_is_a_company_deployment_served_only_after_init_and_the_demo_says_so() {
    let dir = TempDir::new(&format!("uc-admin-company-test-{}", std::process::id()));
    let url = format!("sqlite://{}/company.db", dir.path().display());
    let company = [("UC_ADMIN_DATABASE_URL", url.as_str()), ("UC_ADMIN_DEMO", "0")];
    // Not served without an Enterprise Administrator; nothing generated.
    let output = run(&[], &company);
    assert_eq!(output.status.code(), Some(78));
    assert!(text(&output).1.contains("uc-admin init --admin NAME"), "{}", text(&output).1);
    let count = |table: &str| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let query = format!("SELECT COUNT(*) FROM {table}");
        rt.block_on(async {
            let mut conn = SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, i64>(&query).fetch_one(&mut conn).await.unwrap()
        })
    };
    assert_eq!((count("pools"), count("directory_users"), count("operators")), (0, 0, 0));

    // The first administrator: refusals change nothing.
    let password_file = dir.path().join("password");
    for (password, expected) in
        [("short", "at least 12 characters"), ("my-kakers-password", "must not contain")]
    {
        std::fs::write(&password_file, format!("{password}\n")).unwrap();
        let output =
            run(&["init", "--admin", "kakers", "--password-file", password_file.to_str().unwrap()], &company);
        assert_eq!(output.status.code(), Some(1));
        assert!(text(&output).1.contains(expected), "{}", text(&output).1);
    }
    let output = run(&["init", "--admin", "kakers"], &company);
    assert!(text(&output).1.contains("--password-file"), "no terminal: {}", text(&output).1);
    assert_eq!(count("operators"), 0);
    let mut env = company.to_vec();
    env.push(("UC_ADMIN_ADMIN_PASSWORD", "correct horse battery"));
    let output = run(&["init", "--admin", "kakers", "--display-name", "Kim Akers"], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    assert!(!text(&output).0.contains("correct horse"), "the password is never printed");
    let again = run(&["init", "--admin", "other"], &env);
    assert!(text(&again).1.contains("exists already"), "{}", text(&again).1);
    // --demo never turns it into the demo.
    let output = run(&["serve", "--demo"], &company);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).1.contains("company's deployment"), "{}", text(&output).1);

    // Operators from the command line: a one-time password printed once, a reset, disable, list.
    let add = run(
        &[
            "operator",
            "add",
            "--name",
            "bmiller",
            "--display-name",
            "Ben Miller",
            "--role",
            "user-administrator",
            "--role",
            "help-desk",
        ],
        &company,
    );
    assert_eq!(add.status.code(), Some(0), "{}", text(&add).1);
    let first = text(&add).0.rsplit(' ').next().unwrap().trim().to_string();
    assert_eq!(first.chars().count(), 16, "{}", text(&add).0);
    let taken = run(&["operator", "add", "--name", "BMiller", "--role", "help-desk"], &company);
    assert!(text(&taken).1.contains("exists already"), "{}", text(&taken).1);
    assert_eq!(
        run(&["operator", "add", "--name", "x", "--role", "janitor"], &company).status.code(),
        Some(2)
    );
    let reset = run(&["operator", "reset-password", "bmiller"], &company);
    let second = text(&reset).0.rsplit(' ').next().unwrap().trim().to_string();
    assert!(second.len() == 16 && second != first, "{}", text(&reset).0);
    assert_eq!(run(&["operator", "disable", "bmiller"], &company).status.code(), Some(0));
    assert!(text(&run(&["operator", "reset-password", "nobody"], &company)).1.contains("operator not found"));
    let list = text(&run(&["operator", "list"], &company)).0;
    assert!(
        list.lines().any(|l| l.starts_with("bmiller ") && l.contains("disabled") && l.contains("help_desk")),
        "{list}"
    );
    assert!(
        list.lines().any(|l| l.starts_with("kakers ") && l.contains("enterprise_administrator")),
        "{list}"
    );

    // The topology from a file: a bad line is named and changes nothing, the example imports,
    // importing it again changes nothing, and the export reads back the same.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/topology.example.toml");
    let bad = dir.path().join("bad.toml");
    let body = std::fs::read_to_string(example).unwrap().replace("capacity = 20000", "capacity = 0");
    let line = body.lines().position(|l| l == "capacity = 0").unwrap() + 1;
    std::fs::write(&bad, &body).unwrap();
    let output = run(&["topology", "import", bad.to_str().unwrap()], &company);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains(&format!("line {line}: the capacity must be a whole number")),
        "{}",
        text(&output).1
    );
    assert_eq!(count("pools"), 0);
    let dry = run(&["topology", "import", "--dry-run", example], &company);
    assert!(text(&dry).0.contains("8 would change"), "{}", text(&dry).0);
    assert_eq!(count("pools"), 0, "a dry run changes nothing");
    let imported = run(&["topology", "import", example], &company);
    assert_eq!(imported.status.code(), Some(0), "{}", text(&imported).1);
    assert!(
        text(&imported).0.contains("+ pool            pool01.dublin.contoso.com"),
        "{}",
        text(&imported).0
    );
    let again = run(&["topology", "import", example], &company);
    assert!(text(&again).0.contains("nothing to change"), "{}", text(&again).0);
    let exported = dir.path().join("exported.toml");
    std::fs::write(&exported, text(&run(&["topology", "export"], &company)).0).unwrap();
    let round = run(&["topology", "import", exported.to_str().unwrap()], &company);
    assert!(text(&round).0.contains("nothing to change"), "{}", text(&round).0);
    assert_eq!(count("pools"), 4);

    // Served now: the administrator signs in to a deployment without the demo badge.
    let server = Server::start(
        common::free_port(),
        &[("UC_ADMIN_DATABASE_URL", url.clone()), ("UC_ADMIN_DEMO", "0".into())],
    );
    let cookie = common::session_cookie(&common::sign_in(server.port, "kakers", "correct horse battery"));
    let kind = common::post_json(server.port, &cookie, "deployment_kind", &json!({}));
    assert_eq!(kind, json!("company"));
    let page = common::http(server.port, "GET", "/browse/forest", &[("Cookie", &cookie)], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Kim Akers") && !page.body.contains("demo-badge"));
    // The disabled operator cannot sign in; enabled again, they are sent to choose a password.
    assert_eq!(common::sign_in(server.port, "bmiller", &second).status, 401);
    assert_eq!(run(&["operator", "enable", "bmiller"], &company).status.code(), Some(0));
    let newcomer = common::sign_in(server.port, "bmiller", &second);
    assert_eq!(newcomer.status, 200);
    let cookie = common::session_cookie(&newcomer);
    let refused =
        common::http(server.port, "POST", "/api/org_tree", &[common::JSON, ("Cookie", &cookie)], "{}");
    assert_eq!((refused.status, refused.body.as_str()), (403, r#"{"code":"password_change_required"}"#));
    drop(server);

    // The demo's database: init is refused, and every console page carries the badge.
    let demo = start(&dir, &[]);
    let cookie = common::session_cookie(&common::sign_in(demo.port, "useradmin", PASSWORD));
    let page = common::http(demo.port, "GET", "/browse/forest", &[("Cookie", &cookie)], "");
    assert!(page.body.contains(r#"data-testid="demo-badge""#), "{}", page.body);
    let demo_url = format!("sqlite://{}/service.db", dir.path().display());
    let output = run(
        &["init", "--admin", "kakers"],
        &[("UC_ADMIN_DATABASE_URL", &demo_url), ("UC_ADMIN_ADMIN_PASSWORD", "correct horse battery")],
    );
    assert!(text(&output).1.contains("demo deployment"), "{}", text(&output).1);
}

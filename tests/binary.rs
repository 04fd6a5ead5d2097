//! Starts the real `uc-admin` binary on a fresh database and talks HTTP to it: the session
//! gate, the cookie attributes, the redirect of signed-out pages and the language choice.
#![cfg(feature = "ssr")]

mod common;

use common::{FORM, Response, session_cookie};

const PASSWORD: &str = "binary-test-password";

// Fields drop in order: the process is killed before its directory is removed.
struct Server {
    port: u16,
    _process: common::Server,
    _dir: common::TempDir,
}

fn start() -> Server {
    let port = common::free_port();
    let dir = common::TempDir::new(&format!("uc-admin-binary-test-{}-{port}", std::process::id()));
    let process = common::Server::start(
        port,
        &[
            ("UC_ADMIN_DATABASE_URL", format!("sqlite://{}/test.db", dir.path().display())),
            ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.to_string()),
            ("UC_ADMIN_DEMO_USERS", "300".to_string()),
        ],
    );
    Server { port, _process: process, _dir: dir }
}

fn http(server: &Server, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    common::http(server.port, method, path, headers, body)
}

fn sign_in(server: &Server, username: &str, password: &str) -> Response {
    common::sign_in(server.port, username, password)
}

#[test]
fn the_real_binary_guards_every_call_with_a_session() {
    let server = start();

    // No session: no data, a clear status and a stable code.
    for (endpoint, body) in
        [("pool_tree", ""), ("current_operator", ""), ("pool_detail", "id=1"), ("user_detail", "id=1")]
    {
        let r = http(&server, "POST", &format!("/api/{endpoint}"), &[FORM], body);
        assert_eq!(r.status, 401, "{endpoint}");
        assert_eq!(r.body, r#"{"code":"unauthenticated"}"#, "{endpoint}");
    }
    // A browser navigation (Accept: text/html) to a console page is redirected to sign in.
    let page = http(&server, "GET", "/browse/forest", &[("Accept", "text/html")], "");
    assert_eq!(page.status, 302);
    assert_eq!(page.header("location"), Some("/login"));

    // Wrong password: refused without a cookie.
    let refused = sign_in(&server, "helpdesk", "wrong");
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("invalid_credentials"));
    assert!(refused.header("set-cookie").is_none());

    // Right password: an HttpOnly, SameSite=Strict session cookie.
    let accepted = sign_in(&server, "helpdesk", PASSWORD);
    assert!(accepted.status == 302 || accepted.status == 200, "{}", accepted.status);
    let set_cookie = accepted.header("set-cookie").unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http is not marked Secure");
    let cookie = session_cookie(&accepted);

    let tree = http(&server, "POST", "/api/pool_tree", &[FORM, ("Cookie", &cookie)], "");
    assert_eq!(tree.status, 200);
    assert!(tree.body.contains("pool01.contoso.com"));
    let page = http(&server, "GET", "/browse/forest", &[("Cookie", &cookie)], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("pool01.contoso.com"));
    assert!(page.body.contains(r#"lang="en""#));

    // A page of another site cannot use the session: cross-site calls and sign-ins are refused
    // before anything runs; the portal's own pages (same origin) are served.
    let own = format!("http://127.0.0.1:{}", server.port);
    for headers in [
        vec![FORM, ("Cookie", cookie.as_str()), ("Origin", "https://evil.example")],
        vec![FORM, ("Cookie", cookie.as_str()), ("Sec-Fetch-Site", "cross-site")],
    ] {
        let r = http(&server, "POST", "/api/pool_tree", &headers, "");
        assert_eq!((r.status, r.body.as_str()), (403, r#"{"code":"cross_site_request"}"#));
    }
    let forged = http(
        &server,
        "POST",
        "/api/sign_in",
        &[FORM, ("Origin", "https://evil.example")],
        "username=helpdesk&password=x",
    );
    assert_eq!(forged.status, 403);
    let same = http(
        &server,
        "POST",
        "/api/pool_tree",
        &[FORM, ("Cookie", &cookie), ("Origin", &own), ("Sec-Fetch-Site", "same-origin")],
        "",
    );
    assert_eq!(same.status, 200);
    // Every response keeps the portal out of frames and stops content sniffing.
    let login = http(&server, "GET", "/login", &[], "");
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    assert_eq!(login.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(login.header("referrer-policy"), Some("same-origin"));

    // Malformed arguments are a bad request, not a crash.
    let bad = http(&server, "POST", "/api/pool_detail", &[FORM, ("Cookie", &cookie)], "id=abc");
    assert_eq!(bad.status, 400);

    // Signing out ends the session on the server.
    let out = http(&server, "POST", "/api/sign_out", &[FORM, ("Cookie", &cookie)], "");
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let replay = http(&server, "POST", "/api/pool_tree", &[FORM, ("Cookie", &cookie)], "");
    assert_eq!(replay.status, 401);
}

#[test]
fn the_server_renders_the_language_of_the_cookie_or_the_browser() {
    let server = start();
    let french = http(&server, "GET", "/login", &[("Accept-Language", "fr-CH, fr;q=0.9, en;q=0.5")], "");
    assert_eq!(french.status, 200);
    assert!(french.body.contains(r#"lang="fr""#), "{}", &french.body[..300.min(french.body.len())]);
    assert!(french.body.contains("Mot de passe"));
    let german =
        http(&server, "GET", "/login", &[("Cookie", "i18n_pref_locale=de"), ("Accept-Language", "fr")], "");
    assert!(german.body.contains(r#"lang="de""#));
    assert!(german.body.contains("Kennwort"));
    let fallback = http(&server, "GET", "/login", &[("Accept-Language", "ja")], "");
    assert!(fallback.body.contains(r#"lang="en""#));
    let missing = http(&server, "GET", "/no/such/page", &[], "");
    assert_eq!(missing.status, 404);
}

/// The README's backup and restore: `uc-admin backup` while the portal serves (and an operator
/// keeps working), then the documented restore into a fresh place, and the restored portal
/// serves the same deployment to the same operators.
#[test]
fn a_backup_taken_while_serving_restores_into_a_working_portal() {
    let port = common::free_port();
    let dir = common::TempDir::new(&format!("uc-admin-backup-test-{}-{port}", std::process::id()));
    let env = |db: &std::path::Path| {
        vec![
            ("UC_ADMIN_DATABASE_URL", format!("sqlite://{}", db.display())),
            ("UC_ADMIN_DEMO_PASSWORD", PASSWORD.to_string()),
            ("UC_ADMIN_DEMO_USERS", "300".to_string()),
            ("UC_ADMIN_BACKUP_DIR", dir.path().join("backups").display().to_string()),
        ]
    };
    let live = dir.path().join("live.db");
    let mut server = common::Server::start(port, &env(&live));
    let cookie = session_cookie(&common::sign_in(port, "admin", PASSWORD));
    let tree = common::http(port, "POST", "/api/pool_tree", &[FORM, ("Cookie", &cookie)], "");
    assert_eq!(tree.status, 200);

    let output = std::process::Command::new(common::BINARY)
        .arg("backup")
        .envs(env(&live))
        .env("RUST_LOG", "warn")
        .output()
        .expect("uc-admin backup runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    let file = printed.split_whitespace().next().expect("the backup's path").to_string();
    assert!(file.contains("/backups/uc-admin-") && file.ends_with(".db"), "{printed}");
    // The portal kept serving during the backup.
    assert_eq!(common::http(port, "POST", "/api/pool_tree", &[FORM, ("Cookie", &cookie)], "").status, 200);
    server.kill();

    // Restore as README.md says: the backup becomes the database of a portal started on it.
    let restored = dir.path().join("restored.db");
    std::fs::copy(&file, &restored).unwrap();
    let port = common::free_port();
    let _restored = common::Server::start(port, &env(&restored));
    let again = session_cookie(&common::sign_in(port, "admin", PASSWORD));
    let restored_tree = common::http(port, "POST", "/api/pool_tree", &[FORM, ("Cookie", &again)], "");
    assert_eq!(restored_tree.status, 200);
    assert_eq!(restored_tree.body, tree.body, "the same deployment, user for user");
    // What happened before the backup is in the restored audit log (the backup's own record
    // is written after the copy, so it is only in the live database).
    let audit = common::http(
        port,
        "POST",
        "/api/list_audit_events",
        &[common::JSON, ("Cookie", &again)],
        r#"{"query":{"operator":"admin","operation":"sign_in","from":"","to":"","user":"","page":1}}"#,
    );
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(
        audit.body.contains(r#""total":2"#),
        "the sign-in before the backup and the one after: {}",
        audit.body
    );
}

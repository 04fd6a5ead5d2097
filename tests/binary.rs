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

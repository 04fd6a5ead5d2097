//! Starts the real `uc-admin` binary on a fresh database and talks HTTP to it: the session
//! gate, the cookie attributes, the redirect of signed-out pages and the language choice.
#![cfg(feature = "ssr")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "binary-test-password";

struct Server {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn start() -> Server {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("uc-admin-binary-test-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_uc-admin"))
        .env("UC_ADMIN_DATABASE_URL", format!("sqlite://{}/test.db", dir.display()))
        .env("UC_ADMIN_DEMO_PASSWORD", PASSWORD)
        .env("UC_ADMIN_DEMO_USERS", "300")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "uc-admin")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the uc-admin binary starts");
    let server = Server { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

fn http(server: &Server, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.port,
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut raw = Vec::new();
    reader.read_to_end(&mut raw).unwrap();
    let chunked =
        headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(&raw) } else { raw };
    Response { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn sign_in(server: &Server, username: &str, password: &str) -> Response {
    http(server, "POST", "/api/sign_in", &[FORM], &format!("username={username}&password={password}"))
}

fn session_cookie(response: &Response) -> String {
    let set_cookie = response.header("set-cookie").expect("a session cookie");
    set_cookie.split(';').next().unwrap().to_string()
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

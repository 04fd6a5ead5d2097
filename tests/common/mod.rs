//! Shared by the tests that run the real `uc-admin` binary: starting it on a database with
//! environment variables, and raw HTTP/1.1 requests to it.
// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_uc-admin");
pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
pub const JSON: (&str, &str) = ("Content-Type", "application/json");

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory under the system's temporary directory.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running server process, killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Where the server's standard output (its log and banner) goes.
    pub log: PathBuf,
}

impl Server {
    /// Starts `uc-admin` (serve, with the demo deployment) listening on `port` with the extra
    /// environment `env`, and waits until it accepts connections.
    pub fn start(port: u16, env: &[(&str, String)]) -> Server {
        let log_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("server-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("create the server's log file");
        let mut command = Command::new(BINARY);
        command
            .env("UC_ADMIN_LISTEN", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "uc-admin")
            .env("RUST_LOG", "warn")
            // The demo deployment unless a test says otherwise (UC_ADMIN_DEMO=0 in `env`).
            .env("UC_ADMIN_DEMO", "1")
            // The log goes to a file, not /dev/null: on some machines /dev/null is a regular
            // file, and what a server writes there is read back by the next program reading it.
            .stdout(Stdio::from(log))
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("the uc-admin binary starts");
        let mut server = Server { child, port, log: log_path.clone() };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited before listening: {status} (log: {})", log_path.display());
            }
            assert!(Instant::now() < deadline, "the server did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// SIGTERM, as systemd sends it; returns the exit status and how long the process took
    /// to exit (None when it had not exited after `bound`, and is then killed).
    pub fn terminate(&mut self, bound: Duration) -> Option<(std::process::ExitStatus, Duration)> {
        let sent = Instant::now();
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -TERM");
        while sent.elapsed() < bound {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some((status, sent.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
        None
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Writes a request and returns the connection, to read the response from later (or never).
pub fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

/// Reads a whole response; an error when the connection ends first (the server was killed).
pub fn read_response(stream: TcpStream) -> std::io::Result<Response> {
    let broken = |what: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_string());
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status =
        status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| broken("status"))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(broken("headers"));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').ok_or_else(|| broken("header"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut raw = Vec::new();
    reader.read_to_end(&mut raw)?;
    let chunked =
        headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(&raw) } else { raw };
    Ok(Response { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    read_response(send(port, method, path, headers, body)).unwrap()
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

pub fn sign_in(port: u16, username: &str, password: &str) -> Response {
    http(port, "POST", "/api/sign_in", &[FORM], &format!("username={username}&password={password}"))
}

pub fn session_cookie(response: &Response) -> String {
    let set_cookie = response.header("set-cookie").expect("a session cookie");
    set_cookie.split(';').next().unwrap().to_string()
}

/// Calls a server function with a JSON body as a signed-in operator; it must answer 200.
pub fn post_json(port: u16, cookie: &str, endpoint: &str, body: &serde_json::Value) -> serde_json::Value {
    let r = http(port, "POST", &format!("/api/{endpoint}"), &[JSON, ("Cookie", cookie)], &body.to_string());
    assert_eq!(r.status, 200, "{endpoint}: {}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

//! Benchmark: throughput of the release server on loopback, as a browser uses it — the user
//! list server function (`POST /api/list_users`, the browse page's table, encoded as the browser
//! encodes it) and the server-rendered user page (`GET /users/{id}`) — with 16 keep-alive
//! connections for a bounded time each: requests per second, p50 and p99.
//!
//!   scripts/build.sh --release && cargo bench --features ssr --bench load
//!   UC_ADMIN_BENCH_SECONDS=5 UC_ADMIN_BENCH_DEMO_USERS=20000 cargo bench --features ssr --bench load
//!
//! The server is the real binary (`target/release/uc-admin serve --demo`) on a new SQLite file
//! in a temporary folder, with the demo deployment (default 2,000 directory users, the size
//! `scripts/run.sh` starts with); the clients run in this process on one thread, sharing the
//! machine's cores with the server, as they would on a 2-core box.

#[path = "common/http.rs"]
mod http;
#[path = "common/report.rs"]
mod report;

use http::{Connection, Request, percentile};
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use uc_admin::domain::node::NodeId;
use uc_admin::domain::paging::UserQuery;

const CLIENTS: usize = 16;
const PASSWORD: &str = "Bench-Passw0rd!";

/// The server process, stopped (SIGTERM, then killed) when the benchmark ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let seconds: u64 =
        std::env::var("UC_ADMIN_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let demo_users: u32 =
        std::env::var("UC_ADMIN_BENCH_DEMO_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let binary = "target/release/uc-admin";
    assert!(
        std::path::Path::new(binary).exists()
            && std::path::Path::new("target/site/pkg/uc-admin.wasm").exists(),
        "{binary} and target/site: run scripts/build.sh --release first"
    );
    let folder = std::env::temp_dir().join(format!("uc-admin-load-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let port = free_port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = std::fs::File::create(folder.join("server.log")).unwrap();
    let server = Server(
        Command::new(binary)
            .args(["serve", "--demo"])
            .env("UC_ADMIN_DATABASE_URL", format!("sqlite://{}/load.db", folder.display()))
            .env("UC_ADMIN_LISTEN", address.to_string())
            .env("UC_ADMIN_SITE_ROOT", "target/site")
            .env("UC_ADMIN_DEMO_USERS", demo_users.to_string())
            .env("UC_ADMIN_DEMO_PASSWORD", PASSWORD)
            // Info lines for every request would measure the log, not the portal.
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the release server"),
    );
    let started = Instant::now();
    let mut connection = loop {
        if let Ok(stream) = tokio::net::TcpStream::connect(address).await {
            drop(stream);
            break Connection::open(address).await;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the server did not start: see {}",
            folder.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let form = [String::from("Content-Type: application/x-www-form-urlencoded")];
    let (status, head, _) =
        connection.send("POST", "/api/sign_in", &form, &format!("username=admin&password={PASSWORD}")).await;
    assert!(status < 400, "sign-in: {status}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie:"))
        .and_then(|c| c.trim().split(';').next())
        .expect("a session cookie")
        .to_string();
    // The cookie's name as the server wrote it (the header block was lower-cased; values are
    // lower-case hex anyway, the name is what the configuration says).
    let cookie = format!("Cookie: {cookie}");

    // The list as the browse page asks for it: the browser's own encoding of the arguments.
    let arguments = uc_admin::api::ListUsers { node: NodeId::Forest, query: UserQuery::default() };
    let list = Request {
        method: "POST",
        path: "/api/list_users".into(),
        headers: vec![cookie.clone(), form[0].clone(), "Accept: application/json".into()],
        body: serde_qs::to_string(&arguments).unwrap(),
    };
    let (status, _, body) = connection.send(list.method, &list.path, &list.headers, &list.body).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let user = page["items"][0]["id"].as_i64().expect("a user in the list");
    let user_page = Request {
        method: "GET",
        path: format!("/users/{user}"),
        headers: vec![cookie.clone(), "Accept: text/html".into()],
        body: String::new(),
    };
    drop(connection);

    println!(
        "release server, demo deployment of {demo_users} directory users ({} enabled); {CLIENTS} keep-alive connections for {seconds} s each, clients on one thread of the same 2 cores",
        page["total"]
    );
    println!("{:<40} {:>10} {:>10} {:>10} {:>10}", "request", "requests", "req/s", "p50", "p99");
    for (label, call) in
        [("POST /api/list_users (50 a page)", list), ("GET /users/{id} (server-rendered)", user_page)]
    {
        let (times, rate) = http::load(address, CLIENTS, seconds, || {
            let call = call.clone();
            move |_: Option<&[u8]>| call.clone()
        })
        .await;
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        println!(
            "{label:<40} {:>10} {:>10.0} {:>10} {:>10}",
            times.len(),
            rate,
            report::millis(p50),
            report::millis(p99)
        );
        if label.starts_with("POST") {
            report::line(
                "user list server function, 16 clients",
                &format!("{rate:.0} req/s"),
                "≥ 5,000 req/s",
                Some(rate >= 5_000.0),
            );
            report::line(
                "user list server function, p50 / p99",
                &format!("{} / {}", report::millis(p50), report::millis(p99)),
                "—",
                None,
            );
        } else {
            report::at_most("SSR user page p50, 16 clients", p50, Duration::from_millis(5));
            report::line(
                "SSR user page, requests/s and p99",
                &format!("{rate:.0} req/s, p99 {}", report::millis(p99)),
                "—",
                None,
            );
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&folder);
}

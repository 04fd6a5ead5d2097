//! A real PostgreSQL server for the tests that run on both engines: Debian's PostgreSQL
//! (`initdb` + `pg_ctl`) on a free loopback port with its data in a temporary folder, started
//! once per test process and stopped when the process exits. Each test gets a database of its
//! own, so tests run in parallel as they do on SQLite.

use sqlx::{Connection, Executor, PgConnection};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

struct Server {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// The URL of a new, empty database on the test process's PostgreSQL server.
pub(crate) async fn fresh_database() -> String {
    let server = SERVER.get_or_init(start);
    let name = format!("t{}", DATABASES.fetch_add(1, Ordering::Relaxed));
    let mut admin =
        PgConnection::connect(&server.url("postgres")).await.expect("connect to the test PostgreSQL");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    admin.close().await.unwrap();
    server.url(&name)
}

impl Server {
    fn url(&self, database: &str) -> String {
        format!("postgres://uc_admin@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs a PostgreSQL program as the `postgres` system user when the tests run as root
    /// (PostgreSQL refuses to run as root), otherwise as the current user.
    fn command(&self, program: &str) -> Command {
        command(&self.bin, program)
    }
}

fn command(bin: &Path, program: &str) -> Command {
    let program = bin.join(program);
    // SAFETY: geteuid only reads the process's effective user id.
    if unsafe { libc::geteuid() } == 0 {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start() -> Server {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .max()
        .expect("PostgreSQL is not installed: scripts/setup.sh installs Debian's postgresql");
    let dir = std::env::temp_dir().join(format!("uc-admin-postgres-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // SAFETY: geteuid only reads the process's effective user id.
    if unsafe { libc::geteuid() } == 0 {
        let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap();
        assert!(status.success(), "chown the PostgreSQL folder");
    }
    let logs = dir.clone();
    let log = move |name: &str| Stdio::from(std::fs::File::create(logs.join(name)).unwrap());
    let status = command(&bin, "initdb")
        .args(["-U", "uc_admin", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "-D"])
        .arg(dir.join("data"))
        .stdout(log("initdb.log"))
        .stderr(log("initdb.err"))
        .status()
        .unwrap();
    assert!(status.success(), "initdb failed: see {}", dir.join("initdb.err").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server { bin, dir, port };
    // Durability is not under test here: without fsync the tests run several times faster.
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=300",
        server.dir.display()
    );
    let status = server
        .command("pg_ctl")
        .args(["start", "-w", "-t", "60", "-o", &options, "-l"])
        .arg(server.dir.join("postgres.log"))
        .arg("-D")
        .arg(server.dir.join("data"))
        .stdout(log("pg_ctl.log"))
        .stderr(log("pg_ctl.err"))
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl start failed: see {}", server.dir.join("postgres.log").display());
    // SAFETY: registers a plain function to run when the process exits.
    unsafe { libc::atexit(stop) };
    server
}

/// Stops the server and removes its folder when the test process exits, keeping its log as
/// `uc-admin-postgres-last.log` in the temporary folder.
extern "C" fn stop() {
    if let Some(server) = SERVER.get() {
        let _ = server
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(server.dir.join("data"))
            .output();
        // The server's log (every failed statement with its SQL) outlives the folder.
        let _ = std::fs::copy(
            server.dir.join("postgres.log"),
            std::env::temp_dir().join("uc-admin-postgres-last.log"),
        );
        let _ = std::fs::remove_dir_all(&server.dir);
    }
}

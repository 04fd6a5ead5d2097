//! The connection pool, for either engine: SQLite (the embedded default) or PostgreSQL,
//! chosen by the URL's scheme. Queries go through sqlx's `Any` driver and are written once in
//! SQL both engines accept (`$1` placeholders); what differs per engine lives in
//! `storage::dialect`. Migrations are kept per engine (`migrations/sqlite`, `migrations/postgres`).

use crate::domain::AppError;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};

/// The database engine behind a pool, from its URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    /// The engine of an open connection (sqlx names its backends).
    pub fn of(conn: &AnyConnection) -> Engine {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") { Engine::Postgres } else { Engine::Sqlite }
    }

    fn migrator(self) -> Migrator {
        match self {
            Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
        }
    }
}

/// The engine a pool talks to.
pub fn engine(db: &AnyPool) -> Engine {
    Engine::of_url(db.connect_options().database_url.as_str()).unwrap_or(Engine::Sqlite)
}

pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let engine = Engine::of_url(url).ok_or_else(|| {
        sqlx::Error::Configuration(format!("not a sqlite: or postgres:// URL: {url}").into())
    })?;
    let pool = match engine {
        Engine::Sqlite => connect_sqlite(url).await?,
        Engine::Postgres => {
            AnyPoolOptions::new()
                .max_connections(16)
                .after_release(|conn, _| Box::pin(outside_any_transaction(conn)))
                .connect(url)
                .await?
        }
    };
    engine.migrator().run(&pool).await?;
    if engine == Engine::Sqlite {
        // Refreshes planner statistics where they are stale (cheap when they are not).
        sqlx::query("PRAGMA optimize").execute(&pool).await?;
    }
    Ok(pool)
}

async fn connect_sqlite(url: &str) -> Result<AnyPool, sqlx::Error> {
    let in_memory = url.contains(":memory:");
    if let Some(dir) = database_file(url).and_then(|p| p.parent().map(ToOwned::to_owned))
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(&dir).map_err(sqlx::Error::Io)?;
    }
    // The file is created when missing (what `mode=rwc` says), unless the URL asks otherwise.
    let url = if in_memory || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    // Every connection to `sqlite::memory:` is a database of its own, so tests use one
    // connection that lives as long as the pool.
    let pool_options = if in_memory {
        AnyPoolOptions::new().max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None)
    } else {
        AnyPoolOptions::new().max_connections(8)
    };
    pool_options
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // A 64 MiB page cache per connection (SQLite's default is 2 MiB): a move of
                // 100,000 users dirties ~20 MiB of user rows and indexes, and spilling them to
                // the WAL in the middle of the transaction more than doubles its time. Pages are
                // allocated on use.
                conn.execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536",
                )
                .await?;
                if !in_memory {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
        .after_release(|conn, _| Box::pin(outside_any_transaction(conn)))
        .connect(&url)
        .await
}

/// Whether a connection going back to the pool is outside any transaction. A transaction
/// dropped half way has its rollback queued by sqlx; the ping waits for it. Should that
/// rollback have failed (sqlx drops the error of a rollback started by `Drop`), the connection
/// would keep its locks — on SQLite the write lock for everyone. It is closed instead, which
/// ends its transaction.
async fn outside_any_transaction(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    conn.ping().await?;
    let outside = !conn.is_in_transaction();
    if !outside {
        tracing::warn!("a pooled connection was still inside a transaction; it is closed");
        #[cfg(test)]
        eprintln!("a pooled connection was still inside a transaction; it is closed");
    }
    Ok(outside)
}

/// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so concurrent
/// writers queue (up to the busy timeout) instead of reading a snapshot, planning from it and
/// then failing with SQLITE_BUSY when they try to write. The transaction is sqlx's: if it is
/// dropped uncommitted — an error, or a request future dropped because the client went away or
/// a timeout fired — it rolls back before the connection is used again, so no pooled
/// connection ever keeps the write lock.
///
/// On PostgreSQL the same order holds: a transaction-scoped advisory lock, taken first, makes
/// writers — of every portal process on the database — go one at a time, each planning from
/// what the one before committed (READ COMMITTED reads the latest commit at each statement),
/// so "no user in two pools" and every preview's fingerprint hold as on SQLite. A writer that
/// waits longer than SQLite's busy timeout gets the same `busy` answer.
pub async fn write(db: &AnyPool) -> Result<Transaction<'static, Any>, AppError> {
    match engine(db) {
        Engine::Sqlite => Ok(db.begin_with("BEGIN IMMEDIATE").await?),
        Engine::Postgres => {
            let mut tx = db.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
            sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
            Ok(tx)
        }
    }
}

/// The PostgreSQL advisory lock every write transaction holds (an arbitrary number, the same in
/// every process of the portal).
const WRITE_LOCK: i64 = 0x5543_4144_4d49_4e; // "UCADMIN"

/// A read-only transaction: several queries that see one snapshot of the database. It never
/// writes (a transaction that writes must start with `write`), so it takes no lock that
/// another request waits for.
pub async fn read_snapshot(db: &AnyPool) -> Result<Transaction<'static, Any>, AppError> {
    match engine(db) {
        Engine::Sqlite => Ok(db.begin().await?),
        // READ COMMITTED would give each statement a snapshot of its own.
        Engine::Postgres => Ok(db.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?),
    }
}

/// A read transaction that starts only once every write transaction in flight has ended, so
/// that what it reads by increasing id has no hole a later commit could still fill.
///
/// On SQLite writers are one at a time and an `INTEGER PRIMARY KEY` is given out under the
/// write lock, so ids become visible in order anyway. On PostgreSQL a sequence hands out ids
/// before their transactions commit, so id 10 can be visible while id 9 is still uncommitted.
/// Every write transaction holds the portal's write lock (see `write`); taking that lock in
/// shared mode waits for the writer holding it (and those queued before), and a statement run
/// after that sees all they committed: a hole left then is an id whose transaction rolled back,
/// never one still to come. The shared lock is held only for this short read.
pub async fn settled_read(db: &AnyPool) -> Result<Transaction<'static, Any>, AppError> {
    match engine(db) {
        Engine::Sqlite => Ok(db.begin().await?),
        Engine::Postgres => {
            let mut tx = db.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY").await?;
            sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await?;
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
            Ok(tx)
        }
    }
}

/// Runs `work` in a write transaction (see `write`): committed when it succeeds, rolled back
/// when it fails or when this future is dropped half way.
pub async fn in_write<T>(
    db: &AnyPool,
    work: impl AsyncFnOnce(&mut AnyConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    in_write_or_rehearse(db, true, work).await
}

/// Like `in_write`, but with `commit` false the work is done and then rolled back: a preview
/// that runs the very code of the run, so the two cannot disagree.
pub async fn in_write_or_rehearse<T>(
    db: &AnyPool,
    commit: bool,
    work: impl AsyncFnOnce(&mut AnyConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut tx = write(db).await?;
    let result = work(&mut tx).await;
    if commit && result.is_ok() {
        tx.commit().await?;
    } else {
        // Explicitly, so the lock is released before the answer goes out.
        tx.rollback().await?;
    }
    result
}

/// How many of the migrations this build knows are not applied (or failed) in the database:
/// 0 when the schema is the one the code expects.
pub async fn pending_migrations(pool: &AnyPool) -> Result<usize, AppError> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await?;
    Ok(engine(pool).migrator().iter().filter(|m| !applied.contains(&m.version)).count())
}

/// The URL with its password, if it has one, masked: what logs and `config check` show.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((credentials, host)) = rest.split_once('@') else { return url.to_owned() };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:{}@{host}", crate::server::config::MASK),
        None => url.to_owned(),
    }
}

/// The file path of a `sqlite://path?params` URL, if it names a file.
pub(crate) fn database_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.into())
}

/// The database a test runs on: a private in-memory SQLite database, or with
/// `UC_ADMIN_TEST_ENGINE=postgres` a new database on the test process's PostgreSQL server. The
/// test command runs the suite once per engine.
#[cfg(test)]
pub(crate) async fn test_database() -> String {
    match std::env::var("UC_ADMIN_TEST_ENGINE").as_deref() {
        Ok("postgres") => crate::server::test_postgres::fresh_database().await,
        Ok("sqlite") | Err(_) => "sqlite::memory:".to_owned(),
        Ok(other) => panic!("UC_ADMIN_TEST_ENGINE is sqlite or postgres, not {other}"),
    }
}

/// Makes every `event` (`INSERT` or `DELETE`) on `table` fail where `condition` holds (over
/// `NEW` or `OLD`): the fault the tests of all-or-nothing inject half way through a change.
#[cfg(test)]
pub(crate) async fn inject_failure(
    db: &AnyPool,
    name: &str,
    event: &str,
    table: &str,
    condition: Option<&str>,
) {
    let statements = match engine(db) {
        Engine::Sqlite => vec![format!(
            "CREATE TRIGGER {name} BEFORE {event} ON {table} {}
             BEGIN SELECT RAISE(ABORT, 'injected'); END",
            condition.map(|c| format!("WHEN {c}")).unwrap_or_default()
        )],
        Engine::Postgres => vec![
            format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$"
            ),
            format!(
                "CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW {} EXECUTE FUNCTION {name}()",
                condition.map(|c| format!("WHEN ({c})")).unwrap_or_default()
            ),
        ],
    };
    for sql in statements {
        sqlx::query(&sql).execute(db).await.unwrap();
    }
}

/// Takes an injected failure away again.
#[cfg(test)]
pub(crate) async fn remove_failure(db: &AnyPool, name: &str, table: &str) {
    let sql = match engine(db) {
        Engine::Sqlite => format!("DROP TRIGGER {name}"),
        Engine::Postgres => format!("DROP TRIGGER {name} ON {table}"),
    };
    sqlx::query(&sql).execute(db).await.unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every transaction is opened here (`write`, `in_write…`, `read_snapshot`), where it is
    /// sqlx's and rolls back when dropped. A raw `BEGIN` elsewhere would bring back the locked
    /// database after a dropped request.
    #[test]
    fn no_transaction_is_opened_anywhere_else() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        assert!(files.len() > 50);
        let forbidden = ["(\"BEGIN", "\"COMMIT\"", "\"ROLLBACK\"", "\"END\"", ".begin()", "begin_with("];
        let test_only =
            |f: &std::path::Path| f.file_name().is_some_and(|n| n.to_string_lossy().ends_with("_tests.rs"));
        for file in files.iter().filter(|f| !f.ends_with("server/storage/db.rs") && !test_only(f)) {
            let text = std::fs::read_to_string(file).unwrap();
            // Test code may probe the lock from outside with its own connection.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for needle in forbidden {
                assert!(!code.contains(needle), "{} opens a transaction by hand ({needle})", file.display());
            }
        }
    }

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            redacted_url("postgres://uc:s3cret@db.contoso.com/uc"),
            "postgres://uc:********@db.contoso.com/uc"
        );
        assert_eq!(redacted_url("postgres://uc@127.0.0.1:5432/uc"), "postgres://uc@127.0.0.1:5432/uc");
        assert_eq!(redacted_url("sqlite://data/uc-admin.db"), "sqlite://data/uc-admin.db");
        assert_eq!(Engine::of_url("postgresql://x/y"), Some(Engine::Postgres));
        assert_eq!(Engine::of_url("mysql://x/y"), None);
    }

    #[test]
    fn finds_the_file_of_a_url() {
        assert_eq!(database_file("sqlite://data/x.db?mode=rwc"), Some("data/x.db".into()));
        assert_eq!(database_file("sqlite:///tmp/x.db"), Some("/tmp/x.db".into()));
        assert_eq!(database_file("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn migrations_apply_and_foreign_keys_are_enforced() {
        let db = connect("sqlite::memory:").await.unwrap();
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&db).await.unwrap();
        assert_eq!(fk, 1);
        let orphan =
            sqlx::query("INSERT INTO enabled_users (user_id, sip_uri, pool_id) VALUES (1, 'a@b.com', 99)")
                .execute(&db)
                .await;
        assert!(orphan.is_err());
    }

    /// 0003 rebuilds the server-data tables without their pool column: every row, and every
    /// contact's group, survives, and the foreign keys still point at the right tables.
    #[tokio::test]
    async fn the_data_follows_home_pool_migration_keeps_every_row() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        use std::str::FromStr;
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap().foreign_keys(true);
        let db = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let all = sqlx::migrate!("./migrations/sqlite");
        let mut before = sqlx::migrate!("./migrations/sqlite");
        before.migrations =
            all.migrations.iter().filter(|m| m.version < 3).cloned().collect::<Vec<_>>().into();
        before.run(&db).await.unwrap();
        for sql in [
            "INSERT INTO pools (id, fqdn, kind, version, capacity) VALUES (1, 'p.contoso.com', 'enterprise', 'ocs2007r2', 10)",
            "INSERT INTO directory_users (id, object_guid, display_name, sam_account_name, user_principal_name, container)
             VALUES (1, 'g1', 'A', 'a', 'a@contoso.com', 'OU=x')",
            "INSERT INTO enabled_users (user_id, sip_uri, pool_id) VALUES (1, 'a@contoso.com', 1)",
            "INSERT INTO contact_groups (id, user_id, pool_id, name) VALUES (7, 1, 1, 'Team')",
            "INSERT INTO contacts (id, user_id, pool_id, contact_uri, group_id) VALUES (3, 1, 1, 'b@contoso.com', 7)",
            "INSERT INTO access_entries (user_id, pool_id, entry, access) VALUES (1, 1, 'fabrikam.com', 'allow')",
            "INSERT INTO meetings (user_id, pool_id, subject, starts_at, duration_minutes) VALUES (1, 1, 'S', 0, 30)",
            "INSERT INTO presence_items (user_id, pool_id, category, value) VALUES (1, 1, 'note', 'n')",
        ] {
            sqlx::query(sql).execute(&db).await.unwrap();
        }
        all.run(&db).await.unwrap();
        let group: Option<i64> =
            sqlx::query_scalar("SELECT group_id FROM contacts WHERE id = 3").fetch_one(&db).await.unwrap();
        assert_eq!(group, Some(7));
        for table in ["contact_groups", "contacts", "access_entries", "meetings", "presence_items"] {
            let n: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db).await.unwrap();
            assert_eq!(n, 1, "{table}");
            let pool_column: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = 'pool_id'"
            ))
            .fetch_one(&db)
            .await
            .unwrap();
            assert_eq!(pool_column, 0, "{table}");
        }
        // The group reference follows the renamed table: deleting the group clears it.
        sqlx::query("DELETE FROM contact_groups WHERE id = 7").execute(&db).await.unwrap();
        let group: Option<i64> =
            sqlx::query_scalar("SELECT group_id FROM contacts WHERE id = 3").fetch_one(&db).await.unwrap();
        assert_eq!(group, None);
        // And the user's data goes with the user.
        sqlx::query("DELETE FROM enabled_users").execute(&db).await.unwrap();
        let left: i64 =
            sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM contacts) + (SELECT COUNT(*) FROM meetings)")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(left, 0);
        let problems: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(&db).await.unwrap();
        assert!(problems.is_empty());
    }

    /// The two engines' migrations build the same tables with the same columns, so that one
    /// set of queries serves both.
    #[tokio::test]
    async fn postgres_has_the_tables_and_columns_of_sqlite() {
        let sqlite = connect("sqlite::memory:").await.unwrap();
        let postgres = connect(&crate::server::test_postgres::fresh_database().await).await.unwrap();
        assert_eq!(engine(&sqlite), Engine::Sqlite);
        assert_eq!(engine(&postgres), Engine::Postgres);
        let on_sqlite: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!'
               AND m.name NOT LIKE '!_sqlx%' ESCAPE '!' AND m.name NOT LIKE '%!_trigrams%' ESCAPE '!' AND m.name <> 'pool_user_counts'
             ORDER BY 1, 2",
        )
        .fetch_all(&sqlite)
        .await
        .unwrap();
        let on_postgres: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY 1, 2",
        )
        .fetch_all(&postgres)
        .await
        .unwrap();
        assert!(on_sqlite.len() > 150);
        assert_eq!(on_postgres, on_sqlite);
    }

    /// The rules SQLite's triggers and collations keep hold on PostgreSQL too: history is
    /// append-only, data counts follow the data, names are unique whatever their case, and a
    /// new directory user joins the enterprise organization.
    #[tokio::test]
    async fn postgres_keeps_the_rules_of_the_schema() {
        let db = connect(&crate::server::test_postgres::fresh_database().await).await.unwrap();
        for sql in [
            "UPDATE organizations SET name = 'Contoso' WHERE parent_id IS NULL",
            "INSERT INTO pools (fqdn, kind, version, capacity) VALUES ('pool1.contoso.com', 'enterprise', 'ocs2007r2', 10)",
            "INSERT INTO directory_users (object_guid, display_name, sam_account_name, user_principal_name, container)
             VALUES ('g1', 'Ann', 'ann', 'ann@contoso.com', 'OU=x')",
            "INSERT INTO enabled_users (user_id, sip_uri, pool_id) VALUES (1, 'Ann@contoso.com', 1)",
            "INSERT INTO contacts (user_id, contact_uri) VALUES (1, 'b@contoso.com'), (1, 'c@contoso.com')",
            "INSERT INTO access_entries (user_id, entry, access) VALUES (1, 'fabrikam.com', 'allow')",
            "UPDATE access_entries SET access = 'block'",
            "DELETE FROM contacts WHERE contact_uri = 'c@contoso.com'",
            "INSERT INTO audit_events (at, operator_name, operation) VALUES (0, 'admin', 'enable')",
        ] {
            sqlx::query(sql).execute(&db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let counts: (i64, i64, i64) =
            sqlx::query_as("SELECT contacts, allowed, blocked FROM user_data_counts WHERE user_id = 1")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(counts, (1, 0, 1));
        let org: String = sqlx::query_scalar(
            "SELECT o.name FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = 1",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(org, "Contoso");
        for refused in [
            "UPDATE audit_events SET operation = 'move'",
            "DELETE FROM audit_events",
            "UPDATE contacts SET user_id = 2",
            "INSERT INTO pools (fqdn, kind, version, capacity) VALUES ('POOL1.Contoso.com', 'standard', 'ocs2007', 1)",
            "INSERT INTO enabled_users (user_id, sip_uri, pool_id) VALUES (1, 'ANN@CONTOSO.COM', 1)",
            "INSERT INTO pools (fqdn, kind, version, capacity) VALUES ('p2', 'standard', 'ocs2007', 0)",
        ] {
            assert!(sqlx::query(refused).execute(&db).await.is_err(), "{refused}");
        }
        let found: i64 = sqlx::query_scalar("SELECT user_id FROM enabled_users WHERE sip_uri = $1")
            .bind("ann@CONTOSO.com")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(found, 1);
    }
}

//! The SQLite connection pool: WAL journal, foreign keys on, a busy timeout, migrations applied.

use crate::domain::AppError;
use sqlx::sqlite::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let in_memory = url.contains(":memory:");
    if let Some(dir) = database_file(url).and_then(|p| p.parent().map(ToOwned::to_owned))
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(&dir).map_err(sqlx::Error::Io)?;
    }
    let mut options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // A 64 MiB page cache per connection (SQLite's default is 2 MiB): a move of 100,000
        // users dirties ~20 MiB of user rows and indexes, and spilling them to the WAL in the
        // middle of the transaction more than doubles its time. Pages are allocated on use.
        .pragma("cache_size", "-65536");
    if !in_memory {
        options = options.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal);
    }
    // Every connection to `sqlite::memory:` is a database of its own, so tests use one
    // connection that lives as long as the pool.
    let pool_options = if in_memory {
        SqlitePoolOptions::new().max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(8)
    }
    .after_release(|conn, _| Box::pin(async move { outside_any_transaction(conn).await }));
    let pool = pool_options.connect_with(options).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    // Refreshes planner statistics where they are stale (cheap when they are not).
    sqlx::query("PRAGMA optimize").execute(&pool).await?;
    Ok(pool)
}

/// Whether a connection going back to the pool is outside any transaction, as SQLite itself
/// says. A transaction dropped half way is rolled back by sqlx before this runs; should that
/// rollback have failed (sqlx drops the error of a rollback started by `Drop`), the
/// connection would keep the write lock for everyone. It is closed instead, which ends its
/// transaction.
async fn outside_any_transaction(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the handle is locked for us, so no other thread uses the connection meanwhile;
    // sqlite3_get_autocommit only reads a flag of the open connection.
    let autocommit = unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) };
    if autocommit == 0 {
        tracing::warn!("a pooled connection was still inside a transaction; it is closed");
        #[cfg(test)]
        eprintln!("a pooled connection was still inside a transaction; it is closed");
    }
    Ok(autocommit != 0)
}

/// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so concurrent
/// writers queue (up to the busy timeout) instead of reading a snapshot, planning from it and
/// then failing with SQLITE_BUSY when they try to write. The transaction is sqlx's: if it is
/// dropped uncommitted — an error, or a request future dropped because the client went away or
/// a timeout fired — it rolls back before the connection is used again, so no pooled
/// connection ever keeps the write lock.
pub async fn write(db: &SqlitePool) -> Result<Transaction<'static, Sqlite>, AppError> {
    Ok(db.begin_with("BEGIN IMMEDIATE").await?)
}

/// A read-only transaction: several queries that see one snapshot of the database. It never
/// writes (a transaction that writes must start with `write`), so it takes no lock that
/// another request waits for.
pub async fn read_snapshot(db: &SqlitePool) -> Result<Transaction<'static, Sqlite>, AppError> {
    Ok(db.begin().await?)
}

/// Runs `work` in a write transaction (see `write`): committed when it succeeds, rolled back
/// when it fails or when this future is dropped half way.
pub async fn in_write<T>(
    db: &SqlitePool,
    work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    in_write_or_rehearse(db, true, work).await
}

/// Like `in_write`, but with `commit` false the work is done and then rolled back: a preview
/// that runs the very code of the run, so the two cannot disagree.
pub async fn in_write_or_rehearse<T>(
    db: &SqlitePool,
    commit: bool,
    work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, AppError>,
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
pub async fn pending_migrations(pool: &SqlitePool) -> Result<usize, AppError> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(pool).await?;
    Ok(sqlx::migrate!("./migrations").iter().filter(|m| !applied.contains(&m.version)).count())
}

/// The file path of a `sqlite://path?params` URL, if it names a file.
pub(crate) fn database_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.into())
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
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap().foreign_keys(true);
        let db =
            sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let all = sqlx::migrate!("./migrations");
        let mut before = sqlx::migrate!("./migrations");
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
}

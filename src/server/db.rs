//! The SQLite connection pool: WAL journal, foreign keys on, a busy timeout, migrations applied.

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
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
    };
    let pool = pool_options.connect_with(options).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    // Refreshes planner statistics where they are stale (cheap when they are not).
    sqlx::query("PRAGMA optimize").execute(&pool).await?;
    Ok(pool)
}

/// Runs `work` inside `BEGIN IMMEDIATE` … `COMMIT`, rolling back on any error. IMMEDIATE takes
/// the write lock up front, so concurrent writers queue instead of planning from the same snapshot.
pub async fn immediate<T>(
    conn: &mut sqlx::SqliteConnection,
    work: impl AsyncFnOnce(&mut sqlx::SqliteConnection) -> Result<T, crate::domain::AppError>,
) -> Result<T, crate::domain::AppError> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    match work(&mut *conn).await {
        Ok(value) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok(value)
        }
        Err(e) => {
            sqlx::query("ROLLBACK").execute(&mut *conn).await?;
            Err(e)
        }
    }
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

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
        .busy_timeout(Duration::from_secs(10));
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

/// The file path of a `sqlite://path?params` URL, if it names a file.
fn database_file(url: &str) -> Option<std::path::PathBuf> {
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
}

//! Online backups: `VACUUM INTO` copies the database as of one read transaction, so the copy
//! is consistent while the portal keeps serving and writing (WAL readers do not block writers).
//! A backup is written under a temporary name and renamed when complete, so a listed backup
//! is always whole.

use crate::domain::AppError;
use crate::domain::format::rfc3339;
use crate::domain::operator::Operator;
use crate::domain::security::{BackupFile, is_backup_name};
use crate::server::now;
use crate::server::security::audit::{self, Actor};
use serde_json::json;
use sqlx::AnyPool;
use std::path::{Path, PathBuf};

/// Writes a new backup into `dir` (created if missing) and audits it.
pub async fn write(db: &AnyPool, dir: &Path, actor: Actor<'_>) -> Result<BackupFile, AppError> {
    if crate::server::storage::db::engine(db) == crate::server::storage::db::Engine::Postgres {
        return Err(AppError::BackupWithPgDump);
    }
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, &e))?;
    let (name, path, partial) = reserve_name(dir, now())?;
    let partial_text = partial.to_str().ok_or(AppError::BackupFailed)?;
    // VACUUM INTO writes into an existing file only if it is empty: the reservation is.
    if let Err(e) = sqlx::query("VACUUM INTO $1").bind(partial_text).execute(db).await {
        tracing::error!(error = %e, path = %partial.display(), "backup failed");
        let _ = std::fs::remove_file(&partial);
        return Err(AppError::BackupFailed);
    }
    // A hard link never replaces an existing file, unlike a rename: published whole, once.
    let published = std::fs::hard_link(&partial, &path);
    let _ = std::fs::remove_file(&partial);
    published.map_err(|e| failed(&path, &e))?;
    let bytes = std::fs::metadata(&path).map_err(|e| failed(&path, &e))?.len();
    let mut tx = crate::server::storage::db::write(db).await?;
    audit::record_as(&mut tx, actor.id, actor.name, "backup", json!({ "file": name, "bytes": bytes }), 0)
        .await?;
    tx.commit().await?;
    Ok(BackupFile { name, bytes, created_at: now() })
}

fn failed(path: &Path, e: &std::io::Error) -> AppError {
    tracing::error!(error = %e, path = %path.display(), "backup failed");
    AppError::BackupFailed
}

/// `uc-admin-20261121-163000.db`, or `…-2.db`, `…-3.db` when a backup of that second exists
/// or is being written. The name is claimed by creating its `.partial` file exclusively, so two
/// backups started in the same second (two processes, or two requests) never pick the same
/// name. Returns the name, the final path and the claimed partial file.
fn reserve_name(dir: &Path, at: i64) -> Result<(String, PathBuf, PathBuf), AppError> {
    let stamp: String = rfc3339(at).chars().filter(char::is_ascii_digit).collect();
    let stamp = format!("{}-{}", &stamp[..8], &stamp[8..14]);
    for n in 1..10_000 {
        let name = if n == 1 { format!("uc-admin-{stamp}.db") } else { format!("uc-admin-{stamp}-{n}.db") };
        let path = dir.join(&name);
        let partial = path.with_extension("db.partial");
        if path.exists() {
            continue;
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&partial) {
            // Checked again: a backup may have been published between the two looks.
            Ok(_) if path.exists() => {
                let _ = std::fs::remove_file(&partial);
            }
            Ok(_) => return Ok((name, path, partial)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed(&partial, &e)),
        }
    }
    Err(AppError::BackupFailed)
}

/// How long a download ticket stays valid: the browser starts the download at once.
const TICKET_SECONDS: i64 = 60;

/// A one-time ticket to download `file`, for this operator, after they confirmed their
/// password. Only its hash is stored; it ends when used or after a minute.
pub async fn issue_ticket(
    db: &AnyPool,
    dir: &Path,
    operator: &Operator,
    file: &str,
) -> Result<String, AppError> {
    path_of(dir, file)?;
    let ticket = crate::server::security::operators::random_token();
    crate::server::storage::db::in_write(db, async |conn| {
        sqlx::query("DELETE FROM download_tickets WHERE expires_at <= $1")
            .bind(now())
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO download_tickets (token_hash, operator_id, file, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(crate::server::security::operators::token_hash(&ticket))
        .bind(operator.id.0)
        .bind(file)
        .bind(now() + TICKET_SECONDS)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
    .await?;
    Ok(ticket)
}

/// Uses up a download ticket of this operator for this file and audits the download; a
/// missing, expired, used or someone else's ticket is refused like a wrong password.
pub async fn redeem_ticket(
    db: &AnyPool,
    operator: &Operator,
    file: &str,
    ticket: &str,
) -> Result<(), AppError> {
    crate::server::storage::db::in_write(db, async |conn| {
        let used: Option<String> = sqlx::query_scalar(
            "DELETE FROM download_tickets
             WHERE token_hash = $1 AND operator_id = $2 AND file = $3 AND expires_at > $4 RETURNING file",
        )
        .bind(crate::server::security::operators::token_hash(ticket))
        .bind(operator.id.0)
        .bind(file)
        .bind(now())
        .fetch_optional(&mut *conn)
        .await?;
        used.ok_or(AppError::StepUpFailed)?;
        audit::record(conn, operator, "download", json!({ "kind": "backup", "file": file }), 0)
            .await
            .map(drop)
    })
    .await
}

/// The backups in `dir`, newest first. A missing folder has none.
pub fn list(dir: &Path) -> Result<Vec<BackupFile>, AppError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(failed(dir, &e)),
    };
    let mut backups: Vec<BackupFile> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok().filter(|n| is_backup_name(n))?;
            let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
            let created_at = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Some(BackupFile { name, bytes: meta.len(), created_at })
        })
        .collect();
    backups.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.name.cmp(&a.name)));
    Ok(backups)
}

/// The path of a listed backup, for download; anything else is not found.
pub fn path_of(dir: &Path, name: &str) -> Result<PathBuf, AppError> {
    let path = dir.join(name);
    if is_backup_name(name) && path.is_file() { Ok(path) } else { Err(AppError::BackupNotFound) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::db;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("uc-admin-backup-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    const CLI: Actor<'static> = Actor { id: None, name: "command-line" };

    /// `n` backups started at the same moment on other tasks.
    async fn futures_join(db: &AnyPool, dir: &Path, n: usize) -> Vec<BackupFile> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (db, dir) = (db.clone(), dir.to_path_buf());
                tokio::spawn(async move { write(&db, &dir, CLI).await.unwrap() })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    /// A backup taken while another connection keeps writing opens as a whole database with
    /// every row committed before it began.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_backup_taken_during_writes_is_consistent() {
        let dir = temp_dir("online");
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/live.db", dir.display());
        let live = db::connect(&url).await.unwrap();
        crate::server::storage::seed::ensure_demo(&live, 300).await.unwrap();
        let before: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&live).await.unwrap();
        let writer = {
            let live = live.clone();
            tokio::spawn(async move {
                for i in 0..200 {
                    sqlx::query(
                        "INSERT INTO audit_events (at, operator_name, operation, parameters, target_count)
                         VALUES ($1, 'writer', 'configure_users', '{}', 0)",
                    )
                    .bind(i)
                    .execute(&live)
                    .await
                    .ok();
                }
            })
        };
        let backups = dir.join("backups");
        let file = write(&live, &backups, CLI).await.unwrap();
        writer.await.unwrap();
        assert!(is_backup_name(&file.name));
        let copy = db::connect(&format!("sqlite://{}", backups.join(&file.name).display())).await.unwrap();
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await.unwrap();
        assert_eq!(ok, "ok");
        let users: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&copy).await.unwrap();
        assert_eq!(users, before);
        // Backups started together in the same second each get their own name, and every one
        // of them exists whole.
        let together = futures_join(&live, &backups, 4).await;
        let mut names: Vec<&str> =
            together.iter().map(|b| b.name.as_str()).chain([file.name.as_str()]).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 5, "{names:?}");
        let listed = list(&backups).unwrap();
        assert_eq!(listed.len(), 5);
        assert!(
            !std::fs::read_dir(&backups).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial"))
        );
        assert_eq!(path_of(&backups, &file.name).unwrap(), backups.join(&file.name));
        assert_eq!(path_of(&backups, "../live.db").err(), Some(AppError::BackupNotFound));
        let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'backup'")
            .fetch_one(&live)
            .await
            .unwrap();
        assert_eq!(audited, 5);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn an_unwritable_folder_is_a_clear_failure() {
        let dir = temp_dir("unwritable");
        std::fs::create_dir_all(&dir).unwrap();
        let blocker = dir.join("not-a-folder");
        std::fs::write(&blocker, b"x").unwrap();
        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        let refusal = match db::engine(&db) {
            db::Engine::Sqlite => AppError::BackupFailed,
            // Before it looks at the folder: a PostgreSQL deployment is backed up with pg_dump.
            db::Engine::Postgres => AppError::BackupWithPgDump,
        };
        assert_eq!(write(&db, &blocker, CLI).await.err(), Some(refusal));
        assert!(list(&dir.join("missing")).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

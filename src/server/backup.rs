//! Online backups: `VACUUM INTO` copies the database as of one read transaction, so the copy
//! is consistent while the portal keeps serving and writing (WAL readers do not block writers).
//! A backup is written under a temporary name and renamed when complete, so a listed backup
//! is always whole.

use super::audit::{self, Actor};
use super::now;
use crate::domain::AppError;
use crate::domain::format::rfc3339;
use crate::domain::security::{BackupFile, is_backup_name};
use serde_json::json;
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};

/// Writes a new backup into `dir` (created if missing) and audits it.
pub async fn write(db: &SqlitePool, dir: &Path, actor: Actor<'_>) -> Result<BackupFile, AppError> {
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, &e))?;
    let (name, path) = free_name(dir, now());
    let partial = path.with_extension("db.partial");
    let _ = std::fs::remove_file(&partial);
    let partial_text = partial.to_str().ok_or(AppError::BackupFailed)?;
    if let Err(e) = sqlx::query("VACUUM INTO ?").bind(partial_text).execute(db).await {
        tracing::error!(error = %e, path = %partial.display(), "backup failed");
        let _ = std::fs::remove_file(&partial);
        return Err(AppError::BackupFailed);
    }
    std::fs::rename(&partial, &path).map_err(|e| failed(&path, &e))?;
    let bytes = std::fs::metadata(&path).map_err(|e| failed(&path, &e))?.len();
    let mut tx = db.begin().await?;
    audit::record_as(&mut tx, actor.id, actor.name, "backup", json!({ "file": name, "bytes": bytes }), 0)
        .await?;
    tx.commit().await?;
    Ok(BackupFile { name, bytes, created_at: now() })
}

fn failed(path: &Path, e: &std::io::Error) -> AppError {
    tracing::error!(error = %e, path = %path.display(), "backup failed");
    AppError::BackupFailed
}

/// `uc-admin-20261121-163000.db`, or `…-2.db` when a backup of that second exists already.
fn free_name(dir: &Path, at: i64) -> (String, PathBuf) {
    let stamp: String = rfc3339(at).chars().filter(char::is_ascii_digit).collect();
    let stamp = format!("{}-{}", &stamp[..8], &stamp[8..14]);
    (1..)
        .map(|n| if n == 1 { format!("uc-admin-{stamp}.db") } else { format!("uc-admin-{stamp}-{n}.db") })
        .map(|name| {
            let path = dir.join(&name);
            (name, path)
        })
        .find(|(_, path)| !path.exists())
        .expect("an unused name")
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
    use crate::server::db;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("uc-admin-backup-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    const CLI: Actor<'static> = Actor { id: None, name: "command-line" };

    /// A backup taken while another connection keeps writing opens as a whole database with
    /// every row committed before it began.
    #[tokio::test]
    async fn a_backup_taken_during_writes_is_consistent() {
        let dir = temp_dir("online");
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/live.db", dir.display());
        let live = db::connect(&url).await.unwrap();
        crate::server::seed::ensure_demo(&live, 300).await.unwrap();
        let before: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&live).await.unwrap();
        let writer = {
            let live = live.clone();
            tokio::spawn(async move {
                for i in 0..200 {
                    sqlx::query(
                        "INSERT INTO audit_events (at, operator_name, operation, parameters, target_count)
                         VALUES (?, 'writer', 'configure_users', '{}', 0)",
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
        // A second backup in the same second gets its own name; both are listed, newest first.
        let second = write(&live, &backups, CLI).await.unwrap();
        assert_ne!(second.name, file.name);
        let listed = list(&backups).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(path_of(&backups, &file.name).unwrap(), backups.join(&file.name));
        assert_eq!(path_of(&backups, "../live.db").err(), Some(AppError::BackupNotFound));
        let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'backup'")
            .fetch_one(&live)
            .await
            .unwrap();
        assert_eq!(audited, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn an_unwritable_folder_is_a_clear_failure() {
        let dir = temp_dir("unwritable");
        std::fs::create_dir_all(&dir).unwrap();
        let blocker = dir.join("not-a-folder");
        std::fs::write(&blocker, b"x").unwrap();
        let db = db::connect("sqlite::memory:").await.unwrap();
        assert_eq!(write(&db, &blocker, CLI).await.err(), Some(AppError::BackupFailed));
        assert!(list(&dir.join("missing")).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

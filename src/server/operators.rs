//! Operators: password verification (argon2id), roles, and server-side sessions.

use super::{Config, audit, error::corrupt, now};
use crate::domain::AppError;
use crate::domain::operator::{Operator, OperatorId, Role};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand_core::{OsRng, RngCore};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

pub const SESSION_COOKIE: &str = "uc_session";

/// A new session: the token goes into the cookie, only its hash into the database.
pub struct NewSession {
    pub token: String,
    pub operator: Operator,
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A valid hash of nothing anyone knows, verified for unknown user names so that a failed
/// sign-in takes as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random (version 4) GUID for a directory object created by the portal.
pub(crate) fn random_guid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn roles_of(db: &SqlitePool, id: OperatorId) -> Result<Vec<Role>, AppError> {
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT role FROM operator_roles WHERE operator_id = ? ORDER BY role")
            .bind(id.0)
            .fetch_all(db)
            .await?;
    codes.iter().map(|c| c.parse().map_err(|_| corrupt("role", c))).collect()
}

async fn load_operator(db: &SqlitePool, id: i64) -> Result<Operator, AppError> {
    let (username, display_name): (String, String) =
        sqlx::query_as("SELECT username, display_name FROM operators WHERE id = ?")
            .bind(id)
            .fetch_one(db)
            .await?;
    Ok(Operator { id: OperatorId(id), username, display_name, roles: roles_of(db, OperatorId(id)).await? })
}

/// Checks the credentials and opens a session with a fresh token.
pub async fn sign_in(
    db: &SqlitePool,
    config: &Config,
    username: &str,
    password: &str,
) -> Result<NewSession, AppError> {
    let username = username.trim();
    let found: Option<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, username, password_hash, disabled FROM operators WHERE username = ?")
            .bind(username)
            .fetch_optional(db)
            .await?;
    let accepted = match &found {
        Some((_, _, hash, disabled)) => verify_password(password, hash) && *disabled == 0,
        None => {
            // Same work as for a real account, then the same answer.
            let _ = verify_password(password, decoy_hash());
            false
        }
    };
    let mut tx = db.begin().await?;
    let Some((id, name, _, _)) = found.filter(|_| accepted) else {
        // The log keeps what was typed (bounded), never the password.
        let typed: String = username.chars().take(64).collect();
        audit::record_as(&mut tx, None, &typed, "sign_in_failed", json!({}), 0).await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    };
    let token = random_token();
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (token_hash, operator_id, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(token_hash(&token))
    .bind(id)
    .bind(t)
    .bind(t)
    .bind(t + config.session_absolute.as_secs() as i64)
    .execute(&mut *tx)
    .await?;
    audit::record_as(&mut tx, Some(id), &name, "sign_in", json!({}), 0).await?;
    tx.commit().await?;
    Ok(NewSession { token, operator: load_operator(db, id).await? })
}

/// The operator a session token belongs to, if the session is still alive; refreshes the
/// idle timer. Expired sessions are deleted when met.
pub async fn session_operator(db: &SqlitePool, config: &Config, token: &str) -> Result<Operator, AppError> {
    let t = now();
    let idle_limit = t - config.session_idle.as_secs() as i64;
    let hash = token_hash(token);
    let found: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.operator_id, s.last_seen_at, s.expires_at, o.disabled
         FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = ?",
    )
    .bind(&hash)
    .fetch_optional(db)
    .await?;
    let Some((operator_id, last_seen, expires_at, disabled)) = found else {
        return Err(AppError::Unauthenticated);
    };
    if expires_at <= t || last_seen <= idle_limit || disabled != 0 {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(&hash).execute(db).await?;
        return Err(AppError::Unauthenticated);
    }
    // Refresh at most once a minute: a page view makes several calls.
    if t - last_seen >= 60 {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(t)
            .bind(&hash)
            .execute(db)
            .await?;
    }
    load_operator(db, operator_id).await
}

/// Ends the session; a session that had ended already leaves no record.
pub async fn sign_out(db: &SqlitePool, token: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let ended: Option<(i64, String)> = sqlx::query_as(
        "DELETE FROM sessions WHERE token_hash = ?
         RETURNING operator_id, (SELECT username FROM operators WHERE id = operator_id)",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, name)) = ended {
        audit::record_as(&mut tx, Some(id), &name, "sign_out", json!({}), 0).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates an operator with the given roles, in one transaction.
pub async fn create_operator(
    db: &SqlitePool,
    username: &str,
    display_name: &str,
    password: &str,
    roles: &[Role],
) -> Result<OperatorId, AppError> {
    let hash = hash_password(password)?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO operators (username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?)
         RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(hash)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    for role in roles {
        sqlx::query("INSERT INTO operator_roles (operator_id, role) VALUES (?, ?)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(OperatorId(id))
}

/// The demo operators: user name, display name, roles.
pub const DEMO_OPERATORS: [(&str, &str, &[Role]); 4] = [
    ("admin", "Enterprise Administrator", &[Role::EnterpriseAdministrator, Role::UserAdministrator]),
    ("useradmin", "User Administrator", &[Role::UserAdministrator]),
    ("helpdesk", "Help Desk", &[Role::HelpDesk]),
    ("orgmanager", "Enterprise User Manager", &[Role::EnterpriseUserManager]),
];

/// Creates the demo operators if there are no operators yet. Returns the password used when
/// it was generated here, so that the caller can print it once.
pub async fn ensure_demo_operators(db: &SqlitePool, config: &Config) -> Result<Option<String>, AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operators").fetch_one(db).await?;
    if existing > 0 {
        return Ok(None);
    }
    let (password, generated) = match &config.demo_password {
        Some(p) => (p.clone(), false),
        None => (random_token()[..16].to_string(), true),
    };
    for (username, display_name, roles) in DEMO_OPERATORS {
        create_operator(db, username, display_name, &password, roles).await?;
    }
    Ok(generated.then_some(password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db;
    use std::time::Duration;

    async fn setup() -> (SqlitePool, Config) {
        let db = db::connect("sqlite::memory:").await.unwrap();
        let config = Config::for_tests();
        ensure_demo_operators(&db, &config).await.unwrap();
        (db, config)
    }

    #[tokio::test]
    async fn signs_in_with_the_right_password_only() {
        let (db, config) = setup().await;
        let s = sign_in(&db, &config, "helpdesk", "test-password").await.unwrap();
        assert_eq!(s.operator.roles, vec![Role::HelpDesk]);
        assert_eq!(session_operator(&db, &config, &s.token).await.unwrap().username, "helpdesk");
        assert_eq!(
            sign_in(&db, &config, "helpdesk", "wrong").await.err(),
            Some(AppError::InvalidCredentials)
        );
        assert_eq!(
            sign_in(&db, &config, "nobody", "test-password").await.err(),
            Some(AppError::InvalidCredentials)
        );
        // User names are case-insensitive, like Windows account names.
        assert!(sign_in(&db, &config, "HelpDesk", "test-password").await.is_ok());
        // Every attempt is in the audit log, with the name that was typed for failures.
        let log: Vec<(String, String, Option<i64>)> =
            sqlx::query_as("SELECT operation, operator_name, operator_id FROM audit_events ORDER BY id")
                .fetch_all(&db)
                .await
                .unwrap();
        let ops: Vec<(&str, &str, bool)> =
            log.iter().map(|(o, n, id)| (o.as_str(), n.as_str(), id.is_some())).collect();
        assert_eq!(
            ops,
            [
                ("sign_in", "helpdesk", true),
                ("sign_in_failed", "helpdesk", false),
                ("sign_in_failed", "nobody", false),
                ("sign_in", "helpdesk", true)
            ]
        );
    }

    #[tokio::test]
    async fn sessions_are_stored_hashed_and_end_at_sign_out() {
        let (db, config) = setup().await;
        let s = sign_in(&db, &config, "admin", "test-password").await.unwrap();
        let stored: String =
            sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_one(&db).await.unwrap();
        assert_ne!(stored, s.token);
        sign_out(&db, &s.token).await.unwrap();
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
        // Signing out again records nothing more.
        sign_out(&db, &s.token).await.unwrap();
        let outs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'sign_out'")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(outs, 1);
        assert_eq!(session_operator(&db, &config, "forged").await.err(), Some(AppError::Unauthenticated));
    }

    #[tokio::test]
    async fn idle_and_expired_sessions_end() {
        let (db, mut config) = setup().await;
        let s = sign_in(&db, &config, "admin", "test-password").await.unwrap();
        sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 3600").execute(&db).await.unwrap();
        config.session_idle = Duration::from_secs(1800);
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&db).await.unwrap();
        assert_eq!(left, 0, "an expired session is deleted when met");

        let s = sign_in(&db, &config, "admin", "test-password").await.unwrap();
        sqlx::query("UPDATE sessions SET expires_at = 0").execute(&db).await.unwrap();
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
    }

    #[tokio::test]
    async fn disabled_operators_cannot_sign_in_or_keep_sessions() {
        let (db, config) = setup().await;
        let s = sign_in(&db, &config, "useradmin", "test-password").await.unwrap();
        sqlx::query("UPDATE operators SET disabled = 1 WHERE username = 'useradmin'")
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
        assert_eq!(
            sign_in(&db, &config, "useradmin", "test-password").await.err(),
            Some(AppError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn demo_operators_are_created_once_and_a_missing_password_is_generated() {
        let db = db::connect("sqlite::memory:").await.unwrap();
        let config = Config { demo_password: None, ..Config::for_tests() };
        let generated = ensure_demo_operators(&db, &config).await.unwrap().expect("generated");
        assert_eq!(generated.len(), 16);
        assert!(sign_in(&db, &config, "admin", &generated).await.is_ok());
        assert_eq!(ensure_demo_operators(&db, &config).await.unwrap(), None);
    }
}

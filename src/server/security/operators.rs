//! Operators: password verification (argon2id), roles, and server-side sessions.

use crate::domain::AppError;
use crate::domain::operator::{Operator, OperatorId, Role, Theme};
use crate::domain::scope::ScopedRole;
use crate::domain::security::{MAX_USER_AGENT_CHARS, OperatorSummary, SessionId, SessionInfo};
use crate::server::metrics::SignInFailure;
use crate::server::security::directory_sign_in::{self, DirectoryOperator};
use crate::server::security::sign_in_throttle::{self, Admission, Attempt};
use crate::server::{Config, now, security::audit, storage::error::corrupt};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand_core::{OsRng, RngCore};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// The session cookie's name over plain http (development, tests behind loopback).
pub const SESSION_COOKIE: &str = "uc_session";
/// Its name when the portal is served over https: the `__Host-` prefix makes the browser
/// refuse it unless it is `Secure`, for `Path=/` and set by this very host (no `Domain`), so a
/// sibling subdomain cannot plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-uc_session";

/// A new session: the token goes into the cookie, only its hash into the database.
pub struct NewSession {
    pub token: String,
    pub operator: Operator,
}

/// Argon2 takes tens of milliseconds of CPU and 19 MiB per call. It runs on tokio's blocking
/// pool, never on the workers that serve pages, and at most this many at once, so a burst of
/// sign-ins queues here instead of starving every other request of CPU and memory.
fn hashing_slots() -> std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    SLOTS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
            // One core stays free for everything else, unless configured otherwise.
            let slots = std::env::var("UC_ADMIN_HASHING_SLOTS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(cores.saturating_sub(1).max(1));
            std::sync::Arc::new(tokio::sync::Semaphore::new(slots))
        })
        .clone()
}

/// Runs password hashing work on the blocking pool within the slots above. The slot is held by
/// the work itself, so a request dropped while its hash runs does not let another one start.
async fn with_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let slot = hashing_slots().acquire_owned().await.map_err(|_| AppError::INTERNAL)?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::INTERNAL
    })
}

pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    with_hashing_slot(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::INTERNAL
    })
}

/// Whether `password` matches `stored`; with no stored hash (unknown user name) the same work
/// is done against a decoy, so the answer takes as long either way.
async fn verify_password(password: &str, stored: Option<&str>) -> Result<bool, AppError> {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    with_hashing_slot(move || {
        let hash = stored.as_deref().unwrap_or_else(|| decoy_hash());
        #[cfg(test)]
        count_verification(hash);
        let verified = PasswordHash::new(hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        verified && stored.is_some()
    })
    .await
}

/// Password verifications per stored hash, so that a test can count the guesses a burst got
/// (hashes are salted: each test's operators have their own).
#[cfg(test)]
static VERIFICATIONS: std::sync::Mutex<Option<std::collections::HashMap<String, u32>>> =
    std::sync::Mutex::new(None);

#[cfg(test)]
fn count_verification(hash: &str) {
    let mut map = VERIFICATIONS.lock().unwrap();
    *map.get_or_insert_with(Default::default).entry(hash.to_string()).or_default() += 1;
}

#[cfg(test)]
pub(crate) fn verifications_of(hash: &str) -> u32 {
    VERIFICATIONS.lock().unwrap().as_ref().and_then(|m| m.get(hash).copied()).unwrap_or(0)
}

/// A valid hash of nothing anyone knows, verified for unknown user names so that a failed
/// sign-in takes as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_now(&random_token()).unwrap_or_default())
}

pub(crate) fn random_token() -> String {
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

pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The operator's roles: those without a scope, and the scoped ones with their terms.
async fn roles_of(db: &AnyPool, id: OperatorId) -> Result<(Vec<Role>, Vec<ScopedRole>), AppError> {
    let mut conn = db.acquire().await?;
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT role FROM operator_roles WHERE operator_id = $1 ORDER BY role")
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
    let roles = codes.iter().map(|c| c.parse().map_err(|_| corrupt("role", c))).collect::<Result<_, _>>()?;
    Ok((roles, super::scoped_roles::held_by(&mut conn, id).await?))
}

/// The operator with their roles. As loaded, they act with the scope of what they may view,
/// until the gate sets the scope of the call's own permission: never wider than their roles.
async fn with_roles(
    db: &AnyPool,
    id: OperatorId,
    username: String,
    display_name: String,
) -> Result<Operator, AppError> {
    let (roles, scoped_roles) = roles_of(db, id).await?;
    let operator = Operator {
        id,
        username,
        display_name,
        roles,
        api_token: None,
        approved_by: None,
        scoped_roles,
        scope: Default::default(),
    };
    Ok(operator.for_call(crate::domain::operator::Permission::ViewDeployment))
}

pub async fn load_operator(db: &AnyPool, id: i64) -> Result<Operator, AppError> {
    let (username, display_name): (String, String) =
        sqlx::query_as("SELECT username, display_name FROM operators WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await?;
    with_roles(db, OperatorId(id), username, display_name).await
}

/// Where a request comes from, as far as the portal can tell.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
}

/// Creates or updates the portal's record of a directory operator: their display name and
/// exactly the roles their groups give now. Returns their id and name.
async fn record_directory_operator(
    conn: &mut sqlx::AnyConnection,
    operator: &DirectoryOperator,
) -> Result<(i64, String), AppError> {
    let (id, name): (i64, String) = sqlx::query_as(
        "INSERT INTO operators (username, display_name, password_hash, created_at, source)
         VALUES ($1, $2, '!directory', $3, 'directory')
         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name
         WHERE operators.source = 'directory'
         RETURNING id, username",
    )
    .bind(&operator.username)
    .bind(&operator.display_name)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    set_roles(conn, id, &operator.roles).await?;
    Ok((id, name))
}

async fn set_roles(conn: &mut sqlx::AnyConnection, id: i64, roles: &[Role]) -> Result<(), AppError> {
    sqlx::query("DELETE FROM operator_roles WHERE operator_id = $1").bind(id).execute(&mut *conn).await?;
    for role in roles {
        sqlx::query("INSERT INTO operator_roles (operator_id, role) VALUES ($1, $2)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Checks the credentials and opens a session with a fresh token; `previous` (the token the
/// browser still held, if any) is ended, so a sign-in never continues an older session.
/// Failures are throttled per typed name and per address, identically whether or not the
/// account exists.
pub async fn sign_in(
    db: &AnyPool,
    config: &Config,
    username: &str,
    password: &str,
    client: &Client,
    previous: Option<&str>,
) -> Result<NewSession, AppError> {
    let username = username.trim();
    let attempt = Attempt::new(username, &client.address);
    // The log keeps what was typed (bounded), never the password.
    let typed: String = username.chars().take(64).collect();
    // 1. Admit the attempt into the throttle's budget before any password is checked.
    let (reservation, found) = crate::server::storage::db::in_write(db, async |conn| {
        match sign_in_throttle::reserve(conn, &attempt).await? {
            Admission::HeldBack { retry_after } => {
                let parameters = json!({ "address": client.address, "reason": "throttled" });
                sign_in_throttle::audit_failure(conn, &attempt, &typed, parameters).await?;
                Ok(Err(AppError::TooManySignInAttempts { retry_after }))
            }
            Admission::Admitted(reservation) => {
                let found: Option<(i64, String, String, i64, String)> = sqlx::query_as(
                    "SELECT id, username, password_hash, disabled, source FROM operators WHERE username = $1",
                )
                .bind(username)
                .fetch_optional(&mut *conn)
                .await?;
                Ok(Ok((reservation, found)))
            }
        }
    })
    .await?
    .inspect_err(|_| crate::server::metrics::sign_in_failed(SignInFailure::Throttled))?;
    // 2. The password: an operator created in the portal has their own (checked off the async
    //    workers; an unknown name costs the same work); anyone else is asked of the directory,
    //    when directory sign-in is on.
    let local = found.as_ref().is_some_and(|f| f.4 == "local");
    let directory = match (&config.directory, &config.directory_sign_in) {
        (Some(ldap), Some(sign_in)) if !local => Some((ldap, sign_in)),
        _ => None,
    };
    let (verified, from_directory) = match directory {
        None => {
            (verify_password(password, found.as_ref().filter(|_| local).map(|f| f.2.as_str())).await?, None)
        }
        Some((ldap, sign_in)) => {
            match directory_sign_in::authenticate(ldap, sign_in, username, password).await {
                Ok(operator) => (operator.is_some(), operator),
                Err(error) => {
                    // Not a guess that failed: the directory could not be asked.
                    crate::server::storage::db::in_write(db, async |conn| {
                        sign_in_throttle::abandoned(conn, reservation).await
                    })
                    .await?;
                    return Err(error);
                }
            }
        }
    };
    let enabled = found.as_ref().is_none_or(|f| f.3 == 0) && (found.is_some() || from_directory.is_some());
    let accepted = verified && enabled;
    // 3. The outcome, counted and audited.
    let mut tx = crate::server::storage::db::write(db).await?;
    let signed_in = match (accepted, from_directory) {
        (false, _) => None,
        // The directory decides who they are and what they may do, at every sign-in.
        (true, Some(operator)) => Some(record_directory_operator(&mut tx, &operator).await?),
        (true, None) => found.map(|f| (f.0, f.1)),
    };
    let Some((id, name)) = signed_in else {
        let failures = sign_in_throttle::failed(&mut tx, &attempt, reservation).await?;
        let parameters = json!({ "address": client.address, "failures": failures });
        sign_in_throttle::audit_failure(&mut tx, &attempt, &typed, parameters).await?;
        tx.commit().await?;
        crate::server::metrics::sign_in_failed(SignInFailure::Invalid);
        return Err(AppError::InvalidCredentials);
    };
    sign_in_throttle::succeeded(&mut tx, &attempt, reservation).await?;
    if let Some(previous) = previous {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(previous))
            .execute(&mut *tx)
            .await?;
    }
    let token = random_token();
    let t = now();
    let user_agent: String = client.user_agent.chars().take(MAX_USER_AGENT_CHARS).collect();
    sqlx::query(
        "INSERT INTO sessions (token_hash, operator_id, created_at, last_seen_at, expires_at,
                               client_address, user_agent, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token_hash(&token))
    .bind(id)
    .bind(t)
    .bind(t)
    .bind(t + config.session_absolute.as_secs() as i64)
    .bind(&client.address)
    .bind(user_agent)
    .bind(t)
    .execute(&mut *tx)
    .await?;
    audit::record_as(&mut tx, Some(id), &name, "sign_in", json!({ "address": client.address }), 0).await?;
    tx.commit().await?;
    Ok(NewSession { token, operator: load_operator(db, id).await? })
}

/// Step-up where an operation needs it (a force move, a delete, resuming a force move): the
/// operator's password again, checked before the operation's transaction; a missing password
/// is a wrong one.
pub async fn step_up_if(
    needed: bool,
    db: &AnyPool,
    config: &Config,
    operator: &Operator,
    password: Option<&str>,
    client: &Client,
) -> Result<(), AppError> {
    if !needed {
        return Ok(());
    }
    confirm_password(db, config, operator, password.unwrap_or_default(), client).await
}

/// Step-up: the signed-in operator types their password again before a force move, a delete,
/// resuming a force move, restoring user data or downloading a backup. Attempts are reserved
/// like sign-ins and count towards the same throttle, so the confirmation cannot be used to
/// guess a password either.
pub async fn confirm_password(
    db: &AnyPool,
    config: &Config,
    operator: &Operator,
    password: &str,
    client: &Client,
) -> Result<(), AppError> {
    let attempt = Attempt::new(&operator.username, &client.address);
    let (reservation, hash, source) = crate::server::storage::db::in_write(db, async |conn| {
        match sign_in_throttle::reserve(conn, &attempt).await? {
            Admission::HeldBack { retry_after } => Ok(Err(AppError::TooManySignInAttempts { retry_after })),
            Admission::Admitted(reservation) => {
                let (hash, source): (String, String) =
                    sqlx::query_as("SELECT password_hash, source FROM operators WHERE id = $1")
                        .bind(operator.id.0)
                        .fetch_one(&mut *conn)
                        .await?;
                Ok(Ok((reservation, hash, source)))
            }
        }
    })
    .await??;
    let bounded = password.chars().count() <= crate::domain::security::MAX_PASSWORD_CHARS;
    let accepted = if !bounded {
        false
    } else if source == "directory" {
        // A directory operator's password is the directory's.
        let (Some(ldap), Some(sign_in)) = (&config.directory, &config.directory_sign_in) else {
            return Err(AppError::DirectoryNotConfigured);
        };
        match directory_sign_in::authenticate(ldap, sign_in, &operator.username, password).await {
            Ok(found) => found.is_some(),
            Err(error) => {
                crate::server::storage::db::in_write(db, async |conn| {
                    sign_in_throttle::abandoned(conn, reservation).await
                })
                .await?;
                return Err(error);
            }
        }
    } else {
        verify_password(password, Some(&hash)).await?
    };
    crate::server::storage::db::in_write(db, async |conn| {
        if accepted {
            return sign_in_throttle::succeeded(conn, &attempt, reservation).await;
        }
        let failures = sign_in_throttle::failed(conn, &attempt, reservation).await?;
        let parameters = json!({ "address": client.address, "failures": failures });
        audit::record(conn, operator, "step_up_failed", parameters, 0).await.map(drop)
    })
    .await?;
    if accepted { Ok(()) } else { Err(AppError::StepUpFailed) }
}

/// The operator behind a live session, and whether they must choose a new password before
/// anything else (read together: every call asks both).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub operator: Operator,
    pub must_change_password: bool,
}

impl SignedIn {
    /// The operator, for anything but choosing their own password: after a one-time password
    /// nothing else is open to them.
    pub fn past_password_change(self) -> Result<Operator, AppError> {
        if self.must_change_password { Err(AppError::PasswordChangeRequired) } else { Ok(self.operator) }
    }
}

/// The operator a session token belongs to, if the session is still alive; refreshes the
/// idle timer. Expired sessions are deleted when met. Every server function call asks this,
/// so the session and its operator are one query and the roles a second.
pub async fn session_operator(db: &AnyPool, config: &Config, token: &str) -> Result<SignedIn, AppError> {
    #[derive(sqlx::FromRow)]
    struct Found {
        operator_id: i64,
        last_seen_at: i64,
        expires_at: i64,
        disabled: i64,
        source: String,
        checked_at: i64,
        username: String,
        display_name: String,
        must_change_password: i64,
    }
    let t = now();
    let idle_limit = t - config.session_idle.as_secs() as i64;
    let hash = token_hash(token);
    let found: Option<Found> = sqlx::query_as(
        "SELECT s.operator_id, s.last_seen_at, s.expires_at, o.disabled, o.source, s.checked_at, o.username,
                o.display_name, o.must_change_password
         FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db)
    .await?;
    let Some(Found {
        operator_id,
        last_seen_at: last_seen,
        expires_at,
        disabled,
        source,
        checked_at,
        username,
        display_name,
        must_change_password,
    }) = found
    else {
        return Err(AppError::Unauthenticated);
    };
    let mut ended = expires_at <= t || last_seen <= idle_limit || disabled != 0;
    // A directory operator's groups are read again now and then: taken out of the groups,
    // their session ends. A directory that cannot be asked leaves the session as it is (an
    // outage must not sign everyone out); the next request asks again.
    if !ended && source == "directory" {
        if let (Some(ldap), Some(sign_in)) = (&config.directory, &config.directory_sign_in) {
            if t - checked_at >= sign_in.recheck.as_secs() as i64 {
                match directory_sign_in::recheck(ldap, sign_in, &username).await {
                    Ok(Some(now_is)) => {
                        crate::server::storage::db::in_write(db, async |conn| {
                            set_roles(conn, operator_id, &now_is.roles).await?;
                            sqlx::query("UPDATE sessions SET checked_at = $1 WHERE token_hash = $2")
                                .bind(t)
                                .bind(&hash)
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                        .await?;
                    }
                    Ok(None) => {
                        tracing::info!(operator = %username, "directory sign-in: no longer in a mapped group; session ended");
                        ended = true;
                    }
                    Err(_) => {}
                }
            }
        } else {
            // Directory sign-in was turned off: directory operators have no way in.
            ended = true;
        }
    }
    if ended {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(db).await?;
        return Err(AppError::Unauthenticated);
    }
    // Refresh at most once a minute: a page view makes several calls.
    if t - last_seen >= 60 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(t)
            .bind(&hash)
            .execute(db)
            .await?;
    }
    Ok(SignedIn {
        operator: with_roles(db, OperatorId(operator_id), username, display_name).await?,
        must_change_password: must_change_password != 0,
    })
}

/// Ends the session; a session that had ended already leaves no record.
pub async fn sign_out(db: &AnyPool, token: &str) -> Result<(), AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let ended: Option<(i64, String)> = sqlx::query_as(
        "DELETE FROM sessions WHERE token_hash = $1
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

/// Every operator with their roles and live sessions, for the administration page.
pub async fn list(db: &AnyPool) -> Result<Vec<OperatorSummary>, AppError> {
    let rows: Vec<(i64, String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT o.id, o.username, o.display_name, o.disabled,
                (SELECT COUNT(*) FROM sessions s WHERE s.operator_id = o.id AND s.expires_at > $1), o.source
         FROM operators o WHERE o.deleted_at IS NULL ORDER BY o.username",
    )
    .bind(now())
    .fetch_all(db)
    .await?;
    let grants: Vec<(i64, String)> =
        sqlx::query_as("SELECT operator_id, role FROM operator_roles ORDER BY operator_id, role")
            .fetch_all(db)
            .await?;
    rows.into_iter()
        .map(|(id, username, display_name, disabled, sessions, source)| {
            let roles = grants
                .iter()
                .filter(|(operator, _)| *operator == id)
                .map(|(_, code)| code.parse().map_err(|_| corrupt("role", code)))
                .collect::<Result<_, _>>()?;
            Ok(OperatorSummary {
                id: OperatorId(id),
                username,
                display_name,
                roles,
                disabled: disabled != 0,
                sessions: sessions as u32,
                from_directory: source == "directory",
            })
        })
        .collect()
}

/// Disables or re-enables an operator. Disabling ends all their sessions in the same
/// transaction; nobody can disable themselves.
pub async fn set_disabled(
    db: &AnyPool,
    by: audit::Actor<'_>,
    target: OperatorId,
    disabled: bool,
) -> Result<(), AppError> {
    if disabled && Some(target.0) == by.id {
        return Err(AppError::CannotDisableSelf);
    }
    let mut tx = crate::server::storage::db::write(db).await?;
    let name: String = sqlx::query_scalar(
        "UPDATE operators SET disabled = $1 WHERE id = $2 AND disabled <> $3 AND deleted_at IS NULL RETURNING username",
    )
    .bind(disabled as i64)
    .bind(target.0)
    .bind(disabled as i64)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NothingToChange)?;
    let ended = if disabled {
        sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
            .bind(target.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    } else {
        0
    };
    let operation = if disabled { "operator_disable" } else { "operator_enable" };
    let parameters = json!({ "operator": name, "sessions_ended": ended });
    audit::record_as(&mut tx, by.id, by.name, operation, parameters, 0).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an operator: their sessions and private saved queries go, they can never sign in
/// again, and they leave every list; the row stays, so the audit trail and the jobs that name
/// them keep their meaning, and their name is not given to anyone else. Nobody deletes
/// themselves, and the last Enterprise Administrator who can sign in is not deleted.
pub async fn delete_operator(db: &AnyPool, by: audit::Actor<'_>, target: OperatorId) -> Result<(), AppError> {
    if Some(target.0) == by.id {
        return Err(AppError::CannotDeleteSelf);
    }
    let mut tx = crate::server::storage::db::write(db).await?;
    let name: String =
        sqlx::query_scalar("SELECT username FROM operators WHERE id = $1 AND deleted_at IS NULL")
            .bind(target.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::OperatorNotFound)?;
    let other_administrators: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM operators o JOIN operator_roles r ON r.operator_id = o.id
         WHERE r.role = $1 AND o.disabled = 0 AND o.deleted_at IS NULL AND o.id <> $2",
    )
    .bind(Role::EnterpriseAdministrator.as_str())
    .bind(target.0)
    .fetch_one(&mut *tx)
    .await?;
    let is_administrator: crate::server::storage::flag::Flag = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM operator_roles r JOIN operators o ON o.id = r.operator_id
                        WHERE r.operator_id = $1 AND r.role = $2 AND o.disabled = 0)",
    )
    .bind(target.0)
    .bind(Role::EnterpriseAdministrator.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if is_administrator.0 && other_administrators == 0 {
        return Err(AppError::LastAdministrator);
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
        .bind(target.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM saved_queries WHERE operator_id = $1 AND shared = 0")
        .bind(target.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE operators SET deleted_at = $1, disabled = 1 WHERE id = $2")
        .bind(now())
        .bind(target.0)
        .execute(&mut *tx)
        .await?;
    let parameters = json!({ "operator": name, "sessions_ended": ended });
    audit::record_as(&mut tx, by.id, by.name, "operator_deleted", parameters, 0).await?;
    tx.commit().await?;
    Ok(())
}

/// The live sessions, most recently active first; `current` marks the caller's own.
pub async fn sessions(db: &AnyPool, current_token: Option<&str>) -> Result<Vec<SessionInfo>, AppError> {
    let current = current_token.map(token_hash).unwrap_or_default();
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        operator_id: i64,
        username: String,
        created_at: i64,
        last_seen_at: i64,
        expires_at: i64,
        client_address: String,
        user_agent: String,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        current: bool,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.id, s.operator_id, o.username, s.created_at, s.last_seen_at, s.expires_at,
                s.client_address, s.user_agent, s.token_hash = $1 AS current
         FROM sessions s JOIN operators o ON o.id = s.operator_id
         WHERE s.expires_at > $2 ORDER BY s.last_seen_at DESC, s.id DESC LIMIT 1000",
    )
    .bind(current)
    .bind(now())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            id: SessionId(r.id),
            operator: OperatorId(r.operator_id),
            username: r.username,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            client_address: r.client_address,
            user_agent: r.user_agent,
            current: r.current,
        })
        .collect())
}

/// Ends one session (the operator's next request finds itself signed out).
pub async fn end_session(db: &AnyPool, by: &Operator, session: SessionId) -> Result<(), AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let ended: (String,) = sqlx::query_as(
        "DELETE FROM sessions WHERE id = $1
         RETURNING (SELECT username FROM operators WHERE id = operator_id)",
    )
    .bind(session.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::SessionNotFound)?;
    audit::record(&mut tx, by, "session_end", json!({ "operator": ended.0, "session": session.0 }), 0)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates an operator with the given roles, in one transaction.
pub async fn create_operator(
    db: &AnyPool,
    username: &str,
    display_name: &str,
    password: &str,
    roles: &[Role],
) -> Result<OperatorId, AppError> {
    let hash = hash_password(password).await?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let id = insert_operator(&mut tx, username, display_name, &hash, roles, false).await?;
    tx.commit().await?;
    Ok(id)
}

/// The operator's row and roles, in the caller's transaction; a name taken (in any case) is
/// `OperatorNameTaken`.
async fn insert_operator(
    conn: &mut sqlx::AnyConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    roles: &[Role],
    must_change_password: bool,
) -> Result<OperatorId, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO operators (username, display_name, password_hash, created_at, must_change_password)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(now())
    .bind(must_change_password as i64)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match e.as_database_error().is_some_and(|e| e.is_unique_violation()) {
        true => AppError::OperatorNameTaken,
        false => e.into(),
    })?;
    for role in roles {
        sqlx::query("INSERT INTO operator_roles (operator_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(OperatorId(id))
}

/// Whether the deployment has an Enterprise Administrator who can sign in (not disabled):
/// without one, a company's deployment is not served.
pub async fn has_enterprise_administrator(db: &AnyPool) -> Result<bool, AppError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM operators o JOIN operator_roles r ON r.operator_id = o.id
         WHERE r.role = $1 AND o.disabled = 0 AND o.deleted_at IS NULL",
    )
    .bind(Role::EnterpriseAdministrator.as_str())
    .fetch_one(db)
    .await?;
    Ok(count > 0)
}

/// `uc-admin init --admin NAME`: the first Enterprise Administrator of a company's deployment
/// (also a User Administrator, like the demo's), audited as done from the command line.
/// Refused on the demo's database, once an Enterprise Administrator exists, and for a password
/// that breaks the rule.
pub async fn init_administrator(
    db: &AnyPool,
    username: &str,
    display_name: &str,
    password: &str,
) -> Result<OperatorId, AppError> {
    use crate::domain::deployment::{DeploymentKind, check_new_password};
    let username = username.trim();
    if username.is_empty() || username.chars().count() > 64 || username.chars().any(char::is_whitespace) {
        return Err(AppError::BadRequest);
    }
    check_new_password(username, password)?;
    if crate::server::storage::deployment::kind(db).await? == Some(DeploymentKind::Demo) {
        return Err(AppError::DemoDeployment);
    }
    if has_enterprise_administrator(db).await? {
        return Err(AppError::AdministratorExists);
    }
    let display_name = if display_name.trim().is_empty() { username } else { display_name.trim() };
    let roles = [Role::EnterpriseAdministrator, Role::UserAdministrator];
    let id = create_operator(db, username, display_name, password, &roles).await?;
    let mut conn = db.acquire().await?;
    let parameters =
        json!({ "operator": username, "roles": ["enterprise_administrator", "user_administrator"] });
    audit::record_as(&mut conn, None, "command-line", "operator_created", parameters, 1).await?;
    Ok(id)
}

/// A password someone is given, to be replaced at first sign-in: 16 letters and digits,
/// without the ones that are easily confused (0/O, 1/l/I).
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

fn check_username(username: &str) -> Result<&str, AppError> {
    let username = username.trim();
    let valid = !username.is_empty()
        && username.chars().count() <= crate::domain::security::MAX_USERNAME_CHARS
        && !username.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(username) } else { Err(AppError::BadRequest) }
}

/// An operator created by an administrator (or the command line) with `roles` and a one-time
/// password, which is returned to be shown once and must be changed at the first sign-in.
pub async fn add_operator(
    db: &AnyPool,
    by: audit::Actor<'_>,
    username: &str,
    display_name: &str,
    roles: &[Role],
) -> Result<(OperatorId, String), AppError> {
    let username = check_username(username)?;
    // No role is allowed: an operator whose access is only a scoped role given next (a site's
    // administrator) has none until then.
    if display_name.chars().count() > 128 {
        return Err(AppError::BadRequest);
    }
    let display_name = if display_name.trim().is_empty() { username } else { display_name.trim() };
    let password = one_time_password();
    let hash = hash_password(&password).await?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let id = insert_operator(&mut tx, username, display_name, &hash, roles, true).await?;
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let parameters = json!({ "operator": username, "roles": roles });
    audit::record_as(&mut tx, by.id, by.name, "operator_created", parameters, 1).await?;
    tx.commit().await?;
    Ok((id, password))
}

/// A new one-time password for `target` (to be changed at their next sign-in); their sessions
/// end. Returned to be shown once.
pub async fn reset_password(
    db: &AnyPool,
    by: audit::Actor<'_>,
    target: OperatorId,
) -> Result<String, AppError> {
    if is_directory_operator(db, target).await? {
        return Err(AppError::DirectoryAccount);
    }
    let password = one_time_password();
    let hash = hash_password(&password).await?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let name: String = sqlx::query_scalar(
        "UPDATE operators SET password_hash = $1, must_change_password = 1
         WHERE id = $2 AND deleted_at IS NULL RETURNING username",
    )
    .bind(hash)
    .bind(target.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::OperatorNotFound)?;
    let ended = sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
        .bind(target.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let parameters = json!({ "operator": name, "sessions_ended": ended });
    audit::record_as(&mut tx, by.id, by.name, "operator_password_reset", parameters, 0).await?;
    tx.commit().await?;
    Ok(password)
}

/// How the console looks for the operator (their own choice, kept with them).
pub async fn theme_of(db: &AnyPool, operator: OperatorId) -> Result<Theme, AppError> {
    let code: Option<String> = sqlx::query_scalar("SELECT theme FROM operators WHERE id = $1")
        .bind(operator.0)
        .fetch_optional(db)
        .await?;
    let code = code.ok_or(AppError::OperatorNotFound)?;
    code.parse().map_err(|_| corrupt("theme", &code))
}

/// The operator chooses how the console looks for them; a preference of their own, so not
/// audited.
pub async fn set_theme(db: &AnyPool, operator: OperatorId, theme: Theme) -> Result<(), AppError> {
    crate::server::storage::db::in_write(db, async |conn| {
        let changed = sqlx::query("UPDATE operators SET theme = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(theme.as_str())
            .bind(operator.0)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if changed == 0 { Err(AppError::OperatorNotFound) } else { Ok(()) }
    })
    .await
}

/// The signed-in operator chooses a new password: the current one is checked like a step-up
/// (throttled, audited when wrong), the new one follows the rule and differs from it.
pub async fn change_own_password(
    db: &AnyPool,
    config: &Config,
    operator: &Operator,
    current: &str,
    new: &str,
    client: &Client,
) -> Result<(), AppError> {
    if new.chars().count() > crate::domain::security::MAX_PASSWORD_CHARS {
        return Err(AppError::TextTooLong { max: crate::domain::security::MAX_PASSWORD_CHARS as u64 });
    }
    if is_directory_operator(db, operator.id).await? {
        return Err(AppError::DirectoryAccount);
    }
    crate::domain::deployment::check_new_password(&operator.username, new)?;
    confirm_password(db, config, operator, current, client).await?;
    if current == new {
        return Err(AppError::PasswordUnchanged);
    }
    let hash = hash_password(new).await?;
    let mut tx = crate::server::storage::db::write(db).await?;
    sqlx::query("UPDATE operators SET password_hash = $1, must_change_password = 0 WHERE id = $2")
        .bind(hash)
        .bind(operator.id.0)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, operator, "password_changed", json!({}), 0).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the operator signed in with a one-time password they have not replaced yet.
pub async fn must_change_password(db: &AnyPool, operator: OperatorId) -> Result<bool, AppError> {
    let flag: Option<i64> = sqlx::query_scalar("SELECT must_change_password FROM operators WHERE id = $1")
        .bind(operator.0)
        .fetch_optional(db)
        .await?;
    Ok(flag.ok_or(AppError::OperatorNotFound)? != 0)
}

/// Whether the operator signs in with the directory (and so has no password here).
async fn is_directory_operator(db: &AnyPool, id: OperatorId) -> Result<bool, AppError> {
    let source: Option<String> = sqlx::query_scalar("SELECT source FROM operators WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?;
    Ok(source.as_deref() == Some("directory"))
}

/// An operator's id by their sign-in name (any case).
pub async fn find(db: &AnyPool, username: &str) -> Result<OperatorId, AppError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM operators WHERE username = $1 AND deleted_at IS NULL")
            .bind(username.trim())
            .fetch_optional(db)
            .await?;
    id.map(OperatorId).ok_or(AppError::OperatorNotFound)
}

/// The demo operators: user name, display name, roles.
pub const DEMO_OPERATORS: [(&str, &str, &[Role]); 4] = [
    ("admin", "Kim Akers", &[Role::EnterpriseAdministrator, Role::UserAdministrator]),
    ("useradmin", "Ben Miller", &[Role::UserAdministrator]),
    ("helpdesk", "Dana Birkby", &[Role::HelpDesk]),
    ("orgmanager", "Jo Berry", &[Role::EnterpriseUserManager]),
];

/// Creates the demo operators if there are no operators yet, each with a password of their
/// own; returns them (name, password) so that the caller can print them once. With
/// `demo.password` configured (scripted demos and tests), all of them use it and nothing is
/// returned.
pub async fn ensure_demo_operators(db: &AnyPool, config: &Config) -> Result<Vec<(String, String)>, AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operators").fetch_one(db).await?;
    if existing > 0 {
        return Ok(Vec::new());
    }
    let mut generated = Vec::new();
    for (username, display_name, roles) in DEMO_OPERATORS {
        let password = match &config.demo_password {
            Some(p) => p.clone(),
            None => {
                let password = random_token()[..16].to_string();
                generated.push((username.to_string(), password.clone()));
                password
            }
        };
        create_operator(db, username, display_name, &password, roles).await?;
    }
    Ok(generated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::db;
    use std::time::Duration;

    async fn setup() -> (AnyPool, Config) {
        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        let config = Config::for_tests();
        ensure_demo_operators(&db, &config).await.unwrap();
        (db, config)
    }

    /// Each operator keeps a theme of their own: the system's until they choose, then theirs
    /// alone; an operator who is gone cannot be given one, and nothing else changes.
    #[tokio::test]
    async fn each_operator_keeps_their_own_theme() {
        let (db, _) = setup().await;
        let (admin, helpdesk) = (find(&db, "admin").await.unwrap(), find(&db, "helpdesk").await.unwrap());
        assert_eq!(theme_of(&db, admin).await.unwrap(), Theme::System);
        set_theme(&db, admin, Theme::Dark).await.unwrap();
        assert_eq!(theme_of(&db, admin).await.unwrap(), Theme::Dark);
        assert_eq!(theme_of(&db, helpdesk).await.unwrap(), Theme::System, "another operator's stays");
        set_theme(&db, admin, Theme::Light).await.unwrap();
        assert_eq!(theme_of(&db, admin).await.unwrap(), Theme::Light);

        let gone = OperatorId(4242);
        assert_eq!(set_theme(&db, gone, Theme::Dark).await.err(), Some(AppError::OperatorNotFound));
        assert_eq!(theme_of(&db, gone).await.err(), Some(AppError::OperatorNotFound));
        // The database holds nothing but the three themes.
        let refused = sqlx::query("UPDATE operators SET theme = 'purple' WHERE id = $1")
            .bind(admin.0)
            .execute(&db)
            .await;
        assert!(refused.is_err(), "the column's CHECK refuses an unknown theme");
        assert_eq!(theme_of(&db, admin).await.unwrap(), Theme::Light);
        for theme in Theme::ALL {
            assert_eq!(theme.as_str().parse::<Theme>(), Ok(theme));
        }
        assert!("purple".parse::<Theme>().is_err());
    }

    /// An operator added by an administrator signs in with a one-time password, must replace it
    /// (the current one right, the new one long enough, without the name, different), and a
    /// reset gives another and ends their sessions. Every refusal changes nothing.
    #[tokio::test]
    async fn an_added_operator_replaces_the_one_time_password_and_a_reset_starts_again() {
        let (db, config) = setup().await;
        let by = audit::Actor { id: None, name: "command-line" };
        let client = Client::default();
        let (id, first) =
            add_operator(&db, by, "bmiller2", "Ben Miller", &[Role::UserAdministrator]).await.unwrap();
        assert_eq!(first.chars().count(), 16);
        for (name, roles) in
            [("BMILLER2", &[Role::HelpDesk][..]), ("two words", &[Role::HelpDesk]), ("", &[])]
        {
            assert!(add_operator(&db, by, name, "", roles).await.is_err(), "{name}");
        }
        assert_eq!(
            add_operator(&db, by, "BMILLER2", "", &[Role::HelpDesk]).await.err(),
            Some(AppError::OperatorNameTaken)
        );
        let session = sign_in(&db, &config, "bmiller2", &first, &client, None).await.unwrap();
        assert!(must_change_password(&db, id).await.unwrap());
        let me = session.operator;
        for (current, new, refusal) in [
            ("wrong", "correct horse battery", AppError::StepUpFailed),
            (first.as_str(), "short", AppError::WeakPassword { min: 12 }),
            (first.as_str(), "my-bmiller2-password", AppError::PasswordIsName),
            (first.as_str(), first.as_str(), AppError::PasswordUnchanged),
        ] {
            assert_eq!(
                change_own_password(&db, &config, &me, current, new, &client).await.err(),
                Some(refusal)
            );
            assert!(must_change_password(&db, id).await.unwrap(), "unchanged after a refusal");
        }
        change_own_password(&db, &config, &me, &first, "correct horse battery", &client).await.unwrap();
        assert!(!must_change_password(&db, id).await.unwrap());
        assert!(sign_in(&db, &config, "bmiller2", &first, &client, None).await.is_err());
        let again = sign_in(&db, &config, "bmiller2", "correct horse battery", &client, None).await.unwrap();

        let second = reset_password(&db, by, id).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(session_operator(&db, &config, &again.token).await.err(), Some(AppError::Unauthenticated));
        assert!(must_change_password(&db, id).await.unwrap());
        assert!(sign_in(&db, &config, "bmiller2", &second, &client, None).await.is_ok());
        assert_eq!(reset_password(&db, by, OperatorId(9_999)).await.err(), Some(AppError::OperatorNotFound));
        let operations: Vec<String> =
            sqlx::query_scalar("SELECT operation FROM audit_events WHERE operation IN ('operator_created', 'password_changed', 'operator_password_reset') ORDER BY id")
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(operations, ["operator_created", "password_changed", "operator_password_reset"]);
    }

    #[tokio::test]
    async fn signs_in_with_the_right_password_only() {
        let (db, config) = setup().await;
        let s = sign_in(&db, &config, "helpdesk", "test-password", &Client::default(), None).await.unwrap();
        assert_eq!(s.operator.roles, vec![Role::HelpDesk]);
        assert_eq!(session_operator(&db, &config, &s.token).await.unwrap().operator.username, "helpdesk");
        assert_eq!(
            sign_in(&db, &config, "helpdesk", "wrong", &Client::default(), None).await.err(),
            Some(AppError::InvalidCredentials)
        );
        assert_eq!(
            sign_in(&db, &config, "nobody", "test-password", &Client::default(), None).await.err(),
            Some(AppError::InvalidCredentials)
        );
        // User names are case-insensitive, like Windows account names.
        assert!(sign_in(&db, &config, "HelpDesk", "test-password", &Client::default(), None).await.is_ok());
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
        let s = sign_in(&db, &config, "admin", "test-password", &Client::default(), None).await.unwrap();
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
        let s = sign_in(&db, &config, "admin", "test-password", &Client::default(), None).await.unwrap();
        sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 3600").execute(&db).await.unwrap();
        config.session_idle = Duration::from_secs(1800);
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&db).await.unwrap();
        assert_eq!(left, 0, "an expired session is deleted when met");

        let s = sign_in(&db, &config, "admin", "test-password", &Client::default(), None).await.unwrap();
        sqlx::query("UPDATE sessions SET expires_at = 0").execute(&db).await.unwrap();
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
    }

    #[tokio::test]
    async fn disabled_operators_cannot_sign_in_or_keep_sessions() {
        let (db, config) = setup().await;
        let s = sign_in(&db, &config, "useradmin", "test-password", &Client::default(), None).await.unwrap();
        sqlx::query("UPDATE operators SET disabled = 1 WHERE username = 'useradmin'")
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(session_operator(&db, &config, &s.token).await.err(), Some(AppError::Unauthenticated));
        assert_eq!(
            sign_in(&db, &config, "useradmin", "test-password", &Client::default(), None).await.err(),
            Some(AppError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn demo_operators_are_created_once_each_with_a_password_of_their_own() {
        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        let config = Config { demo_password: None, ..Config::for_tests() };
        let generated = ensure_demo_operators(&db, &config).await.unwrap();
        assert_eq!(generated.len(), DEMO_OPERATORS.len());
        let distinct: std::collections::HashSet<&String> = generated.iter().map(|(_, p)| p).collect();
        assert_eq!(distinct.len(), generated.len(), "one password each");
        let (admin, helpdesk) = (&generated[0], &generated[2]);
        assert!(generated.iter().all(|(_, p)| p.len() == 16));
        assert!(sign_in(&db, &config, &admin.0, &admin.1, &Client::default(), None).await.is_ok());
        assert_eq!(
            sign_in(&db, &config, &helpdesk.0, &admin.1, &Client::default(), None).await.err(),
            Some(AppError::InvalidCredentials),
            "another operator's password does not open this one"
        );
        assert!(ensure_demo_operators(&db, &config).await.unwrap().is_empty());
    }

    fn from(address: &str) -> Client {
        Client { address: address.into(), user_agent: "test".into() }
    }

    /// Lets every pending wait pass, as if the operator had waited (lockouts included).
    async fn let_waits_pass(db: &AnyPool) {
        sqlx::query("UPDATE sign_in_throttle SET blocked_until = 0").execute(db).await.unwrap();
    }

    async fn operations(db: &AnyPool, operation: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = $1")
            .bind(operation)
            .fetch_one(db)
            .await
            .unwrap()
    }

    /// The answers a guesser gets for `name`: ten wrong passwords, each as soon as allowed,
    /// and from the fourth on the right password tried at once after each. Once the name is
    /// locked, the guesser no longer waits for anything.
    async fn guess(db: &AnyPool, config: &Config, name: &str, address: &str) -> Vec<&'static str> {
        let mut answers = Vec::new();
        for round in 1..=10 {
            let wrong = sign_in(db, config, name, "guess", &from(address), None).await;
            answers.push(wrong.err().map(|e| e.code()).unwrap_or("ok"));
            if round >= 4 {
                let right = sign_in(db, config, name, "test-password", &from(address), None).await;
                answers.push(right.err().map(|e| e.code()).unwrap_or("ok"));
            }
            let locked: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sign_in_throttle WHERE scope = 'account' AND key = $1 AND failures >= 10",
            )
            .bind(name)
            .fetch_one(db)
            .await
            .unwrap();
            if round < 10 && locked == 0 {
                let_waits_pass(db).await;
            }
        }
        answers
    }

    #[tokio::test]
    async fn failures_slow_down_then_lock_the_name_without_revealing_whether_it_exists() {
        let (db, config) = setup().await;
        // Three typing mistakes cost nothing: the right password then works at once.
        for _ in 0..3 {
            assert_eq!(
                sign_in(&db, &config, "admin", "typo", &from("10.0.0.1"), None).await.err(),
                Some(AppError::InvalidCredentials)
            );
        }
        assert!(sign_in(&db, &config, "admin", "test-password", &from("10.0.0.1"), None).await.is_ok());
        // Success forgets the name's failures: three more are free again.
        for _ in 0..3 {
            assert!(sign_in(&db, &config, "Admin", "typo", &from("10.0.0.1"), None).await.is_err());
        }
        assert!(sign_in(&db, &config, "admin", "test-password", &from("10.0.0.1"), None).await.is_ok());

        // A guesser: after the fourth failure each attempt must wait, and even the right
        // password is refused unchecked while held back; an attempt made while held back counts
        // as a failure, so the name locks after the seventh wrong password here.
        let (db, config) = setup().await;
        let real = guess(&db, &config, "useradmin", "10.0.0.2").await;
        let lock = sqlx::query_scalar::<_, i64>(
            "SELECT blocked_until FROM sign_in_throttle WHERE scope = 'account' AND key = 'useradmin'",
        )
        .fetch_one(&db)
        .await
        .unwrap()
            - crate::server::now();
        assert!((15 * 60 - 5..=15 * 60).contains(&lock), "locked for 15 minutes ({lock} s left)");
        let unknown = guess(&db, &config, "nobody", "10.0.0.3").await;
        assert_eq!(real, unknown, "an unknown name is throttled exactly like a real one");
        let (invalid, held) = ("invalid_credentials", "too_many_sign_in_attempts");
        let mut expected = vec![invalid; 3];
        for _ in 4..=7 {
            expected.extend([invalid, held]);
        }
        for _ in 8..=10 {
            expected.extend([held, held]);
        }
        assert_eq!(real, expected, "from the fourth failure, even the right password waits");
        // Audited: every failure (held-back attempts included) and each lockout, once.
        assert_eq!(operations(&db, "sign_in_locked").await, 2, "one lockout per name");
        assert_eq!(operations(&db, "sign_in_failed").await as usize, 2 * real.len(), "every refusal");
        // The password was never accepted while held back, but works once the lockout is over.
        let_waits_pass(&db).await;
        assert!(sign_in(&db, &config, "useradmin", "test-password", &from("10.0.0.2"), None).await.is_ok());
    }

    #[tokio::test]
    async fn one_address_trying_many_names_is_held_back_too() {
        let (db, config) = setup().await;
        for n in 0..30 {
            let r = sign_in(&db, &config, &format!("name{n}"), "x", &from("192.0.2.9"), None).await;
            assert!(r.is_err());
            if n < 29 {
                let_waits_pass(&db).await;
            }
        }
        // The thirtieth failure locked the address: not even a real operator gets in from it…
        assert_eq!(
            sign_in(&db, &config, "admin", "test-password", &from("192.0.2.9"), None)
                .await
                .err()
                .map(|e| e.code()),
            Some("too_many_sign_in_attempts")
        );
        let locks: Vec<(String, String)> =
            sqlx::query_as("SELECT scope, key FROM sign_in_throttle WHERE blocked_until > 0")
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(locks, [("address".to_string(), "192.0.2.9".to_string())]);
        // …but from another address they do, and an administrator can lift the lock.
        assert!(sign_in(&db, &config, "admin", "test-password", &from("192.0.2.10"), None).await.is_ok());
        let admin = load_operator(&db, 1).await.unwrap();
        sign_in_throttle::unlock(&db, &admin, crate::domain::security::ThrottleScope::Address, "192.0.2.9")
            .await
            .unwrap();
        assert!(sign_in(&db, &config, "admin", "test-password", &from("192.0.2.9"), None).await.is_ok());
        assert_eq!(operations(&db, "sign_in_unlock").await, 1);
    }

    #[tokio::test]
    async fn a_new_sign_in_replaces_the_session_the_browser_held() {
        let (db, config) = setup().await;
        let first = sign_in(&db, &config, "admin", "test-password", &from("10.0.0.1"), None).await.unwrap();
        let second = sign_in(&db, &config, "admin", "test-password", &from("10.0.0.1"), Some(&first.token))
            .await
            .unwrap();
        assert_ne!(first.token, second.token);
        assert_eq!(session_operator(&db, &config, &first.token).await.err(), Some(AppError::Unauthenticated));
        assert!(session_operator(&db, &config, &second.token).await.is_ok());
    }

    #[tokio::test]
    async fn the_password_confirmation_is_checked_throttled_and_audited() {
        let (db, config) = setup().await;
        let s = sign_in(&db, &config, "useradmin", "test-password", &from("10.0.0.4"), None).await.unwrap();
        let me = s.operator;
        assert!(confirm_password(&db, &config, &me, "test-password", &from("10.0.0.4")).await.is_ok());
        assert_eq!(
            confirm_password(&db, &config, &me, "wrong", &from("10.0.0.4")).await.err(),
            Some(AppError::StepUpFailed)
        );
        assert_eq!(operations(&db, "step_up_failed").await, 1);
        // Guessing through the confirmation counts like guessing at sign-in.
        for _ in 0..3 {
            assert!(confirm_password(&db, &config, &me, "wrong", &from("10.0.0.4")).await.is_err());
        }
        assert_eq!(
            confirm_password(&db, &config, &me, "test-password", &from("10.0.0.4"))
                .await
                .err()
                .map(|e| e.code()),
            Some("too_many_sign_in_attempts")
        );
    }

    #[tokio::test]
    async fn administrators_list_and_end_sessions_and_disabling_ends_them_all() {
        let (db, config) = setup().await;
        let admin = sign_in(&db, &config, "admin", "test-password", &from("10.0.0.5"), None).await.unwrap();
        let a = sign_in(&db, &config, "helpdesk", "test-password", &from("10.0.0.6"), None).await.unwrap();
        let b = sign_in(&db, &config, "helpdesk", "test-password", &from("10.0.0.7"), None).await.unwrap();
        let listed = sessions(&db, Some(&admin.token)).await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(
            listed.iter().filter(|s| s.current).map(|s| s.username.as_str()).collect::<Vec<_>>(),
            ["admin"]
        );
        assert!(listed.iter().any(|s| s.client_address == "10.0.0.7" && s.user_agent == "test"));
        // End one session: that browser is signed out, the other is not.
        let id = listed.iter().find(|s| s.client_address == "10.0.0.6").unwrap().id;
        end_session(&db, &admin.operator, id).await.unwrap();
        assert_eq!(session_operator(&db, &config, &a.token).await.err(), Some(AppError::Unauthenticated));
        assert!(session_operator(&db, &config, &b.token).await.is_ok());
        assert_eq!(end_session(&db, &admin.operator, id).await.err(), Some(AppError::SessionNotFound));
        // Disabling ends every session at once; nobody disables themselves.
        let help_desk = b.operator.id;
        set_disabled(&db, (&admin.operator).into(), help_desk, true).await.unwrap();
        assert_eq!(session_operator(&db, &config, &b.token).await.err(), Some(AppError::Unauthenticated));
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE operator_id = $1")
            .bind(help_desk.0)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(left, 0);
        assert_eq!(
            set_disabled(&db, (&admin.operator).into(), admin.operator.id, true).await.err(),
            Some(AppError::CannotDisableSelf)
        );
        assert_eq!(
            set_disabled(&db, (&admin.operator).into(), help_desk, true).await.err(),
            Some(AppError::NothingToChange)
        );
        let listed = list(&db).await.unwrap();
        assert!(listed.iter().any(|o| o.username == "helpdesk" && o.disabled && o.sessions == 0));
        set_disabled(&db, (&admin.operator).into(), help_desk, false).await.unwrap();
        assert!(sign_in(&db, &config, "helpdesk", "test-password", &from("10.0.0.6"), None).await.is_ok());
        for op in ["session_end", "operator_disable", "operator_enable"] {
            assert_eq!(operations(&db, op).await, 1, "{op}");
        }
    }

    #[tokio::test]
    async fn deleting_an_operator_ends_their_access_but_never_the_last_administrator() {
        let db = crate::server::storage::db::connect(&crate::server::storage::db::test_database().await)
            .await
            .unwrap();
        crate::server::storage::deployment::start(&db).await.unwrap();
        let first = init_administrator(&db, "kakers", "Kim Akers", "correct horse battery").await.unwrap();
        let cli = audit::Actor { id: None, name: "command-line" };
        let me = audit::Actor { id: Some(first.0), name: "kakers" };
        assert_eq!(delete_operator(&db, me, first).await.err(), Some(AppError::CannotDeleteSelf));
        assert_eq!(delete_operator(&db, cli, first).await.err(), Some(AppError::LastAdministrator));
        let (helper, _) = add_operator(&db, cli, "bmiller", "Ben Miller", &[Role::HelpDesk]).await.unwrap();
        let (second, _) =
            add_operator(&db, cli, "pdavis", "", &[Role::EnterpriseAdministrator]).await.unwrap();
        sqlx::query("INSERT INTO saved_queries (operator_id, name, query, shared, created_at, updated_at) VALUES ($1, 'mine', 'q=a', 0, 0, 0)")
            .bind(helper.0)
            .execute(&db)
            .await
            .unwrap();
        delete_operator(&db, me, helper).await.unwrap();
        assert_eq!(find(&db, "bmiller").await.err(), Some(AppError::OperatorNotFound));
        assert!(list(&db).await.unwrap().iter().all(|o| o.username != "bmiller"));
        assert_eq!(delete_operator(&db, me, helper).await.err(), Some(AppError::OperatorNotFound));
        assert_eq!(reset_password(&db, me, helper).await.err(), Some(AppError::OperatorNotFound));
        assert_eq!(set_disabled(&db, me, helper, false).await.err(), Some(AppError::NothingToChange));
        let queries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM saved_queries WHERE operator_id = $1")
            .bind(helper.0)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(queries, 0, "their private saved queries went with them");
        // The name stays taken: the audit log keeps meaning one person.
        assert_eq!(
            add_operator(&db, cli, "BMILLER", "", &[Role::HelpDesk]).await.err(),
            Some(AppError::OperatorNameTaken)
        );
        // With a second administrator, the first may go; then the second is the last.
        delete_operator(&db, audit::Actor { id: Some(second.0), name: "pdavis" }, first).await.unwrap();
        assert!(has_enterprise_administrator(&db).await.unwrap());
        assert_eq!(delete_operator(&db, cli, second).await.err(), Some(AppError::LastAdministrator));
        let deleted: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'operator_deleted'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(deleted, 2);
    }
}

//! Personal access tokens of the scripting API: created by an operator for themselves with
//! some of their own permissions, stored as a hash, listed with their last use, revoked by
//! their operator or by an administrator. A request's bearer secret becomes the operator it
//! acts for, narrowed to the token's permissions (`Operator::may`).

use super::audit;
use super::operators::{load_operator, random_token, token_hash};
use crate::domain::AppError;
use crate::domain::api_token::{
    ApiToken, ApiTokenId, ApiTokenStatus, CreatedApiToken, NewApiToken, TOKEN_PREFIX, looks_like_secret,
};
use crate::domain::operator::{ApiTokenUse, Operator, Permission};
use crate::server::storage::db::in_write;
use crate::server::storage::error::corrupt;
use crate::server::{Config, now};
use serde_json::json;
use sqlx::AnyPool;

/// The last use is written at most this often per token (seconds): a script's every call
/// must not be a write.
const LAST_USE_PRECISION: i64 = 60;

fn permissions_text(permissions: &[Permission]) -> String {
    permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

fn parse_permissions(text: &str) -> Result<Vec<Permission>, AppError> {
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| corrupt("permission", p)))
        .collect()
}

/// Creates a token for the operator; the answer is the only place its secret ever appears.
pub async fn create(
    db: &AnyPool,
    operator: &Operator,
    request: &NewApiToken,
) -> Result<CreatedApiToken, AppError> {
    // A token never mints tokens: what a script may do is decided by a person.
    if operator.api_token.is_some() {
        return Err(AppError::Forbidden);
    }
    let (name, permissions) = request.checked(operator)?;
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let created_at = now();
    let expires_at = created_at + i64::from(request.days) * 86_400;
    let id: i64 = in_write(db, async |conn| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (operator_id, name, token_hash, permissions, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(operator.id.0)
        .bind(&name)
        .bind(token_hash(&secret))
        .bind(permissions_text(&permissions))
        .bind(created_at)
        .bind(expires_at)
        .fetch_one(&mut *conn)
        .await?;
        let codes: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
        let parameters = json!({ "token": id, "name": name, "permissions": codes, "expires_at": expires_at });
        audit::record(conn, operator, "api_token_create", parameters, 0).await?;
        Ok(id)
    })
    .await?;
    let token = ApiToken {
        id: ApiTokenId(id),
        name,
        owner: operator.username.clone(),
        permissions,
        created_at,
        expires_at,
        last_used_at: None,
        revoked_at: None,
        status: ApiTokenStatus::Active,
    };
    Ok(CreatedApiToken { token, secret })
}

#[derive(sqlx::FromRow)]
struct TokenRecord {
    id: i64,
    name: String,
    owner: String,
    permissions: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<TokenRecord> for ApiToken {
    type Error = AppError;
    fn try_from(r: TokenRecord) -> Result<ApiToken, AppError> {
        Ok(ApiToken {
            id: ApiTokenId(r.id),
            name: r.name,
            owner: r.owner,
            permissions: parse_permissions(&r.permissions)?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            status: ApiTokenStatus::at(now(), r.expires_at, r.revoked_at),
        })
    }
}

/// Tokens newest first: the operator's own, or (`everyone`, for those who manage operators)
/// every operator's.
pub async fn list(db: &AnyPool, operator: &Operator, everyone: bool) -> Result<Vec<ApiToken>, AppError> {
    if everyone && !operator.may(Permission::ManageOperators) {
        return Err(AppError::Forbidden);
    }
    let records: Vec<TokenRecord> = sqlx::query_as(
        "SELECT t.id, t.name, o.username AS owner, t.permissions, t.created_at, t.expires_at,
                t.last_used_at, t.revoked_at
         FROM api_tokens t JOIN operators o ON o.id = t.operator_id
         WHERE $1 = 1 OR t.operator_id = $2
         ORDER BY t.created_at DESC, t.id DESC",
    )
    .bind(i64::from(everyone))
    .bind(operator.id.0)
    .fetch_all(db)
    .await?;
    records.into_iter().map(ApiToken::try_from).collect()
}

/// Revokes a token of the operator's own, or anyone's for those who manage operators. A token
/// revoked already stays as it was (no second audit event).
pub async fn revoke(db: &AnyPool, operator: &Operator, id: ApiTokenId) -> Result<(), AppError> {
    if operator.api_token.is_some() {
        return Err(AppError::Forbidden);
    }
    let anyone = operator.may(Permission::ManageOperators);
    in_write(db, async |conn| {
        let found: Option<(i64, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT t.operator_id, t.name, t.revoked_at, o.username
             FROM api_tokens t JOIN operators o ON o.id = t.operator_id WHERE t.id = $1",
        )
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((owner, name, revoked_at, owner_name)) = found else {
            return Err(AppError::ApiTokenNotFound);
        };
        if owner != operator.id.0 && !anyone {
            return Err(AppError::ApiTokenNotFound);
        }
        if revoked_at.is_some() {
            return Ok(());
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
            .bind(now())
            .bind(&operator.username)
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        audit::record(
            conn,
            operator,
            "api_token_revoke",
            json!({ "token": id.0, "name": name, "owner": owner_name }),
            0,
        )
        .await?;
        Ok(())
    })
    .await
}

/// The operator a bearer secret acts for, narrowed to the token's permissions, and the
/// token's id (for throttling). Refuses unknown, expired and revoked tokens and tokens of
/// disabled or deleted operators (and of directory operators once directory sign-in is off).
pub async fn authenticate(
    db: &AnyPool,
    config: &Config,
    secret: &str,
) -> Result<(Operator, ApiTokenId), AppError> {
    if !looks_like_secret(secret) {
        return Err(AppError::ApiTokenUnknown);
    }
    let found: Option<(i64, i64, String, String, i64, Option<i64>, Option<i64>, i64, String)> =
        sqlx::query_as(
            "SELECT t.id, t.operator_id, t.name, t.permissions, t.expires_at, t.revoked_at, t.last_used_at,
                o.disabled, o.source
         FROM api_tokens t JOIN operators o ON o.id = t.operator_id WHERE t.token_hash = $1",
        )
        .bind(token_hash(secret))
        .fetch_optional(db)
        .await?;
    let Some((id, operator_id, name, permissions, expires_at, revoked_at, last_used_at, disabled, source)) =
        found
    else {
        return Err(AppError::ApiTokenUnknown);
    };
    let t = now();
    if revoked_at.is_some() {
        return Err(AppError::ApiTokenRevoked);
    }
    if expires_at <= t {
        return Err(AppError::ApiTokenExpired);
    }
    if disabled != 0 || (source == "directory" && config.directory_sign_in.is_none()) {
        return Err(AppError::ApiTokenOwnerDisabled);
    }
    if last_used_at.is_none_or(|at| t - at >= LAST_USE_PRECISION) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(t)
            .bind(id)
            .execute(db)
            .await?;
    }
    let mut operator = load_operator(db, operator_id).await?;
    operator.api_token = Some(ApiTokenUse { name, permissions: parse_permissions(&permissions)? });
    Ok((operator, ApiTokenId(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppError;
    use crate::domain::operator::Role;
    use crate::server::security::operators::{add_operator, set_disabled};
    use crate::server::storage::db;

    async fn setup() -> (AnyPool, Config, Operator, Operator) {
        let db = db::connect(&db::test_database().await).await.unwrap();
        let config = Config::for_tests();
        let by = audit::Actor { id: None, name: "command-line" };
        let (admin, _) =
            add_operator(&db, by, "admin1", "Admin", &[Role::EnterpriseAdministrator]).await.unwrap();
        let (user, _) =
            add_operator(&db, by, "useradm1", "User Admin", &[Role::UserAdministrator]).await.unwrap();
        let admin = load_operator(&db, admin.0).await.unwrap();
        let user = load_operator(&db, user.0).await.unwrap();
        (db, config, admin, user)
    }

    fn ask(name: &str, days: u32, permissions: &[Permission]) -> NewApiToken {
        NewApiToken { name: name.into(), days, permissions: permissions.to_vec() }
    }

    async fn tokens(db: &AnyPool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens").fetch_one(db).await.unwrap()
    }

    /// A token acts for its operator with only its own permissions; the secret is kept as a
    /// hash; a refusal stores nothing; tokens never mint tokens.
    #[tokio::test]
    async fn a_token_acts_for_its_operator_narrowed_to_its_permissions() {
        let (db, config, _, user) = setup().await;
        let created = create(&db, &user, &ask("read only", 30, &[Permission::ViewDeployment])).await.unwrap();
        assert!(looks_like_secret(&created.secret));
        let stored: String =
            sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(&db).await.unwrap();
        assert_ne!(stored, created.secret);
        let (me, id) = authenticate(&db, &config, &created.secret).await.unwrap();
        assert_eq!((me.id, id), (user.id, created.token.id));
        assert!(me.may(Permission::ViewDeployment));
        assert!(!me.may(Permission::ManageUsers), "narrowed to read-only");
        assert_eq!(me.api_token.as_ref().map(|t| t.name.as_str()), Some("read only"));

        for (request, refusal) in [
            (ask("x", 30, &[Permission::ManagePools]), AppError::ApiTokenPermissionNotHeld),
            (
                ask("x", 366, &[Permission::ViewDeployment]),
                AppError::ApiTokenLifetimeInvalid { max_days: 365 },
            ),
            (ask("", 30, &[Permission::ViewDeployment]), AppError::ApiTokenNameInvalid { max: 80 }),
        ] {
            assert_eq!(create(&db, &user, &request).await.err(), Some(refusal));
        }
        assert_eq!(
            create(&db, &me, &ask("y", 1, &[Permission::ViewDeployment])).await.err(),
            Some(AppError::Forbidden)
        );
        assert_eq!(tokens(&db).await, 1, "refusals stored nothing");
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'api_token_create'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(events, 1);
        assert_eq!(authenticate(&db, &config, "uca_nothing").await.err(), Some(AppError::ApiTokenUnknown));
        let unknown = format!("uca_{}", "0".repeat(64));
        assert_eq!(authenticate(&db, &config, &unknown).await.err(), Some(AppError::ApiTokenUnknown));
        let listed = list(&db, &user, false).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some(), "the use was recorded");
    }

    /// Expired, revoked and disabled-operator tokens stop working; only the owner or an
    /// administrator revokes, and only administrators list everyone's.
    #[tokio::test]
    async fn expired_revoked_and_disabled_tokens_stop_working() {
        let (db, config, admin, user) = setup().await;
        let all = [Permission::ViewDeployment, Permission::ManageUsers];
        let a = create(&db, &user, &ask("a", 30, &all)).await.unwrap();
        let b = create(&db, &user, &ask("b", 30, &all)).await.unwrap();
        let c = create(&db, &admin, &ask("c", 30, &[Permission::ViewDeployment])).await.unwrap();

        sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
            .bind(now() - 1)
            .bind(a.token.id.0)
            .execute(&db)
            .await
            .unwrap();
        assert_eq!(authenticate(&db, &config, &a.secret).await.err(), Some(AppError::ApiTokenExpired));

        assert_eq!(
            revoke(&db, &user, c.token.id).await.err(),
            Some(AppError::ApiTokenNotFound),
            "not theirs"
        );
        assert!(authenticate(&db, &config, &c.secret).await.is_ok());
        assert_eq!(list(&db, &user, true).await.err(), Some(AppError::Forbidden));
        assert_eq!(list(&db, &admin, true).await.unwrap().len(), 3);
        revoke(&db, &admin, b.token.id).await.unwrap();
        revoke(&db, &admin, b.token.id).await.unwrap();
        assert_eq!(authenticate(&db, &config, &b.secret).await.err(), Some(AppError::ApiTokenRevoked));
        let mine = list(&db, &user, false).await.unwrap();
        let statuses: Vec<_> = mine.iter().map(|t| (t.name.as_str(), t.status)).collect();
        assert_eq!(statuses, [("b", ApiTokenStatus::Revoked), ("a", ApiTokenStatus::Expired)]);
        let revocations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'api_token_revoke'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(revocations, 1, "a second revoke changes nothing");

        let by = audit::Actor { id: None, name: "command-line" };
        set_disabled(&db, by, admin.id, true).await.unwrap();
        assert_eq!(authenticate(&db, &config, &c.secret).await.err(), Some(AppError::ApiTokenOwnerDisabled));
        set_disabled(&db, by, admin.id, false).await.unwrap();
        assert!(authenticate(&db, &config, &c.secret).await.is_ok());
    }
}

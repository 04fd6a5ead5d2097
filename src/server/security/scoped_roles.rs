//! Scoped roles: created by an Enterprise Administrator from a template, limited to containers,
//! organizations and pools, and given to operators. Loaded with the operator on every call; the
//! gate turns them into the scope of the call (`Operator::for_call`).

use super::audit;
use crate::domain::AppError;
use crate::domain::operator::{Operator, OperatorId, Role};
use crate::domain::pool::PoolId;
use crate::domain::scope::{
    NewScopedRole, ScopeTerm, ScopedRole, ScopedRoleId, ScopedRoleSummary, ScopedRolesOverview,
};
use crate::server::now;
use crate::server::storage::db::in_write;
use crate::server::storage::error::corrupt;
use sqlx::{AnyConnection, AnyPool};

/// The scoped roles an operator holds, with their terms.
pub async fn held_by(conn: &mut AnyConnection, operator: OperatorId) -> Result<Vec<ScopedRole>, AppError> {
    let rows: Vec<(i64, String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT r.id, r.name, r.template, t.kind, t.value
         FROM operator_scoped_roles h JOIN scoped_roles r ON r.id = h.role_id
         LEFT JOIN scoped_role_terms t ON t.role_id = r.id
         WHERE h.operator_id = $1 ORDER BY r.id, t.kind, t.value",
    )
    .bind(operator.0)
    .fetch_all(&mut *conn)
    .await?;
    gather(rows)
}

/// Rows of (role, term) in role order, folded into roles.
fn gather(
    rows: Vec<(i64, String, String, Option<String>, Option<String>)>,
) -> Result<Vec<ScopedRole>, AppError> {
    let mut roles: Vec<ScopedRole> = Vec::new();
    for (id, name, template, kind, value) in rows {
        if roles.last().is_none_or(|r| r.id.0 != id) {
            let template: Role = template.parse().map_err(|_| corrupt("scoped role template", &template))?;
            roles.push(ScopedRole { id: ScopedRoleId(id), name, template, terms: Vec::new() });
        }
        if let (Some(kind), Some(value)) = (kind, value) {
            let term = ScopeTerm::from_stored(&kind, &value).ok_or_else(|| corrupt("scope term", &value))?;
            roles.last_mut().expect("pushed above").terms.push(term);
        }
    }
    Ok(roles)
}

/// Every scoped role with its terms named and its holders, and what a new role may name.
pub async fn overview(db: &AnyPool) -> Result<ScopedRolesOverview, AppError> {
    let operators: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, username FROM operators WHERE deleted_at IS NULL ORDER BY username")
            .fetch_all(db)
            .await?;
    let mut organizations: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM organizations").fetch_all(db).await?;
    organizations.sort_by_key(|(_, name)| name.to_lowercase());
    let pools: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, fqdn FROM pools WHERE state <> 'removed' ORDER BY fqdn")
            .fetch_all(db)
            .await?;
    Ok(ScopedRolesOverview {
        roles: list(db).await?,
        operators: operators.into_iter().map(|(id, name)| (OperatorId(id), name)).collect(),
        organizations,
        pools: pools.into_iter().map(|(id, fqdn)| (PoolId(id), fqdn)).collect(),
    })
}

/// Every scoped role, by name, with its terms named and its holders.
async fn list(db: &AnyPool) -> Result<Vec<ScopedRoleSummary>, AppError> {
    let rows: Vec<(i64, String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT r.id, r.name, r.template, t.kind, t.value
         FROM scoped_roles r LEFT JOIN scoped_role_terms t ON t.role_id = r.id ORDER BY r.id, t.kind, t.value",
    )
    .fetch_all(db)
    .await?;
    let mut roles = gather(rows)?;
    roles.sort_by_key(|r| r.name.to_lowercase());
    let holders: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT h.role_id, o.id, o.username FROM operator_scoped_roles h JOIN operators o ON o.id = h.operator_id
         WHERE o.deleted_at IS NULL ORDER BY o.username",
    )
    .fetch_all(db)
    .await?;
    let organizations: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM organizations").fetch_all(db).await?;
    let pools: Vec<(i64, String)> = sqlx::query_as("SELECT id, fqdn FROM pools").fetch_all(db).await?;
    let name_of = |names: &[(i64, String)], id: i64| {
        names.iter().find(|(i, _)| *i == id).map_or_else(|| format!("#{id}"), |(_, n)| n.clone())
    };
    Ok(roles
        .into_iter()
        .map(|role| ScopedRoleSummary {
            terms: role
                .terms
                .iter()
                .map(|t| {
                    let named = match t {
                        ScopeTerm::Container(c) => c.as_str().to_string(),
                        ScopeTerm::Organization(id) => name_of(&organizations, *id),
                        ScopeTerm::Pool(id) => name_of(&pools, id.0),
                    };
                    (t.kind().to_string(), named)
                })
                .collect(),
            holders: holders
                .iter()
                .filter(|(role_id, _, _)| *role_id == role.id.0)
                .map(|(_, id, name)| (OperatorId(*id), name.clone()))
                .collect(),
            role,
        })
        .collect())
}

/// Creates a scoped role (audited). Its organizations and pools must exist.
pub async fn create(db: &AnyPool, by: &Operator, new: &NewScopedRole) -> Result<ScopedRoleId, AppError> {
    let (name, terms) = new.check()?;
    in_write(db, async |conn| {
        for term in &terms {
            let exists: Option<i64> = match term {
                ScopeTerm::Container(_) => Some(1),
                ScopeTerm::Organization(id) => {
                    sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1")
                        .bind(*id)
                        .fetch_optional(&mut *conn)
                        .await?
                }
                ScopeTerm::Pool(PoolId(id)) => {
                    sqlx::query_scalar("SELECT id FROM pools WHERE id = $1")
                        .bind(*id)
                        .fetch_optional(&mut *conn)
                        .await?
                }
            };
            if exists.is_none() {
                return Err(match term {
                    ScopeTerm::Pool(_) => AppError::PoolNotFound,
                    _ => AppError::OrganizationNotFound,
                });
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO scoped_roles (name, template, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&name)
        .bind(new.template.as_str())
        .bind(now())
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| match e.as_database_error().is_some_and(|e| e.is_unique_violation()) {
            true => AppError::InvalidScopedRoleName,
            false => e.into(),
        })?;
        for term in &terms {
            sqlx::query("INSERT INTO scoped_role_terms (role_id, kind, value) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(term.kind())
                .bind(term.value())
                .execute(&mut *conn)
                .await?;
        }
        let parameters =
            serde_json::json!({ "role": name, "template": new.template.as_str(), "scope": terms });
        audit::record(conn, by, "create_scoped_role", parameters, 0).await?;
        Ok(ScopedRoleId(id))
    })
    .await
}

async fn name_of(conn: &mut AnyConnection, role: ScopedRoleId) -> Result<String, AppError> {
    sqlx::query_scalar("SELECT name FROM scoped_roles WHERE id = $1")
        .bind(role.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::ScopedRoleNotFound)
}

/// Deletes a scoped role; its holders lose it at their next call (audited).
pub async fn delete(db: &AnyPool, by: &Operator, role: ScopedRoleId) -> Result<(), AppError> {
    in_write(db, async |conn| {
        let name = name_of(conn, role).await?;
        sqlx::query("DELETE FROM scoped_roles WHERE id = $1").bind(role.0).execute(&mut *conn).await?;
        audit::record(conn, by, "delete_scoped_role", serde_json::json!({ "role": name }), 0).await?;
        Ok(())
    })
    .await
}

/// Gives a scoped role to an operator, or takes it back (audited). Giving a role twice or
/// taking one not held changes nothing and records nothing.
pub async fn set_held(
    db: &AnyPool,
    by: &Operator,
    operator: OperatorId,
    role: ScopedRoleId,
    held: bool,
) -> Result<(), AppError> {
    in_write(db, async |conn| {
        let name = name_of(conn, role).await?;
        let username: String =
            sqlx::query_scalar("SELECT username FROM operators WHERE id = $1 AND deleted_at IS NULL")
                .bind(operator.0)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(AppError::OperatorNotFound)?;
        let changed = if held {
            sqlx::query(
                "INSERT INTO operator_scoped_roles (operator_id, role_id) VALUES ($1, $2)
                 ON CONFLICT (operator_id, role_id) DO NOTHING",
            )
        } else {
            sqlx::query("DELETE FROM operator_scoped_roles WHERE operator_id = $1 AND role_id = $2")
        }
        .bind(operator.0)
        .bind(role.0)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if changed > 0 {
            let operation = if held { "give_scoped_role" } else { "take_scoped_role" };
            audit::record(conn, by, operation, serde_json::json!({ "role": name, "operator": username }), 0)
                .await?;
        }
        Ok(())
    })
    .await
}

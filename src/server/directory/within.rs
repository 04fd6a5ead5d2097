//! The one place a call's scope (`domain::scope::UserScope`) becomes SQL: every list, count,
//! search, export and selection of users adds this condition, so a scoped operator never sees,
//! counts or changes a user outside it.

use crate::domain::AppError;
use crate::domain::scope::{ScopeTerm, UserScope};
use crate::domain::user::UserId;
use crate::server::storage::db::Engine;
use crate::server::storage::sql_builder::SqlBuilder;
use sqlx::AnyConnection;

/// `pattern` matching `text` exactly under LIKE.
fn like_literal(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut out, ch| {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
        out
    })
}

/// Appends ` AND (…)` keeping only the users inside `within` (nothing for everything).
/// `user` is the expression of the directory user's id; `pool` that of their home pool, for
/// enabled users (a pool term matches no user who is not enabled).
pub(crate) fn push_within<'a>(qb: &mut SqlBuilder<'a>, within: &UserScope, user: &str, pool: Option<&str>) {
    let UserScope::Within(terms) = within else { return };
    // An empty scope (roles whose template grants the permission but none does here) lets
    // nobody in.
    qb.push(" AND (1 = 0");
    let containers: Vec<&str> = terms
        .iter()
        .filter_map(|t| match t {
            ScopeTerm::Container(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    if !containers.is_empty() {
        qb.push(" OR ").push(user).push(" IN (SELECT scoped.id FROM directory_users scoped WHERE 1 = 0");
        for container in containers {
            // The container itself, or one below it (a whole component: `,OU=Sales,…`).
            qb.push(" OR ").push_like("scoped.container", like_literal(container));
            qb.push(" OR ").push_like("scoped.container", format!("%,{}", like_literal(container)));
        }
        qb.push(")");
    }
    let organizations: Vec<i64> = terms
        .iter()
        .filter_map(|t| match t {
            ScopeTerm::Organization(id) => Some(*id),
            _ => None,
        })
        .collect();
    if !organizations.is_empty() {
        qb.push(" OR ").push(user).push(" IN (SELECT scoped_members.user_id FROM org_members scoped_members WHERE scoped_members.org_id IN (");
        push_ids(qb, &organizations);
        qb.push("))");
    }
    if let (Some(pool), Some(pools)) = (pool, within.pools()) {
        qb.push(" OR ").push(pool).push(" IN (");
        push_ids(qb, &pools.iter().map(|p| p.0).collect::<Vec<_>>());
        qb.push(")");
    }
    qb.push(")");
}

fn push_ids(qb: &mut SqlBuilder<'_>, ids: &[i64]) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push_bind(*id);
    }
}

/// Which of these users are inside `within` (all of them for everything).
pub(crate) async fn inside(
    conn: &mut AnyConnection,
    within: &UserScope,
    users: &[UserId],
) -> Result<Vec<UserId>, AppError> {
    if within.is_everything() || users.is_empty() {
        return Ok(users.to_vec());
    }
    let engine = Engine::of(conn);
    let ids = serde_json::to_string(users).map_err(|_| AppError::INTERNAL)?;
    let mut select = SqlBuilder::new(engine, "SELECT d.id FROM ");
    select.push_bind_in(ids, |ids| format!("{} ids", engine.id_rows(ids)));
    select.push(
        " JOIN directory_users d ON d.id = ids.value LEFT JOIN enabled_users e ON e.user_id = d.id WHERE 1 = 1",
    );
    push_within(&mut select, within, "d.id", Some("e.pool_id"));
    let ids: Vec<i64> = select.build_query_scalar().fetch_all(&mut *conn).await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// How many of these users are outside `within`: what a selection or a list of users reaching
/// outside is refused with.
pub(crate) async fn outside(
    conn: &mut AnyConnection,
    within: &UserScope,
    users: &[UserId],
) -> Result<u64, AppError> {
    Ok((users.len() - inside(conn, within, users).await?.len()) as u64)
}

/// Refuses users outside `within`, with their number.
pub(crate) async fn all_inside(
    conn: &mut AnyConnection,
    within: &UserScope,
    users: &[UserId],
) -> Result<(), AppError> {
    match outside(conn, within, users).await? {
        0 => Ok(()),
        outside => Err(AppError::OutOfScope { outside }),
    }
}

/// A user outside `within` is as good as missing to the caller (`UserNotFound`).
pub async fn must_see(db: &sqlx::AnyPool, within: &UserScope, user: UserId) -> Result<(), AppError> {
    match outside(&mut *db.acquire().await?, within, &[user]).await? {
        0 => Ok(()),
        _ => Err(AppError::UserNotFound),
    }
}

/// Refuses users outside `within`, with their number (from a pool of connections).
pub async fn must_reach_all(
    db: &sqlx::AnyPool,
    within: &UserScope,
    users: &[UserId],
) -> Result<(), AppError> {
    all_inside(&mut *db.acquire().await?, within, users).await
}

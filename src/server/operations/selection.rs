//! Selections: what the operator chose (ticked rows, a tree node, a search, a directory filter,
//! an organization) resolved here into a numbered, ordered list of users. Previews and runs
//! take a selection's number, so the browser never sends user ids back to the server.

use crate::domain::AppError;
use crate::domain::operation::{Selection, SelectionId, SelectionSource, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::org::OrgMoveTarget;
use crate::domain::search::UserTarget;
use crate::domain::user::{UserId, distinct_selection};
use crate::server::directory::within;
use crate::server::now;
use crate::server::storage::db::Engine;
use crate::server::storage::db::in_write;
use sqlx::{AnyConnection, AnyPool};

/// The most users a selection holds: the largest operation takes this many.
pub const MAX_SELECTION: usize = 250_000;

/// Seconds a selection is kept: long enough for a wizard left open over lunch.
const KEPT_SECONDS: i64 = 24 * 60 * 60;

/// Selections kept per operator (the newest): a wizard needs one, a few tabs a few; the bound
/// keeps one operator from filling the database with quarter-million-user lists.
pub const KEPT_PER_OPERATOR: i64 = 20;

/// Resolves what the operator chose into a stored selection. An empty or too large choice is
/// refused (and nothing is stored).
pub async fn create(
    db: &AnyPool,
    operator: &Operator,
    source: &SelectionSource,
) -> Result<Selection, AppError> {
    let users = match source {
        SelectionSource::Users(target) => {
            crate::server::directory::search::resolve(db, &operator.scope, target, MAX_SELECTION + 1).await?
        }
        SelectionSource::Candidates(query) => {
            crate::server::operations::enable::candidate_ids(db, &operator.scope, query).await?
        }
        SelectionSource::Members(target) => {
            crate::server::organizations::orgs::resolve(db, target, MAX_SELECTION + 1).await?
        }
    };
    let users = distinct_selection(&users, MAX_SELECTION)?;
    // Ticked users (or an organization's members) reaching outside the operator's scope: refused with their number.
    within::all_inside(&mut *db.acquire().await?, &operator.scope, &users).await?;
    // What the selection was made from, for the record; ticked users are in `selection_users`.
    let source = match source {
        SelectionSource::Users(UserTarget::Users(ticked))
        | SelectionSource::Members(OrgMoveTarget::Users(ticked)) => {
            serde_json::json!({ "ticked": ticked.len() }).to_string()
        }
        other => serde_json::to_string(other).map_err(|_| AppError::INTERNAL)?,
    };
    store(db, operator, &users, &source).await
}

/// Stores these users, in order, as a new selection of the operator's (`source` says what it
/// was made from, for the record).
pub(crate) async fn store(
    db: &AnyPool,
    operator: &Operator,
    users: &[UserId],
    source: &str,
) -> Result<Selection, AppError> {
    if users.is_empty() {
        return Err(AppError::EmptySelection);
    }
    let fingerprint = fingerprint_of(&users);
    in_write(db, async |conn| {
        sqlx::query("DELETE FROM selections WHERE created_at < $1")
            .bind(now() - KEPT_SECONDS)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "DELETE FROM selections WHERE operator_id = $1 AND id NOT IN
                 (SELECT id FROM selections WHERE operator_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(operator.id.0)
        .bind(KEPT_PER_OPERATOR - 1)
        .execute(&mut *conn)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO selections (operator_id, source, count, fingerprint, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(operator.id.0)
        .bind(source)
        .bind(users.len() as i64)
        .bind(&fingerprint)
        .bind(now())
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO selection_users (selection_id, position, user_id) SELECT $1, key, value FROM {} ids",
            Engine::of(conn).id_rows("$2")
        ))
        .bind(id)
        .bind(serde_json::to_string(users).map_err(|_| AppError::INTERNAL)?)
        .execute(&mut *conn)
        .await?;
        Ok(Selection { id: SelectionId(id), count: users.len() as u64, fingerprint: fingerprint.clone() })
    })
    .await
}

/// The users of one of the operator's selections, in order. Another operator's selection is
/// as good as missing.
pub(crate) async fn users(
    conn: &mut AnyConnection,
    operator: &Operator,
    selection: SelectionId,
) -> Result<Vec<UserId>, AppError> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT operator_id FROM selections WHERE id = $1 AND created_at >= $2")
            .bind(selection.0)
            .bind(now() - KEPT_SECONDS)
            .fetch_optional(&mut *conn)
            .await?;
    if owner != Some(operator.id.0) {
        return Err(AppError::SelectionNotFound);
    }
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT user_id FROM selection_users WHERE selection_id = $1 ORDER BY position")
            .bind(selection.0)
            .fetch_all(&mut *conn)
            .await?;
    let users: Vec<UserId> = ids.into_iter().map(UserId).collect();
    // Checked again for the call at hand (a preview or run needs more than the viewing that
    // made the selection, and the operator's roles may have changed since).
    within::all_inside(conn, &operator.scope, &users).await?;
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::node::NodeId;
    use crate::server::operations::moves::tests::{deployment, operator, pool};

    #[tokio::test]
    async fn a_selection_holds_the_users_of_its_source_for_its_operator_only() {
        let db = deployment().await;
        let pool01 = pool(&db, "pool01.contoso.com").await;
        let node = UserTarget::Node { node: NodeId::Pool(pool01), filter: String::new() };
        let selection = create(&db, &operator(), &SelectionSource::Users(node)).await.unwrap();
        let on_pool: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
            .bind(pool01.0)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(selection.count, on_pool as u64);
        let mut conn = db.acquire().await.unwrap();
        let users = users(&mut conn, &operator(), selection.id).await.unwrap();
        assert_eq!(users.len() as u64, selection.count);
        assert_eq!(fingerprint_of(&users), selection.fingerprint);
        let other = Operator { id: crate::domain::operator::OperatorId(2), ..operator() };
        assert_eq!(super::users(&mut conn, &other, selection.id).await, Err(AppError::SelectionNotFound));
        assert_eq!(
            super::users(&mut conn, &operator(), SelectionId(999)).await,
            Err(AppError::SelectionNotFound)
        );
        drop(conn);
        // Nothing chosen: refused, nothing stored.
        let empty = SelectionSource::Users(UserTarget::Users(vec![]));
        assert_eq!(create(&db, &operator(), &empty).await, Err(AppError::EmptySelection));
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM selections").fetch_one(&db).await.unwrap();
        assert_eq!(stored, 1);
        // An operator keeps only their newest selections; the oldest one goes first.
        let few = SelectionSource::Users(UserTarget::Users(users[..3].to_vec()));
        for _ in 0..KEPT_PER_OPERATOR {
            create(&db, &operator(), &few).await.unwrap();
        }
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM selections").fetch_one(&db).await.unwrap();
        assert_eq!(kept, KEPT_PER_OPERATOR);
        let mut conn = db.acquire().await.unwrap();
        assert_eq!(
            super::users(&mut conn, &operator(), selection.id).await,
            Err(AppError::SelectionNotFound)
        );
    }
}

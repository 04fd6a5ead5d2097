//! Saved searches: each operator's own, and those other operators shared. Only the owner may
//! rename, share or delete one; sharing and unsharing are audited.

use crate::domain::AppError;
use crate::domain::operator::Operator;
use crate::domain::search::{SavedQuery, UserSearch, query_name};
use crate::server::storage::flag::Flag;
use crate::server::{now, security::audit};
use serde_json::json;
use sqlx::AnyPool;

#[derive(sqlx::FromRow)]
struct Record {
    id: i64,
    name: String,
    query: String,
    owner: String,
    owner_id: i64,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    shared: bool,
    updated_at: i64,
}

const SELECT: &str = "SELECT q.id, q.name, q.query, o.display_name AS owner, q.operator_id AS owner_id,
        q.shared, q.updated_at
    FROM saved_queries q JOIN operators o ON o.id = q.operator_id";

fn to_saved(r: Record, operator: &Operator) -> SavedQuery {
    SavedQuery {
        mine: r.owner_id == operator.id.0,
        id: r.id,
        name: r.name,
        query: r.query,
        owner: r.owner,
        shared: r.shared,
        updated_at: r.updated_at,
    }
}

/// The operator's queries and the ones others shared, by name.
pub async fn list(db: &AnyPool, operator: &Operator) -> Result<Vec<SavedQuery>, AppError> {
    let records: Vec<Record> = sqlx::query_as(&format!(
        "{SELECT} WHERE q.operator_id = $1 OR q.shared = 1 ORDER BY q.name COLLATE NOCASE, q.id"
    ))
    .bind(operator.id.0)
    .fetch_all(db)
    .await?;
    Ok(records.into_iter().map(|r| to_saved(r, operator)).collect())
}

/// A query the operator may open.
pub async fn get(db: &AnyPool, operator: &Operator, id: i64) -> Result<SavedQuery, AppError> {
    let record: Option<Record> =
        sqlx::query_as(&format!("{SELECT} WHERE q.id = $1 AND (q.operator_id = $2 OR q.shared = 1)"))
            .bind(id)
            .bind(operator.id.0)
            .fetch_optional(db)
            .await?;
    record.map(|r| to_saved(r, operator)).ok_or(AppError::SavedQueryNotFound)
}

fn name_taken(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => AppError::SavedQueryNameTaken,
        _ => e.into(),
    }
}

/// Saves a search under a new name.
pub async fn save(
    db: &AnyPool,
    operator: &Operator,
    name: &str,
    search: &UserSearch,
    shared: bool,
) -> Result<SavedQuery, AppError> {
    let name = query_name(name)?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO saved_queries (operator_id, name, query, shared, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(operator.id.0)
    .bind(&name)
    .bind(search.to_query_string())
    .bind(Flag(shared))
    .bind(at)
    .bind(at)
    .fetch_one(&mut *tx)
    .await
    .map_err(name_taken)?;
    if shared {
        audit::record(&mut tx, operator, "saved_query_share", json!({"name": name, "shared": true}), 0)
            .await?;
    }
    tx.commit().await?;
    get(db, operator, id).await
}

/// The operator's own query, for a change.
async fn owned(conn: &mut sqlx::AnyConnection, operator: &Operator, id: i64) -> Result<Record, AppError> {
    let record: Option<Record> =
        sqlx::query_as(&format!("{SELECT} WHERE q.id = $1 AND (q.operator_id = $2 OR q.shared = 1)"))
            .bind(id)
            .bind(operator.id.0)
            .fetch_optional(conn)
            .await?;
    let record = record.ok_or(AppError::SavedQueryNotFound)?;
    if record.owner_id != operator.id.0 {
        return Err(AppError::Forbidden);
    }
    Ok(record)
}

pub async fn rename(db: &AnyPool, operator: &Operator, id: i64, name: &str) -> Result<SavedQuery, AppError> {
    let name = query_name(name)?;
    let mut tx = crate::server::storage::db::write(db).await?;
    owned(&mut tx, operator, id).await?;
    sqlx::query("UPDATE saved_queries SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(&name)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(name_taken)?;
    tx.commit().await?;
    get(db, operator, id).await
}

/// Shares the query with every operator, or stops sharing it; audited.
pub async fn set_shared(
    db: &AnyPool,
    operator: &Operator,
    id: i64,
    shared: bool,
) -> Result<SavedQuery, AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let record = owned(&mut tx, operator, id).await?;
    if record.shared != shared {
        sqlx::query("UPDATE saved_queries SET shared = $1, updated_at = $2 WHERE id = $3")
            .bind(Flag(shared))
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            operator,
            "saved_query_share",
            json!({"name": record.name, "shared": shared}),
            0,
        )
        .await?;
    }
    tx.commit().await?;
    get(db, operator, id).await
}

pub async fn delete(db: &AnyPool, operator: &Operator, id: i64) -> Result<(), AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let record = owned(&mut tx, operator, id).await?;
    sqlx::query("DELETE FROM saved_queries WHERE id = $1").bind(id).execute(&mut *tx).await?;
    if record.shared {
        // Others lose it: that is worth a line in the log.
        audit::record(
            &mut tx,
            operator,
            "saved_query_share",
            json!({"name": record.name, "shared": false}),
            0,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::operator::{OperatorId, Role};
    use crate::server::storage::seed::tests::small_deployment;

    async fn operator(db: &AnyPool, name: &str) -> Operator {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO operators (username, display_name, password_hash, created_at) VALUES ($1, $2, '-', 0)
             RETURNING id",
        )
        .bind(name)
        .bind(name)
        .fetch_one(db)
        .await
        .unwrap();
        Operator {
            id: OperatorId(id),
            username: name.into(),
            display_name: name.into(),
            roles: vec![Role::UserAdministrator],
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        }
    }

    #[tokio::test]
    async fn save_rename_share_open_delete() {
        let db = small_deployment().await;
        let (alice, bob) = (operator(&db, "alice").await, operator(&db, "bob").await);
        let search = UserSearch::from_query_string("sip=*smith*&ep=yes").unwrap();
        let q = save(&db, &alice, "  Smiths ", &search, false).await.unwrap();
        assert_eq!((q.name.as_str(), q.mine, q.shared), ("Smiths", true, false));
        assert_eq!(UserSearch::from_query_string(&q.query).unwrap(), search);
        assert_eq!(
            save(&db, &alice, "smiths", &search, false).await.err(),
            Some(AppError::SavedQueryNameTaken)
        );
        assert_eq!(save(&db, &alice, " ", &search, false).await.err(), Some(AppError::InvalidQueryName));
        // Bob has his own namespace, and cannot see Alice's private query.
        save(&db, &bob, "Smiths", &search, false).await.unwrap();
        assert_eq!(get(&db, &bob, q.id).await.err(), Some(AppError::SavedQueryNotFound));
        assert_eq!(list(&db, &bob).await.unwrap().len(), 1);

        let renamed = rename(&db, &alice, q.id, "Smiths with EP").await.unwrap();
        assert_eq!(renamed.name, "Smiths with EP");
        let audits = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_events WHERE operation = 'saved_query_share'",
            )
            .fetch_one(&db)
            .await
            .unwrap()
        };
        assert_eq!(audits().await, 0);
        set_shared(&db, &alice, q.id, true).await.unwrap();
        assert_eq!(audits().await, 1);
        // Shared: Bob sees and opens it, but may not change it.
        let seen = get(&db, &bob, q.id).await.unwrap();
        assert!(seen.shared && !seen.mine);
        assert_eq!(list(&db, &bob).await.unwrap().len(), 2);
        assert_eq!(rename(&db, &bob, q.id, "Mine now").await.err(), Some(AppError::Forbidden));
        assert_eq!(delete(&db, &bob, q.id).await.err(), Some(AppError::Forbidden));
        assert_eq!(set_shared(&db, &bob, q.id, false).await.err(), Some(AppError::Forbidden));
        delete(&db, &alice, q.id).await.unwrap();
        assert_eq!(audits().await, 2);
        assert_eq!(get(&db, &alice, q.id).await.err(), Some(AppError::SavedQueryNotFound));
    }
}

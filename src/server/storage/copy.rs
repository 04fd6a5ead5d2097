//! `uc-admin copy-database`: moves a deployment from one database to another — an SQLite file
//! to PostgreSQL — in one transaction on the target, verified table by table by counting.
//!
//! The target must be new (migrated, nothing in it). Rows are copied in the order of the
//! foreign keys, with their ids; what the target's triggers derive is not copied but left to
//! them (each user's data counts) or merged with what they made (the enterprise organization's
//! memberships), and then compared with the source like the rest.

use crate::domain::AppError;
use crate::server::storage::db::{self, Engine};
use crate::server::storage::sql_builder::SqlBuilder;
use futures::TryStreamExt;
use sqlx::{AnyPool, Row};

/// Every table of a deployment, parents before children.
const TABLES: &[&str] = &[
    "settings",
    "pools",
    "organizations",
    "households",
    "directory_users",
    "org_members",
    "meeting_policies",
    "enabled_users",
    "operators",
    "operator_roles",
    "sip_domains",
    "audit_events",
    "audit_event_users",
    "contact_groups",
    "contacts",
    "access_entries",
    "meetings",
    "presence_items",
    // After the data: the target's triggers have counted it by then.
    "user_data_counts",
    "saved_queries",
    "org_roles",
    "user_attributes",
    "org_attributes",
    "alerts",
    "alert_targets",
    "alert_recipients",
    "org_moves",
    "sessions",
    "api_tokens",
    "sign_in_throttle",
    "sign_in_failure_windows",
    "download_tickets",
    "sign_in_pending",
    "selections",
    "selection_users",
    "previews",
    "jobs",
    "job_users",
    "undo_snapshots",
    "undo_users",
    "undo_rows",
    "approval_requests",
    "approval_users",
    // Where each audit stream sink stands, so that a SIEM does not get the history again.
    "audit_stream_cursors",
];

/// Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table.
const BATCH_ROWS: usize = 1_000;

/// How many rows each table holds, on both sides, after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, i64)>,
}

pub async fn copy(from: &AnyPool, to: &AnyPool) -> Result<CopyReport, AppError> {
    if !is_new(to).await? {
        return Err(AppError::CopyTargetNotEmpty);
    }
    let mut source = db::read_snapshot(from).await?;
    let mut tx = db::write(to).await?;
    let engine = Engine::of(&tx);
    // The migrations' own rows (the enterprise organization) make way for the source's.
    sqlx::query("DELETE FROM organizations").execute(&mut *tx).await?;
    for table in TABLES {
        let columns = columns(&mut tx, table).await?;
        let list = columns.iter().map(|(name, _)| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
        let select = format!("SELECT {list} FROM \"{table}\"");
        let mut rows = sqlx::query(&select).fetch(&mut *source);
        let mut batch: Vec<sqlx::any::AnyRow> = Vec::with_capacity(BATCH_ROWS);
        loop {
            let row = rows.try_next().await?;
            let done = row.is_none();
            batch.extend(row);
            if batch.len() == BATCH_ROWS || (done && !batch.is_empty()) {
                insert(&mut tx, engine, table, &list, &columns, &batch).await?;
                batch.clear();
            }
            if done {
                break;
            }
        }
        drop(rows);
        if columns.iter().any(|(name, _)| name == "id")
            && let Some(sql) = engine.after_explicit_ids(table)
        {
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
    }
    let mut tables = Vec::new();
    for table in TABLES {
        let count = format!("SELECT COUNT(*) FROM \"{table}\"");
        let here: i64 = sqlx::query_scalar(&count).fetch_one(&mut *source).await?;
        let there: i64 = sqlx::query_scalar(&count).fetch_one(&mut *tx).await?;
        if here != there {
            return Err(AppError::CopyMismatch {
                table: (*table).to_owned(),
                source_rows: here,
                target_rows: there,
            });
        }
        tables.push((*table, here));
    }
    tx.commit().await?;
    Ok(CopyReport { tables })
}

/// A new database: migrated, and nothing in it but what the migrations put there.
async fn is_new(db: &AnyPool) -> Result<bool, AppError> {
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM settings) + (SELECT COUNT(*) FROM pools)
              + (SELECT COUNT(*) FROM directory_users) + (SELECT COUNT(*) FROM operators)
              + (SELECT COUNT(*) FROM audit_events)",
    )
    .fetch_one(db)
    .await?;
    Ok(rows == 0)
}

/// Whether a column holds text (else an integer), as the target's schema says.
type Column = (String, bool);

async fn columns(conn: &mut sqlx::AnyConnection, table: &str) -> Result<Vec<Column>, AppError> {
    let columns: Vec<(String, String)> = match Engine::of(conn) {
        Engine::Postgres => {
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
        Engine::Sqlite => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(columns.into_iter().map(|(name, kind)| (name, kind.eq_ignore_ascii_case("text"))).collect())
}

async fn insert(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    table: &str,
    list: &str,
    columns: &[Column],
    rows: &[sqlx::any::AnyRow],
) -> Result<(), AppError> {
    let mut qb = SqlBuilder::new(engine, format!("INSERT INTO \"{table}\" ({list}) "));
    let mut failed = None;
    qb.push_values(rows, |mut tuple, row| {
        for (i, (_, text)) in columns.iter().enumerate() {
            let bound = if *text {
                row.try_get::<Option<String>, _>(i).map(|v| {
                    tuple.push_bind(v);
                })
            } else {
                row.try_get::<Option<i64>, _>(i).map(|v| {
                    tuple.push_bind(v);
                })
            };
            if let Err(e) = bound {
                failed.get_or_insert(e);
            }
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    // Rows the target's triggers made from earlier tables: the source's version wins.
    match table {
        "org_members" => {
            qb.push(
                " ON CONFLICT (user_id) DO UPDATE SET org_id = excluded.org_id,
                  prevent_move = excluded.prevent_move, household_id = excluded.household_id",
            );
        }
        "user_data_counts" => {
            qb.push(
                " ON CONFLICT (user_id) DO UPDATE SET contacts = excluded.contacts,
                  contact_groups = excluded.contact_groups, allowed = excluded.allowed,
                  blocked = excluded.blocked, meetings = excluded.meetings,
                  presence_items = excluded.presence_items",
            );
        }
        _ => {}
    }
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::node::NodeId;
    use crate::domain::paging::{SortKey, UserQuery};

    /// The demo deployment on SQLite, copied into a new PostgreSQL database: every table with
    /// the same rows, the portal's pages the same, and new rows after the copied ones.
    #[tokio::test]
    async fn a_deployment_moves_from_sqlite_to_postgresql_whole() {
        let from = crate::server::storage::seed::tests::small_deployment().await;
        let to = db::connect(&crate::server::test_postgres::fresh_database().await).await.unwrap();
        let report = copy(&from, &to).await.unwrap();
        let rows = |table: &str| report.tables.iter().find(|(t, _)| *t == table).unwrap().1;
        assert_eq!(rows("directory_users"), 400);
        assert!(rows("enabled_users") > 200 && rows("contacts") > 1_000 && rows("org_members") == 400);
        assert_eq!(report.tables.len(), TABLES.len());
        assert_eq!(
            crate::server::topology::pools::tree(&to, &Default::default()).await.unwrap(),
            crate::server::topology::pools::tree(&from, &Default::default()).await.unwrap()
        );
        // By SIP URI, which both engines order alike (names: SQLite by bytes, PostgreSQL by ICU).
        let first_page = UserQuery { sort: SortKey::SipUri, page_size: 100, ..UserQuery::default() };
        let listed = |db: AnyPool| {
            let query = first_page.clone();
            async move {
                let page =
                    crate::server::directory::users::list(&db, &Default::default(), NodeId::Forest, &query)
                        .await
                        .unwrap();
                (page.total, page.items.iter().map(|u| u.id).collect::<Vec<_>>())
            }
        };
        assert_eq!(listed(to.clone()).await, listed(from.clone()).await);
        assert_eq!(crate::server::operations::moves::tests::miscounted_users(&to).await, 0);
        // The identities go on after the copied rows.
        let copied: i64 = sqlx::query_scalar("SELECT MAX(id) FROM pools").fetch_one(&to).await.unwrap();
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO pools (fqdn, kind, version, capacity) VALUES ('new.contoso.com', 'standard', 'ocs2007r2', 10)
             RETURNING id",
        )
        .fetch_one(&to)
        .await
        .unwrap();
        assert_eq!(next, copied + 1);
    }

    /// A target that holds anything is refused, and left as it was.
    #[tokio::test]
    async fn a_target_that_is_not_new_is_refused() {
        let from = crate::server::storage::seed::tests::small_deployment().await;
        let to = db::connect(&crate::server::test_postgres::fresh_database().await).await.unwrap();
        copy(&from, &to).await.unwrap();
        let before = crate::api::test_support::snapshot(&to).await;
        assert_eq!(copy(&from, &to).await.err(), Some(AppError::CopyTargetNotEmpty));
        assert_eq!(crate::api::test_support::snapshot(&to).await, before);
    }
}

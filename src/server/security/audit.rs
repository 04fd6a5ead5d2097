//! The audit trail: one event per operation, with per-user outcomes, written in the same
//! transaction as the change it records. Append-only (the schema refuses updates and deletes).

use crate::domain::AppError;
use crate::domain::operator::Operator;
use crate::server::now;
use crate::server::storage::db::Engine;
use sqlx::AnyConnection;

/// One per-user audit line: user id, object GUID, display name, SIP URI, outcome, reason and
/// source pool; a `None` GUID or SIP URI is looked up from the user's current entry.
pub type UserLine<'a> =
    (i64, Option<&'a str>, &'a str, Option<&'a str>, &'a str, Option<&'a str>, Option<&'a str>);

/// Who does an operation: a signed-in operator, or the portal itself (a directory sync run from
/// the command line) under a name of its own.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: Option<i64>,
    pub name: &'a str,
}

impl<'a> From<&'a Operator> for Actor<'a> {
    fn from(operator: &'a Operator) -> Actor<'a> {
        Actor { id: Some(operator.id.0), name: &operator.username }
    }
}

/// Records an event and returns its id.
pub async fn record(
    conn: &mut AnyConnection,
    operator: &Operator,
    operation: &str,
    parameters: serde_json::Value,
    target_count: u64,
) -> Result<i64, AppError> {
    insert(
        conn,
        Some(operator.id.0),
        &operator.username,
        operator.api_token.as_ref().map(|t| t.name.as_str()),
        operator.approved_by.as_deref(),
        operation,
        parameters,
        target_count,
    )
    .await
}

/// Records an event of someone who may not be a known operator (a failed sign-in names the
/// user name that was typed).
pub async fn record_as(
    conn: &mut AnyConnection,
    operator_id: Option<i64>,
    operator_name: &str,
    operation: &str,
    parameters: serde_json::Value,
    target_count: u64,
) -> Result<i64, AppError> {
    insert(conn, operator_id, operator_name, None, None, operation, parameters, target_count).await
}

async fn insert(
    conn: &mut AnyConnection,
    operator_id: Option<i64>,
    operator_name: &str,
    api_token: Option<&str>,
    approved_by: Option<&str>,
    operation: &str,
    parameters: serde_json::Value,
    target_count: u64,
) -> Result<i64, AppError> {
    let id = sqlx::query_scalar(
        "INSERT INTO audit_events (at, operator_id, operator_name, api_token, approved_by, operation, parameters,
                                   target_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(now())
    .bind(operator_id)
    .bind(operator_name)
    .bind(api_token)
    .bind(approved_by)
    .bind(operation)
    .bind(parameters.to_string())
    .bind(target_count as i64)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Per-user outcomes of an event, set-based from a JSON array of
/// `[user_id, object_guid, display_name, sip_uri, outcome, reason, source_pool]`; a null GUID or SIP URI is
/// taken from the user's current directory entry and enablement.
pub async fn record_users(
    conn: &mut AnyConnection,
    event_id: i64,
    rows: impl serde::Serialize,
) -> Result<(), AppError> {
    let rows = serde_json::to_string(&rows).map_err(|_| AppError::INTERNAL)?;
    sqlx::query(&format!(
        "INSERT INTO audit_event_users
             (event_id, user_id, object_guid, display_name, sip_uri, outcome, reason, source_pool)
         SELECT $1, CAST(j.value ->> 0 AS BIGINT),
                -- A user gone from the directory since (a job's later chunk) has no GUID left.
                COALESCE(j.value ->> 1, (SELECT object_guid FROM directory_users WHERE id = CAST(j.value ->> 0 AS BIGINT)), ''),
                j.value ->> 2,
                COALESCE(j.value ->> 3,
                         (SELECT 'sip:' || sip_uri FROM enabled_users WHERE user_id = CAST(j.value ->> 0 AS BIGINT))),
                j.value ->> 4, j.value ->> 5, j.value ->> 6
         FROM {} j",
        Engine::of(conn).json_rows("$2")
    ))
    .bind(event_id)
    .bind(rows)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reading the log: the audit page, an event's per-user lines, a user's timeline, CSV.
/// Records that an operator took a file (a download), with what it held: every download is
/// audited (who took which file, how many users or rows).
pub async fn record_download(
    db: &sqlx::AnyPool,
    operator: &Operator,
    kind: &str,
    file: &str,
    count: u64,
) -> Result<(), AppError> {
    crate::server::storage::db::in_write(db, async |conn| {
        let parameters = serde_json::json!({ "kind": kind, "file": file });
        record(conn, operator, "download", parameters, count).await.map(drop)
    })
    .await
}

pub mod log {
    use crate::domain::AppError;
    use crate::domain::audit::{
        AUDIT_PAGE_SIZE, AuditEvent, AuditQuery, AuditUserLine, MAX_AUDIT_EXPORT, UserAuditEntry,
    };
    use crate::domain::format::rfc3339;
    use crate::domain::paging::{Page, PageRequest, like_contains_pattern};
    use crate::server::storage::db::Engine;
    use crate::server::storage::sql_builder::SqlBuilder;
    use sqlx::AnyPool;

    #[derive(sqlx::FromRow)]
    struct EventRecord {
        id: i64,
        at: i64,
        operator_name: String,
        api_token: Option<String>,
        approved_by: Option<String>,
        operation: String,
        parameters: String,
        target_count: i64,
    }

    impl From<EventRecord> for AuditEvent {
        fn from(r: EventRecord) -> AuditEvent {
            AuditEvent {
                id: r.id,
                at: r.at,
                operator: r.operator_name,
                api_token: r.api_token,
                approved_by: r.approved_by,
                operation: r.operation,
                parameters: r.parameters,
                target_count: u64::try_from(r.target_count).unwrap_or(0),
            }
        }
    }

    #[derive(sqlx::FromRow)]
    struct LineRecord {
        user_id: i64,
        display_name: String,
        sip_uri: Option<String>,
        outcome: String,
        reason: Option<String>,
        source_pool: Option<String>,
    }

    impl From<LineRecord> for AuditUserLine {
        fn from(r: LineRecord) -> AuditUserLine {
            AuditUserLine {
                user_id: r.user_id,
                display_name: r.display_name,
                sip_uri: r.sip_uri,
                outcome: r.outcome,
                reason: r.reason,
                source_pool: r.source_pool,
            }
        }
    }

    const EVENT_COLUMNS: &str =
        "a.id, a.at, a.operator_name, a.api_token, a.approved_by, a.operation, a.parameters, a.target_count";

    /// What a reader of the log may see. The name typed into a failed sign-in is often a
    /// password typed into the wrong field: only those who manage operators read it; others see
    /// the event with an empty name (and an account lockout without its key).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Reader {
        Everything,
        TypedNamesHidden,
        /// A scoped operator: their own events only (others' name users outside their scope).
        OwnEventsOnly(i64),
    }

    impl Reader {
        pub fn of(viewer: &crate::domain::operator::Operator) -> Reader {
            if !viewer.scope.is_everything() {
                Reader::OwnEventsOnly(viewer.id.0)
            } else if viewer.may(crate::domain::operator::Permission::ManageOperators) {
                Reader::Everything
            } else {
                Reader::TypedNamesHidden
            }
        }

        fn operator_name(self) -> &'static str {
            match self {
                Reader::Everything => "a.operator_name",
                Reader::TypedNamesHidden | Reader::OwnEventsOnly(_) => {
                    "(CASE WHEN a.operator_id IS NULL AND a.operation IN ('sign_in_failed', 'sign_in_locked')
                      THEN '' ELSE a.operator_name END)"
                }
            }
        }

        fn columns(self, engine: Engine) -> String {
            match self {
                Reader::Everything => EVENT_COLUMNS.to_string(),
                Reader::TypedNamesHidden | Reader::OwnEventsOnly(_) => format!(
                    "a.id, a.at, {} AS operator_name, a.api_token, a.approved_by, a.operation,
                     (CASE WHEN a.operation = 'sign_in_locked' AND {} ->> 'scope' = 'account'
                      THEN {} ELSE a.parameters END) AS parameters,
                     a.target_count",
                    self.operator_name(),
                    engine.json("a.parameters"),
                    engine.json_blank_key("a.parameters", "key"),
                ),
            }
        }
    }

    fn push_filters<'q>(
        qb: &mut SqlBuilder<'q>,
        q: &AuditQuery,
        range: (Option<i64>, Option<i64>),
        reader: Reader,
    ) {
        qb.push(" FROM audit_events a WHERE 1 = 1");
        if let Reader::OwnEventsOnly(operator) = reader {
            qb.push(" AND a.operator_id = ").push_bind(operator);
        }
        if !q.operator.is_empty() {
            // Matched against what the reader sees, so a hidden name cannot be probed by filtering.
            qb.push(" AND ").push_like(reader.operator_name(), like_contains_pattern(&q.operator));
        }
        if !q.operation.is_empty() {
            qb.push(" AND a.operation = ").push_bind(q.operation.clone());
        }
        if let Some(from) = range.0 {
            qb.push(" AND a.at >= ").push_bind(from);
        }
        if let Some(to) = range.1 {
            qb.push(" AND a.at < ").push_bind(to);
        }
        if !q.user.is_empty() {
            let pattern = like_contains_pattern(&q.user);
            qb.push(" AND EXISTS (SELECT 1 FROM audit_event_users u WHERE u.event_id = a.id AND (")
                .push_like("u.display_name", pattern.clone())
                .push(" OR ")
                .push_like("u.sip_uri", pattern)
                .push("))");
        }
    }

    /// One page of events, newest first.
    pub async fn events(db: &AnyPool, q: &AuditQuery, reader: Reader) -> Result<Page<AuditEvent>, AppError> {
        let range = q.validate()?;
        let mut count = SqlBuilder::new(crate::server::storage::db::engine(db), "SELECT COUNT(*)");
        push_filters(&mut count, q, range, reader);
        let total: i64 = count.build_query_scalar().fetch_one(db).await?;
        let mut select = SqlBuilder::new(
            crate::server::storage::db::engine(db),
            format!("SELECT {}", reader.columns(crate::server::storage::db::engine(db))),
        );
        push_filters(&mut select, q, range, reader);
        select
            .push(" ORDER BY a.id DESC LIMIT ")
            .push_bind(i64::from(AUDIT_PAGE_SIZE))
            .push(" OFFSET ")
            .push_bind(PageRequest::new(q.page, AUDIT_PAGE_SIZE)?.offset() as i64);
        let records: Vec<EventRecord> = select.build_query_as().fetch_all(db).await?;
        Ok(Page {
            items: records.into_iter().map(AuditEvent::from).collect(),
            total: total as u64,
            page: q.page,
            page_size: AUDIT_PAGE_SIZE,
        })
    }

    /// One event and a page of its per-user lines.
    pub async fn event(
        db: &AnyPool,
        id: i64,
        page: u32,
        reader: Reader,
    ) -> Result<(AuditEvent, Page<AuditUserLine>), AppError> {
        let request = PageRequest::new(page, AUDIT_PAGE_SIZE)?;
        if let Reader::OwnEventsOnly(operator) = reader {
            let by: Option<Option<i64>> =
                sqlx::query_scalar("SELECT operator_id FROM audit_events WHERE id = $1")
                    .bind(id)
                    .fetch_optional(db)
                    .await?;
            if by != Some(Some(operator)) {
                return Err(AppError::AuditEventNotFound);
            }
        }
        let record: Option<EventRecord> = sqlx::query_as(&format!(
            "SELECT {} FROM audit_events a WHERE a.id = $1",
            reader.columns(crate::server::storage::db::engine(db))
        ))
        .bind(id)
        .fetch_optional(db)
        .await?;
        let event = AuditEvent::from(record.ok_or(AppError::AuditEventNotFound)?);
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event_users WHERE event_id = $1")
            .bind(id)
            .fetch_one(db)
            .await?;
        let lines: Vec<LineRecord> = sqlx::query_as(
            "SELECT user_id, display_name, sip_uri, outcome, reason, source_pool FROM audit_event_users
             WHERE event_id = $1 ORDER BY display_name COLLATE NOCASE, user_id LIMIT $2 OFFSET $3",
        )
        .bind(id)
        .bind(i64::from(AUDIT_PAGE_SIZE))
        .bind(request.offset() as i64)
        .fetch_all(db)
        .await?;
        let lines = request.of(lines.into_iter().map(AuditUserLine::from).collect(), total as u64);
        Ok((event, lines))
    }

    /// The committed events after `after_id`, oldest first (at most `limit`), as they are
    /// stored (nothing hidden): what the audit stream sends to a SIEM. Read in a transaction
    /// that waited for the writers in flight (`db::settled_read`), so that no event with a
    /// smaller id can still appear after these.
    pub async fn committed_after(
        db: &AnyPool,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, AppError> {
        let mut tx = crate::server::storage::db::settled_read(db).await?;
        let records: Vec<EventRecord> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events a WHERE a.id > $1 ORDER BY a.id LIMIT $2"
        ))
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(records.into_iter().map(AuditEvent::from).collect())
    }

    /// Everything the log holds about one user, newest first (at most `limit` entries).
    pub async fn user_timeline(
        db: &AnyPool,
        user_id: i64,
        limit: u32,
    ) -> Result<Vec<UserAuditEntry>, AppError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            event: EventRecord,
            #[sqlx(flatten)]
            line: LineRecord,
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS}, u.user_id, u.display_name, u.sip_uri, u.outcome, u.reason, u.source_pool
             FROM audit_event_users u JOIN audit_events a ON a.id = u.event_id
             WHERE u.user_id = $1 ORDER BY a.id DESC LIMIT $2"
        ))
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(db)
        .await?;
        Ok(rows.into_iter().map(|r| UserAuditEntry { event: r.event.into(), line: r.line.into() }).collect())
    }

    /// The events the filters select as CSV, one row per event (newest first), at most
    /// `MAX_AUDIT_EXPORT`.
    /// The CSV and its number of rows.
    /// The events an audit query selects, as the CSV file the operator downloads (recorded as
    /// a download).
    pub async fn export_csv(
        db: &AnyPool,
        operator: &crate::domain::operator::Operator,
        q: &AuditQuery,
    ) -> Result<Vec<u8>, AppError> {
        let (csv, rows) = csv(db, q, Reader::of(operator)).await?;
        super::record_download(db, operator, "audit_csv", "audit.csv", rows).await?;
        Ok(csv)
    }

    pub async fn csv(db: &AnyPool, q: &AuditQuery, reader: Reader) -> Result<(Vec<u8>, u64), AppError> {
        let range = q.validate()?;
        let mut select = SqlBuilder::new(
            crate::server::storage::db::engine(db),
            format!("SELECT {}", reader.columns(crate::server::storage::db::engine(db))),
        );
        push_filters(&mut select, q, range, reader);
        select.push(" ORDER BY a.id DESC LIMIT ").push_bind(MAX_AUDIT_EXPORT as i64);
        let records: Vec<EventRecord> = select.build_query_as().fetch_all(db).await?;
        let mut out = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| {
            tracing::error!("audit CSV: {e}");
            AppError::INTERNAL
        };
        out.write_record([
            "id",
            "time_utc",
            "operator",
            "api_token",
            "operation",
            "target_count",
            "parameters",
        ])
        .map_err(fail)?;
        let rows = records.len() as u64;
        for r in records {
            out.write_record([
                r.id.to_string(),
                rfc3339(r.at),
                neutralized(&r.operator_name),
                r.api_token.as_deref().map(neutralized).unwrap_or_default(),
                r.operation,
                r.target_count.to_string(),
                r.parameters,
            ])
            .map_err(fail)?;
        }
        Ok((out.into_inner().map_err(|_| AppError::INTERNAL)?, rows))
    }

    /// A spreadsheet would run a cell starting with `=`, `+`, `-` or `@` as a formula; operator
    /// names come from sign-in attempts, so anyone can choose them.
    pub(crate) fn neutralized(text: &str) -> String {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::server::operations::moves::tests::{deployment, operator, pool, users_of};

        #[tokio::test]
        async fn filters_pages_timeline_and_csv() {
            let db = deployment().await;
            let users = users_of(&db, pool(&db, "pool01.contoso.com").await, 2).await;
            let dest = pool(&db, "pool02.contoso.com").await;
            crate::server::operations::moves::tests::run(&db, &operator(), &users, dest, false)
                .await
                .unwrap();
            let mut conn = db.acquire().await.unwrap();
            crate::server::security::audit::record_as(
                &mut conn,
                None,
                "=HYPERLINK(\"x\")",
                "sign_in_failed",
                serde_json::json!({}),
                0,
            )
            .await
            .unwrap();
            drop(conn);
            let all =
                events(&db, &AuditQuery { page: 1, ..Default::default() }, Reader::Everything).await.unwrap();
            assert_eq!(all.total, 2);
            assert_eq!(all.items[0].operation, "sign_in_failed", "newest first");
            let moves = events(
                &db,
                &AuditQuery { operation: "move".into(), page: 1, ..Default::default() },
                Reader::Everything,
            )
            .await
            .unwrap();
            assert_eq!(moves.total, 1);
            let by_operator = events(
                &db,
                &AuditQuery { operator: "USERADM".into(), page: 1, ..Default::default() },
                Reader::Everything,
            )
            .await
            .unwrap();
            assert_eq!(by_operator.total, 1);
            let (one_event, lines) = event(&db, moves.items[0].id, 1, Reader::Everything).await.unwrap();
            assert_eq!((one_event.target_count, lines.total), (2, 2));
            assert_eq!(lines.items[0].source_pool.as_deref(), Some("pool01.contoso.com"));
            let name = lines.items[0].display_name.clone();
            let by_user =
                events(&db, &AuditQuery { user: name, page: 1, ..Default::default() }, Reader::Everything)
                    .await
                    .unwrap();
            assert_eq!(by_user.total, 1);
            let today = rfc3339(crate::server::now())[..10].to_string();
            let dated = AuditQuery { from: today.clone(), to: today, page: 1, ..Default::default() };
            assert_eq!(events(&db, &dated, Reader::Everything).await.unwrap().total, 2);
            let old = AuditQuery { to: "2001-01-01".into(), page: 1, ..Default::default() };
            assert_eq!(events(&db, &old, Reader::Everything).await.unwrap().total, 0);
            let timeline = user_timeline(&db, users[0].0, 50).await.unwrap();
            assert_eq!(timeline.len(), 1);
            assert_eq!(timeline[0].line.outcome, "moved");
            let text = String::from_utf8(
                csv(&db, &AuditQuery { page: 1, ..Default::default() }, Reader::Everything).await.unwrap().0,
            )
            .unwrap();
            assert_eq!(text.lines().count(), 3);
            assert!(text.contains("'=HYPERLINK"), "formulas are neutralized: {text}");
            assert_eq!(event_missing(&db).await, AppError::AuditEventNotFound);

            // A reader who does not manage operators sees the failed sign-in without the typed
            // name, cannot find it by filtering on it, and the CSV leaves it out too.
            let hidden = Reader::TypedNamesHidden;
            let all = events(&db, &AuditQuery { page: 1, ..Default::default() }, hidden).await.unwrap();
            assert_eq!(
                (all.items[0].operation.as_str(), all.items[0].operator.as_str()),
                ("sign_in_failed", "")
            );
            let probe = AuditQuery { operator: "HYPERLINK".into(), page: 1, ..Default::default() };
            assert_eq!(events(&db, &probe, hidden).await.unwrap().total, 0);
            assert_eq!(events(&db, &probe, Reader::Everything).await.unwrap().total, 1);
            let (one, _) = event(&db, all.items[0].id, 1, hidden).await.unwrap();
            assert_eq!(one.operator, "");
            let text = String::from_utf8(
                csv(&db, &AuditQuery { page: 1, ..Default::default() }, hidden).await.unwrap().0,
            )
            .unwrap();
            assert!(!text.contains("HYPERLINK"), "{text}");
            // Operators' own events keep their names.
            assert_eq!(
                events(
                    &db,
                    &AuditQuery { operator: "USERADM".into(), page: 1, ..Default::default() },
                    hidden
                )
                .await
                .unwrap()
                .total,
                1
            );
        }

        async fn event_missing(db: &AnyPool) -> AppError {
            event(db, 999_999, 1, Reader::Everything).await.err().unwrap()
        }
    }
}

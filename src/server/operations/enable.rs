//! Enabling directory users: the directory browser, the preview and the run.

use crate::domain::AppError;
use crate::domain::enable::{
    DirectoryQuery, EnableChoices, EnableOptions, EnablePreview, EnableProblem, EnableRun, MAX_BATCH,
    PlannedUser, capacity_left, enhanced_presence_allowed, generate_uri, plan,
};
use crate::domain::operation::{OperationKind, fingerprint_of};
use crate::domain::operator::Operator;
use crate::domain::paging::{Page, like_contains_pattern};
use crate::domain::pool::{Pool, PoolState};
use crate::domain::scope::UserScope;
use crate::domain::sip::SipUri;
use crate::domain::user::{DirectoryUser, UserId, distinct_selection};
use crate::server::directory::records::{DIRECTORY_COLUMNS, DirectoryRecord};
use crate::server::directory::within::push_within;
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use crate::server::topology::pools::{POOL_COLUMNS, PoolRecord};
use crate::server::{now, security::audit};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::BTreeSet;

/// Directory users not yet enabled, matching the filter.
fn push_candidates_filter<'a>(qb: &mut SqlBuilder<'a>, within: &UserScope, query: &'a DirectoryQuery) {
    qb.push(
        " FROM directory_users d WHERE NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id)",
    );
    push_within(qb, within, "d.id", None);
    if !query.text.is_empty() {
        let pattern = like_contains_pattern(&query.text);
        qb.push(" AND (")
            .push_like("d.display_name", pattern.clone())
            .push(" OR ")
            .push_like("d.sam_account_name", pattern.clone())
            .push(" OR ")
            .push_like("d.email", pattern)
            .push(")");
    }
    if let Some(container) = &query.container {
        qb.push(" AND d.container = ").push_bind(container);
    }
    if let Some(department) = &query.department {
        qb.push(" AND d.department = ").push_bind(department);
    }
}

pub async fn candidates(
    db: &AnyPool,
    within: &UserScope,
    query: &DirectoryQuery,
) -> Result<Page<DirectoryUser>, AppError> {
    query.validate()?;
    let mut count = SqlBuilder::new(crate::server::storage::db::engine(db), "SELECT COUNT(*)");
    push_candidates_filter(&mut count, within, query);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut select =
        SqlBuilder::new(crate::server::storage::db::engine(db), format!("SELECT {DIRECTORY_COLUMNS}"));
    push_candidates_filter(&mut select, within, query);
    select
        .push(" ORDER BY d.display_name COLLATE NOCASE, d.id LIMIT ")
        .push_bind(i64::from(query.page_size))
        .push(" OFFSET ")
        .push_bind(crate::domain::paging::PageRequest::new(query.page, query.page_size)?.offset() as i64);
    let rows: Vec<DirectoryRecord> = select.build_query_as().fetch_all(db).await?;
    Ok(Page {
        items: rows.into_iter().map(DirectoryUser::from).collect(),
        total: total as u64,
        page: query.page,
        page_size: query.page_size,
    })
}

/// Every user the filter matches (for "select all results"), at most one more than a batch
/// takes so that the caller can tell the operator the selection is too large.
pub async fn candidate_ids(
    db: &AnyPool,
    within: &UserScope,
    query: &DirectoryQuery,
) -> Result<Vec<UserId>, AppError> {
    query.validate()?;
    let mut select = SqlBuilder::new(crate::server::storage::db::engine(db), "SELECT d.id");
    push_candidates_filter(&mut select, within, query);
    select.push(" ORDER BY d.display_name COLLATE NOCASE, d.id LIMIT ").push_bind(MAX_BATCH as i64 + 1);
    let ids: Vec<i64> = select.build_query_scalar().fetch_all(db).await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// What the Enable wizard offers; `destinations` limits the pools (a pool-scoped operator's).
pub async fn choices(db: &AnyPool, destinations: &UserScope) -> Result<EnableChoices, AppError> {
    let containers = sqlx::query_scalar(
        "SELECT DISTINCT container FROM directory_users d
         WHERE NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) ORDER BY container",
    )
    .fetch_all(db)
    .await?;
    let departments = sqlx::query_scalar(
        "SELECT DISTINCT department FROM directory_users WHERE department IS NOT NULL ORDER BY department",
    )
    .fetch_all(db)
    .await?;
    let sip_domains = sqlx::query_scalar("SELECT domain FROM sip_domains ORDER BY is_default DESC, domain")
        .fetch_all(db)
        .await?;
    // Whole pools' counts: what capacity is judged by.
    let tree = crate::server::topology::pools::tree(db, &UserScope::Everything).await?;
    // Pools of the current version first: that is where new users normally go.
    let mut pools: Vec<_> = tree
        .pools
        .into_iter()
        .filter(|p| p.pool.hosts_users() && p.pool.available && destinations.allows_destination(p.pool.id))
        .collect();
    pools.sort_by(|a, b| b.pool.version.cmp(&a.pool.version).then_with(|| a.pool.fqdn.cmp(&b.pool.fqdn)));
    Ok(EnableChoices { containers, departments, sip_domains, pools })
}

/// Checks the request and plans it; used by the preview and, inside its transaction, the run.
async fn prepare(
    conn: &mut AnyConnection,
    users: &[UserId],
    options: &EnableOptions,
) -> Result<EnablePreview, AppError> {
    // Repeats are ignored; the plan lists users by display name, as the directory browser does.
    let ids: Vec<i64> = distinct_selection(users, MAX_BATCH)?.into_iter().map(|u| u.0).collect();
    let pool = crate::server::topology::pools::load(conn, options.pool).await?;
    if pool.state != PoolState::Active || !pool.available {
        return Err(AppError::PoolNotUsable);
    }
    if options.enhanced_presence && !enhanced_presence_allowed(&pool) {
        return Err(AppError::EnhancedPresenceUnsupported);
    }
    let domain = if options.source.needs_domain() {
        let domain = options.sip_domain.as_deref().map(str::trim).unwrap_or_default();
        let configured: Option<String> =
            sqlx::query_scalar("SELECT domain FROM sip_domains WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&mut *conn)
                .await?;
        Some(configured.ok_or(AppError::SipDomainNotConfigured)?)
    } else {
        None
    };

    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        directory: DirectoryRecord,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        enabled: bool,
    }
    let id_rows = Engine::of(conn).id_rows("$1");
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {DIRECTORY_COLUMNS}, EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) AS enabled
         FROM {id_rows} j JOIN directory_users d ON d.id = j.value
         ORDER BY d.display_name COLLATE NOCASE, d.id"
    ))
    .bind(serde_json::to_string(&ids).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() != ids.len() {
        return Err(AppError::UnknownUsers);
    }
    if rows.iter().any(|r| r.enabled) {
        return Err(AppError::AlreadyEnabled);
    }
    let candidates: Vec<DirectoryUser> = rows.into_iter().map(|r| r.directory.into()).collect();
    let options = EnableOptions { sip_domain: domain, ..options.clone() };
    let wanted: BTreeSet<String> = candidates
        .iter()
        .filter_map(|c| generate_uri(options.source, options.sip_domain.as_deref(), &c.directory).ok())
        .map(|u| u.address().to_string())
        .collect();
    let taken: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT lower(sip_uri) FROM enabled_users WHERE sip_uri IN (SELECT value FROM {} uris)",
        Engine::of(conn).text_rows("$1")
    ))
    .bind(serde_json::to_string(&wanted).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let users = plan(&candidates, &options, &taken.into_iter().collect());
    let pool_users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
        .bind(pool.id.0)
        .fetch_one(&mut *conn)
        .await?;
    let preview = EnablePreview { pool, pool_users: pool_users as u64, users };
    let adding = preview.enableable();
    if capacity_left(preview.pool.capacity, preview.pool_users, adding).is_err() {
        return Err(AppError::CapacityExceeded {
            capacity: u64::from(preview.pool.capacity),
            used: preview.pool_users,
            adding,
        });
    }
    Ok(preview)
}

/// Enabling directory users for the service, homed on a pool. A batch is one transaction,
/// however large (batches are capped at `MAX_BATCH`).
pub struct Enable;

impl super::Operation for Enable {
    const KIND: OperationKind = OperationKind::Enable;
    const RUNS_AS_JOB: bool = false;
    type Options = EnableOptions;
    type Preview = EnablePreview;
    type Run = EnableRun;

    async fn plan(
        conn: &mut AnyConnection,
        users: &[UserId],
        options: &EnableOptions,
    ) -> Result<EnablePreview, AppError> {
        prepare(conn, users, options).await
    }

    fn destination(options: &EnableOptions) -> Option<crate::domain::pool::PoolId> {
        Some(options.pool)
    }

    fn fingerprint(preview: &EnablePreview) -> String {
        fingerprint_of(&(&preview.users, preview.pool.id))
    }

    fn lines(preview: &EnablePreview) -> u64 {
        preview.users.len() as u64
    }

    fn needs_step_up(_: &EnableOptions) -> bool {
        false
    }

    /// The whole plan: the operator reads every user's SIP URI or problem before enabling.
    fn shorten(_: &mut EnablePreview) {}

    /// Enables the users that have no problem, with the audit record; the others are reported
    /// with their reason.
    async fn apply(
        conn: &mut AnyConnection,
        operator: &Operator,
        preview: EnablePreview,
        options: &EnableOptions,
    ) -> Result<EnableRun, AppError> {
        let enabled: Vec<(i64, &str)> = preview
            .users
            .iter()
            .filter(|u| u.can_enable())
            .filter_map(|u| u.sip_uri.as_ref().map(|s| (u.id.0, s.address())))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO enabled_users (user_id, sip_uri, pool_id, enhanced_presence)
             SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, $1, $2 FROM {} users",
            Engine::of(conn).json_rows("$3")
        ))
        .bind(preview.pool.id.0)
        .bind(Flag(options.enhanced_presence))
        .bind(serde_json::to_string(&enabled).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
        let event = audit::record(
            conn,
            operator,
            "enable",
            json!({
                "pool": preview.pool.fqdn,
                "sip_address_source": options.source.as_str(),
                "sip_domain": options.sip_domain.as_deref().filter(|_| options.source.needs_domain()),
                "enhanced_presence": options.enhanced_presence,
                "enabled": enabled.len(),
            }),
            preview.users.len() as u64,
        )
        .await?;
        audit::record_users(conn, event, json!(preview.users.iter().map(outcome_row).collect::<Vec<_>>()))
            .await?;
        Ok(EnableRun { run_id: event, pool: preview.pool, at: now(), users: preview.users })
    }

    fn shorten_run(_: &mut EnableRun) {}
}

fn outcome_row(u: &PlannedUser) -> serde_json::Value {
    json!([
        u.id.0,
        u.object_guid,
        u.display_name,
        u.sip_uri.as_ref().map(SipUri::to_string),
        if u.can_enable() { "enabled" } else { "failed" },
        u.problem.map(|p| p.as_str()),
    ])
}

/// A past run, read back from the audit trail (for the XML export).
pub async fn load_run(db: &AnyPool, run_id: i64) -> Result<EnableRun, AppError> {
    let event: Option<(i64, String)> =
        sqlx::query_as("SELECT at, parameters FROM audit_events WHERE id = $1 AND operation = 'enable'")
            .bind(run_id)
            .fetch_optional(db)
            .await?;
    let (at, parameters) = event.ok_or(AppError::ExportNotFound)?;
    let parameters: serde_json::Value = serde_json::from_str(&parameters).map_err(|_| AppError::INTERNAL)?;
    let fqdn = parameters["pool"].as_str().unwrap_or_default();
    let record: Option<PoolRecord> =
        sqlx::query_as(&format!("SELECT {POOL_COLUMNS} FROM pools p WHERE p.fqdn = $1"))
            .bind(fqdn)
            .fetch_optional(db)
            .await?;
    let pool: Pool = record.ok_or(AppError::ExportNotFound)?.try_into()?;
    /// user id, object GUID, display name, SIP URI, reason.
    type OutcomeRow = (i64, String, String, Option<String>, Option<String>);
    let rows: Vec<OutcomeRow> = sqlx::query_as(
        "SELECT user_id, object_guid, display_name, sip_uri, reason FROM audit_event_users
         WHERE event_id = $1 ORDER BY display_name COLLATE NOCASE, user_id",
    )
    .bind(run_id)
    .fetch_all(db)
    .await?;
    let users = rows
        .into_iter()
        .map(|(id, object_guid, display_name, sip, reason)| PlannedUser {
            id: UserId(id),
            object_guid,
            display_name,
            sip_uri: sip.and_then(|s| SipUri::parse(&s).ok()),
            problem: reason.as_deref().and_then(EnableProblem::parse),
        })
        .collect();
    Ok(EnableRun { run_id, pool, at, users })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::enable::SipAddressSource;
    use crate::domain::operator::{OperatorId, Role};
    use crate::domain::pool::PoolId;
    use crate::server::storage::seed::tests::small_deployment;

    async fn preview(
        db: &AnyPool,
        users: &[UserId],
        options: &EnableOptions,
    ) -> Result<EnablePreview, AppError> {
        prepare(&mut *db.acquire().await?, users, options).await
    }

    pub(crate) async fn run(
        db: &AnyPool,
        operator: &Operator,
        users: &[UserId],
        options: &EnableOptions,
    ) -> Result<EnableRun, AppError> {
        crate::server::operations::apply_now::<Enable>(db, operator, users, options).await
    }

    /// The operator the tests act as; it exists in the database, as the audit requires.
    fn operator() -> Operator {
        Operator {
            id: OperatorId(1),
            username: "useradmin".into(),
            display_name: "User Administrator".into(),
            roles: vec![Role::UserAdministrator],
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        }
    }

    async fn deployment() -> AnyPool {
        let db = small_deployment().await;
        sqlx::query("INSERT INTO operators (id, username, display_name, password_hash, created_at) VALUES (1, 'useradmin', 'User Administrator', '-', 0)")
            .execute(&db)
            .await
            .unwrap();
        db
    }

    async fn pool_id(db: &AnyPool, fqdn: &str) -> PoolId {
        PoolId(
            sqlx::query_scalar("SELECT id FROM pools WHERE fqdn = $1")
                .bind(fqdn)
                .fetch_one(db)
                .await
                .unwrap(),
        )
    }

    fn options(pool: PoolId) -> EnableOptions {
        EnableOptions { pool, source: SipAddressSource::Email, sip_domain: None, enhanced_presence: true }
    }

    async fn counts(db: &AnyPool) -> (i64, i64) {
        let enabled = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(db).await.unwrap();
        let events = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(db).await.unwrap();
        (enabled, events)
    }

    /// Directory users not yet enabled: with a mailbox and an enabled account, and the others.
    async fn candidates_split(db: &AnyPool) -> (Vec<UserId>, Vec<UserId>, Vec<UserId>) {
        let rows: Vec<(i64, Option<String>, crate::server::storage::flag::Flag)> = sqlx::query_as(
            "SELECT d.id, d.email, d.account_enabled FROM directory_users d
             WHERE NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) ORDER BY d.id",
        )
        .fetch_all(db)
        .await
        .unwrap();
        let good = rows.iter().filter(|r| r.1.is_some() && r.2.0).map(|r| UserId(r.0)).collect();
        let no_mail = rows.iter().filter(|r| r.1.is_none()).map(|r| UserId(r.0)).collect();
        let disabled = rows.iter().filter(|r| r.1.is_some() && !r.2.0).map(|r| UserId(r.0)).collect();
        (good, no_mail, disabled)
    }

    #[tokio::test]
    async fn a_run_enables_the_users_without_problems_and_records_every_outcome() {
        let db = deployment().await;
        let pool = pool_id(&db, "pool01.contoso.com").await;
        let (good, no_mail, disabled) = candidates_split(&db).await;
        let mut batch = good[..3].to_vec();
        batch.push(no_mail[0]);
        batch.push(disabled[0]);
        let (before, events_before) = counts(&db).await;

        let preview = preview(&db, &batch, &options(pool)).await.unwrap();
        assert_eq!(preview.enableable(), 3);
        assert_eq!(counts(&db).await, (before, events_before), "a preview changes nothing");

        let result = run(&db, &operator(), &batch, &options(pool)).await.unwrap();
        assert_eq!(result.enabled(), 3);
        let problem_of = |id: UserId| result.users.iter().find(|u| u.id == id).and_then(|u| u.problem);
        assert_eq!(problem_of(no_mail[0]), Some(EnableProblem::MissingEmail));
        assert_eq!(problem_of(disabled[0]), Some(EnableProblem::AccountDisabled));
        assert!(
            result
                .users
                .windows(2)
                .all(|w| w[0].display_name.to_lowercase() <= w[1].display_name.to_lowercase())
        );
        assert_eq!(counts(&db).await, (before + 3, events_before + 1));
        let stored: Vec<(String, i64, crate::server::storage::flag::Flag)> = sqlx::query_as(
            "SELECT sip_uri, pool_id, enhanced_presence FROM enabled_users WHERE user_id IN ($1, $2, $3) ORDER BY user_id",
        )
        .bind(good[0].0)
        .bind(good[1].0)
        .bind(good[2].0)
        .fetch_all(&db)
        .await
        .unwrap();
        for (sip, pool_id, ep) in &stored {
            assert_eq!(sip, &sip.to_lowercase());
            assert_eq!(*pool_id, pool.0);
            assert!(ep.0);
        }
        let outcomes: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT user_id, outcome, reason FROM audit_event_users WHERE event_id = $1
             ORDER BY display_name COLLATE NOCASE, user_id",
        )
        .bind(result.run_id)
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(outcomes.len(), 5);
        assert!(outcomes.contains(&(no_mail[0].0, "failed".into(), Some("missing_email".into()))));
        assert_eq!(outcomes.iter().filter(|o| o.1 == "enabled").count(), 3);
        // The export reads the same run back from the audit trail.
        let loaded = load_run(&db, result.run_id).await.unwrap();
        assert_eq!(loaded.users, result.users);
        // Enabling them again is refused as bad input.
        assert_eq!(
            run(&db, &operator(), &good[..1], &options(pool)).await.err(),
            Some(AppError::AlreadyEnabled)
        );
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let db = deployment().await;
        let (good, ..) = candidates_split(&db).await;
        let ok_pool = pool_id(&db, "pool01.contoso.com").await;
        let enabled_user: i64 =
            sqlx::query_scalar("SELECT user_id FROM enabled_users LIMIT 1").fetch_one(&db).await.unwrap();
        let cases: Vec<(Vec<UserId>, EnableOptions, AppError)> = vec![
            (vec![], options(ok_pool), AppError::EmptySelection),
            (vec![UserId(999_999)], options(ok_pool), AppError::UnknownUsers),
            (vec![good[0], UserId(enabled_user)], options(ok_pool), AppError::AlreadyEnabled),
            (vec![good[0]], options(pool_id(&db, "se02.contoso.com").await), AppError::PoolNotUsable),
            (vec![good[0]], options(pool_id(&db, "pool03.contoso.com").await), AppError::PoolNotUsable),
            (vec![good[0]], options(PoolId(4242)), AppError::PoolNotFound),
            (
                vec![good[0]],
                options(pool_id(&db, "lcs2005.contoso.com").await),
                AppError::EnhancedPresenceUnsupported,
            ),
            (
                vec![good[0]],
                EnableOptions {
                    source: SipAddressSource::FirstLastAtDomain,
                    sip_domain: Some("example.org".into()),
                    ..options(ok_pool)
                },
                AppError::SipDomainNotConfigured,
            ),
            (
                vec![good[0]],
                EnableOptions {
                    source: SipAddressSource::SamAccountNameAtDomain,
                    sip_domain: None,
                    ..options(ok_pool)
                },
                AppError::SipDomainNotConfigured,
            ),
            (
                vec![UserId(1); MAX_BATCH + 1]
                    .into_iter()
                    .enumerate()
                    .map(|(i, _)| UserId(i as i64 + 1))
                    .collect(),
                options(ok_pool),
                AppError::BatchTooLarge { max: MAX_BATCH as u64 },
            ),
        ];
        let before = counts(&db).await;
        for (users, options, expected) in cases {
            assert_eq!(
                run(&db, &operator(), &users, &options).await.err(),
                Some(expected.clone()),
                "{expected:?}"
            );
            assert_eq!(preview(&db, &users, &options).await.err(), Some(expected));
        }
        assert_eq!(counts(&db).await, before);
        // Without enhanced presence, the LCS 2005 SP1 pool takes users.
        let lcs =
            EnableOptions { enhanced_presence: false, ..options(pool_id(&db, "lcs2005.contoso.com").await) };
        assert_eq!(run(&db, &operator(), &good[..1], &lcs).await.unwrap().enabled(), 1);
    }

    #[tokio::test]
    async fn duplicates_against_the_database_and_inside_the_batch_are_left_out() {
        let db = deployment().await;
        let pool = pool_id(&db, "pool02.contoso.com").await;
        // Two new directory users with the same name, and one named like an enabled user.
        let named: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT d.given_name, d.surname, e.sip_uri FROM enabled_users e JOIN directory_users d ON d.id = e.user_id
             WHERE e.sip_uri = lower(d.given_name) || '.' || lower(d.surname) || '@contoso.com' ORDER BY e.user_id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        let letters = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic());
        let (taken_given, taken_surname, taken_uri) = named
            .into_iter()
            .find(|(g, s, _)| letters(g) && letters(s))
            .expect("a user named in plain letters");
        let mut ids = Vec::new();
        for (i, (given, surname)) in
            [("Paul", "Zwilling"), ("Paul", "Zwilling"), (taken_given.as_str(), taken_surname.as_str())]
                .iter()
                .enumerate()
        {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO directory_users (object_guid, display_name, given_name, surname, sam_account_name,
                 user_principal_name, email, container) VALUES ($1, $2, $3, $4, $5, $6, NULL, 'OU=Test') RETURNING id",
            )
            .bind(format!("dup-{i}"))
            .bind(format!("{given} {surname}"))
            .bind(given)
            .bind(surname)
            .bind(format!("dup{i}"))
            .bind(format!("dup{i}@contoso.com"))
            .fetch_one(&db)
            .await
            .unwrap();
            ids.push(UserId(id));
        }
        let options = EnableOptions {
            pool,
            source: SipAddressSource::FirstLastAtDomain,
            sip_domain: Some("contoso.com".into()),
            enhanced_presence: true,
        };
        let result = run(&db, &operator(), &ids, &options).await.unwrap();
        let planned = |id: UserId| result.users.iter().find(|u| u.id == id).unwrap();
        assert_eq!(planned(ids[0]).problem, Some(EnableProblem::DuplicateInBatch));
        assert_eq!(planned(ids[1]).problem, Some(EnableProblem::DuplicateInBatch));
        assert_eq!(planned(ids[2]).problem, Some(EnableProblem::DuplicateOfEnabledUser));
        assert_eq!(planned(ids[2]).sip_uri.as_ref().unwrap().address(), taken_uri);
        assert_eq!(result.enabled(), 0);
    }

    #[tokio::test]
    async fn a_batch_that_would_overfill_the_pool_is_refused_with_the_numbers() {
        let db = deployment().await;
        let pool = pool_id(&db, "se01.contoso.com").await;
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE pool_id = $1")
            .bind(pool.0)
            .fetch_one(&db)
            .await
            .unwrap();
        sqlx::query("UPDATE pools SET capacity = $1 WHERE id = $2")
            .bind(used + 1)
            .bind(pool.0)
            .execute(&db)
            .await
            .unwrap();
        let (good, ..) = candidates_split(&db).await;
        let before = counts(&db).await;
        assert_eq!(
            run(&db, &operator(), &good[..2], &options(pool)).await.err(),
            Some(AppError::CapacityExceeded { capacity: used as u64 + 1, used: used as u64, adding: 2 })
        );
        assert_eq!(counts(&db).await, before);
        assert_eq!(run(&db, &operator(), &good[..1], &options(pool)).await.unwrap().enabled(), 1);
    }

    #[tokio::test]
    async fn a_failure_inside_the_run_leaves_nothing_enabled() {
        let db = deployment().await;
        let pool = pool_id(&db, "pool01.contoso.com").await;
        let (good, ..) = candidates_split(&db).await;
        let before = counts(&db).await;
        // Fail the last statement of the transaction: the audit of per-user outcomes.
        crate::server::storage::db::inject_failure(&db, "fail_audit", "INSERT", "audit_event_users", None)
            .await;
        assert_eq!(run(&db, &operator(), &good[..5], &options(pool)).await.err(), Some(AppError::INTERNAL));
        assert_eq!(counts(&db).await, before);
    }

    #[tokio::test]
    async fn the_directory_browser_lists_only_users_not_yet_enabled() {
        let db = deployment().await;
        let all =
            candidates(&db, &Default::default(), &DirectoryQuery { page_size: 200, ..Default::default() })
                .await
                .unwrap();
        let not_enabled: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM directory_users d WHERE NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id)",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(all.total, not_enabled as u64);
        let container = all.items[0].directory.container.clone();
        let department = all.items[0].directory.department.clone();
        let filtered = candidates(
            &db,
            &Default::default(),
            &DirectoryQuery {
                container: Some(container.clone()),
                department: department.clone(),
                page_size: 200,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(filtered.total >= 1);
        assert!(
            filtered
                .items
                .iter()
                .all(|u| u.directory.container == container && u.directory.department == department)
        );
        let ids = candidate_ids(
            &db,
            &Default::default(),
            &DirectoryQuery { container: Some(container), department, ..Default::default() },
        )
        .await
        .unwrap();
        assert_eq!(ids.len() as u64, filtered.total);
        let choices = choices(&db, &Default::default()).await.unwrap();
        assert!(choices.pools.iter().all(|p| p.pool.available && p.pool.state == PoolState::Active));
        assert_eq!(choices.sip_domains.first().map(String::as_str), Some("contoso.com"));
    }

    #[tokio::test]
    async fn audit_records_cannot_be_changed_or_deleted() {
        let db = deployment().await;
        let pool = pool_id(&db, "pool01.contoso.com").await;
        let (good, ..) = candidates_split(&db).await;
        run(&db, &operator(), &good[..1], &options(pool)).await.unwrap();
        assert!(sqlx::query("DELETE FROM audit_events").execute(&db).await.is_err());
        assert!(sqlx::query("UPDATE audit_event_users SET outcome = 'x'").execute(&db).await.is_err());
        assert!(sqlx::query("DELETE FROM audit_event_users").execute(&db).await.is_err());
    }
}

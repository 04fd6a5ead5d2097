//! Enabled users: paged lists per tree node and the user property page.

use crate::domain::AppError;
use crate::domain::node::NodeId;
use crate::domain::paging::{
    Page, SortDir, SortKey, UserQuery, like_contains_pattern, trigram_contains_glob,
};
use crate::domain::pool::{PoolCategory, PoolId, PoolState};
use crate::domain::scope::UserScope;
use crate::domain::sip::SipUri;
use crate::domain::user::{
    DirectoryUser, ServerDataCounts, UserDetail, UserId, UserRow, UserSettings, UserStatus,
};
use crate::server::directory::records::{DIRECTORY_COLUMNS, DirectoryRecord};
use crate::server::directory::within::push_within;
use crate::server::storage::db::Engine;
use crate::server::storage::error::corrupt;
use crate::server::storage::sql_builder::SqlBuilder;
use crate::server::topology::pools::{POOL_COLUMNS, PoolRecord};
use sqlx::AnyPool;

/// Up to this many matches, sorting them all is cheap whatever the order.
const DENSE_MATCHES: i64 = 1_000;

const FROM_ENABLED_AND_POOLS: &str = " FROM enabled_users e JOIN pools p ON p.id = e.pool_id";

const FROM_USERS: &str = " FROM enabled_users e
    JOIN directory_users d ON d.id = e.user_id
    JOIN pools p ON p.id = e.pool_id";

/// The same, walking the SIP URI index: on SQLite, a SIP URI pattern with a literal prefix is
/// a range of that index (the `UNIQUE` of `sip_uri`, so SQLite names it), but with the pattern
/// in a bound parameter the planner cannot see that the range is narrow, and would rather visit
/// the pools one by one and sort every match. PostgreSQL's planner sees the range.
fn by_uri(engine: Engine, with_directory: bool) -> String {
    let users = match engine {
        Engine::Sqlite => " FROM enabled_users e INDEXED BY sqlite_autoindex_enabled_users_1",
        Engine::Postgres => " FROM enabled_users e",
    };
    let directory = if with_directory { " JOIN directory_users d ON d.id = e.user_id" } else { "" };
    format!("{users}{directory} JOIN pools p ON p.id = e.pool_id")
}

/// The pools' kept counts of users (SQLite), named as the users are so that a node's scope
/// (`push_scope`: `p.` columns, or `e.pool_id` for one pool) selects its pools' counts.
const FROM_POOL_COUNTS: &str = " FROM pool_user_counts e JOIN pools p ON p.id = e.pool_id";

/// The same, walking the display name index in its order (SQLite: see `page`).
const FROM_USERS_BY_NAME: &str = " FROM directory_users d INDEXED BY directory_users_display_name
    CROSS JOIN enabled_users e ON e.user_id = d.id
    JOIN pools p ON p.id = e.pool_id";

/// Appends the WHERE clause selecting a node's users and matching the quick filter.
pub(crate) fn push_scope<'a>(qb: &mut SqlBuilder<'a>, node: NodeId, filter: &'a str, within: &UserScope) {
    push_node_and_filter(qb, node, filter);
    push_within(qb, within, "e.user_id", Some("e.pool_id"));
}

fn push_node_and_filter<'a>(qb: &mut SqlBuilder<'a>, node: NodeId, filter: &'a str) {
    qb.push(" WHERE ");
    match node {
        NodeId::Forest => qb.push("1 = 1"),
        NodeId::Unassigned => qb.push("p.state <> 'active'"),
        NodeId::Pool(id) => qb.push("e.pool_id = ").push_bind(id.0),
        NodeId::Category(PoolCategory::EnterprisePools) => {
            qb.push("p.state = 'active' AND p.version = 'ocs2007r2' AND p.kind = 'enterprise'")
        }
        NodeId::Category(PoolCategory::StandardServers) => {
            qb.push("p.state = 'active' AND p.version = 'ocs2007r2' AND p.kind = 'standard'")
        }
        NodeId::Category(PoolCategory::EarlierVersions) => {
            qb.push("p.state = 'active' AND p.version <> 'ocs2007r2'")
        }
    };
    if !filter.is_empty() {
        // The trigram indexes name the candidates (SQLite; PostgreSQL's planner picks its own),
        // so that a filter reads the users it names instead of every user of the node.
        if let (Engine::Sqlite, Some(glob)) = (qb.engine(), trigram_contains_glob(filter)) {
            qb.push(" AND e.user_id IN (SELECT rowid FROM sip_uri_trigrams WHERE sip GLOB ")
                .push_bind(glob.clone())
                .push(" UNION SELECT rowid FROM display_name_trigrams WHERE name GLOB ")
                .push_bind(glob)
                .push(")");
        }
        let pattern = like_contains_pattern(filter);
        qb.push(" AND (")
            .push_like("d.display_name", pattern.clone())
            .push(" OR ")
            .push_like("e.sip_uri", pattern)
            .push(")");
    }
}

/// The six amounts of a user's server data, as a query selects them (`contacts`, ...).
#[derive(sqlx::FromRow)]
pub(crate) struct DataCountsRecord {
    contacts: i64,
    contact_groups: i64,
    allowed: i64,
    blocked: i64,
    meetings: i64,
    presence_items: i64,
}

impl From<DataCountsRecord> for ServerDataCounts {
    fn from(r: DataCountsRecord) -> ServerDataCounts {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        ServerDataCounts {
            contacts: n(r.contacts),
            contact_groups: n(r.contact_groups),
            allowed: n(r.allowed),
            blocked: n(r.blocked),
            meetings: n(r.meetings),
            presence_items: n(r.presence_items),
        }
    }
}

/// The column that breaks ties of a sort key so that pages are stable: the user id, as the
/// table walked in that order holds it (for names, the name index's own second column).
fn tie_breaker(key: SortKey) -> &'static str {
    match key {
        SortKey::DisplayName => "d.id",
        _ => "e.user_id",
    }
}

/// The ORDER BY expression of a sort key (`tie_breaker` follows it).
fn order_expression(engine: Engine, key: SortKey) -> String {
    match key {
        SortKey::DisplayName => engine.nocase_order("d.display_name"),
        SortKey::SipUri => engine.nocase_order("e.sip_uri"),
        SortKey::Pool => engine.nocase_order("p.fqdn"),
        // The version codes sort in release order.
        SortKey::Version => "p.version".to_owned(),
        SortKey::EnhancedPresence => "e.enhanced_presence".to_owned(),
        SortKey::Status => {
            "CASE WHEN p.state <> 'active' THEN 2 WHEN d.account_enabled = 0 THEN 1 ELSE 0 END".to_owned()
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRowRecord {
    user_id: i64,
    display_name: String,
    sip_uri: String,
    pool_id: i64,
    fqdn: String,
    version: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    enhanced_presence: bool,
    state: String,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    account_enabled: bool,
}

impl TryFrom<UserRowRecord> for UserRow {
    type Error = AppError;
    fn try_from(r: UserRowRecord) -> Result<UserRow, AppError> {
        let state: PoolState = r.state.parse().map_err(|_| corrupt("pool state", &r.state))?;
        Ok(UserRow {
            id: UserId(r.user_id),
            sip_uri: SipUri::parse(&r.sip_uri).map_err(|_| corrupt("sip uri", &r.sip_uri))?,
            pool_id: PoolId(r.pool_id),
            version: r.version.parse().map_err(|_| corrupt("server version", &r.version))?,
            enhanced_presence: r.enhanced_presence,
            status: UserStatus::of(state, r.account_enabled),
            display_name: r.display_name,
            pool_fqdn: r.fqdn,
        })
    }
}

/// Conditions a list adds after its scope (a search's pattern and filters), each starting
/// with ` AND `.
pub(crate) type Conditions<'c> = &'c (dyn for<'q> Fn(&mut SqlBuilder<'q>) + Send + Sync);

/// What a search adds to a list.
pub(crate) struct Extra<'c> {
    pub conditions: Conditions<'c>,
    /// Whether the conditions read directory columns (`d.`); the count can skip the join if not.
    pub needs_directory: bool,
    /// Count at most this many (a search says "more than" beyond it, instead of counting a
    /// million rows to print one number).
    pub count_cap: Option<u64>,
    /// Walk the SIP URI index: the conditions select a range of it.
    pub by_uri: bool,
    /// The conditions match text (a SIP URI pattern), whose matches may bunch together in
    /// name order (`jo*` is John, Jonas, Joseph…): walking the name index could read half of
    /// it before the first match.
    pub matches_text: bool,
}

/// One page of a node's users, filtered and sorted on the server.
pub async fn list(
    db: &AnyPool,
    within: &UserScope,
    node: NodeId,
    query: &UserQuery,
) -> Result<Page<UserRow>, AppError> {
    page(db, within, node, query, None, None).await.map(|(page, _)| page)
}

/// The query plans of a list's two statements (count, page), as the database explains them:
/// what the benchmarks print beside their figures.
pub async fn explain_list(db: &AnyPool, node: NodeId, query: &UserQuery) -> Result<Vec<String>, AppError> {
    let mut plans = Vec::new();
    page(db, &UserScope::Everything, node, query, None, Some(&mut plans)).await?;
    Ok(plans)
}

/// One page of the users of a node that meet the quick filter and the extra conditions, and
/// whether the total was capped (more users match than `count_cap`); with `plans`, also the
/// plan of each statement (the same statement and parameters after the engine's EXPLAIN).
pub(crate) async fn page(
    db: &AnyPool,
    within: &UserScope,
    node: NodeId,
    query: &UserQuery,
    extra: Option<&Extra<'_>>,
    mut plans: Option<&mut Vec<String>>,
) -> Result<(Page<UserRow>, bool), AppError> {
    let conditions = extra.map(|e| e.conditions);
    query.validate()?;
    let engine = crate::server::storage::db::engine(db);
    // Without a text filter the count needs no directory columns: every enabled user has a
    // directory entry (foreign key), so the pool index alone answers it.
    let cap = extra.and_then(|e| e.count_cap);
    let needs_directory = !query.filter.is_empty() || extra.is_some_and(|e| e.needs_directory);
    let by_uri = extra.is_some_and(|e| e.by_uri);
    // A whole node's total, on SQLite, is the sum of its pools' kept counts (migration 0022).
    let kept_count =
        engine == Engine::Sqlite && !needs_directory && extra.is_none() && within.is_everything();
    let count = |explain: &str| {
        let mut count = SqlBuilder::new(
            engine,
            format!(
                "{explain}{}",
                match (kept_count, cap.is_some()) {
                    (true, _) => "SELECT COALESCE(SUM(e.users), 0)",
                    (false, true) => "SELECT COUNT(*) FROM (SELECT 1",
                    (false, false) => "SELECT COUNT(*)",
                }
            ),
        );
        count.push(match (needs_directory, by_uri) {
            (true, false) => FROM_USERS.to_owned(),
            (false, false) if kept_count => FROM_POOL_COUNTS.to_owned(),
            (false, false) => FROM_ENABLED_AND_POOLS.to_owned(),
            (with_directory, true) => self::by_uri(engine, with_directory),
        });
        push_scope(&mut count, node, &query.filter, within);
        if let Some(conditions) = conditions {
            conditions(&mut count);
        }
        if let Some(cap) = cap {
            count.push(" LIMIT ").push_bind(cap as i64 + 1).push(") AS capped");
        }
        count
    };
    let mut total: i64 = count("").build_query_scalar().fetch_one(db).await?;
    if let Some(plans) = plans.as_deref_mut() {
        plans.push(explain(db, count(engine.explain())).await?);
    }
    let capped = cap.is_some_and(|cap| total as u64 > cap);
    if capped {
        total -= 1;
    }

    let offset = query.request()?.offset() as i64;
    if offset >= total && !capped {
        // A pool with users exists: only an empty one is looked up (one query less a page).
        if total == 0 {
            pool_must_exist(db, node).await?;
        }
        // Nothing to show (an empty node, a page past the end): no need to look.
        let page =
            Page { items: Vec::new(), total: total as u64, page: query.page, page_size: query.page_size };
        return Ok((page, capped));
    }
    // Many matches in the order of an index: walking that index and stopping at the page's end
    // beats the planner's choice of reading and sorting every match (a department filter
    // scanned the whole directory to sort 14,000 rows by URI: 380 ms over 1,000,000 users, the
    // walk 1 ms; a 250,000-user pool by name took 520 ms). The walk reads about
    // (offset + page) × users / matches entries, the sort every match: it pays when there are
    // many matches (more than a search counts, or by that rule).
    let ordered_by_index = matches!(query.sort, SortKey::SipUri | SortKey::DisplayName);
    let walk_pays = ordered_by_index
        && (capped
            || total > DENSE_MATCHES && {
                // The highest directory id: the number of users, without counting them.
                let users: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM directory_users")
                    .fetch_one(db)
                    .await?;
                let read = (offset + i64::from(query.page_size)) as f64 * users as f64;
                read <= (total as f64) * (total as f64)
            });
    // A pool's own index is already in URI order.
    let walk_uri = by_uri || (query.sort == SortKey::SipUri && walk_pays && !matches!(node, NodeId::Pool(_)));
    // In name order only where the matches are spread over the names: not for text they
    // contain, which may bunch together there.
    let walk_names = engine == Engine::Sqlite
        && query.sort == SortKey::DisplayName
        && walk_pays
        && query.filter.is_empty()
        && !extra.is_some_and(|e| e.matches_text);
    let select = |explain: &str| {
        let mut select = SqlBuilder::new(
            engine,
            format!(
                "{explain}SELECT e.user_id, d.display_name, e.sip_uri, e.pool_id, p.fqdn, p.version,
                        e.enhanced_presence, p.state, d.account_enabled"
            ),
        );
        select.push(match (walk_uri, walk_names) {
            (true, _) => self::by_uri(engine, true),
            (false, true) => FROM_USERS_BY_NAME.to_owned(),
            (false, false) => FROM_USERS.to_owned(),
        });
        push_scope(&mut select, node, &query.filter, within);
        if let Some(conditions) = conditions {
            conditions(&mut select);
        }
        let dir = match query.dir {
            SortDir::Asc => " ASC",
            SortDir::Desc => " DESC",
        };
        select
            .push(" ORDER BY ")
            .push(order_expression(engine, query.sort))
            .push(dir)
            .push(", ")
            .push(tie_breaker(query.sort))
            .push(dir)
            .push(" LIMIT ")
            .push_bind(i64::from(query.page_size))
            .push(" OFFSET ")
            .push_bind(offset);
        select
    };
    let records: Vec<UserRowRecord> = select("").build_query_as().fetch_all(db).await?;
    if let Some(plans) = plans {
        plans.push(explain(db, select(engine.explain())).await?);
    }
    let page = Page {
        items: records.into_iter().map(UserRow::try_from).collect::<Result<_, _>>()?,
        total: total as u64,
        page: query.page,
        page_size: query.page_size,
    };
    Ok((page, capped))
}

/// A pool node names a pool that exists.
async fn pool_must_exist(db: &AnyPool, node: NodeId) -> Result<(), AppError> {
    if let NodeId::Pool(id) = node {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM pools WHERE id = $1").bind(id.0).fetch_optional(db).await?;
        exists.ok_or(AppError::PoolNotFound)?;
    }
    Ok(())
}

/// The plan of an EXPLAIN statement, one step a line.
async fn explain(db: &AnyPool, mut statement: SqlBuilder<'_>) -> Result<String, AppError> {
    use sqlx::Row;
    let rows = statement.build().fetch_all(db).await?;
    let engine = crate::server::storage::db::engine(db);
    let lines = rows.iter().map(|row| match engine {
        // EXPLAIN QUERY PLAN: id, parent, notused, detail.
        Engine::Sqlite => row.try_get::<String, _>(3).unwrap_or_default(),
        Engine::Postgres => row.try_get::<String, _>(0).unwrap_or_default(),
    });
    Ok(lines.collect::<Vec<_>>().join("\n"))
}

/// Up to `limit` users of a node that meet the conditions, in SIP URI order after the URI
/// `after` (exclusive, as stored), and the stored URI to continue after if more follow: a keyset page, which a script walks with a
/// cursor and which neither skips nor repeats a user when others are added or removed.
pub(crate) async fn after_uri(
    db: &AnyPool,
    within: &UserScope,
    node: NodeId,
    filter: &str,
    conditions: Option<Conditions<'_>>,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<UserRow>, Option<String>), AppError> {
    UserQuery { filter: filter.to_string(), ..UserQuery::default() }.validate()?;
    pool_must_exist(db, node).await?;
    let engine = crate::server::storage::db::engine(db);
    let mut select = SqlBuilder::new(
        engine,
        "SELECT e.user_id, d.display_name, e.sip_uri, e.pool_id, p.fqdn, p.version,
                e.enhanced_presence, p.state, d.account_enabled",
    );
    select.push(self::by_uri(engine, true));
    push_scope(&mut select, node, filter, within);
    if let Some(conditions) = conditions {
        conditions(&mut select);
    }
    if let Some(after) = after {
        select.push(" AND e.sip_uri > ").push_bind(after.to_string());
    }
    select.push(" ORDER BY e.sip_uri LIMIT ").push_bind(i64::from(limit) + 1);
    let mut records: Vec<UserRowRecord> = select.build_query_as().fetch_all(db).await?;
    let next = if records.len() > limit as usize {
        records.truncate(limit as usize);
        records.last().map(|r| r.sip_uri.clone())
    } else {
        None
    };
    let rows = records.into_iter().map(UserRow::try_from).collect::<Result<_, _>>()?;
    Ok((rows, next))
}

/// Every user of a node matching the filter, in list order (by display name), at most `limit`.
pub async fn ids(
    db: &AnyPool,
    within: &UserScope,
    node: NodeId,
    filter: &str,
    limit: usize,
) -> Result<Vec<UserId>, AppError> {
    ids_where(db, within, node, filter, None, false, limit).await
}

pub(crate) async fn ids_where(
    db: &AnyPool,
    within: &UserScope,
    node: NodeId,
    filter: &str,
    conditions: Option<Conditions<'_>>,
    by_uri: bool,
    limit: usize,
) -> Result<Vec<UserId>, AppError> {
    UserQuery { filter: filter.to_string(), ..UserQuery::default() }.validate()?;
    let engine = crate::server::storage::db::engine(db);
    let mut select = SqlBuilder::new(engine, "SELECT e.user_id");
    select.push(if by_uri { self::by_uri(engine, true) } else { FROM_USERS.to_owned() });
    push_scope(&mut select, node, filter, within);
    if let Some(conditions) = conditions {
        conditions(&mut select);
    }
    select
        .push(" ORDER BY ")
        .push(&order_expression(engine, SortKey::DisplayName))
        .push(", ")
        .push(tie_breaker(SortKey::DisplayName))
        .push(" LIMIT ")
        .push_bind(limit as i64);
    let ids: Vec<i64> = select.build_query_scalar().fetch_all(db).await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// Everything the user property page shows, read in one snapshot.
/// A user outside the call's scope is as good as missing.
pub async fn detail(db: &AnyPool, within: &UserScope, id: UserId) -> Result<UserDetail, AppError> {
    if !within.is_everything() && super::within::outside(&mut *db.acquire().await?, within, &[id]).await? > 0
    {
        return Err(AppError::UserNotFound);
    }
    #[derive(sqlx::FromRow)]
    struct Record {
        #[sqlx(flatten)]
        directory: DirectoryRecord,
        sip_uri: String,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        enhanced_presence: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        converted_to_ep: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        federation: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        remote_access: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        public_im: bool,
        archiving: String,
        meeting_policy: Option<String>,
        telephony: String,
        #[sqlx(flatten)]
        pool: PoolRecord,
        #[sqlx(flatten)]
        data: DataCountsRecord,
        next_meeting_at: Option<i64>,
    }
    // One statement: a consistent snapshot of the user and the counts.
    let record: Option<Record> = sqlx::query_as(&format!(
        "SELECT {DIRECTORY_COLUMNS},
                e.sip_uri, e.enhanced_presence, e.converted_to_ep, e.federation, e.remote_access,
                e.public_im, e.archiving, e.meeting_policy, e.telephony, {POOL_COLUMNS},
                (SELECT COUNT(*) FROM contacts WHERE user_id = e.user_id) AS contacts,
                (SELECT COUNT(*) FROM contact_groups WHERE user_id = e.user_id) AS contact_groups,
                (SELECT COUNT(*) FROM access_entries WHERE user_id = e.user_id AND access = 'allow') AS allowed,
                (SELECT COUNT(*) FROM access_entries WHERE user_id = e.user_id AND access = 'block') AS blocked,
                (SELECT COUNT(*) FROM meetings WHERE user_id = e.user_id) AS meetings,
                (SELECT COUNT(*) FROM presence_items WHERE user_id = e.user_id) AS presence_items,
                (SELECT MIN(starts_at) FROM meetings WHERE user_id = e.user_id AND starts_at >= $2)
                    AS next_meeting_at
         {FROM_USERS} WHERE e.user_id = $1"
    ))
    .bind(id.0)
    .bind(crate::server::now())
    .fetch_optional(db)
    .await?;
    let r = record.ok_or(AppError::UserNotFound)?;
    let directory = DirectoryUser::from(r.directory).directory;
    let account_enabled = directory.account_enabled;
    let pool: crate::domain::pool::Pool = r.pool.try_into()?;
    Ok(UserDetail {
        id,
        status: UserStatus::of(pool.state, account_enabled),
        sip_uri: SipUri::parse(&r.sip_uri).map_err(|_| corrupt("sip uri", &r.sip_uri))?,
        enhanced_presence: r.enhanced_presence,
        converted_to_enhanced_presence: r.converted_to_ep,
        settings: UserSettings {
            federation: r.federation,
            remote_access: r.remote_access,
            public_im: r.public_im,
            archiving: r.archiving.parse().map_err(|_| corrupt("archiving", &r.archiving))?,
            meeting_policy: r.meeting_policy,
            telephony: r.telephony.parse().map_err(|_| corrupt("telephony", &r.telephony))?,
        },
        data: r.data.into(),
        next_meeting_at: r.next_meeting_at,
        directory,
        pool,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::seed::tests::small_deployment;
    use crate::server::topology::pools;

    fn q() -> UserQuery {
        UserQuery::default()
    }

    #[tokio::test]
    async fn node_lists_match_tree_counts() {
        let db = small_deployment().await;
        let tree = pools::tree(&db, &Default::default()).await.unwrap();
        let forest = list(&db, &Default::default(), NodeId::Forest, &q()).await.unwrap();
        assert_eq!(forest.total, tree.total_users);
        assert_eq!(forest.items.len() as u32, q().page_size);
        let unassigned = list(&db, &Default::default(), NodeId::Unassigned, &q()).await.unwrap();
        assert_eq!(unassigned.total, tree.unassigned_users);
        assert!(unassigned.items.iter().all(|u| u.status == UserStatus::Unassigned));
        for c in [PoolCategory::EnterprisePools, PoolCategory::StandardServers, PoolCategory::EarlierVersions]
        {
            assert_eq!(
                list(&db, &Default::default(), NodeId::Category(c), &q()).await.unwrap().total,
                tree.users_in(c),
                "{c:?}"
            );
        }
        for p in &tree.pools {
            let page = list(&db, &Default::default(), NodeId::Pool(p.pool.id), &q()).await.unwrap();
            assert_eq!(page.total, p.user_count);
            assert!(page.items.iter().all(|u| u.pool_id == p.pool.id));
        }
    }

    #[tokio::test]
    async fn pages_do_not_overlap_and_cover_the_list() {
        let db = small_deployment().await;
        let mut seen = std::collections::HashSet::new();
        let first = list(&db, &Default::default(), NodeId::Forest, &UserQuery { page_size: 25, ..q() })
            .await
            .unwrap();
        for page in 1..=first.page_count() {
            let p = list(&db, &Default::default(), NodeId::Forest, &UserQuery { page_size: 25, page, ..q() })
                .await
                .unwrap();
            for u in p.items {
                assert!(seen.insert(u.id), "user {:?} on two pages", u.id);
            }
        }
        assert_eq!(seen.len() as u64, first.total);
    }

    #[tokio::test]
    async fn sorts_both_ways_on_every_column() {
        let db = small_deployment().await;
        for key in SortKey::ALL {
            let asc = list(
                &db,
                &Default::default(),
                NodeId::Forest,
                &UserQuery { sort: key, page_size: 200, ..q() },
            )
            .await
            .unwrap();
            let desc = list(
                &db,
                &Default::default(),
                NodeId::Forest,
                &UserQuery { sort: key, dir: SortDir::Desc, page_size: 200, ..q() },
            )
            .await
            .unwrap();
            assert_eq!(asc.total, desc.total);
            match key {
                SortKey::SipUri => {
                    assert!(asc.items.windows(2).all(|w| w[0].sip_uri <= w[1].sip_uri));
                    assert!(desc.items.windows(2).all(|w| w[0].sip_uri >= w[1].sip_uri));
                }
                SortKey::Version => {
                    assert!(asc.items.windows(2).all(|w| w[0].version <= w[1].version));
                    assert!(desc.items.windows(2).all(|w| w[0].version >= w[1].version));
                }
                SortKey::Pool => assert!(asc.items.windows(2).all(|w| w[0].pool_fqdn <= w[1].pool_fqdn)),
                SortKey::DisplayName => assert!(asc.items.windows(2).all(|w| {
                    w[0].display_name.to_lowercase() <= w[1].display_name.to_lowercase()
                        || !w[0].display_name.is_ascii()
                        || !w[1].display_name.is_ascii()
                })),
                SortKey::EnhancedPresence | SortKey::Status => {}
            }
        }
    }

    #[tokio::test]
    async fn quick_filter_is_case_insensitive_and_literal() {
        let db = small_deployment().await;
        let all = list(&db, &Default::default(), NodeId::Forest, &UserQuery { page_size: 200, ..q() })
            .await
            .unwrap();
        let sample = &all.items[7];
        let needle = sample.sip_uri.address()[..4].to_ascii_uppercase();
        let hits = list(
            &db,
            &Default::default(),
            NodeId::Forest,
            &UserQuery { filter: needle.clone(), page_size: 200, ..q() },
        )
        .await
        .unwrap();
        assert!(hits.items.iter().any(|u| u.id == sample.id));
        assert!(hits.items.iter().all(|u| {
            u.sip_uri.address().contains(&needle.to_lowercase())
                || u.display_name.to_lowercase().contains(&needle.to_lowercase())
        }));
        // `%` and `_` are matched literally, not as SQL wildcards.
        for wildcard in ["%", "_", "\\"] {
            let none =
                list(&db, &Default::default(), NodeId::Forest, &UserQuery { filter: wildcard.into(), ..q() })
                    .await
                    .unwrap();
            assert_eq!(none.total, 0, "{wildcard}");
        }
    }

    /// The quick filter finds exactly the users whose name or SIP URI contains the text, with
    /// ASCII letters folded (as LIKE does): whether the trigram indexes serve it (three or more
    /// characters) or not, after renames, and for names outside ASCII.
    #[tokio::test]
    async fn quick_filter_finds_exactly_what_contains_the_text() {
        let db = small_deployment().await;
        let renamed: i64 = sqlx::query_scalar("SELECT user_id FROM enabled_users ORDER BY user_id LIMIT 1")
            .fetch_one(&db)
            .await
            .unwrap();
        sqlx::query("UPDATE directory_users SET display_name = 'Zoë Ångström-Quux' WHERE id = $1")
            .bind(renamed)
            .execute(&db)
            .await
            .unwrap();
        let facts: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT e.user_id, d.display_name, e.sip_uri, e.pool_id
             FROM enabled_users e JOIN directory_users d ON d.id = e.user_id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        let pool = facts[0].3;
        let contains =
            |text: &str, filter: &str| text.to_ascii_lowercase().contains(&filter.to_ascii_lowercase());
        for filter in
            ["QUUX", "ångström", "ÅNGSTRÖM", "Ångström", "ë ", "mül", "MÜL", "smi", "sm", ".co", "@", "zzzq"]
        {
            for node in [NodeId::Forest, NodeId::Pool(PoolId(pool))] {
                let mut expected: Vec<i64> = facts
                    .iter()
                    .filter(|(_, name, uri, p)| {
                        (node == NodeId::Forest || *p == pool)
                            && (contains(name, filter) || contains(uri, filter))
                    })
                    .map(|f| f.0)
                    .collect();
                let found = ids(&db, &Default::default(), node, filter, 100_000).await.unwrap();
                let mut found: Vec<i64> = found.into_iter().map(|u| u.0).collect();
                let listed =
                    list(&db, &Default::default(), node, &UserQuery { filter: filter.into(), ..q() })
                        .await
                        .unwrap();
                assert_eq!(listed.total as usize, expected.len(), "{filter} in {node:?}");
                expected.sort();
                found.sort();
                assert_eq!(found, expected, "{filter} in {node:?}");
            }
        }
        let renamed_hits = ids(&db, &Default::default(), NodeId::Forest, "ngstr", 10).await.unwrap();
        assert_eq!(renamed_hits, vec![UserId(renamed)]);
    }

    #[tokio::test]
    async fn bad_queries_and_unknown_pools_are_refused() {
        let db = small_deployment().await;
        let bad = UserQuery { page_size: 7, ..q() };
        assert_eq!(
            list(&db, &Default::default(), NodeId::Forest, &bad).await.err(),
            Some(AppError::InvalidQuery)
        );
        assert_eq!(
            list(&db, &Default::default(), NodeId::Pool(PoolId(4242)), &q()).await.err(),
            Some(AppError::PoolNotFound)
        );
    }

    #[tokio::test]
    async fn user_detail_counts_server_data() {
        let db = small_deployment().await;
        let row = list(&db, &Default::default(), NodeId::Forest, &q()).await.unwrap().items.remove(0);
        let d = detail(&db, &Default::default(), row.id).await.unwrap();
        assert_eq!(d.sip_uri, row.sip_uri);
        let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE user_id = $1")
            .bind(row.id.0)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(d.data.contacts, contacts as u64);
        assert!(d.data.contacts > 0);
        if d.data.meetings > 0 {
            assert!(d.next_meeting_at.is_some_and(|t| t >= crate::server::now() - 5));
        }
        assert_eq!(detail(&db, &Default::default(), UserId(-1)).await.err(), Some(AppError::UserNotFound));
    }
}

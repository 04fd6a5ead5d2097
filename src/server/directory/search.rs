//! Finding users: SIP URI patterns (prefix through the URI index, infix through the trigram
//! index) combined with property filters, and the users an operation targets.

use crate::domain::AppError;
use crate::domain::paging::UserQuery;
use crate::domain::scope::UserScope;
use crate::domain::search::{
    MeetingPolicyFilter, SearchFilters, SearchOptions, SearchResults, SipPattern, UserSearch, UserTarget,
};
use crate::domain::user::{UserId, UserRow};
use crate::server::directory::users::{self, Conditions, Extra};
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use sqlx::AnyPool;

/// Most users a search counts; beyond it the page says "more than".
pub const SEARCH_COUNT_CAP: u64 = 1_000;
/// Above this many trigram candidates a pattern is common enough that walking the URI index in
/// order (and stopping at the page's end) beats fetching and sorting every candidate.
const DENSE_CANDIDATES: i64 = 2_000;

/// Appends the pattern and filters of a search, each as ` AND ...`.
fn push_conditions(qb: &mut SqlBuilder<'_>, sip: Option<&SipPattern>, use_trigrams: bool, f: &SearchFilters) {
    if let Some(pattern) = sip {
        // Without a literal prefix, the trigram index narrows the candidates when it can; LIKE on
        // the URI itself decides (and, with a literal prefix, walks the URI index's range).
        if use_trigrams && qb.engine() == Engine::Sqlite {
            qb.push(" AND e.user_id IN (SELECT rowid FROM sip_uri_trigrams WHERE sip GLOB ")
                .push_bind(pattern.to_glob())
                .push(")");
        }
        // On PostgreSQL, the trigram and prefix indexes are on the very expression `push_like`
        // writes (`Engine::like`).
        qb.push(" AND ").push_like("e.sip_uri", pattern.to_like());
    }
    if let Some(pool) = f.pool {
        qb.push(" AND e.pool_id = ").push_bind(pool.0);
    }
    if let Some(version) = f.version {
        qb.push(" AND p.version = ").push_bind(version.as_str());
    }
    for (column, value) in [
        ("e.enhanced_presence", f.enhanced_presence),
        ("e.federation", f.federation),
        ("e.remote_access", f.remote_access),
        ("e.public_im", f.public_im),
        ("d.account_enabled", f.account_enabled),
    ] {
        if let Some(value) = value {
            qb.push(" AND ").push(column).push(" = ").push_bind(Flag(value));
        }
    }
    if let Some(archiving) = f.archiving {
        qb.push(" AND e.archiving = ").push_bind(archiving.as_str());
    }
    match &f.meeting_policy {
        Some(MeetingPolicyFilter::Global) => {
            qb.push(" AND e.meeting_policy IS NULL");
        }
        Some(MeetingPolicyFilter::Named(name)) => {
            qb.push(" AND e.meeting_policy = ").push_bind(name.clone());
        }
        None => {}
    }
    if let Some(telephony) = f.telephony {
        qb.push(" AND e.telephony = ").push_bind(telephony.as_str());
    }
    if let Some(container) = &f.container {
        // The container itself or any container below it (`OU=x,<container>`).
        let below =
            format!("%,{}", crate::domain::paging::like_contains_pattern(container).trim_matches('%'));
        qb.push(" AND (d.container = ")
            .push_bind(container.clone())
            .push(" COLLATE NOCASE OR ")
            .push_like("d.container", below)
            .push(")");
    }
    if let Some(department) = &f.department {
        qb.push(" AND d.department = ").push_bind(department.clone()).push(" COLLATE NOCASE");
    }
    match f.unassigned {
        Some(true) => {
            qb.push(" AND p.state <> 'active'");
        }
        Some(false) => {
            qb.push(" AND p.state = 'active'");
        }
        None => {}
    }
}

/// Checks the values that name things in the database: an unknown pool, meeting policy,
/// container or department is an error naming the filter, not an empty result.
async fn check_values(db: &AnyPool, f: &SearchFilters) -> Result<(), AppError> {
    let unknown = |field: &str| AppError::UnknownFilterValue { field: field.to_string() };
    if let Some(pool) = f.pool {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM pools WHERE id = $1").bind(pool.0).fetch_optional(db).await?;
        found.ok_or_else(|| unknown("pool"))?;
    }
    if let Some(MeetingPolicyFilter::Named(name)) = &f.meeting_policy {
        let found: Option<String> = sqlx::query_scalar("SELECT name FROM meeting_policies WHERE name = $1")
            .bind(name)
            .fetch_optional(db)
            .await?;
        found.ok_or_else(|| unknown("meeting_policy"))?;
    }
    if let Some(container) = &f.container {
        let known = options(db).await?.containers.iter().any(|c| c.eq_ignore_ascii_case(container));
        if !known {
            return Err(unknown("container"));
        }
    }
    if let Some(department) = &f.department {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM directory_users WHERE department = $1 COLLATE NOCASE LIMIT 1")
                .bind(department)
                .fetch_optional(db)
                .await?;
        found.ok_or_else(|| unknown("department"))?;
    }
    Ok(())
}

/// Whether the trigram index should narrow the search: only for a pattern it can serve (no
/// literal prefix, three literal characters in a row) that is rare enough.
async fn use_trigrams(db: &AnyPool, search: &UserSearch) -> Result<bool, AppError> {
    let Some(pattern) = &search.sip else { return Ok(false) };
    // PostgreSQL's planner picks its trigram index by itself.
    if crate::server::storage::db::engine(db) == Engine::Postgres {
        return Ok(false);
    }
    if pattern.has_literal_prefix() || pattern.longest_literal_run() < 3 {
        return Ok(false);
    }
    let candidates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sip_uri_trigrams WHERE sip GLOB $1 LIMIT $2) AS candidates",
    )
    .bind(pattern.to_glob())
    .bind(DENSE_CANDIDATES)
    .fetch_one(db)
    .await?;
    Ok(candidates < DENSE_CANDIDATES)
}

fn conditions(
    search: &UserSearch,
    trigrams: bool,
) -> impl for<'q> Fn(&mut SqlBuilder<'q>) + Send + Sync + '_ {
    move |qb| push_conditions(qb, search.sip.as_ref(), trigrams, &search.filters)
}

/// A pattern with a literal prefix is a range of the SIP URI index.
fn by_uri(search: &UserSearch) -> bool {
    search.sip.as_ref().is_some_and(|p| p.has_literal_prefix())
}

fn needs_directory(f: &SearchFilters) -> bool {
    f.account_enabled.is_some() || f.container.is_some() || f.department.is_some()
}

/// One page of a search's results, and whether more users match than the count shows
/// (`SEARCH_COUNT_CAP`).
pub async fn find(
    db: &AnyPool,
    within: &UserScope,
    search: &UserSearch,
    query: &UserQuery,
) -> Result<SearchResults, AppError> {
    find_explained(db, within, search, query, None).await
}

/// The query plans of a search's statements (count, page): what the benchmarks print.
pub async fn explain(db: &AnyPool, search: &UserSearch, query: &UserQuery) -> Result<Vec<String>, AppError> {
    let mut plans = Vec::new();
    find_explained(db, &UserScope::Everything, search, query, Some(&mut plans)).await?;
    Ok(plans)
}

async fn find_explained(
    db: &AnyPool,
    within: &UserScope,
    search: &UserSearch,
    query: &UserQuery,
    plans: Option<&mut Vec<String>>,
) -> Result<SearchResults, AppError> {
    check_values(db, &search.filters).await?;
    let trigrams = use_trigrams(db, search).await?;
    let conditions = conditions(search, trigrams);
    // The name-or-SIP text is the list's quick filter, applied the same way.
    let query = match &search.text {
        Some(text) => &UserQuery { filter: text.clone(), ..query.clone() },
        None => query,
    };
    let extra = Extra {
        conditions: &conditions,
        needs_directory: needs_directory(&search.filters),
        count_cap: Some(SEARCH_COUNT_CAP),
        by_uri: by_uri(search),
        matches_text: search.sip.is_some(),
    };
    let (page, more) = users::page(db, within, search.scope, query, Some(&extra), plans).await?;
    Ok(SearchResults { page, more })
}

/// Up to `limit` results of a search in SIP URI order after the URI `after`, and the URI to
/// continue after if more follow: the scripting API's pages, walked with a cursor.
pub async fn find_after(
    db: &AnyPool,
    within: &UserScope,
    search: &UserSearch,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<UserRow>, Option<String>), AppError> {
    check_values(db, &search.filters).await?;
    let trigrams = use_trigrams(db, search).await?;
    let conditions = conditions(search, trigrams);
    let conditions: Conditions<'_> = &conditions;
    // The name-or-SIP text is the list's quick filter, applied the same way.
    let text = search.text.as_deref().unwrap_or_default();
    users::after_uri(db, within, search.scope, text, Some(conditions), after, limit).await
}

/// Every result of a search, in list order, at most `limit`.
pub async fn ids(
    db: &AnyPool,
    within: &UserScope,
    search: &UserSearch,
    limit: usize,
) -> Result<Vec<UserId>, AppError> {
    check_values(db, &search.filters).await?;
    let trigrams = use_trigrams(db, search).await?;
    let conditions = conditions(search, trigrams);
    let conditions: Conditions<'_> = &conditions;
    let text = search.text.as_deref().unwrap_or_default();
    users::ids_where(db, within, search.scope, text, Some(conditions), by_uri(search), limit).await
}

/// The users an operation targets, at most `limit` (the caller refuses a list that reaches it).
/// A node or a search holds only the users inside `within`; ticked users are taken as they
/// are, and refused by the selection if any is outside.
pub async fn resolve(
    db: &AnyPool,
    within: &UserScope,
    target: &UserTarget,
    limit: usize,
) -> Result<Vec<UserId>, AppError> {
    match target {
        UserTarget::Users(users) => Ok(users.clone()),
        UserTarget::Node { node, filter } => users::ids(db, within, *node, filter, limit).await,
        UserTarget::Search(search) => ids(db, within, search, limit).await,
    }
}

pub async fn options(db: &AnyPool) -> Result<SearchOptions, AppError> {
    let meeting_policies =
        sqlx::query_scalar("SELECT name FROM meeting_policies ORDER BY name").fetch_all(db).await?;
    let leaves: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT container FROM directory_users").fetch_all(db).await?;
    let mut containers = std::collections::BTreeSet::new();
    for leaf in leaves {
        // `OU=Paris,OU=Users,DC=contoso,DC=com` also offers `OU=Users,DC=...`, stopping at the
        // domain components.
        let mut rest = leaf.as_str();
        loop {
            containers.insert(rest.to_string());
            match rest.split_once(',') {
                Some((_, parent))
                    if parent.to_ascii_uppercase().starts_with("OU=")
                        || parent.to_ascii_uppercase().starts_with("CN=") =>
                {
                    rest = parent
                }
                _ => break,
            }
        }
    }
    let departments = sqlx::query_scalar(
        "SELECT DISTINCT department FROM directory_users WHERE department IS NOT NULL ORDER BY department",
    )
    .fetch_all(db)
    .await?;
    Ok(SearchOptions { meeting_policies, containers: containers.into_iter().collect(), departments })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::node::NodeId;
    use crate::domain::pool::{PoolCategory, PoolId, ServerVersion};
    use crate::domain::search::{GLOBAL_POLICY, PatternProblem};
    use crate::server::storage::seed::tests::small_deployment;

    /// Everything a filter can look at, read plainly: the oracle the SQL is checked against.
    #[derive(sqlx::FromRow, Debug)]
    struct Facts {
        user_id: i64,
        display_name: String,
        sip_uri: String,
        pool_id: i64,
        version: String,
        kind: String,
        state: String,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        enhanced_presence: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        federation: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        remote_access: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        public_im: bool,
        archiving: String,
        meeting_policy: Option<String>,
        telephony: String,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        account_enabled: bool,
        container: String,
        department: Option<String>,
    }

    async fn facts(db: &AnyPool) -> Vec<Facts> {
        sqlx::query_as(
            "SELECT e.user_id, d.display_name, e.sip_uri, e.pool_id, p.version, p.kind, p.state, e.enhanced_presence,
                    e.federation, e.remote_access, e.public_im, e.archiving, e.meeting_policy, e.telephony,
                    d.account_enabled, d.container, d.department
             FROM enabled_users e JOIN directory_users d ON d.id = e.user_id JOIN pools p ON p.id = e.pool_id",
        )
        .fetch_all(db)
        .await
        .unwrap()
    }

    fn holds(s: &UserSearch, u: &Facts) -> bool {
        let f = &s.filters;
        let in_scope = match s.scope {
            NodeId::Forest => true,
            NodeId::Unassigned => u.state != "active",
            NodeId::Pool(id) => u.pool_id == id.0,
            NodeId::Category(PoolCategory::EnterprisePools) => {
                u.state == "active" && u.version == "ocs2007r2" && u.kind == "enterprise"
            }
            NodeId::Category(PoolCategory::StandardServers) => {
                u.state == "active" && u.version == "ocs2007r2" && u.kind == "standard"
            }
            NodeId::Category(PoolCategory::EarlierVersions) => {
                u.state == "active" && u.version != "ocs2007r2"
            }
        };
        let is = |want: Option<bool>, have: bool| want.is_none_or(|w| w == have);
        in_scope
            && s.text.as_ref().is_none_or(|t| {
                let t = t.to_lowercase();
                u.display_name.to_lowercase().contains(&t) || u.sip_uri.to_lowercase().contains(&t)
            })
            && s.sip.as_ref().is_none_or(|p| p.matches(&u.sip_uri))
            && f.pool.is_none_or(|p| p.0 == u.pool_id)
            && f.version.is_none_or(|v| v.as_str() == u.version)
            && is(f.enhanced_presence, u.enhanced_presence)
            && is(f.federation, u.federation)
            && is(f.remote_access, u.remote_access)
            && is(f.public_im, u.public_im)
            && is(f.account_enabled, u.account_enabled)
            && f.archiving.is_none_or(|a| a.as_str() == u.archiving)
            && f.telephony.is_none_or(|t| t.as_str() == u.telephony)
            && match &f.meeting_policy {
                None => true,
                Some(MeetingPolicyFilter::Global) => u.meeting_policy.is_none(),
                Some(MeetingPolicyFilter::Named(n)) => u.meeting_policy.as_deref() == Some(n),
            }
            && f.container.as_ref().is_none_or(|c| {
                u.container.eq_ignore_ascii_case(c)
                    || u.container.to_lowercase().ends_with(&format!(",{}", c.to_lowercase()))
            })
            && f.department
                .as_ref()
                .is_none_or(|d| u.department.as_ref().is_some_and(|x| x.eq_ignore_ascii_case(d)))
            && is(f.unassigned, u.state != "active")
    }

    fn parse(qs: &str) -> UserSearch {
        UserSearch::from_query_string(qs).unwrap()
    }

    async fn all_ids(db: &AnyPool, s: &UserSearch) -> Vec<i64> {
        let mut got: Vec<i64> =
            ids(db, &Default::default(), s, 1_000_000).await.unwrap().into_iter().map(|u| u.0).collect();
        got.sort();
        got
    }

    #[tokio::test]
    async fn every_filter_and_combination_matches_the_plain_rule() {
        let db = small_deployment().await;
        let facts = facts(&db).await;
        let opts = options(&db).await.unwrap();
        let policy = &opts.meeting_policies[0];
        let department = &opts.departments[0];
        let container = opts.containers.iter().find(|c| c.starts_with("OU=Users")).unwrap();
        let leaf = opts.containers.iter().find(|c| c.matches("OU=").count() == 2).unwrap();
        let sample = &facts[3].sip_uri;
        let prefix = format!("{}*", sample[..3].to_uppercase());
        let infix = format!("*{}*", &sample[2..6]);
        let ascii_name = &facts.iter().skip(5).find(|u| u.display_name.is_ascii()).unwrap().display_name;
        // LIKE folds ASCII case only: the upper-cased part is ASCII.
        let name_part = ascii_name.split(' ').next_back().unwrap().to_uppercase();
        let singles: Vec<(&str, String)> = vec![
            ("text", name_part),
            ("text", sample[4..9].to_string()),
            ("sip", prefix),
            ("sip", infix),
            ("sip", "*smith*".into()),
            ("sip", "*@contoso.com".into()),
            ("sip", "?o*".into()),
            ("sip", "smith".into()),
            ("pool", "1".into()),
            ("version", "ocs2007".into()),
            ("ep", "no".into()),
            ("federation", "yes".into()),
            ("remote", "yes".into()),
            ("public_im", "no".into()),
            ("archiving", "disabled".into()),
            ("meeting_policy", GLOBAL_POLICY.into()),
            ("meeting_policy", policy.clone()),
            ("telephony", "enterprise_voice".into()),
            ("account", "no".into()),
            ("container", container.clone()),
            ("container", leaf.clone()),
            ("department", department.clone()),
            ("unassigned", "yes".into()),
            ("unassigned", "no".into()),
            ("node", "earlier-versions".into()),
        ];
        let mut searches: Vec<Vec<(&str, String)>> = singles.iter().map(|p| vec![p.clone()]).collect();
        // Pairs of filters on different properties: AND, in any order.
        for (i, a) in singles.iter().enumerate() {
            for b in singles.iter().skip(i + 1).step_by(3).filter(|b| b.0 != a.0) {
                searches.push(vec![a.clone(), b.clone()]);
            }
        }
        searches.push(vec![
            ("node", "enterprise-pools".into()),
            ("sip", "*smith*".into()),
            ("ep", "yes".into()),
            ("department", department.clone()),
        ]);
        searches.push(
            [
                ("sip", "*a*"),
                ("federation", "yes"),
                ("remote", "no"),
                ("public_im", "yes"),
                ("account", "yes"),
            ]
            .map(|(k, v)| (k, v.to_string()))
            .to_vec(),
        );
        let mut non_empty = 0;
        for pairs in &searches {
            let s =
                UserSearch::from_params(|k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone()))
                    .unwrap();
            let mut want: Vec<i64> = facts.iter().filter(|u| holds(&s, u)).map(|u| u.user_id).collect();
            want.sort();
            assert_eq!(all_ids(&db, &s).await, want, "{pairs:?}");
            let found = find(&db, &Default::default(), &s, &UserQuery::default()).await.unwrap();
            let shown = (want.len() as u64).min(SEARCH_COUNT_CAP);
            assert_eq!(
                (found.page.total, found.more),
                (shown, want.len() as u64 > SEARCH_COUNT_CAP),
                "{pairs:?}"
            );
            non_empty += usize::from(!want.is_empty());
        }
        // The checks are not vacuous: most searches find someone.
        assert!(non_empty * 2 > searches.len(), "{non_empty} of {}", searches.len());
    }

    #[tokio::test]
    async fn the_trigram_path_and_the_scan_path_find_the_same_users() {
        let db = small_deployment().await;
        for qs in
            ["sip=*smith*", "sip=*son@*", "sip=*ith?*", "sip=*.c?m", "sip=*zzz*", "sip=*mit*&federation=yes"]
        {
            let s = parse(qs);
            let mut results = Vec::new();
            for trigrams in [true, false] {
                let conditions = conditions(&s, trigrams);
                let mut got: Vec<i64> = users::ids_where(
                    &db,
                    &Default::default(),
                    s.scope,
                    "",
                    Some(&conditions),
                    false,
                    1_000_000,
                )
                .await
                .unwrap()
                .into_iter()
                .map(|u| u.0)
                .collect();
                got.sort();
                results.push(got);
            }
            assert_eq!(results[0], results[1], "{qs}");
        }
    }

    #[tokio::test]
    async fn wildcard_characters_in_input_are_literal() {
        let db = small_deployment().await;
        sqlx::query("UPDATE enabled_users SET sip_uri = 'o''brien_100%@contoso.com' WHERE user_id = (SELECT MIN(user_id) FROM enabled_users)")
            .execute(&db)
            .await
            .unwrap();
        let hit = |qs: &'static str| {
            let db = db.clone();
            async move { all_ids(&db, &parse(qs)).await.len() }
        };
        assert_eq!(hit("sip=o'brien_100%25@*").await, 1);
        assert_eq!(hit("sip=*brien_100%25*").await, 1);
        assert_eq!(hit("sip=O'BRIEN*").await, 1, "case-insensitive");
        // `_` and `%` do not act as SQL wildcards.
        assert_eq!(hit("sip=o'brienx100*").await, 0);
        assert_eq!(hit("sip=*brien_1000*").await, 0);
        assert_eq!(hit("sip=*%25*").await, 1);
        assert_eq!(hit("sip=*_*").await, 1);
        // The trigram index follows renames.
        sqlx::query(
            "UPDATE enabled_users SET sip_uri = 'renamed.person@contoso.com' WHERE sip_uri = 'o''brien_100%@contoso.com'",
        )
        .execute(&db)
        .await
        .unwrap();
        assert_eq!(hit("sip=*brien_100*").await, 0);
        assert_eq!(hit("sip=*named.pers*").await, 1);
    }

    #[tokio::test]
    async fn unknown_values_and_bad_patterns_are_errors() {
        let db = small_deployment().await;
        let field = |r: Result<SearchResults, AppError>| match r {
            Err(AppError::UnknownFilterValue { field }) => field,
            other => panic!("{other:?}"),
        };
        let q = UserQuery::default();
        assert_eq!(field(find(&db, &Default::default(), &parse("pool=4242"), &q).await), "pool");
        assert_eq!(
            field(find(&db, &Default::default(), &parse("meeting_policy=Nope"), &q).await),
            "meeting_policy"
        );
        assert_eq!(
            field(find(&db, &Default::default(), &parse("container=OU=Mars,DC=x"), &q).await),
            "container"
        );
        assert_eq!(
            field(find(&db, &Default::default(), &parse("department=Astrology"), &q).await),
            "department"
        );
        assert_eq!(
            UserSearch::from_query_string("sip=a%20b").err(),
            Some(AppError::InvalidSipPattern { problem: PatternProblem::Character })
        );
        let s = UserSearch { scope: NodeId::Pool(PoolId(4242)), ..UserSearch::default() };
        assert_eq!(find(&db, &Default::default(), &s, &q).await.err(), Some(AppError::PoolNotFound));
        let _ = ServerVersion::Ocs2007;
    }
}

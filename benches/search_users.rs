//! Benchmark: finding users by SIP URI in a 1,000,000-user deployment, server side (pattern
//! parsing, SQL and mapping of one page of results with its total), p50 and p95.
//!
//!   cargo bench --features ssr --bench search_users
//!   UC_ADMIN_BENCH_USERS=200000 cargo bench --features ssr --bench search_users
//!
//! The deployment (directory and enabled users, no per-user server data: a search does not
//! read it) is generated once into target/bench/ and reused by later runs.
//!
//! On PostgreSQL (trigram indexes instead of FTS5), on a server the bench starts as the tests
//! do, with a deployment generated for the run:
//!
//!   UC_ADMIN_BENCH_ENGINE=postgres cargo bench --features ssr --bench search_users

#[allow(dead_code)]
#[path = "../src/server/test_postgres.rs"]
mod test_postgres;

use std::time::{Duration, Instant};
use uc_admin::domain::paging::{SortKey, UserQuery};
use uc_admin::domain::search::UserSearch;
use uc_admin::server::{directory::search, storage::db};

const RUNS: usize = 200;

const GIVEN: [&str; 40] = [
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "amelie",
    "lukas",
    "lea",
    "paul",
    "chloe",
    "hugo",
    "emma",
    "louis",
    "jonas",
    "mia",
    "noah",
    "sofia",
    "ben",
    "hannah",
    "elias",
    "lina",
    "finn",
    "clara",
    "leon",
    "zoe",
];
const SURNAMES: [&str; 60] = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "thompson",
    "white",
    "harris",
    "clark",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "muller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "dubois",
    "durand",
    "lefebvre",
    "moreau",
    "laurent",
    "simon",
    "michel",
    "leroy",
    "roux",
    "david",
    "bertrand",
    "morel",
    "fournier",
    "girard",
    "bonnet",
    "dupont",
    "lambert",
    "fontaine",
    "rousseau",
    "vincent",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Directory users `1..=$3` named from the given names `$1` and surnames `$2` (JSON arrays).
/// Names repeat every 2,400 users; a number keeps every account and URI unique, as a real
/// directory's duplicates are (john.smith, john.smith2, ...).
fn directory_users_sql(engine: db::Engine) -> &'static str {
    match engine {
        db::Engine::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3),
                  p(i, g, s) AS (SELECT i, json_extract($1, '$[' || (i % 40) || ']'),
                                        json_extract($2, '$[' || ((i / 40) % 60) || ']') FROM n)
             INSERT INTO directory_users (id, object_guid, display_name, given_name, surname, sam_account_name,
                                          user_principal_name, email, container, department)
             SELECT i, printf('%08x-0000-4000-8000-%012x', i, i), upper(substr(g, 1, 1)) || substr(g, 2) || ' ' ||
                    upper(substr(s, 1, 1)) || substr(s, 2), g, s, g || '.' || s || i, g || '.' || s || i || '@contoso.com',
                    g || '.' || s || i || '@contoso.com', 'OU=Users,DC=contoso,DC=com',
                    CASE i % 4 WHEN 0 THEN 'Sales' WHEN 1 THEN 'Finance' WHEN 2 THEN 'Support' ELSE 'Legal' END
             FROM p"
        }
        db::Engine::Postgres => {
            "INSERT INTO directory_users (id, object_guid, display_name, given_name, surname, sam_account_name,
                                          user_principal_name, email, container, department)
             SELECT i, lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
                    initcap(g) || ' ' || initcap(s), g, s, g || '.' || s || i, g || '.' || s || i || '@contoso.com',
                    g || '.' || s || i || '@contoso.com', 'OU=Users,DC=contoso,DC=com',
                    CASE i % 4 WHEN 0 THEN 'Sales' WHEN 1 THEN 'Finance' WHEN 2 THEN 'Support' ELSE 'Legal' END
             FROM (SELECT i, CAST($1 AS jsonb) ->> CAST(i % 40 AS INT) AS g,
                          CAST($2 AS jsonb) ->> CAST((i / 40) % 60 AS INT) AS s
                   FROM generate_series(1, $3) i) p"
        }
    }
}

async fn fill(pool: &sqlx::AnyPool, size: u32) {
    let started = Instant::now();
    let given = serde_json::to_string(&GIVEN[..]).unwrap();
    let surnames = serde_json::to_string(&SURNAMES[..]).unwrap();
    let mut tx = pool.begin().await.unwrap();
    for (fqdn, version) in [
        ("pool01.contoso.com", "ocs2007r2"),
        ("pool02.contoso.com", "ocs2007r2"),
        ("pool03.contoso.com", "ocs2007r2"),
        ("ocs2007.contoso.com", "ocs2007"),
    ] {
        sqlx::query(
            "INSERT INTO pools (fqdn, kind, version, capacity) VALUES ($1, 'enterprise', $2, 1000000)",
        )
        .bind(fqdn)
        .bind(version)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query(directory_users_sql(db::engine(pool)))
        .bind(&given)
        .bind(&surnames)
        .bind(i64::from(size))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO enabled_users (user_id, sip_uri, pool_id, federation)
         SELECT id, lower(given_name || '.' || surname || id) || '@contoso.com', 1 + id % 4,
                CASE WHEN id % 3 = 0 THEN 1 ELSE 0 END
         FROM directory_users",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    println!("generated {size} users in {:.1} s", started.elapsed().as_secs_f64());
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let size: u32 =
        std::env::var("UC_ADMIN_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    std::fs::create_dir_all("target/bench").unwrap();
    let url = match std::env::var("UC_ADMIN_BENCH_ENGINE").as_deref() {
        Ok("postgres") => test_postgres::fresh_database().await,
        _ => format!("sqlite://target/bench/search-{size}.db"),
    };
    let pool = db::connect(&url).await.expect("database");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&pool).await.unwrap();
    if users == 0 {
        fill(&pool, size).await;
    }
    println!("deployment: {} enabled users on {:?}", users.max(i64::from(size)), db::engine(&pool));

    let cases: [(&str, &str); 7] = [
        ("prefix 'jo*'", "sip=jo*"),
        ("prefix 'james.smith1*'", "sip=james.smith1*"),
        ("prefix 'hannah.*' + federation", "sip=hannah.*&federation=yes"),
        ("infix '*abc*' (no match)", "sip=*abc*"),
        ("infix '*ert*'", "sip=*ert*"),
        ("infix '*smith12*'", "sip=*smith12*"),
        ("infix '*ert*' + department", "sip=*ert*&department=Sales"),
    ];
    println!(
        "\n{:<38} {:>9} {:>9} {:>9} {:>9}   ({RUNS} runs, page 1 of 50 rows + total)",
        "search", "results", "p50", "p95", "max"
    );
    let query = UserQuery { sort: SortKey::SipUri, ..UserQuery::default() };
    for (name, qs) in cases {
        let s = UserSearch::from_query_string(qs).unwrap();
        let first = search::find(&pool, &s, &query).await.unwrap(); // warms the page cache
        let mut times = vec![Duration::ZERO; RUNS];
        for t in times.iter_mut() {
            let start = Instant::now();
            // Parsing is part of what the server does for every request.
            let s = UserSearch::from_query_string(qs).unwrap();
            let page = search::find(&pool, &s, &query).await.unwrap();
            *t = start.elapsed();
            std::hint::black_box(page);
        }
        times.sort();
        println!(
            "{name:<38} {:>9} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            if first.more { format!(">{}", first.page.total) } else { first.page.total.to_string() },
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3
        );
    }
    // The same searches sorted by display name (the browse lists' default order).
    let by_name = UserQuery::default();
    for (name, qs) in [("prefix 'jo*', by name", "sip=jo*"), ("infix '*ert*', by name", "sip=*ert*")] {
        let s = UserSearch::from_query_string(qs).unwrap();
        search::find(&pool, &s, &by_name).await.unwrap();
        let mut times = vec![Duration::ZERO; RUNS / 4];
        for t in times.iter_mut() {
            let start = Instant::now();
            std::hint::black_box(search::find(&pool, &s, &by_name).await.unwrap());
            *t = start.elapsed();
        }
        times.sort();
        println!(
            "{name:<38} {:>9} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            "",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3
        );
    }
}

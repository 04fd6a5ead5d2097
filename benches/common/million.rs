//! The benchmarks' large deployment: four pools and N directory users, every one enabled,
//! named from common given names and surnames (what the search and API benchmarks read).

use std::time::Instant;
use uc_admin::server::storage::db;

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

pub async fn fill(pool: &sqlx::AnyPool, size: u32) {
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

//! The demo deployment: pools of every version and state, a directory with realistic French,
//! German and English names, enabled users and their server data. Deterministic: the same
//! size always gives the same deployment. Also generates large deployments for benchmarks.

use crate::domain::AppError;
use crate::domain::sip::{SipUri, fold_name};
use crate::server::now;
use crate::server::storage::db::Engine;
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use sqlx::{Any, AnyPool, Transaction};
use std::collections::HashMap;

/// SplitMix64: a tiny, well-distributed, stable generator (the demo must not change when a
/// dependency's RNG does). The crash test draws its reproducible kill times from it too.
pub struct Rng(pub u64);

impl Rng {
    // Not an Iterator: it never ends, and callers want a plain number.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const GIVEN_FR: &[&str] = &[
    "Élodie",
    "François",
    "Hélène",
    "Jérôme",
    "Béatrice",
    "Cécile",
    "Loïc",
    "Anaïs",
    "Noël",
    "Gaëlle",
    "Thérèse",
    "Raphaël",
    "Zoé",
    "Chloé",
    "Léa",
    "Benoît",
    "Amélie",
    "René",
    "Geneviève",
    "Jean-Luc",
    "Marie-Claire",
    "Océane",
    "Mathéo",
    "Inès",
];
const GIVEN_DE: &[&str] = &[
    "Jürgen",
    "Jörg",
    "Günther",
    "Björn",
    "Sören",
    "Käthe",
    "Mathias",
    "Uwe",
    "Anja",
    "Heike",
    "Frauke",
    "Dörte",
    "Grete",
    "Ludwig",
    "Lukas",
    "Jonas",
    "Mia",
    "Lena",
    "Felix",
    "Bärbel",
    "Maximilian",
    "Götz",
];
const GIVEN_EN: &[&str] = &[
    "Oliver",
    "Amelia",
    "Harry",
    "Isla",
    "Chloe",
    "Seán",
    "Siobhán",
    "Niamh",
    "Liam",
    "Emily",
    "Jack",
    "Grace",
    "William",
    "Sophie",
    "James",
    "Olivia",
    "Thomas",
    "Charlotte",
    "Daniel",
    "Zoë",
    "Ruth",
];
const SURNAME_FR: &[&str] = &[
    "Dupont",
    "Lefèvre",
    "Bézier",
    "Ménard",
    "Gérard",
    "Fournier",
    "Lemaître",
    "Côté",
    "Chevalier",
    "Faure",
    "Rousseau",
    "Girard",
    "Boucher",
    "Hébert",
    "Leclerc",
    "D'Amboise",
    "Mercier",
    "Bélanger",
    "Lacroix",
    "Saint-Just",
];
const SURNAME_DE: &[&str] = &[
    "Müller",
    "Schröder",
    "Groß",
    "Weiß",
    "Krüger",
    "Böhm",
    "Fuchs",
    "Hoffmann",
    "Schäfer",
    "Köhler",
    "Bauer",
    "Wagner",
    "Zimmermann",
    "Strauß",
    "Jäger",
    "Möller",
    "Vogel",
    "von Bülow",
    "Öztürk",
];
const SURNAME_EN: &[&str] = &[
    "Smith",
    "O'Brien",
    "O'Connor",
    "Johnson",
    "Williams",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Murphy",
    "Walsh",
    "Clarke",
    "Wright",
    "Thompson",
    "Robinson",
    "McAllister",
    "Fitzgerald",
    "Smithson",
    "Goldsmith",
];
/// A few names in scripts that have no Latin spelling rule, as a real directory has.
const NON_LATIN: &[(&str, &str)] =
    &[("Дмитрий", "Иванов"), ("Ελένη", "Παπαδοπούλου"), ("美咲", "佐藤"), ("Анна", "Кузнецова")];

const SITES: &[(&str, &str)] = &[
    ("Paris", "fr"),
    ("Lyon", "fr"),
    ("Montréal", "fr"),
    ("Berlin", "de"),
    ("München", "de"),
    ("Zürich", "de"),
    ("London", "en"),
    ("Dublin", "en"),
    ("Seattle", "en"),
];
const DEPARTMENTS: &[&str] =
    &["Sales", "Finance", "Engineering", "Human Resources", "Support", "Marketing", "Legal", "Operations"];
const MEETING_POLICIES: &[&str] = &["Default Policy", "Large Meetings", "Presenter Only"];

pub const FOREST: &str = "contoso.com";
/// SIP domains the demo deployment supports; the first is the default.
const SIP_DOMAINS: &[(&str, bool)] = &[("contoso.com", true), ("fabrikam.com", false)];

/// Pools of the demo: FQDN, kind, version, state, available, share of enabled users (per mille),
/// capacity headroom (per cent of their users).
const POOLS: &[(&str, &str, &str, &str, bool, u64, u64)] = &[
    ("pool01.contoso.com", "enterprise", "ocs2007r2", "active", true, 300, 220),
    ("pool02.contoso.com", "enterprise", "ocs2007r2", "active", true, 220, 180),
    ("pool03.contoso.com", "enterprise", "ocs2007r2", "active", false, 100, 160),
    ("se01.contoso.com", "standard", "ocs2007r2", "active", true, 120, 150),
    ("ocs2007.contoso.com", "enterprise", "ocs2007", "active", true, 120, 150),
    ("lcs2005.contoso.com", "standard", "lcs2005sp1", "active", true, 60, 150),
    ("se02.contoso.com", "standard", "ocs2007r2", "deactivated", true, 80, 150),
];

/// The demo company has two sites.
fn demo_site(fqdn: &str) -> &'static str {
    match fqdn {
        "pool03.contoso.com" | "ocs2007.contoso.com" | "se02.contoso.com" => "Dublin",
        _ => "Redmond",
    }
}

/// What a seeding run created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub directory_users: u64,
    pub enabled_users: u64,
    pub contacts: u64,
}

struct Person {
    guid: String,
    given: String,
    surname: String,
    display: String,
    sam: String,
    email: Option<String>,
    container: String,
    department: String,
    account_enabled: bool,
}

/// Makes `base` unique by appending 2, 3, ... on repeats.
fn unique(seen: &mut HashMap<String, u32>, base: String) -> String {
    let n = seen.entry(base.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { base } else { format!("{base}{n}") }
}

fn people(count: u32) -> Vec<Person> {
    let mut rng = Rng(0x0005_EED0_FC02_7050);
    let mut sams = HashMap::new();
    let mut emails = HashMap::new();
    (0..count)
        .map(|i| {
            let (site, lang) = *rng.pick(SITES);
            let (given, surname) = if rng.below(250) == 0 {
                *rng.pick(NON_LATIN)
            } else {
                match lang {
                    "fr" => (*rng.pick(GIVEN_FR), *rng.pick(SURNAME_FR)),
                    "de" => (*rng.pick(GIVEN_DE), *rng.pick(SURNAME_DE)),
                    _ => (*rng.pick(GIVEN_EN), *rng.pick(SURNAME_EN)),
                }
            };
            let (g, s) = (fold_name(given), fold_name(surname));
            let sam_base = match (g.chars().next(), s.is_empty()) {
                (Some(initial), false) => {
                    format!("{initial}{}", s.chars().take(18).collect::<String>())
                }
                _ => format!("user{i}"),
            };
            let sam = unique(&mut sams, sam_base);
            // Most users have a mailbox; some (contractors, service accounts) do not.
            let email = (!rng.chance(5)).then(|| {
                let local = if g.is_empty() || s.is_empty() { sam.clone() } else { format!("{g}.{s}") };
                format!("{}@{FOREST}", unique(&mut emails, local))
            });
            Person {
                guid: format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    rng.next() as u32,
                    rng.next() as u16,
                    rng.next() as u16 & 0xfff,
                    rng.next() as u16 & 0xfff,
                    rng.next() & 0xffff_ffff_ffff
                ),
                display: format!("{given} {surname}"),
                given: given.into(),
                surname: surname.into(),
                sam,
                email,
                container: format!("OU={site},OU=Users,DC=contoso,DC=com"),
                department: rng.pick(DEPARTMENTS).to_string(),
                account_enabled: !rng.chance(3),
            }
        })
        .collect()
}

/// Creates the demo deployment if the database has no pools. Returns what it created.
pub async fn ensure_demo(db: &AnyPool, directory_users: u32) -> Result<Option<SeedReport>, AppError> {
    let pools: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pools").fetch_one(db).await?;
    if pools > 0 {
        return Ok(None);
    }
    generate(db, directory_users).await.map(Some)
}

/// Generates a deployment of `directory_users` users (about 3 in 4 enabled) in one transaction.
pub async fn generate(db: &AnyPool, directory_users: u32) -> Result<SeedReport, AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('forest_name', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(FOREST)
    .execute(&mut *tx)
    .await?;
    // The enterprise organization (created by the migrations) is named after the forest.
    sqlx::query("UPDATE organizations SET name = $1 WHERE parent_id IS NULL")
        .bind(FOREST)
        .execute(&mut *tx)
        .await?;
    for (domain, is_default) in SIP_DOMAINS {
        sqlx::query("INSERT INTO sip_domains (domain, is_default) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(domain)
            .bind(i64::from(*is_default))
            .execute(&mut *tx)
            .await?;
    }
    for name in MEETING_POLICIES {
        sqlx::query("INSERT INTO meeting_policies (name) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    let people = people(directory_users);
    let enabled_target = u64::from(directory_users) * 3 / 4;

    let mut pool_ids = Vec::new();
    for (fqdn, kind, version, state, available, share, headroom) in POOLS {
        let users = enabled_target * share / 1000;
        let capacity = (users * headroom / 100).max(100);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO pools (fqdn, kind, version, state, available, capacity, site) VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id",
        )
        .bind(fqdn)
        .bind(kind)
        .bind(version)
        .bind(state)
        .bind(Flag(*available))
        .bind(capacity as i64)
        .bind(demo_site(fqdn))
        .fetch_one(&mut *tx)
        .await?;
        pool_ids.push((id, *version, *share));
    }

    // Directory users, in multi-row inserts (well under SQLite's bound-parameter limit).
    let mut first_id = None;
    for chunk in people.chunks(2_000) {
        let mut qb = SqlBuilder::new(
            Engine::of(&tx),
            "INSERT INTO directory_users (object_guid, display_name, given_name, surname, sam_account_name,
             user_principal_name, email, container, department, account_enabled) ",
        );
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(&p.guid)
                .push_bind(&p.display)
                .push_bind(&p.given)
                .push_bind(&p.surname)
                .push_bind(&p.sam)
                .push_bind(format!("{}@{FOREST}", p.sam))
                .push_bind(&p.email)
                .push_bind(&p.container)
                .push_bind(&p.department)
                .push_bind(Flag(p.account_enabled));
        });
        qb.push(" RETURNING id");
        let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
        first_id = first_id.or(ids.first().copied());
    }
    let first_id = first_id.unwrap_or(1);

    // Enable three users in four, spread over the pools by their share.
    let mut rng = Rng(0xE4AB1ED);
    let total_share: u64 = pool_ids.iter().map(|p| p.2).sum();
    let mut enabled = Vec::new();
    for (i, p) in people.iter().enumerate() {
        if i % 4 == 3 {
            continue;
        }
        let mut ticket = rng.next() % total_share;
        let &(pool_id, version, _) = pool_ids
            .iter()
            .find(|p| {
                let hit = ticket < p.2;
                ticket = ticket.saturating_sub(p.2);
                hit
            })
            .unwrap_or(&pool_ids[0]);
        let sip = match &p.email {
            Some(email) => SipUri::parse(email),
            None => SipUri::parse(&format!("{}@{FOREST}", p.sam)),
        }
        .map_err(|_| AppError::INTERNAL)?;
        let enhanced = version != "lcs2005sp1" && !rng.chance(10);
        enabled.push((
            first_id + i as i64,
            sip,
            pool_id,
            enhanced,
            enhanced && rng.chance(80),
            [rng.chance(40), rng.chance(60), rng.chance(20)],
            *rng.pick(&["global", "global", "global", "internal", "internal_and_federated", "disabled"]),
            rng.chance(50).then(|| *rng.pick(MEETING_POLICIES)),
            *rng.pick(&[
                "disabled",
                "disabled",
                "enterprise_voice",
                "remote_call_control",
                "pbx_integration",
            ]),
        ));
    }
    for chunk in enabled.chunks(2_000) {
        let mut qb = SqlBuilder::new(
            Engine::of(&tx),
            "INSERT INTO enabled_users (user_id, sip_uri, pool_id, enhanced_presence, converted_to_ep,
             federation, remote_access, public_im, archiving, meeting_policy, telephony) ",
        );
        qb.push_values(chunk, |mut b, u| {
            b.push_bind(u.0)
                .push_bind(u.1.address())
                .push_bind(u.2)
                .push_bind(Flag(u.3))
                .push_bind(Flag(u.4))
                .push_bind(Flag(u.5[0]))
                .push_bind(Flag(u.5[1]))
                .push_bind(Flag(u.5[2]))
                .push_bind(u.6)
                .push_bind(u.7)
                .push_bind(u.8);
        });
        qb.build().execute(&mut *tx).await?;
    }
    // Statistics before the set-based statements below: without them PostgreSQL plans their
    // joins as if the tables were empty, and a join over a hundred thousand users takes minutes.
    for table in ["directory_users", "enabled_users", "org_members", "pools"] {
        sqlx::query(&format!("ANALYZE {table}")).execute(&mut *tx).await?;
    }
    generate_server_data(&mut tx).await?;
    generate_organizations(&mut tx).await?;
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts").fetch_one(&mut *tx).await?;
    tx.commit().await?;
    // Statistics for the query planner, so that list queries walk indexes instead of sorting.
    sqlx::query("ANALYZE").execute(db).await?;
    Ok(SeedReport {
        directory_users: people.len() as u64,
        enabled_users: enabled.len() as u64,
        contacts: contacts as u64,
    })
}

/// Sub-organizations by region (the sites' OUs), with roles, households, attributes and alerts,
/// so that the organization pages and moves have something real to show. Set-based.
async fn generate_organizations(tx: &mut Transaction<'_, Any>) -> Result<(), AppError> {
    let engine = Engine::of(tx);
    let pad = |expr: &str, digits| engine.zero_padded(expr, digits);
    let mobile = format!(
        "'+33 6 ' || {} || ' ' || {} || ' ' || {} || ' ' || {}",
        pad("user_id % 97", 2),
        pad("user_id % 89", 2),
        pad("user_id % 83", 2),
        pad("user_id % 79", 2)
    );
    let pager = format!("'555-' || {}", pad("user_id % 10000", 4));
    for sql in [
        "INSERT INTO organizations (name, parent_id)
         SELECT name, (SELECT id FROM organizations WHERE parent_id IS NULL)
         FROM (SELECT 'Contoso France' AS name UNION ALL SELECT 'Contoso Deutschland'
               UNION ALL SELECT 'Contoso UK & Ireland') names",
        // Members by site; Seattle stays in the enterprise organization.
        "UPDATE org_members SET org_id = (
             SELECT o.id FROM directory_users d JOIN organizations o ON o.name = CASE
                 WHEN d.container LIKE 'OU=Paris,%' OR d.container LIKE 'OU=Lyon,%' OR d.container LIKE 'OU=Montréal,%'
                     THEN 'Contoso France'
                 WHEN d.container LIKE 'OU=Berlin,%' OR d.container LIKE 'OU=München,%' OR d.container LIKE 'OU=Zürich,%'
                     THEN 'Contoso Deutschland'
                 WHEN d.container LIKE 'OU=London,%' OR d.container LIKE 'OU=Dublin,%' THEN 'Contoso UK & Ireland'
             END WHERE d.id = org_members.user_id)
         WHERE EXISTS (SELECT 1 FROM directory_users d WHERE d.id = org_members.user_id
                       AND d.container NOT LIKE 'OU=Seattle,%')",
        // Roles in the members' own organization; two Enterprise Administrators in the enterprise.
        "INSERT INTO org_roles (user_id, org_id, role)
         SELECT user_id, org_id, CASE WHEN user_id % 97 = 0 THEN 'organization_administrator'
                                      WHEN user_id % 31 = 0 THEN 'alert_manager'
                                      WHEN user_id % 11 = 0 THEN 'alert_sender' ELSE 'viewer' END
         FROM org_members WHERE user_id % 7 = 0 OR user_id % 11 = 0",
        "INSERT INTO org_roles (user_id, org_id, role)
         SELECT m.user_id, m.org_id, 'enterprise_administrator' FROM org_members m
         JOIN organizations o ON o.id = m.org_id AND o.parent_id IS NULL ORDER BY m.user_id LIMIT 2",
        // Households: a user every 40 with the next two members of the same organization.
        "INSERT INTO households (id, name)
         SELECT m.user_id, 'Household ' || d.surname FROM org_members m JOIN directory_users d ON d.id = m.user_id
         WHERE m.user_id % 40 = 1",
        "UPDATE org_members SET household_id = (
             SELECT h.id FROM households h JOIN org_members head ON head.user_id = h.id
             WHERE head.org_id = org_members.org_id AND h.id BETWEEN org_members.user_id - 2 AND org_members.user_id)
         WHERE user_id % 40 IN (1, 2, 3)",
        // Personal device addresses; each organization uses some of them.
        &format!(
            "INSERT INTO user_attributes (user_id, name, value)
             SELECT user_id, 'mobile', {mobile} FROM org_members WHERE user_id % 3 = 0"
        ),
        &format!(
            "INSERT INTO user_attributes (user_id, name, value)
             SELECT user_id, 'pager', {pager} FROM org_members WHERE user_id % 5 = 0"
        ),
        "INSERT INTO org_attributes (org_id, name)
         SELECT id, 'mobile' FROM organizations
         UNION ALL SELECT id, 'pager' FROM organizations WHERE name IN ('Contoso Deutschland', 'Contoso UK & Ireland')",
        // Alerts of each sub-organization: a draft, a scheduled one and a sent one.
        "INSERT INTO alerts (org_id, title, state, created_at, sent_at)
         SELECT o.id, a.title, a.state, $1 - 86400, CASE a.state WHEN 'sent' THEN $1 - 3600 END
         FROM organizations o,
              (SELECT 'Fire drill' AS title, 'draft' AS state UNION ALL SELECT 'Storm warning', 'scheduled'
               UNION ALL SELECT 'Network maintenance', 'sent') a
         WHERE o.parent_id IS NOT NULL",
        "INSERT INTO alert_targets (alert_id, user_id)
         SELECT a.id, m.user_id FROM alerts a JOIN org_members m ON m.org_id = a.org_id
         WHERE a.state <> 'sent' AND m.user_id % 4 = 0",
        "INSERT INTO alert_recipients (alert_id, user_id, display_name, org_name)
         SELECT a.id, m.user_id, d.display_name, o.name FROM alerts a
         JOIN org_members m ON m.org_id = a.org_id JOIN directory_users d ON d.id = m.user_id
         JOIN organizations o ON o.id = a.org_id
         WHERE a.state = 'sent' AND m.user_id % 4 = 0",
    ] {
        let query = sqlx::query(sql);
        let query = if sql.contains("$1") { query.bind(now()) } else { query };
        query.execute(&mut **tx).await?;
    }
    if let Some(sql) = engine.after_explicit_ids("households") {
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Contacts, groups, Allow/Block entries, meetings and presence data for every enabled user,
/// set-based: each kind is one INSERT ... SELECT over the users and a small number series.
async fn generate_server_data(tx: &mut Transaction<'_, Any>) -> Result<(), AppError> {
    let statements = [
        "CREATE TEMP TABLE seed_n (i INTEGER PRIMARY KEY)",
        "INSERT INTO seed_n (i) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
         SELECT i FROM n",
        "CREATE TEMP TABLE seed_users AS
         SELECT ROW_NUMBER() OVER (ORDER BY e.user_id) AS rn, e.user_id, e.sip_uri,
                d.display_name, e.enhanced_presence, p.version
         FROM enabled_users e JOIN directory_users d ON d.id = e.user_id JOIN pools p ON p.id = e.pool_id",
        "CREATE UNIQUE INDEX seed_users_rn ON seed_users (rn)",
        "ANALYZE seed_users",
        // 1 to 4 contact groups per user.
        "INSERT INTO contact_groups (user_id, name)
         SELECT u.user_id,
                CASE n.i WHEN 1 THEN 'Other Contacts' WHEN 2 THEN 'My Team' WHEN 3 THEN 'Management' ELSE 'Partners' END
         FROM seed_users u JOIN seed_n n ON n.i <= 1 + (u.rn * 31) % 4
         ORDER BY u.user_id, n.i",
        "CREATE TEMP TABLE seed_groups AS
         SELECT user_id, MIN(id) AS first_id, COUNT(*) AS groups FROM contact_groups GROUP BY user_id",
        "CREATE UNIQUE INDEX seed_groups_user ON seed_groups (user_id)",
        "ANALYZE seed_groups",
        // 5 to 44 contacts per user, other users of the forest, spread over the user's groups.
        "INSERT INTO contacts (user_id, contact_uri, display_name, group_id)
         SELECT u.user_id, c.sip_uri, c.display_name, g.first_id + (n.i % g.groups)
         FROM seed_users u
         JOIN seed_n n ON n.i <= 5 + (u.rn * 7919) % 40
         JOIN seed_groups g ON g.user_id = u.user_id
         JOIN seed_users c ON c.rn = 1 + (u.rn * 17 + n.i * 101) % (SELECT COUNT(*) FROM seed_users)
         WHERE c.user_id <> u.user_id
         ON CONFLICT DO NOTHING",
        // 0 to 5 Allow/Block entries: partner domains allowed, some addresses blocked.
        "INSERT INTO access_entries (user_id, entry, access)
         SELECT u.user_id,
                CASE n.i % 5 WHEN 0 THEN 'fabrikam.com' WHEN 1 THEN 'litwareinc.com' WHEN 2 THEN 'adatum.com'
                             WHEN 3 THEN 'spam' || u.rn || '@example.net' ELSE 'tailspintoys.com' END,
                CASE WHEN n.i % 5 = 3 OR (u.rn + n.i) % 4 = 0 THEN 'block' ELSE 'allow' END
         FROM seed_users u JOIN seed_n n ON n.i <= (u.rn * 13) % 6
         WHERE TRUE ON CONFLICT DO NOTHING",
        // 0 to 6 scheduled meetings in the next two months (LCS 2005 SP1 holds none).
        "INSERT INTO meetings (user_id, subject, starts_at, duration_minutes)
         SELECT u.user_id,
                CASE n.i % 6 WHEN 0 THEN 'Weekly team sync' WHEN 1 THEN 'Réunion budget' WHEN 2 THEN 'Projektbesprechung'
                             WHEN 3 THEN 'Customer review' WHEN 4 THEN 'Point hebdomadaire' ELSE 'Quartalsplanung' END,
                $1 + ((u.rn * 3607 + n.i * 86400) % 5184000), 30 * (1 + (u.rn + n.i) % 3)
         FROM seed_users u JOIN seed_n n ON n.i <= (u.rn * 13 + 5) % 7
         WHERE u.version <> 'lcs2005sp1'",
        // Enhanced presence categories for users on enhanced presence.
        "INSERT INTO presence_items (user_id, category, instance, value)
         SELECT u.user_id,
                CASE n.i WHEN 1 THEN 'state' WHEN 2 THEN 'note' WHEN 3 THEN 'contactCard'
                         WHEN 4 THEN 'calendarData' WHEN 5 THEN 'routing' ELSE 'userProperties' END,
                0,
                CASE n.i WHEN 1 THEN 'available' WHEN 2 THEN 'Back on Monday' ELSE 'v' || (u.rn % 97) END
         FROM seed_users u JOIN seed_n n ON n.i <= 3 + (u.rn % 4)
         WHERE u.enhanced_presence = 1",
        "DROP TABLE seed_groups",
        "DROP TABLE seed_users",
        "DROP TABLE seed_n",
    ];
    let start = now();
    for sql in statements {
        let query = sqlx::query(sql);
        let query = if sql.contains("$1") { query.bind(start) } else { query };
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::server::storage::db;

    /// A small demo deployment on a private in-memory database.
    pub(crate) async fn small_deployment() -> AnyPool {
        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        generate(&db, 400).await.unwrap();
        db
    }

    #[tokio::test]
    async fn generates_a_consistent_deployment() {
        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        let report = generate(&db, 400).await.unwrap();
        assert_eq!(report.directory_users, 400);
        assert_eq!(report.enabled_users, 300);
        assert!(report.contacts >= 300 * 5 - 300, "{report:?}");
        for table in ["contact_groups", "access_entries", "meetings", "presence_items"] {
            let n: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db).await.unwrap();
            assert!(n > 300, "{table}: {n}");
        }
        // Every user holds only the data its home pool's version can hold.
        assert_eq!(crate::server::operations::moves::tests::unholdable_data(&db).await, 0);
        assert_eq!(crate::server::operations::moves::tests::miscounted_users(&db).await, 0);
        // No user on an LCS 2005 SP1 pool has enhanced presence, and no pool is over capacity.
        let bad: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM enabled_users e JOIN pools p ON p.id = e.pool_id
             WHERE p.version = 'lcs2005sp1' AND e.enhanced_presence = 1",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(bad, 0);
        let over: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pools p WHERE p.capacity < (SELECT COUNT(*) FROM enabled_users e WHERE e.pool_id = p.id)",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(over, 0);
        // Every directory user is in exactly one organization; households stay within one.
        let count = |sql: &'static str| {
            let db = db.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
        };
        assert_eq!(count("SELECT COUNT(*) FROM org_members").await, 400);
        assert_eq!(count("SELECT COUNT(*) FROM organizations WHERE parent_id IS NOT NULL").await, 3);
        assert!(count("SELECT COUNT(*) FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE o.parent_id IS NULL").await > 0);
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM (SELECT household_id FROM org_members WHERE household_id IS NOT NULL
                   GROUP BY household_id HAVING COUNT(DISTINCT org_id) > 1) AS split"
            )
            .await,
            0
        );
        assert!(count("SELECT COUNT(*) FROM org_members WHERE household_id IS NOT NULL").await > 10);
        assert!(count("SELECT COUNT(*) FROM alert_recipients").await > 0);
        assert!(count("SELECT COUNT(*) FROM alert_targets").await > 0);
        // Alert targets are members of the alert's organization.
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM alert_targets t JOIN alerts a ON a.id = t.alert_id
                   JOIN org_members m ON m.user_id = t.user_id WHERE m.org_id <> a.org_id"
            )
            .await,
            0
        );
    }

    #[tokio::test]
    async fn demo_is_created_once() {
        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        assert!(ensure_demo(&db, 100).await.unwrap().is_some());
        assert!(ensure_demo(&db, 100).await.unwrap().is_none());
    }

    #[test]
    fn names_are_unique_where_the_directory_requires_it() {
        let people = people(3_000);
        let sams: std::collections::HashSet<_> = people.iter().map(|p| p.sam.to_lowercase()).collect();
        assert_eq!(sams.len(), people.len());
        let emails: Vec<_> = people.iter().filter_map(|p| p.email.clone()).collect();
        let distinct: std::collections::HashSet<_> = emails.iter().collect();
        assert_eq!(distinct.len(), emails.len());
        assert!(people.iter().any(|p| p.display.contains('é') || p.display.contains('ü')));
        assert!(emails.iter().all(|e| SipUri::parse(e).is_ok()));
    }
}

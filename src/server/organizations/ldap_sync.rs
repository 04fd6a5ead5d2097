//! Directory sync from an LDAP server (the source an ADSync feed would be): reads the users and
//! their organization, then creates, updates and moves them in one transaction. A user with
//! Prevent User Move set stays where they are, and the report says so.

use crate::domain::AppError;
use crate::domain::org::{
    MembershipOutcome, MembershipProblem, MembershipReport, MembershipRow, OrgId, SyncRun,
};
use crate::domain::user::UserId;
use crate::server::organizations::moves::{self, MoveSource};
use crate::server::organizations::orgs;
use crate::server::security::audit;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Where the directory is and how its entries map to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapSettings {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    pub bind_dn: Option<String>,
    pub password: Option<String>,
    pub base_dn: String,
    pub filter: String,
    /// The attribute naming the user's organization (empty or absent: the enterprise).
    pub org_attribute: String,
    /// A stable identifier of the entry (`entryUUID` on OpenLDAP).
    pub guid_attribute: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    pub starttls: bool,
}

/// A user as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub dn: String,
    pub guid: String,
    pub username: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    pub email: Option<String>,
    pub department: Option<String>,
    pub organization: Option<String>,
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    tracing::warn!("directory sync: {e}");
    AppError::DirectoryUnavailable
}

/// Reads every entry the filter selects under the base DN.
pub async fn fetch(settings: &LdapSettings) -> Result<Vec<DirectoryEntry>, AppError> {
    let conn_settings =
        LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10)).set_starttls(settings.starttls);
    let (conn, mut ldap) =
        LdapConnAsync::with_settings(conn_settings, &settings.url).await.map_err(unavailable)?;
    ldap3::drive!(conn);
    if let (Some(dn), Some(password)) = (&settings.bind_dn, &settings.password) {
        ldap.simple_bind(dn, password).await.map_err(unavailable)?.success().map_err(unavailable)?;
    }
    let attributes = vec![
        "uid",
        "cn",
        "displayName",
        "givenName",
        "sn",
        "mail",
        "departmentNumber",
        settings.org_attribute.as_str(),
        settings.guid_attribute.as_str(),
    ];
    let (entries, _) = ldap
        .search(&settings.base_dn, Scope::Subtree, &settings.filter, attributes)
        .await
        .map_err(unavailable)?
        .success()
        .map_err(unavailable)?;
    let _ = ldap.unbind().await;
    let first = |e: &SearchEntry, name: &str| -> Option<String> {
        e.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first().cloned())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Ok(entries
        .into_iter()
        .map(|raw| {
            let e = SearchEntry::construct(raw);
            DirectoryEntry {
                guid: first(&e, &settings.guid_attribute).unwrap_or_else(|| e.dn.to_lowercase()),
                username: first(&e, "uid").unwrap_or_default(),
                display_name: first(&e, "displayName").or_else(|| first(&e, "cn")).unwrap_or_default(),
                given_name: first(&e, "givenName").unwrap_or_default(),
                surname: first(&e, "sn").unwrap_or_default(),
                email: first(&e, "mail"),
                department: first(&e, "departmentNumber"),
                organization: first(&e, &settings.org_attribute),
                dn: e.dn,
            }
        })
        .collect())
}

/// Fetches the directory and applies it. Never two at once, whoever starts them (an operator,
/// the schedule, the command line, another process on the same database): a second is refused
/// with `DirectorySyncRunning` while the first holds the lease.
pub async fn run(
    db: &AnyPool,
    settings: &LdapSettings,
    actor: audit::Actor<'_>,
) -> Result<MembershipReport, AppError> {
    let lease = SyncLease::take(db).await?;
    let result = async {
        let entries = fetch(settings).await?;
        apply(db, actor, &entries).await
    }
    .await;
    lease.give_back(db).await?;
    result
}

/// The name the audit log and the move history give a sync run from the command line.
pub const SYNC_ACTOR: &str = "directory-sync";
/// The name of the runs the schedule (`directory.sync_every_minutes`) starts.
pub const SCHEDULE_ACTOR: &str = "scheduled directory sync";

/// How long a sync may hold the lease; a process that died holding it frees it after this.
const LEASE_SECONDS: i64 = 15 * 60;

/// The right to run the one directory sync: a row of `settings` that names until when it is
/// held, so that it works across processes on one database.
pub(crate) struct SyncLease {
    token: String,
}

impl SyncLease {
    pub(crate) async fn take(db: &AnyPool) -> Result<SyncLease, AppError> {
        let now = crate::server::now();
        // The expiry comes first, zero-padded, so that the SQL compares it as text (a lease
        // written otherwise, by an earlier version, counts as expired).
        let token =
            format!("{:020}:{}", now + LEASE_SECONDS, crate::server::security::operators::random_guid());
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO settings (key, value) VALUES ('directory_sync_lease', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value
             WHERE substr(settings.value, 21, 1) <> ':' OR substr(settings.value, 1, 20) < $2
             RETURNING value",
        )
        .bind(&token)
        .bind(format!("{now:020}"))
        .fetch_optional(db)
        .await?;
        match taken {
            Some(_) => Ok(SyncLease { token }),
            None => Err(AppError::DirectorySyncRunning),
        }
    }

    pub(crate) async fn give_back(self, db: &AnyPool) -> Result<(), AppError> {
        sqlx::query("DELETE FROM settings WHERE key = 'directory_sync_lease' AND value = $1")
            .bind(&self.token)
            .execute(db)
            .await?;
        Ok(())
    }
}

/// The most recent sync runs (newest first) with their outcome counts, from the audit trail,
/// which is their report: each run's event lists every user it created, updated or moved.
pub async fn recent_runs(db: &AnyPool, limit: u32) -> Result<Vec<SyncRun>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        at: i64,
        operator_name: String,
        target_count: i64,
        created: i64,
        updated: i64,
        moved: i64,
        unchanged: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.at, a.operator_name, a.target_count,
                COUNT(u.outcome) FILTER (WHERE u.outcome = 'created') AS created,
                COUNT(u.outcome) FILTER (WHERE u.outcome = 'updated') AS updated,
                COUNT(u.outcome) FILTER (WHERE u.outcome = 'moved') AS moved,
                COUNT(u.outcome) FILTER (WHERE u.outcome = 'unchanged') AS unchanged
         FROM audit_events a LEFT JOIN audit_event_users u ON u.event_id = a.id
         WHERE a.operation = 'directory_sync'
         GROUP BY a.id ORDER BY a.id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let applied = r.created + r.updated + r.moved + r.unchanged;
            SyncRun {
                event_id: r.id,
                at: r.at,
                by: r.operator_name,
                entries: r.target_count as u64,
                created: r.created as u64,
                updated: r.updated as u64,
                moved: r.moved as u64,
                unchanged: r.unchanged as u64,
                not_applied: (r.target_count - applied).max(0) as u64,
            }
        })
        .collect())
}

/// Runs the sync once every `every`, until the shutdown begins. The periods are counted from
/// the Unix epoch, so that every replica on the database wakes for the same period, and only
/// the replica that claims it first runs it (see [`claim_scheduled_run`]). A run that finds
/// another sync going (one started by an operator) is skipped. Each run is in the audit log
/// and on the jobs page.
pub async fn run_on_schedule(db: AnyPool, settings: LdapSettings, every: Duration) {
    let period = every.as_secs().max(1) as i64;
    loop {
        let now = crate::server::now();
        let next = (now / period + 1) * period;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs((next - now) as u64)) => {}
            _ = crate::server::lifecycle::shutdown_begun() => return,
        }
        match claim_scheduled_run(&db, next / period).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("scheduled directory sync run by another replica");
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "scheduled directory sync: could not claim the run");
                continue;
            }
        }
        let actor = audit::Actor { id: None, name: SCHEDULE_ACTOR };
        match run(&db, &settings, actor).await {
            Ok(report) => tracing::info!(
                created = report.created,
                updated = report.updated,
                moved = report.moved,
                unchanged = report.unchanged,
                not_applied = report.rejected,
                "scheduled directory sync done"
            ),
            Err(AppError::DirectorySyncRunning) => {
                tracing::info!("scheduled directory sync skipped: one is running")
            }
            Err(error) => tracing::warn!(%error, "scheduled directory sync failed"),
        }
    }
}

/// Claims the scheduled run of period `period` (periods counted from the Unix epoch) for this
/// replica: a row of `settings` holds the last period claimed, and only a claim of a later
/// period changes it, so each period is claimed once however many replicas try.
pub(crate) async fn claim_scheduled_run(db: &AnyPool, period: i64) -> Result<bool, AppError> {
    // Zero-padded, so that the text comparison is the numeric one.
    let claimed: Option<String> = sqlx::query_scalar(
        "INSERT INTO settings (key, value) VALUES ('directory_sync_period', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value < excluded.value
         RETURNING value",
    )
    .bind(format!("{period:020}"))
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

/// The container of an entry: its DN without the first component.
fn container_of(dn: &str) -> String {
    dn.split_once(',').map(|(_, parent)| parent.trim().to_string()).unwrap_or_default()
}

/// Applies the entries in one transaction: each is created, updated, moved, left unchanged or
/// skipped with its reason.
pub async fn apply(
    db: &AnyPool,
    actor: audit::Actor<'_>,
    entries: &[DirectoryEntry],
) -> Result<MembershipReport, AppError> {
    crate::server::storage::db::in_write(db, async |conn| {
        let orgs: HashMap<String, OrgId> =
            orgs::all(conn).await?.into_iter().map(|o| (o.name.to_lowercase(), o.id)).collect();
        let enterprise: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id IS NULL")
            .fetch_one(&mut *conn)
            .await?;
        let event_id = audit::record_as(
            conn,
            actor.id,
            actor.name,
            "directory_sync",
            json!({"entries": entries.len()}),
            entries.len() as u64,
        )
        .await?;
        let mut report = MembershipReport::default();
        let mut seen = HashSet::new();
        for (i, entry) in entries.iter().enumerate() {
            let outcome = apply_entry(conn, actor, entry, &orgs, OrgId(enterprise), &mut seen).await?;
            report.add(MembershipRow { line: i as u64 + 1, username: entry.username.clone(), outcome });
        }
        let lines: Vec<audit::UserLine<'_>> = report
            .rows
            .iter()
            .filter_map(|r| {
                Some((r.outcome.user()?.0, None, r.username.as_str(), None, r.outcome.code(), None, None))
            })
            .collect();
        audit::record_users(conn, event_id, lines).await?;
        report.event_id = Some(event_id);
        Ok(report)
    })
    .await
}

async fn apply_entry(
    conn: &mut AnyConnection,
    actor: audit::Actor<'_>,
    entry: &DirectoryEntry,
    orgs: &HashMap<String, OrgId>,
    enterprise: OrgId,
    seen: &mut HashSet<String>,
) -> Result<MembershipOutcome, AppError> {
    use MembershipProblem as P;
    let username = entry.username.as_str();
    let valid = (1..=64).contains(&username.chars().count())
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Ok(MembershipOutcome::Rejected(P::InvalidUsername));
    }
    if entry.display_name.is_empty() || entry.display_name.chars().count() > 256 {
        return Ok(MembershipOutcome::Rejected(P::InvalidDisplayName));
    }
    if !seen.insert(username.to_ascii_lowercase()) {
        return Ok(MembershipOutcome::Rejected(P::DuplicateInFile));
    }
    let org = match &entry.organization {
        None => enterprise,
        Some(name) => match orgs.get(&name.to_lowercase()) {
            Some(id) => *id,
            None => return Ok(MembershipOutcome::Rejected(P::UnknownOrganization)),
        },
    };
    // The same person is the same GUID; a user name held by another GUID is someone else.
    let by_guid: Option<(i64, i64, crate::server::storage::flag::Flag)> = sqlx::query_as(
        "SELECT d.id, m.org_id, m.prevent_move FROM directory_users d JOIN org_members m ON m.user_id = d.id
         WHERE d.object_guid = $1",
    )
    .bind(&entry.guid)
    .fetch_optional(&mut *conn)
    .await?;
    let name_holder: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM directory_users WHERE sam_account_name = $1 OR user_principal_name = $2",
    )
    .bind(username)
    .bind(entry.email.as_deref().unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, current_org, crate::server::storage::flag::Flag(locked))) = by_guid else {
        if name_holder.is_some() {
            return Ok(MembershipOutcome::Rejected(P::AlreadyExists));
        }
        let upn = entry.email.clone().unwrap_or_else(|| format!("{username}@directory"));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO directory_users (object_guid, display_name, given_name, surname, sam_account_name,
                                          user_principal_name, email, container, department)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&entry.guid)
        .bind(&entry.display_name)
        .bind(&entry.given_name)
        .bind(&entry.surname)
        .bind(username)
        .bind(&upn)
        .bind(&entry.email)
        .bind(container_of(&entry.dn))
        .bind(&entry.department)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query("UPDATE org_members SET org_id = $1 WHERE user_id = $2")
            .bind(org.0)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(MembershipOutcome::Created(UserId(id)));
    };
    if name_holder.is_some_and(|holder| holder != id) {
        return Ok(MembershipOutcome::Rejected(P::AlreadyExists));
    }
    let updated = sqlx::query(
        "UPDATE directory_users SET display_name = $1, given_name = $2, surname = $3, sam_account_name = $4,
                email = $5, container = $6, department = $7
         WHERE id = $8 AND (display_name, given_name, surname, sam_account_name, COALESCE(email, ''), container,
                            COALESCE(department, ''))
               IS DISTINCT FROM ($1, $2, $3, $4, COALESCE($5, ''), $6, COALESCE($7, ''))",
    )
    .bind(&entry.display_name)
    .bind(&entry.given_name)
    .bind(&entry.surname)
    .bind(username)
    .bind(&entry.email)
    .bind(container_of(&entry.dn))
    .bind(&entry.department)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if org.0 != current_org {
        if locked {
            // Prevent User Move: the user stays, the report says why.
            return Ok(MembershipOutcome::Rejected(P::Locked));
        }
        moves::apply(conn, actor, &[UserId(id)], org, false, MoveSource::Sync).await?;
        return Ok(MembershipOutcome::Moved(UserId(id)));
    }
    Ok(if updated {
        MembershipOutcome::Updated(UserId(id))
    } else {
        MembershipOutcome::Unchanged(UserId(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::organizations::orgs::tests::{enterprise, manager};
    use crate::server::test_ldap::{SUFFIX, Slapd, add_person, directory};
    use ldap3::Mod;
    use std::collections::HashSet as Set;

    /// Replicas waking for the same period of the schedule: one of them runs it. A later period
    /// is claimed again; an earlier one (a replica whose clock is behind) never.
    #[tokio::test]
    async fn each_scheduled_period_is_run_by_one_replica() {
        let (db, ..) = enterprise().await;
        let tries = futures::future::join_all((0..4).map(|_| claim_scheduled_run(&db, 1_000))).await;
        assert_eq!(tries.iter().filter(|t| matches!(t, Ok(true))).count(), 1, "{tries:?}");
        assert_eq!(claim_scheduled_run(&db, 1_000).await, Ok(false));
        assert_eq!(claim_scheduled_run(&db, 999).await, Ok(false));
        assert_eq!(claim_scheduled_run(&db, 1_001).await, Ok(true));
        // Ten thousand periods later the text comparison still orders them.
        assert_eq!(claim_scheduled_run(&db, 11_001).await, Ok(true));
        assert_eq!(claim_scheduled_run(&db, 9_999).await, Ok(false));
    }

    async fn org_of(db: &AnyPool, sam: &str) -> (String, bool) {
        let (org, locked): (String, crate::server::storage::flag::Flag) = sqlx::query_as(
            "SELECT o.name, m.prevent_move FROM directory_users d JOIN org_members m ON m.user_id = d.id
             JOIN organizations o ON o.id = m.org_id WHERE d.sam_account_name = $1",
        )
        .bind(sam)
        .fetch_one(db)
        .await
        .unwrap();
        (org, locked.0)
    }

    fn outcomes(report: &MembershipReport) -> Vec<(&str, &'static str)> {
        report.rows.iter().map(|r| (r.username.as_str(), r.outcome.code())).collect()
    }

    #[tokio::test]
    async fn sync_from_a_real_slapd_creates_updates_moves_and_leaves_locked_users() {
        let server = Slapd::start().await;
        let mut ldap = directory(&server).await;
        add_person(&mut ldap, "alice.ldap", "Alice Ldap", Some("Test A")).await;
        add_person(&mut ldap, "bob.ldap", "Bob Ldap", Some("test b")).await;
        add_person(&mut ldap, "carol.ldap", "Carol Ldap", None).await;
        add_person(&mut ldap, "dave.ldap", "Dave Ldap", Some("Atlantis")).await;
        let (db, _, _, _) = enterprise().await;
        let enterprise_name: String =
            sqlx::query_scalar("SELECT name FROM organizations WHERE parent_id IS NULL")
                .fetch_one(&db)
                .await
                .unwrap();

        let first = run(&db, &server.settings(), (&manager()).into()).await.unwrap();
        let mut got = outcomes(&first);
        got.sort();
        assert_eq!(
            got,
            [
                ("alice.ldap", "created"),
                ("bob.ldap", "created"),
                ("carol.ldap", "created"),
                ("dave.ldap", "rejected")
            ]
        );
        assert_eq!(org_of(&db, "alice.ldap").await.0, "Test A");
        assert_eq!(org_of(&db, "bob.ldap").await.0, "Test B");
        assert_eq!(org_of(&db, "carol.ldap").await.0, enterprise_name);
        let container: String =
            sqlx::query_scalar("SELECT container FROM directory_users WHERE sam_account_name = 'alice.ldap'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(container, format!("ou=People,{SUFFIX}"));

        // The directory changes: Alice moves, Bob is renamed, Carol would move but is locked.
        let people = |uid: &str| format!("uid={uid},ou=People,{SUFFIX}");
        ldap.modify(&people("alice.ldap"), vec![Mod::Replace("o", Set::from(["Test B"]))])
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap.modify(&people("bob.ldap"), vec![Mod::Replace("cn", Set::from(["Robert Ldap"]))])
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap.modify(&people("carol.ldap"), vec![Mod::Add("o", Set::from(["Test A"]))])
            .await
            .unwrap()
            .success()
            .unwrap();
        sqlx::query(
            "UPDATE org_members SET prevent_move = 1
             WHERE user_id = (SELECT id FROM directory_users WHERE sam_account_name = 'carol.ldap')",
        )
        .execute(&db)
        .await
        .unwrap();
        let second = run(&db, &server.settings(), (&manager()).into()).await.unwrap();
        let mut got = outcomes(&second);
        got.sort();
        assert_eq!(
            got,
            [
                ("alice.ldap", "moved"),
                ("bob.ldap", "updated"),
                ("carol.ldap", "rejected"),
                ("dave.ldap", "rejected")
            ]
        );
        let carol = second.rows.iter().find(|r| r.username == "carol.ldap").unwrap();
        assert_eq!(carol.outcome, MembershipOutcome::Rejected(MembershipProblem::Locked));
        assert_eq!(org_of(&db, "alice.ldap").await.0, "Test B");
        assert_eq!(org_of(&db, "carol.ldap").await, (enterprise_name, true));
        let bob: String = sqlx::query_scalar(
            "SELECT display_name FROM directory_users WHERE sam_account_name = 'bob.ldap'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(bob, "Robert Ldap");
        let alice: i64 =
            sqlx::query_scalar("SELECT id FROM directory_users WHERE sam_account_name = 'alice.ldap'")
                .fetch_one(&db)
                .await
                .unwrap();
        let history = crate::server::organizations::moves::user_history(&db, UserId(alice)).await.unwrap();
        assert_eq!((history[0].source.as_str(), history[0].to_name.as_str()), ("sync", "Test B"));

        // Nothing changed since: a third sync changes nothing, and still reports the lock.
        let third = run(&db, &server.settings(), (&manager()).into()).await.unwrap();
        assert_eq!(
            (third.created, third.updated, third.moved, third.unchanged, third.rejected),
            (0, 0, 0, 2, 2)
        );
    }

    #[tokio::test]
    async fn an_unreachable_directory_changes_nothing() {
        let server = Slapd::start().await;
        let settings = server.settings();
        drop(server);
        let (db, _, _, _) = enterprise().await;
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        assert_eq!(
            run(&db, &settings, (&manager()).into()).await.err(),
            Some(AppError::DirectoryUnavailable)
        );
        let after: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        assert_eq!(after, events);
    }

    #[tokio::test]
    async fn a_wrong_password_is_refused_by_the_directory() {
        let server = Slapd::start().await;
        let _ = directory(&server).await;
        let settings = LdapSettings { password: Some("wrong".into()), ..server.settings() };
        let (db, _, _, _) = enterprise().await;
        assert_eq!(
            run(&db, &settings, (&manager()).into()).await.err(),
            Some(AppError::DirectoryUnavailable)
        );
    }

    #[tokio::test]
    async fn never_two_syncs_at_once_and_each_run_is_listed_with_its_counts() {
        let server = Slapd::start().await;
        let mut ldap = directory(&server).await;
        add_person(&mut ldap, "erin.ldap", "Erin Ldap", None).await;
        add_person(&mut ldap, "finn.ldap", "Finn Ldap", None).await;
        let (db, _, _, _) = enterprise().await;
        let actor = audit::Actor { id: None, name: SCHEDULE_ACTOR };
        // Another run (another process, say) holds the lease: refused, nothing recorded.
        let held = SyncLease::take(&db).await.unwrap();
        assert_eq!(run(&db, &server.settings(), actor).await.err(), Some(AppError::DirectorySyncRunning));
        assert!(recent_runs(&db, 10).await.unwrap().is_empty());
        held.give_back(&db).await.unwrap();
        let first = run(&db, &server.settings(), actor).await.unwrap();
        assert_eq!(first.created, 2);
        // A lease left by a process that died expires.
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('directory_sync_lease', '00000000000000000001:dead')",
        )
        .execute(&db)
        .await
        .unwrap();
        let second = run(&db, &server.settings(), actor).await.unwrap();
        assert_eq!(second.unchanged, 2);
        let runs = recent_runs(&db, 10).await.unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].unchanged, runs[0].created, runs[0].by.as_str()), (2, 0, SCHEDULE_ACTOR));
        assert_eq!((runs[1].created, runs[1].entries, runs[1].not_applied), (2, 2, 0));
    }
}

//! Signing in with the directory: the portal binds with its service account, finds the
//! operator's entry by the configured filter, reads the groups it is a member of (nested groups
//! too, by following groups of groups), maps them to roles, and binds as the entry with the
//! typed password. The same lookup, without the password, checks a signed-in operator's groups
//! again while their session lives.

use crate::domain::AppError;
use crate::domain::operator::Role;
use crate::server::config::DirectorySignIn;
use crate::server::organizations::ldap_sync::LdapSettings;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, ldap_escape};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

/// How deep nested groups are followed.
const MAX_NESTING: usize = 8;
/// LDAP result code of a wrong password (or an unknown DN).
const INVALID_CREDENTIALS: u32 = 49;

/// A directory operator who may sign in: their name, display name and the roles their groups
/// give (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryOperator {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    tracing::warn!("directory sign-in: {e}");
    AppError::DirectoryUnavailable
}

async fn connect(ldap: &LdapSettings) -> Result<Ldap, AppError> {
    let settings =
        LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10)).set_starttls(ldap.starttls);
    let (conn, mut handle) = LdapConnAsync::with_settings(settings, &ldap.url).await.map_err(unavailable)?;
    ldap3::drive!(conn);
    if let (Some(dn), Some(password)) = (&ldap.bind_dn, &ldap.password) {
        handle.simple_bind(dn, password).await.map_err(unavailable)?.success().map_err(unavailable)?;
    }
    handle.with_timeout(Duration::from_secs(10));
    Ok(handle)
}

fn first(entry: &SearchEntry, name: &str) -> Option<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first().cloned())
        .filter(|v| !v.trim().is_empty())
}

/// The operator's entry: exactly one must match, or there is none.
async fn find_entry(
    handle: &mut Ldap,
    ldap: &LdapSettings,
    sign_in: &DirectorySignIn,
    name: &str,
) -> Result<Option<SearchEntry>, AppError> {
    let filter = sign_in.user_filter.replace("{name}", &ldap_escape(name));
    let (entries, _) = handle
        .search(&ldap.base_dn, Scope::Subtree, &filter, vec!["uid", "cn", "displayName"])
        .await
        .map_err(unavailable)?
        .success()
        .map_err(unavailable)?;
    Ok(match <[_; 1]>::try_from(entries) {
        Ok([entry]) => Some(SearchEntry::construct(entry)),
        Err(_) => None,
    })
}

/// The names (`cn`) of every group `dn` is a member of, directly or through other groups.
async fn group_names(
    handle: &mut Ldap,
    sign_in: &DirectorySignIn,
    dn: &str,
) -> Result<BTreeSet<String>, AppError> {
    let mut names = BTreeSet::new();
    let mut seen = HashSet::new();
    let mut members = vec![dn.to_string()];
    for _ in 0..MAX_NESTING {
        let mut next = Vec::new();
        for member in &members {
            let filter = sign_in.group_filter.replace("{dn}", &ldap_escape(member));
            let (groups, _) = handle
                .search(&sign_in.group_base_dn, Scope::Subtree, &filter, vec!["cn"])
                .await
                .map_err(unavailable)?
                .success()
                .map_err(unavailable)?;
            for group in groups.into_iter().map(SearchEntry::construct) {
                if seen.insert(group.dn.to_lowercase()) {
                    if let Some(cn) = first(&group, "cn") {
                        names.insert(cn.to_lowercase());
                    }
                    next.push(group.dn);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        members = next;
    }
    Ok(names)
}

fn roles_for(sign_in: &DirectorySignIn, groups: &BTreeSet<String>) -> Vec<Role> {
    let roles: BTreeSet<Role> = sign_in
        .roles
        .iter()
        .filter(|(group, _)| groups.contains(&group.to_lowercase()))
        .map(|(_, role)| *role)
        .collect();
    roles.into_iter().collect()
}

/// Who the entry is, with the roles its groups give; `None` when no group gives one.
async fn describe(
    handle: &mut Ldap,
    sign_in: &DirectorySignIn,
    entry: &SearchEntry,
    typed: &str,
) -> Result<Option<DirectoryOperator>, AppError> {
    let roles = roles_for(sign_in, &group_names(handle, sign_in, &entry.dn).await?);
    if roles.is_empty() {
        return Ok(None);
    }
    let username = first(entry, "uid").unwrap_or_else(|| typed.to_string()).to_lowercase();
    let display_name =
        first(entry, "displayName").or_else(|| first(entry, "cn")).unwrap_or_else(|| username.clone());
    Ok(Some(DirectoryOperator { username, display_name, roles }))
}

/// Checks a typed name and password against the directory. `Ok(None)` for every refusal (no
/// such entry, several, no mapped group, wrong password), so that the caller answers them all
/// alike; `Err(DirectoryUnavailable)` when the directory cannot be asked.
pub async fn authenticate(
    ldap: &LdapSettings,
    sign_in: &DirectorySignIn,
    name: &str,
    password: &str,
) -> Result<Option<DirectoryOperator>, AppError> {
    // An empty password would be an unauthenticated bind, which many servers accept.
    if name.is_empty() || password.is_empty() {
        return Ok(None);
    }
    let mut handle = connect(ldap).await?;
    let Some(entry) = find_entry(&mut handle, ldap, sign_in, name).await? else {
        let _ = handle.unbind().await;
        return Ok(None);
    };
    let operator = describe(&mut handle, sign_in, &entry, name).await?;
    let _ = handle.unbind().await;
    let Some(operator) = operator else {
        return Ok(None);
    };
    // The password, on a connection of its own: the service account's stays clean.
    let mut user = connect(&LdapSettings { bind_dn: None, password: None, ..ldap.clone() }).await?;
    let bound = match user.simple_bind(&entry.dn, password).await {
        Ok(result) => match result.success() {
            Ok(_) => true,
            Err(LdapError::LdapResult { result }) if result.rc == INVALID_CREDENTIALS => false,
            Err(e) => return Err(unavailable(e)),
        },
        Err(e) => return Err(unavailable(e)),
    };
    let _ = user.unbind().await;
    Ok(bound.then_some(operator))
}

/// A signed-in directory operator's entry and roles as the directory has them now; `None`
/// when the entry is gone or no group gives a role any more.
pub async fn recheck(
    ldap: &LdapSettings,
    sign_in: &DirectorySignIn,
    username: &str,
) -> Result<Option<DirectoryOperator>, AppError> {
    let mut handle = connect(ldap).await?;
    let operator = match find_entry(&mut handle, ldap, sign_in, username).await? {
        Some(entry) => describe(&mut handle, sign_in, &entry, username).await?,
        None => None,
    };
    let _ = handle.unbind().await;
    Ok(operator)
}

#[cfg(test)]
mod tests {
    use crate::domain::AppError;
    use crate::domain::operator::Role;
    use crate::server::Config;
    use crate::server::config::{DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, DirectorySignIn};
    use crate::server::security::operators::{
        Client, confirm_password, ensure_demo_operators, reset_password, session_operator, sign_in,
    };
    use crate::server::storage::db;
    use crate::server::test_ldap::{SUFFIX, Slapd, add_person, directory};
    use ldap3::Mod;
    use std::collections::HashSet as Set;
    use std::time::Duration;

    async fn set_password(ldap: &mut ldap3::Ldap, uid: &str, password: &str) {
        let dn = format!("uid={uid},ou=People,{SUFFIX}");
        ldap.modify(&dn, vec![Mod::Replace("userPassword", Set::from([password]))])
            .await
            .unwrap()
            .success()
            .unwrap();
    }

    async fn add_group(ldap: &mut ldap3::Ldap, cn: &str, members: &[String]) {
        let members: Set<&str> = members.iter().map(String::as_str).collect();
        ldap.add(
            &format!("cn={cn},ou=Groups,{SUFFIX}"),
            vec![("objectClass", Set::from(["groupOfNames"])), ("cn", Set::from([cn])), ("member", members)],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    }

    fn person(uid: &str) -> String {
        format!("uid={uid},ou=People,{SUFFIX}")
    }

    fn group(cn: &str) -> String {
        format!("cn={cn},ou=Groups,{SUFFIX}")
    }

    fn config(server: &Slapd) -> Config {
        Config {
            directory: Some(server.settings()),
            directory_sign_in: Some(DirectorySignIn {
                user_filter: DEFAULT_USER_FILTER.into(),
                group_base_dn: format!("ou=Groups,{SUFFIX}"),
                group_filter: DEFAULT_GROUP_FILTER.into(),
                roles: vec![
                    ("RTCUniversalUserAdmins".into(), Role::UserAdministrator),
                    ("CSHelpDesk".into(), Role::HelpDesk),
                    ("RTCUniversalServerAdmins".into(), Role::EnterpriseAdministrator),
                ],
                recheck: Duration::from_secs(300),
            }),
            ..Config::for_tests()
        }
    }

    fn from(address: &str) -> Client {
        Client { address: address.into(), user_agent: "test".into() }
    }

    /// Sign-in against a real slapd: a User Administrator and a Help Desk member (through a
    /// nested group) get their roles; a wrong password, a name without a mapped group and an
    /// unknown name all get the one refusal; the step-up asks the directory; taking someone out
    /// of the group ends their session at the next check; with the directory down, a clear
    /// error, and the local administrator still signs in.
    #[tokio::test]
    async fn operators_sign_in_with_the_directory_and_their_groups_decide_their_roles() {
        let server = Slapd::start().await;
        let mut ldap = directory(&server).await;
        for (uid, name) in [("ann", "Ann Beebe"), ("hal", "Hal Vance"), ("nora", "Nora Shea")] {
            add_person(&mut ldap, uid, name, None).await;
            set_password(&mut ldap, uid, &format!("{uid}-directory-password")).await;
        }
        ldap.add(
            &format!("ou=Groups,{SUFFIX}"),
            vec![("objectClass", Set::from(["organizationalUnit"])), ("ou", Set::from(["Groups"]))],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        add_group(&mut ldap, "RTCUniversalUserAdmins", &[person("ann")]).await;
        add_group(&mut ldap, "Tier1", &[person("hal")]).await;
        add_group(&mut ldap, "CSHelpDesk", &[group("Tier1")]).await;
        add_group(&mut ldap, "Cafeteria", &[person("nora")]).await;

        let db = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        let config = config(&server);
        ensure_demo_operators(&db, &config).await.unwrap();

        let ann =
            sign_in(&db, &config, "Ann", "ann-directory-password", &from("10.1.0.1"), None).await.unwrap();
        assert_eq!(ann.operator.username, "ann");
        assert_eq!(ann.operator.display_name, "Ann Beebe");
        assert_eq!(ann.operator.roles, [Role::UserAdministrator]);
        let hal =
            sign_in(&db, &config, "hal", "hal-directory-password", &from("10.1.0.2"), None).await.unwrap();
        assert_eq!(hal.operator.roles, [Role::HelpDesk], "through the nested group");
        for (name, password) in [
            ("ann", "wrong"),
            ("ann", ""),
            ("nora", "nora-directory-password"),
            ("nobody", "whatever-it-is"),
            ("*", "ann-directory-password"),
        ] {
            assert_eq!(
                sign_in(&db, &config, name, password, &from("10.1.0.3"), None).await.err(),
                Some(AppError::InvalidCredentials),
                "{name}"
            );
        }
        let source: String = sqlx::query_scalar("SELECT source FROM operators WHERE username = 'ann'")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(source, "directory");
        // The directory checks the step-up password too; there is no password here to reset.
        assert!(
            confirm_password(&db, &config, &ann.operator, "ann-directory-password", &from("10.1.0.1"))
                .await
                .is_ok()
        );
        assert_eq!(
            confirm_password(&db, &config, &ann.operator, "nope", &from("10.1.0.1")).await.err(),
            Some(AppError::StepUpFailed)
        );
        let by = crate::server::security::audit::Actor { id: None, name: "command-line" };
        assert_eq!(reset_password(&db, by, ann.operator.id).await.err(), Some(AppError::DirectoryAccount));

        // Out of the group: the next check (due once recheck has passed) ends the session.
        assert!(session_operator(&db, &config, &ann.token).await.is_ok());
        ldap.modify(
            &group("RTCUniversalUserAdmins"),
            vec![Mod::Replace("member", Set::from([person("hal").as_str()]))],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        assert!(session_operator(&db, &config, &ann.token).await.is_ok(), "checked at sign-in, not due yet");
        sqlx::query("UPDATE sessions SET checked_at = 0").execute(&db).await.unwrap();
        assert_eq!(session_operator(&db, &config, &ann.token).await.err(), Some(AppError::Unauthenticated));
        // Hal, now in both groups, gets both roles at the next check.
        let hal_now = session_operator(&db, &config, &hal.token).await.unwrap();
        assert_eq!(hal_now.operator.roles, [Role::HelpDesk, Role::UserAdministrator]);

        // The directory down: a clear error that costs no throttle budget; local still works.
        drop(ldap);
        drop(server);
        for _ in 0..3 {
            assert_eq!(
                sign_in(&db, &config, "hal", "hal-directory-password", &from("10.1.0.4"), None).await.err(),
                Some(AppError::DirectoryUnavailable)
            );
        }
        let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttle WHERE key = 'hal'")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(failures, 0);
        let admin = sign_in(&db, &config, "admin", "test-password", &from("10.1.0.5"), None).await.unwrap();
        assert!(admin.operator.roles.contains(&Role::EnterpriseAdministrator));
        // A session whose check cannot be made stays (an outage signs nobody out).
        sqlx::query("UPDATE sessions SET checked_at = 0").execute(&db).await.unwrap();
        assert!(session_operator(&db, &config, &hal.token).await.is_ok());
        let signed_in: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE operation = 'sign_in' AND operator_name IN ('ann', 'hal')",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(signed_in, 2);
    }
}

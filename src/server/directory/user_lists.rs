//! A list of users, one a line, checked against the directory before any preview: what a
//! wizard starts from when the operator pastes or uploads SIP URIs or user principal names.

use crate::domain::AppError;
use crate::domain::scope::UserScope;
use crate::domain::user::UserId;
use crate::domain::user_list::{self, ListCheck, ListPurpose};
use sqlx::AnyPool;
use std::collections::{HashMap, HashSet};

/// Checks every line of `text` for `purpose`: the users of the good lines, in the list's order,
/// and each other line with its number and reason. Reads only.
/// Users outside `within` are refused as out of scope.
pub async fn check(
    db: &AnyPool,
    within: &UserScope,
    purpose: ListPurpose,
    text: &str,
) -> Result<ListCheck, AppError> {
    let (listed, refused) = user_list::parse(text)?;
    let addresses: Vec<&str> = listed.iter().map(|l| l.address.as_str()).collect();
    let found = resolve(db, &addresses).await?;
    let users: Vec<UserId> = found.values().map(|(user, _)| *user).collect();
    let inside: HashSet<UserId> =
        super::within::inside(&mut *db.acquire().await?, within, &users).await?.into_iter().collect();
    Ok(user_list::decide(
        purpose,
        &listed,
        refused,
        |address| found.get(address).copied(),
        |user| inside.contains(&user),
    ))
}

/// Who each address names: an enabled user by SIP URI first, else a directory user by user
/// principal name (both compared without case, as stored).
async fn resolve(db: &AnyPool, addresses: &[&str]) -> Result<HashMap<String, (UserId, bool)>, AppError> {
    if addresses.is_empty() {
        return Ok(HashMap::new());
    }
    let engine = crate::server::storage::db::engine(db);
    let rows = engine.text_rows("$1");
    let listed = serde_json::to_string(addresses).map_err(|_| AppError::INTERNAL)?;
    let by_uri: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT lower(e.sip_uri), e.user_id FROM enabled_users e WHERE e.sip_uri IN (SELECT value FROM {rows} l)"
    ))
    .bind(&listed)
    .fetch_all(db)
    .await?;
    let by_name: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT lower(d.user_principal_name), d.id,
                CASE WHEN EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) THEN 1 ELSE 0 END
         FROM directory_users d WHERE d.user_principal_name IN (SELECT value FROM {rows} l)"
    ))
    .bind(&listed)
    .fetch_all(db)
    .await?;
    let mut found: HashMap<String, (UserId, bool)> =
        by_name.into_iter().map(|(name, id, enabled)| (name, (UserId(id), enabled != 0))).collect();
    found.extend(by_uri.into_iter().map(|(uri, id)| (uri, (UserId(id), true))));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user_list::LineProblem;
    use crate::server::storage::seed::tests::small_deployment;

    /// A list of the demo kinds of line, checked for a move and for enabling: the users named
    /// once each, every other line with its number and reason; nothing changes.
    #[tokio::test]
    async fn a_list_is_checked_line_by_line_against_the_directory() {
        let db = small_deployment().await;
        let enabled: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT e.sip_uri, e.user_id, d.user_principal_name FROM enabled_users e
             JOIN directory_users d ON d.id = e.user_id ORDER BY e.user_id LIMIT 2",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        let (upn_not_enabled, id_not_enabled): (String, i64) = sqlx::query_as(
            "SELECT d.user_principal_name, d.id FROM directory_users d
             WHERE NOT EXISTS (SELECT 1 FROM enabled_users e WHERE e.user_id = d.id) ORDER BY d.id LIMIT 1",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        let text = format!(
            "sip:{}\n{}\n\nnobody.here@contoso.com\n{}\nnot-an-address\n{}\n",
            enabled[0].0.to_uppercase(),
            enabled[1].0,
            upn_not_enabled,
            enabled[0].2,
        );
        let counts = |db: AnyPool| async move {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users").fetch_one(&db).await.unwrap();
            n
        };
        let before = counts(db.clone()).await;

        let moving = check(&db, &UserScope::Everything, ListPurpose::Move, &text).await.unwrap();
        assert_eq!(moving.lines, 6);
        assert_eq!(moving.users, vec![UserId(enabled[0].1), UserId(enabled[1].1)]);
        assert_eq!(
            moving.problems(),
            vec![
                (4, LineProblem::Unknown),
                (5, LineProblem::NotEnabled),
                (6, LineProblem::Malformed),
                (7, LineProblem::Duplicate { first_line: 1 }),
            ]
        );
        assert_eq!(moving.refused[2].text, "not-an-address");

        let enabling = check(&db, &UserScope::Everything, ListPurpose::Enable, &text).await.unwrap();
        assert_eq!(enabling.users, vec![UserId(id_not_enabled)]);
        assert_eq!(
            enabling.problems(),
            vec![
                (1, LineProblem::AlreadyEnabled),
                (2, LineProblem::AlreadyEnabled),
                (4, LineProblem::Unknown),
                (6, LineProblem::Malformed),
                (7, LineProblem::AlreadyEnabled),
            ]
        );
        assert_eq!(
            check(&db, &UserScope::Everything, ListPurpose::Delete, "# nothing\n").await.err(),
            Some(AppError::EmptyUserList)
        );
        assert_eq!(counts(db.clone()).await, before, "checking a list changes nothing");
    }
}

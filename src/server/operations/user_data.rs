//! User data export and import. Export reads the users' server data and writes the XML file;
//! import reads a file strictly (anything unexpected refuses the whole file) and merges it into
//! the users' data in one transaction: items a user already has are left as they are. The
//! preview is the same import, rolled back, so it cannot disagree with the run.

use crate::domain::AppError;
use crate::domain::format::rfc3339;
use crate::domain::moves::{DataKind, holds};
use crate::domain::operation::PREVIEW_LINES;
use crate::domain::operator::Operator;
use crate::domain::pool::ServerVersion;
use crate::domain::user::UserId;
use crate::domain::user_data::{
    AccessItem, ContactItem, ImportCounts, ImportLine, ImportReport, MAX_EXPORT_USERS, MeetingItem,
    PresenceItem, UserData,
};
use crate::server::security::audit;
use crate::server::storage::db::Engine;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashMap;

/// Reads the server data of these users, in the order given.
pub async fn load(db: &AnyPool, users: &[UserId]) -> Result<Vec<UserData>, AppError> {
    let ids: Vec<i64> =
        crate::domain::user::distinct_selection(users, MAX_EXPORT_USERS)?.into_iter().map(|u| u.0).collect();
    let ids_json = serde_json::to_string(&ids).unwrap_or_default();
    let mut conn = crate::server::storage::db::read_snapshot(db).await?;
    let id_rows = Engine::of(&conn).id_rows("$1");
    let heads: Vec<(i64, String, String, String)> = sqlx::query_as(&format!(
        "SELECT e.user_id, e.sip_uri, d.object_guid, d.display_name
         FROM {id_rows} i JOIN enabled_users e ON e.user_id = i.value
         JOIN directory_users d ON d.id = e.user_id ORDER BY i.key"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    if heads.len() != ids.len() {
        return Err(AppError::UnknownUsers);
    }
    let mut by_id: HashMap<i64, UserData> = heads
        .iter()
        .map(|(id, sip, guid, name)| {
            (
                *id,
                UserData {
                    sip_uri: sip.clone(),
                    object_guid: guid.clone(),
                    display_name: name.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT user_id, name FROM contact_groups WHERE user_id IN (SELECT value FROM {id_rows} i) ORDER BY id"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for (user, name) in rows {
        by_id.entry(user).or_default().groups.push(name);
    }
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT c.user_id, c.contact_uri, c.display_name, g.name FROM contacts c
         LEFT JOIN contact_groups g ON g.id = c.group_id
         WHERE c.user_id IN (SELECT value FROM {id_rows} i) ORDER BY c.id"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for (user, uri, display_name, group) in rows {
        by_id.entry(user).or_default().contacts.push(ContactItem { uri, display_name, group });
    }
    let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "SELECT user_id, entry, access FROM access_entries WHERE user_id IN (SELECT value FROM {id_rows} i) ORDER BY id"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for (user, entry, access) in rows {
        by_id.entry(user).or_default().access.push(AccessItem { entry, allow: access == "allow" });
    }
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT user_id, subject, starts_at, duration_minutes FROM meetings
         WHERE user_id IN (SELECT value FROM {id_rows} i) ORDER BY id"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for (user, subject, starts_at, minutes) in rows {
        by_id.entry(user).or_default().meetings.push(MeetingItem {
            subject,
            starts_at,
            duration_minutes: minutes as u32,
        });
    }
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(&format!(
        "SELECT user_id, category, instance, value FROM presence_items
         WHERE user_id IN (SELECT value FROM {id_rows} i) ORDER BY id"
    ))
    .bind(&ids_json)
    .fetch_all(&mut *conn)
    .await?;
    for (user, category, instance, value) in rows {
        by_id.entry(user).or_default().presence.push(PresenceItem { category, instance, value });
    }
    conn.commit().await?;
    Ok(heads.iter().filter_map(|(id, ..)| by_id.remove(id)).collect())
}

/// Writes users' data as a user data file (format in the README).
pub fn to_xml(users: &[UserData], operator: &str, at: i64) -> Result<String, AppError> {
    crate::formats::user_data_xml::write(users, operator, at).map_err(|e| {
        tracing::error!(error = %e, "writing XML failed");
        AppError::INTERNAL
    })
}

/// Reads a user data file strictly (see `formats::user_data_xml::parse`).
pub fn parse(xml: &str) -> Result<Vec<UserData>, AppError> {
    crate::formats::user_data_xml::parse(xml)
}

/// Imports a user data file: every user must be enabled here and homed on a pool that can hold
/// the file's data for them; items a user already has are left as they are. With `commit`
/// false nothing is kept (the preview). One transaction either way.
pub async fn import(
    db: &AnyPool,
    operator: &Operator,
    xml: &str,
    commit: bool,
) -> Result<ImportReport, AppError> {
    let users = parse(xml)?;
    if users.is_empty() {
        return Err(AppError::EmptySelection);
    }
    crate::server::storage::db::in_write_or_rehearse(db, commit, async |conn| {
        merge(conn, operator, &users, commit).await
    })
    .await
}

/// Per user and kind of data, how many items the user has.
async fn amounts(conn: &mut AnyConnection, ids_json: &str) -> Result<HashMap<i64, [u64; 4]>, AppError> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT i.value,
                (SELECT COUNT(*) FROM contact_groups WHERE user_id = i.value)
                  + (SELECT COUNT(*) FROM contacts WHERE user_id = i.value),
                (SELECT COUNT(*) FROM access_entries WHERE user_id = i.value),
                (SELECT COUNT(*) FROM meetings WHERE user_id = i.value),
                (SELECT COUNT(*) FROM presence_items WHERE user_id = i.value)
         FROM {} i",
        Engine::of(conn).id_rows("$1")
    ))
    .bind(ids_json)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id, c, a, m, p)| (id, [c as u64, a as u64, m as u64, p as u64])).collect())
}

async fn merge(
    conn: &mut AnyConnection,
    operator: &Operator,
    users: &[UserData],
    commit: bool,
) -> Result<ImportReport, AppError> {
    let sips: Vec<&str> = users.iter().map(|u| u.sip_uri.as_str()).collect();
    let found: Vec<(String, i64, String, String)> = sqlx::query_as(&format!(
        "SELECT e.sip_uri, e.user_id, d.display_name, p.version
         FROM {} s JOIN enabled_users e ON e.sip_uri = s.value
         JOIN directory_users d ON d.id = e.user_id JOIN pools p ON p.id = e.pool_id",
        Engine::of(conn).text_rows("$1")
    ))
    .bind(serde_json::to_string(&sips).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let found: HashMap<String, (i64, String, ServerVersion)> = found
        .into_iter()
        .map(|(sip, id, name, version)| {
            (sip.to_lowercase(), (id, name, version.parse().unwrap_or(ServerVersion::Lcs2005Sp1)))
        })
        .collect();
    // The first problem in file order refuses the file.
    for user in users {
        let Some((_, _, version)) = found.get(&user.sip_uri) else {
            return Err(AppError::ImportUnknownUser { sip_uri: format!("sip:{}", user.sip_uri) });
        };
        if DataKind::ALL.iter().any(|kind| user.holds_any(*kind) && !holds(*version, *kind)) {
            return Err(AppError::ImportNotHoldable { sip_uri: format!("sip:{}", user.sip_uri) });
        }
    }
    let id_of = |u: &UserData| found[&u.sip_uri].0;
    let ids: Vec<i64> = users.iter().map(id_of).collect();
    // A scoped operator restores data only into users inside their scope.
    let user_ids: Vec<UserId> = ids.iter().copied().map(UserId).collect();
    crate::server::directory::within::all_inside(conn, &operator.scope, &user_ids).await?;
    let ids_json = serde_json::to_string(&ids).unwrap_or_default();
    let before = amounts(conn, &ids_json).await?;

    let rows = |f: &dyn Fn(&UserData, i64) -> Vec<serde_json::Value>| -> String {
        let all: Vec<serde_json::Value> = users.iter().flat_map(|u| f(u, id_of(u))).collect();
        serde_json::Value::from(all).to_string()
    };
    let json_rows = Engine::of(conn).json_rows("$1");
    let statements = [
        (
            format!(
                "INSERT INTO contact_groups (user_id, name)
                 SELECT CAST(value ->> 0 AS BIGINT), value ->> 1 FROM {json_rows} j
                 WHERE TRUE ON CONFLICT DO NOTHING"
            ),
            rows(&|u, id| u.groups.iter().map(|g| json!([id, g])).collect()),
        ),
        (
            format!(
                "INSERT INTO contacts (user_id, contact_uri, display_name, group_id)
                 SELECT CAST(j.value ->> 0 AS BIGINT), j.value ->> 1, j.value ->> 2,
                        (SELECT g.id FROM contact_groups g
                         WHERE g.user_id = CAST(j.value ->> 0 AS BIGINT) AND g.name = j.value ->> 3)
                 FROM {json_rows} j
                 WHERE TRUE ON CONFLICT DO NOTHING"
            ),
            rows(&|u, id| u.contacts.iter().map(|c| json!([id, c.uri, c.display_name, c.group])).collect()),
        ),
        (
            format!(
                "INSERT INTO access_entries (user_id, entry, access)
                 SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, value ->> 2 FROM {json_rows} j
                 WHERE TRUE ON CONFLICT DO NOTHING"
            ),
            rows(&|u, id| {
                u.access
                    .iter()
                    .map(|a| json!([id, a.entry, if a.allow { "allow" } else { "block" }]))
                    .collect()
            }),
        ),
        (
            // A meeting is the same meeting when its subject and start are.
            format!(
                "INSERT INTO meetings (user_id, subject, starts_at, duration_minutes)
                 SELECT CAST(n.value ->> 0 AS BIGINT), n.value ->> 1, CAST(n.value ->> 2 AS BIGINT),
                        CAST(n.value ->> 3 AS BIGINT)
                 FROM {json_rows} n
                 WHERE NOT EXISTS (SELECT 1 FROM meetings m WHERE m.user_id = CAST(n.value ->> 0 AS BIGINT)
                                   AND m.subject = n.value ->> 1 AND m.starts_at = CAST(n.value ->> 2 AS BIGINT))"
            ),
            rows(&|u, id| {
                u.meetings.iter().map(|m| json!([id, m.subject, m.starts_at, m.duration_minutes])).collect()
            }),
        ),
        (
            format!(
                "INSERT INTO presence_items (user_id, category, instance, value)
                 SELECT CAST(j.value ->> 0 AS BIGINT), j.value ->> 1, CAST(j.value ->> 2 AS BIGINT), j.value ->> 3
                 FROM {json_rows} j
                 WHERE TRUE ON CONFLICT DO NOTHING"
            ),
            rows(&|u, id| u.presence.iter().map(|p| json!([id, p.category, p.instance, p.value])).collect()),
        ),
    ];
    for (sql, data) in statements {
        sqlx::query(&sql).bind(data).execute(&mut *conn).await?;
    }
    let after = amounts(conn, &ids_json).await?;

    let mut totals = ImportCounts::default();
    let mut lines = Vec::with_capacity(users.len());
    for (user, id) in users.iter().zip(&ids) {
        let in_file = [
            (user.groups.len() + user.contacts.len()) as u64,
            user.access.len() as u64,
            user.meetings.len() as u64,
            user.presence.len() as u64,
        ];
        let (b, a) =
            (before.get(id).copied().unwrap_or_default(), after.get(id).copied().unwrap_or_default());
        let mut counts = ImportCounts::default();
        for k in 0..4 {
            counts.added[k] = a[k].saturating_sub(b[k]);
            counts.present[k] = in_file[k].saturating_sub(counts.added[k]);
        }
        totals.add(&counts);
        lines.push(ImportLine {
            id: UserId(*id),
            display_name: found[&user.sip_uri].1.clone(),
            sip_uri: format!("sip:{}", user.sip_uri),
            counts,
        });
    }
    let event_id = if commit {
        let event = audit::record(
            &mut *conn,
            operator,
            "import_user_data",
            json!({"users": users.len(), "added": totals.added_total(), "already_present": totals.present_total()}),
            users.len() as u64,
        )
        .await?;
        let audit_lines: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| json!([l.id.0, null, l.display_name, l.sip_uri, "imported", null, null]))
            .collect();
        audit::record_users(&mut *conn, event, serde_json::Value::from(audit_lines)).await?;
        Some(event)
    } else {
        None
    };
    lines.truncate(PREVIEW_LINES);
    Ok(ImportReport { users: users.len() as u64, lines, totals, event_id })
}

/// The user data file of a target's users (at most `MAX_EXPORT_SELECTED` named one by one,
/// `MAX_EXPORT_USERS` otherwise), recorded as a download: its file name and content.
pub async fn export(
    db: &AnyPool,
    operator: &Operator,
    target: &crate::domain::search::UserTarget,
) -> Result<(String, String), AppError> {
    use crate::domain::search::UserTarget;
    use crate::domain::user_data::MAX_EXPORT_SELECTED;
    if let UserTarget::Users(users) = target
        && users.len() > MAX_EXPORT_SELECTED
    {
        return Err(AppError::BatchTooLarge { max: MAX_EXPORT_SELECTED as u64 });
    }
    let users =
        crate::server::directory::search::resolve(db, &operator.scope, target, MAX_EXPORT_USERS + 1).await?;
    crate::server::directory::within::all_inside(&mut *db.acquire().await?, &operator.scope, &users).await?;
    let at = crate::server::now();
    let data = load(db, &users).await?;
    let xml = to_xml(&data, &operator.username, at)?;
    let file = file_name(at);
    audit::record_download(db, operator, "user_data", &file, data.len() as u64).await?;
    Ok((file, xml))
}

/// The file name of an export made now.
pub fn file_name(at: i64) -> String {
    format!("user-data-{}.xml", rfc3339(at).replace([':', '-'], ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user_data::USER_DATA_NAMESPACE;
    use crate::server::operations::moves::tests::{deployment, operator, pool, snapshot, users_of};

    #[tokio::test]
    async fn an_export_restores_the_data_a_forced_move_lost() {
        let db = deployment().await;
        let (from, to) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
        let users = users_of(&db, from, 5).await;
        let exported = load(&db, &users).await.unwrap();
        assert!(exported.iter().any(|u| !u.contacts.is_empty() && !u.groups.is_empty()));
        let xml = to_xml(&exported, "useradmin", 1_795_253_400).unwrap();
        assert_eq!(parse(&xml).unwrap(), exported, "what is written reads back the same");

        crate::server::operations::moves::tests::run(&db, &operator(), &users, to, true).await.unwrap();
        assert!(load(&db, &users).await.unwrap().iter().all(|u| u.contacts.is_empty()));
        let preview = import(&db, &operator(), &xml, false).await.unwrap();
        assert!(preview.totals.added_total() > 0);
        assert_eq!(preview.event_id, None);
        assert!(
            load(&db, &users).await.unwrap().iter().all(|u| u.contacts.is_empty()),
            "a preview keeps nothing"
        );

        let run = import(&db, &operator(), &xml, true).await.unwrap();
        assert_eq!(run.totals, preview.totals);
        assert!(run.event_id.is_some());
        let restored = load(&db, &users).await.unwrap();
        for (before, after) in exported.iter().zip(&restored) {
            assert_eq!(before.contacts, after.contacts, "contacts, with their groups");
            assert_eq!(before.access, after.access);
            assert_eq!(before.meetings, after.meetings);
        }
        assert_eq!(crate::server::operations::moves::tests::miscounted_users(&db).await, 0);
        // Importing again adds nothing: everything is already there.
        let again = import(&db, &operator(), &xml, true).await.unwrap();
        assert_eq!(again.totals.added_total(), 0);
        assert_eq!(again.totals.present_total(), run.totals.added_total() + run.totals.present_total());
    }

    #[tokio::test]
    async fn malformed_foreign_and_invalid_files_are_refused_and_change_nothing() {
        let db = deployment().await;
        let from = pool(&db, "pool01.contoso.com").await;
        let users = users_of(&db, from, 2).await;
        let good = to_xml(&load(&db, &users).await.unwrap(), "useradmin", 0).unwrap();
        let before = snapshot(&db).await;
        let ns = USER_DATA_NAMESPACE;
        let cases: Vec<(String, AppError)> = vec![
            (
                "<UserData xmlns=\"urn:uc-admin:user-data:1\"><User".into(),
                AppError::ImportMalformed { line: 1 },
            ),
            (
                good.replacen("</UserData>", "", 1),
                AppError::ImportMalformed { line: good.lines().count() as u64 },
            ),
            ("{\"users\": []}".into(), AppError::ImportForeign),
            ("<EnableUsersResults xmlns=\"urn:uc-admin:enable-results:1\"/>".into(), AppError::ImportForeign),
            ("<UserData xmlns=\"urn:uc-admin:user-data:2\"/>".into(), AppError::ImportForeign),
            (format!("<!DOCTYPE x [<!ENTITY a \"b\">]><UserData xmlns=\"{ns}\"/>"), AppError::ImportForeign),
            (
                format!("<UserData xmlns=\"{ns}\">\n<User sipUri=\"not a uri\"/>\n</UserData>"),
                AppError::ImportInvalid { line: 2 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\">\n<User sipUri=\"sip:a@contoso.com\">\n\n<Meeting subject=\"x\" start=\"tomorrow\" minutes=\"30\"/></User></UserData>"
                ),
                AppError::ImportInvalid { line: 4 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\"><User sipUri=\"sip:a@contoso.com\"><Contact uri=\"sip:b@contoso.com\" group=\"Nope\"/></User></UserData>"
                ),
                AppError::ImportInvalid { line: 1 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\"><User sipUri=\"sip:nobody@contoso.com\"><Allow entry=\"fabrikam.com\"/></User></UserData>"
                ),
                AppError::ImportUnknownUser { sip_uri: "sip:nobody@contoso.com".into() },
            ),
            (format!("<UserData xmlns=\"{ns}\"/>"), AppError::EmptySelection),
        ];
        for (xml, expected) in cases {
            assert_eq!(import(&db, &operator(), &xml, true).await.err(), Some(expected), "{xml}");
        }
        // A good user followed by an unknown one: the good one is not imported either.
        let mixed = good.replace(
            "</UserData>",
            "<User sipUri=\"sip:nobody@contoso.com\"><Allow entry=\"x.com\"/></User></UserData>",
        );
        sqlx::query("DELETE FROM access_entries").execute(&db).await.unwrap();
        let emptied = snapshot(&db).await;
        assert!(import(&db, &operator(), &mixed, true).await.is_err());
        assert_eq!(snapshot(&db).await, emptied);
        assert_ne!(emptied, before);
    }

    #[tokio::test]
    async fn meetings_are_refused_for_a_user_whose_pool_cannot_hold_them() {
        let db = deployment().await;
        let lcs = pool(&db, "lcs2005.contoso.com").await;
        let user = users_of(&db, lcs, 1).await;
        let sip: String = sqlx::query_scalar("SELECT sip_uri FROM enabled_users WHERE user_id = $1")
            .bind(user[0].0)
            .fetch_one(&db)
            .await
            .unwrap();
        let xml = format!(
            "<UserData xmlns=\"{USER_DATA_NAMESPACE}\"><User sipUri=\"sip:{sip}\">\
             <Meeting subject=\"Sync\" start=\"2026-11-21T09:30:00Z\" minutes=\"30\"/></User></UserData>"
        );
        assert_eq!(
            import(&db, &operator(), &xml, true).await.err(),
            Some(AppError::ImportNotHoldable { sip_uri: format!("sip:{sip}") })
        );
    }
}

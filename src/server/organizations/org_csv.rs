//! CSV files of the enterprise: import (create or update users, with their organization and
//! Prevent User Move) and move (change the organization column). Valid rows are applied and
//! invalid ones rejected with their reason; each row is applied whole or not at all, and the
//! whole file runs in one transaction, so a crash leaves nothing half-done. Reading the file
//! is `formats::org_csv`'s.

use crate::domain::AppError;
use crate::domain::operator::Operator;
use crate::domain::org::{
    CsvKind, MembershipOutcome, MembershipProblem, MembershipReport, MembershipRow, OrgId,
};
use crate::domain::user::UserId;
use crate::server::organizations::moves::{self, MoveSource};
use crate::server::organizations::orgs;
use crate::server::security::audit;
use crate::server::storage::flag::Flag;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{HashMap, HashSet};

pub use crate::formats::org_csv::MAX_CSV_ROWS;
use crate::formats::org_csv::{Row, parse, valid_username, yes_no};

/// Applies a file. `commit = false` is the preview: the same work, rolled back.
pub async fn apply(
    db: &AnyPool,
    operator: &Operator,
    kind: CsvKind,
    bytes: &[u8],
    commit: bool,
) -> Result<MembershipReport, AppError> {
    let rows = parse(bytes, kind)?;
    crate::server::storage::db::in_write_or_rehearse(db, commit, async |conn| {
        apply_rows(conn, operator, kind, rows).await
    })
    .await
}

async fn apply_rows(
    conn: &mut AnyConnection,
    operator: &Operator,
    kind: CsvKind,
    rows: Vec<Row>,
) -> Result<MembershipReport, AppError> {
    let orgs: HashMap<String, OrgId> =
        orgs::all(conn).await?.into_iter().map(|o| (o.name.to_lowercase(), o.id)).collect();
    let enterprise: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    let forest: String = sqlx::query_scalar(
        "SELECT COALESCE((SELECT value FROM settings WHERE key = 'forest_name'), 'example.com')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let event_id = audit::record(
        conn,
        operator,
        match kind {
            CsvKind::Import => "csv_import",
            CsvKind::Move => "csv_move",
        },
        json!({"rows": rows.len()}),
        rows.len() as u64,
    )
    .await?;
    let mut seen = HashSet::new();
    let mut report = MembershipReport::default();
    for (line, values) in rows {
        let username = values.get("username").cloned().unwrap_or_default();
        let outcome =
            apply_row(conn, operator, kind, &values, &orgs, OrgId(enterprise), &forest, &mut seen).await?;
        report.add(MembershipRow { line, username, outcome });
    }
    // The per-row outcomes of applied rows, in the audit record of the file.
    let lines: Vec<audit::UserLine<'_>> = report
        .rows
        .iter()
        .filter_map(|r| {
            let id = r.outcome.user()?;
            Some((id.0, None, r.username.as_str(), None, r.outcome.code(), None, None))
        })
        .collect();
    audit::record_users(conn, event_id, lines).await?;
    report.event_id = Some(event_id);
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn apply_row(
    conn: &mut AnyConnection,
    operator: &Operator,
    kind: CsvKind,
    values: &HashMap<&'static str, String>,
    orgs: &HashMap<String, OrgId>,
    enterprise: OrgId,
    forest: &str,
    seen: &mut HashSet<String>,
) -> Result<MembershipOutcome, AppError> {
    use MembershipProblem as P;
    let get = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    let username = get("username");
    if !valid_username(username) {
        return Ok(MembershipOutcome::Rejected(P::InvalidUsername));
    }
    if !seen.insert(username.to_ascii_lowercase()) {
        return Ok(MembershipOutcome::Rejected(P::DuplicateInFile));
    }
    let org = match get("organization") {
        "" => None,
        name => match orgs.get(&name.to_lowercase()) {
            Some(id) => Some(*id),
            None => return Ok(MembershipOutcome::Rejected(P::UnknownOrganization)),
        },
    };
    let lock = match kind {
        CsvKind::Import => match yes_no(get("prevent_user_move")) {
            Ok(v) => v,
            Err(()) => return Ok(MembershipOutcome::Rejected(P::InvalidLockValue)),
        },
        CsvKind::Move => None,
    };
    let existing: Option<(i64, i64, crate::server::storage::flag::Flag)> = sqlx::query_as(
        "SELECT d.id, m.org_id, m.prevent_move FROM directory_users d JOIN org_members m ON m.user_id = d.id
         WHERE d.sam_account_name = $1",
    )
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    let display_name = get("display_name");
    let email = get("email");
    if !email.is_empty() && (!email.contains('@') || email.chars().count() > 256) {
        return Ok(MembershipOutcome::Rejected(P::InvalidEmail));
    }
    if display_name.chars().count() > 256 {
        return Ok(MembershipOutcome::Rejected(P::InvalidDisplayName));
    }
    let Some((id, current_org, crate::server::storage::flag::Flag(locked))) = existing else {
        if kind == CsvKind::Move {
            return Ok(MembershipOutcome::Rejected(P::UnknownUser));
        }
        if !operator.scope.takes_new_member_of(org.unwrap_or(enterprise).0) {
            return Ok(MembershipOutcome::Rejected(P::OutOfScope));
        }
        if display_name.is_empty() {
            return Ok(MembershipOutcome::Rejected(P::InvalidDisplayName));
        }
        let upn = format!("{username}@{forest}");
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM directory_users WHERE user_principal_name = $1")
                .bind(&upn)
                .fetch_optional(&mut *conn)
                .await?;
        if taken.is_some() {
            return Ok(MembershipOutcome::Rejected(P::AlreadyExists));
        }
        let guid = crate::server::security::operators::random_guid();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO directory_users (object_guid, display_name, sam_account_name, user_principal_name,
                                          email, container)
             VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6) RETURNING id",
        )
        .bind(guid)
        .bind(display_name)
        .bind(username)
        .bind(&upn)
        .bind(email)
        .bind(format!("CN=Users,DC={}", forest.replace('.', ",DC=")))
        .fetch_one(&mut *conn)
        .await?;
        // The insert trigger placed the user in the enterprise organization.
        sqlx::query("UPDATE org_members SET org_id = $1, prevent_move = $2 WHERE user_id = $3")
            .bind(org.unwrap_or(enterprise).0)
            .bind(Flag(lock.unwrap_or(false)))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(MembershipOutcome::Created(UserId(id)));
    };
    if crate::server::directory::within::outside(conn, &operator.scope, &[UserId(id)]).await? > 0 {
        return Ok(MembershipOutcome::Rejected(P::OutOfScope));
    }
    // A locked user moves only if the same row lifts the lock.
    let target = org.filter(|o| o.0 != current_org);
    if target.is_some() && locked && lock != Some(false) {
        return Ok(MembershipOutcome::Rejected(P::Locked));
    }
    let mut changed = false;
    if kind == CsvKind::Import {
        let updated = sqlx::query(
            "UPDATE directory_users SET display_name = COALESCE(NULLIF($1, ''), display_name),
                    email = COALESCE(NULLIF($2, ''), email)
             WHERE id = $3 AND (display_name <> COALESCE(NULLIF($4, ''), display_name)
                               OR COALESCE(email, '') <> COALESCE(NULLIF($5, ''), email, ''))",
        )
        .bind(display_name)
        .bind(email)
        .bind(id)
        .bind(display_name)
        .bind(email)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        changed |= updated > 0;
        if let Some(lock) = lock
            && lock != locked
        {
            sqlx::query("UPDATE org_members SET prevent_move = $1 WHERE user_id = $2")
                .bind(Flag(lock))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            changed = true;
        }
    }
    if let Some(to) = target {
        moves::apply(conn, operator.into(), &[UserId(id)], to, false, MoveSource::Csv).await?;
        return Ok(MembershipOutcome::Moved(UserId(id)));
    }
    Ok(if changed {
        MembershipOutcome::Updated(UserId(id))
    } else {
        MembershipOutcome::Unchanged(UserId(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::org::{MembershipOutcome, MembershipProblem as P};
    use crate::server::organizations::orgs::tests::{enterprise, manager, place};

    async fn sam(db: &AnyPool, id: UserId) -> String {
        sqlx::query_scalar("SELECT sam_account_name FROM directory_users WHERE id = $1")
            .bind(id.0)
            .fetch_one(db)
            .await
            .unwrap()
    }

    async fn member(db: &AnyPool, sam: &str) -> Option<(i64, bool, String)> {
        let row: Option<(i64, crate::server::storage::flag::Flag, String)> = sqlx::query_as(
            "SELECT m.org_id, m.prevent_move, d.display_name FROM directory_users d JOIN org_members m ON m.user_id = d.id
             WHERE d.sam_account_name = $1",
        )
        .bind(sam)
        .fetch_optional(db)
        .await
        .unwrap();
        row.map(|(org, locked, name)| (org, locked.0, name))
    }

    #[tokio::test]
    async fn import_applies_valid_rows_whole_and_reports_each_rejected_one() {
        let (db, _, a, b) = enterprise().await;
        let users = place(&db, a, 3).await;
        let (kept, locked, unlocked) =
            (sam(&db, users[0]).await, sam(&db, users[1]).await, sam(&db, users[2]).await);
        sqlx::query("UPDATE org_members SET prevent_move = 1 WHERE user_id IN ($1, $2)")
            .bind(users[1].0)
            .bind(users[2].0)
            .execute(&db)
            .await
            .unwrap();
        let file = format!(
            "username,display_name,email,organization,prevent_user_move\n\
             new.person,New Person,new.person@contoso.com,Test B,yes\n\
             {kept},Renamed Person,,,\n\
             bad name,Someone,,,\n\
             other.person,Other,,Atlantis,\n\
             {locked},,,Test B,\n\
             {unlocked},,,Test B,no\n\
             NEW.PERSON,Again,,,\n\
             third.person,Third,not-an-email,,\n"
        );
        // The preview reports the same and changes nothing.
        let preview = apply(&db, &manager(), CsvKind::Import, file.as_bytes(), false).await.unwrap();
        assert_eq!(member(&db, "new.person").await, None);
        let report = apply(&db, &manager(), CsvKind::Import, file.as_bytes(), true).await.unwrap();
        assert_eq!(
            preview.rows.iter().map(|r| r.outcome.code()).collect::<Vec<_>>(),
            report.rows.iter().map(|r| r.outcome.code()).collect::<Vec<_>>()
        );
        let outcomes: Vec<(u64, MembershipOutcome)> =
            report.rows.iter().map(|r| (r.line, r.outcome)).collect();
        assert!(matches!(outcomes[0], (2, MembershipOutcome::Created(_))));
        assert!(matches!(outcomes[1], (3, MembershipOutcome::Updated(_))));
        assert_eq!(outcomes[2], (4, MembershipOutcome::Rejected(P::InvalidUsername)));
        assert_eq!(outcomes[3], (5, MembershipOutcome::Rejected(P::UnknownOrganization)));
        assert_eq!(outcomes[4], (6, MembershipOutcome::Rejected(P::Locked)));
        assert!(matches!(outcomes[5], (7, MembershipOutcome::Moved(_))));
        assert_eq!(outcomes[6], (8, MembershipOutcome::Rejected(P::DuplicateInFile)));
        assert_eq!(outcomes[7], (9, MembershipOutcome::Rejected(P::InvalidEmail)));
        assert_eq!((report.created, report.updated, report.moved, report.rejected), (1, 1, 1, 5));

        assert_eq!(member(&db, "new.person").await, Some((b.0, true, "New Person".into())));
        assert_eq!(member(&db, &kept).await.unwrap().2, "Renamed Person");
        assert_eq!(member(&db, &locked).await.unwrap().0, a.0, "a locked user stays");
        assert_eq!(member(&db, &unlocked).await.unwrap().0, b.0, "the row lifted the lock");
        assert_eq!(member(&db, "other.person").await, None);
        // The CSV move went through the same move, with its history.
        let history = crate::server::organizations::moves::user_history(&db, users[2]).await.unwrap();
        assert_eq!(history[0].source, "csv");
        // Applying the same file again creates nobody twice.
        let again = apply(&db, &manager(), CsvKind::Import, file.as_bytes(), true).await.unwrap();
        assert_eq!(again.created, 0);
        let people: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM directory_users WHERE sam_account_name = 'new.person'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(people, 1);
    }

    #[tokio::test]
    async fn unreadable_files_change_nothing() {
        let (db, _, _, _) = enterprise().await;
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        let header = apply(&db, &manager(), CsvKind::Import, b"user,name\nx,y\n", true).await.err();
        assert_eq!(header, Some(AppError::CsvHeader));
        let quoting = b"username,organization\nok.user,Test A\n\"broken,Test A\nx,y\n";
        assert!(matches!(
            apply(&db, &manager(), CsvKind::Move, quoting, true).await.err(),
            Some(AppError::CsvMalformed { .. })
        ));
        assert_eq!(
            apply(&db, &manager(), CsvKind::Move, &[0xff, 0xfe, 0x00], true).await.err(),
            Some(AppError::CsvMalformed { line: 1 })
        );
        let after: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        assert_eq!(after, events);
    }

    #[tokio::test]
    async fn csv_move_changes_the_organization_of_known_users() {
        let (db, _, a, b) = enterprise().await;
        let users = place(&db, a, 2).await;
        let file =
            format!("organization,username\nTest B,{}\nTest B,nobody.here\n", sam(&db, users[0]).await);
        let report = apply(&db, &manager(), CsvKind::Move, file.as_bytes(), true).await.unwrap();
        assert!(matches!(report.rows[0].outcome, MembershipOutcome::Moved(_)));
        assert_eq!(report.rows[1].outcome, MembershipOutcome::Rejected(P::UnknownUser));
        assert_eq!(member(&db, &sam(&db, users[0]).await).await.unwrap().0, b.0);
        assert_eq!(member(&db, &sam(&db, users[1]).await).await.unwrap().0, a.0);
    }
}

//! Enterprise organizations: membership, roles, households, alerts and the Prevent User Move
//! lock. Moving users between organizations is `moves`.

use super::moves::MAX_ORG_MOVE;
use crate::domain::AppError;
use crate::domain::operator::Operator;
use crate::domain::org::{
    AlertState, AlertSummary, MEMBERS_PER_PAGE, MemberAttribute, OrgId, OrgMember, OrgMoveTarget, OrgRole,
    OrgSummary, Organization,
};
use crate::domain::paging::Page;
use crate::domain::scope::UserScope;
use crate::domain::user::{UserId, distinct_selection};
use crate::server::directory::within::push_within;
use crate::server::storage::db::{Engine, engine};
use crate::server::storage::flag::Flag;
use crate::server::storage::sql_builder::SqlBuilder;
use crate::server::{now, security::audit};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct OrgRecord {
    id: i64,
    name: String,
    parent_id: Option<i64>,
}

impl From<OrgRecord> for Organization {
    fn from(r: OrgRecord) -> Organization {
        Organization { id: OrgId(r.id), name: r.name, parent: r.parent_id.map(OrgId) }
    }
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<Organization>, AppError> {
    let records: Vec<OrgRecord> =
        sqlx::query_as("SELECT id, name, parent_id FROM organizations ORDER BY parent_id IS NOT NULL, name")
            .fetch_all(conn)
            .await?;
    Ok(records.into_iter().map(Organization::from).collect())
}

pub(crate) async fn load(conn: &mut AnyConnection, id: OrgId) -> Result<Organization, AppError> {
    let record: Option<OrgRecord> =
        sqlx::query_as("SELECT id, name, parent_id FROM organizations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    record.map(Organization::from).ok_or(AppError::OrganizationNotFound)
}

/// Targets a draft or scheduled alert at a user of its organization.
pub async fn target_alert(db: &AnyPool, alert: i64, user: UserId) -> Result<(), AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let found: Option<(i64, String)> = sqlx::query_as("SELECT org_id, state FROM alerts WHERE id = $1")
        .bind(alert)
        .fetch_optional(&mut *tx)
        .await?;
    let (org, state) = found.ok_or(AppError::AlertNotFound)?;
    let state: AlertState =
        state.parse().map_err(|_| crate::server::storage::error::corrupt("alert state", &state))?;
    if !state.targets_follow_membership() {
        return Err(AppError::AlertAlreadySent);
    }
    let member: Option<i64> = sqlx::query_scalar("SELECT org_id FROM org_members WHERE user_id = $1")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
    if member != Some(org) {
        return Err(AppError::NotInOrganization);
    }
    sqlx::query("INSERT INTO alert_targets (alert_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(alert)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends an alert: its report is the snapshot of whom it targets now, and never changes.
pub async fn send_alert(db: &AnyPool, alert: i64) -> Result<u64, AppError> {
    let mut tx = crate::server::storage::db::write(db).await?;
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM alerts WHERE id = $1")
        .bind(alert)
        .fetch_optional(&mut *tx)
        .await?;
    let state = state.ok_or(AppError::AlertNotFound)?;
    if state == "sent" {
        return Err(AppError::AlertAlreadySent);
    }
    let sent = sqlx::query(
        "INSERT INTO alert_recipients (alert_id, user_id, display_name, org_name)
         SELECT t.alert_id, t.user_id, d.display_name, o.name
         FROM alert_targets t JOIN directory_users d ON d.id = t.user_id
         JOIN org_members m ON m.user_id = t.user_id JOIN organizations o ON o.id = m.org_id
         WHERE t.alert_id = $1",
    )
    .bind(alert)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("UPDATE alerts SET state = 'sent', sent_at = $1 WHERE id = $2")
        .bind(now())
        .bind(alert)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(sent)
}

/// The organizations with their member counts (of the members inside the viewer's scope), the
/// enterprise first.
pub async fn summaries(db: &AnyPool, within: &UserScope) -> Result<Vec<OrgSummary>, AppError> {
    let mut conn = db.acquire().await?;
    let orgs = all(&mut conn).await?;
    let mut qb = SqlBuilder::new(
        engine(db),
        "SELECT m.org_id, COUNT(*) FROM org_members m LEFT JOIN enabled_users e ON e.user_id = m.user_id WHERE 1 = 1",
    );
    push_within(&mut qb, within, "m.user_id", Some("e.pool_id"));
    qb.push(" GROUP BY m.org_id");
    let counts: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    Ok(orgs
        .into_iter()
        .map(|org| OrgSummary { members: counts.get(&org.id.0).copied().unwrap_or(0) as u64, org })
        .collect())
}

/// The enterprise organization: the root every sub-organization hangs from.
pub async fn enterprise_org(db: &AnyPool) -> Result<OrgId, AppError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id IS NULL").fetch_optional(db).await?;
    id.map(OrgId).ok_or(AppError::OrganizationNotFound)
}

/// One page of an organization's members inside the viewer's scope, by name, with roles,
/// household and attributes.
pub async fn members(
    db: &AnyPool,
    within: &UserScope,
    org: OrgId,
    page: u32,
) -> Result<Page<OrgMember>, AppError> {
    let request = crate::domain::paging::PageRequest::new(page, MEMBERS_PER_PAGE)?;
    let mut conn = db.acquire().await?;
    load(&mut conn, org).await?;
    let mut qb = SqlBuilder::new(
        engine(db),
        "SELECT COUNT(*) FROM org_members m LEFT JOIN enabled_users e ON e.user_id = m.user_id WHERE m.org_id = ",
    );
    qb.push_bind(org.0);
    push_within(&mut qb, within, "m.user_id", Some("e.pool_id"));
    let total: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: i64,
        display_name: String,
        sam_account_name: String,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        account_enabled: bool,
        #[sqlx(try_from = "crate::server::storage::flag::Flag")]
        prevent_move: bool,
        household: Option<String>,
        roles: String,
        attributes: String,
    }
    // Roles and attributes come as JSON arrays: one statement for the page.
    let engine = crate::server::storage::db::engine(db);
    let used_by_org = engine.json_bool(
        "EXISTS (SELECT 1 FROM org_attributes oa WHERE oa.org_id = m.org_id AND oa.name = a.name)",
    );
    let attribute = engine.json_array(&["a.name", "a.value", &used_by_org]);
    let mut qb = SqlBuilder::new(
        engine,
        format!(
            "SELECT m.user_id, d.display_name, d.sam_account_name, d.account_enabled, m.prevent_move,
                    h.name AS household,
                    (SELECT {} FROM org_roles r WHERE r.user_id = m.user_id) AS roles,
                    (SELECT {} FROM user_attributes a WHERE a.user_id = m.user_id) AS attributes
             FROM org_members m JOIN directory_users d ON d.id = m.user_id
             LEFT JOIN enabled_users e ON e.user_id = m.user_id
             LEFT JOIN households h ON h.id = m.household_id
             WHERE m.org_id = ",
            engine.json_array_agg("r.role", "r.role"),
            engine.json_array_agg(&attribute, "a.name"),
        ),
    );
    qb.push_bind(org.0);
    push_within(&mut qb, within, "m.user_id", Some("e.pool_id"));
    qb.push(" ORDER BY d.display_name COLLATE NOCASE, m.user_id LIMIT ")
        .push_bind(i64::from(MEMBERS_PER_PAGE))
        .push(" OFFSET ")
        .push_bind(request.offset() as i64);
    let rows: Vec<Row> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let codes: Vec<String> = serde_json::from_str(&r.roles)
            .map_err(|_| crate::server::storage::error::corrupt("roles", &r.roles))?;
        let mut roles: Vec<OrgRole> = codes
            .iter()
            .map(|c| c.parse().map_err(|_| crate::server::storage::error::corrupt("org role", c)))
            .collect::<Result<_, _>>()?;
        roles.sort();
        let attributes: Vec<(String, String, bool)> = serde_json::from_str(&r.attributes)
            .map_err(|_| crate::server::storage::error::corrupt("attributes", &r.attributes))?;
        items.push(OrgMember {
            id: UserId(r.user_id),
            display_name: r.display_name,
            username: r.sam_account_name,
            account_enabled: r.account_enabled,
            prevent_move: r.prevent_move,
            household: r.household,
            roles,
            attributes: attributes
                .into_iter()
                .map(|(name, value, active)| MemberAttribute { name, value, active })
                .collect(),
        });
    }
    Ok(request.of(items, total as u64))
}

/// The users a move takes: the chosen ones, or every member of an organization.
pub async fn resolve(db: &AnyPool, target: &OrgMoveTarget, limit: usize) -> Result<Vec<UserId>, AppError> {
    match target {
        OrgMoveTarget::Users(users) => Ok(users.clone()),
        OrgMoveTarget::Members(org) => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT user_id FROM org_members WHERE org_id = $1 ORDER BY user_id LIMIT $2",
            )
            .bind(org.0)
            .bind(limit as i64)
            .fetch_all(db)
            .await?;
            Ok(ids.into_iter().map(UserId).collect())
        }
    }
}

/// An organization's alerts: drafts and scheduled ones with their current targets, sent ones
/// with the report of whom they reached.
pub async fn alerts(db: &AnyPool, org: OrgId) -> Result<Vec<AlertSummary>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        title: String,
        state: String,
        sent_at: Option<i64>,
        targets: i64,
        recipients: String,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT a.id, a.title, a.state, a.sent_at,
                (SELECT COUNT(*) FROM alert_targets t WHERE t.alert_id = a.id) AS targets,
                (SELECT {} FROM alert_recipients r WHERE r.alert_id = a.id) AS recipients
         FROM alerts a WHERE a.org_id = $1 ORDER BY a.state, a.title",
        crate::server::storage::db::engine(db).json_array_agg("r.display_name", "r.display_name")
    ))
    .bind(org.0)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AlertSummary {
                id: r.id,
                state: r
                    .state
                    .parse()
                    .map_err(|_| crate::server::storage::error::corrupt("alert state", &r.state))?,
                recipients: serde_json::from_str(&r.recipients)
                    .map_err(|_| crate::server::storage::error::corrupt("recipients", &r.recipients))?,
                title: r.title,
                targets: r.targets as u64,
                sent_at: r.sent_at,
            })
        })
        .collect()
}

/// Sets or clears Prevent User Move for users, with its audit record.
pub async fn set_prevent_move(
    db: &AnyPool,
    operator: &Operator,
    users: &[UserId],
    locked: bool,
) -> Result<u64, AppError> {
    let users = distinct_selection(users, MAX_ORG_MOVE)?;
    let ids = serde_json::to_string(&users).map_err(|_| AppError::INTERNAL)?;
    let mut tx = crate::server::storage::db::write(db).await?;
    let engine = Engine::of(&tx);
    let known: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM org_members WHERE user_id IN (SELECT value FROM {} ids)",
        engine.id_rows("$1")
    ))
    .bind(&ids)
    .fetch_one(&mut *tx)
    .await?;
    if known as usize != users.len() {
        return Err(AppError::UnknownUsers);
    }
    let changed = sqlx::query(&format!(
        "UPDATE org_members SET prevent_move = $1 WHERE user_id IN (SELECT value FROM {} ids) AND prevent_move <> $3",
        engine.id_rows("$2")
    ))
    .bind(Flag(locked))
    .bind(&ids)
    .bind(Flag(locked))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let event =
        audit::record(&mut tx, operator, "prevent_user_move", json!({"locked": locked}), users.len() as u64)
            .await?;
    let names: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, display_name FROM directory_users WHERE id IN (SELECT value FROM {} ids) ORDER BY id",
        engine.id_rows("$1")
    ))
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let outcome = if locked { "locked" } else { "unlocked" };
    let lines: Vec<audit::UserLine<'_>> =
        names.iter().map(|(id, name)| (*id, None, name.as_str(), None, outcome, None, None)).collect();
    audit::record_users(&mut tx, event, lines).await?;
    tx.commit().await?;
    Ok(changed)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::operator::{OperatorId, Role};
    use crate::server::organizations::moves::tests::{preview, run};
    use crate::server::organizations::moves::{org_history, user_history};
    use crate::server::storage::seed::tests::small_deployment;

    pub(crate) fn manager() -> Operator {
        Operator {
            id: OperatorId(1),
            username: "usermanager".into(),
            display_name: "Enterprise User Manager".into(),
            roles: vec![Role::EnterpriseUserManager],
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        }
    }

    /// A deployment with sub-organizations A and B and an operator row for the audit.
    pub(crate) async fn enterprise() -> (AnyPool, OrgId, OrgId, OrgId) {
        let db = small_deployment().await;
        sqlx::query(
            "INSERT INTO operators (id, username, display_name, password_hash, created_at)
             VALUES (1, 'usermanager', 'Enterprise User Manager', '-', 0) ON CONFLICT DO NOTHING",
        )
        .execute(&db)
        .await
        .unwrap();
        let enterprise: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE parent_id IS NULL")
            .fetch_one(&db)
            .await
            .unwrap();
        let mut sub = Vec::new();
        for name in ["Test A", "Test B"] {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO organizations (name, parent_id) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(enterprise)
            .fetch_one(&db)
            .await
            .unwrap();
            sub.push(OrgId(id));
        }
        (db, OrgId(enterprise), sub[0], sub[1])
    }

    /// `n` users of the enterprise organization without household, placed into `org`.
    pub(crate) async fn place(db: &AnyPool, org: OrgId, n: i64) -> Vec<UserId> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT m.user_id FROM org_members m JOIN organizations o ON o.id = m.org_id
             WHERE o.parent_id IS NULL AND m.household_id IS NULL ORDER BY m.user_id LIMIT $1",
        )
        .bind(n)
        .fetch_all(db)
        .await
        .unwrap();
        for id in &ids {
            sqlx::query("UPDATE org_members SET org_id = $1 WHERE user_id = $2")
                .bind(org.0)
                .bind(id)
                .execute(db)
                .await
                .unwrap();
            // A clean slate: the roles the demo gave them are not the test's.
            sqlx::query("DELETE FROM org_roles WHERE user_id = $1").bind(id).execute(db).await.unwrap();
        }
        ids.into_iter().map(UserId).collect()
    }

    async fn grant(db: &AnyPool, user: UserId, org: OrgId, role: OrgRole) {
        sqlx::query("INSERT INTO org_roles (user_id, org_id, role) VALUES ($1, $2, $3)")
            .bind(user.0)
            .bind(org.0)
            .bind(role.as_str())
            .execute(db)
            .await
            .unwrap();
    }

    async fn roles(db: &AnyPool, user: UserId) -> Vec<(i64, String)> {
        sqlx::query_as("SELECT org_id, role FROM org_roles WHERE user_id = $1 ORDER BY org_id, role")
            .bind(user.0)
            .fetch_all(db)
            .await
            .unwrap()
    }

    async fn org_of(db: &AnyPool, user: UserId) -> i64 {
        sqlx::query_scalar("SELECT org_id FROM org_members WHERE user_id = $1")
            .bind(user.0)
            .fetch_one(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn roles_are_revoked_on_leaving_and_not_restored_on_return() {
        let (db, _, a, b) = enterprise().await;
        let user = place(&db, a, 1).await[0];
        grant(&db, user, a, OrgRole::AlertSender).await;
        grant(&db, user, a, OrgRole::Viewer).await;
        let preview = preview(&db, &[user], b, true).await.unwrap();
        assert_eq!(preview.users[0].revoked_roles, vec![OrgRole::AlertSender, OrgRole::Viewer]);
        run(&db, &manager(), &[user], b, false).await.unwrap();
        assert_eq!(org_of(&db, user).await, b.0);
        assert!(roles(&db, user).await.is_empty());
        run(&db, &manager(), &[user], a, false).await.unwrap();
        assert_eq!(org_of(&db, user).await, a.0);
        assert!(roles(&db, user).await.is_empty(), "moving back restores nothing");
        let history = user_history(&db, user).await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!((history[1].from_name.as_str(), history[1].to_name.as_str()), ("Test A", "Test B"));
        assert_eq!(history[1].revoked_roles, vec![OrgRole::AlertSender, OrgRole::Viewer]);
        assert!(history[0].revoked_roles.is_empty());
        assert_eq!(history[0].operator, "usermanager");
        // Moving to where the user is changes nothing and says so.
        let same = run(&db, &manager(), &[user], a, false).await.unwrap();
        assert_eq!(same.preview.users[0].refusal, Some(crate::domain::org::OrgMoveRefusal::AlreadyThere));
        assert_eq!(user_history(&db, user).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn an_enterprise_administrator_of_the_enterprise_keeps_that_role() {
        let (db, enterprise, a, _) = enterprise().await;
        let user = place(&db, enterprise, 1).await[0];
        grant(&db, user, enterprise, OrgRole::EnterpriseAdministrator).await;
        grant(&db, user, enterprise, OrgRole::Viewer).await;
        let run = run(&db, &manager(), &[user], a, false).await.unwrap();
        assert_eq!(run.preview.users[0].kept_roles, vec![OrgRole::EnterpriseAdministrator]);
        assert_eq!(roles(&db, user).await, vec![(enterprise.0, "enterprise_administrator".to_string())]);
    }

    #[tokio::test]
    async fn household_members_move_along_and_the_history_says_with_whom() {
        let (db, _, a, b) = enterprise().await;
        let family = place(&db, a, 3).await;
        let outsider = place(&db, a, 1).await[0];
        let household: i64 =
            sqlx::query_scalar("INSERT INTO households (name) VALUES ('Family') RETURNING id")
                .fetch_one(&db)
                .await
                .unwrap();
        for id in &family {
            sqlx::query("UPDATE org_members SET household_id = $1 WHERE user_id = $2")
                .bind(household)
                .bind(id.0)
                .execute(&db)
                .await
                .unwrap();
        }
        let run = run(&db, &manager(), &[family[1]], b, false).await.unwrap();
        assert_eq!(run.preview.moving, 3);
        for id in &family {
            assert_eq!(org_of(&db, *id).await, b.0);
        }
        assert_eq!(org_of(&db, outsider).await, a.0);
        let chosen_name = &run.preview.users[0].display_name;
        let along = user_history(&db, family[0]).await.unwrap();
        assert_eq!(along[0].along_with.as_deref(), Some(chosen_name.as_str()));
        assert_eq!(user_history(&db, family[1]).await.unwrap()[0].along_with, None);
        assert_eq!(org_history(&db, &Default::default(), a, 50).await.unwrap().len(), 3);
    }

    async fn draft(db: &AnyPool, org: OrgId, title: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO alerts (org_id, title, state, created_at) VALUES ($1, $2, 'draft', 0) RETURNING id",
        )
        .bind(org.0)
        .bind(title)
        .fetch_one(db)
        .await
        .unwrap()
    }

    async fn targets(db: &AnyPool, alert: i64) -> Vec<i64> {
        sqlx::query_scalar("SELECT user_id FROM alert_targets WHERE alert_id = $1 ORDER BY user_id")
            .bind(alert)
            .fetch_all(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn moved_users_leave_draft_and_scheduled_alerts_but_stay_in_sent_reports() {
        let (db, _, a, b) = enterprise().await;
        let users = place(&db, a, 3).await;
        let (draft, scheduled, sent) =
            (draft(&db, a, "Drill").await, draft(&db, a, "Storm").await, draft(&db, a, "Fire").await);
        sqlx::query("UPDATE alerts SET state = 'scheduled' WHERE id = $1")
            .bind(scheduled)
            .execute(&db)
            .await
            .unwrap();
        for alert in [draft, scheduled, sent] {
            for u in &users {
                target_alert(&db, alert, *u).await.unwrap();
            }
        }
        assert_eq!(send_alert(&db, sent).await.unwrap(), 3);
        let preview = preview(&db, &[users[0]], b, false).await.unwrap();
        assert_eq!(preview.users[0].alerts_left, vec!["Drill".to_string(), "Storm".to_string()]);
        run(&db, &manager(), &[users[0]], b, false).await.unwrap();
        assert_eq!(targets(&db, draft).await, vec![users[1].0, users[2].0]);
        assert_eq!(targets(&db, scheduled).await, vec![users[1].0, users[2].0]);
        // The sent alert's report still shows everyone it reached, as they were.
        let report: Vec<(i64, String)> = sqlx::query_as(
            "SELECT user_id, org_name FROM alert_recipients WHERE alert_id = $1 ORDER BY user_id",
        )
        .bind(sent)
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(report.len(), 3);
        assert!(report.iter().all(|(_, org)| org == "Test A"));
        // The old organization's alerts can no longer target the moved user.
        assert_eq!(target_alert(&db, draft, users[0]).await.err(), Some(AppError::NotInOrganization));
        assert_eq!(target_alert(&db, sent, users[1]).await.err(), Some(AppError::AlertAlreadySent));
        assert_eq!(send_alert(&db, sent).await.err(), Some(AppError::AlertAlreadySent));
    }

    #[tokio::test]
    async fn lock_after_move_sets_prevent_user_move_and_the_status_and_attributes_stay() {
        let (db, _, a, b) = enterprise().await;
        let users = place(&db, a, 2).await;
        sqlx::query("INSERT INTO user_attributes (user_id, name, value) VALUES ($1, 'pager', '555-0100')")
            .bind(users[0].0)
            .execute(&db)
            .await
            .unwrap();
        let status = |id: UserId| {
            let db = db.clone();
            async move {
                sqlx::query_as::<_, (crate::server::storage::flag::Flag, crate::server::storage::flag::Flag)>(
                    "SELECT d.account_enabled, m.prevent_move FROM directory_users d JOIN org_members m ON m.user_id = d.id WHERE d.id = $1",
                )
                .bind(id.0)
                .fetch_one(&db)
                .await
                .unwrap()
            }
        };
        let before = status(users[0]).await;
        run(&db, &manager(), &[users[0]], b, true).await.unwrap();
        run(&db, &manager(), &[users[1]], b, false).await.unwrap();
        assert_eq!(status(users[0]).await, (before.0, crate::server::storage::flag::Flag(true)));
        assert!(!status(users[1]).await.1.0);
        let kept: String =
            sqlx::query_scalar("SELECT value FROM user_attributes WHERE user_id = $1 AND name = 'pager'")
                .bind(users[0].0)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(kept, "555-0100");
    }

    #[tokio::test]
    async fn member_pages_show_roles_households_and_inactive_attributes() {
        let (db, _, a, b) = enterprise().await;
        let users = place(&db, a, 2).await;
        grant(&db, users[0], a, OrgRole::AlertManager).await;
        sqlx::query("INSERT INTO org_attributes (org_id, name) VALUES ($1, 'pager')")
            .bind(a.0)
            .execute(&db)
            .await
            .unwrap();
        for (name, value) in [("pager", "555-0101"), ("fax", "555-0102")] {
            sqlx::query("INSERT INTO user_attributes (user_id, name, value) VALUES ($1, $2, $3)")
                .bind(users[0].0)
                .bind(name)
                .bind(value)
                .execute(&db)
                .await
                .unwrap();
        }
        let page = members(&db, &Default::default(), a, 1).await.unwrap();
        assert_eq!(page.total, 2);
        let m = page.items.iter().find(|m| m.id == users[0]).unwrap();
        assert_eq!(m.roles, vec![OrgRole::AlertManager]);
        let active: Vec<(&str, bool)> = m.attributes.iter().map(|a| (a.name.as_str(), a.active)).collect();
        assert!(active.contains(&("pager", true)) && active.contains(&("fax", false)));
        // Moved to B, which uses neither: both kept, both inactive.
        run(&db, &manager(), &[users[0]], b, true).await.unwrap();
        let moved = members(&db, &Default::default(), b, 1)
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|m| m.id == users[0])
            .unwrap();
        for name in ["pager", "fax"] {
            assert!(moved.attributes.iter().any(|a| a.name == name && !a.active), "{name}");
        }
        assert!(moved.attributes.iter().all(|a| !a.active));
        assert!(moved.prevent_move && moved.roles.is_empty());
        assert_eq!(set_prevent_move(&db, &manager(), &[users[0], users[1]], false).await.unwrap(), 1);
        assert_eq!(
            set_prevent_move(&db, &manager(), &[UserId(-3)], true).await.err(),
            Some(AppError::UnknownUsers)
        );
        let counts = summaries(&db, &Default::default()).await.unwrap();
        assert_eq!(counts.iter().find(|s| s.org.id == b).unwrap().members, 1);
        assert_eq!(resolve(&db, &OrgMoveTarget::Members(a), 10).await.unwrap(), vec![users[1]]);
        assert_eq!(
            members(&db, &Default::default(), OrgId(999), 1).await.err(),
            Some(AppError::OrganizationNotFound)
        );
    }

    #[tokio::test]
    async fn a_failure_moves_nobody_and_records_nothing() {
        let (db, _, a, b) = enterprise().await;
        let users = place(&db, a, 3).await;
        grant(&db, users[0], a, OrgRole::Viewer).await;
        let condition = format!("NEW.user_id = {}", users[2].0);
        crate::server::storage::db::inject_failure(
            &db,
            "fail_history",
            "INSERT",
            "org_moves",
            Some(&condition),
        )
        .await;
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        assert_eq!(run(&db, &manager(), &users, b, true).await.err(), Some(AppError::INTERNAL));
        for u in &users {
            assert_eq!(org_of(&db, *u).await, a.0);
        }
        assert_eq!(roles(&db, users[0]).await.len(), 1);
        let after: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db).await.unwrap();
        assert_eq!(after, events);
        assert_eq!(run(&db, &manager(), &[], b, true).await.err(), Some(AppError::EmptySelection));
        assert_eq!(
            run(&db, &manager(), &users, OrgId(999), true).await.err(),
            Some(AppError::OrganizationNotFound)
        );
    }
}

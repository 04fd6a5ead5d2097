//! Scoped roles through the real router: an operator holding only a role scoped to one
//! directory container sees, counts and changes only its users, and every call that names a
//! user outside is refused and changes nothing.

use super::test_support::{app, call, operate, sign_in, snapshot};
use crate::domain::operator::OperatorId;
use crate::domain::paging::UserQuery;
use crate::server::security::operators;
use axum::http::Method;
use serde_json::{Value, json};

async fn ids(pool: &sqlx::AnyPool, sql: &str, container: &str) -> Vec<i64> {
    sqlx::query_scalar(sql).bind(container).fetch_all(pool).await.unwrap()
}

/// Makes a role as the Enterprise Administrator and gives it to a new operator with no other
/// role; returns that operator's cookie.
async fn scoped_operator(
    app: &axum::Router,
    pool: &sqlx::AnyPool,
    username: &str,
    role: Value,
) -> (String, i64) {
    let admin = sign_in(app, "admin").await;
    let (status, text) = call(
        app,
        Method::POST,
        "/api/create_scoped_role",
        Some(&admin),
        &json!({ "role": role }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let role: i64 = serde_json::from_str(&text).unwrap();
    let OperatorId(operator) =
        operators::create_operator(pool, username, username, "test-password", &[]).await.unwrap();
    let body = json!({ "operator": operator, "role": role, "held": true }).to_string();
    let (status, text) = call(app, Method::POST, "/api/set_scoped_role_held", Some(&admin), &body).await;
    assert_eq!(status, 200, "{text}");
    (sign_in(app, username).await, role)
}

/// The deployment's rows: everything but the caller's own selections (what a wizard stores
/// before its preview, which is where a scope refusal comes).
async fn deployment(pool: &sqlx::AnyPool) -> std::collections::BTreeMap<String, String> {
    let mut rows = snapshot(pool).await;
    rows.retain(|table, _| !table.starts_with("selection"));
    rows
}

fn code(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap()["code"].clone()
}

#[tokio::test]
async fn a_scoped_user_administrator_sees_counts_and_changes_only_their_container() {
    let (app, pool) = app().await;
    // The container of the first enabled user, and its parent: the role names the parent, so
    // the users of every container below it are inside.
    let container: String = sqlx::query_scalar(
        "SELECT d.container FROM enabled_users e JOIN directory_users d ON d.id = e.user_id ORDER BY e.user_id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let inside = ids(
        &pool,
        "SELECT e.user_id FROM enabled_users e JOIN directory_users d ON d.id = e.user_id WHERE d.container = $1 ORDER BY e.user_id",
        &container,
    )
    .await;
    let outside = ids(
        &pool,
        "SELECT e.user_id FROM enabled_users e JOIN directory_users d ON d.id = e.user_id WHERE d.container <> $1 ORDER BY e.user_id",
        &container,
    )
    .await;
    assert!(inside.len() >= 3 && outside.len() >= 3, "the demo has users in and out of {container}");
    let role = json!({ "name": "Site admins", "template": "user_administrator", "containers": container.to_lowercase(),
                       "organizations": [], "pools": [] });
    let (scoped, role_id) = scoped_operator(&app, &pool, "siteadmin", role).await;

    // Counts and lists: only the users inside.
    let (status, text) = call(&app, Method::POST, "/api/pool_tree", Some(&scoped), "{}").await;
    assert_eq!(status, 200, "{text}");
    let tree: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(tree["total_users"], json!(inside.len()));
    let query = serde_json::to_value(UserQuery { page_size: 200, ..UserQuery::default() }).unwrap();
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/find_users",
        Some(&scoped),
        &json!({ "search": "", "query": query }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{}", &text[..text.len().min(300)]);
    let found: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(found["page"]["total"], json!(inside.len()));
    let listed: Vec<i64> =
        found["page"]["items"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert!(listed.iter().all(|id| inside.contains(id)), "only users inside are listed");
    // One user: inside is shown, outside is as good as missing (a form-encoded function).
    let detail = |id: i64| {
        let mut request = super::test_support::request(
            Method::POST,
            "/api/user_detail",
            Some(&scoped),
            &format!("id={id}"),
        );
        request.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        super::test_support::send(&app, request)
    };
    assert_eq!(detail(inside[0]).await.0, 200);
    let (status, text) = detail(outside[0]).await;
    assert_eq!((status, code(&text)), (404, json!("user_not_found")));

    // A user data file naming a user outside (exported by an unscoped administrator).
    let outsider = crate::domain::search::UserTarget::Users(vec![crate::domain::user::UserId(outside[0])]);
    let (_, file) = crate::server::operations::user_data::export(
        &pool,
        &crate::server::operations::moves::tests::operator(),
        &outsider,
    )
    .await
    .unwrap();

    // Changes reaching outside are refused with the number outside, and nothing changes.
    let before = snapshot(&pool).await;
    let (status, text) = operate(
        &app,
        &scoped,
        &[inside[0], outside[0], outside[1]],
        "preview_configure",
        json!({ "change": { "federation": true, "remote_access": null, "public_im": null, "enable_enhanced_presence": false, "archiving": null, "meeting_policy": null, "telephony": null } }),
        "configure_users",
        None,
    )
    .await;
    assert_eq!((status, code(&text)), (403, json!("out_of_scope")), "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["outside"], json!(2));
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/user_timeline",
        Some(&scoped),
        &json!({ "user": outside[0] }).to_string(),
    )
    .await;
    assert_eq!(status, 404, "{text}");
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/set_prevent_move",
        Some(&scoped),
        &json!({ "users": [outside[0]], "locked": true }).to_string(),
    )
    .await;
    assert!(status == 403 || status == 404, "{status} {text}");
    // A list names the user outside as out of scope, with its line.
    let uri: String = sqlx::query_scalar("SELECT sip_uri FROM enabled_users WHERE user_id = $1")
        .bind(outside[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    let inside_uri: String = sqlx::query_scalar("SELECT sip_uri FROM enabled_users WHERE user_id = $1")
        .bind(inside[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    let body = json!({ "purpose": "move", "text": format!("{inside_uri}\n{uri}\n") }).to_string();
    let (status, text) = call(&app, Method::POST, "/api/check_user_list", Some(&scoped), &body).await;
    assert_eq!(status, 200, "{text}");
    let check: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(check["users"], json!([inside[0]]));
    assert_eq!(check["refused"][0]["line"], json!(2));
    assert_eq!(check["refused"][0]["problem"]["kind"], json!("out_of_scope"));
    let body = json!({ "file": file, "password": "test-password" }).to_string();
    let (status, text) = call(&app, Method::POST, "/api/import_user_data", Some(&scoped), &body).await;
    assert_eq!((status, code(&text)), (403, json!("out_of_scope")), "{text}");
    assert_eq!(snapshot(&pool).await, before, "a refused call changed the database");

    // Inside, the same operation runs.
    let (status, text) = operate(
        &app,
        &scoped,
        &inside[..2],
        "preview_configure",
        json!({ "change": { "federation": true, "remote_access": null, "public_im": null, "enable_enhanced_presence": false, "archiving": null, "meeting_policy": null, "telephony": null } }),
        "configure_users",
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    // The scoped operator's jobs and audit trail are their own.
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/list_audit_events",
        Some(&scoped),
        &json!({"query": {"operator": "", "operation": "", "from": "", "to": "", "user": "", "page": 1}})
            .to_string(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let events: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["operator"].as_str().unwrap()).collect();
    assert!(!names.is_empty() && names.iter().all(|n| *n == "siteadmin"), "{names:?}");

    // Taking the role back takes effect at the next call: no role, no access.
    let admin = sign_in(&app, "admin").await;
    let operator: i64 = sqlx::query_scalar("SELECT id FROM operators WHERE username = 'siteadmin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let body = json!({ "operator": operator, "role": role_id, "held": false }).to_string();
    assert_eq!(call(&app, Method::POST, "/api/set_scoped_role_held", Some(&admin), &body).await.0, 200);
    assert_eq!(call(&app, Method::POST, "/api/pool_tree", Some(&scoped), "{}").await.0, 403);
}

#[tokio::test]
async fn a_pool_scoped_operator_moves_users_only_to_their_pools() {
    let (app, pool) = app().await;
    let pools: Vec<i64> = sqlx::query_scalar(
        "SELECT p.id FROM pools p WHERE p.state = 'active' AND p.available = 1 AND p.version = 'ocs2007r2'
           AND EXISTS (SELECT 1 FROM enabled_users e WHERE e.pool_id = p.id) ORDER BY p.id LIMIT 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (home, other) = (pools[0], pools[1]);
    let role = json!({ "name": "Pool admins", "template": "user_administrator", "containers": "",
                       "organizations": [], "pools": [home] });
    let (scoped, _) = scoped_operator(&app, &pool, "pooladmin", role).await;
    let users: Vec<i64> =
        sqlx::query_scalar("SELECT user_id FROM enabled_users WHERE pool_id = $1 ORDER BY user_id LIMIT 2")
            .bind(home)
            .fetch_all(&pool)
            .await
            .unwrap();
    let before = deployment(&pool).await;
    let (status, text) = operate(
        &app,
        &scoped,
        &users,
        "preview_move",
        json!({ "options": { "destination": other, "force": false } }),
        "move_users",
        None,
    )
    .await;
    assert_eq!((status, code(&text)), (403, json!("destination_out_of_scope")), "{text}");
    assert_eq!(deployment(&pool).await, before, "nothing changed");
    // Enable offers only their pool.
    let (status, text) = call(&app, Method::POST, "/api/enable_choices", Some(&scoped), "{}").await;
    assert_eq!(status, 200, "{text}");
    let choices: Value = serde_json::from_str(&text).unwrap();
    let offered: Vec<i64> =
        choices["pools"].as_array().unwrap().iter().map(|p| p["pool"]["id"].as_i64().unwrap()).collect();
    assert_eq!(offered, vec![home]);
}

#[tokio::test]
async fn an_organization_scoped_manager_sees_and_moves_only_their_organization() {
    let (app, pool) = app().await;
    let orgs: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT org_id, COUNT(*) FROM org_members GROUP BY org_id HAVING COUNT(*) >= 2 ORDER BY org_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(orgs.len() >= 2, "the demo has two organizations with members");
    let ((mine, members), (other, _)) = (orgs[0], orgs[1]);
    let role = json!({ "name": "Org managers", "template": "enterprise_user_manager", "containers": "",
                       "organizations": [mine], "pools": [] });
    let (scoped, _) = scoped_operator(&app, &pool, "orgscoped", role).await;

    // The tree counts only their members; another organization's members are not listed.
    let (status, text) = call(&app, Method::POST, "/api/org_tree", Some(&scoped), "{}").await;
    assert_eq!(status, 200, "{text}");
    let tree: Value = serde_json::from_str(&text).unwrap();
    let count = |org: i64| {
        tree.as_array().unwrap().iter().find(|o| o["org"]["id"] == json!(org)).unwrap()["members"].clone()
    };
    assert_eq!((count(mine), count(other)), (json!(members), json!(0)));
    let page = |org: i64| json!({ "org": org, "page": 1 }).to_string();
    let (status, text) = call(&app, Method::POST, "/api/org_members", Some(&scoped), &page(other)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["total"], json!(0));
    let (_, text) = call(&app, Method::POST, "/api/org_members", Some(&scoped), &page(mine)).await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["total"], json!(members));

    // A CSV row moving a member of another organization is rejected as out of scope.
    let outsider: String = sqlx::query_scalar(
        "SELECT d.sam_account_name FROM org_members m JOIN directory_users d ON d.id = m.user_id
         WHERE m.org_id = $1 ORDER BY m.user_id LIMIT 1",
    )
    .bind(other)
    .fetch_one(&pool)
    .await
    .unwrap();
    let name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(mine)
        .fetch_one(&pool)
        .await
        .unwrap();
    let before = snapshot(&pool).await;
    let csv = json!({ "kind": "move", "content": format!("username,organization\n{outsider},\"{name}\"\n") });
    let (status, text) =
        call(&app, Method::POST, "/api/apply_org_csv", Some(&scoped), &csv.to_string()).await;
    assert_eq!(status, 200, "{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        report["rows"][0]["outcome"],
        json!({ "outcome": "rejected", "detail": "out_of_scope" }),
        "{text}"
    );
    assert_eq!(snapshot(&pool).await["org_members"], before["org_members"], "nobody moved");
}

/// Creating a role checks its parts; a bad one is a translated error and changes nothing.
#[tokio::test]
async fn a_scoped_role_is_checked_before_it_is_created() {
    let (app, pool) = app().await;
    let admin = sign_in(&app, "admin").await;
    let useradmin = sign_in(&app, "useradmin").await;
    let before = snapshot(&pool).await;
    for (role, expected) in [
        (
            json!({ "name": "x", "template": "user_administrator", "containers": "Paris", "organizations": [], "pools": [] }),
            "invalid_container",
        ),
        (
            json!({ "name": "x", "template": "enterprise_administrator", "containers": "OU=A,DC=b", "organizations": [], "pools": [] }),
            "not_a_role_template",
        ),
        (
            json!({ "name": "x", "template": "help_desk", "containers": "", "organizations": [], "pools": [] }),
            "empty_scope",
        ),
        (
            json!({ "name": "x", "template": "help_desk", "containers": "", "organizations": [], "pools": [424242] }),
            "pool_not_found",
        ),
    ] {
        let (status, text) = call(
            &app,
            Method::POST,
            "/api/create_scoped_role",
            Some(&admin),
            &json!({ "role": role }).to_string(),
        )
        .await;
        assert_eq!(code(&text), json!(expected), "{status} {text}");
    }
    // Only those who manage operators make roles.
    let role = json!({ "name": "x", "template": "help_desk", "containers": "OU=A,DC=b", "organizations": [], "pools": [] });
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/create_scoped_role",
        Some(&useradmin),
        &json!({ "role": role }).to_string(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(snapshot(&pool).await, before);
}

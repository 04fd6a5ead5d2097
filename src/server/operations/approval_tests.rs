//! Approval rules: a held run changes nothing until a second operator approves it; the
//! requester cannot approve their own; a request expires; a request whose users changed since
//! its preview is refused (outdated); the approver needs the operation's permission; the
//! approved run's audit event names both operators.

use super::*;
use crate::domain::approval::ApprovalPolicy;
use crate::domain::operation::{MoveOptions, SelectionSource};
use crate::domain::operator::{OperatorId, Role};
use crate::domain::search::UserTarget;
use crate::server::operations::delete::Delete;
use crate::server::operations::moves::Move;
use crate::server::operations::moves::tests::{deployment, operator, pool, users_of};
use crate::server::operations::{preview, run_confirmed};
use crate::server::security::operators::Client;

fn second() -> Operator {
    Operator { id: OperatorId(2), username: "helper".into(), display_name: "Second".into(), ..operator() }
}

fn client() -> Client {
    Client { address: "127.0.0.1".into(), user_agent: String::new() }
}

async fn with_second_operator(db: &AnyPool) {
    sqlx::query(
        "INSERT INTO operators (id, username, display_name, password_hash, created_at)
         VALUES (2, 'helper', 'Second', '-', 0) ON CONFLICT DO NOTHING",
    )
    .execute(db)
    .await
    .unwrap();
}

async fn homes(db: &AnyPool) -> Vec<(i64, i64)> {
    sqlx::query_as("SELECT user_id, pool_id FROM enabled_users ORDER BY user_id").fetch_all(db).await.unwrap()
}

/// Asks for a move of these users; with the policy below, it is held.
async fn ask_move(db: &AnyPool, users: &[UserId], to: crate::domain::pool::PoolId) -> ApprovalId {
    let source = SelectionSource::Users(UserTarget::Users(users.to_vec()));
    let chosen = selection::create(db, &operator(), &source).await.unwrap();
    let options = MoveOptions { destination: to, force: false };
    let token = preview::<Move>(db, &operator(), chosen.id, &options).await.unwrap().token;
    let config = crate::server::Config::for_tests();
    match run_confirmed::<Move>(db, &config, &operator(), &token, None, &client()).await.unwrap() {
        Started::Requested(id) => id,
        other => panic!("held, not {other:?}"),
    }
}

#[tokio::test]
async fn a_held_run_waits_for_a_second_operator_who_is_not_the_requester() {
    let db = deployment().await;
    with_second_operator(&db).await;
    let (pool01, pool02) = (pool(&db, "pool01.contoso.com").await, pool(&db, "pool02.contoso.com").await);
    let config = crate::server::Config::for_tests();
    // Refused policies change nothing.
    let bad = ApprovalPolicy { expiry_hours: 0, ..ApprovalPolicy::default() };
    assert!(set_policy(&db, &operator(), bad).await.is_err());
    assert_eq!(policy(&db).await.unwrap(), ApprovalPolicy::default());
    set_policy(&db, &operator(), ApprovalPolicy { above_users: Some(3), ..ApprovalPolicy::default() })
        .await
        .unwrap();

    // Three users: not held, runs at once.
    let few = users_of(&db, pool01, 3).await;
    let source = SelectionSource::Users(UserTarget::Users(few.clone()));
    let chosen = selection::create(&db, &operator(), &source).await.unwrap();
    let options = MoveOptions { destination: pool02, force: false };
    let token = preview::<Move>(&db, &operator(), chosen.id, &options).await.unwrap().token;
    assert!(matches!(
        run_confirmed::<Move>(&db, &config, &operator(), &token, None, &client()).await.unwrap(),
        Started::Done(_)
    ));

    // Five users: held; nothing moves.
    let users = users_of(&db, pool01, 5).await;
    let before = homes(&db).await;
    let request = ask_move(&db, &users, pool02).await;
    assert_eq!(homes(&db).await, before, "nothing moved while the request waits");
    let (shown, listed) = one(&db, &operator(), request).await.unwrap();
    assert_eq!(
        (shown.state, shown.users, shown.changing, shown.reason),
        (ApprovalState::Pending, 5, 5, ApprovalReason::ManyUsers)
    );
    assert_eq!(shown.target.as_deref(), Some("pool02.contoso.com"));
    assert_eq!(listed.len(), 5);

    // A scoped operator sees the requests whose users are all theirs, and their own: a Paris
    // (pool02) operator does not see this one of pool01's users; a pool01 operator does.
    let scoped = |id: i64, pool| Operator {
        id: OperatorId(id),
        roles: vec![],
        scope: crate::domain::scope::UserScope::Within(vec![crate::domain::scope::ScopeTerm::Pool(pool)]),
        ..operator()
    };
    assert_eq!(one(&db, &scoped(9, pool02), request).await.err(), Some(AppError::ApprovalNotFound));
    assert!(list(&db, &scoped(9, pool02)).await.unwrap().iter().all(|r| r.id != request));
    assert!(list(&db, &scoped(9, pool01)).await.unwrap().iter().any(|r| r.id == request));
    assert!(
        list(&db, &scoped(operator().id.0, pool02)).await.unwrap().iter().any(|r| r.id == request),
        "their own"
    );

    // The requester cannot approve their own request; someone without the permission neither.
    let approve_by = |who: Operator| {
        let (db, config) = (db.clone(), config.clone());
        async move { approve(&db, &config, &who, request, "", None, &client()).await }
    };
    assert_eq!(approve_by(operator()).await.err(), Some(AppError::SelfApproval));
    let helpdesk = Operator { roles: vec![Role::HelpDesk], ..second() };
    assert_eq!(approve_by(helpdesk).await.err(), Some(AppError::Forbidden));
    assert_eq!(homes(&db).await, before);
    // Too long a comment is refused.
    assert!(approve(&db, &config, &second(), request, &"x".repeat(501), None, &client()).await.is_err());

    // The second operator approves: the run happens, as the requester's, naming the approver.
    assert_eq!(approve_by(second()).await, Ok(Started::Done(())));
    let moved = users_of(&db, pool02, 100_000).await;
    assert!(users.iter().all(|u| moved.contains(u)));
    let (event_operator, approved_by): (String, Option<String>) = sqlx::query_as(
        "SELECT operator_name, approved_by FROM audit_events WHERE operation = 'move' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((event_operator.as_str(), approved_by.as_deref()), ("useradmin", Some("helper")));
    let decided = one(&db, &operator(), request).await.unwrap().0;
    assert_eq!((decided.state, decided.decided_by.as_deref()), (ApprovalState::Approved, Some("helper")));
    assert!(decided.event_id.is_some());
    // Decided once.
    assert_eq!(approve_by(second()).await.err(), Some(AppError::ApprovalDecided));
    assert_eq!(reject(&db, &second(), request, "").await.err(), Some(AppError::ApprovalDecided));
}

#[tokio::test]
async fn a_request_is_refused_once_its_users_changed_and_expires_when_nobody_decides() {
    let db = deployment().await;
    with_second_operator(&db).await;
    let (pool01, pool02, se01) = (
        pool(&db, "pool01.contoso.com").await,
        pool(&db, "pool02.contoso.com").await,
        pool(&db, "se01.contoso.com").await,
    );
    let config = crate::server::Config::for_tests();
    set_policy(
        &db,
        &operator(),
        ApprovalPolicy { above_users: Some(2), delete: true, ..ApprovalPolicy::default() },
    )
    .await
    .unwrap();
    let users = users_of(&db, pool01, 4).await;
    let request = ask_move(&db, &users, pool02).await;
    // One of the users moves elsewhere meanwhile (one user: not held).
    let source = SelectionSource::Users(UserTarget::Users(users[..1].to_vec()));
    let chosen = selection::create(&db, &second(), &source).await.unwrap();
    let options = MoveOptions { destination: se01, force: false };
    let token = preview::<Move>(&db, &second(), chosen.id, &options).await.unwrap().token;
    run_confirmed::<Move>(&db, &config, &second(), &token, None, &client()).await.unwrap();
    let before = homes(&db).await;
    assert_eq!(
        approve(&db, &config, &second(), request, "", None, &client()).await.err(),
        Some(AppError::SelectionChanged)
    );
    assert_eq!(homes(&db).await, before, "nothing moved");
    assert_eq!(one(&db, &operator(), request).await.unwrap().0.state, ApprovalState::Outdated);

    // A delete is held whatever its size, and its approval asks the approver's password.
    let doomed = users_of(&db, pool01, 1).await;
    let source = SelectionSource::Users(UserTarget::Users(doomed.clone()));
    let chosen = selection::create(&db, &operator(), &source).await.unwrap();
    let token = preview::<Delete>(&db, &operator(), chosen.id, &()).await.unwrap().token;
    // (The requester's password was checked before: `hold` comes after the run's step-up.)
    let delete = hold::<Delete>(&db, &operator(), &token).await.unwrap().expect("a held delete");
    // Approving it needs the approver's password.
    assert!(approve(&db, &config, &second(), delete, "", None, &client()).await.is_err());
    assert_eq!(one(&db, &operator(), delete).await.unwrap().0.reason, ApprovalReason::Delete);
    assert!(one(&db, &operator(), delete).await.unwrap().0.needs_password);
    // Rejected with a comment: nothing deleted, the comment kept.
    reject(&db, &second(), delete, "  not during business hours ").await.unwrap();
    let rejected = one(&db, &operator(), delete).await.unwrap().0;
    assert_eq!(
        (rejected.state, rejected.comment.as_deref()),
        (ApprovalState::Rejected, Some("not during business hours"))
    );
    let still: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enabled_users WHERE user_id = $1")
        .bind(doomed[0].0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(still, 1);

    // Nobody decides in time: expired, and no longer approvable.
    let late = ask_move(&db, &users_of(&db, pool01, 3).await, pool02).await;
    sqlx::query("UPDATE approval_requests SET expires_at = $1 WHERE id = $2")
        .bind(now() - 1)
        .bind(late.0)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        approve(&db, &config, &second(), late, "", None, &client()).await.err(),
        Some(AppError::ApprovalExpired)
    );
    assert_eq!(expire(&db).await, Ok(1));
    assert!(
        list(&db, &operator())
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == late && r.state == ApprovalState::Expired)
    );
    let expiries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE operation = 'approval_expire'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(expiries, 1);
}

//! Revoking: open sessions end, logins stop, the role is dropped, and what it
//! made is kept.

use palisade_access::postgres::{PgError, RevokeOutcome, role_name};
use palisade_model::Access;
use sqlx::Connection;

use super::support::{in_seconds, target};

#[tokio::test]
async fn revoke_ends_open_sessions_and_later_logins() {
    let Some(t) = target().await else { return };
    let issuer = t.issuer();
    let credential = issuer
        .issue("g-revoke-1", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let mut open = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect("logs in during the grant");
    sqlx::query("SELECT count(*) FROM payments")
        .execute(&mut open)
        .await
        .expect("reads during the grant");

    let revocation = issuer.revoke("g-revoke-1").await.expect("revoked");
    assert_eq!(revocation.role, credential.role);
    assert_eq!(revocation.outcome, RevokeOutcome::Dropped);
    assert_eq!(revocation.sessions_terminated, 1);

    sqlx::query("SELECT count(*) FROM payments")
        .execute(&mut open)
        .await
        .expect_err("the open session was terminated");
    t.login(&credential.role, credential.password.expose())
        .await
        .expect_err("cannot log in after revocation");
    assert!(!t.role_exists(&credential.role).await);
    assert!(t.role_exists(&t.read_role).await, "the mapped role stays");
}

#[tokio::test]
async fn revoking_twice_says_the_role_is_already_gone() {
    let Some(t) = target().await else { return };
    let issuer = t.issuer();
    issuer
        .issue("g-revoke-2", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let first = issuer.revoke("g-revoke-2").await.expect("revoked");
    assert_eq!(first.outcome, RevokeOutcome::Dropped);
    let second = issuer
        .revoke("g-revoke-2")
        .await
        .expect("revoking again is fine");
    assert_eq!(second.outcome, RevokeOutcome::AlreadyGone);
    assert_eq!(second.sessions_terminated, 0);
    let never = issuer
        .revoke("g-never-issued")
        .await
        .expect("nothing to revoke");
    assert_eq!(never.outcome, RevokeOutcome::AlreadyGone);
}

#[tokio::test]
async fn revoke_hands_what_the_role_made_to_its_mapped_role() {
    let Some(t) = target().await else { return };
    let issuer = t.issuer();
    let credential = issuer
        .issue("g-deploy-made", "ana", Access::Deploy, in_seconds(3600))
        .await
        .expect("issued");
    let mut conn = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect("logs in");
    sqlx::raw_sql(
        "CREATE TABLE made_during_grant (id int); INSERT INTO made_during_grant VALUES (7)",
    )
    .execute(&mut conn)
    .await
    .expect("deploy access creates tables");
    let _ = conn.close().await;

    issuer.revoke("g-deploy-made").await.expect("revoked");
    let mut admin = t.admin_conn().await;
    let owner: String = sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE tablename = 'made_during_grant'",
    )
    .fetch_one(&mut admin)
    .await
    .expect("the table is kept");
    assert_eq!(owner, t.deploy_role);
    let kept: i32 = sqlx::query_scalar("SELECT id FROM made_during_grant")
        .fetch_one(&mut admin)
        .await
        .expect("its rows are kept");
    assert_eq!(kept, 7);
    let _ = admin.close().await;
}

#[tokio::test]
async fn revoke_leaves_a_role_palisade_did_not_tag() {
    let Some(t) = target().await else { return };
    let role = role_name("g-not-ours");
    t.create_role(&role, "LOGIN").await;
    let refused = t
        .issuer()
        .revoke("g-not-ours")
        .await
        .expect_err("an untagged role is not Palisade's");
    assert!(
        matches!(refused, PgError::NotPalisadeRole { .. }),
        "{refused:?}"
    );
    assert!(t.role_exists(&role).await);
}

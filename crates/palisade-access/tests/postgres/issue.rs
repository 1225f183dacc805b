//! Issuing: the role logs in with its password and has exactly its access
//! level's privileges until its time runs out.

use palisade_access::postgres::{PgError, RoleTag, role_name};
use palisade_model::Access;
use sqlx::Connection;

use super::support::{in_seconds, sql_state, target};

#[tokio::test]
async fn issued_role_reads_during_the_grant_and_cannot_write_with_read_access() {
    let Some(t) = target().await else { return };
    let until = in_seconds(3600);
    let credential = t
        .issuer()
        .issue("g-read-1", "ana", Access::Read, until)
        .await
        .expect("issued");

    assert_eq!(credential.role, role_name("g-read-1"));
    assert_eq!(credential.db_role, t.read_role);
    assert_eq!(credential.valid_until, until);
    assert_eq!(
        credential.connection_string,
        format!(
            "postgres://{}@{}/{}",
            credential.role, t.address, t.database
        )
    );
    let password = credential.password.expose().to_owned();
    assert!(!credential.connection_string.contains(&password));
    assert!(!format!("{credential:?}").contains(&password));

    let mut conn = t.login(&credential.role, &password).await.expect("logs in");
    let total: i64 = sqlx::query_scalar("SELECT sum(amount)::int8 FROM payments")
        .fetch_one(&mut conn)
        .await
        .expect("reads");
    assert_eq!(total, 350);
    let insert = sqlx::query("INSERT INTO payments VALUES (3, 1)")
        .execute(&mut conn)
        .await
        .expect_err("read access cannot write");
    assert_eq!(sql_state(&insert).as_deref(), Some("42501"), "{insert}");
    let _ = conn.close().await;

    let tag = RoleTag::from_comment(&t.role_comment(&credential.role).await.expect("tagged"))
        .expect("a Palisade tag");
    assert_eq!(tag.grant, "g-read-1");
    assert_eq!(tag.person, "ana");
    assert_eq!(tag.database, t.database);
    assert_eq!(tag.db_role, t.read_role);
    assert_eq!(tag.access, "read");
    assert_eq!(tag.until, until.to_string());
}

#[tokio::test]
async fn issued_role_has_only_login_and_its_membership() {
    let Some(t) = target().await else { return };
    let credential = t
        .issuer()
        .issue("g-attrs", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let mut conn = t.admin_conn().await;
    let row: (bool, bool, bool, bool, bool, bool, i32) = sqlx::query_as(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, \
                rolbypassrls, rolconnlimit FROM pg_roles WHERE rolname = $1",
    )
    .bind(&credential.role)
    .fetch_one(&mut conn)
    .await
    .expect("the role exists");
    assert_eq!(row, (true, false, false, false, false, false, 5));
    let groups: Vec<String> = sqlx::query_scalar(
        "SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid \
         WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)",
    )
    .bind(&credential.role)
    .fetch_all(&mut conn)
    .await
    .expect("memberships are readable");
    assert_eq!(groups, vec![t.read_role.clone()]);
    let _ = conn.close().await;
}

#[tokio::test]
async fn each_access_level_gets_its_mapped_role() {
    let Some(t) = target().await else { return };
    let credential = t
        .issuer()
        .issue("g-deploy-1", "ana", Access::Deploy, in_seconds(3600))
        .await
        .expect("issued");
    assert_eq!(credential.db_role, t.deploy_role);
    let mut conn = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect("logs in");
    sqlx::query("INSERT INTO payments VALUES (3, 1)")
        .execute(&mut conn)
        .await
        .expect("deploy access writes");
    let _ = conn.close().await;
}

#[tokio::test]
async fn the_test_server_checks_passwords() {
    // Without this, "cannot log in" below would prove nothing.
    let Some(t) = target().await else { return };
    let credential = t
        .issuer()
        .issue("g-pw", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let wrong = t
        .login(&credential.role, "not-the-password")
        .await
        .expect_err("a wrong password is refused");
    assert_eq!(sql_state(&wrong).as_deref(), Some("28P01"), "{wrong}");
}

#[tokio::test]
async fn the_server_stores_a_scram_verifier_and_never_sees_the_password() {
    let Some(t) = target().await else { return };
    let credential = t
        .issuer()
        .issue("g-verifier", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let mut conn = t.admin_conn().await;
    let stored: String = sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
        .bind(&credential.role)
        .fetch_one(&mut conn)
        .await
        .expect("the test admin is a superuser");
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    assert!(!stored.contains(credential.password.expose()));
    let _ = conn.close().await;
}

#[tokio::test]
async fn a_role_issued_past_its_end_cannot_log_in() {
    let Some(t) = target().await else { return };
    let credential = t
        .issuer()
        .issue("g-past", "ana", Access::Read, in_seconds(-60))
        .await
        .expect("issued");
    let refused = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect_err("an expired role cannot log in");
    assert_eq!(sql_state(&refused).as_deref(), Some("28P01"), "{refused}");
}

#[tokio::test]
async fn a_role_stops_logging_in_when_its_time_runs_out() {
    let Some(t) = target().await else { return };
    let credential = t
        .issuer()
        .issue("g-short", "ana", Access::Read, in_seconds(3))
        .await
        .expect("issued");
    let conn = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect("logs in during the grant");
    let _ = conn.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    t.login(&credential.role, credential.password.expose())
        .await
        .expect_err("refused after its VALID UNTIL");
}

#[tokio::test]
async fn extending_moves_the_end_and_keeps_the_password() {
    let Some(t) = target().await else { return };
    let issuer = t.issuer();
    let credential = issuer
        .issue("g-extend", "ana", Access::Read, in_seconds(-60))
        .await
        .expect("issued");
    t.login(&credential.role, credential.password.expose())
        .await
        .expect_err("expired before the extension");
    let until = in_seconds(3600);
    issuer.extend("g-extend", until).await.expect("extended");
    let conn = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect("logs in after the extension");
    let _ = conn.close().await;
    let tag = RoleTag::from_comment(&t.role_comment(&credential.role).await.expect("tagged"))
        .expect("a Palisade tag");
    assert_eq!(tag.until, until.to_string());
}

#[tokio::test]
async fn issuing_twice_for_one_grant_is_refused() {
    let Some(t) = target().await else { return };
    let issuer = t.issuer();
    let first = issuer
        .issue("g-twice", "ana", Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let again = issuer
        .issue("g-twice", "ana", Access::Read, in_seconds(3600))
        .await
        .expect_err("a second role for one grant");
    assert!(
        matches!(&again, PgError::AlreadyIssued { role, .. } if *role == first.role),
        "{again:?}"
    );
    // The first credential still works.
    let conn = t
        .login(&first.role, first.password.expose())
        .await
        .expect("the first password still logs in");
    let _ = conn.close().await;
}

//! Bad resources, bad admins and unreachable servers give precise errors.

use palisade_access::postgres::{PgError, PgIssuer};
use palisade_model::{Access, DbRoles, ResourceKind};
use palisade_test_support::db::with_credentials;

use super::support::{in_seconds, target};

#[tokio::test]
async fn an_unreachable_server_is_named() {
    let Some(t) = target().await else { return };
    let mut resource = t.resource();
    // Port 1 on loopback: nothing listens there.
    resource.address = Some("127.0.0.1:1".to_owned());
    let issuer = PgIssuer::new(&t.admin, &resource).expect("the resource is complete");
    let e = issuer
        .issue("g-1", "ana", Access::Read, in_seconds(60))
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(e, PgError::Connect { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:1 (database {})",
            t.database
        )),
        "{message}"
    );
    assert!(!message.contains("palisade-test-pw"), "{message}");
}

#[tokio::test]
async fn a_wrong_admin_password_is_a_connect_error_without_the_password() {
    let Some(t) = target().await else { return };
    let admin = with_credentials(&t.admin, "palisade", "wrong-admin-pw");
    let issuer = PgIssuer::new(&admin, &t.resource()).expect("the resource is complete");
    let e = issuer
        .issue("g-1", "ana", Access::Read, in_seconds(60))
        .await
        .expect_err("the admin password is wrong");
    assert!(matches!(e, PgError::Connect { .. }), "{e:?}");
    assert!(!e.to_string().contains("wrong-admin-pw"), "{e}");
    assert!(!format!("{issuer:?}").contains("wrong-admin-pw"));
}

#[tokio::test]
async fn a_missing_database_is_named() {
    let Some(t) = target().await else { return };
    let mut resource = t.resource();
    resource.database = Some(format!("no_such_db_{}", t.suffix));
    let e = PgIssuer::new(&t.admin, &resource)
        .expect("the resource is complete")
        .issue("g-1", "ana", Access::Read, in_seconds(60))
        .await
        .expect_err("the database does not exist");
    assert_eq!(
        e.to_string(),
        format!(
            "database no_such_db_{} does not exist at {}: create it, or fix the resource's database",
            t.suffix, t.address
        )
    );
}

#[tokio::test]
async fn an_admin_without_createrole_is_told_so() {
    let Some(t) = target().await else { return };
    let admin_role = format!("weak_admin_{}", t.suffix);
    t.create_role(&admin_role, "LOGIN PASSWORD 'weak-admin-pw'")
        .await;
    let admin = with_credentials(&t.admin, &admin_role, "weak-admin-pw");
    let e = PgIssuer::new(&admin, &t.resource())
        .expect("the resource is complete")
        .issue("g-1", "ana", Access::Read, in_seconds(60))
        .await
        .expect_err("the admin lacks CREATEROLE");
    assert_eq!(
        e.to_string(),
        format!(
            "the admin role {admin_role} at {} lacks CREATEROLE, so it cannot issue temporary \
             roles: ALTER ROLE {admin_role} CREATEROLE, or use another admin",
            t.address
        )
    );
}

#[tokio::test]
async fn a_missing_mapped_role_is_named() {
    let Some(t) = target().await else { return };
    let missing = format!("payments_readonly_{}", t.suffix);
    let resource = t.resource_with(DbRoles {
        read: Some(missing.clone()),
        ..DbRoles::default()
    });
    let e = PgIssuer::new(&t.admin, &resource)
        .expect("the resource is complete")
        .issue("g-1", "ana", Access::Read, in_seconds(60))
        .await
        .expect_err("the mapped role does not exist");
    assert_eq!(
        e.to_string(),
        format!(
            "role {missing} does not exist in database {} at {}: create it, or fix db_roles",
            t.database, t.address
        )
    );
    assert!(
        !t.role_exists(&palisade_access::postgres::role_name("g-1"))
            .await,
        "nothing was created"
    );
}

#[tokio::test]
async fn an_unmapped_access_level_is_refused() {
    let Some(t) = target().await else { return };
    let e = t
        .issuer()
        .issue("g-1", "ana", Access::Admin, in_seconds(60))
        .await
        .expect_err("admin is not mapped");
    assert_eq!(
        e.to_string(),
        "access level admin is not mapped to a database role on resource payments-db: \
         add db_roles.admin, or request another access level"
    );
}

#[tokio::test]
async fn incomplete_resources_and_bad_admin_urls_are_refused() {
    let Some(t) = target().await else { return };
    let mut ssh = t.resource();
    ssh.kind = ResourceKind::SshHost;
    assert!(matches!(
        PgIssuer::new(&t.admin, &ssh),
        Err(PgError::NotADatabase { .. })
    ));
    let mut no_address = t.resource();
    no_address.address = None;
    assert!(matches!(
        PgIssuer::new(&t.admin, &no_address),
        Err(PgError::MissingField {
            field: "address",
            ..
        })
    ));
    let mut no_database = t.resource();
    no_database.database = None;
    assert!(matches!(
        PgIssuer::new(&t.admin, &no_database),
        Err(PgError::MissingField {
            field: "database",
            ..
        })
    ));
    let mut bad_address = t.resource();
    bad_address.address = Some("db:port".to_owned());
    assert!(matches!(
        PgIssuer::new(&t.admin, &bad_address),
        Err(PgError::InvalidAddress { .. })
    ));
    let e = PgIssuer::new("mysql://root:s3cret-pw@db/x?sslmode=bogus", &t.resource())
        .expect_err("not a PostgreSQL URL");
    assert!(matches!(e, PgError::InvalidAdminUrl { .. }), "{e:?}");
    assert!(!e.to_string().contains("s3cret-pw"), "{e}");
    let e = t
        .issuer()
        .issue("", "ana", Access::Read, in_seconds(60))
        .await
        .expect_err("an empty grant id");
    assert!(matches!(e, PgError::InvalidGrantId { .. }), "{e:?}");
}

//! Errors that tell the user what is wrong, and never show a password.

use std::net::TcpListener;

use palisade_store::{Backend, Store, StoreError};

use crate::common::{postgres_admin_url, with_credentials, with_database};

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

#[tokio::test]
async fn file_in_the_way_of_parent_dir_gives_create_dir_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").expect("write file");
    let location = blocker.join("sub").join("palisade.db");
    let err = Store::open(location.to_str().expect("utf-8"))
        .await
        .expect_err("cannot create a directory under a file");
    assert!(
        matches!(err, StoreError::CreateDir { ref path, .. } if path == &blocker.join("sub")),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "could not create directory {} for the database: ",
            blocker.join("sub").display()
        )),
        "{message}"
    );
}

#[tokio::test]
async fn directory_as_database_gives_open_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let location = dir.path().to_str().expect("utf-8").to_owned();
    let err = Store::open(&location)
        .await
        .expect_err("a directory is not a database");
    assert!(matches!(err, StoreError::OpenSqlite { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("could not open SQLite database at {location}: ")),
        "{err}"
    );
}

#[tokio::test]
async fn unreachable_postgres_port_says_so_without_the_password() {
    let port = closed_port();
    let url = format!("postgres://palisade:hunter2-Secret@127.0.0.1:{port}/palisade");
    let err = Store::open(&url).await.expect_err("nothing listens there");
    assert!(
        matches!(err, StoreError::PostgresUnreachable { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "could not connect to PostgreSQL at 127.0.0.1:{port}: "
        )),
        "{message}"
    );
    assert!(message.ends_with("; is the server running?"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
}

#[tokio::test]
async fn invalid_locations_are_explained_without_the_password() {
    let err = Store::open("mysql://root:topsecret1@db/palisade")
        .await
        .expect_err("mysql is not supported");
    assert!(matches!(err, StoreError::InvalidLocation { .. }), "{err:?}");
    assert!(
        err.to_string().contains("unsupported URL scheme mysql://"),
        "{err}"
    );
    assert!(!err.to_string().contains("topsecret1") && !format!("{err:?}").contains("topsecret1"));

    let err = Store::open("postgres://u:topsecret2@host:notaport/db")
        .await
        .expect_err("bad port");
    assert!(matches!(err, StoreError::InvalidLocation { .. }), "{err:?}");
    assert!(!err.to_string().contains("topsecret2") && !format!("{err:?}").contains("topsecret2"));

    assert!(matches!(
        Store::open("").await,
        Err(StoreError::InvalidLocation { .. })
    ));
}

#[tokio::test]
async fn postgres_password_never_appears() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let (db, password) = crate::common::postgres_with_own_role(&admin).await;
    let user = db
        .location()
        .split("://")
        .nth(1)
        .and_then(|r| r.split(':').next());
    let user = user.expect("a user in the URL").to_owned();

    // A wrong password: rejected under password auth (accepted under trust); either way
    // it must not be shown.
    let wrong = with_credentials(db.location(), &user, "Wr0ng-Passw0rd");
    match Store::open(&wrong).await {
        Err(err) => {
            assert!(
                matches!(err, StoreError::PostgresRejected { .. }),
                "{err:?}"
            );
            assert!(
                err.to_string().contains("password authentication failed"),
                "{err}"
            );
            assert!(!err.to_string().contains("Wr0ng-Passw0rd"), "{err}");
            assert!(!format!("{err:?}").contains("Wr0ng-Passw0rd"), "{err:?}");
        }
        Ok(store) => {
            eprintln!("note: the server trusts loopback, so the wrong password was accepted");
            let shown = format!("{store:?} {store} {}", store.location());
            assert!(!shown.contains("Wr0ng-Passw0rd"), "{shown}");
            store.close().await;
        }
    }

    // The right password: never in Debug, Display or location().
    let store = Store::open(db.location())
        .await
        .expect("opens with its own role");
    assert_eq!(store.backend(), Backend::Postgres);
    let shown = format!("{store:?}\n{store}\n{}", store.location());
    assert!(!shown.contains(&password), "{shown}");
    assert!(shown.contains(&format!("{user}:***@")), "{shown}");
    store.close().await;

    // A missing database: the server answers, the message says what is wrong, no password.
    let missing = with_database(db.location(), "palisade_no_such_database");
    let err = Store::open(&missing)
        .await
        .expect_err("database does not exist");
    assert!(
        matches!(err, StoreError::PostgresRejected { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!err.to_string().contains(&password) && !format!("{err:?}").contains(&password));
}

#[tokio::test]
async fn file_that_is_not_a_database_gives_open_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("palisade.toml");
    std::fs::write(
        &path,
        "org = 'not a database, just some text that is long enough'\n".repeat(100),
    )
    .expect("write file");
    let location = path.to_str().expect("utf-8");
    let err = Store::open(location)
        .await
        .expect_err("text is not a database");
    assert!(matches!(err, StoreError::OpenSqlite { .. }), "{err:?}");
    assert!(err.to_string().contains("not a database"), "{err}");
    // And the file was left alone.
    assert!(std::fs::read_to_string(&path).is_ok_and(|text| text.starts_with("org = ")));
}

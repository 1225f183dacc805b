//! Databases for tests: every store test runs once per backend, each time on a fresh database.
//!
//! SQLite: a file in a new temporary directory (in a subdirectory that does not exist yet).
//! PostgreSQL: a new `palisade_test_<random>` database on the server named by the admin
//! URL in `PALISADE_TEST_POSTGRES_URL` (see `scripts/ensure-postgres`), dropped afterwards,
//! even when the test fails. Without that variable the PostgreSQL half is skipped with a
//! note on stderr, except when `CI=true`: there the test fails, because conformance on both
//! backends is always checked in CI.

use std::sync::atomic::{AtomicU64, Ordering};

use palisade_store::{Backend, Migration, Store, StoreError, StoreOptions};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection};

/// The environment variable holding the PostgreSQL admin URL.
pub const PG_URL_VAR: &str = "PALISADE_TEST_POSTGRES_URL";

/// A fresh, empty database for one test.
pub struct TestDb {
    backend: Backend,
    location: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl TestDb {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What to pass to `Store::open`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The built-in migrations for this backend.
    pub fn migrations(&self) -> &'static [Migration] {
        palisade_store::migrations(self.backend)
    }

    /// Opens the store, failing the test on error.
    pub async fn open(&self) -> Store {
        match Store::open(&self.location).await {
            Ok(store) => store,
            Err(e) => panic!("{}: open failed: {e}", self.backend),
        }
    }

    /// Opens the store with `options` (a short lock timeout, say), failing the test on
    /// error.
    pub async fn open_with_options(&self, options: &StoreOptions) -> Store {
        match Store::open_with(&self.location, options).await {
            Ok(store) => store,
            Err(e) => panic!("{}: open failed: {e}", self.backend),
        }
    }

    /// Opens the store with `migrations` instead of the built-in list.
    pub async fn open_with(&self, migrations: &[Migration]) -> Result<Store, StoreError> {
        Store::open_with_migrations(&self.location, migrations).await
    }

    /// Runs a one-value integer query on a separate, direct connection (to look at the
    /// database behind the store's back).
    pub async fn scalar(&self, sql: &str) -> Result<i64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite:{}", self.location)).await?;
                let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await;
                conn.close().await?;
                value
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.location).await?;
                let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await;
                conn.close().await?;
                value
            }
        }
    }

    /// The newest built-in migration's version: tests that add migrations number theirs
    /// after it.
    pub fn latest_version(&self) -> u32 {
        self.migrations().last().map_or(0, |m| m.version)
    }

    /// The built-in migrations plus `extra`, as an owned list.
    pub fn migrations_plus(&self, extra: &[Migration]) -> Vec<Migration> {
        let mut list = self.migrations().to_vec();
        list.extend_from_slice(extra);
        list
    }
}

/// A fresh database per available backend: SQLite always, PostgreSQL when configured.
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    if let Some(admin) = admin_url("the PostgreSQL half of this test is skipped (SQLite ran)") {
        dbs.push(postgres(&admin).await);
    }
    dbs
}

/// The PostgreSQL admin URL, for PostgreSQL-only tests (same rules as [`backends`]).
pub fn postgres_admin_url() -> Option<String> {
    admin_url("this PostgreSQL-only test is skipped")
}

/// The admin URL; without one, fails under `CI=true`, else notes `skipped` on stderr.
fn admin_url(skipped: &str) -> Option<String> {
    match std::env::var(PG_URL_VAR) {
        Ok(admin) if !admin.trim().is_empty() => Some(admin),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "{PG_URL_VAR} is not set but CI=true: the store's PostgreSQL tests must run \
                 in CI; run `eval \"$(scripts/ensure-postgres)\"` first"
            );
            eprintln!(
                "note: {PG_URL_VAR} is not set, so {skipped}; run \
                 `eval \"$(scripts/ensure-postgres)\"` to include PostgreSQL"
            );
            None
        }
    }
}

/// A fresh SQLite location in a new temporary directory, under a missing subdirectory.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory can be created");
    let path = dir.path().join("nested").join("dir").join("palisade.db");
    TestDb {
        backend: Backend::Sqlite,
        location: path.to_str().expect("temp paths are UTF-8").to_owned(),
        _dir: Some(dir),
        _pg: None,
    }
}

/// A fresh PostgreSQL database created through `admin`.
pub async fn postgres(admin: &str) -> TestDb {
    let name = format!("palisade_test_{}", unique_suffix());
    admin_execute(admin, &format!("CREATE DATABASE \"{name}\"")).await;
    TestDb {
        backend: Backend::Postgres,
        location: with_database(admin, &name),
        _dir: None,
        _pg: Some(PgDatabase {
            admin: admin.to_owned(),
            name,
            role: None,
        }),
    }
}

/// A fresh PostgreSQL database owned by a fresh login role with a password of its own
/// (so a test knows a password that appears nowhere else); returns it and the password.
pub async fn postgres_with_own_role(admin: &str) -> (TestDb, String) {
    let suffix = unique_suffix();
    let name = format!("palisade_test_{suffix}");
    let role = format!("palisade_test_role_{suffix}");
    let password = format!("Pw-{}", unique_suffix());
    admin_execute(
        admin,
        &format!("CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'"),
    )
    .await;
    let db = TestDb {
        backend: Backend::Postgres,
        location: with_database(&with_credentials(admin, &role, &password), &name),
        _dir: None,
        _pg: Some(PgDatabase {
            admin: admin.to_owned(),
            name: name.clone(),
            role: Some(role.clone()),
        }),
    };
    admin_execute(
        admin,
        &format!("CREATE DATABASE \"{name}\" OWNER \"{role}\""),
    )
    .await;
    (db, password)
}

/// Runs one statement as the admin, failing the test on error.
async fn admin_execute(admin: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to the PostgreSQL in {PG_URL_VAR} ({}): {e}",
                palisade_store::redact_location(admin)
            )
        });
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("test set-up failed: {e}"));
    let _ = conn.close().await;
}

/// A test database (and maybe role) on the PostgreSQL server, dropped when this is dropped.
struct PgDatabase {
    admin: String,
    name: String,
    role: Option<String>,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let mut statements = vec![format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )];
        if let Some(role) = &self.role {
            statements.push(format!("DROP ROLE IF EXISTS \"{role}\""));
        }
        // Drop runs inside the test's runtime (or while panicking): use a thread with a
        // runtime of its own.
        let admin = self.admin.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .map_err(|e| e.to_string())?;
                for statement in statements {
                    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement))
                        .execute(&mut conn)
                        .await
                    {
                        let _ = conn.close().await;
                        return Err(e.to_string());
                    }
                }
                let _ = conn.close().await;
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

/// Replaces the user and password in a PostgreSQL URL.
pub fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let scheme_end = url.find("://").expect("the admin URL has a scheme") + 3;
    let rest = &url[scheme_end..];
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{}{user}:{password}@{host}", &url[..scheme_end])
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").expect("the admin URL has a scheme") + 3;
    let rest = &base[scheme_end..];
    let host_start = rest.rfind('@').map_or(0, |at| at + 1);
    let authority_end = rest[host_start..]
        .find('/')
        .map_or(base.len(), |slash| scheme_end + host_start + slash);
    let mut out = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A short suffix unlikely to repeat across processes and tests.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = format!(
        "{:?}:{}:{}",
        std::time::SystemTime::now(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    hex::encode(Sha256::digest(seed.as_bytes()))[..16].to_owned()
}

/// A syntactically valid, distinct SHA-256 hex digest of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Leaks a string so it can serve as a migration's `&'static str` (tests only).
pub fn leak(text: String) -> &'static str {
    text.leak()
}

#[test]
fn with_credentials_replaces_user_info() {
    assert_eq!(
        with_credentials("postgres://a:b@h:1/db", "u", "p"),
        "postgres://u:p@h:1/db"
    );
    assert_eq!(
        with_credentials("postgres://h/db", "u", "p"),
        "postgres://u:p@h/db"
    );
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://u:p@127.0.0.1:5432/postgres", "t1"),
        "postgres://u:p@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u@h:1?sslmode=disable", "t2"),
        "postgres://u@h:1/t2?sslmode=disable"
    );
}

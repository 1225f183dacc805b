//! A fresh target database per test: mapped roles, a table, an issuer, and
//! logins as the issued roles.

use std::str::FromStr;
use std::sync::Mutex;

use jiff::Timestamp;
use palisade_access::postgres::{PgIssuer, ROLE_PREFIX};
use palisade_model::{Access, DbRoles, Resource, ResourceKind};
use palisade_test_support::db::{self, TestDb};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};

/// A target database, dropped (with every role the test made) afterwards.
pub struct Target {
    // Dropped first: the database goes, then the roles that held privileges in it.
    _db: TestDb,
    cleanup: RoleCleanup,
    /// The server's admin URL (on the `postgres` database).
    pub admin: String,
    /// The fresh database's name.
    pub database: String,
    /// `host:port` of the server.
    pub address: String,
    /// The role `read` maps to: SELECT on `payments`.
    pub read_role: String,
    /// The role `deploy` maps to: SELECT and INSERT on `payments`, CREATE in `public`.
    pub deploy_role: String,
    /// A suffix unique to this test, for more names.
    pub suffix: String,
}

/// The target, or `None` (after a note) when no test PostgreSQL is configured.
pub async fn target() -> Option<Target> {
    let admin = db::postgres_admin_url()?;
    let test_db = db::postgres(&admin).await;
    let database = test_db
        .location()
        .rsplit('/')
        .next()
        .expect("a database URL has a path")
        .to_owned();
    let options = PgConnectOptions::from_str(&admin).expect("the admin URL parses");
    let address = format!("{}:{}", options.get_host(), options.get_port());
    let suffix = db::unique_suffix();
    let read_role = format!("payments_ro_{suffix}");
    let deploy_role = format!("payments_rw_{suffix}");
    let target = Target {
        _db: test_db,
        cleanup: RoleCleanup {
            admin: admin.clone(),
            database: database.clone(),
            roles: Mutex::new(vec![read_role.clone(), deploy_role.clone()]),
        },
        admin,
        database,
        address,
        read_role,
        deploy_role,
        suffix,
    };
    target
        .execute(&format!(
            "CREATE TABLE payments (id int PRIMARY KEY, amount int NOT NULL);
             INSERT INTO payments VALUES (1, 100), (2, 250);
             CREATE ROLE \"{ro}\" NOLOGIN;
             GRANT SELECT ON payments TO \"{ro}\";
             CREATE ROLE \"{rw}\" NOLOGIN;
             GRANT SELECT, INSERT ON payments TO \"{rw}\";
             GRANT CREATE ON SCHEMA public TO \"{rw}\";",
            ro = target.read_role,
            rw = target.deploy_role,
        ))
        .await;
    Some(target)
}

impl Target {
    /// The database resource: read and deploy mapped, admin not.
    pub fn resource(&self) -> Resource {
        self.resource_with(DbRoles {
            read: Some(self.read_role.clone()),
            deploy: Some(self.deploy_role.clone()),
            admin: None,
        })
    }

    /// The database resource with `db_roles`.
    pub fn resource_with(&self, db_roles: DbRoles) -> Resource {
        Resource {
            id: "payments-db".to_owned(),
            kind: ResourceKind::Database,
            address: Some(self.address.clone()),
            access: vec![Access::Read, Access::Deploy, Access::Admin],
            hosts: Vec::new(),
            database: Some(self.database.clone()),
            db_roles: Some(db_roles),
        }
    }

    /// An issuer for [`Target::resource`] as the test server's superuser.
    pub fn issuer(&self) -> PgIssuer {
        PgIssuer::new(&self.admin, &self.resource()).expect("the resource is complete")
    }

    /// Logs in to the target database as `user`.
    pub async fn login(&self, user: &str, password: &str) -> Result<PgConnection, sqlx::Error> {
        let options = PgConnectOptions::from_str(&self.admin)
            .expect("the admin URL parses")
            .username(user)
            .password(password)
            .database(&self.database);
        PgConnection::connect_with(&options).await
    }

    /// An admin connection to the target database.
    pub async fn admin_conn(&self) -> PgConnection {
        let options = PgConnectOptions::from_str(&self.admin)
            .expect("the admin URL parses")
            .database(&self.database);
        PgConnection::connect_with(&options)
            .await
            .expect("the admin connects")
    }

    /// Runs statements as the admin in the target database.
    pub async fn execute(&self, sql: &str) {
        let mut conn = self.admin_conn().await;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("test set-up failed: {e}\n{sql}"));
        let _ = conn.close().await;
    }

    /// Whether a role of that name exists on the server.
    pub async fn role_exists(&self, role: &str) -> bool {
        let mut conn = self.admin_conn().await;
        let exists =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(role)
                .fetch_one(&mut conn)
                .await
                .expect("pg_roles is readable");
        let _ = conn.close().await;
        exists
    }

    /// The comment on a role.
    pub async fn role_comment(&self, role: &str) -> Option<String> {
        let mut conn = self.admin_conn().await;
        let comment = sqlx::query_scalar(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1",
        )
        .bind(role)
        .fetch_one(&mut conn)
        .await
        .expect("the role exists");
        let _ = conn.close().await;
        comment
    }

    /// Makes a role the test itself creates (dropped afterwards).
    pub async fn create_role(&self, role: &str, attributes: &str) {
        self.track_role(role);
        self.execute(&format!("CREATE ROLE \"{role}\" {attributes}"))
            .await;
    }

    /// Drops `role` after the test.
    pub fn track_role(&self, role: &str) {
        self.cleanup
            .roles
            .lock()
            .expect("no test panicked holding the list")
            .push(role.to_owned());
    }
}

/// `now` plus (or minus) some seconds, from the real clock PostgreSQL also reads.
pub fn in_seconds(seconds: i64) -> Timestamp {
    Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .expect("a near time is in range")
}

/// The SQLSTATE of a server error.
pub fn sql_state(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|db| db.code())
        .map(|c| c.into_owned())
}

/// Drops the test's own roles and every Palisade role tagged for its database.
struct RoleCleanup {
    admin: String,
    database: String,
    roles: Mutex<Vec<String>>,
}

impl Drop for RoleCleanup {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let tagged = format!("%\"database\":\"{}\"%", self.database);
        let mut roles = std::mem::take(&mut *self.roles.lock().unwrap_or_else(|e| e.into_inner()));
        // Drop runs inside the test's runtime (or while panicking): use a thread with a
        // runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(|e| e.to_string())?;
                let issued: Vec<String> = sqlx::query_scalar(
                    "SELECT rolname::text FROM pg_roles WHERE starts_with(rolname::text, $1) \
                     AND shobj_description(oid, 'pg_authid') LIKE $2",
                )
                .bind(ROLE_PREFIX)
                .bind(&tagged)
                .fetch_all(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
                // Issued roles first: they are members of the mapped ones.
                roles.splice(0..0, issued);
                let mut failed = Vec::new();
                for role in roles {
                    let sql = format!("DROP ROLE IF EXISTS \"{}\"", role.replace('"', "\"\""));
                    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await {
                        failed.push(format!("{role}: {e}"));
                    }
                }
                let _ = conn.close().await;
                if failed.is_empty() {
                    Ok(())
                } else {
                    Err(failed.join("; "))
                }
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test roles: {e}"),
            Err(_) => eprintln!("warning: dropping test roles panicked"),
        }
    }
}

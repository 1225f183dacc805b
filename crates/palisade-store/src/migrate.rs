//! Our own small migration runner: embedded SQL files, applied in order, each in its own
//! transaction, checksummed so an edited migration is caught.
//!
//! Why not sqlx's `migrate`: it pulls in the macro crates (slow cold builds) and we want our
//! own messages and the PostgreSQL advisory lock for replicas starting at the same time.

use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::{Backend, StoreError};

/// One schema change: an embedded SQL script with a version and a name.
///
/// The SQL may hold several statements but no transaction control: the runner wraps each
/// migration in a transaction of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Position in the sequence, from 1, strictly increasing.
    pub version: u32,
    /// Short snake_case name (the file name without the version and `.sql`).
    pub name: &'static str,
    /// The SQL script.
    pub sql: &'static str,
}

impl Migration {
    /// The SHA-256 of the script, lower-case hex, with CRLF line ends read as LF (so a
    /// Windows checkout builds the same checksum).
    pub fn checksum(&self) -> String {
        let normalized = self.sql.replace("\r\n", "\n");
        hex::encode(Sha256::digest(normalized.as_bytes()))
    }
}

/// Declares the built-in migrations once, so that both backends always have
/// the same versions and names: each entry embeds
/// `migrations/{sqlite,postgres}/<file>.sql`.
macro_rules! builtin_migrations {
    ($(($version:literal, $name:literal, $file:literal)),+ $(,)?) => {
        /// The SQLite migrations built into this binary.
        static SQLITE: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/sqlite/", $file, ".sql")),
        }),+];
        /// The PostgreSQL migrations built into this binary.
        static POSTGRES: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/postgres/", $file, ".sql")),
        }),+];
    };
}

builtin_migrations![
    (1, "init", "0001_init"),
    (2, "ledger", "0002_ledger"),
    (3, "ledger low nodes", "0003_ledger_low_nodes"),
    (4, "ledger subject index", "0004_ledger_subject_index"),
    (5, "access", "0005_access"),
    (6, "access credentials", "0006_access_credentials"),
    (7, "access reviews", "0007_access_reviews"),
    (8, "monitor", "0008_monitor"),
    (9, "monitor profiles", "0009_monitor_profiles"),
    (10, "metrics", "0010_metrics"),
    (11, "monitor follow", "0011_monitor_follow"),
    (12, "monitor last use", "0012_monitor_last_use"),
];

/// The migrations this binary applies on `backend`, oldest first.
pub fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// A migration recorded as applied in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The migration's version.
    pub version: u32,
    /// The migration's name.
    pub name: String,
    /// SHA-256 of its SQL when it was applied, lower-case hex.
    pub checksum: String,
    /// When it was applied.
    pub applied_at: jiff::Timestamp,
}

/// Key for `pg_advisory_xact_lock`: "palisade" in ASCII, so it is recognisable in
/// `pg_locks` and unlikely to collide with another application's lock.
const PG_LOCK_KEY: i64 = 0x7061_6c69_7361_6465;

/// Creates the bookkeeping table; the same SQL on both backends.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS palisade_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT   NOT NULL,
    checksum   TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Lists applied migrations, oldest first (also used by `Store::migration_status`).
pub(crate) const SELECT_APPLIED: &str =
    "SELECT version, name, checksum, applied_at FROM palisade_migrations ORDER BY version";

/// Records an applied migration, stamped with the database's own clock (unix
/// microseconds), as a column default would: the store reads no clock itself.
const SQLITE_INSERT_APPLIED: &str = "INSERT INTO palisade_migrations \
     (version, name, checksum, applied_at) \
     VALUES ($1, $2, $3, CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))";
const PG_INSERT_APPLIED: &str = "INSERT INTO palisade_migrations \
     (version, name, checksum, applied_at) \
     VALUES ($1, $2, $3, CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS BIGINT))";

/// A row of `palisade_migrations` as stored.
pub(crate) type AppliedRow = (i64, String, String, i64);

/// A connection the runner works on.
pub(crate) enum MigrationConn<'c> {
    /// SQLite: serialised by `BEGIN IMMEDIATE`.
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL: serialised by a transaction-scoped advisory lock.
    Postgres(&'c mut PgConnection),
}

/// Runs one step of migration in a transaction that holds the backend's write lock: creates
/// the bookkeeping table, checks what is applied against `$migrations`, applies the first
/// missing migration (recording it with `$insert_applied`). Evaluates to
/// `Result<bool, StoreError>`: whether one was applied.
macro_rules! step {
    ($tx:ident, $migrations:expr, $insert_applied:expr) => {{
        sqlx::query(CREATE_TABLE)
            .execute(&mut *$tx)
            .await
            .map_err(StoreError::db("creating the migrations table"))?;
        let rows: Vec<AppliedRow> = sqlx::query_as(SELECT_APPLIED)
            .fetch_all(&mut *$tx)
            .await
            .map_err(StoreError::db("reading applied migrations"))?;
        let applied = rows
            .into_iter()
            .map(applied_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        match next_migration(&applied, $migrations)? {
            None => {
                $tx.commit()
                    .await
                    .map_err(StoreError::db("finishing the migration check"))?;
                Ok::<bool, StoreError>(false)
            }
            Some(migration) => {
                let failed = |source| StoreError::MigrationFailed {
                    version: migration.version,
                    name: migration.name.to_owned(),
                    source,
                };
                sqlx::raw_sql(migration.sql)
                    .execute(&mut *$tx)
                    .await
                    .map_err(failed)?;
                sqlx::query($insert_applied)
                    .bind(i64::from(migration.version))
                    .bind(migration.name)
                    .bind(migration.checksum())
                    .execute(&mut *$tx)
                    .await
                    .map_err(failed)?;
                $tx.commit().await.map_err(failed)?;
                Ok(true)
            }
        }
    }};
}

/// Brings the database up to `migrations`, one transaction per migration.
///
/// Every step re-reads the applied set under the backend's lock, so several processes (or
/// replicas) migrating at once apply each migration exactly once; the others wait, then
/// find nothing left to do.
pub(crate) async fn run(
    conn: MigrationConn<'_>,
    migrations: &[Migration],
) -> Result<(), StoreError> {
    validate(migrations)?;
    match conn {
        MigrationConn::Sqlite(conn) => loop {
            let mut tx = conn
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(StoreError::db("locking the database for migration"))?;
            if !step!(tx, migrations, SQLITE_INSERT_APPLIED)? {
                return Ok(());
            }
        },
        MigrationConn::Postgres(conn) => loop {
            let mut tx = conn
                .begin()
                .await
                .map_err(StoreError::db("starting a migration transaction"))?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LOCK_KEY)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db("taking the migration lock"))?;
            if !step!(tx, migrations, PG_INSERT_APPLIED)? {
                return Ok(());
            }
        },
    }
}

/// Converts a stored `palisade_migrations` row.
pub(crate) fn applied_from_row(row: AppliedRow) -> Result<AppliedMigration, StoreError> {
    let (version, name, checksum, applied_at) = row;
    let version = u32::try_from(version).map_err(|_| StoreError::Corrupt {
        what: "migration version",
        reason: format!("{version} is not a valid version"),
    })?;
    let applied_at =
        jiff::Timestamp::from_microsecond(applied_at).map_err(|e| StoreError::Corrupt {
            what: "migration time",
            reason: e.to_string(),
        })?;
    Ok(AppliedMigration {
        version,
        name,
        checksum,
        applied_at,
    })
}

/// Checks that versions start at 1 or more and strictly increase.
pub(crate) fn validate(migrations: &[Migration]) -> Result<(), StoreError> {
    let mut previous = 0;
    for migration in migrations {
        if migration.version <= previous {
            return Err(StoreError::InvalidMigrations(format!(
                "migration {:04} {} does not come after version {previous:04}",
                migration.version, migration.name
            )));
        }
        previous = migration.version;
    }
    Ok(())
}

/// Decides what to do given what is applied: the first known migration not yet applied, or
/// none; or an error when the database does not match this binary.
fn next_migration<'m>(
    applied: &[AppliedMigration],
    migrations: &'m [Migration],
) -> Result<Option<&'m Migration>, StoreError> {
    let known = migrations.last().map_or(0, |m| m.version);
    if let Some(newest) = applied.iter().map(|a| a.version).max()
        && newest > known
    {
        return Err(StoreError::SchemaTooNew {
            database: newest,
            known,
        });
    }
    for done in applied {
        let Some(embedded) = migrations.iter().find(|m| m.version == done.version) else {
            return Err(StoreError::UnknownMigration {
                version: done.version,
                name: done.name.clone(),
            });
        };
        let checksum = embedded.checksum();
        if checksum != done.checksum {
            return Err(StoreError::MigrationChanged {
                version: done.version,
                name: embedded.name.to_owned(),
                applied: done.checksum.clone(),
                embedded: checksum,
            });
        }
    }
    Ok(migrations
        .iter()
        .find(|m| !applied.iter().any(|a| a.version == m.version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(m: &Migration) -> AppliedMigration {
        AppliedMigration {
            version: m.version,
            name: m.name.to_owned(),
            checksum: m.checksum(),
            applied_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    const A: Migration = Migration {
        version: 1,
        name: "a",
        sql: "CREATE TABLE a (x INTEGER)",
    };
    const B: Migration = Migration {
        version: 2,
        name: "b",
        sql: "CREATE TABLE b (x INTEGER)",
    };

    #[test]
    fn built_in_lists_agree_across_backends() {
        let sqlite = migrations(Backend::Sqlite);
        let postgres = migrations(Backend::Postgres);
        assert!(!sqlite.is_empty());
        assert!(validate(sqlite).is_ok());
        assert!(validate(postgres).is_ok());
        let names =
            |list: &[Migration]| list.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(sqlite), names(postgres));
    }

    #[test]
    fn checksum_ignores_crlf() {
        let crlf = Migration {
            sql: "CREATE TABLE a (x INTEGER)\r\n",
            ..A
        };
        let lf = Migration {
            sql: "CREATE TABLE a (x INTEGER)\n",
            ..A
        };
        assert_eq!(crlf.checksum(), lf.checksum());
        assert_ne!(lf.checksum(), A.checksum());
        assert_eq!(A.checksum().len(), 64);
    }

    #[test]
    fn plans_missing_in_order() {
        let list = [A, B];
        assert_eq!(next_migration(&[], &list).ok().flatten(), Some(&A));
        assert_eq!(
            next_migration(&[applied(&A)], &list).ok().flatten(),
            Some(&B)
        );
        assert_eq!(
            next_migration(&[applied(&A), applied(&B)], &list)
                .ok()
                .flatten(),
            None
        );
    }

    #[test]
    fn rejects_unordered_lists() {
        assert!(validate(&[B, A]).is_err());
        assert!(validate(&[A, A]).is_err());
        assert!(validate(&[Migration { version: 0, ..A }]).is_err());
    }

    #[test]
    fn detects_unknown_applied_migration() {
        let gap = Migration { version: 3, ..B };
        let list = [A, gap];
        let err = next_migration(&[applied(&A), applied(&B)], &list);
        assert!(
            matches!(err, Err(StoreError::UnknownMigration { version: 2, .. })),
            "{err:?}"
        );
    }
}

//! The one error type of the store.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong in the store.
///
/// Messages never contain a database password: locations are redacted before they are put
/// in an error (see [`crate::redact_location`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The location is neither a path nor a supported database URL, or the URL is malformed.
    #[error("invalid database location {location}: {reason}")]
    InvalidLocation {
        /// The location as given, password redacted.
        location: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The directory that should hold the SQLite file could not be created.
    #[error("could not create directory {} for the database: {source}", path.display())]
    CreateDir {
        /// The directory that could not be created.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// The SQLite database could not be opened or set up.
    #[error("could not open SQLite database at {location}: {source}")]
    OpenSqlite {
        /// The path or `sqlite:` URL.
        location: String,
        /// The driver's error.
        source: sqlx::Error,
    },

    /// The PostgreSQL server could not be reached at all (refused, unreachable, timed out).
    #[error("could not connect to PostgreSQL at {target}: {detail}; is the server running?")]
    PostgresUnreachable {
        /// `host:port` or the socket directory.
        target: String,
        /// What the operating system or driver said, password redacted.
        detail: String,
    },

    /// The PostgreSQL server answered but the connection failed (authentication, unknown
    /// database, TLS).
    #[error(
        "PostgreSQL at {target} refused the connection: {detail}; check the user, password and database in the URL"
    )]
    PostgresRejected {
        /// `host:port` or the socket directory.
        target: String,
        /// What the server or driver said, password redacted.
        detail: String,
    },

    /// An applied migration's SQL differs from the one built into this binary.
    #[error(
        "migration {version:04} {name} was changed after it was applied (database has checksum {applied}, this palisade has {embedded}); restore the original migration and put the change in a new migration"
    )]
    MigrationChanged {
        /// The migration's version.
        version: u32,
        /// The migration's name.
        name: String,
        /// Checksum recorded in the database when it was applied.
        applied: String,
        /// Checksum of the migration built into this binary.
        embedded: String,
    },

    /// The database was migrated by a newer palisade.
    #[error(
        "database schema version {database} is newer than this palisade (knows up to {known}); upgrade palisade"
    )]
    SchemaTooNew {
        /// Highest migration version applied to the database.
        database: u32,
        /// Highest migration version this binary knows.
        known: u32,
    },

    /// The database records a migration this binary does not have, below its newest one.
    #[error(
        "database has migration {version:04} {name}, which this palisade does not know; was it made by a different build?"
    )]
    UnknownMigration {
        /// The unknown migration's version.
        version: u32,
        /// The unknown migration's name, as recorded in the database.
        name: String,
    },

    /// A migration list is not in strictly increasing version order (a bug, not a user error).
    #[error("invalid migration list: {0}")]
    InvalidMigrations(String),

    /// Applying a migration failed; its transaction was rolled back.
    #[error("migration {version:04} {name} failed: {source}")]
    MigrationFailed {
        /// The migration's version.
        version: u32,
        /// The migration's name.
        name: String,
        /// The database's error.
        source: sqlx::Error,
    },

    /// A value given to the store is not acceptable.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },

    /// A value read from the database is not what the schema promises.
    #[error("corrupt {what} in the database: {reason}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: String,
    },

    /// Another writer held the ledger's write lock for longer than the store waits.
    /// Nothing was changed: the operation can be retried ([`StoreError::is_retryable`]).
    #[error(
        "another writer held the ledger for {}s while {context}; nothing was changed, try again",
        waited.as_secs()
    )]
    Busy {
        /// What the store was doing, e.g. "starting a ledger append".
        context: &'static str,
        /// How long it waited.
        waited: Duration,
    },

    /// A ledger node that was asked for is not stored.
    #[error("ledger node at level {level}, index {idx} is not in the database")]
    MissingNode {
        /// The node's level (0 for a leaf hash).
        level: u8,
        /// The node's index within its level.
        idx: u64,
    },

    /// A row with the same key is already stored; nothing from the statement was written.
    #[error("{what} is already stored: {detail}")]
    Conflict {
        /// What was being written, e.g. "ledger entry".
        what: &'static str,
        /// The database's message.
        detail: String,
    },

    /// Any other database error, with what the store was doing.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing, e.g. "recording a model version".
        context: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
}

impl StoreError {
    /// Whether the operation failed only because other writers kept the database busy:
    /// nothing was changed and running it again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Busy { .. } => true,
            StoreError::Database { source, .. } => is_transient(source),
            _ => false,
        }
    }

    /// Wraps a driver error with what the store was doing.
    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { context, source }
    }
}

/// Whether a driver error says "busy, try again": SQLite's `SQLITE_BUSY`, PostgreSQL's
/// serialization failure, deadlock or lock timeout, or no free pooled connection in time.
pub(crate) fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            matches!(code.as_ref(), "40001" | "40P01" | "55P03") || is_sqlite_busy_code(&code)
        }),
        _ => false,
    }
}

/// Whether a SQLite result code is `SQLITE_BUSY`, with any extended code.
pub(crate) fn is_sqlite_busy_code(code: &str) -> bool {
    const SQLITE_BUSY: i32 = 5;
    // PostgreSQL's SQLSTATEs have five characters; SQLite's codes are shorter numbers.
    code.len() < 5
        && code
            .parse::<i32>()
            .is_ok_and(|code| code & 0xff == SQLITE_BUSY)
}

//! Opening the database, running migrations, and what every backend shares.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, PgPool, SqlitePool};

use crate::StoreError;
use crate::location::{Location, SqliteSpec, scrub};
use crate::migrate::{self, AppliedMigration, AppliedRow, Migration, MigrationConn};

/// How long a writer waits for another by default (see [`StoreOptions::lock_timeout`]).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a PostgreSQL server to answer the first connection.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a query waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Pooled connections per PostgreSQL store (per replica).
const PG_MAX_CONNECTIONS: u32 = 10;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite: a local file (or memory).
    Sqlite,
    /// PostgreSQL: a server, reached by URL.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// The connection pool behind a store.
#[derive(Clone)]
pub(crate) enum Pool {
    /// SQLite pool.
    Sqlite(SqlitePool),
    /// PostgreSQL pool.
    Postgres(PgPool),
}

/// Runs the same code on whichever pool the store has; `$pool` is bound to the concrete
/// `SqlitePool` or `PgPool`, so the body is type-checked once per backend. Both backends
/// accept `$1`-style placeholders, so the SQL is shared.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// How a [`Store`] is opened: [`StoreOptions::default`] is what [`Store::open`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// How long a writer waits for another before giving up: SQLite's busy timeout, and
    /// on both backends the wait for the ledger's write lock (past it,
    /// [`StoreError::Busy`]). [`DEFAULT_LOCK_TIMEOUT`] unless set.
    pub lock_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

impl StoreOptions {
    /// Waits at most `wait` for another writer (see [`StoreOptions::lock_timeout`]).
    pub fn lock_timeout(mut self, wait: Duration) -> Self {
        self.lock_timeout = wait;
        self
    }
}

/// A handle on Palisade's database: cheap to clone (clones share one connection pool).
///
/// Its `Display` and `Debug` show the location with any password redacted.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    backend: Backend,
    location: String,
    store_id: String,
    /// Queues this process's ledger writers before they reach the database's lock (see
    /// [`Store::ledger_begin`]); shared by clones.
    pub(crate) ledger_queue: Arc<tokio::sync::Mutex<()>>,
    /// SQLite files only: the in-thread connection for the ledger's point reads.
    pub(crate) reader: Option<Arc<crate::reader::Reader>>,
    /// How long a ledger writer waits for the others (see [`StoreOptions::lock_timeout`]).
    pub(crate) lock_timeout: Duration,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} database {}", self.backend, self.location)
    }
}

impl Store {
    /// Opens (creating if needed) the database at `location` and brings its schema up to
    /// date.
    ///
    /// `location` is a file path (parent directories and the file are created), a `sqlite:`
    /// URL (`sqlite:data/p.db`, `sqlite::memory:`), or a `postgres://` / `postgresql://`
    /// URL. SQLite runs in WAL mode with `synchronous=FULL`, foreign keys on and a busy
    /// timeout. Pending migrations are applied, each in its own transaction; on PostgreSQL
    /// an advisory lock lets several replicas start at once.
    pub async fn open(location: &str) -> Result<Store, StoreError> {
        Self::open_with(location, &StoreOptions::default()).await
    }

    /// Like [`Store::open`], with `options`.
    pub async fn open_with(location: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let parsed = Location::parse(location)?;
        let backend = match parsed {
            Location::Sqlite { .. } => Backend::Sqlite,
            Location::Postgres { .. } => Backend::Postgres,
        };
        Self::open_parsed(parsed, migrate::migrations(backend), options).await
    }

    /// Like [`Store::open`] but applies `migrations` instead of the built-in list; the
    /// caller must pass a list written for the location's backend. For the migration
    /// runner's tests.
    #[doc(hidden)]
    pub async fn open_with_migrations(
        location: &str,
        migrations: &[Migration],
    ) -> Result<Store, StoreError> {
        Self::open_parsed(
            Location::parse(location)?,
            migrations,
            &StoreOptions::default(),
        )
        .await
    }

    async fn open_parsed(
        location: Location,
        migrations: &[Migration],
        options: &StoreOptions,
    ) -> Result<Store, StoreError> {
        // A broken list is a bug in the binary: refuse before touching the database.
        migrate::validate(migrations)?;
        let shown = location.display();
        let mut reader = None;
        let (pool, backend) = match location {
            Location::Sqlite { spec, path } => {
                reader = path
                    .as_deref()
                    .map(|p| Arc::new(crate::reader::Reader::new(p)));
                (
                    open_sqlite(spec, path, &shown, migrations, options.lock_timeout).await?,
                    Backend::Sqlite,
                )
            }
            Location::Postgres { url, secrets } => (
                open_postgres(&url, &secrets, &shown, migrations).await?,
                Backend::Postgres,
            ),
        };
        let mut store = Store {
            pool,
            backend,
            location: shown,
            store_id: String::new(),
            ledger_queue: Arc::new(tokio::sync::Mutex::new(())),
            reader,
            lock_timeout: options.lock_timeout,
        };
        store.store_id = store.ensure_store_id().await?;
        Ok(store)
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the database is, as it may be shown: any password replaced by `***`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The store's identity: made once when the database is created, never changed.
    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// The migrations recorded as applied, oldest first.
    pub async fn migration_status(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        let rows: Vec<AppliedRow> = with_pool!(self, pool => {
            sqlx::query_as(migrate::SELECT_APPLIED).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading applied migrations"))?;
        rows.into_iter().map(migrate::applied_from_row).collect()
    }

    /// The newest applied migration's version (0 for an empty database).
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .migration_status()
            .await?
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0))
    }

    /// Closes every pooled connection, waiting for queries in flight; later calls on this
    /// store or its clones fail.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
    }

    /// Reads one SQLite setting (`journal_mode`, `synchronous`, `foreign_keys`,
    /// `busy_timeout`, `temp_store`) as the pool's connections see it; `None` on PostgreSQL. For tests.
    #[doc(hidden)]
    pub async fn sqlite_pragma(&self, name: &str) -> Result<Option<String>, StoreError> {
        let query = match name {
            "journal_mode" => "PRAGMA journal_mode",
            "synchronous" => "PRAGMA synchronous",
            "foreign_keys" => "PRAGMA foreign_keys",
            "busy_timeout" => "PRAGMA busy_timeout",
            "temp_store" => "PRAGMA temp_store",
            _ => {
                return Err(StoreError::InvalidInput {
                    what: "pragma name",
                    reason: format!("{name} is not one the store reports"),
                });
            }
        };
        let Pool::Sqlite(pool) = &self.pool else {
            return Ok(None);
        };
        let row = sqlx::query(query)
            .fetch_one(pool)
            .await
            .map_err(StoreError::db("reading a SQLite setting"))?;
        // Pragmas answer with text or integers; SQLite converts either to text.
        let value: String = sqlx::Row::try_get_unchecked(&row, 0)
            .map_err(StoreError::db("reading a SQLite setting"))?;
        Ok(Some(value))
    }

    /// Records the store's identity on first open; returns the one recorded.
    async fn ensure_store_id(&self) -> Result<String, StoreError> {
        let candidate = new_store_id();
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO palisade_meta (key, value) VALUES ('store_id', $1) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(candidate.as_str())
            .execute(pool)
            .await
            .map(drop)
        })
        .map_err(StoreError::db("recording the store id"))?;
        with_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM palisade_meta WHERE key = 'store_id'")
                .fetch_one(pool)
                .await
        })
        .map_err(StoreError::db("reading the store id"))
    }
}

/// A fresh, practically unique store id: 128 random bits from the operating system, in hex.
/// Should the system have no randomness to give, what differs between two creations
/// (process, stack address, a counter) is hashed instead.
fn new_store_id() -> String {
    let mut bytes = [0_u8; 16];
    if getrandom::fill(&mut bytes).is_ok() {
        return hex::encode(bytes);
    }
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let marker = 0_u8;
    let seed = format!(
        "{}:{:p}:{}",
        std::process::id(),
        &marker,
        COUNTER.fetch_add(1, Ordering::Relaxed),
    );
    let digest = hex::encode(Sha256::digest(seed.as_bytes()));
    digest[..32].to_owned()
}

async fn open_sqlite(
    spec: SqliteSpec,
    path: Option<std::path::PathBuf>,
    shown: &str,
    migrations: &[Migration],
    lock_timeout: Duration,
) -> Result<Pool, StoreError> {
    if let Some(parent) = path.as_deref().and_then(std::path::Path::parent)
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let in_memory = path.is_none();
    let options = match spec {
        SqliteSpec::Path(path) => SqliteConnectOptions::new().filename(path),
        SqliteSpec::Url(url) => {
            SqliteConnectOptions::from_str(&url).map_err(|e| StoreError::InvalidLocation {
                location: shown.to_owned(),
                reason: e.to_string(),
            })?
        }
    }
    .create_if_missing(true)
    .journal_mode(SqliteJournalMode::Wal)
    .synchronous(SqliteSynchronous::Full)
    .foreign_keys(true)
    .busy_timeout(lock_timeout)
    // Statement journals (kept while a multi-row insert runs inside a transaction, so it
    // can be undone alone) go to memory instead of a temporary file: measured to halve
    // the time of a 1,000-entry ledger append.
    .pragma("temp_store", "memory")
    // Reads map the file instead of copying each page out of the OS cache: a walk of the
    // whole ledger (verification) spends a fifth less time, and a proof's scattered node
    // lookups make no system call once the pages are mapped. Address space only; the
    // OS cache holds the pages either way. Writes still go through the WAL.
    .pragma("mmap_size", "1073741824");

    let pool_options = SqlitePoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A SQLite connection is a file handle in this process, not a socket that can
        // go stale: pinging it before each use (sqlx's default) only adds a round trip
        // to its worker thread, a third of the time of a small read.
        .test_before_acquire(false);
    // An in-memory database lives as long as a connection to it: keep exactly one.
    let pool_options = if in_memory {
        pool_options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        pool_options
    };
    let opened = |source| StoreError::OpenSqlite {
        location: shown.to_owned(),
        source,
    };
    // Processes opening a brand-new file at the same moment can get "database is locked"
    // while one of them switches it to WAL: SQLite does not wait on the busy handler
    // there, so we wait and retry, within the same time a busy writer would get (measured
    // on the monotonic clock: the caller chose the timeout, not the time).
    let deadline = std::time::Instant::now() + lock_timeout;
    let mut pause = Duration::from_millis(5);
    let (pool, mut conn) = loop {
        let attempt = async {
            let pool = pool_options.clone().connect_with(options.clone()).await?;
            let conn = pool.acquire().await?;
            Ok::<_, sqlx::Error>((pool, conn))
        };
        match attempt.await {
            Ok(opened) => break opened,
            Err(error) if is_sqlite_busy(&error) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(error) => return Err(opened(error)),
        }
    };
    migrate::run(MigrationConn::Sqlite(&mut conn), migrations).await?;
    drop(conn);
    Ok(Pool::Sqlite(pool))
}

/// Whether SQLite said "database is locked" (`SQLITE_BUSY`, any extended code).
pub(crate) fn is_sqlite_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| crate::error::is_sqlite_busy_code(&code)),
        _ => false,
    }
}

async fn open_postgres(
    url: &str,
    secrets: &[String],
    shown: &str,
    migrations: &[Migration],
) -> Result<Pool, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::InvalidLocation {
            location: shown.to_owned(),
            reason: scrub(&e.to_string(), secrets),
        })?
        .application_name("palisade");
    let target = match options.get_socket() {
        Some(dir) => dir.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };

    // One plain connection first: the pool would retry a refused connection until its
    // timeout and then report only "timed out", losing the reason.
    let mut conn = match tokio::time::timeout(
        PG_CONNECT_TIMEOUT,
        PgConnection::connect_with(&options),
    )
    .await
    {
        Ok(Ok(conn)) => conn,
        Ok(Err(error)) => return Err(connect_error(error, target, secrets)),
        Err(_elapsed) => {
            return Err(StoreError::PostgresUnreachable {
                target,
                detail: format!("no answer within {}s", PG_CONNECT_TIMEOUT.as_secs()),
            });
        }
    };
    let migrated = migrate::run(MigrationConn::Postgres(&mut conn), migrations).await;
    // Closing politely is a courtesy; the migrations' outcome is what matters.
    let _ = conn.close().await;
    migrated?;

    let pool = PgPoolOptions::new()
        .max_connections(PG_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options);
    Ok(Pool::Postgres(pool))
}

/// Turns a failed first connection into a message that says what to check.
fn connect_error(error: sqlx::Error, target: String, secrets: &[String]) -> StoreError {
    match error {
        sqlx::Error::Io(io) => StoreError::PostgresUnreachable {
            target,
            detail: scrub(&io.to_string(), secrets),
        },
        sqlx::Error::Database(db) => {
            let code = db
                .code()
                .map(|c| format!(" (SQLSTATE {c})"))
                .unwrap_or_default();
            StoreError::PostgresRejected {
                target,
                detail: scrub(&format!("{}{code}", db.message()), secrets),
            }
        }
        other => StoreError::PostgresRejected {
            target,
            detail: scrub(&other.to_string(), secrets),
        },
    }
}

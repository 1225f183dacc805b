//! The ledger's write transaction, which serialises every writer in the database, and
//! what is written in it: entries, node hashes and checkpoints. Cosignatures, which
//! change nothing a proof depends on, are written outside it.

use std::fmt;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, PgPool, Postgres, Sqlite, SqlitePool};

use super::conn::{Conn, check_level, check_text, index_param, on_conn};
use super::rows::{LedgerCheckpoint, LedgerCosignature, LedgerRow};
use super::sql::{
    ENTRY_COLUMN_COUNT, NODE_COLUMN_COUNT, pg_lock_sql, power_of_two_runs, rows_per_insert,
    values_sql,
};
use super::{nodes, read, subjects};
use crate::store::{Pool, is_sqlite_busy, with_pool};
use crate::{Store, StoreError};

/// The open transaction behind a [`LedgerTx`].
enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// A ledger write transaction holding the ledger's lock in the database: no other writer,
/// in this process or any other, appends until it is committed or dropped.
///
/// Dropping it without [`LedgerTx::commit`] rolls everything back. After an error, drop it
/// (PostgreSQL refuses further statements in a failed transaction).
pub struct LedgerTx<'s> {
    // Declared first so it is dropped (rolled back) before the queue is released.
    tx: Tx,
    /// Whether entries were inserted: the subject index may then be due for filling.
    pub(super) wrote_entries: bool,
    _queue: tokio::sync::MutexGuard<'s, ()>,
}

impl fmt::Debug for LedgerTx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match self.tx {
            Tx::Sqlite(_) => crate::Backend::Sqlite,
            Tx::Postgres(_) => crate::Backend::Postgres,
        };
        f.debug_struct("LedgerTx")
            .field("backend", &backend)
            .finish_non_exhaustive()
    }
}

impl LedgerTx<'_> {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.tx {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    /// The number of entries in the log (the highest index plus one, 0 when empty), as
    /// this transaction sees it: no other writer can change it before commit.
    pub async fn size(&mut self) -> Result<u64, StoreError> {
        read::size(self.conn()).await
    }

    /// The hashes of the nodes `(level, idx)`, in the order asked (one query per 1,024).
    /// Fails with [`StoreError::MissingNode`] naming the first one not stored.
    pub async fn nodes(&mut self, ids: &[(u8, u64)]) -> Result<Vec<[u8; 32]>, StoreError> {
        nodes::nodes(self.conn(), ids).await
    }

    /// [`LedgerTx::nodes`] and [`LedgerTx::leaf_hashes`] in one query.
    pub async fn nodes_and_leaves(
        &mut self,
        ids: &[(u8, u64)],
        leaves: std::ops::Range<u64>,
    ) -> Result<(Vec<[u8; 32]>, Vec<[u8; 32]>), StoreError> {
        nodes::nodes_and_leaves(self.conn(), ids, leaves).await
    }

    /// The leaf hashes of entries `from_idx..to_idx`, in one query. Fails with
    /// [`StoreError::MissingNode`] (level 0) naming the first entry not stored.
    pub async fn leaf_hashes(
        &mut self,
        from_idx: u64,
        to_idx: u64,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        nodes::leaf_hashes(self.conn(), from_idx, to_idx).await
    }

    /// Stores entries (multi-row inserts of up to 1,024 rows). An index already stored
    /// fails the call with [`StoreError::Conflict`]; the store does not check that indexes
    /// are contiguous (the lock makes `size()` then insert at that index safe). After an
    /// error, earlier statements of the same call may stand inside the transaction: drop
    /// it.
    pub async fn insert_entries(&mut self, rows: &[LedgerRow]) -> Result<(), StoreError> {
        self.wrote_entries = true;
        insert_entries(self.conn(), rows).await
    }

    /// Stores node hashes `(level, idx, hash)` (multi-row inserts). A node already stored
    /// fails the call with [`StoreError::Conflict`].
    pub async fn insert_nodes(&mut self, nodes: &[(u8, u64, [u8; 32])]) -> Result<(), StoreError> {
        insert_nodes(self.conn(), nodes).await
    }

    /// Stores a checkpoint. One per size: a second for the same size fails with
    /// [`StoreError::Conflict`].
    pub async fn insert_checkpoint(
        &mut self,
        checkpoint: &LedgerCheckpoint,
    ) -> Result<(), StoreError> {
        insert_checkpoint(self.conn(), checkpoint).await
    }

    /// The checkpoint with the largest size, as this transaction sees it.
    pub async fn latest_checkpoint(&mut self) -> Result<Option<LedgerCheckpoint>, StoreError> {
        read::latest_checkpoint(self.conn()).await
    }

    /// Makes everything written durable and releases the ledger's lock. When entries were
    /// written and the subject index is [`SUBJECT_INDEX_LAG`](crate::SUBJECT_INDEX_LAG) or more entries behind,
    /// it is filled first, in the same transaction.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if self.wrote_entries {
            subjects::fill_if_due(self.conn()).await?;
        }
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(StoreError::db("committing a ledger append"))
    }

    /// Discards everything written and releases the ledger's lock, waiting until the
    /// database has done so (dropping does the same without waiting).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
        .map_err(StoreError::db("rolling back a ledger append"))
    }
}

impl Store {
    /// Starts a ledger write transaction, waiting for other writers in any process or
    /// replica: SQLite `BEGIN IMMEDIATE`, retried while the database is busy; PostgreSQL a
    /// transaction holding `pg_advisory_xact_lock` on the ledger's key.
    ///
    /// Writers in this process also queue in memory first, so that they are served in
    /// turn and waiting ones hold no pooled connection; the lock in the database is what
    /// serialises appends. Waiting longer than the store's lock timeout in the queue, or
    /// for the database's lock, gives [`StoreError::Busy`] (retryable, nothing changed);
    /// see [`crate::StoreOptions::lock_timeout`]. A task holding a `LedgerTx` must not
    /// begin another: it would wait for itself until `Busy`.
    pub async fn ledger_begin(&self) -> Result<LedgerTx<'_>, StoreError> {
        // A monotonic clock, read only to measure this wait against the timeout the
        // caller chose (the store reads no time of day).
        let started = Instant::now();
        let wait = self.lock_timeout;
        let busy = || StoreError::Busy {
            context: "starting a ledger append",
            waited: started.elapsed(),
        };
        let queue = tokio::time::timeout(wait, self.ledger_queue.lock())
            .await
            .map_err(|_| busy())?;
        let tx = match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(begin_sqlite(pool, started + wait, busy).await?),
            Pool::Postgres(pool) => Tx::Postgres(begin_postgres(pool, wait, busy).await?),
        };
        Ok(LedgerTx {
            tx,
            wrote_entries: false,
            _queue: queue,
        })
    }

    /// Stores a witness's cosignature on a stored checkpoint. Returns `false`, keeping the
    /// first, when that witness's cosignature for that size is already stored; fails with
    /// [`StoreError::InvalidInput`] when no checkpoint of that size is stored.
    pub async fn ledger_insert_cosignature(
        &self,
        cosignature: &LedgerCosignature,
    ) -> Result<bool, StoreError> {
        let size = index_param(cosignature.size, "cosignature size")?;
        check_text(&cosignature.witness, "cosignature witness")?;
        check_text(&cosignature.line, "cosignature line")?;
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO ledger_cosignatures (size, witness, line, received_us) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (size, witness) DO NOTHING",
            )
            .bind(size)
            .bind(cosignature.witness.as_str())
            .bind(cosignature.line.as_str())
            .bind(cosignature.received_us)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(rows) => Ok(rows == 1),
            Err(error) => Err(match error.as_database_error() {
                Some(db) if db.is_foreign_key_violation() => StoreError::InvalidInput {
                    what: "cosignature",
                    reason: format!("no checkpoint of size {} is stored", cosignature.size),
                },
                _ => StoreError::Database {
                    context: "storing a ledger cosignature",
                    source: error,
                },
            }),
        }
    }
}

/// `BEGIN IMMEDIATE`, retried while SQLite says busy until `deadline`. SQLite already
/// waits its busy timeout inside `BEGIN IMMEDIATE`; the retries cover the moments it
/// answers busy without waiting (e.g. while another connection recovers the WAL).
async fn begin_sqlite(
    pool: &SqlitePool,
    deadline: Instant,
    busy: impl Fn() -> StoreError,
) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
    let mut pause = Duration::from_millis(1);
    loop {
        match pool.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => return Ok(tx),
            Err(error) if is_sqlite_busy(&error) => {
                if Instant::now() >= deadline {
                    return Err(busy());
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(error) => return Err(StoreError::db("starting a ledger append")(error)),
        }
    }
}

/// A transaction holding the ledger's advisory lock.
async fn begin_postgres(
    pool: &PgPool,
    wait: Duration,
    busy: impl Fn() -> StoreError,
) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(StoreError::db("starting a ledger append"))?;
    match sqlx::raw_sql(AssertSqlSafe(pg_lock_sql(wait)))
        .execute(&mut *tx)
        .await
    {
        Ok(_) => Ok(tx),
        Err(error) if crate::error::is_transient(&error) => Err(busy()),
        Err(error) => Err(StoreError::db("taking the ledger lock")(error)),
    }
}

async fn insert_entries(mut conn: Conn<'_>, rows: &[LedgerRow]) -> Result<(), StoreError> {
    for row in rows {
        index_param(row.idx, "ledger entry index")?;
        check_text(&row.actor, "ledger entry actor")?;
        check_text(&row.kind, "ledger entry kind")?;
        check_text(&row.subject, "ledger entry subject")?;
    }
    let per_statement = rows_per_insert(conn.max_params(), ENTRY_COLUMN_COUNT);
    for chunk in power_of_two_runs(rows, per_statement) {
        let sql = values_sql(
            "INSERT INTO ledger_entries (idx, leaf_hash, entry, time_us, actor, kind, subject) VALUES ",
            ENTRY_COLUMN_COUNT,
            chunk.len(),
            conn.placeholders(),
        );
        on_conn!(conn, c => {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in chunk {
                query = query
                    .bind(index_param(row.idx, "ledger entry index")?)
                    .bind(&row.leaf_hash[..])
                    .bind(&row.entry[..])
                    .bind(row.time_us)
                    .bind(row.actor.as_str())
                    .bind(row.kind.as_str())
                    .bind(row.subject.as_str());
            }
            query.execute(c).await.map(drop)
        })
        .map_err(|error| write_error(error, "ledger entry", "storing ledger entries"))?;
    }
    Ok(())
}

async fn insert_nodes(mut conn: Conn<'_>, nodes: &[(u8, u64, [u8; 32])]) -> Result<(), StoreError> {
    for &(level, idx, _) in nodes {
        check_level(level)?;
        index_param(idx, "ledger node index")?;
    }
    let per_statement = rows_per_insert(conn.max_params(), NODE_COLUMN_COUNT);
    for chunk in power_of_two_runs(nodes, per_statement) {
        let sql = values_sql(
            "INSERT INTO ledger_nodes (level, idx, hash) VALUES ",
            NODE_COLUMN_COUNT,
            chunk.len(),
            conn.placeholders(),
        );
        on_conn!(conn, c => {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (level, idx, hash) in chunk {
                query = query
                    .bind(i16::from(*level))
                    .bind(index_param(*idx, "ledger node index")?)
                    .bind(&hash[..]);
            }
            query.execute(c).await.map(drop)
        })
        .map_err(|error| write_error(error, "ledger node", "storing ledger nodes"))?;
    }
    Ok(())
}

async fn insert_checkpoint(
    mut conn: Conn<'_>,
    checkpoint: &LedgerCheckpoint,
) -> Result<(), StoreError> {
    let size = index_param(checkpoint.size, "checkpoint size")?;
    check_text(&checkpoint.note, "checkpoint note")?;
    on_conn!(conn, c => {
        sqlx::query(
            "INSERT INTO ledger_checkpoints (size, root, note, created_us) VALUES ($1, $2, $3, $4)",
        )
        .bind(size)
        .bind(&checkpoint.root[..])
        .bind(checkpoint.note.as_str())
        .bind(checkpoint.created_us)
        .execute(c)
        .await
        .map(drop)
    })
    .map_err(|error| write_error(error, "ledger checkpoint", "storing a ledger checkpoint"))?;
    Ok(())
}

/// Turns a failed insert into [`StoreError::Conflict`] when a key was already stored.
fn write_error(error: sqlx::Error, what: &'static str, context: &'static str) -> StoreError {
    match error.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict {
            what,
            detail: db.message().to_owned(),
        },
        _ => StoreError::Database {
            context,
            source: error,
        },
    }
}

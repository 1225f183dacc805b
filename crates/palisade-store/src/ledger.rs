//! Storage for the evidence ledger (an RFC 6962 / 9162 Merkle log): entries, perfect-subtree
//! node hashes, signed checkpoints and witness cosignatures.
//!
//! Only storage: the Merkle math, the canonical JSON and the signatures live in
//! palisade-ledger, which this crate does not know. Hashes are `[u8; 32]`, entries are
//! opaque bytes with a little metadata copied out of them so they can be queried.
//!
//! Appends are serialised in the database, so that any number of processes and server
//! replicas can share one log: [`Store::ledger_begin`] takes SQLite's write lock
//! (`BEGIN IMMEDIATE`) or a PostgreSQL advisory lock held until the transaction ends.

use std::fmt;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

use crate::store::{Pool, SQLITE_BUSY_TIMEOUT, is_sqlite_busy, with_pool};
use crate::{Store, StoreError};

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerRow {
    /// Position in the log, from 0.
    pub idx: u64,
    /// The entry's RFC 6962 leaf hash.
    pub leaf_hash: [u8; 32],
    /// The exact bytes that were hashed (canonical JSON); stored and returned unchanged.
    pub entry: Vec<u8>,
    /// When the decision was made, unix microseconds.
    pub time_us: i64,
    /// Who made it.
    pub actor: String,
    /// What sort of decision it is (indexed).
    pub kind: String,
    /// What it is about (indexed).
    pub subject: String,
}

impl LedgerRow {
    /// The row as a [`LedgerRowRef`].
    pub fn as_view(&self) -> LedgerRowRef<'_> {
        LedgerRowRef {
            idx: self.idx,
            leaf_hash: &self.leaf_hash,
            entry: &self.entry,
            time_us: self.time_us,
            actor: &self.actor,
            kind: &self.kind,
            subject: &self.subject,
        }
    }
}

/// One ledger entry as stored, borrowed from a [`LedgerRow`] or a [`LedgerEntryRun`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LedgerRowRef<'a> {
    /// Position in the log, from 0.
    pub idx: u64,
    /// The entry's RFC 6962 leaf hash.
    pub leaf_hash: &'a [u8; 32],
    /// The exact bytes that were hashed.
    pub entry: &'a [u8],
    /// When the decision was made, unix microseconds.
    pub time_us: i64,
    /// Who made it.
    pub actor: &'a str,
    /// What sort of decision it is.
    pub kind: &'a str,
    /// What it is about.
    pub subject: &'a str,
}

/// Consecutive entries read in one round trip: the database packs the rows of an index
/// range into one answer, which costs a fraction of streaming them row by row. Used to
/// walk the whole log quickly ([`Store::ledger_entry_run`]).
///
/// The packing relies on what the store lets in: canonical JSON entries hold no raw
/// newline and text columns no NUL. A run that does not unpack into exactly its rows
/// (rows edited behind the store's back, a gap in the indexes) gives `None` from
/// [`LedgerEntryRun::rows`]: read that range row by row to see what is there.
#[derive(Debug, Clone, Default)]
pub struct LedgerEntryRun(Run);

/// A packed range as read: where it starts, how many rows it holds, their lowest and
/// highest index, and the bytes.
#[derive(Debug, Clone, Default)]
struct Run {
    from: u64,
    count: u64,
    first: Option<u64>,
    last: Option<u64>,
    packed: Vec<u8>,
}

impl Run {
    /// Whether the rows' indexes run without a gap from the range's start.
    fn contiguous(&self) -> bool {
        self.first == Some(self.from) && self.last == Some(self.from + self.count - 1)
    }
}

impl LedgerEntryRun {
    /// How many rows the range holds.
    pub fn count(&self) -> u64 {
        self.0.count
    }

    /// The rows, in index order, when the range holds exactly `count` rows with
    /// consecutive indexes from the range's start and every one unpacks cleanly.
    pub fn rows(&self) -> Option<Vec<LedgerRowRef<'_>>> {
        let run = &self.0;
        if run.count == 0 {
            return run.packed.is_empty().then(Vec::new);
        }
        if !run.contiguous() {
            return None;
        }
        let mut rows = Vec::with_capacity(usize::try_from(run.count).ok()?);
        let mut rest = &run.packed[..];
        for idx in run.from..run.from + run.count {
            if idx > run.from {
                rest = rest.strip_prefix(b"\0")?;
            }
            let (leaf_hash, after) = rest.split_first_chunk::<32>()?;
            let (entry, after) = split_at_byte(after, b'\n')?;
            let (time, after) = split_at_byte(after, 0)?;
            let (actor, after) = split_at_byte(after, 0)?;
            let (kind, after) = split_at_byte(after, 0)?;
            let end = memchr::memchr(0, after).unwrap_or(after.len());
            let (subject, after) = after.split_at(end);
            rest = after;
            rows.push(LedgerRowRef {
                idx,
                leaf_hash,
                entry,
                time_us: parse_i64(time)?,
                actor: std::str::from_utf8(actor).ok()?,
                kind: std::str::from_utf8(kind).ok()?,
                subject: std::str::from_utf8(subject).ok()?,
            });
        }
        rest.is_empty().then_some(rows)
    }
}

/// A decimal `i64` as SQLite and PostgreSQL print one.
fn parse_i64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Splits at the first `byte`, dropping it.
fn split_at_byte(bytes: &[u8], byte: u8) -> Option<(&[u8], &[u8])> {
    let at = memchr::memchr(byte, bytes)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

/// Consecutive node hashes of one level read in one round trip
/// ([`Store::ledger_node_run`]).
#[derive(Debug, Clone, Default)]
pub struct LedgerNodeRun(Run);

impl LedgerNodeRun {
    /// How many nodes the range holds.
    pub fn count(&self) -> u64 {
        self.0.count
    }

    /// The hashes in index order, when the range holds exactly `count` nodes with
    /// consecutive indexes from the range's start, each 32 bytes.
    pub fn hashes(&self) -> Option<&[[u8; 32]]> {
        let run = &self.0;
        if run.count == 0 {
            return run.packed.is_empty().then_some(&[]);
        }
        if !run.contiguous() {
            return None;
        }
        let (hashes, rest) = run.packed.as_chunks::<32>();
        (rest.is_empty() && hashes.len() as u64 == run.count).then_some(hashes)
    }
}

/// A signed checkpoint (tree head) of the log at one size.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerCheckpoint {
    /// Number of entries the checkpoint covers.
    pub size: u64,
    /// The Merkle tree hash of those entries.
    pub root: [u8; 32],
    /// The signed note, exactly as signed.
    pub note: String,
    /// When it was made, unix microseconds.
    pub created_us: i64,
}

/// A witness's cosignature on a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerCosignature {
    /// Size of the checkpoint it signs (the checkpoint must be stored).
    pub size: u64,
    /// The witness's name.
    pub witness: String,
    /// The cosignature line, exactly as received.
    pub line: String,
    /// When it was received, unix microseconds.
    pub received_us: i64,
}

/// How long a ledger writer waits for the others before [`StoreError::Busy`]: SQLite's
/// busy timeout, and the same on PostgreSQL.
const LEDGER_LOCK_WAIT: Duration = SQLITE_BUSY_TIMEOUT;

/// Takes the ledger's PostgreSQL lock for the rest of the transaction, waiting at most
/// [`LEDGER_LOCK_WAIT`]. The key is "pal:ledg" in ASCII (`i64::from_be_bytes`), apart from
/// the migration lock's and recognisable in `pg_locks`.
const PG_LOCK_SQL: &str =
    "SET LOCAL lock_timeout = '10s'; SELECT pg_advisory_xact_lock(8097872603171349607)";

/// SQLite's bind-parameter limit: `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite
/// (3.51; the default since 3.32).
const SQLITE_MAX_PARAMS: usize = 32_766;
/// PostgreSQL's bind-parameter limit: the protocol counts them in 16 bits.
const PG_MAX_PARAMS: usize = 65_535;
/// Most rows per multi-row `INSERT` (far below both limits). A 1,000-entry batch measured
/// the same with 256 as with 1,024: past a few hundred rows the index updates and the
/// commit dominate.
const MAX_ROWS_PER_INSERT: usize = 1024;
/// Node ids per lookup query (a power of two: lookups are padded to one).
const MAX_NODES_PER_LOOKUP: usize = 1024;
const _: () = assert!(
    MAX_NODES_PER_LOOKUP.is_power_of_two() && MAX_NODES_PER_LOOKUP * 3 <= SQLITE_MAX_PARAMS
);

/// The columns of `ledger_entries`, in [`EntryRecord`] order (a macro, for `concat!`).
macro_rules! entry_columns {
    () => {
        "idx, leaf_hash, entry, time_us, actor, kind, subject"
    };
}
/// The columns of `ledger_checkpoints`, in [`CheckpointRecord`] order.
macro_rules! checkpoint_columns {
    () => {
        "size, root, note, created_us"
    };
}
const ENTRY_COLUMN_COUNT: usize = 7;
const NODE_COLUMN_COUNT: usize = 3;

/// How far the subject index may fall behind the entries before an append brings it up
/// to date: flagging 16,384 entries at once writes each subject's index page once instead
/// of once per append. Queries by subject bring it up to date first, whatever the lag.
pub const SUBJECT_INDEX_LAG: u64 = 16_384;

/// Flags every entry from `upto` on for the partial subject index, then moves `upto` to
/// the end (both backends).
const FILL_SUBJECTS: &str = "UPDATE ledger_entries SET subject_indexed = 1 \
     WHERE idx >= (SELECT upto FROM ledger_subjects_upto) AND subject_indexed = 0; \
     UPDATE ledger_subjects_upto SET upto = (SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries)";
/// How many entries the subject index is behind (negative when entries were removed).
const SUBJECTS_BEHIND: &str = "SELECT (SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries) \
     - (SELECT upto FROM ledger_subjects_upto)";
/// The subject index against its record: the entries it should hold (`0..upto`), and how
/// many it holds and the highest (one scan of the partial index).
const CHECK_SUBJECTS: &str = "SELECT (SELECT upto FROM ledger_subjects_upto), count(*), max(idx) \
     FROM ledger_entries WHERE subject_indexed = 1";
/// The first entry whose flag disagrees with `upto`, when the counts say one does.
const FIRST_UNINDEXED: &str = "SELECT idx FROM ledger_entries \
     WHERE (idx < $1 AND subject_indexed = 0) OR (idx >= $1 AND subject_indexed = 1) \
     ORDER BY idx LIMIT 1";

const SELECT_SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries";

// Packed reads: one answer row for a whole index range. Each backend has its own
// aggregate; SQLite's reads the rows in the order of the subquery, an idx-ordered walk of
// the table's own B-tree, so it needs no sort.

/// An entry range packed as `leaf_hash entry \n time_us \0 actor \0 kind \0 subject`,
/// rows joined by `\0` (see [`LedgerEntryRun`]). SQLite's `concat()` builds each row's
/// bytes in one allocation, where a chain of `||` makes one per operator: a third less
/// time for the whole run.
const SQLITE_ENTRY_RUN: &str = "SELECT count(*), min(idx), max(idx), group_concat(packed, x'00') \
     FROM (SELECT idx, concat(leaf_hash, entry, x'0a', time_us, x'00', actor, x'00', kind, \
     x'00', subject) AS packed \
     FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx)";
const PG_ENTRY_RUN: &str = "SELECT count(*), min(idx), max(idx), string_agg(leaf_hash || entry \
     || '\\x0a'::bytea || convert_to(time_us::text, 'UTF8') || '\\x00'::bytea \
     || convert_to(actor, 'UTF8') || '\\x00'::bytea || convert_to(kind, 'UTF8') \
     || '\\x00'::bytea || convert_to(subject, 'UTF8'), '\\x00'::bytea ORDER BY idx) \
     FROM ledger_entries WHERE idx >= $1 AND idx < $2";

/// The leaf hashes of an entry range, concatenated.
const SQLITE_LEAF_HASHES: &str = "SELECT count(*), group_concat(leaf_hash, '') \
     FROM (SELECT leaf_hash FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx)";
const PG_LEAF_HASHES: &str = "SELECT count(*), string_agg(leaf_hash, ''::bytea ORDER BY idx) \
     FROM ledger_entries WHERE idx >= $1 AND idx < $2";

/// The node hashes of an index range of one level, concatenated.
const SQLITE_NODE_RUN: &str = "SELECT count(*), min(idx), max(idx), group_concat(hash, '') \
     FROM (SELECT idx, hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 \
     ORDER BY idx)";
const PG_NODE_RUN: &str = "SELECT count(*), min(idx), max(idx), \
     string_agg(hash, ''::bytea ORDER BY idx) \
     FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3";

/// Node indexes the packed lookup encodes (`idx * 64 + level` must fit an `i64`).
const MAX_PACKED_NODE_INDEX: u64 = 1 << 57;

/// Nodes by id (`$1`, a JSON array of `idx * 64 + level`) and the leaf hashes of entries
/// `$2..$3`, each packed: how many were found, and the hashes in the order asked.
const SQLITE_NODES_AND_LEAVES: &str = "WITH \
     n AS (SELECT count(hash) AS found, group_concat(hash, '') AS hashes FROM \
       (SELECT ledger_nodes.hash AS hash FROM json_each($1) AS wanted \
        LEFT JOIN ledger_nodes ON ledger_nodes.level = (wanted.value & 63) \
        AND ledger_nodes.idx = (wanted.value >> 6) ORDER BY wanted.key)), \
     l AS (SELECT count(*) AS found, group_concat(leaf_hash, '') AS hashes FROM \
       (SELECT leaf_hash FROM ledger_entries WHERE idx >= $2 AND idx < $3 ORDER BY idx)) \
     SELECT n.found, n.hashes, l.found, l.hashes FROM n, l";
/// The same for PostgreSQL: `$1` levels and `$2` indexes as arrays, entries `$3..$4`.
const PG_NODES_AND_LEAVES: &str = "WITH \
     wanted AS (SELECT * FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY \
       AS w (level, idx, ord)), \
     n AS (SELECT count(ledger_nodes.hash) AS found, \
       string_agg(ledger_nodes.hash, ''::bytea ORDER BY wanted.ord) AS hashes \
       FROM wanted LEFT JOIN ledger_nodes ON ledger_nodes.level = wanted.level \
       AND ledger_nodes.idx = wanted.idx), \
     l AS (SELECT count(*) AS found, string_agg(leaf_hash, ''::bytea ORDER BY idx) AS hashes \
       FROM ledger_entries WHERE idx >= $3 AND idx < $4) \
     SELECT n.found, n.hashes, l.found, l.hashes FROM n, l";

/// Stored nodes per level.
const NODE_COUNTS: &str = "SELECT level, count(*) FROM ledger_nodes GROUP BY level ORDER BY level";

/// A packed range as the database answers it: row count, lowest and highest index, bytes.
type RunRecord = (i64, Option<i64>, Option<i64>, Option<Vec<u8>>);

/// A `ledger_entries` row as stored.
type EntryRecord = (i64, Vec<u8>, Vec<u8>, i64, String, String, String);
/// A `ledger_checkpoints` row as stored.
type CheckpointRecord = (i64, Vec<u8>, String, i64);
/// A `ledger_cosignatures` row as stored.
type CosignatureRecord = (i64, String, String, i64);

/// A connection to run ledger statements on: pooled, or inside a [`LedgerTx`].
enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    fn max_params(&self) -> usize {
        match self {
            Conn::Sqlite(_) => SQLITE_MAX_PARAMS,
            Conn::Postgres(_) => PG_MAX_PARAMS,
        }
    }

    /// `sqlite` or `postgres`, whichever SQL suits this connection.
    fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Conn::Sqlite(_) => sqlite,
            Conn::Postgres(_) => postgres,
        }
    }

    fn placeholders(&self) -> Placeholders {
        match self {
            Conn::Sqlite(_) => Placeholders::Anonymous,
            Conn::Postgres(_) => Placeholders::Numbered,
        }
    }
}

/// Runs `$body` with `$c` bound to the concrete `&mut SqliteConnection` or
/// `&mut PgConnection` behind a [`Conn`], so the body is type-checked once per backend.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut $conn {
            Conn::Sqlite(inner) => {
                let $c: &mut SqliteConnection = &mut **inner;
                $body
            }
            Conn::Postgres(inner) => {
                let $c: &mut PgConnection = &mut **inner;
                $body
            }
        }
    };
}

/// The subject index as checked against its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectIndexCheck {
    /// Entries in the index.
    pub rows: u64,
    /// The entries it should hold (`0..upto`); `None` when that record is gone.
    pub upto: Option<u64>,
    /// The first entry below `upto` missing from it, or at or beyond `upto` in it.
    pub first_wrong: Option<u64>,
}

impl SubjectIndexCheck {
    /// Whether the index holds exactly the entries below `upto`.
    pub fn is_consistent(&self) -> bool {
        self.first_wrong.is_none() && self.upto == Some(self.rows)
    }
}

/// A connection taken from the store's pool for a multi-statement read.
enum PooledConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl PooledConn {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            PooledConn::Sqlite(conn) => Conn::Sqlite(conn),
            PooledConn::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

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
    wrote_entries: bool,
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
    fn conn(&mut self) -> Conn<'_> {
        match &mut self.tx {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    /// The number of entries in the log (the highest index plus one, 0 when empty), as
    /// this transaction sees it: no other writer can change it before commit.
    pub async fn size(&mut self) -> Result<u64, StoreError> {
        size(self.conn()).await
    }

    /// The hashes of the nodes `(level, idx)`, in the order asked (one query per 1,024).
    /// Fails with [`StoreError::MissingNode`] naming the first one not stored.
    pub async fn nodes(&mut self, ids: &[(u8, u64)]) -> Result<Vec<[u8; 32]>, StoreError> {
        nodes(self.conn(), ids).await
    }

    /// [`LedgerTx::nodes`] and [`LedgerTx::leaf_hashes`] in one query.
    pub async fn nodes_and_leaves(
        &mut self,
        ids: &[(u8, u64)],
        leaves: std::ops::Range<u64>,
    ) -> Result<(Vec<[u8; 32]>, Vec<[u8; 32]>), StoreError> {
        nodes_and_leaves(self.conn(), ids, leaves).await
    }

    /// The leaf hashes of entries `from_idx..to_idx`, in one query. Fails with
    /// [`StoreError::MissingNode`] (level 0) naming the first entry not stored.
    pub async fn leaf_hashes(
        &mut self,
        from_idx: u64,
        to_idx: u64,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        leaf_hashes(self.conn(), from_idx, to_idx).await
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
        latest_checkpoint(self.conn()).await
    }

    /// Makes everything written durable and releases the ledger's lock. When entries were
    /// written and the subject index is [`SUBJECT_INDEX_LAG`] or more entries behind,
    /// it is filled first, in the same transaction.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if self.wrote_entries {
            let mut conn = self.conn();
            let behind: Option<i64> = on_conn!(conn, c => {
                sqlx::query_scalar(SUBJECTS_BEHIND).fetch_one(c).await
            })
            .map_err(StoreError::db("reading the ledger's subject index"))?;
            if behind.is_some_and(|b| b >= SUBJECT_INDEX_LAG as i64) {
                on_conn!(conn, c => sqlx::raw_sql(FILL_SUBJECTS).execute(c).await.map(drop))
                    .map_err(StoreError::db("filling the ledger's subject index"))?;
            }
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
    /// serialises appends. Waiting more than 10 s in the queue, or 10 s for the database's
    /// lock, gives [`StoreError::Busy`] (retryable, nothing changed). A task holding a `LedgerTx` must not begin another:
    /// it would wait for itself until `Busy`.
    pub async fn ledger_begin(&self) -> Result<LedgerTx<'_>, StoreError> {
        let started = Instant::now();
        let busy = || StoreError::Busy {
            context: "starting a ledger append",
            waited: started.elapsed(),
        };
        let queue = tokio::time::timeout(LEDGER_LOCK_WAIT, self.ledger_queue.lock())
            .await
            .map_err(|_| busy())?;
        let tx = match &self.pool {
            Pool::Sqlite(pool) => {
                Tx::Sqlite(begin_sqlite(pool, started + LEDGER_LOCK_WAIT, busy).await?)
            }
            Pool::Postgres(pool) => Tx::Postgres(begin_postgres(pool, busy).await?),
        };
        Ok(LedgerTx {
            tx,
            wrote_entries: false,
            _queue: queue,
        })
    }

    /// The number of entries in the log (the highest index plus one, 0 when empty).
    pub async fn ledger_size(&self) -> Result<u64, StoreError> {
        size(self.pooled("reading the ledger size").await?.conn()).await
    }

    /// The hashes of the nodes `(level, idx)`, in the order asked, in one query (per
    /// 1,024 ids). Fails with [`StoreError::MissingNode`] naming the first one not stored.
    pub async fn ledger_nodes(&self, ids: &[(u8, u64)]) -> Result<Vec<[u8; 32]>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        nodes(self.pooled("reading ledger nodes").await?.conn(), ids).await
    }

    /// [`Store::ledger_nodes`] and [`Store::ledger_leaf_hashes`] in one query (per 1,024
    /// ids): all a Merkle proof needs, in one round trip.
    pub async fn ledger_nodes_and_leaves(
        &self,
        ids: &[(u8, u64)],
        leaves: std::ops::Range<u64>,
    ) -> Result<(Vec<[u8; 32]>, Vec<[u8; 32]>), StoreError> {
        if let Some(reader) = &self.reader
            && let Some(found) = nodes_and_leaves_in_thread(reader, ids, &leaves)
        {
            return Ok(found);
        }
        nodes_and_leaves(
            self.pooled("reading ledger nodes").await?.conn(),
            ids,
            leaves,
        )
        .await
    }

    /// The leaf hashes of entries `from_idx..to_idx`, in one query. Fails with
    /// [`StoreError::MissingNode`] (level 0) naming the first entry not stored.
    pub async fn ledger_leaf_hashes(
        &self,
        from_idx: u64,
        to_idx: u64,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        leaf_hashes(
            self.pooled("reading ledger leaf hashes").await?.conn(),
            from_idx,
            to_idx,
        )
        .await
    }

    /// The entries `from_idx..to_idx` packed into one answer: walking the log this way
    /// is many times faster than [`Store::ledger_entries_chunk`]. See [`LedgerEntryRun`].
    pub async fn ledger_entry_run(
        &self,
        from_idx: u64,
        to_idx: u64,
    ) -> Result<LedgerEntryRun, StoreError> {
        let (Ok(from), to) = (i64::try_from(from_idx), clamp_i64(to_idx)) else {
            return Ok(LedgerEntryRun::default());
        };
        let record: RunRecord = with_pool!(self, pool => {
            sqlx::query_as(self.pick(SQLITE_ENTRY_RUN, PG_ENTRY_RUN))
                .bind(from)
                .bind(to)
                .fetch_one(pool)
                .await
        })
        .map_err(StoreError::db("reading ledger entries"))?;
        Ok(LedgerEntryRun(run_from_record(
            record,
            from_idx,
            "ledger entry run",
        )?))
    }

    /// The stored nodes of `level` with `from_idx <= idx < to_idx`, packed into one
    /// answer. See [`LedgerNodeRun`].
    pub async fn ledger_node_run(
        &self,
        level: u8,
        from_idx: u64,
        to_idx: u64,
    ) -> Result<LedgerNodeRun, StoreError> {
        let (Ok(from), to) = (i64::try_from(from_idx), clamp_i64(to_idx)) else {
            return Ok(LedgerNodeRun::default());
        };
        let record: RunRecord = with_pool!(self, pool => {
            sqlx::query_as(self.pick(SQLITE_NODE_RUN, PG_NODE_RUN))
                .bind(i16::from(level))
                .bind(from)
                .bind(to)
                .fetch_one(pool)
                .await
        })
        .map_err(StoreError::db("reading ledger nodes"))?;
        Ok(LedgerNodeRun(run_from_record(
            record,
            from_idx,
            "ledger node run",
        )?))
    }

    /// How many nodes are stored at each level, lowest level first (levels with none are
    /// left out).
    pub async fn ledger_node_counts(&self) -> Result<Vec<(u8, u64)>, StoreError> {
        let records: Vec<(i16, i64)> = with_pool!(self, pool => {
            sqlx::query_as(NODE_COUNTS).fetch_all(pool).await
        })
        .map_err(StoreError::db("counting ledger nodes"))?;
        records
            .into_iter()
            .map(|(level, count)| {
                let level = u8::try_from(level).map_err(|_| StoreError::Corrupt {
                    what: "ledger node level",
                    reason: format!("{level} is not a level"),
                })?;
                Ok((level, u64_from_db(count, "ledger node count")?))
            })
            .collect()
    }

    /// The entry at `idx`, if stored.
    pub async fn ledger_entry(&self, idx: u64) -> Result<Option<LedgerRow>, StoreError> {
        let Ok(idx) = i64::try_from(idx) else {
            return Ok(None);
        };
        let sql = concat!(
            "SELECT ",
            entry_columns!(),
            " FROM ledger_entries WHERE idx = $1"
        );
        let record: Option<EntryRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(idx).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a ledger entry"))?;
        record.map(row_from_record).transpose()
    }

    /// The entries with `from_idx <= idx < to_idx`, in log order.
    pub async fn ledger_entries(
        &self,
        from_idx: u64,
        to_idx: u64,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let (Ok(from), to) = (i64::try_from(from_idx), clamp_i64(to_idx)) else {
            return Ok(Vec::new());
        };
        if from >= to {
            return Ok(Vec::new());
        }
        let sql = concat!(
            "SELECT ",
            entry_columns!(),
            " FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx"
        );
        let records: Vec<EntryRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(from).bind(to).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading ledger entries"))?;
        records.into_iter().map(row_from_record).collect()
    }

    /// Up to `limit` entries from `from_idx` on, in log order: for walking the whole log
    /// (pass the last index read plus one to get the next chunk; an empty answer is the
    /// end). Each row has every column, so a verifier can check the metadata against the
    /// entry too.
    pub async fn ledger_entries_chunk(
        &self,
        from_idx: u64,
        limit: u32,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let Ok(from) = i64::try_from(from_idx) else {
            return Ok(Vec::new());
        };
        let sql = concat!(
            "SELECT ",
            entry_columns!(),
            " FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2"
        );
        let records: Vec<EntryRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(from)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        })
        .map_err(StoreError::db("reading ledger entries"))?;
        records.into_iter().map(row_from_record).collect()
    }

    /// Up to `limit` stored nodes `(level, idx, hash)` from `(level, idx) = from` on,
    /// ordered by level then index: for checking every stored node (pass the last one
    /// read with its index plus one to get the next chunk; an empty answer is the end).
    pub async fn ledger_nodes_chunk(
        &self,
        from: (u8, u64),
        limit: u32,
    ) -> Result<Vec<(u8, u64, [u8; 32])>, StoreError> {
        // An index no row can have (above i64::MAX) continues with the next level.
        let (level, idx) = match i64::try_from(from.1) {
            Ok(idx) => (i16::from(from.0), idx),
            Err(_) => (i16::from(from.0) + 1, 0),
        };
        let records: Vec<(i16, i64, Vec<u8>)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT level, idx, hash FROM ledger_nodes WHERE (level, idx) >= ($1, $2) \
                 ORDER BY level, idx LIMIT $3",
            )
            .bind(level)
            .bind(idx)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
        .map_err(StoreError::db("reading ledger nodes"))?;
        records
            .into_iter()
            .map(|(level, idx, hash)| {
                let level = u8::try_from(level).map_err(|_| StoreError::Corrupt {
                    what: "ledger node level",
                    reason: format!("{level} is not a level"),
                })?;
                Ok((
                    level,
                    u64_from_db(idx, "ledger node index")?,
                    hash_from_db(hash, "ledger node hash")?,
                ))
            })
            .collect()
    }

    /// Entries matching every filter given, in log order, `limit` of them after skipping
    /// `offset`: `kind` and `subject` match exactly; `since_us` is inclusive, `until_us`
    /// exclusive.
    pub async fn ledger_query(
        &self,
        kind: Option<&str>,
        subject: Option<&str>,
        since_us: Option<i64>,
        until_us: Option<i64>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        if subject.is_some() {
            self.ledger_fill_subjects().await?;
        }
        // Only the filters given go into the SQL, so each of the 16 shapes gets the plan
        // (and index) that suits it. A subject uses the partial index, brought up to date
        // just before.
        let mut sql = concat!("SELECT ", entry_columns!(), " FROM ledger_entries").to_owned();
        let mut params = 0;
        let mut conditions = Vec::new();
        if subject.is_some() {
            params += 1;
            conditions.push(format!("subject = ${params} AND subject_indexed = 1"));
        }
        for (given, condition) in [
            (kind.is_some(), "kind = "),
            (since_us.is_some(), "time_us >= "),
            (until_us.is_some(), "time_us < "),
        ] {
            if given {
                params += 1;
                conditions.push(format!("{condition}${params}"));
            }
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let _ = write!(
            sql,
            " ORDER BY idx LIMIT ${} OFFSET ${}",
            params + 1,
            params + 2
        );
        let records: Vec<EntryRecord> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(AssertSqlSafe(sql));
            if let Some(subject) = subject {
                query = query.bind(subject);
            }
            if let Some(kind) = kind {
                query = query.bind(kind);
            }
            if let Some(since) = since_us {
                query = query.bind(since);
            }
            if let Some(until) = until_us {
                query = query.bind(until);
            }
            query
                .bind(i64::from(limit))
                .bind(clamp_i64(offset))
                .fetch_all(pool)
                .await
        })
        .map_err(StoreError::db("querying ledger entries"))?;
        records.into_iter().map(row_from_record).collect()
    }

    /// Brings the subject index up to the last entry, when it is behind: a short write
    /// transaction (it waits for appends like one).
    pub async fn ledger_fill_subjects(&self) -> Result<(), StoreError> {
        let behind: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(SUBJECTS_BEHIND).fetch_one(pool).await
        })
        .map_err(StoreError::db("reading the ledger's subject index"))?;
        if behind.is_some_and(|b| b <= 0) {
            return Ok(());
        }
        let mut tx = self.ledger_begin().await?;
        let mut conn = tx.conn();
        on_conn!(conn, c => sqlx::raw_sql(FILL_SUBJECTS).execute(c).await.map(drop))
            .map_err(StoreError::db("filling the ledger's subject index"))?;
        tx.wrote_entries = false;
        tx.commit().await
    }

    /// Rebuilds the subject index from the entries: every entry flagged, its record set
    /// to the end of the log. Returns the number of entries indexed. Nothing an entry
    /// signs changes.
    pub async fn ledger_rebuild_subjects(&self) -> Result<u64, StoreError> {
        const FAILED: &str = "rebuilding the ledger's subject index";
        let mut tx = self.ledger_begin().await?;
        let mut conn = tx.conn();
        on_conn!(conn, c => {
            sqlx::raw_sql(
                "DELETE FROM ledger_subjects_upto; \
                 INSERT INTO ledger_subjects_upto (one, upto) \
                 SELECT 1, coalesce(max(idx) + 1, 0) FROM ledger_entries; \
                 UPDATE ledger_entries SET subject_indexed = 1 WHERE subject_indexed = 0;",
            )
            .execute(c)
            .await
            .map(drop)
        })
        .map_err(StoreError::db(FAILED))?;
        let rows: i64 = on_conn!(conn, c => {
            sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE subject_indexed = 1")
                .fetch_one(c)
                .await
        })
        .map_err(StoreError::db(FAILED))?;
        tx.commit().await?;
        Ok(u64::try_from(rows).unwrap_or(0))
    }

    /// Checks the subject index against its record (for `verify`): exactly the entries
    /// below `upto` must be in it.
    pub async fn ledger_check_subjects(&self) -> Result<SubjectIndexCheck, StoreError> {
        const FAILED: &str = "checking the ledger's subject index";
        let (upto, rows, max): (Option<i64>, i64, Option<i64>) = with_pool!(self, pool => {
            sqlx::query_as(CHECK_SUBJECTS).fetch_one(pool).await
        })
        .map_err(StoreError::db(FAILED))?;
        let upto = upto.and_then(|u| u64::try_from(u).ok());
        let rows = u64::try_from(rows).unwrap_or(0);
        let consistent = upto.is_some_and(|upto| {
            rows == upto && max.map_or(upto == 0, |m| u64::try_from(m).ok() == Some(upto - 1))
        });
        let first_wrong = match upto {
            Some(upto) if !consistent => {
                let first: Option<i64> = with_pool!(self, pool => {
                    sqlx::query_scalar(FIRST_UNINDEXED)
                        .bind(clamp_i64(upto))
                        .fetch_optional(pool)
                        .await
                })
                .map_err(StoreError::db(FAILED))?;
                first.and_then(|f| u64::try_from(f).ok())
            }
            _ => None,
        };
        Ok(SubjectIndexCheck {
            rows,
            upto,
            first_wrong,
        })
    }

    /// Up to `limit` checkpoints with `size >= from_size`, smallest size first.
    pub async fn ledger_checkpoints(
        &self,
        from_size: u64,
        limit: u32,
    ) -> Result<Vec<LedgerCheckpoint>, StoreError> {
        let Ok(from) = i64::try_from(from_size) else {
            return Ok(Vec::new());
        };
        let sql = concat!(
            "SELECT ",
            checkpoint_columns!(),
            " FROM ledger_checkpoints WHERE size >= $1 ORDER BY size LIMIT $2"
        );
        let records: Vec<CheckpointRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(from)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        })
        .map_err(StoreError::db("reading ledger checkpoints"))?;
        records.into_iter().map(checkpoint_from_record).collect()
    }

    /// The checkpoint with the largest size, if any.
    pub async fn ledger_latest_checkpoint(&self) -> Result<Option<LedgerCheckpoint>, StoreError> {
        latest_checkpoint(
            self.pooled("reading the latest ledger checkpoint")
                .await?
                .conn(),
        )
        .await
    }

    /// The checkpoint for `size`, if stored.
    pub async fn ledger_checkpoint(
        &self,
        size: u64,
    ) -> Result<Option<LedgerCheckpoint>, StoreError> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        let sql = concat!(
            "SELECT ",
            checkpoint_columns!(),
            " FROM ledger_checkpoints WHERE size = $1"
        );
        let record: Option<CheckpointRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(size).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a ledger checkpoint"))?;
        record.map(checkpoint_from_record).transpose()
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

    /// The cosignatures on the checkpoint of `size`, ordered by witness.
    pub async fn ledger_cosignatures(
        &self,
        size: u64,
    ) -> Result<Vec<LedgerCosignature>, StoreError> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(Vec::new());
        };
        let sql = concat!(
            "SELECT ",
            "size, witness, line, received_us",
            " FROM ledger_cosignatures WHERE size = $1 ORDER BY witness"
        );
        let records: Vec<CosignatureRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(size).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading ledger cosignatures"))?;
        records
            .into_iter()
            .map(|(size, witness, line, received_us)| {
                Ok(LedgerCosignature {
                    size: u64_from_db(size, "cosignature size")?,
                    witness,
                    line,
                    received_us,
                })
            })
            .collect()
    }

    /// TEST ONLY: runs `sql` as it is and returns the number of rows it changed.
    ///
    /// It exists so the ledger's tests can play an administrator with database access who
    /// edits or deletes rows behind palisade's back, and check that verification notices.
    /// Nothing else may call it: it bypasses every check the store makes.
    ///
    /// The SQL is the backend's own. SQLite's ledger tables are `STRICT`, so bytes must be
    /// written as blobs: `X'00ff'`, `unhex('00ff')`, `CAST(... AS BLOB)`; PostgreSQL takes
    /// `'\x00ff'::bytea` or `decode('00ff', 'hex')`.
    #[doc(hidden)]
    pub async fn ledger_tamper(&self, sql: &str) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(StoreError::db("running test-only SQL"))
    }

    /// `sqlite` or `postgres`, whichever SQL suits this store.
    fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match &self.pool {
            Pool::Sqlite(_) => sqlite,
            Pool::Postgres(_) => postgres,
        }
    }

    /// A pooled connection for a read that takes more than one statement.
    async fn pooled(&self, context: &'static str) -> Result<PooledConn, StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => pool.acquire().await.map(PooledConn::Sqlite),
            Pool::Postgres(pool) => pool.acquire().await.map(PooledConn::Postgres),
        }
        .map_err(StoreError::db(context))
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
    busy: impl Fn() -> StoreError,
) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(StoreError::db("starting a ledger append"))?;
    match sqlx::raw_sql(PG_LOCK_SQL).execute(&mut *tx).await {
        Ok(_) => Ok(tx),
        Err(error) if crate::error::is_transient(&error) => Err(busy()),
        Err(error) => Err(StoreError::db("taking the ledger lock")(error)),
    }
}

async fn size(mut conn: Conn<'_>) -> Result<u64, StoreError> {
    let size: i64 = on_conn!(conn, c => sqlx::query_scalar(SELECT_SIZE).fetch_one(c).await)
        .map_err(StoreError::db("reading the ledger size"))?;
    u64_from_db(size, "ledger size")
}

async fn leaf_hashes(
    mut conn: Conn<'_>,
    from_idx: u64,
    to_idx: u64,
) -> Result<Vec<[u8; 32]>, StoreError> {
    if from_idx >= to_idx {
        return Ok(Vec::new());
    }
    let from = index_param(from_idx, "ledger entry index")?;
    let to = index_param(to_idx, "ledger entry index")?;
    let sql = conn.pick(SQLITE_LEAF_HASHES, PG_LEAF_HASHES);
    let (count, packed): (i64, Option<Vec<u8>>) = on_conn!(conn, c => {
        sqlx::query_as(sql).bind(from).bind(to).fetch_one(c).await
    })
    .map_err(StoreError::db("reading ledger leaf hashes"))?;
    let packed = packed.unwrap_or_default();
    let (hashes, rest) = packed.as_chunks::<32>();
    if u64::try_from(count).ok() == Some(to_idx - from_idx)
        && rest.is_empty()
        && hashes.len() as u64 == to_idx - from_idx
    {
        return Ok(hashes.to_vec());
    }
    // Something is missing or malformed: name the first entry that is not there.
    let present: Vec<i64> = on_conn!(conn, c => {
        sqlx::query_scalar("SELECT idx FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await
    })
    .map_err(StoreError::db("reading ledger leaf hashes"))?;
    let missing = (from..to)
        .zip(
            present
                .iter()
                .copied()
                .map(Some)
                .chain(std::iter::repeat(None)),
        )
        .find(|&(want, got)| Some(want) != got)
        .map(|(want, _)| want);
    match missing {
        Some(idx) => Err(StoreError::MissingNode {
            level: 0,
            idx: u64_from_db(idx, "ledger entry index")?,
        }),
        None => Err(StoreError::Corrupt {
            what: "ledger leaf hashes",
            reason: format!("entries {from_idx}..{to_idx} do not hold 32-byte leaf hashes"),
        }),
    }
}

/// A packed range as the database answered it, starting at `from`.
fn run_from_record(
    (count, first, last, packed): RunRecord,
    from: u64,
    what: &'static str,
) -> Result<Run, StoreError> {
    Ok(Run {
        from,
        count: u64_from_db(count, what)?,
        first: first.map(|v| u64_from_db(v, what)).transpose()?,
        last: last.map(|v| u64_from_db(v, what)).transpose()?,
        packed: packed.unwrap_or_default(),
    })
}

async fn nodes(conn: Conn<'_>, ids: &[(u8, u64)]) -> Result<Vec<[u8; 32]>, StoreError> {
    Ok(nodes_and_leaves(conn, ids, 0..0).await?.0)
}

/// The hashes of the nodes `ids` and the leaf hashes of entries `leaves`, in one query
/// (per 1,024 ids): the answer is one packed row. When something is missing, it is
/// looked up again row by row to say what.
/// Node ids as SQLite's lookup takes them: a JSON array of `idx * 64 + level`.
fn sqlite_node_keys(ids: &[(u8, u64)]) -> String {
    let mut keys = String::with_capacity(ids.len() * 12 + 2);
    keys.push('[');
    for (n, &(level, idx)) in ids.iter().enumerate() {
        if n > 0 {
            keys.push(',');
        }
        let _ = write!(keys, "{}", (idx << 6) | u64::from(level));
    }
    keys.push(']');
    keys
}

/// Node hashes, in the order asked, and leaf hashes, in index order.
type NodesAndLeaves = (Vec<[u8; 32]>, Vec<[u8; 32]>);

/// [`nodes_and_leaves`] on the in-thread reader: `None` unless every node and leaf
/// came back, so that anything unusual goes the pool's way (which names what is missing).
fn nodes_and_leaves_in_thread(
    reader: &crate::reader::Reader,
    ids: &[(u8, u64)],
    leaves: &std::ops::Range<u64>,
) -> Option<NodesAndLeaves> {
    if ids
        .iter()
        .any(|&(level, idx)| level >= 64 || idx >= MAX_PACKED_NODE_INDEX)
    {
        return None;
    }
    let (from, to) = if leaves.start < leaves.end {
        (
            i64::try_from(leaves.start).ok()?,
            i64::try_from(leaves.end).ok()?,
        )
    } else {
        (0, 0)
    };
    let keys = sqlite_node_keys(ids);
    let (found, packed, leaf_count, leaf_packed) = reader.read(|c| {
        let mut statement = c.prepare_cached(SQLITE_NODES_AND_LEAVES)?;
        statement.query_row((keys.as_str(), from, to), |row| {
            let bytes = |i: usize| -> rusqlite::Result<Vec<u8>> {
                Ok(row
                    .get_ref(i)?
                    .as_bytes_or_null()?
                    .unwrap_or_default()
                    .to_vec())
            };
            Ok((
                row.get::<_, i64>(0)?,
                bytes(1)?,
                row.get::<_, i64>(2)?,
                bytes(3)?,
            ))
        })
    })?;
    let unpack = |count: i64, packed: &[u8], want: usize| {
        let (got, rest) = packed.as_chunks::<32>();
        (usize::try_from(count).ok() == Some(want) && rest.is_empty() && got.len() == want)
            .then(|| got.to_vec())
    };
    let hashes = unpack(found, &packed, ids.len())?;
    let leaves = unpack(leaf_count, &leaf_packed, usize::try_from(to - from).ok()?)?;
    Some((hashes, leaves))
}

async fn nodes_and_leaves(
    mut conn: Conn<'_>,
    ids: &[(u8, u64)],
    leaves: std::ops::Range<u64>,
) -> Result<(Vec<[u8; 32]>, Vec<[u8; 32]>), StoreError> {
    if ids.is_empty() {
        return Ok((
            Vec::new(),
            leaf_hashes(conn, leaves.start, leaves.end).await?,
        ));
    }
    let (from, to) = if leaves.start < leaves.end {
        (
            index_param(leaves.start, "ledger entry index")?,
            index_param(leaves.end, "ledger entry index")?,
        )
    } else {
        (0, 0)
    };
    let want_leaves = u64::try_from(to - from).unwrap_or(0);
    if ids
        .iter()
        .any(|&(level, idx)| level >= 64 || idx >= MAX_PACKED_NODE_INDEX)
    {
        // Beyond what the packed lookup encodes (logs of more than 2^57 entries): the
        // row-by-row lookup, which says which node is missing or out of range.
        let hashes = nodes_by_row(conn.reborrow(), ids).await?;
        return Ok((hashes, leaf_hashes(conn, leaves.start, leaves.end).await?));
    }
    // All ids in one parameter: `idx * 64 + level` each, as a JSON array for SQLite and
    // as arrays for PostgreSQL. One statement serves every lookup, whatever its length.
    let sql = conn.pick(SQLITE_NODES_AND_LEAVES, PG_NODES_AND_LEAVES);
    let answer: (i64, Option<Vec<u8>>, i64, Option<Vec<u8>>) = match &mut conn {
        Conn::Sqlite(c) => {
            sqlx::query_as(sql)
                .bind(sqlite_node_keys(ids))
                .bind(from)
                .bind(to)
                .fetch_one(&mut **c)
                .await
        }
        Conn::Postgres(c) => {
            let levels: Vec<i16> = ids.iter().map(|&(level, _)| i16::from(level)).collect();
            let idxs: Vec<i64> = ids.iter().map(|&(_, idx)| idx as i64).collect();
            sqlx::query_as(sql)
                .bind(levels)
                .bind(idxs)
                .bind(from)
                .bind(to)
                .fetch_one(&mut **c)
                .await
        }
    }
    .map_err(StoreError::db("reading ledger nodes"))?;
    let (found, packed, leaf_count, leaf_packed) = answer;
    let packed = packed.unwrap_or_default();
    let (got, rest) = packed.as_chunks::<32>();
    let hashes = if found == ids.len() as i64 && rest.is_empty() && got.len() == ids.len() {
        got.to_vec()
    } else {
        nodes_by_row(conn.reborrow(), ids).await?
    };
    let leaf_packed = leaf_packed.unwrap_or_default();
    let (got, rest) = leaf_packed.as_chunks::<32>();
    let leaves = if u64::try_from(leaf_count).ok() == Some(want_leaves)
        && rest.is_empty()
        && got.len() as u64 == want_leaves
    {
        got.to_vec()
    } else {
        leaf_hashes(conn, leaves.start, leaves.end).await?
    };
    Ok((hashes, leaves))
}

/// The ids of `chunk` numbered from 0, padded to `padded` by repeating the last one.
fn padded_ids(chunk: &[(u8, u64)], padded: usize) -> impl Iterator<Item = (usize, &(u8, u64))> {
    chunk
        .iter()
        .chain(std::iter::repeat(&chunk[chunk.len() - 1]))
        .take(padded)
        .enumerate()
}

/// [`nodes`] one answer row per id: slower, but says which one is missing.
async fn nodes_by_row(mut conn: Conn<'_>, ids: &[(u8, u64)]) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut hashes = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_NODES_PER_LOOKUP) {
        // Padded to a power of two by repeating the last id, so that a dozen statement
        // shapes serve every lookup and all of them stay prepared.
        let padded = chunk.len().next_power_of_two();
        let sql = lookup_sql(padded, conn.placeholders());
        let records: Vec<(i64, Option<Vec<u8>>)> = on_conn!(conn, c => {
            let mut query = sqlx::query_as(AssertSqlSafe(sql));
            for (ord, &(level, idx)) in padded_ids(chunk, padded) {
                // An index no row can have (above i64::MAX) looks up -1: reported missing.
                query = query
                    .bind(ord as i64)
                    .bind(i16::from(level))
                    .bind(i64::try_from(idx).unwrap_or(-1));
            }
            query.fetch_all(c).await
        })
        .map_err(StoreError::db("reading ledger nodes"))?;
        let mut records = records.into_iter();
        for (ord, &(level, idx)) in chunk.iter().enumerate() {
            match records.next() {
                Some((got, Some(hash))) if got == ord as i64 => {
                    hashes.push(hash_from_db(hash, "ledger node hash")?);
                }
                Some((got, None)) if got == ord as i64 => {
                    return Err(StoreError::MissingNode { level, idx });
                }
                other => {
                    return Err(StoreError::Corrupt {
                        what: "ledger node lookup",
                        reason: format!("expected the answer for position {ord}, got {other:?}"),
                    });
                }
            }
        }
    }
    Ok(hashes)
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

async fn latest_checkpoint(mut conn: Conn<'_>) -> Result<Option<LedgerCheckpoint>, StoreError> {
    let sql = concat!(
        "SELECT ",
        checkpoint_columns!(),
        " FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"
    );
    let record: Option<CheckpointRecord> = on_conn!(conn, c => {
        sqlx::query_as(sql).fetch_optional(c).await
    })
    .map_err(StoreError::db("reading the latest ledger checkpoint"))?;
    record.map(checkpoint_from_record).transpose()
}

/// How a statement writes its bind parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholders {
    /// `$1, $2, …`: PostgreSQL's only form.
    Numbered,
    /// `?, ?, …`: for SQLite's long statements. SQLite keeps `$N` and `?N` names in a
    /// list it searches linearly, both while parsing and when the driver asks each
    /// parameter's name to bind it: quadratic, 200 ms for a 1,000-row insert. Anonymous
    /// parameters have no name and bind in order.
    Anonymous,
}

/// `head` followed by `rows` groups of `columns` placeholders: `($1, $2), ($3, $4)`.
fn values_sql(head: &str, columns: usize, rows: usize, style: Placeholders) -> String {
    let mut sql = String::with_capacity(head.len() + rows * columns * 8);
    sql.push_str(head);
    let mut param = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            param += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            match style {
                Placeholders::Numbered => {
                    let _ = write!(sql, "${param}");
                }
                Placeholders::Anonymous => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Looks up `rows` node ids given as `(ord, level, idx)` triples, answering one row per
/// triple in `ord` order, with a NULL hash for a node not stored.
fn lookup_sql(rows: usize, style: Placeholders) -> String {
    // The casts type the CTE's columns on PostgreSQL; SQLite reads them as no-ops.
    let (first, rest) = match style {
        Placeholders::Numbered => (
            "(CAST($1 AS BIGINT), CAST($2 AS SMALLINT), CAST($3 AS BIGINT))",
            "($1, $2, $3)",
        ),
        Placeholders::Anonymous => (
            "(CAST(? AS BIGINT), CAST(? AS SMALLINT), CAST(? AS BIGINT))",
            "(?, ?, ?)",
        ),
    };
    let sql = values_sql("WITH wanted (ord, level, idx) AS (VALUES ", 3, rows, style);
    let mut sql = sql.replacen(rest, first, 1);
    sql.push_str(
        ") SELECT wanted.ord, ledger_nodes.hash FROM wanted \
         LEFT JOIN ledger_nodes ON ledger_nodes.level = wanted.level \
         AND ledger_nodes.idx = wanted.idx ORDER BY wanted.ord",
    );
    sql
}

/// The most rows one insert statement takes: a power of two, within the backend's
/// parameter limit.
fn rows_per_insert(max_params: usize, columns: usize) -> usize {
    let fit = (max_params / columns).min(MAX_ROWS_PER_INSERT);
    1 << fit.ilog2()
}

/// Splits `items` into runs whose lengths are powers of two, largest first, none longer
/// than `max` (a power of two). A batch of any size then runs as a few statements of at
/// most a dozen shapes, each prepared once per connection and kept in its statement
/// cache: preparing a 1,000-row insert costs about as much as running it.
fn power_of_two_runs<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let len = if items.len() >= max {
            max
        } else {
            1 << items.len().ilog2()
        };
        let (run, rest) = items.split_at(len);
        items = rest;
        Some(run)
    })
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

/// A `u64` index or size as the database stores it (`BIGINT`, so at most `i64::MAX`).
fn index_param(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput {
        what,
        reason: format!("{value} is above the largest storable value {}", i64::MAX),
    })
}

fn check_level(level: u8) -> Result<(), StoreError> {
    if level < 64 {
        Ok(())
    } else {
        Err(StoreError::InvalidInput {
            what: "ledger node level",
            reason: format!("{level} is above 63"),
        })
    }
}

/// Refuses NUL characters, which PostgreSQL cannot store in `TEXT`, on both backends alike.
fn check_text(value: &str, what: &'static str) -> Result<(), StoreError> {
    if value.contains('\0') {
        Err(StoreError::InvalidInput {
            what,
            reason: "it contains a NUL character".to_owned(),
        })
    } else {
        Ok(())
    }
}

/// An exclusive upper bound as a `BIGINT`: anything larger means "no bound".
fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn u64_from_db(value: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        what,
        reason: format!("{value} is negative"),
    })
}

fn hash_from_db(bytes: Vec<u8>, what: &'static str) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes).map_err(|bytes| StoreError::Corrupt {
        what,
        reason: format!("{} bytes instead of 32", bytes.len()),
    })
}

fn row_from_record(record: EntryRecord) -> Result<LedgerRow, StoreError> {
    let (idx, leaf_hash, entry, time_us, actor, kind, subject) = record;
    Ok(LedgerRow {
        idx: u64_from_db(idx, "ledger entry index")?,
        leaf_hash: hash_from_db(leaf_hash, "ledger leaf hash")?,
        entry,
        time_us,
        actor,
        kind,
        subject,
    })
}

fn checkpoint_from_record(record: CheckpointRecord) -> Result<LedgerCheckpoint, StoreError> {
    let (size, root, note, created_us) = record;
    Ok(LedgerCheckpoint {
        size: u64_from_db(size, "checkpoint size")?,
        root: hash_from_db(root, "checkpoint root")?,
        note,
        created_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_and_wait_are_as_documented() {
        let key = i64::from_be_bytes(*b"pal:ledg");
        assert!(PG_LOCK_SQL.contains(&format!("pg_advisory_xact_lock({key})")));
        assert!(PG_LOCK_SQL.contains(&format!("'{}s'", LEDGER_LOCK_WAIT.as_secs())));
    }

    #[test]
    fn values_sql_writes_every_placeholder() {
        let head = "INSERT INTO t (a, b) VALUES ";
        assert_eq!(
            values_sql(head, 2, 3, Placeholders::Numbered),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)"
        );
        assert_eq!(
            values_sql(head, 2, 2, Placeholders::Anonymous),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        let lookup = lookup_sql(2, Placeholders::Numbered);
        assert!(lookup.starts_with(
            "WITH wanted (ord, level, idx) AS (VALUES (CAST($1 AS BIGINT), CAST($2 AS SMALLINT), CAST($3 AS BIGINT)), ($4, $5, $6)) SELECT"
        ), "{lookup}");
        let lookup = lookup_sql(2, Placeholders::Anonymous);
        assert!(lookup.starts_with(
            "WITH wanted (ord, level, idx) AS (VALUES (CAST(? AS BIGINT), CAST(? AS SMALLINT), CAST(? AS BIGINT)), (?, ?, ?)) SELECT"
        ), "{lookup}");
    }

    #[test]
    fn runs_are_powers_of_two_largest_first() {
        let items: Vec<u32> = (0..1000).collect();
        let runs: Vec<usize> = power_of_two_runs(&items, 256).map(<[u32]>::len).collect();
        assert_eq!(runs, [256, 256, 256, 128, 64, 32, 8]);
        let flat: Vec<u32> = power_of_two_runs(&items, 256).flatten().copied().collect();
        assert_eq!(flat, items);
        assert_eq!(power_of_two_runs(&items[..1], 256).count(), 1);
        assert_eq!(power_of_two_runs(&items[..0], 256).count(), 0);
    }

    #[test]
    fn statements_stay_under_both_parameter_limits() {
        for (limit, columns) in [
            (SQLITE_MAX_PARAMS, ENTRY_COLUMN_COUNT),
            (SQLITE_MAX_PARAMS, NODE_COLUMN_COUNT),
            (PG_MAX_PARAMS, ENTRY_COLUMN_COUNT),
            (PG_MAX_PARAMS, NODE_COLUMN_COUNT),
        ] {
            assert!(rows_per_insert(limit, columns) * columns <= limit);
        }
        assert!(rows_per_insert(SQLITE_MAX_PARAMS, ENTRY_COLUMN_COUNT).is_power_of_two());
    }
}

#[cfg(test)]
mod parse_tests {
    use super::parse_i64;

    #[test]
    fn parse_i64_takes_exactly_what_the_databases_print() {
        for value in [0, 1, -1, 42, -5, i64::MAX, i64::MIN, 1_790_000_000_000_000] {
            assert_eq!(parse_i64(value.to_string().as_bytes()), Some(value));
        }
        for bad in [
            "",
            "-",
            "+1",
            "1.0",
            " 1",
            "9223372036854775808",
            "-9223372036854775809",
            "12a",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
    }
}

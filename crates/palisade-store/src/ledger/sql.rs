//! The ledger's SQL where it is not one text for both backends: each statement that
//! differs is here in its SQLite and its PostgreSQL spelling, side by side, with the
//! builders of multi-row statements and the limits they keep within. Statements that are
//! the same on both backends stay next to the code that runs them.

use std::fmt::Write as _;
use std::time::Duration;

/// The ledger lock's key on PostgreSQL: "pal:ledg" in ASCII (`i64::from_be_bytes`), apart
/// from the migration lock's and recognisable in `pg_locks`.
pub(super) const PG_LOCK_KEY: i64 = 8_097_872_603_171_349_607;

/// Takes the ledger's PostgreSQL lock for the rest of the transaction, waiting at most
/// `wait` (at least a millisecond: PostgreSQL reads a `lock_timeout` of 0 as "forever").
pub(super) fn pg_lock_sql(wait: Duration) -> String {
    let ms = wait.as_millis().clamp(1, u128::from(u32::MAX));
    format!("SET LOCAL lock_timeout = '{ms}ms'; SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
}

/// SQLite's bind-parameter limit: `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite
/// (3.51; the default since 3.32).
pub(super) const SQLITE_MAX_PARAMS: usize = 32_766;
/// PostgreSQL's bind-parameter limit: the protocol counts them in 16 bits.
pub(super) const PG_MAX_PARAMS: usize = 65_535;
/// Most rows per multi-row `INSERT` (far below both limits). A 1,000-entry batch measured
/// the same with 256 as with 1,024: past a few hundred rows the index updates and the
/// commit dominate.
pub(super) const MAX_ROWS_PER_INSERT: usize = 1024;
/// Node ids per lookup query (a power of two: lookups are padded to one).
pub(super) const MAX_NODES_PER_LOOKUP: usize = 1024;
const _: () = assert!(
    MAX_NODES_PER_LOOKUP.is_power_of_two() && MAX_NODES_PER_LOOKUP * 3 <= SQLITE_MAX_PARAMS
);

/// The columns of `ledger_entries`, in `EntryRecord` order (a macro, for `concat!`).
macro_rules! entry_columns {
    () => {
        "idx, leaf_hash, entry, time_us, actor, kind, subject"
    };
}
/// The columns of `ledger_checkpoints`, in `CheckpointRecord` order.
macro_rules! checkpoint_columns {
    () => {
        "size, root, note, created_us"
    };
}
pub(super) use {checkpoint_columns, entry_columns};
pub(super) const ENTRY_COLUMN_COUNT: usize = 7;
pub(super) const NODE_COLUMN_COUNT: usize = 3;

/// The log's size: the highest index plus one.
pub(super) const SELECT_SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries";

// Packed reads: one answer row for a whole index range. Each backend has its own
// aggregate; SQLite's reads the rows in the order of the subquery, an idx-ordered walk of
// the table's own B-tree, so it needs no sort.

/// An entry range packed as `leaf_hash entry \n time_us \0 actor \0 kind \0 subject`,
/// rows joined by `\0` (see `LedgerEntryRun`). SQLite's `concat()` builds each row's
/// bytes in one allocation, where a chain of `||` makes one per operator: a third less
/// time for the whole run.
pub(super) const SQLITE_ENTRY_RUN: &str = "SELECT count(*), min(idx), max(idx), group_concat(packed, x'00') \
     FROM (SELECT idx, concat(leaf_hash, entry, x'0a', time_us, x'00', actor, x'00', kind, \
     x'00', subject) AS packed \
     FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx)";
pub(super) const PG_ENTRY_RUN: &str = "SELECT count(*), min(idx), max(idx), string_agg(leaf_hash || entry \
     || '\\x0a'::bytea || convert_to(time_us::text, 'UTF8') || '\\x00'::bytea \
     || convert_to(actor, 'UTF8') || '\\x00'::bytea || convert_to(kind, 'UTF8') \
     || '\\x00'::bytea || convert_to(subject, 'UTF8'), '\\x00'::bytea ORDER BY idx) \
     FROM ledger_entries WHERE idx >= $1 AND idx < $2";

/// The leaf hashes of an entry range, concatenated.
pub(super) const SQLITE_LEAF_HASHES: &str = "SELECT count(*), group_concat(leaf_hash, '') \
     FROM (SELECT leaf_hash FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx)";
pub(super) const PG_LEAF_HASHES: &str = "SELECT count(*), string_agg(leaf_hash, ''::bytea ORDER BY idx) \
     FROM ledger_entries WHERE idx >= $1 AND idx < $2";

/// The node hashes of an index range of one level, concatenated.
pub(super) const SQLITE_NODE_RUN: &str = "SELECT count(*), min(idx), max(idx), group_concat(hash, '') \
     FROM (SELECT idx, hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 \
     ORDER BY idx)";
pub(super) const PG_NODE_RUN: &str = "SELECT count(*), min(idx), max(idx), \
     string_agg(hash, ''::bytea ORDER BY idx) \
     FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3";

/// Node indexes the packed lookup encodes (`idx * 64 + level` must fit an `i64`).
pub(super) const MAX_PACKED_NODE_INDEX: u64 = 1 << 57;

/// Nodes by id (`$1`, a JSON array of `idx * 64 + level`) and the leaf hashes of entries
/// `$2..$3`, each packed: how many were found, and the hashes in the order asked.
pub(super) const SQLITE_NODES_AND_LEAVES: &str = "WITH \
     n AS (SELECT count(hash) AS found, group_concat(hash, '') AS hashes FROM \
       (SELECT ledger_nodes.hash AS hash FROM json_each($1) AS wanted \
        LEFT JOIN ledger_nodes ON ledger_nodes.level = (wanted.value & 63) \
        AND ledger_nodes.idx = (wanted.value >> 6) ORDER BY wanted.key)), \
     l AS (SELECT count(*) AS found, group_concat(leaf_hash, '') AS hashes FROM \
       (SELECT leaf_hash FROM ledger_entries WHERE idx >= $2 AND idx < $3 ORDER BY idx)) \
     SELECT n.found, n.hashes, l.found, l.hashes FROM n, l";
/// The same for PostgreSQL: `$1` levels and `$2` indexes as arrays, entries `$3..$4`.
pub(super) const PG_NODES_AND_LEAVES: &str = "WITH \
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
pub(super) const NODE_COUNTS: &str =
    "SELECT level, count(*) FROM ledger_nodes GROUP BY level ORDER BY level";

/// Node ids as SQLite's lookup takes them: a JSON array of `idx * 64 + level`.
pub(super) fn sqlite_node_keys(ids: &[(u8, u64)]) -> String {
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

/// How a statement writes its bind parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholders {
    /// `$1, $2, …`: PostgreSQL's only form.
    Numbered,
    /// `?, ?, …`: for SQLite's long statements. SQLite keeps `$N` and `?N` names in a
    /// list it searches linearly, both while parsing and when the driver asks each
    /// parameter's name to bind it: quadratic, 200 ms for a 1,000-row insert. Anonymous
    /// parameters have no name and bind in order.
    Anonymous,
}

/// `head` followed by `rows` groups of `columns` placeholders: `($1, $2), ($3, $4)`.
pub(super) fn values_sql(head: &str, columns: usize, rows: usize, style: Placeholders) -> String {
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
pub(super) fn lookup_sql(rows: usize, style: Placeholders) -> String {
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
pub(super) fn rows_per_insert(max_params: usize, columns: usize) -> usize {
    let fit = (max_params / columns).min(MAX_ROWS_PER_INSERT);
    1 << fit.ilog2()
}

/// Splits `items` into runs whose lengths are powers of two, largest first, none longer
/// than `max` (a power of two). A batch of any size then runs as a few statements of at
/// most a dozen shapes, each prepared once per connection and kept in its statement
/// cache: preparing a 1,000-row insert costs about as much as running it.
pub(super) fn power_of_two_runs<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_and_wait_are_as_documented() {
        assert_eq!(PG_LOCK_KEY, i64::from_be_bytes(*b"pal:ledg"));
        let sql = pg_lock_sql(Duration::from_secs(10));
        assert!(
            sql.contains(&format!("pg_advisory_xact_lock({PG_LOCK_KEY})")),
            "{sql}"
        );
        assert!(sql.contains("lock_timeout = '10000ms'"), "{sql}");
        // Zero would mean "wait forever" to PostgreSQL.
        assert!(pg_lock_sql(Duration::ZERO).contains("'1ms'"));
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

//! Node and leaf-hash lookups: what a proof reads (the nodes its plan names and the leaf
//! hashes of one 16-entry block, in one query), what an append reads (the tree's peaks),
//! and what verification walks (every stored node, in packed runs or row by row).
//!
//! On SQLite, the one query behind a proof runs first on the in-thread reader
//! (`crate::reader`); anything it cannot answer completely goes to the pool, whose path
//! also names what is missing.

use sqlx::AssertSqlSafe;

use super::conn::{Conn, clamp_i64, index_param, on_conn};
use super::rows::{LedgerNodeRun, RunRecord, hash_from_db, run_from_record, u64_from_db};
use super::sql::{
    MAX_NODES_PER_LOOKUP, MAX_PACKED_NODE_INDEX, NODE_COUNTS, PG_LEAF_HASHES, PG_NODE_RUN,
    PG_NODES_AND_LEAVES, SQLITE_LEAF_HASHES, SQLITE_NODE_RUN, SQLITE_NODES_AND_LEAVES, lookup_sql,
    sqlite_node_keys,
};
use crate::store::with_pool;
use crate::{Store, StoreError};

impl Store {
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
}

/// The leaf hashes of entries `from_idx..to_idx`, in one query; when some are missing,
/// the first missing one is named.
pub(super) async fn leaf_hashes(
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

/// The hashes of the nodes `ids`, in the order asked.
pub(super) async fn nodes(conn: Conn<'_>, ids: &[(u8, u64)]) -> Result<Vec<[u8; 32]>, StoreError> {
    Ok(nodes_and_leaves(conn, ids, 0..0).await?.0)
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

/// The hashes of the nodes `ids` and the leaf hashes of entries `leaves`, in one query
/// (per 1,024 ids): the answer is one packed row. When something is missing, it is
/// looked up again row by row to say what.
pub(super) async fn nodes_and_leaves(
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

//! Reading entries, checkpoints and cosignatures: one entry, a range, packed runs for
//! walking the whole log, and queries by kind, subject and time.

use std::fmt::Write as _;

use sqlx::AssertSqlSafe;

use super::conn::{Conn, clamp_i64, on_conn};
use super::rows::{
    CheckpointRecord, CosignatureRecord, EntryRecord, LedgerCheckpoint, LedgerCosignature,
    LedgerEntryRun, LedgerRow, RunRecord, checkpoint_from_record, row_from_record, run_from_record,
    u64_from_db,
};
use super::sql::{PG_ENTRY_RUN, SELECT_SIZE, SQLITE_ENTRY_RUN, checkpoint_columns, entry_columns};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// Which entries a query returns when more match than its limit, and in which order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LedgerOrder {
    /// From the start of the log, oldest first: for walking every match page by page.
    #[default]
    OldestFirst,
    /// From the end of the log, newest first: for the latest matches.
    NewestFirst,
}

/// Which entries a query matches: every filter given must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LedgerFilter<'a> {
    /// Only this kind (exactly).
    pub kind: Option<&'a str>,
    /// Only this subject (exactly).
    pub subject: Option<&'a str>,
    /// Only at or after this time, unix microseconds.
    pub since_us: Option<i64>,
    /// Only before this time, unix microseconds.
    pub until_us: Option<i64>,
}

impl Store {
    /// The number of entries in the log (the highest index plus one, 0 when empty).
    pub async fn ledger_size(&self) -> Result<u64, StoreError> {
        size(self.pooled("reading the ledger size").await?.conn()).await
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

    /// Entries matching every filter given, `limit` of them after skipping `offset`, in
    /// `order`: [`LedgerOrder::OldestFirst`] pages forward from the log's start,
    /// [`LedgerOrder::NewestFirst`] back from its end (the latest matches first).
    pub async fn ledger_query(
        &self,
        filter: &LedgerFilter<'_>,
        order: LedgerOrder,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<LedgerRow>, StoreError> {
        let LedgerFilter {
            kind,
            subject,
            since_us,
            until_us,
        } = *filter;
        if subject.is_some() {
            self.ledger_fill_subjects().await?;
        }
        // Only the filters given go into the SQL, so each of the 16 shapes gets the plan
        // (and index) that suits it. A subject uses the partial index, brought up to date
        // just before. Every index ends with `idx`, so either order walks one backwards
        // or forwards without a sort.
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
        let direction = match order {
            LedgerOrder::OldestFirst => "",
            LedgerOrder::NewestFirst => " DESC",
        };
        let _ = write!(
            sql,
            " ORDER BY idx{direction} LIMIT ${} OFFSET ${}",
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
}

/// The log's size as `conn` sees it.
pub(super) async fn size(mut conn: Conn<'_>) -> Result<u64, StoreError> {
    let size: i64 = on_conn!(conn, c => sqlx::query_scalar(SELECT_SIZE).fetch_one(c).await)
        .map_err(StoreError::db("reading the ledger size"))?;
    u64_from_db(size, "ledger size")
}
/// The checkpoint with the largest size, as `conn` sees it.
pub(super) async fn latest_checkpoint(
    mut conn: Conn<'_>,
) -> Result<Option<LedgerCheckpoint>, StoreError> {
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

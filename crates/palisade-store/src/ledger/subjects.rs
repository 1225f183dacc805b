//! The index of entries by subject. It is partial over a flag that appends leave clear
//! and that is set in bulk (every [`SUBJECT_INDEX_LAG`] entries, and before a query by
//! subject), so that each subject's index page is written once per bulk instead of once
//! per append. It is derived data: `verify` checks it and it can be rebuilt.

use super::conn::{Conn, clamp_i64, on_conn};
use crate::store::with_pool;
use crate::{Store, StoreError};

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

/// Fills the subject index in the write transaction on `conn` when it is
/// [`SUBJECT_INDEX_LAG`] or more entries behind.
pub(super) async fn fill_if_due(mut conn: Conn<'_>) -> Result<(), StoreError> {
    let behind: Option<i64> = on_conn!(conn, c => {
        sqlx::query_scalar(SUBJECTS_BEHIND).fetch_one(c).await
    })
    .map_err(StoreError::db("reading the ledger's subject index"))?;
    if behind.is_some_and(|b| b >= SUBJECT_INDEX_LAG as i64) {
        on_conn!(conn, c => sqlx::raw_sql(FILL_SUBJECTS).execute(c).await.map(drop))
            .map_err(StoreError::db("filling the ledger's subject index"))?;
    }
    Ok(())
}

impl Store {
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
}

//! Reading entries back: by index, the latest ones, and by kind, subject and time.

use jiff::Timestamp;
use palisade_store::{LedgerFilter, LedgerOrder, LedgerRow};

use super::{Ledger, LedgerError, micros};
use crate::entry::Entry;

/// Entries read back, with their stored row.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The decoded entry.
    pub entry: Entry,
    /// The exact bytes that were hashed.
    pub bytes: Vec<u8>,
}

impl Stored {
    pub(super) fn decode(row: LedgerRow) -> Result<Self, LedgerError> {
        Ok(Stored {
            entry: Entry::from_canonical(&row.entry)?,
            bytes: row.entry,
        })
    }
}

/// Filters for reading entries.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only at or after this time.
    pub since: Option<Timestamp>,
    /// Only before this time.
    pub until: Option<Timestamp>,
    /// At most this many: the latest ones.
    pub limit: u32,
    /// Skip this many of the latest.
    pub offset: u64,
}

impl Ledger {
    /// Entry `index`, if present.
    pub async fn entry(&self, index: u64) -> Result<Option<Stored>, LedgerError> {
        match self.store.ledger_entry(index).await? {
            None => Ok(None),
            Some(row) => Ok(Some(Stored::decode(row)?)),
        }
    }

    /// The latest entries matching `query`, `query.limit` of them after skipping the
    /// `query.offset` latest, returned oldest first.
    pub async fn query(&self, query: &Query) -> Result<Vec<Stored>, LedgerError> {
        let filter = LedgerFilter {
            kind: query.kind.as_deref(),
            subject: query.subject.as_deref(),
            since_us: query.since.map(micros),
            until_us: query.until.map(micros),
        };
        let rows = self
            .store
            .ledger_query(&filter, LedgerOrder::NewestFirst, query.limit, query.offset)
            .await?;
        rows.into_iter().rev().map(Stored::decode).collect()
    }

    /// The last `n` entries, oldest first.
    pub async fn tail(&self, n: u64) -> Result<Vec<Stored>, LedgerError> {
        let size = self.size().await?;
        let from = size.saturating_sub(n);
        let rows = self.store.ledger_entries(from, size).await?;
        rows.into_iter().map(Stored::decode).collect()
    }
}

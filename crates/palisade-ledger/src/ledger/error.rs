//! What can go wrong in a ledger operation.

use palisade_store::StoreError;

use crate::checkpoint::CheckpointError;
use crate::entry::EntryError;
use crate::merkle::{FrontierError, PlanError};
use crate::note::NoteError;
use crate::receipt::ReceiptError;

/// What went wrong in a ledger operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be encoded as an entry.
    #[error("cannot encode the entry: {0}")]
    Entry(#[from] EntryError),
    /// The stored tree is not what its size promises.
    #[error("the stored tree is inconsistent: {0}; run `palisade ledger verify`")]
    Tree(String),
    /// An index or size outside the log.
    #[error("{what} {value} is outside the log, which has {size} entries")]
    OutOfRange {
        /// What was asked for.
        what: &'static str,
        /// The value asked for.
        value: u64,
        /// The log's size.
        size: u64,
    },
    /// Signing needs a key and none was given.
    #[error("no signing key: create one with `palisade ledger keygen` and pass it with --key")]
    NoSigner,
    /// A checkpoint could not be made or read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A note could not be made or read.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A receipt could not be made or read.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// A cosignature was rejected.
    #[error("cosignature rejected: {0}")]
    Cosignature(String),
}

impl From<PlanError> for LedgerError {
    fn from(e: PlanError) -> Self {
        LedgerError::Tree(e.to_string())
    }
}

impl From<FrontierError> for LedgerError {
    fn from(e: FrontierError) -> Self {
        LedgerError::Tree(e.to_string())
    }
}

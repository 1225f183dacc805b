//! The evidence ledger over the store: appends, proofs, checkpoints,
//! cosignatures, whole-log verification and evidence bundles.
//!
//! The tree lives in the store as perfect-subtree nodes, so an append reads
//! only the O(log n) peaks of the tree and a proof reads only the O(log n)
//! nodes its plan names. Nodes below [`LOWEST_STORED_LEVEL`] are not stored:
//! they are recomputed from the at most 16 leaf hashes around them, read in
//! one query with the stored ones. Appends are serialised by the
//! database (a write lock), never by this process, so several server
//! replicas can share one log.
//!
//! - `event`: the decision to record, and how one is read from JSON Lines;
//! - `error`: what can go wrong;
//! - `tree`: reading the stored tree (the node cache, stored and recomputed nodes);
//! - `append`: appends, one or a batch, in one transaction each;
//! - `proofs`: inclusion and consistency proofs, and receipts;
//! - `checkpoints`: signed checkpoints and witness cosignatures;
//! - `read`: entries by index, the latest ones, and queries;
//! - `verify`: whole-log verification that names the first divergence;
//! - `bundle`: evidence bundles, made and checked offline.

use jiff::Timestamp;
use palisade_store::Store;

use crate::note::SignerKey;

mod append;
mod bundle;
mod checkpoints;
mod error;
mod event;
mod proofs;
mod read;
mod tree;
mod verify;

pub use append::{Appended, BatchAppended};
pub use bundle::{
    Bundle, BundleError, BundleReport, CHECKPOINT_FILE, ENTRIES_FILE, KEY_FILE, PROOFS_FILE,
    verify_bundle,
};
pub use error::LedgerError;
pub use event::{Event, EventLineError};
pub use read::{Query, Stored};
pub use tree::LOWEST_STORED_LEVEL;
pub use verify::{Divergence, Progress, VerifyOptions, VerifyReport};

/// The store-backed evidence ledger of one organisation.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Store,
    origin: String,
    signer: Option<SignerKey>,
    cache: tree::NodeCache,
}

impl Ledger {
    /// A ledger in `store` whose checkpoints name `origin` (the org's log name).
    pub fn new(store: Store, origin: impl Into<String>) -> Self {
        Ledger {
            store,
            origin: origin.into(),
            signer: None,
            cache: tree::NodeCache::default(),
        }
    }

    /// Signs checkpoints and receipts with `key`.
    pub fn with_signer(mut self, key: SignerKey) -> Self {
        self.signer = Some(key);
        self
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Number of entries.
    pub async fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.store.ledger_size().await?)
    }
}

/// Micro-seconds since the epoch, as stored.
fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

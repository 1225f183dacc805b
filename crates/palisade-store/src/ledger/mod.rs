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
//!
//! - `rows`: the row types, and how stored values and packed runs are read back;
//! - `sql`: the statements whose SQL differs between SQLite and PostgreSQL, and the
//!   builders of multi-row statements;
//! - `conn`: a connection to run statements on (pooled or in a write transaction), and
//!   the checks on values before they are written;
//! - `write`: the write transaction that serialises appends, and the inserts;
//! - `read`: entries, queries, checkpoints and cosignatures;
//! - `nodes`: node and leaf-hash lookups (what proofs and appends read);
//! - `subjects`: the index of entries by subject, filled in bulk;
//! - `tamper`: raw SQL for tests that play the dishonest admin (feature `test-tamper`).

pub(crate) mod conn;
mod nodes;
mod read;
mod rows;
pub(crate) use rows::u64_from_db;
mod sql;
mod subjects;
#[cfg(feature = "test-tamper")]
mod tamper;
mod write;

pub use read::{LedgerFilter, LedgerOrder};
pub use rows::{
    LedgerCheckpoint, LedgerCosignature, LedgerEntryRun, LedgerNodeRun, LedgerRow, LedgerRowRef,
};
pub use subjects::{SUBJECT_INDEX_LAG, SubjectIndexCheck};
pub use write::LedgerTx;

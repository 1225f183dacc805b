//! Palisade's evidence ledger: its storage-free core, and the store-backed service over it.
//!
//! **For:** the pure, deterministic pieces an append-only, tamper-evident log
//! needs: the RFC 9162 Merkle tree ([`merkle`]: hashing, the frontier of an
//! appending log, proof planning for a node store, proof verification, an
//! in-memory tree), RFC 8785 canonical JSON ([`jcs`]) and the ledger entry
//! encoded with it ([`entry`]), and the C2SP text formats that carry trust
//! between parties: signed notes ([`note`]), checkpoints ([`checkpoint`]),
//! witness cosignatures ([`cosignature`]) and inclusion receipts
//! ([`receipt`]), and pinned trust in a log's checkpoints ([`trust`]).
//!
//! **Not for:** storage, concurrency or policy, except in the `ledger`
//! module, the store-backed service built on the others (it appends
//! entries, persists tree nodes and publishes checkpoints through
//! `palisade-store`). Every other module is pure: it touches no database,
//! file, network, clock, environment or random number generator; times and
//! key seeds are parameters.
//!
//! Parsers of outside input (notes, keys, checkpoints, receipts, canonical
//! entries) never panic and say what is wrong, and on which line.
//!
//! [`tiles`] serves the log as C2SP tlog-tiles, static files in a directory:
//! its `dir` and `export` parts are the only ones besides `ledger` that touch
//! files or the store.

// A library never prints or exits: the binary decides what reaches the terminal and
// with which exit code.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod b64;
pub mod checkpoint;
pub mod cosignature;
pub mod dsse;
pub mod entry;
pub mod jcs;
pub mod ledger;
pub mod merkle;
pub mod note;
pub mod receipt;
mod text;
pub mod tiles;
pub mod trust;

pub use checkpoint::Checkpoint;
pub use cosignature::Cosignature;
pub use entry::Entry;
pub use merkle::{Hash, NodeId};
pub use note::{Note, SignerKey, VerifierKey};
pub use receipt::Receipt;

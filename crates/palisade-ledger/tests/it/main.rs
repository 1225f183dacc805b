//! Integration tests of the ledger core: RFC 6962/9162 conformance vectors,
//! Merkle properties, canonical JSON, entries and the C2SP text formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checkpoint;
mod conformance;
mod cosignature;
mod dsse;
mod entry;
mod jcs;
mod merkle;
mod note;
mod props;
mod receipt;
mod service;
mod signed_note;
mod tiles;

// A fresh SQLite file and a fresh PostgreSQL database per test.
use palisade_test_support::db as common;
pub use palisade_test_support::testdata;

use palisade_ledger::note::{Algorithm, SignerKey};

/// A deterministic 32-byte seed for test keys.
pub fn seed(n: u8) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = n.wrapping_mul(31).wrapping_add(i as u8);
    }
    seed
}

/// The log's note-signing key used across tests.
pub fn log_key() -> SignerKey {
    SignerKey::from_seed("example.com/log", seed(1)).unwrap()
}

/// A witness key (`cosignature/v1`).
pub fn witness_key(name: &str, n: u8) -> SignerKey {
    SignerKey::with_algorithm(name, Algorithm::CosignatureV1, seed(n)).unwrap()
}

/// Standard base64 decoding for test data.
pub fn b64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// Standard base64 encoding for test data.
pub fn b64e(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

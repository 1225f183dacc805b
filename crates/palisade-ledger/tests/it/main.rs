//! Integration tests of the ledger core: RFC 6962/9162 conformance vectors,
//! Merkle properties, canonical JSON, entries and the C2SP text formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checkpoint;
mod conformance;
mod cosignature;
mod entry;
mod jcs;
mod merkle;
mod note;
mod props;
mod receipt;
mod service;

// The store's own harness: a fresh SQLite file and a fresh PostgreSQL
// database per test.
#[path = "../../../palisade-store/tests/it/common.rs"]
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};

use palisade_ledger::note::{Algorithm, SignerKey};

/// The shared conformance data directory `sub` (under `$PALISADE_TESTDATA`,
/// else `../shared/testdata` beside the repository), or `None` after saying
/// why the test skips. Under `CI=true` a missing directory fails the test.
pub fn testdata(sub: &str) -> Option<PathBuf> {
    let root = match std::env::var_os("PALISADE_TESTDATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    };
    let dir = root.join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "conformance data {} is missing, and CI must check conformance: \
         set PALISADE_TESTDATA or put shared/testdata beside the repository",
        dir.display()
    );
    eprintln!(
        "skipping: conformance data {} not found (set PALISADE_TESTDATA or put \
         shared/testdata beside the repository)",
        dir.display()
    );
    None
}

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

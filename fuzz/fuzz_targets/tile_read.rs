//! The tlog-tiles readers: any bytes, read as a hash tile or an entry bundle
//! of any width, parse or fail with the file named and never panic; whatever
//! parses encodes back to exactly the bytes it was read from. Inputs are also
//! dropped into a small valid tiled log, in place of one of its files, which
//! must then fail to verify without a panic, or verify only if unchanged.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use palisade_ledger::VerifierKey;
use palisade_ledger::checkpoint::Checkpoint;
use palisade_ledger::note::SignerKey;
use palisade_ledger::tiles::{
    CHECKPOINT, MemoryTiles, encode_entry_bundle, encode_hash_tile, read_entry_bundle,
    read_hash_tile, verify_tiles,
};

struct Fixture {
    files: BTreeMap<String, Vec<u8>>,
    checkpoint: Vec<u8>,
    key: VerifierKey,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let key = SignerKey::from_seed("example.com/log", [7; 32]).expect("a valid name");
    let entries: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_string().into_bytes()).collect();
    let tiles = MemoryTiles::build(entries.iter().map(Vec::as_slice)).expect("short entries");
    let checkpoint = Checkpoint::new("example.com/log", tiles.size, tiles.root)
        .sign(&key)
        .expect("a valid checkpoint")
        .to_string()
        .into_bytes();
    Fixture {
        files: tiles.files,
        checkpoint,
        key: key.verifier(),
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let width = u64::from(selector) + 1;
    if let Ok(hashes) = read_hash_tile("t", bytes, width) {
        assert_eq!(encode_hash_tile(&hashes), bytes);
    }
    if let Ok(entries) = read_entry_bundle("e", bytes, width, 0) {
        assert_eq!(entries.len() as u64, width);
        assert_eq!(encode_entry_bundle(entries).ok().as_deref(), Some(bytes));
    }
    let fixture = &*FIXTURE;
    let mut files = fixture.files.clone();
    let names: Vec<String> = files.keys().cloned().collect();
    let name = &names[usize::from(selector) % names.len()];
    let unchanged = files[name] == bytes;
    files.insert(name.clone(), bytes.to_vec());
    let verified = verify_tiles(
        &files,
        CHECKPOINT,
        &fixture.checkpoint,
        std::slice::from_ref(&fixture.key),
    );
    assert_eq!(verified.is_ok(), unchanged, "{name}: {verified:?}");
});

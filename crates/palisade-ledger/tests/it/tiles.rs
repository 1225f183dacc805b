//! C2SP tlog-tiles: Tessera's own test log verifies at each of its
//! checkpoints; our export verifies, grows incrementally without touching
//! full tiles, and every kind of damage is named with its file and position.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use palisade_ledger::checkpoint::Checkpoint;
use palisade_ledger::ledger::{Event, Ledger};
use palisade_ledger::merkle::{Hash, MemoryTree};
use palisade_ledger::tiles::{
    CHECKPOINT, Dir, MemoryTiles, TileError, TileReader as _, VerifyTilesError, entries_path,
    export_tiles, tile_path, verify_tiles,
};
use palisade_ledger::{SignerKey, VerifierKey};
use serde_json::json;

use crate::common::{backends, sqlite};
use crate::testdata;

const ORIGIN: &str = "tiles.example/palisade";

fn signer() -> SignerKey {
    SignerKey::from_seed(ORIGIN, [11u8; 32]).unwrap()
}

fn event(i: u64) -> Event {
    Event {
        time: Timestamp::from_second(1_790_000_000 + i as i64).unwrap(),
        actor: format!("person-{}", i % 3),
        kind: "gate.verdict".into(),
        subject: format!("svc-{}", i % 5),
        data: json!({"n": i}),
    }
}

/// Every file under `root`, by its path relative to it.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(rel.to_owned(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn tessera_test_log_verifies_at_every_checkpoint() {
    let Some(dir) = testdata("tlog-tiles/tessera") else {
        return;
    };
    let key_text = std::fs::read_to_string(dir.join("log.vkey")).unwrap();
    let key = VerifierKey::parse(key_text.trim()).unwrap();
    let log = Dir::new(dir.join("log"));
    let latest = verify_tiles(
        &log,
        CHECKPOINT,
        &log.read(CHECKPOINT).unwrap().unwrap(),
        std::slice::from_ref(&key),
    )
    .unwrap();
    assert_eq!(latest.checkpoint.size, 15);
    assert_eq!(latest.checkpoint.origin, "example.com/log/testdata");
    assert_eq!(latest.key.name(), key.name());
    assert_eq!((latest.bundles, latest.tiles), (1, 1));
    let mut sizes = Vec::new();
    for n in 0..=15 {
        let file = format!("checkpoint.{n}");
        let Some(bytes) = log.read(&file).unwrap() else {
            continue;
        };
        let ok = verify_tiles(&log, &file, &bytes, std::slice::from_ref(&key))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        sizes.push(ok.checkpoint.size);
    }
    assert_eq!(sizes.len(), 16, "{sizes:?}");
    assert!(sizes.contains(&15), "{sizes:?}");
}

#[test]
fn tessera_test_log_refuses_a_key_other_than_the_pinned_one() {
    let Some(dir) = testdata("tlog-tiles/tessera") else {
        return;
    };
    let log = Dir::new(dir.join("log"));
    let e = verify_tiles(
        &log,
        CHECKPOINT,
        &log.read(CHECKPOINT).unwrap().unwrap(),
        &[signer().verifier()],
    )
    .unwrap_err();
    let VerifyTilesError::Damaged(e) = e else {
        panic!("{e}")
    };
    assert_eq!(e.file, "checkpoint");
}

/// Modification times of every full tile and bundle in `root`.
fn full_tile_times(root: &Path) -> BTreeMap<String, std::time::SystemTime> {
    read_tree(root)
        .into_keys()
        .filter(|p| p.starts_with("tile/") && !p.contains(".p/"))
        .map(|p| {
            let time = std::fs::metadata(root.join(&p))
                .unwrap()
                .modified()
                .unwrap();
            (p, time)
        })
        .collect()
}

async fn append(ledger: &Ledger, from: u64, to: u64) {
    let events: Vec<Event> = (from..to).map(event).collect();
    ledger
        .append_batch(&events, Timestamp::now())
        .await
        .unwrap();
}

async fn export_and_verify(ledger: &Ledger, dir: &Dir) -> (u64, u64) {
    let exported = export_tiles(ledger, dir, Timestamp::now()).await.unwrap();
    let checkpoint = dir.read(CHECKPOINT).unwrap().unwrap();
    let ok = verify_tiles(dir, CHECKPOINT, &checkpoint, &[signer().verifier()]).unwrap();
    assert_eq!(ok.checkpoint.size, ledger.size().await.unwrap());
    (exported.written, exported.kept)
}

#[tokio::test]
async fn export_verifies_and_grows_incrementally() {
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, ORIGIN).with_signer(signer());
        let out = tempfile::tempdir().unwrap();
        let dir = Dir::new(out.path().join("log"));
        append(&ledger, 0, 600).await;
        let (written, kept) = export_and_verify(&ledger, &dir).await;
        // 3 bundles and 3 level-0 tiles (2 full), and the partial level-1 tile.
        assert_eq!((written, kept), (7, 0), "{}", db.backend());
        let files = read_tree(dir.root());
        assert!(files.contains_key("tile/0/002.p/88"), "{:?}", files.keys());
        assert!(files.contains_key("tile/1/000.p/2"));
        // Entry bundles hold each entry's exact bytes, as hashed.
        let e0 = ledger.entry(0).await.unwrap().unwrap().bytes;
        let bundle = &files["tile/entries/000"];
        assert_eq!(&bundle[2..2 + e0.len()], &e0[..]);
        assert_eq!(
            usize::from(u16::from_be_bytes([bundle[0], bundle[1]])),
            e0.len()
        );

        let before = full_tile_times(dir.root());
        std::thread::sleep(std::time::Duration::from_millis(20));
        // Nothing new: nothing written but the checkpoint.
        let (written, _) = export_and_verify(&ledger, &dir).await;
        assert_eq!(written, 0);

        append(&ledger, 600, 900).await;
        let (written, kept) = export_and_verify(&ledger, &dir).await;
        // Tile 2 completed, tile 3 started (bundles and tiles), level 1 grew.
        assert_eq!((written, kept), (5, 4), "{}", db.backend());
        let after = full_tile_times(dir.root());
        for (path, time) in &before {
            assert_eq!(after.get(path), Some(time), "{path} was rewritten");
        }
        // The partial tiles the full tile 2 replaced are gone; tile 3's is there.
        let files = read_tree(dir.root());
        assert!(!files.keys().any(|p| p.starts_with("tile/0/002.p/")));
        assert!(files.contains_key("tile/0/003.p/132"));
        assert!(files.contains_key("tile/entries/003.p/132"));

        // A deleted full tile is written again.
        std::fs::remove_file(dir.path("tile/0/001")).unwrap();
        append(&ledger, 900, 901).await;
        export_and_verify(&ledger, &dir).await;
        assert!(dir.exists("tile/0/001").unwrap());
    }
}

#[tokio::test]
async fn export_refuses_a_directory_of_another_log() {
    let db = sqlite();
    let ledger = Ledger::new(db.open().await, ORIGIN).with_signer(signer());
    append(&ledger, 0, 10).await;
    let out = tempfile::tempdir().unwrap();
    let dir = Dir::new(out.path());
    let (tiles, cp) = signed_log(20, &signer());
    dir.write(CHECKPOINT, cp.as_bytes()).unwrap();
    let e = export_tiles(&ledger, &dir, Timestamp::now())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("roll the tiles back"), "{e}");
    let (_, cp) = signed_log(
        5,
        &SignerKey::from_seed("other.example/log", [1; 32]).unwrap(),
    );
    dir.write(CHECKPOINT, cp.as_bytes()).unwrap();
    let e = export_tiles(&ledger, &dir, Timestamp::now())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("other.example/log"), "{e}");
    // Same origin, same size range, different entries: not a prefix.
    let (_, cp) = signed_log(5, &signer());
    dir.write(CHECKPOINT, cp.as_bytes()).unwrap();
    let e = export_tiles(&ledger, &dir, Timestamp::now())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a prefix"), "{e}");
    drop(tiles);
}

/// A tiled log of `size` small entries in memory, and its checkpoint signed by `key`.
fn signed_log(size: u64, key: &SignerKey) -> (BTreeMap<String, Vec<u8>>, String) {
    let entries: Vec<Vec<u8>> = (0..size)
        .map(|i| format!("entry {i}").into_bytes())
        .collect();
    let tiles = MemoryTiles::build(entries.iter().map(Vec::as_slice)).unwrap();
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.append(e);
    }
    assert_eq!(tiles.root, tree.root());
    let cp = Checkpoint::new(key.name(), size, tiles.root)
        .sign(key)
        .unwrap();
    (tiles.files, cp.to_string())
}

fn damage(files: &BTreeMap<String, Vec<u8>>, checkpoint: &str) -> TileError {
    match verify_tiles(
        files,
        CHECKPOINT,
        checkpoint.as_bytes(),
        &[signer().verifier()],
    ) {
        Err(VerifyTilesError::Damaged(e)) => e,
        other => panic!("expected damage, got {other:?}"),
    }
}

#[test]
fn memory_logs_of_many_sizes_verify() {
    for size in [0, 1, 2, 255, 256, 257, 600, 65_536, 65_537] {
        let (files, cp) = signed_log(size, &signer());
        let ok = verify_tiles(&files, CHECKPOINT, cp.as_bytes(), &[signer().verifier()])
            .unwrap_or_else(|e| panic!("{size}: {e}"));
        assert_eq!(ok.checkpoint.size, size);
    }
}

#[test]
fn a_truncated_tile_is_named_with_its_length() {
    let (mut files, cp) = signed_log(600, &signer());
    files.get_mut("tile/0/001").unwrap().truncate(100);
    let e = damage(&files, &cp);
    assert_eq!(e.file, "tile/0/001");
    assert_eq!(e.offset, Some(100));
    assert!(e.message.starts_with("truncated"), "{e}");
}

#[test]
fn a_tile_of_the_wrong_width_is_named() {
    let (mut files, cp) = signed_log(600, &signer());
    let tile = files.remove("tile/0/002.p/88").unwrap();
    files.insert("tile/0/002.p/88".into(), tile[..87 * 32].to_vec());
    let e = damage(&files, &cp);
    assert_eq!(e.file, "tile/0/002.p/88");
    assert!(e.message.contains("87 hashes"), "{e}");
    let (mut files, cp) = signed_log(600, &signer());
    files.get_mut("tile/1/000.p/2").unwrap().extend([0u8; 32]);
    let e = damage(&files, &cp);
    assert_eq!(e.file, "tile/1/000.p/2");
    assert!(e.message.starts_with("wrong width"), "{e}");
}

#[test]
fn a_bad_length_prefix_is_named_with_the_entry_and_byte() {
    let (mut files, cp) = signed_log(600, &signer());
    // Entry 3 of bundle 1 (log entry 259) starts after three 2+9-byte entries.
    let bundle = files.get_mut("tile/entries/001").unwrap();
    let at = 3 * (2 + "entry 256".len());
    bundle[at] = 0x40;
    let e = damage(&files, &cp);
    assert_eq!(e.file, "tile/entries/001");
    assert_eq!(e.offset, Some(at as u64));
    assert!(
        e.message.contains("entry 3 (log entry 259) at byte 33"),
        "{e}"
    );
    // A prefix one too short leaves bytes over.
    let (mut files, cp) = signed_log(10, &signer());
    files.get_mut("tile/entries/000.p/10").unwrap()[1] -= 1;
    let e = damage(&files, &cp);
    assert_eq!(e.file, "tile/entries/000.p/10");
    assert!(e.message.contains("entry 1 (log entry 1) at byte 8"), "{e}");
}

#[test]
fn an_altered_entry_names_the_tile_hash_and_the_bundle() {
    let (mut files, cp) = signed_log(600, &signer());
    let bundle = files.get_mut("tile/entries/000").unwrap();
    bundle[2] = b'E';
    let e = damage(&files, &cp);
    assert_eq!(e.file, tile_path(0, 0, 256));
    assert_eq!(e.offset, Some(0));
    assert!(e.message.contains("hash 0 (entry 0)"), "{e}");
    assert!(e.message.contains("tile/entries/000"), "{e}");
}

#[test]
fn an_altered_upper_tile_is_named() {
    let (mut files, cp) = signed_log(600, &signer());
    files.get_mut("tile/1/000.p/2").unwrap()[40] ^= 1;
    let e = damage(&files, &cp);
    assert_eq!(e.file, "tile/1/000.p/2");
    assert_eq!(e.offset, Some(32));
    assert!(e.message.contains("hash 1"), "{e}");
    assert!(e.message.contains("tile/0/001"), "{e}");
}

#[test]
fn a_checkpoint_beyond_the_tiles_names_the_first_missing_file() {
    let (files, _) = signed_log(600, &signer());
    let (_, bigger) = signed_log(700, &signer());
    let e = damage(&files, &bigger);
    assert_eq!(e.file, entries_path(2, 188));
    assert!(e.message.contains("700 entries"), "{e}");
}

#[test]
fn a_checkpoint_whose_root_the_tiles_do_not_make_is_refused() {
    let (files, _) = signed_log(600, &signer());
    let cp = Checkpoint::new(ORIGIN, 600, Hash::default())
        .sign(&signer())
        .unwrap()
        .to_string();
    let e = damage(&files, &cp);
    assert_eq!(e.file, "checkpoint");
    assert!(e.message.contains("root"), "{e}");
}

#[test]
fn control_characters_in_the_checkpoint_are_named_with_the_line() {
    let (files, cp) = signed_log(10, &signer());
    let cp = cp.replacen("10\n", "1\u{7}0\n", 1);
    let e = damage(&files, &cp);
    assert_eq!(e.file, "checkpoint");
    assert!(e.message.contains("line 2"), "{e}");
    assert!(e.message.contains("control character"), "{e}");
}

#[test]
fn an_entry_too_long_for_a_bundle_is_named() {
    let long = vec![b'a'; 70_000];
    let entries: [&[u8]; 2] = [b"short", &long];
    assert_eq!(MemoryTiles::build(entries).unwrap_err(), 1);
}

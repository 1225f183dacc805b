//! C2SP tlog-tiles over a real store (SQLite): exporting a 1,000,000-entry log,
//! re-exporting it after 1,000 more entries, and `verify-tiles` of the result.
//!
//! Run with `cargo bench -p palisade-ledger --bench tiles` (or `bench/ledger.sh`).
//! BENCH_TILES_SIZE lowers the size.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    clippy::print_stdout
)]

mod common;

use common::{ORIGIN, event};
use std::time::Instant;

use jiff::Timestamp;
use palisade_ledger::SignerKey;
use palisade_ledger::ledger::{Event, Ledger};
use palisade_ledger::tiles::{CHECKPOINT, Dir, TileReader as _, export_tiles, verify_tiles};
use palisade_store::Store;

async fn append(ledger: &Ledger, from: u64, to: u64) {
    let mut next = from;
    while next < to {
        let count = (to - next).min(10_000);
        let events: Vec<Event> = (next..next + count).map(event).collect();
        ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        next += count;
    }
}

fn main() {
    let n: u64 = std::env::var("BENCH_TILES_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let key = SignerKey::from_seed(ORIGIN, [3u8; 32]).unwrap();
        let work = tempfile::tempdir().unwrap();
        let store = Store::open(work.path().join("tiles.db").to_str().unwrap())
            .await
            .unwrap();
        let ledger = Ledger::new(store, ORIGIN).with_signer(key.clone());
        let built = Instant::now();
        append(&ledger, 0, n).await;
        println!(
            "SQLite     built a {n}-entry log in {:.1?}",
            built.elapsed()
        );

        let dir = Dir::new(work.path().join("tiles"));
        let t = Instant::now();
        let exported = export_tiles(&ledger, &dir, Timestamp::now()).await.unwrap();
        println!(
            "export-tiles of {n} entries: {:.2?} ({} files)",
            t.elapsed(),
            exported.written
        );

        append(&ledger, n, n + 1000).await;
        let t = Instant::now();
        let exported = export_tiles(&ledger, &dir, Timestamp::now()).await.unwrap();
        println!(
            "export-tiles again after 1000 more: {:.2?} ({} files written, {} kept)",
            t.elapsed(),
            exported.written,
            exported.kept
        );

        let t = Instant::now();
        let checkpoint = dir.read(CHECKPOINT).unwrap().unwrap();
        let ok = verify_tiles(&dir, CHECKPOINT, &checkpoint, &[key.verifier()]).unwrap();
        println!(
            "verify-tiles of {} entries: {:.2?} ({} tiles, {} bundles)",
            ok.checkpoint.size,
            t.elapsed(),
            ok.tiles,
            ok.bundles
        );
    });
}

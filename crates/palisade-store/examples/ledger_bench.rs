//! Measures the ledger's storage: batch appends (1,000 entries and 1,000 nodes per
//! transaction), single-entry appends, and proof-sized node lookups.
//!
//! ```text
//! cargo run --release -p palisade-store --example ledger_bench                 # SQLite, temp file
//! cargo run --release -p palisade-store --example ledger_bench -- <location>   # an EMPTY database
//! ```
//!
//! The location's ledger must be empty: the bench appends from index 0. Timings vary with
//! the disk (SQLite commits with `synchronous=FULL`, so each commit waits for an fsync)
//! and with whatever else runs on the machine. `PHASES=1` prints each batch's begin,
//! insert and commit times; `BATCHES_ONLY=1` stops after the batches.

use std::time::{Duration, Instant};

use palisade_store::{LedgerRow, Store};
use sha2::{Digest, Sha256};

const BATCHES: u64 = 50;
const BATCH: u64 = 1_000;
const SINGLES: u64 = 2_000;
const LOOKUPS: usize = 2_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), palisade_store::StoreError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let location = std::env::args().nth(1).unwrap_or_else(|| {
        dir.path()
            .join("bench.db")
            .to_str()
            .expect("temp paths are UTF-8")
            .to_owned()
    });
    let store = Store::open(&location).await?;
    println!("{store}");
    assert_eq!(
        store.ledger_size().await?,
        0,
        "the bench needs an empty ledger"
    );

    // Batches: 1,000 entries + 1,000 nodes per committed transaction.
    let mut next = 0;
    let mut batch_times = Vec::new();
    let all = Instant::now();
    for _ in 0..BATCHES {
        let rows: Vec<LedgerRow> = (next..next + BATCH).map(entry).collect();
        let nodes: Vec<(u8, u64, [u8; 32])> =
            rows.iter().map(|r| (0, r.idx, r.leaf_hash)).collect();
        let started = Instant::now();
        let mut tx = store.ledger_begin().await?;
        assert_eq!(tx.size().await?, next);
        let t1 = Instant::now();
        tx.insert_entries(&rows).await?;
        let t2 = Instant::now();
        tx.insert_nodes(&nodes).await?;
        let t3 = Instant::now();
        tx.commit().await?;
        batch_times.push(started.elapsed());
        if std::env::var_os("PHASES").is_some() {
            println!(
                "begin {:.2} entries {:.2} nodes {:.2} commit {:.2}",
                ms(t1 - started),
                ms(t2 - t1),
                ms(t3 - t2),
                ms(t3.elapsed())
            );
        }
        next += BATCH;
    }
    let total = all.elapsed();
    batch_times.sort();
    let median = batch_times[batch_times.len() / 2];
    println!(
        "batch of {BATCH} entries + {BATCH} nodes: median {:.2} ms = {:.0} entries/s; \
         {BATCHES} batches in {:.2} s = {:.0} entries/s overall",
        ms(median),
        BATCH as f64 / median.as_secs_f64(),
        total.as_secs_f64(),
        (BATCHES * BATCH) as f64 / total.as_secs_f64(),
    );

    if std::env::var_os("BATCHES_ONLY").is_some() {
        return Ok(());
    }

    // Single appends: begin, size, one entry, its leaf node and one interior node, commit.
    let mut single_times = Vec::new();
    for _ in 0..SINGLES {
        let row = entry(next);
        let started = Instant::now();
        let mut tx = store.ledger_begin().await?;
        let size = tx.size().await?;
        assert_eq!(size, next);
        tx.insert_entries(std::slice::from_ref(&row)).await?;
        tx.insert_nodes(&[(0, size, row.leaf_hash), (1, size, row.leaf_hash)])
            .await?;
        tx.commit().await?;
        single_times.push(started.elapsed());
        next += 1;
    }
    report(
        "single append (begin, size, 1 entry, 2 nodes, commit)",
        &mut single_times,
    );

    // Proof-sized lookups: 17 nodes (a proof in a log of ~100,000 entries).
    let mut lookup_times = Vec::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..LOOKUPS {
        let ids: Vec<(u8, u64)> = (0..17)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (0, seed % next)
            })
            .collect();
        let started = Instant::now();
        let hashes = store.ledger_nodes(&ids).await?;
        lookup_times.push(started.elapsed());
        assert_eq!(hashes.len(), ids.len());
    }
    report("ledger_nodes, 17 ids in one query", &mut lookup_times);
    store.close().await;
    Ok(())
}

/// A realistic entry: ~300 bytes of canonical JSON.
fn entry(idx: u64) -> LedgerRow {
    let json = format!(
        concat!(
            r#"{{"actor":"alice@example.com","at":"2026-03-01T09:30:00.{:06}Z","#,
            r#""decision":"allow","evidence":{{"junit":"sha256:{}"}},"idx":{},"#,
            r#""kind":"gate.verdict","subject":"payments-api","tier":"high"}}"#
        ),
        idx % 1_000_000,
        hex::encode(Sha256::digest(idx.to_be_bytes())),
        idx
    );
    let mut hasher = Sha256::new();
    hasher.update([0]);
    hasher.update(json.as_bytes());
    LedgerRow {
        idx,
        leaf_hash: hasher.finalize().into(),
        entry: json.into_bytes(),
        time_us: 1_772_357_400_000_000 + idx as i64,
        actor: "alice@example.com".to_owned(),
        kind: "gate.verdict".to_owned(),
        subject: format!("service-{}", idx % 50),
    }
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| ms(times[((times.len() - 1) as f64 * q) as usize]);
    println!(
        "{what}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} runs)",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        times.len()
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

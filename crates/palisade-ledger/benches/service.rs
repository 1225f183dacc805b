//! End-to-end ledger benchmarks over a real store (SQLite, and PostgreSQL
//! when `PALISADE_TEST_POSTGRES_URL` names a server):
//!
//! - batched appends of 1,000 entries (entries/s),
//! - single appends with a signed receipt (latency percentiles),
//! - `verify` of a 1,000,000-entry log,
//! - inclusion proofs produced from the store of a 10,000,000-leaf tree,
//!   and verified.
//!
//! Run with `bench/ledger.sh` (or `cargo bench -p palisade-ledger --bench service`).
//! Sizes can be lowered with BENCH_VERIFY_SIZE and BENCH_PROOF_SIZE;
//! BENCH_ONLY=appends|verify|proofs runs one part alone (for profiling).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    clippy::print_stdout
)]

mod common;

use common::{ORIGIN, env_size, event};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use palisade_ledger::SignerKey;
use palisade_ledger::ledger::{Event, LOWEST_STORED_LEVEL, Ledger, VerifyOptions};
use palisade_ledger::merkle::{self, Frontier, verify_inclusion};
use palisade_store::{LedgerRow, Store};

/// Whether the part `name` runs: all of them unless BENCH_ONLY names one.
fn part(name: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only == name)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn batched(name: &str, ledger: &Ledger, batches: u64) {
    let mut next = ledger.size().await.unwrap();
    let started = Instant::now();
    for _ in 0..batches {
        let events: Vec<Event> = (next..next + 1000).map(event).collect();
        ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        next += 1000;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name:<10} batched appends (1,000/tx, signed checkpoint each): {:>9.0} entries/s",
        (batches * 1000) as f64 / secs
    );
}

async fn singles(name: &str, ledger: &Ledger, n: usize) {
    let mut times = Vec::with_capacity(n);
    let base = ledger.size().await.unwrap();
    for i in 0..n as u64 {
        let t = Instant::now();
        let a = ledger.append(event(base + i)).await.unwrap();
        times.push(t.elapsed());
        assert!(a.receipt.is_some());
    }
    times.sort();
    println!(
        "{name:<10} single appends with signed receipt: p50 {:?}  p90 {:?}  p99 {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99)
    );
}

/// Inclusion proofs of 5,000 random entries: production from the store, verification.
async fn proofs(label: &str, ledger: &Ledger, size: u64, root: &merkle::Hash) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut produce = Vec::new();
    let mut verify = Vec::new();
    for _ in 0..5_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let index = seed % size;
        let t = Instant::now();
        let proof = ledger.inclusion_proof(index, size).await.unwrap();
        produce.push(t.elapsed());
        let leaf = merkle::leaf_hash(&index.to_be_bytes());
        let t = Instant::now();
        verify_inclusion(&leaf, index, size, &proof, root).unwrap();
        verify.push(t.elapsed());
    }
    produce.sort();
    verify.sort();
    println!(
        "SQLite     inclusion proof at {size}, {label}: produce p50 {:?} p99 {:?}; verify p50 {:?} p99 {:?}",
        percentile(&produce, 0.5),
        percentile(&produce, 0.99),
        percentile(&verify, 0.5),
        percentile(&verify, 0.99)
    );
}

async fn postgres_store() -> Option<(Store, String, String)> {
    use sqlx::Connection as _;
    let admin = std::env::var("PALISADE_TEST_POSTGRES_URL").ok()?;
    let name = format!("palisade_bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .ok()?;
    conn.close().await.ok()?;
    let (base, _) = admin.rsplit_once('/')?;
    let url = format!("{base}/{name}");
    Some((Store::open(&url).await.unwrap(), admin, name))
}

async fn drop_postgres(admin: &str, name: &str) {
    use sqlx::Connection as _;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let key = SignerKey::from_seed(ORIGIN, [3u8; 32]).unwrap();
        let dir = tempfile::tempdir().unwrap();

        if part("appends") {
            // Appends, SQLite.
            let store = Store::open(dir.path().join("append.db").to_str().unwrap())
                .await
                .unwrap();
            let ledger = Ledger::new(store, ORIGIN).with_signer(key.clone());
            batched("SQLite", &ledger, 100).await;
            singles("SQLite", &ledger, 2000).await;

            // Appends, PostgreSQL.
            if let Some((store, admin, name)) = postgres_store().await {
                let ledger = Ledger::new(store.clone(), ORIGIN).with_signer(key.clone());
                batched("PostgreSQL", &ledger, 50).await;
                singles("PostgreSQL", &ledger, 1000).await;
                store.close().await;
                drop_postgres(&admin, &name).await;
            } else {
                println!("PostgreSQL: skipped (PALISADE_TEST_POSTGRES_URL is not set)");
            }
        }
        if part("verify") {
            // Verify a large log.
            let n = env_size("BENCH_VERIFY_SIZE", 1_000_000);
            let store = Store::open(dir.path().join("verify.db").to_str().unwrap())
                .await
                .unwrap();
            let ledger = Ledger::new(store, ORIGIN).with_signer(key.clone());
            let built = Instant::now();
            let mut next = 0;
            while next < n {
                let count = (n - next).min(10_000);
                let events: Vec<Event> = (next..next + count).map(event).collect();
                ledger
                    .append_batch(&events, Timestamp::now())
                    .await
                    .unwrap();
                next += count;
            }
            println!(
                "SQLite     built a {n}-entry log in {:.1?}",
                built.elapsed()
            );
            let options = VerifyOptions {
                log_keys: vec![key.verifier()],
                ..VerifyOptions::default()
            };
            let t = Instant::now();
            let report = ledger.verify(&options).await.unwrap();
            assert!(report.divergence.is_none());
            println!(
                "SQLite     verify of {n} entries ({} nodes, {} checkpoints): {:.2?}",
                report.nodes,
                report.checkpoints,
                t.elapsed()
            );
        }
        if part("proofs") {
            // Proofs at 10 million leaves: the tree's nodes in the store.
            let size = env_size("BENCH_PROOF_SIZE", 10_000_000);
            let store = Store::open(dir.path().join("proof.db").to_str().unwrap())
                .await
                .unwrap();
            let built = Instant::now();
            // Small entries (the leaf is the index's 8 bytes) keep the file and the build
            // time down; the proof reads the same rows whatever the entries hold.
            let mut frontier = Frontier::new();
            let mut rows = Vec::with_capacity(100_000);
            let mut pending = Vec::with_capacity(20_000);
            for i in 0..size {
                let entry = i.to_be_bytes().to_vec();
                let leaf = merkle::leaf_hash(&entry);
                frontier.push_with(leaf, |id, h| {
                    if id.level >= LOWEST_STORED_LEVEL {
                        pending.push((id.level, id.index, h))
                    }
                });
                rows.push(LedgerRow {
                    idx: i,
                    leaf_hash: leaf,
                    entry,
                    time_us: i as i64,
                    actor: "a".to_owned(),
                    kind: "k".to_owned(),
                    subject: "s".to_owned(),
                });
                if rows.len() >= 100_000 || i + 1 == size {
                    let mut tx = store.ledger_begin().await.unwrap();
                    tx.insert_entries(&rows).await.unwrap();
                    tx.insert_nodes(&pending).await.unwrap();
                    tx.commit().await.unwrap();
                    rows.clear();
                    pending.clear();
                }
            }
            let root = frontier.root();
            println!(
                "SQLite     stored a {size}-entry tree in {:.1?}",
                built.elapsed()
            );
            // Cold: a fresh process (the CLI's case) reads every node a proof needs. Warm: a
            // server that filled its node cache at start reads only the leaf hashes.
            let cold = Ledger::new(store.clone(), ORIGIN);
            proofs("cold cache (CLI)", &cold, size, &root).await;
            let warm = Ledger::new(store, ORIGIN);
            let t = Instant::now();
            let cached = warm.warm_cache().await.unwrap();
            println!(
                "SQLite     node cache filled with {cached} nodes in {:.2?}",
                t.elapsed()
            );
            proofs("warm cache (server)", &warm, size, &root).await;
        }
    });
}

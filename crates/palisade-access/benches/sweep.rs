//! Expiring grants in one sweep (target: 10,000 grants in under 1 s on
//! SQLite): 10,000 active grants whose end has passed, written into a fresh
//! SQLite store, then one `Grants::tick`, which moves each to `expired` and
//! appends its ledger entry in the same transaction.
//!
//! `cargo bench -p palisade-access --bench sweep`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use jiff::Timestamp;
use palisade_access::grants::Grants;
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_ledger::ledger::Ledger;
use palisade_model::{Day, Index};
use palisade_store::{AccessRequestRow, Store};

fn main() {
    divan::main();
}

const GRANTS: usize = 10_000;

fn model() -> palisade_model::Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh SQLite store holding `GRANTS` active grants that ended at `end_us`.
async fn store_with_ended_grants(dir: &std::path::Path, end_us: i64) -> Store {
    let store = Store::open(dir.join("store.db").to_str().unwrap())
        .await
        .unwrap();
    let mut tx = store.ledger_begin().await.unwrap();
    for i in 0..GRANTS {
        tx.access_insert_request(&AccessRequestRow {
            id: format!("req-{i:012x}"),
            requester: "james".to_owned(),
            role: "incident-responder".to_owned(),
            environment: Some("prod".to_owned()),
            duration_s: 3600,
            reason: "bench".to_owned(),
            ticket: None,
            start_us: None,
            created_us: end_us - 3_600_000_000,
            state: "active".to_owned(),
            state_us: end_us - 3_600_000_000,
            active_from_us: Some(end_us - 3_600_000_000),
            active_until_us: Some(end_us),
            version: 2,
            break_glass: false,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    store
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn expire_10k_grants_in_one_sweep(bencher: divan::Bencher) {
    let model = model();
    let index = Index::new(&model);
    let day: Day = "2026-12-01".parse().unwrap();
    let authorizer = Authorizer::new(&index, day, &AccessSettings::from_model(&model)).unwrap();
    let rt = runtime();
    let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let store = rt.block_on(store_with_ended_grants(
                dir.path(),
                now.as_microsecond() - 1,
            ));
            (dir, Ledger::new(store, "acme.example/palisade"))
        })
        .bench_local_values(|(dir, ledger)| {
            let grants = Grants::new(&ledger, &index, &authorizer);
            let changed = rt.block_on(grants.tick("palisade", now)).unwrap();
            assert_eq!(changed.len(), GRANTS);
            (dir, ledger)
        });
}

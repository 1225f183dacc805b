//! The store-backed ledger, on SQLite and PostgreSQL: appends, receipts,
//! proofs, verification that catches every kind of tampering, witnesses and
//! evidence bundles.

use jiff::Timestamp;
use palisade_ledger::checkpoint::SignedCheckpoint;
use palisade_ledger::ledger::{Divergence, Event, Ledger, Query, VerifyOptions, verify_bundle};
use palisade_ledger::merkle::{self, MemoryTree, verify_consistency, verify_inclusion};
use palisade_ledger::note::Algorithm;
use palisade_ledger::trust::TrustPolicy;
use palisade_ledger::{Cosignature, SignerKey, VerifierKey};
use proptest::prelude::*;
use serde_json::json;

use crate::common::{TestDb, backends};

const ORIGIN: &str = "test.example/palisade";

fn signer() -> SignerKey {
    SignerKey::from_seed(ORIGIN, [7u8; 32]).unwrap()
}

fn event(i: u64) -> Event {
    Event {
        time: Timestamp::from_second(1_790_000_000 + i as i64).unwrap(),
        actor: format!("person-{}", i % 5),
        kind: if i.is_multiple_of(3) {
            "gate.verdict".into()
        } else {
            "access.grant".into()
        },
        subject: format!("svc-{}", i % 7),
        data: json!({"n": i, "ok": i.is_multiple_of(2)}),
    }
}

fn options() -> VerifyOptions {
    VerifyOptions {
        log_keys: vec![signer().verifier()],
        ..VerifyOptions::default()
    }
}

async fn ledger(db: &TestDb) -> Ledger {
    Ledger::new(db.open().await, ORIGIN).with_signer(signer())
}

#[tokio::test]
async fn appends_give_receipts_and_proofs_that_verify() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        let mut memory = MemoryTree::new();
        let keys = [signer().verifier()];
        for i in 0..20 {
            let a = ledger.append(event(i)).await.unwrap();
            assert_eq!(a.index, i);
            let stored = ledger.entry(i).await.unwrap().unwrap();
            memory.append(&stored.bytes);
            assert_eq!(a.root, memory.root(), "{}: root after {i}", db.backend());
            let receipt = a.receipt.unwrap();
            receipt.verify_entry(&stored.bytes, &keys).unwrap();
        }
        let events: Vec<Event> = (20..1020).map(event).collect();
        let batch = ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        assert_eq!((batch.first, batch.count, batch.size), (20, 1000, 1020));
        for stored in ledger.tail(1000).await.unwrap() {
            memory.append(&stored.bytes);
        }
        assert_eq!(batch.root, memory.root());
        assert_eq!(batch.checkpoint.unwrap().checkpoint.size, 1020);

        for (index, size) in [
            (0, 1),
            (0, 1020),
            (19, 20),
            (511, 1020),
            (1019, 1020),
            (700, 777),
        ] {
            let proof = ledger.inclusion_proof(index, size).await.unwrap();
            assert_eq!(
                proof,
                memory.inclusion_proof(index, size).unwrap(),
                "{}: {index}/{size}",
                db.backend()
            );
            let leaf = merkle::leaf_hash(&ledger.entry(index).await.unwrap().unwrap().bytes);
            verify_inclusion(
                &leaf,
                index,
                size,
                &proof,
                &ledger.root_at(size).await.unwrap(),
            )
            .unwrap();
        }
        for (a, b) in [(1, 2), (7, 1020), (512, 1020), (1000, 1019), (20, 20)] {
            let proof = ledger.consistency_proof(a, b).await.unwrap();
            assert_eq!(proof, memory.consistency_proof(a, b).unwrap());
            verify_consistency(
                a,
                b,
                &ledger.root_at(a).await.unwrap(),
                &ledger.root_at(b).await.unwrap(),
                &proof,
            )
            .unwrap();
        }
        let receipt = ledger.prove(511, Timestamp::now()).await.unwrap();
        receipt
            .verify_entry(&ledger.entry(511).await.unwrap().unwrap().bytes, &keys)
            .unwrap();

        // A ledger with its node cache filled gives the same proofs, reading only the
        // leaf hashes around each entry.
        let warm = Ledger::new(ledger.store().clone(), ORIGIN);
        assert_eq!(warm.warm_cache().await.unwrap(), stored_nodes(1020));
        for (index, size) in [(0, 1020), (511, 1020), (1019, 1020), (700, 777), (5, 9)] {
            assert_eq!(
                warm.inclusion_proof(index, size).await.unwrap(),
                memory.inclusion_proof(index, size).unwrap(),
                "{}: warm {index}/{size}",
                db.backend()
            );
        }
        for (a, b) in [(7, 1020), (512, 1020), (33, 97)] {
            assert_eq!(
                warm.consistency_proof(a, b).await.unwrap(),
                memory.consistency_proof(a, b).unwrap()
            );
        }

        let report = ledger.verify(&options()).await.unwrap();
        assert_eq!(report.divergence, None, "{}", db.backend());
        assert_eq!((report.entries, report.root), (1020, memory.root()));
        assert_eq!(report.nodes, stored_nodes(1020));
        assert!(report.checkpoints >= 1);
    }
}

#[tokio::test]
async fn out_of_range_requests_are_errors_not_panics() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        ledger.append(event(0)).await.unwrap();
        assert!(
            ledger
                .prove(5, Timestamp::now())
                .await
                .unwrap_err()
                .to_string()
                .contains("outside the log")
        );
        assert!(ledger.root_at(2).await.is_err());
        assert!(ledger.inclusion_proof(3, 2).await.is_err());
        assert!(ledger.entry(9).await.unwrap().is_none());
        let unsigned = Ledger::new(db.open().await, ORIGIN);
        assert!(
            unsigned
                .checkpoint(Timestamp::now())
                .await
                .unwrap_err()
                .to_string()
                .contains("keygen")
        );
    }
}

/// How many nodes a log of `size` entries stores: levels 4 and up, the nodes covering
/// 16 leaves or more.
fn stored_nodes(size: u64) -> u64 {
    (4..64).map(|level| size >> level).sum()
}

/// One way an administrator with write access might rewrite history.
#[derive(Debug, Clone)]
enum Tamper {
    AlterBytes(u64),
    AlterLeafHash(u64),
    AlterColumn(u64),
    Delete(u64),
    Insert(u64),
    Swap(u64, u64),
    AlterNode(u8, u64),
    DeleteNode(u8, u64),
    Truncate(u64),
    AlterCheckpointRoot,
}

fn tamper_sql(t: &Tamper) -> Vec<String> {
    match t {
        Tamper::AlterBytes(i) => vec![format!(
            "UPDATE ledger_entries SET entry = {} WHERE idx = {i}",
            "replace_me"
        )],
        Tamper::AlterLeafHash(i) => vec![format!("UPDATE ledger_entries SET leaf_hash = (SELECT hash FROM ledger_nodes WHERE level = 4 AND idx = 0) WHERE idx = {i}")],
        Tamper::AlterColumn(i) => vec![format!("UPDATE ledger_entries SET subject = 'nothing-to-see' WHERE idx = {i}")],
        Tamper::Delete(i) => vec![format!("DELETE FROM ledger_entries WHERE idx = {i}")],
        Tamper::Insert(i) => vec![
            // Shift everything from i up by one (highest first), then put a
            // copy of entry 0 in the hole.
            format!("UPDATE ledger_entries SET idx = idx + 1000000 WHERE idx >= {i}"),
            "UPDATE ledger_entries SET idx = idx - 1000000 + 1 WHERE idx >= 1000000".to_owned(),
            format!("INSERT INTO ledger_entries (idx, leaf_hash, entry, time_us, actor, kind, subject) SELECT {i}, leaf_hash, entry, time_us, actor, kind, subject FROM ledger_entries WHERE idx = 0"),
        ],
        Tamper::Swap(a, b) => vec![
            format!("UPDATE ledger_entries SET idx = 1000000 WHERE idx = {a}"),
            format!("UPDATE ledger_entries SET idx = {a} WHERE idx = {b}"),
            format!("UPDATE ledger_entries SET idx = {b} WHERE idx = 1000000"),
        ],
        Tamper::AlterNode(level, i) => vec![format!(
            "UPDATE ledger_nodes SET hash = (SELECT leaf_hash FROM ledger_entries WHERE idx = 3) WHERE level = {level} AND idx = {i}"
        )],
        Tamper::DeleteNode(level, i) => vec![format!("DELETE FROM ledger_nodes WHERE level = {level} AND idx = {i}")],
        Tamper::Truncate(n) => vec![
            format!("DELETE FROM ledger_entries WHERE idx >= {n}"),
            // and every stored node that covers a removed entry
            format!("DELETE FROM ledger_nodes WHERE (idx + 1) * (CAST(1 AS BIGINT) << level) > {n}"),
        ],
        Tamper::AlterCheckpointRoot => vec![
            "UPDATE ledger_checkpoints SET root = (SELECT leaf_hash FROM ledger_entries WHERE idx = 0)".to_owned(),
        ],
    }
}

fn tamper_strategy(size: u64) -> impl Strategy<Value = Tamper> {
    let i = 0..size;
    prop_oneof![
        i.clone().prop_map(Tamper::AlterBytes),
        i.clone().prop_map(Tamper::AlterLeafHash),
        i.clone().prop_map(Tamper::AlterColumn),
        i.clone().prop_map(Tamper::Delete),
        (1..size).prop_map(Tamper::Insert),
        (0..size, 0..size)
            .prop_filter("distinct", |(a, b)| a != b)
            .prop_map(|(a, b)| Tamper::Swap(a, b)),
        // Stored nodes are levels 4 and up.
        (4u8..7, 0u64..5).prop_map(|(l, i)| Tamper::AlterNode(l, i)),
        (4u8..7, 0u64..5).prop_map(|(l, i)| Tamper::DeleteNode(l, i)),
        (1..size).prop_map(Tamper::Truncate),
        Just(Tamper::AlterCheckpointRoot),
    ]
}

/// Applies `t` with raw SQL; entry bytes are replaced with another valid
/// canonical entry's bytes so that only the ledger's own checks can tell.
async fn apply(ledger: &Ledger, t: &Tamper) {
    let store = ledger.store();
    for sql in tamper_sql(t) {
        let sql = if sql.contains("replace_me") {
            // Another entry's bytes with its index edited to this one's: a
            // well-formed, canonical, but different entry.
            let Tamper::AlterBytes(i) = t else {
                unreachable!()
            };
            let other = if *i == 0 { 1 } else { 0 };
            let bytes = ledger.entry(other).await.unwrap().unwrap().bytes;
            let text = String::from_utf8(bytes).unwrap().replacen(
                &format!("\"index\":{other}"),
                &format!("\"index\":{i}"),
                1,
            );
            let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
            let literal = match store.backend() {
                palisade_store::Backend::Sqlite => format!("X'{hex}'"),
                palisade_store::Backend::Postgres => format!("'\\x{hex}'::bytea"),
            };
            sql.replace("replace_me", &literal)
        } else {
            sql
        };
        store
            .ledger_tamper(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Whether `t` changes anything (some node edits hit nodes that do not
/// exist for a log of this size, or replace a hash with itself).
fn is_real(t: &Tamper, size: u64) -> bool {
    match t {
        Tamper::AlterNode(level, i) | Tamper::DeleteNode(level, i) => (*i + 1) << *level <= size,
        _ => true,
    }
}

#[test]
fn every_kind_of_tampering_is_detected_on_both_backends() {
    // Enough for stored nodes on three levels (16, 32 and 64 leaves) and a
    // partial 16-leaf block at the end, whose nodes are recomputed.
    const SIZE: u64 = 70;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 40,
        ..ProptestConfig::default()
    });
    runner
        .run(&tamper_strategy(SIZE), |t| {
            rt.block_on(async {
                for db in backends().await {
                    let ledger = ledger(&db).await;
                    let events: Vec<Event> = (0..SIZE / 2).map(event).collect();
                    ledger
                        .append_batch(&events, Timestamp::now())
                        .await
                        .unwrap();
                    let events: Vec<Event> = (SIZE / 2..SIZE).map(event).collect();
                    ledger
                        .append_batch(&events, Timestamp::now())
                        .await
                        .unwrap();
                    assert_eq!(ledger.verify(&options()).await.unwrap().divergence, None);
                    if !is_real(&t, SIZE) {
                        continue;
                    }
                    apply(&ledger, &t).await;
                    let report = ledger.verify(&options()).await.unwrap();
                    assert!(
                        report.divergence.is_some(),
                        "{}: {t:?} went unnoticed",
                        db.backend()
                    );
                    let named = report.divergence.unwrap();
                    match (&t, &named) {
                        (Tamper::Delete(i), Divergence::Removed { index, .. }) => {
                            assert_eq!(i, index)
                        }
                        (Tamper::Delete(i), Divergence::RolledBack { .. }) => {
                            assert_eq!(*i, SIZE - 1)
                        }
                        (Tamper::Truncate(_), Divergence::RolledBack { .. }) => {}
                        (
                            Tamper::AlterColumn(i)
                            | Tamper::AlterLeafHash(i)
                            | Tamper::AlterBytes(i),
                            Divergence::Altered { index, .. },
                        ) => assert_eq!(i, index),
                        (Tamper::Insert(i), Divergence::Moved { position, .. }) => {
                            assert_eq!(i, position)
                        }
                        (Tamper::Swap(a, b), Divergence::Moved { position, .. }) => {
                            assert_eq!(*position, *a.min(b))
                        }
                        (
                            Tamper::AlterNode(..) | Tamper::DeleteNode(..),
                            Divergence::Node { .. },
                        ) => {}
                        (Tamper::AlterCheckpointRoot, Divergence::CheckpointMismatch { .. }) => {}
                        (t, d) => panic!("{t:?} was reported as: {d}"),
                    }
                }
            });
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn witnesses_cosign_and_a_rollback_below_their_checkpoint_is_caught() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        let events: Vec<Event> = (0..10).map(event).collect();
        let batch = ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        let ours = batch.checkpoint.unwrap();
        let witness =
            SignerKey::with_algorithm("witness.example", Algorithm::CosignatureV1, [9u8; 32])
                .unwrap();
        let cosig = Cosignature::sign(&witness, &ours.checkpoint, 1_790_000_000).unwrap();
        let cosigned = format!("{ours}{}", cosig.line());
        let witnesses = vec![witness.verifier()];
        let (size, added) = ledger
            .cosign(&cosigned, &witnesses, Timestamp::now())
            .await
            .unwrap();
        assert_eq!((size, added), (10, vec!["witness.example".to_owned()]));
        let mut opts = options();
        opts.witnesses = witnesses.clone();
        opts.external = vec![SignedCheckpoint::parse(cosigned.as_bytes()).unwrap()];
        let report = ledger.verify(&opts).await.unwrap();
        assert_eq!(report.divergence, None);
        assert_eq!((report.cosignatures, report.external), (1, 1));

        // A checkpoint of another tree is refused.
        let forged = palisade_ledger::Checkpoint::new(ORIGIN, 10, [1u8; 32])
            .sign(&signer())
            .unwrap();
        let forged_cosig = Cosignature::sign(&witness, &forged.checkpoint, 1_790_000_001).unwrap();
        let err = ledger
            .cosign(
                &format!("{forged}{}", forged_cosig.line()),
                &witnesses,
                Timestamp::now(),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not ours"), "{err}");

        // The admin rolls the log back to 6 entries and deletes every trace
        // of the checkpoint: only the witness's copy can tell.
        for sql in [
            "DELETE FROM ledger_entries WHERE idx >= 6",
            "DELETE FROM ledger_nodes WHERE (idx + 1) * (CAST(1 AS BIGINT) << level) > 6",
            "DELETE FROM ledger_cosignatures",
            "DELETE FROM ledger_checkpoints",
        ] {
            ledger.store().ledger_tamper(sql).await.unwrap();
        }
        let mut plain = options();
        plain.witnesses = witnesses.clone();
        assert_eq!(
            ledger.verify(&plain).await.unwrap().divergence,
            None,
            "without the witness's copy it looks fine"
        );
        let report = ledger.verify(&opts).await.unwrap();
        assert_eq!(
            report.divergence,
            Some(Divergence::RolledBack {
                size: 10,
                log_size: 6
            })
        );
    }
}

#[tokio::test]
async fn verify_reports_its_progress_up_to_the_whole_log() {
    let db = crate::common::sqlite();
    let ledger = ledger(&db).await;
    let events: Vec<Event> = (0..20_000).map(event).collect();
    ledger
        .append_batch(&events, Timestamp::now())
        .await
        .unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut opts = options();
    opts.progress = Some(palisade_ledger::ledger::Progress(std::sync::Arc::new(
        move |done, total| log.lock().unwrap().push((done, total)),
    )));
    let report = ledger.verify(&opts).await.unwrap();
    assert_eq!(report.divergence, None);
    let seen = seen.lock().unwrap().clone();
    // One call per run of 8,192 entries, rising, ending at the whole log.
    assert_eq!(seen, [(8_192, 20_000), (16_384, 20_000), (20_000, 20_000)]);
}

async fn by_subject(ledger: &Ledger) -> Vec<u64> {
    let query = Query {
        subject: Some("svc-3".into()),
        limit: 100,
        ..Query::default()
    };
    let found = ledger.query(&query).await.unwrap();
    found.iter().map(|s| s.entry.index).collect()
}

/// `palisade ledger tail -n 3 --kind K` printed the oldest three entries of that kind:
/// filtered queries ran in ascending order with a limit. Every filter now returns the
/// latest matches, still oldest first.
#[tokio::test]
async fn regression_tail_with_a_filter_returns_the_latest_entries_not_the_oldest() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        let events: Vec<Event> = (0..40).map(event).collect();
        ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        let indexes = |found: Vec<palisade_ledger::ledger::Stored>| -> Vec<u64> {
            found.iter().map(|s| s.entry.index).collect()
        };
        let since = Timestamp::from_second(1_790_000_000 + 10).unwrap();
        let until = Timestamp::from_second(1_790_000_000 + 30).unwrap();
        for (query, want) in [
            (
                Query {
                    kind: Some("gate.verdict".into()),
                    limit: 3,
                    ..Query::default()
                },
                vec![33, 36, 39],
            ),
            (
                Query {
                    subject: Some("svc-3".into()),
                    limit: 2,
                    ..Query::default()
                },
                vec![31, 38],
            ),
            (
                Query {
                    since: Some(since),
                    until: Some(until),
                    limit: 3,
                    ..Query::default()
                },
                vec![27, 28, 29],
            ),
            (
                Query {
                    kind: Some("access.grant".into()),
                    limit: 2,
                    offset: 1,
                    ..Query::default()
                },
                vec![35, 37],
            ),
            (
                Query {
                    limit: 3,
                    ..Query::default()
                },
                vec![37, 38, 39],
            ),
        ] {
            let found = indexes(ledger.query(&query).await.unwrap());
            assert_eq!(found, want, "{}: {query:?}", db.backend());
        }
    }
}

/// Events read from JSON Lines: `kind` and `subject` are needed, `actor` and `data` are not.
#[test]
fn events_come_from_json_lines() {
    use palisade_ledger::ledger::EventLineError;
    let time = Timestamp::from_second(1_790_000_000).unwrap();
    let line = r#"{"kind":"gate.verdict","subject":"api","actor":"ada","data":{"pass":true}}"#;
    assert_eq!(
        Event::from_json_line(line, time, "palisade").unwrap(),
        Event {
            time,
            actor: "ada".into(),
            kind: "gate.verdict".into(),
            subject: "api".into(),
            data: json!({"pass": true}),
        }
    );
    let bare = Event::from_json_line(r#"{"kind":"k","subject":"s"}"#, time, "palisade").unwrap();
    assert_eq!(
        (bare.actor.as_str(), &bare.data),
        ("palisade", &json!(null))
    );
    for (line, message) in [
        ("{", "not JSON"),
        (r#"{"subject":"s"}"#, "no `kind`"),
        (r#"{"kind":"k"}"#, "no `subject`"),
        (r#"{"kind":1,"subject":"s"}"#, "no `kind`"),
    ] {
        let err = Event::from_json_line(line, time, "palisade").unwrap_err();
        assert!(err.to_string().starts_with(message), "{line}: {err}");
        assert!(matches!(
            err,
            EventLineError::Json(_) | EventLineError::Missing(_)
        ));
    }
}

#[tokio::test]
async fn an_edited_subject_index_is_reported_and_reindex_repairs_it() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        let events: Vec<Event> = (0..30).map(event).collect();
        ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        let want: Vec<u64> = (0..30).filter(|i| i % 7 == 3).collect();
        assert_eq!(by_subject(&ledger).await, want);
        assert_eq!(ledger.verify(&options()).await.unwrap().divergence, None);

        // Hiding entry 10 from queries by its subject, without touching the entries.
        ledger
            .store()
            .ledger_tamper("UPDATE ledger_entries SET subject_indexed = 0 WHERE idx = 10")
            .await
            .unwrap();
        assert_eq!(by_subject(&ledger).await, [3, 17, 24]);
        let report = ledger.verify(&options()).await.unwrap();
        assert_eq!(
            report.divergence,
            Some(Divergence::SubjectIndex {
                first: Some(10),
                indexed: 29,
                covers: Some(30)
            }),
            "{}",
            db.backend()
        );
        let message = report.divergence.unwrap().to_string();
        assert!(message.contains("palisade ledger reindex"), "{message}");

        assert_eq!(ledger.reindex().await.unwrap(), 30);
        assert_eq!(ledger.verify(&options()).await.unwrap().divergence, None);
        assert_eq!(by_subject(&ledger).await, want);
    }
}

#[tokio::test]
async fn bundles_verify_offline_and_damage_is_located() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        let events: Vec<Event> = (0..50).map(event).collect();
        ledger
            .append_batch(&events, Timestamp::now())
            .await
            .unwrap();
        let since = Timestamp::from_second(1_790_000_010).unwrap();
        let until = Timestamp::from_second(1_790_000_030).unwrap();
        let b = ledger.export(since, until, Timestamp::now()).await.unwrap();
        assert_eq!(b.count, 20);
        let pinned = TrustPolicy {
            log_keys: vec![VerifierKey::parse(&b.key).unwrap()],
            origin: Some(ORIGIN.to_owned()),
            ..TrustPolicy::default()
        };
        let report = verify_bundle(&b.entries, &b.proofs, &b.checkpoint, None, &pinned).unwrap();
        assert_eq!((report.checkpoint.size, report.count), (50, 20));
        // Each line is exactly the leaf: an independent implementation needs
        // nothing but SHA-256.
        let first = b.entries.lines().next().unwrap();
        assert_eq!(
            merkle::leaf_hash(first.as_bytes()),
            merkle::leaf_hash(&ledger.entry(10).await.unwrap().unwrap().bytes)
        );

        let altered = b.entries.replacen("\"ok\":true", "\"ok\":false", 1);
        let e = verify_bundle(&altered, &b.proofs, &b.checkpoint, None, &pinned).unwrap_err();
        assert_eq!((e.file, e.line), ("proofs.jsonl", 1), "{e}");
        let truncated: String = b.proofs.lines().take(5).map(|l| format!("{l}\n")).collect();
        let e = verify_bundle(&b.entries, &truncated, &b.checkpoint, None, &pinned).unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
        let wrong_key = SignerKey::from_seed(ORIGIN, [8u8; 32])
            .unwrap()
            .verifier()
            .to_string();
        // A bundle re-signed with another key does not pass, whatever log.vkey it ships.
        let wrong = TrustPolicy {
            log_keys: vec![VerifierKey::parse(&wrong_key).unwrap()],
            ..pinned.clone()
        };
        let e =
            verify_bundle(&b.entries, &b.proofs, &b.checkpoint, Some(&b.key), &wrong).unwrap_err();
        assert_eq!(e.file, "checkpoint", "{e}");
        let report = verify_bundle(
            &b.entries,
            &b.proofs,
            &b.checkpoint,
            Some(&wrong_key),
            &pinned,
        )
        .unwrap();
        assert_eq!(
            report.other_bundled_key.as_deref(),
            Some(wrong_key.as_str())
        );
    }
}

/// A decision and the state it changes commit together: entries appended in a
/// transaction that also writes state are durable only with it, and a dropped
/// transaction leaves neither.
#[tokio::test]
async fn entries_appended_in_a_transaction_commit_with_its_state() {
    for db in backends().await {
        let ledger = ledger(&db).await;
        let row = |id: &str| palisade_store::AccessRequestRow {
            id: id.to_owned(),
            requester: "arjun".to_owned(),
            role: "prod-reader".to_owned(),
            environment: None,
            duration_s: 3600,
            reason: "incident".to_owned(),
            ticket: None,
            start_us: None,
            created_us: 1,
            state: "pending".to_owned(),
            state_us: 1,
            active_from_us: None,
            active_until_us: None,
            version: 1,
            break_glass: false,
        };
        {
            let mut tx = ledger.begin().await.unwrap();
            tx.access_insert_request(&row("dropped")).await.unwrap();
            let (first, size) = ledger.append_in(&mut tx, &[event(0)]).await.unwrap();
            assert_eq!((first, size), (0, 1));
        }
        assert_eq!(ledger.size().await.unwrap(), 0, "{}", db.backend());
        assert!(
            ledger
                .store()
                .access_request("dropped")
                .await
                .unwrap()
                .is_none()
        );

        let mut tx = ledger.begin().await.unwrap();
        tx.access_insert_request(&row("kept")).await.unwrap();
        let (first, size) = ledger
            .append_in(&mut tx, &[event(1), event(2)])
            .await
            .unwrap();
        assert_eq!((first, size), (0, 2));
        tx.commit().await.unwrap();
        assert_eq!(ledger.size().await.unwrap(), 2, "{}", db.backend());
        assert!(
            ledger
                .store()
                .access_request("kept")
                .await
                .unwrap()
                .is_some()
        );
        // The log still verifies end to end after a transactional append.
        let report = ledger.verify(&options()).await.unwrap();
        assert!(report.divergence.is_none(), "{}: {report:?}", db.backend());
        let receipt = ledger
            .prove(1, Timestamp::from_second(1_800_000_000).unwrap())
            .await
            .unwrap();
        assert_eq!(receipt.index, 1);
    }
}

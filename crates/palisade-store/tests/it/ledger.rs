//! The evidence ledger's storage: migrations 0002 to 0004, the subject index, serialised appends, exact round
//! trips, node lookups, packed runs, queries, checkpoints and cosignatures.

use std::sync::Arc;

use std::time::Duration;

use palisade_store::{
    Backend, DEFAULT_LOCK_TIMEOUT, LedgerCheckpoint, LedgerCosignature, LedgerFilter, LedgerOrder,
    LedgerRow, NewModelVersion, Store, StoreError, StoreOptions,
};
use sha2::{Digest, Sha256};

use crate::common::{backends, sha256_hex};

/// A distinct hash per tag.
fn hash(tag: &str) -> [u8; 32] {
    Sha256::digest(tag.as_bytes()).into()
}

/// An entry whose bytes and hash are derived from `idx` and `tag`.
fn row(idx: u64, kind: &str, subject: &str, time_us: i64) -> LedgerRow {
    let entry = format!(r#"{{"idx":{idx},"kind":"{kind}","subject":"{subject}"}}"#);
    LedgerRow {
        idx,
        leaf_hash: hash(&entry),
        entry: entry.into_bytes(),
        time_us,
        actor: "alice@example.com".to_owned(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
    }
}

fn node(level: u8, idx: u64) -> (u8, u64, [u8; 32]) {
    (level, idx, hash(&format!("node {level}/{idx}")))
}

fn checkpoint(size: u64) -> LedgerCheckpoint {
    LedgerCheckpoint {
        size,
        root: hash(&format!("root {size}")),
        note: format!("palisade.example/log\n{size}\nroot\n\n— palisade sig{size}\n"),
        created_us: 1_770_000_000_000_000 + i64::try_from(size).expect("small"),
    }
}

/// Appends `rows` (and their leaf nodes) in one committed transaction.
async fn append(store: &Store, rows: &[LedgerRow]) {
    let mut tx = store.ledger_begin().await.expect("begin");
    tx.insert_entries(rows).await.expect("insert entries");
    let leaves: Vec<_> = rows.iter().map(|r| (0, r.idx, r.leaf_hash)).collect();
    tx.insert_nodes(&leaves).await.expect("insert leaves");
    tx.commit().await.expect("commit");
}

/// Every stored entry, read with the chunked walker.
async fn walk_entries(store: &Store, chunk: u32) -> Vec<LedgerRow> {
    let mut all = Vec::new();
    loop {
        let next = all.last().map_or(0, |r: &LedgerRow| r.idx + 1);
        let rows = store
            .ledger_entries_chunk(next, chunk)
            .await
            .expect("chunk");
        if rows.is_empty() {
            return all;
        }
        assert!(rows.len() <= chunk as usize);
        all.extend(rows);
    }
}

#[tokio::test]
async fn migration_0002_upgrades_a_store_made_with_only_0001() {
    for db in backends().await {
        let only_init = &db.migrations()[..1];
        assert_eq!(only_init[0].name, "init");
        let old = db.open_with(only_init).await.expect("0001 alone applies");
        assert_eq!(old.schema_version().await.ok(), Some(1));
        let model = old
            .record_model(&NewModelVersion {
                sha256: sha256_hex("before the ledger"),
                source: "palisade.toml".into(),
                org: "acme".into(),
                content: "org = 'acme'".into(),
                recorded_at: jiff::Timestamp::now(),
            })
            .await
            .expect("record");
        old.close().await;
        assert!(
            db.scalar("SELECT COUNT(*) FROM ledger_entries")
                .await
                .is_err(),
            "{}: no ledger before 0002",
            db.backend()
        );

        let store = db.open().await;
        let status = store.migration_status().await.expect("status");
        let applied: Vec<_> = status
            .iter()
            .map(|m| (m.version, m.name.as_str()))
            .collect();
        // Every built-in migration is applied, in order, starting from 0001's.
        let builtin: Vec<_> = db
            .migrations()
            .iter()
            .map(|m| (m.version, m.name))
            .collect();
        assert_eq!(applied, builtin, "{}", db.backend());
        assert_eq!(
            applied[..2],
            [(1, "init"), (2, "ledger")],
            "{}",
            db.backend()
        );
        assert_eq!(status[1].checksum, db.migrations()[1].checksum());
        // Data from before is kept, and the ledger works.
        let latest = store
            .latest_model()
            .await
            .expect("latest")
            .map(|(v, _)| v.id);
        assert_eq!(latest, Some(model.id));
        append(&store, &[row(0, "gate", "svc", 1)]).await;
        assert_eq!(store.ledger_size().await.ok(), Some(1));
        store.close().await;
    }
}

#[tokio::test]
async fn fresh_store_has_an_empty_ledger() {
    for db in backends().await {
        let store = db.open().await;
        let status = store.migration_status().await.expect("status");
        assert_eq!(
            status.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            db.migrations().iter().map(|m| m.name).collect::<Vec<_>>()
        );
        assert!(status.len() >= 6, "access credentials is migration 6");
        assert_eq!(store.ledger_size().await.ok(), Some(0), "{}", db.backend());
        assert_eq!(store.ledger_entry(0).await.ok(), Some(None));
        assert_eq!(store.ledger_entries(0, 10).await.ok(), Some(vec![]));
        assert_eq!(store.ledger_entries_chunk(0, 10).await.ok(), Some(vec![]));
        assert_eq!(store.ledger_nodes(&[]).await.ok(), Some(vec![]));
        assert_eq!(
            store.ledger_nodes_chunk((0, 0), 10).await.ok(),
            Some(vec![])
        );
        assert_eq!(
            store
                .ledger_query(&LedgerFilter::default(), LedgerOrder::OldestFirst, 10, 0)
                .await
                .ok(),
            Some(vec![])
        );
        assert_eq!(store.ledger_latest_checkpoint().await.ok(), Some(None));
        assert_eq!(store.ledger_checkpoints(0, 10).await.ok(), Some(vec![]));
        assert_eq!(store.ledger_cosignatures(0).await.ok(), Some(vec![]));
        let mut tx = store.ledger_begin().await.expect("begin");
        assert_eq!(tx.size().await.ok(), Some(0));
        assert_eq!(tx.latest_checkpoint().await.ok(), Some(None));
        tx.commit().await.expect("an empty commit");
        store.close().await;
    }
}

#[tokio::test]
async fn entry_bytes_and_fields_round_trip_exactly() {
    for db in backends().await {
        let store = db.open().await;
        // NUL, invalid UTF-8 (a lone continuation byte, an overlong form, 0xFF), a
        // byte-order mark, CR LF, and every byte value once.
        let mut odd: Vec<u8> = b"{\"a\":\"\x00\x80\xc0\xaf\xff\"}\r\n\xef\xbb\xbf".to_vec();
        odd.extend(0..=255_u8);
        let rows = vec![
            LedgerRow {
                idx: 0,
                leaf_hash: [0; 32],
                entry: odd.clone(),
                time_us: i64::MIN,
                actor: "ünïcödé 🦀 'quoted' \"double\"".to_owned(),
                kind: "Kind With Spaces".to_owned(),
                subject: "line\nbreak\ttab".to_owned(),
            },
            LedgerRow {
                idx: 1,
                leaf_hash: [0xff; 32],
                entry: Vec::new(),
                time_us: i64::MAX,
                actor: String::new(),
                kind: String::new(),
                subject: String::new(),
            },
            LedgerRow {
                idx: 2,
                leaf_hash: hash("big"),
                entry: (0..200_000_u32).map(|i| (i % 251) as u8).collect(),
                time_us: 0,
                actor: "a".repeat(10_000),
                kind: "k".to_owned(),
                subject: "s".to_owned(),
            },
        ];
        append(&store, &rows).await;

        for expected in &rows {
            let got = store.ledger_entry(expected.idx).await.expect("read");
            assert_eq!(got.as_ref(), Some(expected), "{}", db.backend());
        }
        assert_eq!(store.ledger_entries(0, 3).await.ok().as_ref(), Some(&rows));
        assert_eq!(walk_entries(&store, 2).await, rows);
        let found = store
            .ledger_query(
                &LedgerFilter {
                    kind: Some("Kind With Spaces"),
                    ..LedgerFilter::default()
                },
                LedgerOrder::OldestFirst,
                10,
                0,
            )
            .await
            .expect("query");
        assert_eq!(found, rows[..1]);
        assert_eq!(
            store.ledger_nodes(&[(0, 0), (0, 1)]).await.ok(),
            Some(vec![[0; 32], [0xff; 32]])
        );
        store.close().await;
    }
}

#[tokio::test]
async fn values_the_database_cannot_keep_are_refused_alike() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.expect("begin");
        let mut nul = row(0, "gate", "svc", 1);
        nul.subject = "a\0b".to_owned();
        let err = tx.insert_entries(&[nul]).await.expect_err("NUL in text");
        assert!(
            matches!(
                err,
                StoreError::InvalidInput {
                    what: "ledger entry subject",
                    ..
                }
            ),
            "{}: {err:?}",
            db.backend()
        );
        let err = tx
            .insert_entries(&[row(u64::MAX, "gate", "svc", 1)])
            .await
            .expect_err("index too large");
        assert!(matches!(err, StoreError::InvalidInput { .. }), "{err:?}");
        let err = tx
            .insert_nodes(&[(64, 0, [1; 32])])
            .await
            .expect_err("level too large");
        assert!(matches!(err, StoreError::InvalidInput { .. }), "{err:?}");
        // Refused before reaching the database: the transaction is still usable.
        tx.insert_entries(&[row(0, "gate", "svc", 1)])
            .await
            .expect("a valid row after refused ones");
        tx.commit().await.expect("commit");
        assert_eq!(store.ledger_size().await.ok(), Some(1));
        assert_eq!(store.ledger_entry(u64::MAX).await.ok(), Some(None));
        store.close().await;
    }
}

#[tokio::test]
async fn dropping_a_transaction_rolls_everything_back() {
    for db in backends().await {
        let store = db.open().await;
        append(&store, &[row(0, "gate", "svc", 1)]).await;
        {
            let mut tx = store.ledger_begin().await.expect("begin");
            tx.insert_entries(&[row(1, "gate", "svc", 2), row(2, "gate", "svc", 3)])
                .await
                .expect("insert");
            tx.insert_nodes(&[node(0, 1), node(1, 0)])
                .await
                .expect("insert nodes");
            tx.insert_checkpoint(&checkpoint(3))
                .await
                .expect("checkpoint");
            // The transaction sees its own writes.
            assert_eq!(tx.size().await.ok(), Some(3));
            assert_eq!(tx.nodes(&[(1, 0)]).await.ok(), Some(vec![node(1, 0).2]));
            assert_eq!(tx.latest_checkpoint().await.ok(), Some(Some(checkpoint(3))));
            // Dropped here without commit.
        }
        // Another handle proves the lock is gone and nothing was kept.
        let other = db.open().await;
        let mut tx = other.ledger_begin().await.expect("begin after a drop");
        assert_eq!(tx.size().await.ok(), Some(1), "{}", db.backend());
        tx.insert_entries(&[row(1, "gate", "svc", 5)])
            .await
            .expect("index 1 is free again");
        tx.rollback().await.expect("explicit rollback");
        assert_eq!(store.ledger_size().await.ok(), Some(1));
        assert!(matches!(
            store.ledger_nodes(&[(1, 0)]).await,
            Err(StoreError::MissingNode { level: 1, idx: 0 })
        ));
        assert_eq!(store.ledger_latest_checkpoint().await.ok(), Some(None));
        assert_eq!(
            store.ledger_entries(0, 10).await.ok().map(|r| r.len()),
            Some(1)
        );
        other.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn keys_already_stored_are_conflicts() {
    for db in backends().await {
        let store = db.open().await;
        append(
            &store,
            &[row(0, "gate", "svc", 1), row(1, "gate", "svc", 1)],
        )
        .await;
        let mut tx = store.ledger_begin().await.expect("begin");
        let err = tx
            .insert_entries(&[row(2, "gate", "svc", 1), row(1, "gate", "svc", 1)])
            .await
            .expect_err("index 1 is taken");
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    what: "ledger entry",
                    ..
                }
            ),
            "{}: {err:?}",
            db.backend()
        );
        assert!(
            err.to_string()
                .starts_with("ledger entry is already stored: "),
            "{err}"
        );
        drop(tx);
        // The failed statement wrote nothing, not even its first row.
        assert_eq!(store.ledger_size().await.ok(), Some(2));

        let mut tx = store.ledger_begin().await.expect("begin");
        let err = tx.insert_nodes(&[(0, 1, [7; 32])]).await.expect_err("node");
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    what: "ledger node",
                    ..
                }
            ),
            "{err:?}"
        );
        drop(tx);
        assert_eq!(
            store.ledger_nodes(&[(0, 1)]).await.ok(),
            Some(vec![row(1, "gate", "svc", 1).leaf_hash])
        );
        store.close().await;
    }
}

#[tokio::test]
async fn nodes_come_back_in_the_order_asked() {
    for db in backends().await {
        let store = db.open().await;
        let mut all = Vec::new();
        for level in 0..4_u8 {
            for idx in 0..(1200_u64 >> level) {
                all.push(node(level, idx));
            }
        }
        let mut tx = store.ledger_begin().await.expect("begin");
        tx.insert_nodes(&all).await.expect("insert nodes");
        tx.commit().await.expect("commit");

        // A proof-sized, unordered request with a repeat (5 ids: padded internally).
        let ids = [(3, 7), (0, 1199), (1, 0), (3, 7), (2, 299)];
        let want: Vec<_> = ids.iter().map(|&(l, i)| node(l, i).2).collect();
        assert_eq!(
            store.ledger_nodes(&ids).await.ok(),
            Some(want.clone()),
            "{}",
            db.backend()
        );
        let mut tx = store.ledger_begin().await.expect("begin");
        assert_eq!(tx.nodes(&ids).await.ok(), Some(want));
        drop(tx);

        // One id, and a request larger than one lookup statement, in reverse order.
        assert_eq!(
            store.ledger_nodes(&[(2, 5)]).await.ok(),
            Some(vec![node(2, 5).2])
        );
        let big: Vec<(u8, u64)> = all.iter().rev().map(|&(l, i, _)| (l, i)).collect();
        let hashes = store.ledger_nodes(&big).await.expect("large lookup");
        let expected: Vec<_> = all.iter().rev().map(|n| n.2).collect();
        assert_eq!(hashes, expected);
        store.close().await;
    }
}

#[tokio::test]
async fn a_missing_node_is_named_in_the_error() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.expect("begin");
        tx.insert_nodes(&[node(0, 0), node(1, 1), node(5, 3)])
            .await
            .expect("insert");
        tx.commit().await.expect("commit");

        let err = store
            .ledger_nodes(&[(0, 0), (3, 7), (1, 1), (2, 9)])
            .await
            .expect_err("(3, 7) and (2, 9) are missing");
        assert!(
            matches!(err, StoreError::MissingNode { level: 3, idx: 7 }),
            "{}: {err:?}",
            db.backend()
        );
        assert_eq!(
            err.to_string(),
            "ledger node at level 3, index 7 is not in the database"
        );
        // Same in a transaction, and for an index no row can have.
        let mut tx = store.ledger_begin().await.expect("begin");
        let err = tx
            .nodes(&[(5, 3), (0, u64::MAX)])
            .await
            .expect_err("missing");
        assert!(
            matches!(
                err,
                StoreError::MissingNode {
                    level: 0,
                    idx: u64::MAX
                }
            ),
            "{err:?}"
        );
        drop(tx);
        // A missing one past the first lookup statement is found too.
        let mut ids = vec![(0, 0); 1500];
        ids[1400] = (1, 0);
        let err = store.ledger_nodes(&ids).await.expect_err("missing (1, 0)");
        assert!(
            matches!(err, StoreError::MissingNode { level: 1, idx: 0 }),
            "{err:?}"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn node_chunks_walk_every_stored_node_in_order() {
    for db in backends().await {
        let store = db.open().await;
        let mut all = Vec::new();
        for level in [0_u8, 1, 2, 7] {
            for idx in 0..(40_u64 >> level.min(3)) {
                all.push(node(level, idx));
            }
        }
        let mut tx = store.ledger_begin().await.expect("begin");
        // Inserted out of order; read back ordered by level, then index.
        let mut shuffled = all.clone();
        shuffled.reverse();
        tx.insert_nodes(&shuffled).await.expect("insert");
        tx.commit().await.expect("commit");

        let mut walked = Vec::new();
        let mut from = (0, 0);
        loop {
            let chunk = store.ledger_nodes_chunk(from, 7).await.expect("chunk");
            let Some(&(level, idx, _)) = chunk.last() else {
                break;
            };
            walked.extend(chunk);
            from = (level, idx + 1);
        }
        assert_eq!(walked, all, "{}", db.backend());
        // Past the last index of a level continues with the next level.
        let next = store
            .ledger_nodes_chunk((2, u64::MAX), 1)
            .await
            .expect("chunk");
        assert_eq!(next, [node(7, 0)]);
        assert_eq!(
            store.ledger_nodes_chunk((255, u64::MAX), 1).await.ok(),
            Some(vec![])
        );
        store.close().await;
    }
}

#[tokio::test]
async fn bulk_inserts_span_several_statements() {
    for db in backends().await {
        let store = db.open().await;
        let rows: Vec<LedgerRow> = (0..2500)
            .map(|i| {
                row(
                    i,
                    ["gate", "grant", "alert"][i as usize % 3],
                    "svc",
                    i as i64,
                )
            })
            .collect();
        let mut nodes: Vec<_> = (0..2500).map(|i| node(0, i)).collect();
        nodes.extend((0..1250).map(|i| node(1, i)));
        let mut tx = store.ledger_begin().await.expect("begin");
        tx.insert_entries(&rows).await.expect("insert entries");
        tx.insert_nodes(&nodes).await.expect("insert nodes");
        assert_eq!(tx.size().await.ok(), Some(2500));
        tx.commit().await.expect("commit");

        assert_eq!(
            store.ledger_size().await.ok(),
            Some(2500),
            "{}",
            db.backend()
        );
        assert_eq!(walk_entries(&store, 1000).await, rows);
        assert_eq!(
            store.ledger_entries(1023, 1026).await.ok().as_deref(),
            Some(&rows[1023..1026])
        );
        let ids: Vec<_> = nodes.iter().map(|&(l, i, _)| (l, i)).collect();
        let hashes: Vec<_> = nodes.iter().map(|n| n.2).collect();
        assert_eq!(store.ledger_nodes(&ids).await.ok(), Some(hashes));
        store.close().await;
    }
}

#[tokio::test]
async fn queries_filter_by_kind_subject_and_time() {
    for db in backends().await {
        let store = db.open().await;
        let kinds = ["gate", "grant", "alert"];
        let subjects = ["payments", "search", "payments-api"];
        let rows: Vec<LedgerRow> = (0..30_u64)
            .map(|i| {
                row(
                    i,
                    kinds[(i % 3) as usize],
                    subjects[(i / 3 % 3) as usize],
                    1_000 + 10 * i as i64,
                )
            })
            .collect();
        append(&store, &rows).await;

        let kind_options = [None, Some("gate"), Some("alert"), Some("nothing")];
        let subject_options = [None, Some("payments"), Some("payments-api")];
        let since_options = [None, Some(1_050), Some(1_055)];
        let until_options = [None, Some(1_200), Some(1_205)];
        for kind in kind_options {
            for subject in subject_options {
                for since in since_options {
                    for until in until_options {
                        let expected: Vec<&LedgerRow> = rows
                            .iter()
                            .filter(|r| kind.is_none_or(|k| r.kind == k))
                            .filter(|r| subject.is_none_or(|s| r.subject == s))
                            .filter(|r| since.is_none_or(|t| r.time_us >= t))
                            .filter(|r| until.is_none_or(|t| r.time_us < t))
                            .collect();
                        let filter = LedgerFilter {
                            kind,
                            subject,
                            since_us: since,
                            until_us: until,
                        };
                        let got = store
                            .ledger_query(&filter, LedgerOrder::OldestFirst, 100, 0)
                            .await
                            .expect("query");
                        let got: Vec<&LedgerRow> = got.iter().collect();
                        assert_eq!(got, expected, "{}: {filter:?}", db.backend());
                        let newest = store
                            .ledger_query(&filter, LedgerOrder::NewestFirst, 100, 0)
                            .await
                            .expect("query");
                        let newest: Vec<&LedgerRow> = newest.iter().rev().collect();
                        assert_eq!(newest, expected, "{}: {filter:?}", db.backend());
                    }
                }
            }
        }

        // Pages: limit and offset over the log order.
        let gates: Vec<u64> = rows
            .iter()
            .filter(|r| r.kind == "gate")
            .map(|r| r.idx)
            .collect();
        let page = |order, limit, offset| {
            let store = store.clone();
            async move {
                let gate = LedgerFilter {
                    kind: Some("gate"),
                    ..LedgerFilter::default()
                };
                store
                    .ledger_query(&gate, order, limit, offset)
                    .await
                    .expect("page")
                    .into_iter()
                    .map(|r| r.idx)
                    .collect::<Vec<_>>()
            }
        };
        let oldest = LedgerOrder::OldestFirst;
        assert_eq!(page(oldest, 3, 0).await, gates[..3]);
        assert_eq!(page(oldest, 3, 3).await, gates[3..6]);
        assert_eq!(page(oldest, 100, 8).await, gates[8..]);
        assert_eq!(page(oldest, 0, 0).await, Vec::<u64>::new());
        assert_eq!(page(oldest, 10, u64::MAX).await, Vec::<u64>::new());
        // Back from the end: the latest first.
        let newest = LedgerOrder::NewestFirst;
        let reversed: Vec<u64> = gates.iter().rev().copied().collect();
        assert_eq!(page(newest, 3, 0).await, reversed[..3]);
        assert_eq!(page(newest, 3, 3).await, reversed[3..6]);
        assert_eq!(page(newest, 100, 8).await, reversed[8..]);
        assert_eq!(page(newest, 10, u64::MAX).await, Vec::<u64>::new());
        store.close().await;
    }
}

#[tokio::test]
async fn checkpoints_and_cosignatures_round_trip() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.expect("begin");
        for size in [0, 5, 10] {
            tx.insert_checkpoint(&checkpoint(size))
                .await
                .expect("checkpoint");
        }
        tx.commit().await.expect("commit");

        assert_eq!(
            store.ledger_latest_checkpoint().await.ok(),
            Some(Some(checkpoint(10))),
            "{}",
            db.backend()
        );
        assert_eq!(
            store.ledger_checkpoint(5).await.ok(),
            Some(Some(checkpoint(5)))
        );
        assert_eq!(store.ledger_checkpoint(6).await.ok(), Some(None));
        assert_eq!(
            store.ledger_checkpoints(0, 10).await.ok(),
            Some(vec![checkpoint(0), checkpoint(5), checkpoint(10)])
        );
        assert_eq!(
            store.ledger_checkpoints(1, 1).await.ok(),
            Some(vec![checkpoint(5)])
        );

        let mut tx = store.ledger_begin().await.expect("begin");
        let mut again = checkpoint(5);
        again.note.push_str("different\n");
        let err = tx
            .insert_checkpoint(&again)
            .await
            .expect_err("size 5 is taken");
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    what: "ledger checkpoint",
                    ..
                }
            ),
            "{err:?}"
        );
        drop(tx);

        let cosig = |witness: &str, line: &str| LedgerCosignature {
            size: 10,
            witness: witness.to_owned(),
            line: line.to_owned(),
            received_us: 1_770_000_000_000_123,
        };
        assert_eq!(
            store
                .ledger_insert_cosignature(&cosig("witness.b", "— witness.b AAAA"))
                .await
                .ok(),
            Some(true)
        );
        assert_eq!(
            store
                .ledger_insert_cosignature(&cosig("witness.a", "— witness.a BBBB"))
                .await
                .ok(),
            Some(true)
        );
        // The same witness again: kept the first.
        assert_eq!(
            store
                .ledger_insert_cosignature(&cosig("witness.a", "— witness.a CCCC"))
                .await
                .ok(),
            Some(false)
        );
        assert_eq!(
            store.ledger_cosignatures(10).await.ok(),
            Some(vec![
                cosig("witness.a", "— witness.a BBBB"),
                cosig("witness.b", "— witness.b AAAA"),
            ])
        );
        assert_eq!(store.ledger_cosignatures(5).await.ok(), Some(vec![]));
        let err = store
            .ledger_insert_cosignature(&LedgerCosignature {
                size: 7,
                ..cosig("witness.a", "x")
            })
            .await
            .expect_err("no checkpoint of size 7");
        assert!(
            matches!(
                err,
                StoreError::InvalidInput {
                    what: "cosignature",
                    ..
                }
            ),
            "{}: {err:?}",
            db.backend()
        );
        assert!(err.to_string().contains("no checkpoint of size 7"), "{err}");
        store.close().await;
    }
}

#[tokio::test]
async fn tamper_runs_raw_sql_for_tests() {
    for db in backends().await {
        let store = db.open().await;
        append(
            &store,
            &[row(0, "gate", "svc", 1), row(1, "gate", "svc", 2)],
        )
        .await;
        let changed = store
            .ledger_tamper("UPDATE ledger_entries SET kind = 'hidden' WHERE idx = 1")
            .await
            .expect("tamper");
        assert_eq!(changed, 1);
        assert_eq!(
            store.ledger_entry(1).await.ok().flatten().map(|r| r.kind),
            Some("hidden".to_owned())
        );
        // Rewriting the hashed bytes, as documented for each backend.
        let rewrite = match db.backend() {
            Backend::Sqlite => {
                "UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), \
                 'gate', 'pass') AS BLOB), leaf_hash = unhex(hex(zeroblob(32))) WHERE idx = 0"
            }
            Backend::Postgres => {
                "UPDATE ledger_entries SET entry = convert_to(replace(convert_from(entry, \
                 'UTF8'), 'gate', 'pass'), 'UTF8'), leaf_hash = decode(repeat('00', 32), \
                 'hex') WHERE idx = 0"
            }
        };
        assert_eq!(
            store.ledger_tamper(rewrite).await.ok(),
            Some(1),
            "{}",
            db.backend()
        );
        let edited = store
            .ledger_entry(0)
            .await
            .expect("read")
            .expect("still there");
        let original = row(0, "gate", "svc", 1);
        assert_eq!(
            edited.entry,
            String::from_utf8(original.entry)
                .expect("utf-8")
                .replace("gate", "pass")
                .into_bytes()
        );
        assert_eq!(edited.leaf_hash, [0; 32]);
        let deleted = store
            .ledger_tamper("DELETE FROM ledger_nodes WHERE level = 0")
            .await
            .expect("tamper");
        assert_eq!(deleted, 2, "{}", db.backend());
        assert!(store.ledger_tamper("NOT SQL").await.is_err());
        store.close().await;
    }
}

/// Appends one entry (and its leaf node) at the end of the log, retrying when the store
/// says the lock stayed busy; returns the index it got and how many retries it took.
async fn append_one(store: &Store, writer: usize, seq: usize) -> (u64, u32) {
    let mut retries = 0;
    loop {
        let attempt = async {
            let mut tx = store.ledger_begin().await?;
            let size = tx.size().await?;
            // Give other writers every chance to run between the read and the write.
            tokio::time::sleep(std::time::Duration::from_micros(200)).await;
            let mut entry = row(size, "append", &format!("writer-{writer}"), seq as i64);
            entry.actor = format!("{writer}:{seq}");
            tx.insert_entries(std::slice::from_ref(&entry)).await?;
            tx.insert_nodes(&[(0, size, entry.leaf_hash)]).await?;
            tx.commit().await?;
            Ok::<u64, StoreError>(size)
        };
        match attempt.await {
            Ok(idx) => return (idx, retries),
            // The one acceptable failure: the lock was held past the whole wait. A raw
            // "database is locked" or a conflict would mean appends were not serialised.
            Err(e @ StoreError::Busy { .. }) => {
                assert!(e.is_retryable());
                retries += 1;
            }
            Err(e) => panic!("writer {writer} append {seq}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appenders_leave_no_gap_or_duplicate() {
    const HANDLES: usize = 4;
    const WRITERS: usize = 12;
    const APPENDS: usize = 15;
    for db in backends().await {
        // Separate handles (separate pools, as processes or replicas would have), each
        // shared by several tasks: only the database can serialise across them.
        let mut handles = Vec::new();
        for _ in 0..HANDLES {
            handles.push(Arc::new(db.open().await));
        }
        let tasks: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let store = Arc::clone(&handles[writer % HANDLES]);
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    let mut retries = 0;
                    for seq in 0..APPENDS {
                        let (idx, r) = append_one(&store, writer, seq).await;
                        got.push(idx);
                        retries += r;
                    }
                    (got, retries)
                })
            })
            .collect();
        let mut retries = 0;
        let mut per_writer = Vec::new();
        for task in tasks {
            let (got, r) = task.await.expect("writer did not panic");
            retries += r;
            // Each writer's own appends land in the order it made them.
            assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
            per_writer.push(got);
        }
        if retries > 0 {
            eprintln!("{}: {retries} clean retries", db.backend());
        }
        let total = (WRITERS * APPENDS) as u64;
        let store = &handles[0];
        assert_eq!(
            store.ledger_size().await.ok(),
            Some(total),
            "{}",
            db.backend()
        );
        let rows = walk_entries(store, 50).await;
        let indexes: Vec<u64> = rows.iter().map(|r| r.idx).collect();
        assert_eq!(indexes, (0..total).collect::<Vec<_>>(), "gap or duplicate");
        // Every append is there exactly once, where its writer was told it went.
        let mut made: Vec<&str> = rows.iter().map(|r| r.actor.as_str()).collect();
        made.sort_unstable();
        made.dedup();
        assert_eq!(made.len(), rows.len());
        for (writer, got) in per_writer.iter().enumerate() {
            for (seq, &idx) in got.iter().enumerate() {
                assert_eq!(rows[idx as usize].actor, format!("{writer}:{seq}"));
            }
        }
        let leaves: Vec<(u8, u64)> = (0..total).map(|i| (0, i)).collect();
        let hashes = store.ledger_nodes(&leaves).await.expect("every leaf node");
        assert!(hashes.iter().zip(&rows).all(|(h, r)| *h == r.leaf_hash));
        for handle in &handles {
            handle.close().await;
        }
    }
}

/// Writers on separate handles wait for one another instead of failing: one holds the
/// lock for a while, the other's `ledger_begin` waits, then sees the committed size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_waits_for_the_first() {
    for db in backends().await {
        let first = db.open().await;
        let second = Arc::new(db.open().await);
        let mut tx = first.ledger_begin().await.expect("begin");
        tx.insert_entries(&[row(0, "gate", "svc", 1)])
            .await
            .expect("insert");
        let waiter = {
            let second = Arc::clone(&second);
            tokio::spawn(async move {
                let mut tx = second.ledger_begin().await.expect("second begin waits");
                let size = tx.size().await.expect("size");
                tx.insert_entries(&[row(size, "gate", "svc", 2)])
                    .await
                    .expect("insert after the first");
                tx.commit().await.expect("commit");
                size
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !waiter.is_finished(),
            "{}: the second writer did not wait",
            db.backend()
        );
        tx.commit().await.expect("first commit");
        assert_eq!(waiter.await.ok(), Some(1), "{}", db.backend());
        assert_eq!(first.ledger_size().await.ok(), Some(2));
        first.close().await;
        second.close().await;
    }
}

/// A writer kept out longer than the store waits gets [`StoreError::Busy`], which is
/// retryable and changed nothing; once the lock is free, the retry goes through. Both ways
/// of being kept out are checked at once: behind another handle (the database's lock) and
/// behind a task on the same handle (the in-process queue). The stores wait a fraction of
/// a second instead of the default 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_kept_out_too_long_gets_a_clean_busy_error() {
    const WAIT: Duration = Duration::from_millis(300);
    let options = StoreOptions::default().lock_timeout(WAIT);
    let scenarios: Vec<_> = backends()
        .await
        .into_iter()
        .map(|db| {
            let options = options.clone();
            tokio::spawn(async move {
                let holder = db.open_with_options(&options).await;
                let other_handle = db.open_with_options(&options).await;
                let mut tx = holder.ledger_begin().await.expect("begin");
                tx.insert_entries(&[row(0, "gate", "svc", 1)])
                    .await
                    .expect("insert");
                let (elsewhere, same_handle) =
                    tokio::join!(other_handle.ledger_begin(), holder.ledger_begin());
                for (who, outcome) in [("other handle", elsewhere), ("same handle", same_handle)] {
                    let err = outcome.expect_err("the lock is held throughout");
                    assert!(
                        matches!(err, StoreError::Busy { waited, .. }
                            if waited >= WAIT && waited < DEFAULT_LOCK_TIMEOUT),
                        "{} {who}: {err:?}",
                        db.backend()
                    );
                    assert!(err.is_retryable());
                    assert!(
                        err.to_string().ends_with("nothing was changed, try again"),
                        "{err}"
                    );
                }
                tx.commit().await.expect("commit");
                let mut retry = other_handle.ledger_begin().await.expect("retry");
                assert_eq!(retry.size().await.ok(), Some(1), "{}", db.backend());
                retry
                    .insert_entries(&[row(1, "gate", "svc", 2)])
                    .await
                    .expect("append after the retry");
                retry.commit().await.expect("commit");
                assert_eq!(holder.ledger_size().await.ok(), Some(2));
                holder.close().await;
                other_handle.close().await;
            })
        })
        .collect();
    for scenario in scenarios {
        scenario.await.expect("scenario did not panic");
    }
}

#[tokio::test]
async fn packed_runs_match_the_rows_one_by_one() {
    for db in backends().await {
        let store = &db.open().await;
        // Awkward but legal text: quotes, backslashes, newlines and multi-byte characters
        // in the columns; only the entry bytes (canonical JSON) never hold a newline.
        let mut rows: Vec<LedgerRow> = (0..300)
            .map(|i| {
                row(
                    i,
                    &format!("kind-{}", i % 7),
                    "svc \"x\"\\ é",
                    i64::from(i as u32) * 7 - 5,
                )
            })
            .collect();
        rows[10].actor = "line\nbreak".to_owned();
        rows[11].actor = String::new();
        append(store, &rows).await;

        let run = store.ledger_entry_run(0, 300).await.expect("run");
        assert_eq!(run.count(), 300, "{}", db.backend());
        let got = run
            .rows()
            .unwrap_or_else(|| panic!("{}: a clean run unpacks: {run:?}", db.backend()));
        let want: Vec<_> = rows.iter().map(LedgerRow::as_view).collect();
        assert_eq!(got, want, "{}", db.backend());

        // A sub-range, and a range past the end.
        let run = store.ledger_entry_run(295, 400).await.expect("run");
        assert_eq!(
            run.rows().expect("unpacks"),
            want[295..],
            "{}",
            db.backend()
        );
        let run = store.ledger_entry_run(300, 400).await.expect("run");
        assert_eq!(run.rows(), Some(Vec::new()));

        // Leaf hashes of a range, in one query.
        let leaves = store.ledger_leaf_hashes(16, 32).await.expect("leaves");
        let want_leaves: Vec<_> = rows[16..32].iter().map(|r| r.leaf_hash).collect();
        assert_eq!(leaves, want_leaves);

        // Nodes and leaf hashes together, in one query.
        let mut tx = store.ledger_begin().await.expect("begin");
        tx.insert_nodes(&[node(4, 0), node(5, 1)])
            .await
            .expect("nodes");
        tx.commit().await.expect("commit");
        let (nodes, leaves) = store
            .ledger_nodes_and_leaves(&[(5, 1), (4, 0)], 32..40)
            .await
            .expect("nodes and leaves");
        assert_eq!(nodes, vec![node(5, 1).2, node(4, 0).2]);
        assert_eq!(leaves, want_leaves_of(&rows, 32..40));
        let (nodes, leaves) = store
            .ledger_nodes_and_leaves(&[(4, 0)], 0..0)
            .await
            .expect("no leaves");
        assert_eq!((nodes.len(), leaves.len()), (1, 0));

        // A gap, or an entry holding a newline, does not unpack: the caller reads row by row.
        store
            .ledger_tamper("DELETE FROM ledger_entries WHERE idx = 150")
            .await
            .expect("delete");
        let run = store.ledger_entry_run(0, 300).await.expect("run");
        assert_eq!(run.count(), 299);
        assert!(
            run.rows().is_none(),
            "{}: a gap must not unpack",
            db.backend()
        );
        let err = store
            .ledger_leaf_hashes(140, 160)
            .await
            .expect_err("entry 150 is gone");
        assert!(
            matches!(err, StoreError::MissingNode { level: 0, idx: 150 }),
            "{}: {err}",
            db.backend()
        );
        let err = store
            .ledger_nodes_and_leaves(&[(4, 0)], 148..152)
            .await
            .expect_err("entry 150 is gone");
        assert!(
            matches!(err, StoreError::MissingNode { level: 0, idx: 150 }),
            "{err}"
        );
        let err = store
            .ledger_nodes_and_leaves(&[(4, 0), (4, 1)], 0..4)
            .await
            .expect_err("node 4/1 was never stored");
        assert!(
            matches!(err, StoreError::MissingNode { level: 4, idx: 1 }),
            "{err}"
        );
        let newline = match db.backend() {
            Backend::Sqlite => "UPDATE ledger_entries SET entry = X'7b0a7d' WHERE idx = 3",
            Backend::Postgres => {
                "UPDATE ledger_entries SET entry = '\\x7b0a7d'::bytea WHERE idx = 3"
            }
        };
        store.ledger_tamper(newline).await.expect("update");
        let run = store.ledger_entry_run(0, 100).await.expect("run");
        assert!(
            run.rows().is_none(),
            "{}: a newline must not unpack",
            db.backend()
        );
    }
}

fn want_leaves_of(rows: &[LedgerRow], range: std::ops::Range<usize>) -> Vec<[u8; 32]> {
    rows[range].iter().map(|r| r.leaf_hash).collect()
}

#[tokio::test]
async fn packed_node_runs_and_counts() {
    for db in backends().await {
        let store = &db.open().await;
        let nodes: Vec<_> = (0..40)
            .map(|i| node(4, i))
            .chain((0..20).map(|i| node(5, i)))
            .collect();
        let mut tx = store.ledger_begin().await.expect("begin");
        tx.insert_nodes(&nodes).await.expect("insert");
        tx.commit().await.expect("commit");

        assert_eq!(
            store.ledger_node_counts().await.expect("counts"),
            vec![(4, 40), (5, 20)]
        );
        let run = store.ledger_node_run(4, 8, 24).await.expect("run");
        let want: Vec<[u8; 32]> = nodes[8..24].iter().map(|n| n.2).collect();
        assert_eq!(run.count(), 16);
        assert_eq!(run.hashes(), Some(&want[..]), "{}", db.backend());
        let run = store.ledger_node_run(6, 0, 10).await.expect("run");
        assert_eq!(run.hashes(), Some(&[][..]));

        store
            .ledger_tamper("DELETE FROM ledger_nodes WHERE level = 4 AND idx = 9")
            .await
            .expect("delete");
        let run = store.ledger_node_run(4, 8, 24).await.expect("run");
        assert_eq!(run.count(), 15);
        assert_eq!(
            run.hashes(),
            None,
            "{}: a gap must not unpack",
            db.backend()
        );
    }
}

#[tokio::test]
async fn migration_0003_drops_the_nodes_below_level_4() {
    for db in backends().await {
        let old = db
            .open_with(&db.migrations()[..2])
            .await
            .expect("0001 and 0002");
        let nodes: Vec<_> = (0u8..6)
            .flat_map(|level| (0..3).map(move |i| node(level, i)))
            .collect();
        let mut tx = old.ledger_begin().await.expect("begin");
        tx.insert_nodes(&nodes).await.expect("insert");
        tx.commit().await.expect("commit");
        old.close().await;

        let store = db.open().await;
        assert_eq!(
            store.ledger_node_counts().await.expect("counts"),
            vec![(4, 3), (5, 3)],
            "{}",
            db.backend()
        );
        assert_eq!(
            store.ledger_nodes(&[(5, 2), (4, 0)]).await.expect("kept"),
            vec![node(5, 2).2, node(4, 0).2]
        );
        store.close().await;
    }
}

/// The indexes of the entries about `subject`, in log order (up to 1,000).
async fn subject_indexes(store: &Store, subject: &str) -> Vec<u64> {
    let filter = LedgerFilter {
        subject: Some(subject),
        ..LedgerFilter::default()
    };
    let rows = store
        .ledger_query(&filter, LedgerOrder::OldestFirst, 1_000, 0)
        .await
        .expect("query by subject");
    rows.iter().map(|r| r.idx).collect()
}

#[tokio::test]
async fn the_subject_index_fills_in_bulk_and_before_queries() {
    for db in backends().await {
        let store = db.open().await;
        let lag = palisade_store::SUBJECT_INDEX_LAG;
        let subject_of = |i: u64| format!("service-{}", i % 7);
        let batch = |from: u64, n: u64| -> Vec<LedgerRow> {
            (from..from + n)
                .map(|i| row(i, "gate", &subject_of(i), i as i64))
                .collect()
        };
        let lookup_rows =
            |store: Store| async move { store.ledger_check_subjects().await.expect("check").rows };
        // Below the lag, appends leave the lookup alone.
        append(&store, &batch(0, 100)).await;
        assert_eq!(lookup_rows(store.clone()).await, 0, "{}", db.backend());
        // A query by subject fills it first, so it sees every entry.
        let want: Vec<u64> = (0..100).filter(|i| i % 7 == 3).collect();
        assert_eq!(subject_indexes(&store, "service-3").await, want);
        assert_eq!(lookup_rows(store.clone()).await, 100);
        assert!(
            store
                .ledger_check_subjects()
                .await
                .expect("check")
                .is_consistent()
        );
        // The append that leaves `lag` entries behind fills it in the same transaction.
        let mut next = 100;
        while next + 1_000 < 100 + lag {
            append(&store, &batch(next, 1_000)).await;
            next += 1_000;
        }
        assert_eq!(lookup_rows(store.clone()).await, 100);
        let last = 100 + lag - next;
        append(&store, &batch(next, last)).await;
        next += last;
        assert_eq!(lookup_rows(store.clone()).await, next, "{}", db.backend());
        let check = store.ledger_check_subjects().await.expect("check");
        assert_eq!(
            (check.rows, check.upto, check.first_wrong),
            (next, Some(next), None)
        );
        store.close().await;
    }
}

#[tokio::test]
async fn an_edited_subject_index_is_found_and_rebuilt() {
    for db in backends().await {
        let store = db.open().await;
        let rows: Vec<LedgerRow> = (0..40_u64)
            .map(|i| row(i, "gate", ["a", "b"][(i % 2) as usize], i as i64))
            .collect();
        append(&store, &rows).await;
        store.ledger_fill_subjects().await.expect("fill");
        assert!(
            store
                .ledger_check_subjects()
                .await
                .expect("check")
                .is_consistent()
        );
        for (edit, first) in [
            // An entry taken out of the index: it would vanish from queries by subject.
            (
                "UPDATE ledger_entries SET subject_indexed = 0 WHERE idx = 7",
                Some(7),
            ),
            // The record moved back: entries beyond it are in the index.
            ("UPDATE ledger_subjects_upto SET upto = 30", Some(30)),
            // The record moved forward: entries it claims are not all there.
            ("UPDATE ledger_subjects_upto SET upto = 45", None),
            // The record removed.
            ("DELETE FROM ledger_subjects_upto", None),
        ] {
            store.ledger_tamper(edit).await.expect(edit);
            let check = store.ledger_check_subjects().await.expect("check");
            assert!(
                !check.is_consistent(),
                "{}: {edit}: {check:?}",
                db.backend()
            );
            assert_eq!(check.first_wrong, first, "{}: {edit}", db.backend());
            assert_eq!(store.ledger_rebuild_subjects().await.expect("rebuild"), 40);
            let check = store.ledger_check_subjects().await.expect("check");
            assert!(
                check.is_consistent(),
                "{}: after {edit}: {check:?}",
                db.backend()
            );
            let b = subject_indexes(&store, "b").await;
            assert_eq!(b, (0..40).filter(|i| i % 2 == 1).collect::<Vec<_>>());
        }
        store.close().await;
    }
}

#[tokio::test]
async fn migration_0004_indexes_the_entries_already_stored() {
    for db in backends().await {
        let old = db
            .open_with(&db.migrations()[..3])
            .await
            .expect("0001 to 0003");
        // Entries written by 0003-era code: straight inserts, no lookup to fill.
        let (zero, bytes) = match db.backend() {
            Backend::Sqlite => ("zeroblob(32)", "x'7b7d'"),
            Backend::Postgres => ("decode(repeat('00', 32), 'hex')", "'\\x7b7d'::bytea"),
        };
        old.ledger_tamper(&format!(
            "INSERT INTO ledger_entries (idx, leaf_hash, entry, time_us, actor, kind, subject) \
             VALUES (0, {zero}, {bytes}, 1, 'a', 'k', 's1'), (1, {zero}, {bytes}, 2, 'a', 'k', 's2'), \
             (2, {zero}, {bytes}, 3, 'a', 'k', 's1')"
        ))
        .await
        .expect("old entries");
        old.close().await;
        let store = db.open().await;
        let check = store.ledger_check_subjects().await.expect("check");
        assert_eq!(
            (check.rows, check.upto, check.first_wrong),
            (3, Some(3), None)
        );
        let s1 = subject_indexes(&store, "s1").await;
        assert_eq!(s1, vec![0, 2], "{}", db.backend());
        store.close().await;
    }
}

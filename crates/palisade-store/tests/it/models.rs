//! Recorded model versions: record, dedupe, latest, list.

use std::sync::Arc;

use palisade_store::{NewModelVersion, StoreError};

use crate::common::{backends, sha256_hex};

fn version(content: &str, source: &str, at: jiff::Timestamp) -> NewModelVersion {
    NewModelVersion {
        sha256: sha256_hex(content),
        source: source.to_owned(),
        org: "acme".to_owned(),
        content: content.to_owned(),
        recorded_at: at,
    }
}

#[tokio::test]
async fn record_latest_and_list_with_dedupe() {
    for db in backends().await {
        let store = db.open().await;
        assert_eq!(store.latest_model().await.ok(), Some(None));
        assert_eq!(store.model_versions(10).await.ok(), Some(vec![]));

        let t1: jiff::Timestamp = "2026-03-01T09:30:00.123456789Z".parse().expect("time");
        let t2: jiff::Timestamp = "2026-03-02T10:00:00Z".parse().expect("time");
        let a = store
            .record_model(&version("org = 'acme' # a", "palisade.toml", t1))
            .await
            .expect("record a");
        assert!(a.created, "{}", db.backend());
        assert_eq!(a.sha256, sha256_hex("org = 'acme' # a"));
        assert_eq!(
            (a.source.as_str(), a.org.as_str()),
            ("palisade.toml", "acme")
        );
        // Kept to the microsecond, as the database stores it.
        assert_eq!(
            a.recorded_at,
            "2026-03-01T09:30:00.123456Z".parse().expect("time")
        );

        let again = store
            .record_model(&version("org = 'acme' # a", "elsewhere.toml", t2))
            .await
            .expect("record a again");
        assert!(!again.created, "{}: duplicate was inserted", db.backend());
        assert_eq!(
            again,
            palisade_store::ModelVersion {
                created: false,
                ..a.clone()
            }
        );

        let b = store
            .record_model(&version("org = 'acme' # b", "git:HEAD", t2))
            .await
            .expect("record b");
        assert!(b.created);
        assert!(b.id > a.id, "{}: ids must increase", db.backend());

        let (latest, content) = store
            .latest_model()
            .await
            .expect("latest")
            .expect("there is a latest");
        assert_eq!(
            latest,
            palisade_store::ModelVersion {
                created: false,
                ..b.clone()
            }
        );
        assert_eq!(content, "org = 'acme' # b");

        let listed = store.model_versions(10).await.expect("list");
        let ids: Vec<i64> = listed.iter().map(|v| v.id).collect();
        assert_eq!(
            ids,
            [b.id, a.id],
            "{}: newest first, no duplicate",
            db.backend()
        );
        assert!(listed.iter().all(|v| !v.created));
        assert_eq!(listed[1].recorded_at, a.recorded_at);
        assert_eq!(store.model_versions(1).await.ok().map(|v| v.len()), Some(1));
        assert_eq!(store.model_versions(0).await.ok(), Some(vec![]));
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM model_versions").await.ok(),
            Some(2)
        );
        store.close().await;
    }
}

#[tokio::test]
async fn content_round_trips_exactly() {
    for db in backends().await {
        let store = db.open().await;
        let mut content =
            String::from("# Ünïcødé ✓, quotes ' \" and a NUL-free\r\nCRLF line\n\ttab\n");
        while content.len() < 256 * 1024 {
            content.push_str("[[people]]\nname = \"Zoë O'Brien\"\n");
        }
        store
            .record_model(&version(&content, "big.toml", jiff::Timestamp::now()))
            .await
            .expect("record big");
        let (_, stored) = store.latest_model().await.expect("latest").expect("some");
        assert!(
            stored == content,
            "{}: content changed on the way",
            db.backend()
        );
        store.close().await;
    }
}

#[tokio::test]
async fn sha256_is_validated_and_normalised() {
    for db in backends().await {
        let store = db.open().await;
        let mut bad = version("x", "s", jiff::Timestamp::now());
        bad.sha256 = "not-a-digest".to_owned();
        let err = store.record_model(&bad).await.expect_err("bad digest");
        assert!(
            matches!(
                err,
                StoreError::InvalidInput {
                    what: "model sha256",
                    ..
                }
            ),
            "{err:?}"
        );

        let lower = version("same", "s", jiff::Timestamp::now());
        let mut upper = lower.clone();
        upper.sha256 = lower.sha256.to_ascii_uppercase();
        let first = store
            .record_model(&upper)
            .await
            .expect("upper-case accepted");
        assert_eq!(first.sha256, lower.sha256);
        let second = store.record_model(&lower).await.expect("lower-case");
        assert!(first.created && !second.created, "{}", db.backend());
        assert_eq!(first.id, second.id);
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_records_of_one_model_create_one_row() {
    for db in backends().await {
        let store = db.open().await;
        let new = Arc::new(version("raced", "palisade.toml", jiff::Timestamp::now()));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let new = Arc::clone(&new);
                tokio::spawn(async move { store.record_model(&new).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("no panic").expect("record succeeds"));
        }
        assert_eq!(
            results.iter().filter(|v| v.created).count(),
            1,
            "{}",
            db.backend()
        );
        assert!(results.iter().all(|v| v.id == results[0].id));
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM model_versions").await.ok(),
            Some(1)
        );
        store.close().await;
    }
}

//! Opening: files and directories, settings, idempotent re-open, identity.

use std::path::Path;

use palisade_store::{Backend, NewModelVersion, Store};

use crate::common::{self, backends, sha256_hex};

#[tokio::test]
async fn open_creates_file_parent_dirs_and_schema() {
    for db in backends().await {
        if db.backend() == Backend::Sqlite {
            assert!(!Path::new(db.location()).exists());
            assert!(!Path::new(db.location()).parent().is_some_and(Path::exists));
        }
        let store = db.open().await;
        assert_eq!(store.backend(), db.backend());
        if db.backend() == Backend::Sqlite {
            assert!(
                Path::new(db.location()).is_file(),
                "database file was not created"
            );
        }
        let latest = db.migrations().last().map(|m| m.version);
        assert_eq!(
            store.schema_version().await.ok(),
            latest,
            "{}",
            db.backend()
        );
        // The schema is really there: a table from 0001 can be queried directly.
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM model_versions").await.ok(),
            Some(0),
            "{}",
            db.backend()
        );
        store.close().await;
    }
}

#[tokio::test]
async fn sqlite_url_location_creates_the_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("sub").join("p.db");
    let url = format!("sqlite:{}", path.display());
    let store = Store::open(&url).await.expect("sqlite: URL opens");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.is_file());
    assert_eq!(store.location(), url);
    store.close().await;
}

#[tokio::test]
async fn sqlite_in_memory_keeps_data_between_queries() {
    let store = Store::open("sqlite::memory:")
        .await
        .expect("in-memory opens");
    let new = NewModelVersion {
        sha256: sha256_hex("memory"),
        source: "mem".into(),
        org: "acme".into(),
        content: "org = 'acme'".into(),
        recorded_at: jiff::Timestamp::now(),
    };
    store.record_model(&new).await.expect("record");
    let latest = store.latest_model().await.expect("latest");
    assert_eq!(latest.map(|(v, _)| v.sha256), Some(new.sha256));
    store.close().await;
}

#[tokio::test]
async fn sqlite_runs_durable_settings_and_postgres_has_none() {
    for db in backends().await {
        let store = db.open().await;
        let pragma = |name: &'static str| {
            let store = store.clone();
            async move { store.sqlite_pragma(name).await.expect("pragma readable") }
        };
        match db.backend() {
            Backend::Sqlite => {
                assert_eq!(pragma("journal_mode").await.as_deref(), Some("wal"));
                // 2 = FULL: every commit is synced, as the ledger will need.
                assert_eq!(pragma("synchronous").await.as_deref(), Some("2"));
                assert_eq!(pragma("foreign_keys").await.as_deref(), Some("1"));
                assert_eq!(pragma("busy_timeout").await.as_deref(), Some("10000"));
                // 2 = MEMORY: statement journals of bulk ledger inserts stay off the disk.
                assert_eq!(pragma("temp_store").await.as_deref(), Some("2"));
            }
            Backend::Postgres => assert_eq!(pragma("journal_mode").await, None),
        }
        assert!(
            store
                .sqlite_pragma("user_version; DROP TABLE x")
                .await
                .is_err()
        );
        store.close().await;
    }
}

/// The lock timeout is the caller's to choose; SQLite's busy timeout follows it.
#[tokio::test]
async fn the_lock_timeout_is_an_option_of_the_store() {
    let db = crate::common::sqlite();
    let options =
        palisade_store::StoreOptions::default().lock_timeout(std::time::Duration::from_millis(250));
    let store = db.open_with_options(&options).await;
    assert_eq!(
        store
            .sqlite_pragma("busy_timeout")
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some("250")
    );
    store.close().await;
    assert_eq!(
        palisade_store::StoreOptions::default().lock_timeout,
        palisade_store::DEFAULT_LOCK_TIMEOUT
    );
    assert_eq!(palisade_store::DEFAULT_LOCK_TIMEOUT.as_secs(), 10);
}

#[tokio::test]
async fn reopen_is_idempotent_and_keeps_data_and_identity() {
    for db in backends().await {
        let first = db.open().await;
        let status = first.migration_status().await.expect("status");
        let id = first.store_id().to_owned();
        let recorded = first
            .record_model(&NewModelVersion {
                sha256: sha256_hex("kept"),
                source: "palisade.toml".into(),
                org: "acme".into(),
                content: "kept".into(),
                recorded_at: jiff::Timestamp::now(),
            })
            .await
            .expect("record");
        first.close().await;

        for _ in 0..2 {
            let again = db.open().await;
            // Same rows, same applied_at: nothing was re-applied.
            assert_eq!(again.migration_status().await.ok().as_ref(), Some(&status));
            assert_eq!(again.store_id(), id, "{}: store id changed", db.backend());
            let latest = again
                .latest_model()
                .await
                .expect("latest")
                .map(|(v, c)| (v.id, c));
            assert_eq!(
                latest,
                Some((recorded.id, "kept".to_owned())),
                "{}",
                db.backend()
            );
            again.close().await;
        }
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM palisade_migrations")
                .await
                .ok(),
            i64::try_from(db.migrations().len()).ok(),
        );
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM palisade_meta WHERE key = 'store_id'")
                .await
                .ok(),
            Some(1)
        );
    }
}

#[tokio::test]
async fn store_ids_are_hex_and_differ_between_databases() {
    for db in backends().await {
        let other = match db.backend() {
            Backend::Sqlite => common::sqlite(),
            Backend::Postgres => {
                common::postgres(&std::env::var(common::PG_URL_VAR).expect("set")).await
            }
        };
        let a = db.open().await;
        let b = other.open().await;
        assert_eq!(a.store_id().len(), 32);
        assert!(a.store_id().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.store_id(), b.store_id(), "{}", db.backend());
        a.close().await;
        b.close().await;
    }
}

#[tokio::test]
async fn display_and_debug_name_backend_and_location() {
    for db in backends().await {
        let store = db.open().await;
        let shown = store.to_string();
        assert!(
            shown.starts_with(&format!("{} database ", db.backend())),
            "{shown}"
        );
        let debug = format!("{store:?}");
        assert!(debug.contains(store.store_id()), "{debug}");
        store.close().await;
    }
}

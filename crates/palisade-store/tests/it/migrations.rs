//! The migration runner: status, checksums, too-new schemas, failures, concurrency.

use std::sync::Arc;

use palisade_store::{Migration, Store, StoreError};

use crate::common::{backends, leak};

#[tokio::test]
async fn status_lists_init_with_checksum_and_time() {
    for db in backends().await {
        let before = jiff::Timestamp::now();
        let store = db.open().await;
        let after = jiff::Timestamp::now();
        let status = store.migration_status().await.expect("status");
        assert_eq!(status.len(), db.migrations().len(), "{}", db.backend());
        let init = &status[0];
        assert_eq!((init.version, init.name.as_str()), (1, "init"));
        assert_eq!(init.checksum, db.migrations()[0].checksum());
        assert_eq!(init.checksum.len(), 64);
        // Stamped by the database's clock: SQLite's reads to the millisecond, so allow for
        // the truncation at the lower end.
        assert!(
            init.applied_at >= before - jiff::SignedDuration::from_millis(2)
                && init.applied_at <= after,
            "{}: applied_at {} not within [{before}, {after}]",
            db.backend(),
            init.applied_at
        );
        store.close().await;
    }
}

#[tokio::test]
async fn changed_migration_is_detected() {
    for db in backends().await {
        db.open().await.close().await;
        let original = db.migrations()[0];
        let edited = Migration {
            sql: leak(format!("{}\n-- an innocent-looking edit\n", original.sql)),
            ..original
        };
        let mut list = db.migrations().to_vec();
        list[0] = edited;
        let err = db
            .open_with(&list)
            .await
            .expect_err("an edited migration must be refused");
        let message = err.to_string();
        assert!(
            matches!(&err, StoreError::MigrationChanged { version: 1, applied, embedded, .. }
                if *applied == original.checksum() && *embedded == edited.checksum()),
            "{}: {err:?}",
            db.backend()
        );
        assert!(
            message.starts_with("migration 0001 init was changed after it was applied"),
            "{message}"
        );
        // Refusing changed nothing: the original still opens.
        db.open().await.close().await;
    }
}

#[tokio::test]
async fn too_new_schema_is_detected() {
    for db in backends().await {
        let known = db.latest_version();
        let future = db.migrations_plus(&[Migration {
            version: known + 1,
            name: "from_the_future",
            sql: "CREATE TABLE from_the_future (id BIGINT PRIMARY KEY)",
        }]);
        let newer = db.open_with(&future).await.expect("newer binary migrates");
        assert_eq!(newer.schema_version().await.ok(), Some(known + 1));
        newer.close().await;

        let err = Store::open(db.location())
            .await
            .expect_err("an older binary must refuse a newer schema");
        assert!(
            matches!(err, StoreError::SchemaTooNew { database, known: k }
                if database == known + 1 && k == known),
            "{}: {err:?}",
            db.backend()
        );
        assert_eq!(
            err.to_string(),
            format!(
                "database schema version {} is newer than this palisade (knows up to {known}); upgrade palisade",
                known + 1
            )
        );
    }
}

#[tokio::test]
async fn later_migration_is_applied_on_reopen_in_order() {
    for db in backends().await {
        db.open().await.close().await;
        let known = db.latest_version();
        let list = db.migrations_plus(&[
            Migration {
                version: known + 1,
                name: "add_notes",
                sql: "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);
                      INSERT INTO notes (id, body) VALUES (1, 'first');",
            },
            Migration {
                version: known + 2,
                name: "more_notes",
                // Fails unless add_notes ran first.
                sql: "INSERT INTO notes (id, body) VALUES (2, 'second')",
            },
        ]);
        let store = db.open_with(&list).await.expect("new migrations apply");
        let status = store.migration_status().await.expect("status");
        let versions: Vec<(u32, &str)> = status
            .iter()
            .map(|m| (m.version, m.name.as_str()))
            .collect();
        let expected: Vec<(u32, &str)> = list.iter().map(|m| (m.version, m.name)).collect();
        assert_eq!(versions, expected);
        assert_eq!(
            &versions[versions.len() - 2..],
            [(known + 1, "add_notes"), (known + 2, "more_notes")]
        );
        assert!(
            status
                .windows(2)
                .all(|w| w[0].applied_at <= w[1].applied_at)
        );
        assert_eq!(store.schema_version().await.ok(), Some(known + 2));
        store.close().await;
        assert_eq!(db.scalar("SELECT COUNT(*) FROM notes").await.ok(), Some(2));
    }
}

#[tokio::test]
async fn failed_migration_is_rolled_back_and_reported() {
    for db in backends().await {
        let known = db.latest_version();
        let list = db.migrations_plus(&[Migration {
            version: known + 1,
            name: "half_broken",
            sql: "CREATE TABLE half_done (id BIGINT PRIMARY KEY);
                  THIS IS NOT SQL;",
        }]);
        let err = db.open_with(&list).await.expect_err("broken SQL must fail");
        assert!(
            matches!(&err, StoreError::MigrationFailed { version, name, .. }
                if *version == known + 1 && name == "half_broken"),
            "{}: {err:?}",
            db.backend()
        );
        assert!(
            err.to_string()
                .starts_with(&format!("migration {:04} half_broken failed: ", known + 1)),
            "{err}"
        );
        // The built-in ones committed on their own; the broken one's first statement was
        // rolled back with it.
        let store = db.open().await;
        assert_eq!(store.schema_version().await.ok(), Some(known));
        store.close().await;
        let missing = db.scalar("SELECT COUNT(*) FROM half_done").await;
        assert!(
            missing
                .as_ref()
                .is_err_and(|e| e.to_string().contains("half_done")),
            "{}: half_done should not exist: {missing:?}",
            db.backend()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_apply_each_migration_exactly_once() {
    for db in backends().await {
        // "mark" is not idempotent: running it twice would leave two rows.
        let known = db.latest_version();
        let list = Arc::new(db.migrations_plus(&[
            Migration {
                version: known + 1,
                name: "marker",
                sql: "CREATE TABLE once_marker (n BIGINT NOT NULL)",
            },
            Migration {
                version: known + 2,
                name: "mark",
                sql: "INSERT INTO once_marker (n) VALUES (1)",
            },
        ]));
        let location = Arc::new(db.location().to_owned());
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let list = Arc::clone(&list);
                let location = Arc::clone(&location);
                tokio::spawn(async move { Store::open_with_migrations(&location, &list).await })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            let store = task
                .await
                .expect("task did not panic")
                .unwrap_or_else(|e| panic!("{}: concurrent open failed: {e}", db.backend()));
            ids.push(store.store_id().to_owned());
            store.close().await;
        }
        ids.dedup();
        assert_eq!(
            ids.len(),
            1,
            "{}: replicas disagree on the store id",
            db.backend()
        );
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM once_marker").await.ok(),
            Some(1)
        );
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM palisade_migrations")
                .await
                .ok(),
            // One row per migration: versions may skip numbers.
            i64::try_from(list.len()).ok(),
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn unordered_migration_list_is_refused() {
    for db in backends().await {
        let mut list = db.migrations_plus(&[Migration {
            version: db.latest_version() + 1,
            name: "two",
            sql: "SELECT 1",
        }]);
        list.reverse();
        let err = db.open_with(&list).await.expect_err("unordered list");
        assert!(matches!(err, StoreError::InvalidMigrations(_)), "{err:?}");
        // Nothing was touched: the migrations table does not even exist yet.
        assert!(
            db.scalar("SELECT COUNT(*) FROM palisade_migrations")
                .await
                .is_err()
        );
    }
}

/// Regression: processes opening a brand-new SQLite file at the same moment sometimes got
/// "database is locked" while one of them switched the file to WAL (SQLite does not wait
/// on the busy handler there). Racy by nature, so it tries many fresh files.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_opens_of_a_new_sqlite_file_at_once_are_not_locked_out() {
    for round in 0..8 {
        let db = crate::common::sqlite();
        let location = Arc::new(db.location().to_owned());
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let location = Arc::clone(&location);
                tokio::spawn(async move { Store::open(&location).await })
            })
            .collect();
        for task in tasks {
            match task.await.expect("task did not panic") {
                Ok(store) => store.close().await,
                Err(e) => panic!("round {round}: {e}"),
            }
        }
    }
}

//! The checkpoints of followed logs: none until written, one row per path
//! replaced at each save, device and inode kept over their whole unsigned
//! range, a broken fingerprint reported as such, on both backends.
#![allow(clippy::unwrap_used)]

use palisade_store::{MonitorFollowRow, StoreError};

use crate::common::backends;

fn row(path: &str, inode: u64, offset: u64, line: u64, updated_us: i64) -> MonitorFollowRow {
    MonitorFollowRow {
        path: path.to_owned(),
        device: 2049,
        inode,
        offset,
        line,
        fingerprint: [u8::try_from(line % 256).unwrap(); 32],
        updated_us,
    }
}

#[tokio::test]
async fn a_follow_checkpoint_is_replaced_by_the_next_and_kept_per_path() {
    for db in backends().await {
        let store = db.open().await;
        let auth = "/var/log/auth.log";
        assert_eq!(
            store.monitor_follow_checkpoint(auth).await.unwrap(),
            None,
            "{}",
            db.backend()
        );
        store
            .monitor_save_follow_checkpoint(&row(auth, 131_077, 4_096, 40, 1_000))
            .await
            .unwrap();
        let other = row("/var/log/vpn.ndjson", 99, 10, 1, 1_500);
        store.monitor_save_follow_checkpoint(&other).await.unwrap();
        // Rotated: a new inode, and the offset starts again.
        let later = row(auth, 131_200, 120, 2, 2_000);
        store.monitor_save_follow_checkpoint(&later).await.unwrap();
        assert_eq!(
            store.monitor_follow_checkpoint(auth).await.unwrap(),
            Some(later),
            "{}",
            db.backend()
        );
        assert_eq!(
            store
                .monitor_follow_checkpoint("/var/log/vpn.ndjson")
                .await
                .unwrap(),
            Some(other),
            "{}",
            db.backend()
        );
        assert_eq!(
            db.scalar("SELECT count(*) FROM monitor_follow")
                .await
                .unwrap(),
            2,
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn device_and_inode_numbers_above_i64_max_are_kept_exactly() {
    for db in backends().await {
        let store = db.open().await;
        let mut big = row("/srv/log/app.log", u64::MAX - 1, 7, 1, 1);
        big.device = (1 << 63) + 5;
        store.monitor_save_follow_checkpoint(&big).await.unwrap();
        assert_eq!(
            store
                .monitor_follow_checkpoint("/srv/log/app.log")
                .await
                .unwrap(),
            Some(big),
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn an_offset_the_store_cannot_keep_is_refused_with_what_was_wrong() {
    for db in backends().await {
        let store = db.open().await;
        let err = store
            .monitor_save_follow_checkpoint(&row("/var/log/auth.log", 1, u64::MAX, 1, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidInput {
                    what: "follow checkpoint offset",
                    ..
                }
            ),
            "{}: {err}",
            db.backend()
        );
        let err = store
            .monitor_save_follow_checkpoint(&row("/var/log/a\0b", 1, 1, 1, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput { .. }),
            "{}: {err}",
            db.backend()
        );
        assert_eq!(
            db.scalar("SELECT count(*) FROM monitor_follow")
                .await
                .unwrap(),
            0,
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn a_fingerprint_that_is_not_a_sha256_is_reported_as_corrupt() {
    for db in backends().await {
        let store = db.open().await;
        store
            .monitor_save_follow_checkpoint(&row("/var/log/auth.log", 1, 10, 1, 1))
            .await
            .unwrap();
        db.scalar("UPDATE monitor_follow SET fingerprint = 'abc' RETURNING CAST(1 AS BIGINT)")
            .await
            .unwrap();
        let err = store
            .monitor_follow_checkpoint("/var/log/auth.log")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Corrupt {
                    what: "follow checkpoint fingerprint",
                    ..
                }
            ),
            "{}: {err}",
            db.backend()
        );
    }
}

//! Access requests and decisions: written only inside a ledger transaction,
//! changed only from the version read, one decision per person.
#![allow(clippy::unwrap_used)]

use palisade_store::{AccessDecisionRow, AccessFilter, AccessRequestRow, StoreError};

use crate::common::backends;

fn request(id: &str, requester: &str, created_us: i64) -> AccessRequestRow {
    AccessRequestRow {
        id: id.to_owned(),
        requester: requester.to_owned(),
        role: "prod-reader".to_owned(),
        environment: Some("prod".to_owned()),
        duration_s: 7200,
        reason: "incident 42".to_owned(),
        ticket: None,
        start_us: None,
        created_us,
        state: "pending".to_owned(),
        state_us: created_us,
        active_from_us: None,
        active_until_us: None,
        version: 1,
        break_glass: false,
    }
}

#[tokio::test]
async fn a_request_is_written_read_and_changed_from_the_version_read() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        tx.access_insert_request(&request("r1", "arjun", 10))
            .await
            .unwrap();
        let err = tx
            .access_insert_request(&request("r1", "arjun", 11))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput { .. }),
            "{}: {err}",
            db.backend()
        );
        tx.commit().await.unwrap();
        let stored = store.access_request("r1").await.unwrap().unwrap();
        assert_eq!(stored, request("r1", "arjun", 10), "{}", db.backend());

        let mut approved = stored.clone();
        approved.state = "active".to_owned();
        approved.active_from_us = Some(20);
        approved.active_until_us = Some(20 + 7200 * 1_000_000);
        approved.version = 2;
        let mut tx = store.ledger_begin().await.unwrap();
        assert!(tx.access_update_request(&approved, 1).await.unwrap());
        // A second change based on the same read is refused, and writes nothing.
        let mut revoked = stored.clone();
        revoked.state = "revoked".to_owned();
        revoked.version = 2;
        assert!(!tx.access_update_request(&revoked, 1).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(
            store.access_request("r1").await.unwrap().unwrap(),
            approved,
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn a_dropped_transaction_leaves_no_request_behind() {
    for db in backends().await {
        let store = db.open().await;
        {
            let mut tx = store.ledger_begin().await.unwrap();
            tx.access_insert_request(&request("r1", "arjun", 10))
                .await
                .unwrap();
            assert!(tx.access_request("r1").await.unwrap().is_some());
        }
        assert_eq!(
            store.access_request("r1").await.unwrap(),
            None,
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn each_person_decides_once() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        tx.access_insert_request(&request("r1", "arjun", 10))
            .await
            .unwrap();
        let decision = |actor: &str, decision: &str, at_us: i64| AccessDecisionRow {
            request_id: "r1".to_owned(),
            actor: actor.to_owned(),
            decision: decision.to_owned(),
            reason: "ok".to_owned(),
            at_us,
        };
        assert!(
            tx.access_insert_decision(&decision("sofia", "approve", 11))
                .await
                .unwrap()
        );
        assert!(
            !tx.access_insert_decision(&decision("sofia", "approve", 12))
                .await
                .unwrap()
        );
        assert!(
            !tx.access_insert_decision(&decision("sofia", "deny", 13))
                .await
                .unwrap()
        );
        assert!(
            tx.access_insert_decision(&decision("ruth", "deny", 14))
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let got = store.access_decisions("r1").await.unwrap();
        assert_eq!(
            got,
            vec![
                decision("sofia", "approve", 11),
                decision("ruth", "deny", 14)
            ]
        );
        // A decision on a request that does not exist is refused by the schema.
        let mut tx = store.ledger_begin().await.unwrap();
        let orphan = AccessDecisionRow {
            request_id: "nope".to_owned(),
            ..decision("ruth", "approve", 15)
        };
        assert!(
            tx.access_insert_decision(&orphan).await.is_err(),
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn due_requests_and_filters() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        let mut active = request("a", "arjun", 100);
        active.state = "active".to_owned();
        active.active_until_us = Some(500);
        let mut later = request("b", "kavya", 200);
        later.state = "active".to_owned();
        later.active_until_us = Some(5_000);
        let stale = request("c", "arjun", 50);
        let fresh = request("d", "kavya", 900);
        for r in [&active, &later, &stale, &fresh] {
            tx.access_insert_request(r).await.unwrap();
        }
        let due = tx.access_due(1_000, 80).await.unwrap();
        let ids: Vec<&str> = due.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "{}", db.backend());
        tx.commit().await.unwrap();

        let mine = store
            .access_requests(&AccessFilter {
                requester: Some("arjun".to_owned()),
                ..AccessFilter::default()
            })
            .await
            .unwrap();
        let ids: Vec<&str> = mine.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "newest first");
        let pending = store
            .access_requests(&AccessFilter {
                states: vec!["pending".to_owned()],
                limit: 1,
                ..AccessFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, "d");
    }
}

#[tokio::test]
async fn text_postgres_cannot_store_is_refused_on_both_backends() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        let mut bad = request("r1", "arjun", 10);
        bad.reason = "nul\0byte".to_owned();
        let err = tx.access_insert_request(&bad).await.unwrap_err();
        assert!(err.to_string().contains("NUL"), "{}: {err}", db.backend());
    }
}

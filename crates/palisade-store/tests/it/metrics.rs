//! Deployments and incidents: written only inside a ledger transaction, read
//! back by period on both backends.
#![allow(clippy::unwrap_used)]

use palisade_store::{
    MetricsDeploymentFilter, MetricsDeploymentRow, MetricsIncidentRow, StoreError,
};

use crate::common::backends;

const SHA_A: &str = "0123456789abcdef0123456789abcdef01234567";
const SHA_B: &str = "89abcdef0123456789abcdef0123456789abcdef";

fn deployment(id: &str, service: &str, env: &str, finished_us: i64) -> MetricsDeploymentRow {
    MetricsDeploymentRow {
        id: id.to_owned(),
        service: service.to_owned(),
        environment: env.to_owned(),
        started_us: finished_us - 60,
        finished_us,
        status: "success".to_owned(),
        source: "command".to_owned(),
        recorded_us: finished_us + 5,
        recorded_by: "sofia".to_owned(),
        commits: vec![("acme/payments".to_owned(), SHA_A.to_owned())],
    }
}

fn incident(id: &str, opened_us: i64, resolved_us: Option<i64>) -> MetricsIncidentRow {
    MetricsIncidentRow {
        id: id.to_owned(),
        service: "payments-api".to_owned(),
        severity: "sev2".to_owned(),
        title: "checkout returns 500".to_owned(),
        opened_us,
        resolved_us,
        cause_sha: Some(SHA_B.to_owned()),
        deployment_id: Some("d1".to_owned()),
        opened_by: "sofia".to_owned(),
        resolved_by: resolved_us.map(|_| "ruth".to_owned()),
    }
}

#[tokio::test]
async fn deployments_are_read_back_by_when_they_finished_with_their_commits() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        let mut two_repos = deployment("d2", "payments-api", "prod", 200);
        two_repos.commits = vec![
            ("acme/web".to_owned(), SHA_B.to_owned()),
            ("acme/payments".to_owned(), SHA_A.to_owned()),
        ];
        for d in [
            deployment("d1", "payments-api", "prod", 100),
            two_repos.clone(),
            deployment("d3", "payments-api", "staging", 150),
            deployment("d4", "web", "prod", 300),
        ] {
            tx.metrics_insert_deployment(&d).await.unwrap();
        }
        let err = tx
            .metrics_insert_deployment(&deployment("d1", "web", "prod", 1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput { .. }),
            "{}: {err}",
            db.backend()
        );
        // The transaction sees what it wrote, commits sorted.
        let seen = tx.metrics_deployment("d2").await.unwrap().unwrap();
        assert_eq!(seen.commits[0].0, "acme/payments", "{}", db.backend());
        tx.commit().await.unwrap();

        let all = store
            .metrics_deployments_finished(100, 300, &MetricsDeploymentFilter::default())
            .await
            .unwrap();
        let ids: Vec<_> = all.iter().map(|d| d.id.as_str()).collect();
        // Half-open: 300 is outside, 100 inside; oldest first.
        assert_eq!(ids, ["d1", "d3", "d2"], "{}", db.backend());
        let mut expected = two_repos;
        expected.commits.sort();
        assert_eq!(all[2], expected, "{}", db.backend());

        let prod = store
            .metrics_deployments_finished(
                0,
                i64::MAX,
                &MetricsDeploymentFilter {
                    service: Some("payments-api".to_owned()),
                    environment: Some("prod".to_owned()),
                },
            )
            .await
            .unwrap();
        let ids: Vec<_> = prod.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["d1", "d2"], "{}", db.backend());
        assert_eq!(
            store.metrics_deployment("d4").await.unwrap(),
            Some(deployment("d4", "web", "prod", 300))
        );
        assert_eq!(store.metrics_deployment("nope").await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_dropped_transaction_leaves_no_deployment_or_incident_behind() {
    for db in backends().await {
        let store = db.open().await;
        {
            let mut tx = store.ledger_begin().await.unwrap();
            tx.metrics_insert_deployment(&deployment("d1", "web", "prod", 10))
                .await
                .unwrap();
            tx.metrics_insert_incident(&incident("i1", 10, None))
                .await
                .unwrap();
        }
        assert_eq!(store.metrics_deployment("d1").await.unwrap(), None);
        assert_eq!(store.metrics_incident("i1").await.unwrap(), None);
        assert_eq!(
            db.scalar("SELECT count(*) FROM metrics_deployment_commits")
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn bad_rows_are_refused_before_they_reach_the_database() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        let mut backwards = deployment("d1", "web", "prod", 10);
        backwards.started_us = 11;
        let mut status = deployment("d2", "web", "prod", 10);
        status.status = "ok".to_owned();
        let mut nul = deployment("d3", "web", "prod", 10);
        nul.commits[0].1 = "a\0b".to_owned();
        for bad in [backwards, status, nul] {
            let err = tx.metrics_insert_deployment(&bad).await.unwrap_err();
            assert!(
                matches!(err, StoreError::InvalidInput { .. }),
                "{}: {}: {err}",
                db.backend(),
                bad.id
            );
        }
        let mut early = incident("i1", 100, Some(99));
        let err = tx.metrics_insert_incident(&early).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");
        early.resolved_by = None;
        let err = tx.metrics_insert_incident(&early).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");
        tx.commit().await.unwrap();
        assert_eq!(
            db.scalar("SELECT count(*) FROM metrics_deployments")
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            db.scalar("SELECT count(*) FROM metrics_incidents")
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn an_incident_is_resolved_once_and_never_before_it_opened() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        tx.metrics_insert_incident(&incident("i1", 100, None))
            .await
            .unwrap();
        let err = tx
            .metrics_insert_incident(&incident("i1", 5, None))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");
        let err = tx
            .metrics_resolve_incident("i1", 99, "ruth")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput { .. }),
            "{}: {err}",
            db.backend()
        );
        assert!(
            tx.metrics_resolve_incident("i1", 150, "ruth")
                .await
                .unwrap()
        );
        assert!(
            !tx.metrics_resolve_incident("i1", 160, "ruth")
                .await
                .unwrap()
        );
        assert!(
            !tx.metrics_resolve_incident("nope", 160, "ruth")
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert_eq!(
            store.metrics_incident("i1").await.unwrap(),
            Some(incident("i1", 100, Some(150))),
            "{}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn incidents_that_overlap_a_period_are_the_ones_open_during_it() {
    for db in backends().await {
        let store = db.open().await;
        let mut tx = store.ledger_begin().await.unwrap();
        for i in [
            incident("before", 10, Some(20)),  // resolved before the period
            incident("across", 50, Some(150)), // opened before, resolved inside
            incident("open", 60, None),        // still open
            incident("inside", 120, Some(130)),
            incident("after", 200, None), // opened at the end: outside
        ] {
            tx.metrics_insert_incident(&i).await.unwrap();
        }
        tx.commit().await.unwrap();
        let ids =
            |rows: Vec<MetricsIncidentRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.metrics_incidents_overlapping(100, 200).await.unwrap()),
            ["across", "open", "inside"],
            "{}",
            db.backend()
        );
        assert_eq!(
            ids(store.metrics_incidents(true).await.unwrap()),
            ["open", "after"],
            "{}",
            db.backend()
        );
        assert_eq!(store.metrics_incidents(false).await.unwrap().len(), 5);
    }
}

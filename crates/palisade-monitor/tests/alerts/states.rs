//! Open → acknowledged → resolved (or open → resolved), each change with who
//! and why, ledgered; wrong changes refused and nothing written.

use palisade_monitor::alerts::{AlertError, AlertFilter, AlertState, Alerts, MONITOR_ACTOR, kind};
use palisade_monitor::finding::Severity;
use palisade_test_support::db::backends;

use super::{entries, finding, ledger, minutes, settings};

#[tokio::test]
async fn states_carry_who_and_why_and_are_ledgered() {
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let alerts = Alerts::new(&ledger, &settings(Vec::new())).unwrap();
        let b = db.backend();
        let recorded = alerts
            .record(
                &[
                    finding(
                        "off_hours",
                        Severity::Medium,
                        "alice",
                        Some("repository:acme/a"),
                        minutes(0),
                        1,
                    ),
                    finding(
                        "after_end",
                        Severity::Critical,
                        "bob",
                        Some("host:db-1"),
                        minutes(0),
                        2,
                    ),
                ],
                minutes(1),
            )
            .await
            .unwrap();
        let (a, c) = (recorded.new[0].clone(), recorded.new[1].clone());

        let acked = alerts
            .acknowledge(&a, "bob", "looking into it", minutes(5))
            .await
            .unwrap();
        assert_eq!(acked.state.state, AlertState::Acknowledged, "{b}");
        assert_eq!(
            (acked.state.by.as_str(), acked.state.reason.as_str()),
            ("bob", "looking into it"),
            "{b}"
        );
        let resolved = alerts
            .resolve(&a, "carol", "on call for an incident", minutes(9))
            .await
            .unwrap();
        assert_eq!(resolved.state.state, AlertState::Resolved, "{b}");
        assert_eq!(resolved.state.at, minutes(9), "{b}");
        // Open straight to resolved is allowed.
        alerts
            .resolve(&c, "carol", "offboarding already revoked it", minutes(9))
            .await
            .unwrap();

        let history = alerts.history(&a).await.unwrap();
        let steps: Vec<(AlertState, &str, &str)> = history
            .iter()
            .map(|h| (h.state, h.by.as_str(), h.reason.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                (AlertState::Open, MONITOR_ACTOR, "off_hours found it"),
                (AlertState::Acknowledged, "bob", "looking into it"),
                (AlertState::Resolved, "carol", "on call for an incident"),
            ],
            "{b}"
        );

        let changes = entries(&ledger, kind::STATE).await;
        assert_eq!(changes.len(), 3, "{b}");
        let first = &changes[0].entry;
        assert_eq!(
            (first.actor.as_str(), first.subject.as_str()),
            ("bob", a.as_str()),
            "{b}"
        );
        assert_eq!(first.data["from"], "open", "{b}");
        assert_eq!(first.data["to"], "acknowledged", "{b}");
        assert_eq!(first.data["reason"], "looking into it", "{b}");
        assert_eq!(changes[1].entry.data["to"], "resolved", "{b}");
        assert_eq!(changes[1].entry.actor, "carol", "{b}");

        // Filters.
        let critical = alerts
            .list(&AlertFilter {
                min_severity: Some(Severity::High),
                ..AlertFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(
            critical.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            [c.as_str()],
            "{b}"
        );
        let of_alice = alerts
            .list(&AlertFilter {
                person: Some("alice-person".to_owned()),
                ..AlertFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(of_alice.len(), 1, "{b}");
        let by_detector = alerts
            .list(&AlertFilter {
                detector: Some("after_end".to_owned()),
                state: Some(AlertState::Resolved),
                ..AlertFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_detector.len(), 1, "{b}");
        store.close().await;
    }
}

#[tokio::test]
async fn wrong_changes_are_refused_and_write_nothing() {
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let alerts = Alerts::new(&ledger, &settings(Vec::new())).unwrap();
        let b = db.backend();
        let recorded = alerts
            .record(
                &[finding(
                    "new_address",
                    Severity::High,
                    "alice",
                    Some("host:db-1"),
                    minutes(0),
                    1,
                )],
                minutes(1),
            )
            .await
            .unwrap();
        let id = recorded.new[0].clone();
        alerts
            .acknowledge(&id, "bob", "looking", minutes(2))
            .await
            .unwrap();

        let size = ledger.size().await.unwrap();
        let twice = alerts
            .acknowledge(&id, "bob", "again", minutes(3))
            .await
            .unwrap_err();
        assert!(
            matches!(
                twice,
                AlertError::Transition {
                    from: AlertState::Acknowledged,
                    to: AlertState::Acknowledged,
                    ..
                }
            ),
            "{b}: {twice}"
        );
        alerts
            .resolve(&id, "bob", "expected: a new laptop", minutes(4))
            .await
            .unwrap();
        let size_after_resolve = ledger.size().await.unwrap();
        assert_eq!(size_after_resolve, size + 1, "{b}");

        let ack_resolved = alerts
            .acknowledge(&id, "carol", "late", minutes(5))
            .await
            .unwrap_err();
        assert_eq!(
            ack_resolved.to_string(),
            format!(
                "alert `{id}` is resolved; it cannot be acknowledged; a new finding of the same kind opens a new alert"
            ),
            "{b}"
        );
        let resolve_twice = alerts
            .resolve(&id, "carol", "again", minutes(5))
            .await
            .unwrap_err();
        assert!(
            matches!(
                resolve_twice,
                AlertError::Transition {
                    from: AlertState::Resolved,
                    to: AlertState::Resolved,
                    ..
                }
            ),
            "{b}: {resolve_twice}"
        );
        let unknown = alerts
            .resolve("alert-000000000000", "carol", "x", minutes(5))
            .await
            .unwrap_err();
        assert!(matches!(unknown, AlertError::NotFound(_)), "{b}: {unknown}");
        let no_reason = alerts
            .resolve(&id, "carol", "  ", minutes(5))
            .await
            .unwrap_err();
        assert!(
            matches!(no_reason, AlertError::Missing(_)),
            "{b}: {no_reason}"
        );
        let nobody = alerts
            .resolve(&id, "", "why", minutes(5))
            .await
            .unwrap_err();
        assert!(matches!(nobody, AlertError::Missing(_)), "{b}: {nobody}");

        assert_eq!(
            ledger.size().await.unwrap(),
            size_after_resolve,
            "refusals write nothing on {b}"
        );
        let alert = alerts.get(&id).await.unwrap().unwrap();
        assert_eq!(
            (alert.state.state, alert.state.by.as_str()),
            (AlertState::Resolved, "bob"),
            "{b}"
        );
        assert_eq!(alerts.history(&id).await.unwrap().len(), 3, "{b}");
        store.close().await;
    }
}

//! The same detector, actor and resource within the window is one alert.

use palisade_monitor::alerts::{AlertFilter, AlertState, Alerts, EVIDENCE_CAP, kind};
use palisade_monitor::finding::Severity;
use palisade_test_support::db::backends;

use super::{entries, finding, ledger, minutes, settings};

const REPO_A: Option<&str> = Some("repository:acme/payments");
const REPO_B: Option<&str> = Some("repository:acme/ledger");

#[tokio::test]
async fn same_key_inside_the_window_folds_outside_starts_anew() {
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let alerts = Alerts::new(&ledger, &settings(Vec::new())).unwrap();
        let b = db.backend();

        let first = alerts
            .record(
                &[finding(
                    "off_hours",
                    Severity::Medium,
                    "alice",
                    REPO_A,
                    minutes(0),
                    1,
                )],
                minutes(1),
            )
            .await
            .unwrap();
        assert_eq!(first.new.len(), 1, "{b}");
        let a = first.new[0].clone();

        // 45 minutes after the first: the same alert, higher severity kept.
        let second = alerts
            .record(
                &[finding(
                    "off_hours",
                    Severity::High,
                    "alice",
                    REPO_A,
                    minutes(45),
                    2,
                )],
                minutes(46),
            )
            .await
            .unwrap();
        assert_eq!((second.new.len(), second.folded), (0, 1), "{b}");
        assert_eq!(second.alerts, std::slice::from_ref(&a), "{b}");
        let folded = alerts.get(&a).await.unwrap().unwrap();
        assert_eq!(folded.seen, 2, "{b}");
        assert_eq!(folded.severity, Severity::High, "{b}");
        assert_eq!(
            (folded.first_seen, folded.last_seen),
            (minutes(0), minutes(45)),
            "{b}"
        );
        let lines: Vec<u64> = folded.evidence.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2], "{b}");

        // The window runs from the last finding: 100 minutes is within an
        // hour of 45, 200 is not.
        let third = alerts
            .record(
                &[finding(
                    "off_hours",
                    Severity::Medium,
                    "alice",
                    REPO_A,
                    minutes(100),
                    3,
                )],
                minutes(101),
            )
            .await
            .unwrap();
        assert_eq!(third.alerts, std::slice::from_ref(&a), "{b}");
        let later = alerts
            .record(
                &[finding(
                    "off_hours",
                    Severity::Medium,
                    "alice",
                    REPO_A,
                    minutes(200),
                    4,
                )],
                minutes(201),
            )
            .await
            .unwrap();
        assert_eq!(
            later.new.len(),
            1,
            "outside the window is a new alert on {b}"
        );
        assert_ne!(later.new[0], a, "{b}");

        // Another resource, another actor, another detector: each its own alert.
        let others = alerts
            .record(
                &[
                    finding(
                        "off_hours",
                        Severity::Medium,
                        "alice",
                        REPO_B,
                        minutes(10),
                        5,
                    ),
                    finding("off_hours", Severity::Medium, "bob", REPO_A, minutes(10), 6),
                    finding(
                        "mass_download",
                        Severity::High,
                        "alice",
                        REPO_A,
                        minutes(10),
                        7,
                    ),
                    finding(
                        "unknown_actor",
                        Severity::Medium,
                        "ghost",
                        None,
                        minutes(10),
                        8,
                    ),
                    // Findings of one call fold into each other too.
                    finding(
                        "unknown_actor",
                        Severity::Medium,
                        "ghost",
                        None,
                        minutes(12),
                        9,
                    ),
                ],
                minutes(13),
            )
            .await
            .unwrap();
        assert_eq!((others.new.len(), others.folded), (4, 1), "{b}");
        assert_eq!(others.alerts[3], others.alerts[4], "{b}");

        // Each new alert is one `monitor.alert` entry naming it, and the
        // fold that raised the first alert's severity is one more.
        let ledgered = entries(&ledger, kind::ALERT).await;
        assert_eq!(ledgered.len(), 7, "{b}");
        assert_eq!(
            ledgered
                .iter()
                .filter(|e| e.entry.data.get("escalated_from").is_some())
                .count(),
            1,
            "{b}"
        );
        assert_eq!(ledgered[0].entry.subject, a, "{b}");
        assert_eq!(ledgered[0].entry.data["detector"], "off_hours", "{b}");
        assert_eq!(
            ledgered[0].entry.data["resource"], "repository:acme/payments",
            "{b}"
        );

        let all = alerts.list(&AlertFilter::default()).await.unwrap();
        assert_eq!(all.len(), 6, "{b}");
        store.close().await;
    }
}

#[tokio::test]
async fn a_resolved_alert_is_not_folded_into_and_evidence_is_capped() {
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let alerts = Alerts::new(&ledger, &settings(Vec::new())).unwrap();
        let b = db.backend();

        let many: Vec<_> = (0..EVIDENCE_CAP as u64 + 20)
            .map(|n| {
                finding(
                    "failed_logins",
                    Severity::Low,
                    "mallory",
                    Some("host:bastion"),
                    minutes(0),
                    n + 1,
                )
            })
            .collect();
        let recorded = alerts.record(&many, minutes(1)).await.unwrap();
        assert_eq!(recorded.new.len(), 1, "{b}");
        let id = &recorded.new[0];
        let alert = alerts.get(id).await.unwrap().unwrap();
        assert_eq!(alert.seen, EVIDENCE_CAP as u64 + 20, "{b}");
        assert_eq!(alert.evidence.len(), EVIDENCE_CAP, "{b}");

        alerts
            .resolve(id, "carol", "a load test", minutes(2))
            .await
            .unwrap();
        let again = alerts
            .record(
                &[finding(
                    "failed_logins",
                    Severity::Low,
                    "mallory",
                    Some("host:bastion"),
                    minutes(3),
                    999,
                )],
                minutes(3),
            )
            .await
            .unwrap();
        assert_eq!(again.new.len(), 1, "{b}");
        assert_ne!(&again.new[0], id, "{b}");
        let open = alerts
            .list(&AlertFilter {
                state: Some(AlertState::Open),
                ..AlertFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "{b}");
        assert_eq!(open[0].id, again.new[0], "{b}");
        store.close().await;
    }
}

#[tokio::test]
async fn a_graver_finding_folded_in_reaches_the_hooks_the_first_did_not_and_says_why() {
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let hooks = vec![
            super::hook("slack", "ALERTS_ALL", Some("low")),
            super::hook("slack", "ALERTS_HIGH", Some("high")),
        ];
        let alerts = Alerts::new(&ledger, &settings(hooks)).unwrap();
        let burst = finding(
            "failed_logins",
            Severity::Medium,
            "arjun",
            REPO_A,
            minutes(0),
            1,
        );
        let first = alerts.record(&[burst], minutes(1)).await.unwrap();
        assert_eq!(first.queued, 1, "only the low hook: medium is below high");
        let id = first.new[0].clone();
        let mut success = finding(
            "failed_logins",
            Severity::High,
            "arjun",
            REPO_A,
            minutes(3),
            2,
        );
        success.sentence =
            "arjun.menon logged in right after 5 failures: the guessing may have worked".to_owned();
        let second = alerts.record(&[success], minutes(4)).await.unwrap();
        assert_eq!(second.folded, 1);
        assert_eq!(
            second.queued, 1,
            "the high hook now, and the low one not again"
        );
        let alert = alerts.get(&id).await.unwrap().unwrap();
        assert_eq!(alert.severity, Severity::High);
        assert!(
            alert.sentence.contains("may have worked"),
            "{}",
            alert.sentence
        );
        let deliveries = store.monitor_deliveries_of(&id).await.unwrap();
        let mut hooks: Vec<_> = deliveries.iter().map(|d| d.hook.clone()).collect();
        hooks.sort();
        assert_eq!(hooks.len(), 2, "{hooks:?}");
        assert!(
            deliveries
                .iter()
                .any(|d| d.body.contains("may have worked"))
        );
        // The escalation is in the ledger with where it went.
        let logged = super::entries(&ledger, kind::ALERT).await;
        assert_eq!(logged.len(), 2, "{}", db.backend());
        assert_eq!(logged[1].entry.data["escalated_from"], "medium");
    }
}

#[tokio::test]
async fn one_call_folds_in_memory_and_writes_each_alert_once_even_past_its_window() {
    for db in backends().await {
        let store = db.open().await;
        let ledger = ledger(&store);
        let alerts = Alerts::new(&ledger, &settings(Vec::new())).unwrap();
        // Many findings of one key in one call: one alert, each one counted;
        // then the same key past the window: a second alert, the first kept whole.
        let mut findings: Vec<_> = (0..40)
            .map(|i| {
                finding(
                    "rare_hour",
                    Severity::Low,
                    "alice",
                    REPO_A,
                    minutes(i),
                    i as u64 + 1,
                )
            })
            .collect();
        findings.push(finding(
            "rare_hour",
            Severity::Low,
            "alice",
            REPO_A,
            minutes(200),
            99,
        ));
        let recorded = alerts.record(&findings, minutes(201)).await.unwrap();
        assert_eq!(recorded.new.len(), 2, "{}", db.backend());
        assert_eq!(recorded.folded, 39);
        let first = alerts.get(&recorded.new[0]).await.unwrap().unwrap();
        assert_eq!(
            (first.seen, first.first_seen, first.last_seen),
            (40, minutes(0), minutes(39))
        );
        assert_eq!(first.evidence.len(), 40);
        let second = alerts.get(&recorded.new[1]).await.unwrap().unwrap();
        assert_eq!((second.seen, second.first_seen), (1, minutes(200)));
        // A later call folds into the second, from the store.
        let later = alerts
            .record(
                &[finding(
                    "rare_hour",
                    Severity::Low,
                    "alice",
                    REPO_A,
                    minutes(210),
                    100,
                )],
                minutes(211),
            )
            .await
            .unwrap();
        assert_eq!(later.alerts, [recorded.new[1].clone()]);
        assert_eq!(alerts.get(&recorded.new[1]).await.unwrap().unwrap().seen, 2);
    }
}

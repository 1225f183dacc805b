//! Deliveries posted to a real receiver on loopback: queued with their alert,
//! kept in the store while the receiver is down, delivered by a new store
//! handle after a "restart", signed, and failed with the reason kept once the
//! attempts run out. URLs, which hold secrets, reach no row, error or entry.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use palisade_access::webhook::{Verifier, WebhookSecret};
use palisade_monitor::alerts::{Alerts, kind};
use palisade_monitor::deliver::{Attempted, Deliverer, DeliveryOptions, ResolvedHook};
use palisade_monitor::finding::Severity;
use palisade_test_support::db::backends;

use super::receiver::Receiver;
use super::{entries, finding, hook, ledger, settings};

const SLACK_TOKEN: &str = "XoXbSeCrEtT0kEn";

fn options(max_attempts: u32) -> DeliveryOptions {
    DeliveryOptions {
        timeout: Duration::from_secs(5),
        initial_backoff: Duration::from_secs(60),
        max_backoff: Duration::from_secs(600),
        max_attempts,
        ..DeliveryOptions::default()
    }
}

fn after(now: Timestamp, seconds: i64) -> Timestamp {
    now.checked_add(SignedDuration::from_secs(seconds)).unwrap()
}

fn resolved(base: &str, secret: &WebhookSecret) -> Vec<ResolvedHook> {
    vec![
        ResolvedHook::new(
            &hook("slack", "ALERTS_SLACK_URL", Some("high")),
            format!("{base}/services/T000/B000/{SLACK_TOKEN}"),
            None,
        )
        .unwrap(),
        ResolvedHook::new(
            &hook("webhook", "ALERTS_WEBHOOK_URL", Some("low")),
            format!("{base}/hooks/palisade"),
            Some(WebhookSecret::parse(&secret.expose_text()).unwrap()),
        )
        .unwrap(),
    ]
}

#[tokio::test]
async fn queued_deliveries_survive_a_down_receiver_and_a_restart() {
    for db in backends().await {
        let b = db.backend();
        // The first three attempts (every delivery's first) get 503.
        let receiver = Receiver::start(3);
        let secret = WebhookSecret::generate().unwrap();
        // Signatures are made with the time the caller passes: real time here,
        // so the receiver's verifier can check it.
        let now = Timestamp::now();
        let model_hooks = vec![
            hook("slack", "ALERTS_SLACK_URL", Some("high")),
            hook("webhook", "ALERTS_WEBHOOK_URL", Some("low")),
        ];

        let (high, low) = {
            let store = db.open().await;
            let ledger = ledger(&store);
            let alerts = Alerts::new(&ledger, &settings(model_hooks.clone())).unwrap();
            let recorded = alerts
                .record(
                    &[
                        finding(
                            "after_end",
                            Severity::High,
                            "bob",
                            Some("host:db-1"),
                            now,
                            1,
                        ),
                        finding(
                            "rare_hour",
                            Severity::Low,
                            "alice",
                            Some("repository:acme/a"),
                            now,
                            2,
                        ),
                    ],
                    now,
                )
                .await
                .unwrap();
            // High meets both hooks; low only the webhook's.
            assert_eq!(recorded.queued, 3, "{b}");
            let (high, low) = (recorded.new[0].clone(), recorded.new[1].clone());
            let ledgered = entries(&ledger, kind::ALERT).await;
            assert_eq!(
                ledgered[0].entry.data["queued_for"],
                serde_json::json!(["slack:ALERTS_SLACK_URL", "webhook:ALERTS_WEBHOOK_URL"]),
                "{b}"
            );

            let deliverer = Deliverer::new(store.clone(), options(5));
            let report = deliverer
                .deliver_pending(&resolved(&receiver.base, &secret), now)
                .await
                .unwrap();
            assert_eq!(report.retrying().count(), 3, "{b}: {report:?}");
            for result in &report.results {
                let Attempted::Retrying {
                    error,
                    next_attempt,
                } = &result.outcome
                else {
                    panic!("{b}: {result:?}");
                };
                assert_eq!(error, "HTTP 503: down", "{b}");
                assert_eq!(*next_attempt, after(now, 60), "{b}");
            }
            // Not due yet: nothing is attempted.
            let early = deliverer
                .deliver_pending(&resolved(&receiver.base, &secret), after(now, 30))
                .await
                .unwrap();
            assert!(early.results.is_empty(), "{b}: {early:?}");
            let queued = store.monitor_deliveries_in("queued").await.unwrap();
            assert_eq!(queued.len(), 3, "{b}");
            assert!(queued.iter().all(|d| d.attempts == 1), "{b}");
            store.close().await;
            (high, low)
        };

        // A restart: a new store handle, new alerts and a new deliverer.
        let store = db.open().await;
        let deliverer = Deliverer::new(store.clone(), options(5));
        let report = deliverer
            .deliver_pending(&resolved(&receiver.base, &secret), after(now, 61))
            .await
            .unwrap();
        assert_eq!(report.delivered().count(), 3, "{b}: {report:?}");
        assert!(report.results.iter().all(|r| r.attempt == 2), "{b}");
        assert!(
            store
                .monitor_deliveries_in("queued")
                .await
                .unwrap()
                .is_empty(),
            "{b}"
        );
        assert_eq!(
            store
                .monitor_deliveries_in("delivered")
                .await
                .unwrap()
                .len(),
            3,
            "{b}"
        );
        // Delivered is done: a later call sends nothing again.
        let again = deliverer
            .deliver_pending(&resolved(&receiver.base, &secret), after(now, 3600))
            .await
            .unwrap();
        assert!(again.results.is_empty(), "{b}");

        let requests = receiver.requests();
        assert_eq!(requests.len(), 6, "{b}");
        let verifier = Verifier::new([secret]).unwrap().without_replay_guard();

        let webhooks: Vec<_> = requests
            .iter()
            .filter(|r| r.path == "/hooks/palisade")
            .collect();
        assert_eq!(webhooks.len(), 4, "{b}");
        for request in &webhooks {
            let verified = verifier
                .verify(&request.headers, &request.body, Timestamp::now())
                .unwrap_or_else(|e| panic!("{b}: the signature does not verify: {e}"));
            let event = verified.event().unwrap();
            assert_eq!(event.event_type, "monitor.alert", "{b}");
            assert!(
                [high.as_str(), low.as_str()].contains(&event.data["id"].as_str().unwrap()),
                "{b}"
            );
        }
        // Each message keeps its id across attempts, so receivers can drop repeats.
        for alert in [&high, &low] {
            let ids: Vec<_> = webhooks
                .iter()
                .filter(|r| r.json()["data"]["id"] == alert.as_str())
                .map(|r| (r.header("webhook-id").unwrap().to_owned(), r.answered))
                .collect();
            assert_eq!(ids.len(), 2, "{b}");
            assert_eq!(ids[0].0, ids[1].0, "{b}");
            assert_eq!((ids[0].1, ids[1].1), (503, 200), "{b}");
        }
        let tampered = webhooks[0];
        let mut body = tampered.body.clone();
        body[10] ^= 1;
        assert!(
            verifier
                .verify(&tampered.headers, &body, Timestamp::now())
                .is_err(),
            "{b}"
        );

        let slack: Vec<_> = requests
            .iter()
            .filter(|r| r.path.starts_with("/services/"))
            .collect();
        assert_eq!(slack.len(), 2, "only the high alert goes to Slack on {b}");
        for request in slack {
            assert!(request.header("webhook-signature").is_none(), "{b}");
            let payload = request.json();
            let text = payload["text"].as_str().unwrap();
            assert!(
                text.contains("bob cloned host:db-1 at 02:00"),
                "{b}: {text}"
            );
            assert!(text.starts_with("[HIGH] after_end: "), "{b}: {text}");
            let blocks = payload["blocks"].as_array().unwrap();
            assert_eq!(blocks[0]["type"], "section", "{b}");
            assert!(
                blocks[0]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("bob cloned host:db-1"),
                "{b}"
            );
        }

        // The Slack URL's secret is in no stored delivery and no ledger entry.
        for d in store.monitor_deliveries_in("delivered").await.unwrap() {
            assert!(
                !d.body.contains(SLACK_TOKEN)
                    && !d.last_error.unwrap_or_default().contains(SLACK_TOKEN),
                "{b}"
            );
            assert!(!d.hook.contains(SLACK_TOKEN), "{b}");
        }
        for e in entries(&ledger(&store), kind::ALERT).await {
            assert!(
                !String::from_utf8_lossy(&e.bytes).contains(SLACK_TOKEN),
                "{b}"
            );
        }
        store.close().await;
    }
}

#[tokio::test]
async fn a_receiver_that_never_recovers_ends_in_failed_with_the_reason_kept() {
    for db in backends().await {
        let b = db.backend();
        let receiver = Receiver::start(usize::MAX);
        // A Slack URL on a port nothing listens on: the connection fails.
        let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!(
            "http://{}/services/T1/B1/{SLACK_TOKEN}",
            gone.local_addr().unwrap()
        );
        drop(gone);
        let now = Timestamp::now();
        let store = db.open().await;
        let ledger = ledger(&store);
        let model_hooks = vec![
            hook("webhook", "DOWN_URL", Some("low")),
            hook("slack", "DEAD_URL", Some("low")),
        ];
        let alerts = Alerts::new(&ledger, &settings(model_hooks.clone())).unwrap();
        let recorded = alerts
            .record(
                &[finding(
                    "security_change",
                    Severity::Critical,
                    "eve",
                    Some("repository:acme/a"),
                    now,
                    1,
                )],
                now,
            )
            .await
            .unwrap();
        assert_eq!(recorded.queued, 2, "{b}");
        let hooks = vec![
            ResolvedHook::new(
                &model_hooks[0],
                format!("{}/down", receiver.base),
                Some(WebhookSecret::generate().unwrap()),
            )
            .unwrap(),
            ResolvedHook::new(&model_hooks[1], dead, None).unwrap(),
        ];
        let deliverer = Deliverer::new(store.clone(), options(3));
        let mut at = now;
        let mut reports = Vec::new();
        for _ in 0..3 {
            reports.push(deliverer.deliver_pending(&hooks, at).await.unwrap());
            at = after(at, 3600);
        }
        assert_eq!(reports[0].retrying().count(), 2, "{b}: {:?}", reports[0]);
        assert_eq!(reports[1].retrying().count(), 2, "{b}: {:?}", reports[1]);
        let failed: Vec<_> = reports[2].failed().collect();
        assert_eq!(failed.len(), 2, "{b}: {:?}", reports[2]);
        for f in &failed {
            let Attempted::Failed { error } = &f.outcome else {
                unreachable!()
            };
            assert!(
                error.starts_with("gave up after 3 attempt(s); the last: "),
                "{b}: {error}"
            );
            assert!(!error.contains(SLACK_TOKEN), "{b}: {error}");
        }
        let down = failed
            .iter()
            .find(|f| f.hook == "webhook:DOWN_URL")
            .unwrap();
        assert!(
            matches!(&down.outcome, Attempted::Failed { error } if error.ends_with("HTTP 503: down")),
            "{b}"
        );

        let stored = store.monitor_deliveries_in("failed").await.unwrap();
        assert_eq!(stored.len(), 2, "{b}");
        for d in &stored {
            assert_eq!(d.attempts, 3, "{b}");
            let reason = d.last_error.as_deref().unwrap();
            assert!(reason.starts_with("gave up after 3"), "{b}: {reason}");
            assert!(!reason.contains(SLACK_TOKEN), "{b}: {reason}");
        }
        // Failed is final: no more attempts.
        let after_failed = deliverer
            .deliver_pending(&hooks, after(at, 3600))
            .await
            .unwrap();
        assert!(after_failed.results.is_empty(), "{b}");
        assert_eq!(receiver.requests().len(), 3, "{b}");
        store.close().await;
    }
}

#[test]
fn a_hook_error_never_shows_its_url() {
    let slack = hook("slack", "SLACK_URL", None);
    let err =
        ResolvedHook::new(&slack, format!("ftp://hooks.example/{SLACK_TOKEN}"), None).unwrap_err();
    assert!(!err.to_string().contains(SLACK_TOKEN), "{err}");
    assert!(err.to_string().contains("slack:SLACK_URL"), "{err}");
    let webhook = hook("webhook", "HOOK_URL", None);
    let err = ResolvedHook::new(&webhook, "https://hooks.example/x".to_owned(), None).unwrap_err();
    assert!(err.to_string().contains("needs its secret"), "{err}");
    let ok =
        ResolvedHook::new(&slack, format!("https://hooks.example/{SLACK_TOKEN}"), None).unwrap();
    assert!(!format!("{ok:?}").contains(SLACK_TOKEN));
}

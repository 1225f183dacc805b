//! The ledger entries of EXPECTED.md, written by the real engines on both
//! backends, read back as facts and counted per scope.

use jiff::Timestamp;
use palisade_access::grants::{Grants, NewRequest};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::review::{Reviews, STANDING, Verdict as ReviewVerdict};
use palisade_gate::verdict::{ControlResult, ControlVerdict, Outcome, TouchedService, Verdict};
use palisade_ledger::ledger::{Event, Ledger};
use palisade_metrics::facts::{self, LedgerFacts, UNREADABLE_ENTRY};
use palisade_metrics::measure::{Measured, Scope};
use palisade_metrics::platform::{NamedCount, PlatformHealth, PlatformInputs, platform_health};
use palisade_model::{Control, Day, GrantDuration, Index, MonitorSettings, RiskTier};
use palisade_monitor::alerts::Alerts;
use palisade_monitor::event::{RawRef, Source};
use palisade_monitor::finding::{Finding as Alarm, Severity as AlarmSeverity};
use palisade_scan::finding::Finding;
use palisade_scan::rules::{RuleKind, Severity};
use palisade_scan::scan::Report;
use palisade_scan::summary::{self, Mode};
use palisade_test_support::db::backends;

use super::{acme, close, incidents, now, october, t};

fn verdict(outcome: Outcome, services: &[&str], head: &str, waivers: &[&str]) -> Verdict {
    Verdict {
        verdict: outcome,
        plan: false,
        tier: RiskTier::High,
        tier_reasons: Vec::new(),
        services: services
            .iter()
            .map(|s| TouchedService {
                id: (*s).to_owned(),
                risk: RiskTier::High,
                team: String::new(),
                paths: 1,
            })
            .collect(),
        base: "0".repeat(40),
        head: head.to_owned(),
        environment: Some("prod".to_owned()),
        changed_paths: 1,
        unowned: Vec::new(),
        controls: vec![ControlVerdict {
            id: Control::Tests,
            result: if outcome == Outcome::Fail {
                ControlResult::Fail
            } else if waivers.is_empty() {
                ControlResult::Pass
            } else {
                ControlResult::Waived
            },
            reason: "tests".to_owned(),
            provide: None,
            evidence: Vec::new(),
            waiver: waivers.first().map(|w| (*w).to_owned()),
        }],
        waivers_used: waivers.iter().map(|w| (*w).to_owned()).collect(),
        evidence: Vec::new(),
        warnings: Vec::new(),
    }
}

fn gate_event(v: &Verdict, at: &str) -> Event {
    palisade_gate::record::event(
        v,
        palisade_gate::record::Context {
            subject: "acme/payments".to_owned(),
            actor: "ci".to_owned(),
            time: t(at),
            model_digest: "sha256:00".to_owned(),
        },
    )
}

fn finding(kind: RuleKind, severity: Severity, path: &str) -> Finding {
    Finding {
        rule: "rule".to_owned(),
        name: "A rule".to_owned(),
        kind,
        severity,
        path: path.to_owned(),
        line: 1,
        column: 1,
        end_line: 1,
        redacted: "x…(9)".to_owned(),
        digest: "0011223344556677".to_owned(),
        fingerprint: format!("rule:{path}"),
        context: String::new(),
        introduced: None,
        placement: None,
        group: None,
    }
}

fn scan_event(subject: &str, findings: Vec<Finding>, at: &str) -> Event {
    let mut report = Report {
        findings,
        ..Report::default()
    };
    report.stats.files = 10;
    report.stats.suppressed_baseline = 1;
    summary::event(
        &report,
        summary::Context {
            mode: Mode::Tree,
            subject: subject.to_owned(),
            actor: "ci".to_owned(),
            time: t(at),
        },
    )
}

fn alarm(detector: &'static str, severity: AlarmSeverity, person: &str, at: Timestamp) -> Alarm {
    Alarm {
        detector,
        severity,
        person: Some(person.to_owned()),
        actor: person.to_owned(),
        resource: Some("repository:acme/payments".to_owned()),
        time: at,
        sentence: format!("{person} did something at {at}"),
        evidence: vec![RawRef {
            source: Source::Github,
            file: "audit.ndjson".to_owned(),
            line: 1,
            id: None,
        }],
    }
}

fn ask(role: &str, minutes: u32) -> NewRequest {
    NewRequest {
        role: role.to_owned(),
        environment: Some("prod".to_owned()),
        duration: GrantDuration::from_minutes(minutes),
        reason: "INC-4711".to_owned(),
        ticket: None,
        start: None,
    }
}

/// Writes every entry of EXPECTED.md's "Ledger" section.
async fn write_fixture(ledger: &Ledger, index: &Index<'_>) {
    let model = index.model();
    let events = [
        gate_event(
            &verdict(Outcome::Pass, &["checkout-web"], &"1".repeat(40), &[]),
            "2026-10-05T10:00:00Z",
        ),
        gate_event(
            &verdict(Outcome::Fail, &["checkout-web"], &"2".repeat(40), &[]),
            "2026-10-06T10:00:00Z",
        ),
        gate_event(
            &verdict(
                Outcome::Pass,
                &["payments-api"],
                &"3".repeat(40),
                &["w-sast"],
            ),
            "2026-10-07T10:00:00Z",
        ),
        gate_event(
            &verdict(Outcome::Warn, &["docs-site"], &"4".repeat(40), &[]),
            "2026-10-08T10:00:00Z",
        ),
        gate_event(
            &verdict(Outcome::Pass, &["checkout-web"], &"5".repeat(40), &[]),
            "2026-09-30T10:00:00Z",
        ),
        scan_event(
            "checkout-web",
            vec![
                finding(
                    RuleKind::Secret,
                    Severity::Critical,
                    "web/checkout/config.js",
                ),
                finding(
                    RuleKind::Pii,
                    Severity::Medium,
                    "web/checkout/fixtures.json",
                ),
            ],
            "2026-10-10T10:00:00Z",
        ),
        scan_event("checkout-web", Vec::new(), "2026-10-20T10:00:00Z"),
        scan_event(
            "acme/payments",
            vec![finding(
                RuleKind::Secret,
                Severity::High,
                "services/payments-api/.env",
            )],
            "2026-10-12T10:00:00Z",
        ),
        // An entry of a known kind whose data is not the gate's shape.
        Event {
            time: t("2026-10-15T10:00:00Z"),
            actor: "ci".to_owned(),
            kind: "gate.verdict".to_owned(),
            subject: "acme/payments".to_owned(),
            data: serde_json::json!({ "verdict": 3 }),
        },
    ];
    for e in events {
        ledger.append(e).await.unwrap();
    }

    // Vetting is judged on a day every vetted person of the example is current
    // (their training records are dated later than October).
    let day: Day = "2026-12-01".parse().unwrap();
    let authorizer = Authorizer::new(index, day, &AccessSettings::from_model(model)).unwrap();
    // The campaign runs before any grant exists, so its items are the
    // standing roles only.
    let reviews = Reviews::new(ledger, index, &authorizer);
    let campaign = reviews
        .start("eleanor", t("2026-10-02T09:00:00Z"))
        .await
        .unwrap();
    let (_, items) = reviews.get(&campaign.id).await.unwrap();
    let arjun = items
        .iter()
        .find(|i| i.person == "arjun" && i.role == "prod-reader" && i.via == STANDING)
        .unwrap();
    reviews
        .decide(
            "eleanor",
            &campaign.id,
            arjun.item,
            ReviewVerdict::Revoke,
            "a vendor holds no standing production access",
            t("2026-10-02T10:00:00Z"),
        )
        .await
        .unwrap();
    reviews.close("eleanor", campaign.deadline).await.unwrap();
    let grants = Grants::new(ledger, index, &authorizer);
    let first = grants
        .request(
            "james",
            &ask("incident-responder", 120),
            t("2026-10-03T09:00:00Z"),
        )
        .await
        .unwrap();
    grants
        .deny("sofia", &first.id, "not needed", t("2026-10-03T09:05:00Z"))
        .await
        .unwrap();
    let second = grants
        .request(
            "james",
            &ask("incident-responder", 120),
            t("2026-10-03T10:00:00Z"),
        )
        .await
        .unwrap();
    grants
        .approve("sofia", &second.id, "on call", t("2026-10-03T10:05:00Z"))
        .await
        .unwrap();
    let glass = grants
        .break_glass(
            "james",
            &ask("incident-responder", 30),
            t("2026-10-04T09:00:00Z"),
        )
        .await
        .unwrap();
    grants
        .review_break_glass("sofia", &glass.id, "justified", t("2026-10-04T10:00:00Z"))
        .await
        .unwrap();
    grants
        .break_glass(
            "james",
            &ask("incident-responder", 30),
            t("2026-10-25T09:00:00Z"),
        )
        .await
        .unwrap();

    let alerts = Alerts::new(ledger, &MonitorSettings::default()).unwrap();
    alerts
        .record(
            &[
                alarm(
                    "off_hours",
                    AlarmSeverity::High,
                    "arjun",
                    t("2026-10-09T02:00:00Z"),
                ),
                alarm(
                    "off_hours",
                    AlarmSeverity::Low,
                    "katarzyna",
                    t("2026-10-09T02:00:00Z"),
                ),
            ],
            t("2026-10-09T02:05:00Z"),
        )
        .await
        .unwrap();
    alerts
        .record(
            &[alarm(
                "after_end",
                AlarmSeverity::Critical,
                "arjun",
                t("2026-10-11T02:00:00Z"),
            )],
            t("2026-10-11T02:05:00Z"),
        )
        .await
        .unwrap();
}

fn counts(v: &[NamedCount]) -> Vec<(&str, u64)> {
    v.iter().map(|c| (c.name.as_str(), c.count)).collect()
}

fn health(facts: &LedgerFacts, index: &Index<'_>, scope: Scope) -> PlatformHealth {
    let all = incidents();
    let period = october();
    let inputs = PlatformInputs {
        index,
        period: &period,
        incidents: Some(&all),
        facts,
        now: now(),
    };
    platform_health(&inputs, &scope)
}

#[tokio::test]
async fn platform_health_counts_what_the_engines_ledgered_per_scope() {
    let model = acme();
    let index = Index::new(&model);
    for db in backends().await {
        let b = db.backend();
        let store = db.open().await;
        let ledger = Ledger::new(store.clone(), "acme.example/palisade");
        write_fixture(&ledger, &index).await;
        let facts = facts::read(&store, &index, &october(), now())
            .await
            .unwrap();

        // The malformed entry is counted with its index, never a panic.
        assert_eq!(facts.issues.count(UNREADABLE_ENTRY), 1, "{b}");
        assert!(
            facts.issues.kinds[0].examples[0].starts_with("entry 8 (gate.verdict)"),
            "{b}: {:?}",
            facts.issues
        );
        assert_eq!(
            facts.gate_verdicts.len(),
            4,
            "{b}: September's verdict is outside"
        );

        let nimbus = health(&facts, &index, Scope::Vendor("nimbus".to_owned()));
        let gate = nimbus.gate.value().unwrap();
        assert_eq!(
            (gate.verdicts, gate.failed, gate.warned, gate.waivers_used),
            (2, 1, 0, 0),
            "{b}"
        );
        assert!(close(gate.failure_rate, 0.5), "{b}");
        // The repository scan covers checkout-web too (clean there).
        let secrets = nimbus.secrets.value().unwrap();
        assert_eq!(
            (
                secrets.scans,
                secrets.findings,
                secrets.secrets,
                secrets.open_findings
            ),
            (3, 2, 1, 0),
            "{b}"
        );
        assert_eq!(counts(&secrets.by_kind), [("pii", 1), ("secret", 1)], "{b}");
        assert_eq!(
            counts(&secrets.by_severity),
            [("critical", 1), ("high", 0), ("medium", 1), ("low", 0)],
            "{b}"
        );
        let alerts = nimbus.alerts.value().unwrap();
        assert_eq!((alerts.raised, alerts.escalated), (2, 0), "{b}");
        assert_eq!(
            counts(&alerts.by_severity),
            [("critical", 1), ("high", 1), ("medium", 0), ("low", 0)],
            "{b}"
        );
        let access = nimbus.access.value().unwrap();
        assert_eq!(
            (
                access.requests,
                access.denied,
                access.break_glass,
                access.review_revocations,
                access.exceptions
            ),
            (0, 0, 0, 1, 1),
            "{b}"
        );
        let incidents = nimbus.incidents.value().unwrap();
        assert_eq!(
            (incidents.opened, incidents.resolved, incidents.open_at_end),
            (2, 2, 0),
            "{b}"
        );
        assert!(close(incidents.per_30_days, 60.0 / 31.0), "{b}");
        assert_eq!(
            incidents.median_recovery_hours,
            Measured::Value(14.0),
            "{b}"
        );
        assert_eq!(
            counts(&incidents.by_severity),
            [("sev1", 0), ("sev2", 1), ("sev3", 1), ("sev4", 0)],
            "{b}"
        );

        let payments = health(&facts, &index, Scope::Team("payments".to_owned()));
        let access = payments.access.value().unwrap();
        assert_eq!(
            (
                access.requests,
                access.denied,
                access.break_glass,
                access.break_glass_unreviewed,
                access.break_glass_overdue,
                access.exceptions
            ),
            (2, 1, 2, 1, 1, 2),
            "{b}"
        );
        let gate = payments.gate.value().unwrap();
        assert_eq!(
            (gate.verdicts, gate.waivers_used, gate.waived_verdicts),
            (1, 1, 1),
            "{b}"
        );
        // The repository scan's finding is under payments-api's path.
        let secrets = payments.secrets.value().unwrap();
        assert_eq!(
            (secrets.scans, secrets.findings, secrets.open_findings),
            (1, 1, 1),
            "{b}"
        );

        let harbor = health(&facts, &index, Scope::Vendor("harbor".to_owned()));
        // No scan of a harbor service: no data, not zero findings.
        assert!(
            matches!(harbor.secrets, Measured::NoData(_)),
            "{b}: {:?}",
            harbor.secrets
        );
        let gate = harbor.gate.value().unwrap();
        assert_eq!((gate.verdicts, gate.warned), (1, 1), "{b}");
        assert_eq!(harbor.alerts.value().unwrap().raised, 1, "{b}");
        let incidents = harbor.incidents.value().unwrap();
        assert_eq!((incidents.opened, incidents.open_at_end), (1, 1), "{b}");
        assert!(
            matches!(incidents.median_recovery_hours, Measured::NoData(_)),
            "{b}"
        );

        let org = health(&facts, &index, Scope::Org);
        let gate = org.gate.value().unwrap();
        assert_eq!(
            (gate.verdicts, gate.failed, gate.warned, gate.waivers_used),
            (4, 1, 1, 1),
            "{b}"
        );
        assert!(close(gate.failure_rate, 0.25), "{b}");
        let secrets = org.secrets.value().unwrap();
        assert_eq!(
            (
                secrets.scans,
                secrets.findings,
                secrets.secrets,
                secrets.open_findings
            ),
            (3, 3, 2, 1),
            "{b}"
        );
        assert_eq!(org.alerts.value().unwrap().raised, 3, "{b}");
        let access = org.access.value().unwrap();
        assert_eq!(
            (
                access.break_glass,
                access.review_revocations,
                access.exceptions
            ),
            (2, 1, 3),
            "{b}"
        );
        let incidents = org.incidents.value().unwrap();
        assert_eq!(
            (incidents.opened, incidents.resolved, incidents.open_at_end),
            (3, 3, 1),
            "{b}"
        );
        assert_eq!(
            incidents.median_recovery_hours,
            Measured::Value(24.0),
            "{b}"
        );
        assert!(
            close(*incidents.mean_recovery_hours.value().unwrap(), 124.0 / 3.0),
            "{b}"
        );

        // A month nothing was recorded in: each block says why, none says zero.
        let august =
            palisade_metrics::period::Period::month("2026-08", &jiff::tz::TimeZone::UTC).unwrap();
        let empty = facts::read(&store, &index, &august, now()).await.unwrap();
        let inputs = PlatformInputs {
            index: &index,
            period: &august,
            incidents: None,
            facts: &empty,
            now: now(),
        };
        let h = platform_health(&inputs, &Scope::Org);
        assert!(matches!(h.gate, Measured::NoData(_)), "{b}");
        assert!(matches!(h.secrets, Measured::NoData(_)), "{b}");
        assert!(matches!(h.incidents, Measured::NoData(_)), "{b}");
        // Nothing was ledgered by the monitor or the access engine before August ended.
        assert!(matches!(h.alerts, Measured::NoData(_)), "{b}");
        assert!(matches!(h.access, Measured::NoData(_)), "{b}");
    }
}

#[tokio::test]
async fn facts_are_read_in_chunks_across_more_entries_than_one_query_returns() {
    let model = acme();
    let index = Index::new(&model);
    for db in backends().await {
        let store = db.open().await;
        let ledger = Ledger::new(store.clone(), "acme.example/palisade");
        // More than a page spread over October (the range is halved), and
        // more than a page in one microsecond (read by offset), out of time order.
        let spread = facts::CHUNK as usize + 7;
        let same = facts::CHUNK as usize + 3;
        let n = spread + same;
        let start = t("2026-10-05T10:00:00Z");
        let events: Vec<Event> = (0..n)
            .map(|i| {
                let mut e = gate_event(
                    &verdict(Outcome::Pass, &["checkout-web"], &format!("{i:040}"), &[]),
                    "2026-10-05T10:00:00Z",
                );
                if i < spread {
                    let back = i64::try_from(spread - i).unwrap() * 37;
                    e.time = start
                        .checked_add(jiff::SignedDuration::from_mins(back))
                        .unwrap();
                }
                e
            })
            .collect();
        ledger.append_batch(&events, now()).await.unwrap();
        let facts = facts::read(&store, &index, &october(), now())
            .await
            .unwrap();
        assert_eq!(facts.gate_verdicts.len(), n, "{}", db.backend());
        assert_eq!(facts.entries_read, n as u64);
        let mut heads: Vec<&str> = facts
            .gate_verdicts
            .iter()
            .map(|v| v.head.as_str())
            .collect();
        heads.sort_unstable();
        heads.dedup();
        assert_eq!(heads.len(), n, "each entry read once");
        // In log order, whatever order the ranges were read in.
        assert!(facts.gate_verdicts.windows(2).all(|w| w[0].idx < w[1].idx));
    }
}

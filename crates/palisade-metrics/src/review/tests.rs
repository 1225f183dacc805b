use jiff::{Timestamp, ToSpan as _};
use palisade_model::Model;

use super::*;
use crate::facts::{AlertFact, Attribution};
use crate::input::{DeployStatus, DeployedCommit};
use crate::readiness::ControlId;

fn acme() -> Model {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/acme/palisade.toml"
    );
    palisade_model::parse(&std::fs::read_to_string(path).expect("acme")).expect("parses")
}

fn t(s: &str) -> Timestamp {
    s.parse().expect("time")
}

fn deployment(n: u32, service: &str, at: Timestamp, status: DeployStatus) -> Deployment {
    Deployment {
        id: format!("d{n}"),
        service: service.into(),
        environment: "prod".into(),
        started: at - 5.minutes(),
        finished: at,
        status,
        commits: vec![DeployedCommit {
            repo: "acme/platform".into(),
            sha: format!("{n:040x}"),
        }],
    }
}

struct Fixture {
    model: Model,
    deployments: Vec<Deployment>,
    incidents: Vec<Incident>,
    facts: Vec<LedgerFacts>,
}

/// Vendor nimbus's `search` service: deployments on given days of September
/// and October 2026 (UTC), one incident linked to one of October's.
fn fixture() -> Fixture {
    let model = acme();
    let days = [
        "2026-09-02",
        "2026-09-16",
        "2026-09-29",
        "2026-09-30",
        "2026-10-01",
        "2026-10-02",
        "2026-10-05",
        "2026-10-20",
    ];
    let mut deployments: Vec<Deployment> = days
        .iter()
        .enumerate()
        .map(|(n, d)| {
            deployment(
                n as u32,
                "search",
                t(&format!("{d}T12:00:00Z")),
                DeployStatus::Success,
            )
        })
        .collect();
    deployments.push(deployment(
        99,
        "search",
        t("2026-10-21T12:00:00Z"),
        DeployStatus::Failure,
    ));
    let incidents = vec![Incident {
        id: "INC-1".into(),
        service: "search".into(),
        severity: "sev2".into(),
        title: "errors".into(),
        opened: t("2026-10-05T13:00:00Z"),
        resolved: Some(t("2026-10-05T17:00:00Z")),
        cause: None,
        deployment: Some("d6".into()),
    }];
    let index = Index::new(&model);
    let mut october = LedgerFacts::default();
    october.kinds_recorded.insert("monitor.alert".into());
    let mut at = Attribution::default();
    assert!(at.add_person(&index, "arjun"));
    for (n, severity) in ["high", "low", "low"].into_iter().enumerate() {
        october.alerts.push(AlertFact {
            idx: n as u64,
            time: t("2026-10-10T02:00:00Z"),
            id: format!("a{n}"),
            detector: "off_hours".into(),
            severity: severity.into(),
            person: Some("arjun".into()),
            escalated_from: None,
            attribution: at.clone(),
        });
    }
    drop(index);
    Fixture {
        model,
        deployments,
        incidents,
        facts: vec![LedgerFacts::default(), october],
    }
}

fn review_of(f: &Fixture, scope: &Scope, now: Timestamp) -> MonthlyReview {
    let index = Index::new(&f.model);
    let zone = TimeZone::UTC;
    let months = Period::month("2026-10", &zone)
        .expect("month")
        .months_back(2, &zone)
        .expect("months");
    let histories = Histories::default();
    let runbooks = Measured::NoData("no repository was given".into());
    let issues = DataIssues::default();
    let readiness_facts = LedgerFacts::default();
    assemble(
        &ReviewInputs {
            index: &index,
            zone: &zone,
            deployments: &f.deployments,
            incidents: &f.incidents,
            commits: &[],
            histories: &histories,
            pulls: None,
            reviews: None,
            reviews_given: &[],
            facts: &f.facts,
            readiness_facts: &readiness_facts,
            readiness_deployments: &f.deployments,
            runbooks: &runbooks,
            issues: &issues,
            now,
        },
        scope,
        &months,
    )
}

#[test]
fn weeks_cut_by_a_month_end_are_counted_whole_and_weeks_to_come_are_left_out() {
    let f = fixture();
    let r = review_of(
        &f,
        &Scope::Vendor("nimbus".into()),
        t("2026-10-22T00:00:00Z"),
    );
    let weeks = r.trend.weekly.value().expect("deployments");
    let shown: Vec<(&str, u64)> = weeks
        .iter()
        .map(|w| (w.week.as_str(), w.deployments))
        .collect();
    // 28 September to 4 October holds two September and two October deployments.
    assert!(shown.contains(&("2026-09-28", 4)), "{shown:?}");
    assert!(shown.contains(&("2026-10-19", 1)), "{shown:?}");
    assert_eq!(shown.first().map(|w| w.0), Some("2026-08-31"));
    // The week of 26 October starts after `now`.
    assert_eq!(shown.last().map(|w| w.0), Some("2026-10-19"));
    assert_eq!(weeks.iter().map(|w| w.failed).sum::<u64>(), 1);
}

#[test]
fn the_trend_has_a_point_per_month_and_no_data_where_nothing_was_recorded() {
    let f = fixture();
    let r = review_of(
        &f,
        &Scope::Vendor("nimbus".into()),
        t("2026-11-02T00:00:00Z"),
    );
    assert_eq!(r.month, "2026-10");
    assert_eq!(r.trend.months, ["2026-09", "2026-10"]);
    let m = &r.trend.monthly;
    assert_eq!(m[0].deployments, Measured::Value(4));
    assert_eq!(m[1].deployments, Measured::Value(4));
    assert_eq!(m[0].change_failure_rate, Measured::Value(0.0));
    assert_eq!(m[1].change_failure_rate, Measured::Value(0.25));
    assert_eq!(m[1].recovery_hours, Measured::Value(4.0));
    assert!(
        m[0].recovery_hours.value().is_none(),
        "no failure in September"
    );
    // September's monitor had recorded nothing yet: no data, not zero alerts.
    let alerts = r.trend.alerts.value().expect("October has alerts");
    assert!(alerts[0].by_severity.value().is_none());
    assert_eq!(
        alerts[1].by_severity,
        Measured::Value(vec![
            ("critical".into(), 0),
            ("high".into(), 1),
            ("medium".into(), 0),
            ("low".into(), 2)
        ])
    );
    // Without a history there is no lead time to chart, and the chart says why.
    assert!(matches!(r.trend.lead_time, Measured::NoData(_)));
}

#[test]
fn every_module_has_its_table_and_the_scorecard_is_the_scopes() {
    let f = fixture();
    let r = review_of(
        &f,
        &Scope::Vendor("nimbus".into()),
        t("2026-11-02T00:00:00Z"),
    );
    let ids: Vec<&str> = r.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["dora", "delivery", "platform", "knowledge", "cost"]);
    assert_eq!(r.scope_name, "Nimbus Software Services Pvt Ltd");
    assert_eq!(r.readiness.scope, Scope::Vendor("nimbus".into()));
    assert_eq!(r.readiness.controls.len(), ControlId::ALL.len());
    // The vendor's cost is its contract's, against the month before.
    let cost = &r.tables[4];
    assert_eq!(cost.rows[0][1], Measured::Value("68500.00 USD".into()));
    assert!(
        matches!(&cost.rows[5][1], Measured::Value(v) if v.starts_with("steady")),
        "{:?}",
        cost.rows[5]
    );
    // The JSON carries the figures as computed, beside the tables.
    let json = serde_json::to_value(&r).expect("serialises");
    assert_eq!(json["figures"]["dora"]["change_failure_rate"]["count"], 1);
    assert_eq!(json["figures"]["cost"]["cost"], 68500.0);
    // The organisation has no contract: its cost says so rather than zero.
    let org = review_of(&f, &Scope::Org, t("2026-11-02T00:00:00Z"));
    assert!(matches!(&org.tables[4].rows[0][1], Measured::NoData(why) if why.contains("vendor")));
    // An internal team's review: nothing of nimbus's.
    let payments = review_of(
        &f,
        &Scope::Team("payments".into()),
        t("2026-11-02T00:00:00Z"),
    );
    assert!(matches!(payments.trend.weekly, Measured::NoData(_)));
    // Its checklist is the organisation's; a vendor's service is judged with its vendor's.
    assert_eq!(payments.readiness.scope, Scope::Org);
    let search = review_of(
        &f,
        &Scope::Service("search".into()),
        t("2026-11-02T00:00:00Z"),
    );
    assert_eq!(search.readiness.scope, Scope::Vendor("nimbus".into()));
}

#[test]
fn lead_times_fall_in_log_buckets() {
    let b = lead_time_buckets(
        &[0.2, 0.99, 1.0, 23.0, 24.0, 100.0, 700.0, 720.0, 5000.0],
        String::new,
    );
    let counts: Vec<u64> = b.value().expect("some").iter().map(|b| b.count).collect();
    assert_eq!(counts, [2, 2, 2, 1, 2]);
    assert_eq!(
        lead_time_buckets(&[], || "none".into()),
        Measured::NoData("none".into())
    );
}

#[test]
fn a_pull_request_named_with_an_empty_reviews_file_is_unreviewed_in_the_review_too() {
    let f = fixture();
    let index = Index::new(&f.model);
    let zone = TimeZone::UTC;
    let months = Period::month("2026-10", &zone)
        .expect("month")
        .months_back(2, &zone)
        .expect("months");
    let histories = Histories::default();
    let runbooks = Measured::NoData("no repository was given".into());
    let issues = DataIssues::default();
    let readiness_facts = LedgerFacts::default();
    let pulls = [PullRequest {
        repo: "acme/platform".into(),
        number: 7,
        author: "arjun".into(),
        opened: t("2026-10-05T09:00:00Z"),
        merged: Some(t("2026-10-06T09:00:00Z")),
        closed: Some(t("2026-10-06T09:00:00Z")),
        additions: Some(10),
        deletions: Some(2),
        changed_files: Some(1),
        merge_sha: None,
        labels: Vec::new(),
    }];
    let review = |given: &[(String, u64)]| {
        assemble(
            &ReviewInputs {
                index: &index,
                zone: &zone,
                deployments: &f.deployments,
                incidents: &f.incidents,
                commits: &[],
                histories: &histories,
                pulls: Some(&pulls),
                reviews: Some(&[]),
                reviews_given: given,
                facts: &f.facts,
                readiness_facts: &readiness_facts,
                readiness_deployments: &f.deployments,
                runbooks: &runbooks,
                issues: &issues,
                now: t("2026-11-05T12:00:00Z"),
            },
            &Scope::Org,
            &months,
        )
    };
    // Its reviews were given, and there were none: merged without review.
    let named = review(&[("acme/platform".into(), 7)]);
    let delivery = named.figures.delivery.expect("delivery");
    assert_eq!(delivery.merged_unreviewed, Measured::Value(1));
    // Nothing said about its reviews: unknown, not unreviewed.
    let unnamed = review(&[]);
    let delivery = unnamed.figures.delivery.expect("delivery");
    assert!(
        matches!(delivery.merged_unreviewed, Measured::NoData(_)),
        "{:?}",
        delivery.merged_unreviewed
    );
}

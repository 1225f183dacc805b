//! Platform health, knowledge transfer and the cost to deliver, end to end:
//! the ledger entries are written by the real engines (the gate's verdict
//! event, the scanner's summary event, access requests, break-glass and a
//! review campaign, monitor alerts) on both SQLite and PostgreSQL, read back
//! as facts, and every figure is checked against the numbers worked out by
//! hand in `EXPECTED.md` beside this file.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod hand;
mod ledger;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use palisade_metrics::input::{Commit, DeployStatus, DeployedCommit, Deployment, Incident};
use palisade_metrics::period::Period;
use palisade_model::Model;

/// The example organisation's model.
pub fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn t(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// When every figure is asked for: after the period, before anything else.
pub fn now() -> Timestamp {
    t("2026-12-01T00:00:00Z")
}

/// October 2026 in UTC: 31 days.
pub fn october() -> Period {
    Period::month("2026-10", &TimeZone::UTC).unwrap()
}

/// The incidents of the fixture (EXPECTED.md, "Incidents").
pub fn incidents() -> Vec<Incident> {
    let i =
        |id: &str, service: &str, severity: &str, opened: &str, resolved: Option<&str>| Incident {
            id: id.to_owned(),
            service: service.to_owned(),
            severity: severity.to_owned(),
            title: id.to_owned(),
            opened: t(opened),
            resolved: resolved.map(t),
            cause: None,
            deployment: None,
        };
    vec![
        i(
            "I1",
            "checkout-web",
            "sev2",
            "2026-10-10T10:00:00Z",
            Some("2026-10-10T14:00:00Z"),
        ),
        i(
            "I2",
            "checkout-web",
            "sev3",
            "2026-10-20T08:00:00Z",
            Some("2026-10-21T08:00:00Z"),
        ),
        i("I3", "docs-site", "sev4", "2026-10-30T23:00:00Z", None),
        i(
            "I4",
            "payments-api",
            "sev1",
            "2026-09-28T00:00:00Z",
            Some("2026-10-02T00:00:00Z"),
        ),
    ]
}

/// The deployments of the fixture (EXPECTED.md, "Cost to deliver").
pub fn deployments() -> Vec<Deployment> {
    let d = |id: &str, service: &str, env: &str, at: &str, status: DeployStatus| Deployment {
        id: id.to_owned(),
        service: service.to_owned(),
        environment: env.to_owned(),
        started: t(at),
        finished: t(at),
        status,
        commits: vec![DeployedCommit {
            repo: "acme/payments".to_owned(),
            sha: format!("{:0>40}", id.trim_start_matches('D')),
        }],
    };
    use DeployStatus::{Failure, Success};
    vec![
        d(
            "D1",
            "checkout-web",
            "prod",
            "2026-10-05T12:00:00Z",
            Success,
        ),
        d(
            "D2",
            "checkout-web",
            "prod",
            "2026-10-12T12:00:00Z",
            Success,
        ),
        d(
            "D3",
            "checkout-web",
            "prod",
            "2026-10-13T12:00:00Z",
            Failure,
        ),
        d(
            "D4",
            "checkout-web",
            "staging",
            "2026-10-14T12:00:00Z",
            Success,
        ),
        d("D5", "mobile-app", "prod", "2026-10-20T12:00:00Z", Success),
        d(
            "D6",
            "checkout-web",
            "prod",
            "2026-09-30T12:00:00Z",
            Success,
        ),
        d(
            "D7",
            "payments-api",
            "prod",
            "2026-10-06T12:00:00Z",
            Success,
        ),
    ]
}

/// The commits of the fixture (EXPECTED.md, "Cost to deliver").
pub fn commits() -> Vec<Commit> {
    let c = |sha: &str, person: Option<&str>, at: &str| Commit {
        sha: format!("{sha:0>40}"),
        authored: t(at),
        committed: t(at),
        author_email: format!("{}@example.com", person.unwrap_or("unknown")),
        person: person.map(str::to_owned),
        parents: Vec::new(),
    };
    vec![
        c("c1", Some("arjun"), "2026-10-02T09:00:00Z"),
        c("c2", Some("kavya"), "2026-10-03T09:00:00Z"),
        c("c3", Some("arjun"), "2026-10-04T09:00:00Z"),
        c("c4", Some("meera"), "2026-10-05T09:00:00Z"),
        c("c5", Some("arjun"), "2026-09-29T09:00:00Z"),
        c("c6", Some("sofia"), "2026-10-05T09:00:00Z"),
        // c1 again, as a second repository's history shows it: counted once.
        c("c1", Some("arjun"), "2026-10-02T09:00:00Z"),
        c("c8", None, "2026-10-06T09:00:00Z"),
    ]
}

/// Whether two figures agree to 1e-9.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

//! The cost to deliver and the runbooks of EXPECTED.md, against the numbers
//! worked out there by hand.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use palisade_metrics::cost::{CostInputs, Quality, cost_to_deliver, quality};
use palisade_metrics::knowledge::{Churn, RunbookState, runbooks};
use palisade_metrics::measure::Measured;
use palisade_metrics::period::Period;
use palisade_model::Index;
use palisade_test_support::git::{Author, Repo};

use super::{acme, close, commits, deployments, incidents, now, october, t};

#[test]
fn the_cost_to_deliver_of_nimbus_in_october_matches_the_hand_computed_figures() {
    let model = acme();
    let index = Index::new(&model);
    let (d, c, i) = (deployments(), commits(), incidents());
    let period = october();
    let inputs = CostInputs {
        index: &index,
        period: &period,
        zone: &TimeZone::UTC,
        deployments: &d,
        commits: &c,
        incidents: &i,
        histories: None,
    };
    let cost = cost_to_deliver(&inputs, "nimbus").unwrap();
    assert_eq!(cost.contracts, ["nimbus-msa-2025"]);
    assert_eq!(cost.currency.as_deref(), Some("USD"));
    assert_eq!(cost.cost, Measured::Value(68_500.0));
    assert_eq!(
        (cost.deployments, cost.changes.value(), cost.incidents),
        (3, Some(&4), 2)
    );
    assert!(close(
        *cost.cost_per_deployment.value().unwrap(),
        68_500.0 / 3.0
    ));
    assert_eq!(cost.cost_per_change, Measured::Value(17_125.0));
    assert!(close(
        *cost.incidents_per_deployment.value().unwrap(),
        2.0 / 3.0
    ));

    let teams: Vec<_> = cost
        .teams
        .iter()
        .map(|t| (t.team.as_str(), t.active_people))
        .collect();
    assert_eq!(teams, [("nimbus", 5), ("nimbus-mobile", 2)]);
    let core = &cost.teams[0];
    assert!(close(core.share, 5.0 / 7.0));
    assert!(close(*core.cost.value().unwrap(), 68_500.0 * 5.0 / 7.0));
    assert_eq!(
        (core.deployments, core.changes.value(), core.incidents),
        (2, Some(&3), 2)
    );
    assert!(close(
        *core.cost_per_deployment.value().unwrap(),
        68_500.0 * 5.0 / 7.0 / 2.0
    ));
    assert!(close(
        *core.cost_per_change.value().unwrap(),
        68_500.0 * 5.0 / 7.0 / 3.0
    ));
    assert_eq!(core.incidents_per_deployment, Measured::Value(1.0));
    let mobile = &cost.teams[1];
    assert_eq!(
        (mobile.deployments, mobile.changes.value(), mobile.incidents),
        (1, Some(&1), 0)
    );
    assert!(close(
        *mobile.cost_per_deployment.value().unwrap(),
        68_500.0 * 2.0 / 7.0
    ));
    assert_eq!(mobile.incidents_per_deployment, Measured::Value(0.0));

    // Without nimbus-mobile's commits, its changes are 0 when nothing says which
    // histories were read; told that acme/mobile (its services' repository) was
    // not read, they are no data naming it, while nimbus keeps its count.
    let mobile_team = index.team_by_id("nimbus-mobile").unwrap();
    let mobile_members: Vec<&str> = index
        .members(mobile_team)
        .iter()
        .map(|m| index.person(*m).handle.as_str())
        .collect();
    let others: Vec<_> = c
        .iter()
        .filter(|x| {
            !x.person
                .as_deref()
                .is_some_and(|h| mobile_members.contains(&h))
        })
        .cloned()
        .collect();
    let unknown = cost_to_deliver(
        &CostInputs {
            commits: &others,
            ..inputs
        },
        "nimbus",
    )
    .unwrap();
    assert_eq!(unknown.teams[1].changes, Measured::Value(0));
    let read = palisade_metrics::history::Histories::default();
    let known = cost_to_deliver(
        &CostInputs {
            commits: &others,
            histories: Some(&read),
            ..inputs
        },
        "nimbus",
    )
    .unwrap();
    assert!(
        matches!(&known.teams[1].changes, Measured::NoData(why) if why.contains("acme/mobile")),
        "{:?}",
        known.teams[1]
    );
    assert!(matches!(
        known.teams[1].cost_per_change,
        Measured::NoData(_)
    ));
    assert_eq!(known.teams[0].changes, Measured::Value(3));

    // September: D6 only, no incident. October ships more and breaks more per deployment.
    let september = Period::month("2026-09", &TimeZone::UTC).unwrap();
    let before = cost_to_deliver(
        &CostInputs {
            period: &september,
            ..inputs
        },
        "nimbus",
    )
    .unwrap();
    assert_eq!((before.deployments, before.incidents), (1, 0));
    let flag = quality(
        before.deployments,
        before.incidents,
        cost.deployments,
        cost.incidents,
    );
    assert_eq!(
        flag.quality,
        Measured::Value(Quality::QualityProblem),
        "{}",
        flag.because
    );
}

#[test]
fn a_contract_is_prorated_by_day_and_no_contract_is_no_data() {
    let model = acme();
    let index = Index::new(&model);
    let zone = TimeZone::UTC;
    let inputs = |period| CostInputs {
        index: &index,
        period,
        zone: &zone,
        deployments: &[],
        commits: &[],
        incidents: &[],
        histories: None,
    };
    // Harbor's contract starts on 1 September: 10 of September's 30 days.
    let span = Period {
        start: t("2026-08-20T00:00:00Z"),
        end: t("2026-09-11T00:00:00Z"),
        label: "2026-08-20..2026-09-10".to_owned(),
    };
    let cost = cost_to_deliver(&inputs(&span), "harbor").unwrap();
    assert!(
        close(*cost.cost.value().unwrap(), 10_400.0),
        "{:?}",
        cost.cost
    );
    assert_eq!(cost.currency.as_deref(), Some("EUR"));
    // Nothing deployed: a cost per deployment is no data, not infinity or zero.
    assert!(matches!(cost.cost_per_deployment, Measured::NoData(_)));
    let august = Period::month("2026-08", &TimeZone::UTC).unwrap();
    let cost = cost_to_deliver(&inputs(&august), "harbor").unwrap();
    assert!(
        matches!(cost.cost, Measured::NoData(ref why) if why.contains("no contract in force")),
        "{:?}",
        cost.cost
    );
    assert!(cost_to_deliver(&inputs(&august), "nobody").is_none());
}

#[test]
fn changes_are_no_data_not_zero_when_no_repository_history_was_read() {
    let model = acme();
    let index = Index::new(&model);
    let (d, i) = (deployments(), incidents());
    let period = october();
    let cost = cost_to_deliver(
        &CostInputs {
            index: &index,
            period: &period,
            zone: &TimeZone::UTC,
            deployments: &d,
            commits: &[],
            incidents: &i,
            histories: None,
        },
        "nimbus",
    )
    .unwrap();
    assert!(
        matches!(cost.changes, Measured::NoData(ref why) if why.contains("--repo-dir")),
        "{:?}",
        cost.changes
    );
    assert!(
        matches!(cost.cost_per_change, Measured::NoData(ref why) if why.contains("--repo-dir")),
        "{:?}",
        cost.cost_per_change
    );
    for t in &cost.teams {
        assert!(matches!(t.changes, Measured::NoData(_)), "{t:?}");
        assert!(matches!(t.cost_per_change, Measured::NoData(_)), "{t:?}");
    }
    // What was recorded is still measured.
    assert_eq!(cost.deployments, 3);
}

/// EXPECTED.md's scripted clone of acme/payments.
fn payments() -> Repo {
    let repo = Repo::new();
    let at = |date| Author {
        date,
        ..Author::default()
    };
    repo.write("docs/runbooks/checkout-web.md", "# checkout\n")
        .write("web/checkout/index.html", "a\nb\nc\n")
        .write("README.md", "payments\n")
        .write("services/ledger/ledger.go", "package ledger\n");
    repo.commit_all_as("C1", at("2026-03-01T00:00:00Z"));
    repo.write("web/checkout/index.html", "a\nB\nc\n")
        .write("web/checkout/pay.js", "pay()\nthen()\n");
    repo.commit_all_as("C2", at("2026-04-01T00:00:00Z"));
    repo.write("docs/runbooks/ledger.md", "# ledger\n")
        .write("README.md", "payments, documented\n");
    repo.commit_all_as("C3", at("2026-05-01T00:00:00Z"));
    repo.write("web/checkout/index.html", "a\nB\nc\nd\ne\n");
    repo.commit_all_as("C4", at("2026-06-01T00:00:00Z"));
    repo.write("jobs/analytics/run.py", "run()\n");
    repo.commit_all_as("C5", at("2026-07-01T00:00:00Z"));
    repo
}

#[test]
fn runbook_ages_and_churn_match_the_hand_computed_figures() {
    let model = acme();
    let index = Index::new(&model);
    let repo = payments();
    let head_c1 = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let c1 = String::from_utf8_lossy(&head_c1.stdout).trim().to_owned();
    let repos = HashMap::from([("acme/payments".to_owned(), repo.path().to_owned())]);
    let all = runbooks(&index, &repos, None, now()).unwrap();
    let of = |id: &str| all.iter().find(|r| r.service == id).unwrap();

    let checkout = of("checkout-web");
    assert_eq!(checkout.state, RunbookState::Present);
    assert_eq!(checkout.last_commit.as_deref(), Some(c1.as_str()));
    assert_eq!(checkout.age_days, Measured::Value(275.0));
    assert_eq!(
        checkout.churn,
        Measured::Value(Churn {
            commits: 2,
            lines_added: 5,
            lines_deleted: 1
        })
    );
    assert_eq!(checkout.stale(180), Some(true));

    let ledger = of("ledger");
    assert_eq!(ledger.age_days, Measured::Value(214.0));
    assert_eq!(ledger.churn, Measured::Value(Churn::default()));
    assert_eq!(
        ledger.stale(180),
        Some(false),
        "old, but nothing changed since"
    );

    let api = of("payments-api");
    assert_eq!(api.state, RunbookState::Missing);
    assert!(
        matches!(api.age_days, Measured::NoData(_)),
        "missing is not zero days old"
    );
    assert_eq!(api.stale(180), None);
    assert_eq!(of("analytics-etl").state, RunbookState::NotDeclared);
    assert_eq!(of("identity").state, RunbookState::NoRepository);
}

#[test]
fn a_shallow_clone_that_does_not_reach_the_runbooks_change_gives_no_age_and_says_why() {
    let model = acme();
    let index = Index::new(&model);
    let full = payments();
    let shallow = tempfile::tempdir().unwrap();
    let url = format!("file://{}", full.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "2", &url])
        .arg(shallow.path().join("c"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(status.success());
    let repos = HashMap::from([("acme/payments".to_owned(), shallow.path().join("c"))]);
    let all = runbooks(&index, &repos, None, now()).unwrap();
    let of = |id: &str| all.iter().find(|r| r.service == id).unwrap();
    // C4 and C5 are there; C1 and C3, which last changed the runbooks, are not.
    let checkout = of("checkout-web");
    assert_eq!(checkout.state, RunbookState::Present);
    match &checkout.age_days {
        Measured::NoData(why) => assert!(why.contains("shallow"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(checkout.stale(180), None);
    assert!(matches!(of("ledger").churn, Measured::NoData(_)));
}

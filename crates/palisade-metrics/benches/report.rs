//! The monthly review of an organisation with 10,000 deployments, in memory
//! (divan): `review::assemble` (every DORA key per month, delivery, platform
//! health, cost, the scorecard, the trend) and `render` to HTML, Markdown and
//! JSON. The data is `bench/metrics-generate.py`'s (seed 42): 10 vendors,
//! 30 teams, 100 services in 10 repositories, 10,000 production deployments
//! over six months, one commit each, ~290 incidents, 2,000 alerts.
//!
//! `cargo bench -p palisade-metrics --bench report`. The end-to-end figure,
//! through the CLI and a real store, is `bench/metrics-report.sh`'s.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::LazyLock;

use divan::Bencher;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use palisade_metrics::facts::{AlertFact, Attribution, LedgerFacts};
use palisade_metrics::history::{Histories, History};
use palisade_metrics::input::{
    Commit, DataIssues, DeployStatus, DeployedCommit, Deployment, Incident,
};
use palisade_metrics::measure::{Measured, Scope};
use palisade_metrics::period::Period;
use palisade_metrics::render::{Format, render};
use palisade_metrics::review::{MonthlyReview, ReviewInputs, assemble};
use palisade_model::{Index, Model};

const NOW: &str = "2026-12-07T12:00:00Z";
const MONTH: &str = "2026-12";

fn main() {
    divan::main();
}

struct Data {
    model: Model,
    deployments: Vec<Deployment>,
    incidents: Vec<Incident>,
    commits: Vec<Commit>,
    histories: Histories,
    alerts: Vec<(Timestamp, String, String)>,
}

fn sha(repo: &str, mark: &str) -> String {
    let r: u64 = repo.trim_start_matches("repo-").parse().unwrap();
    let m: u64 = mark.trim_start_matches(':').parse().unwrap();
    format!("{:08x}{:032x}", r + 1, m)
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/metrics-generate.py"
    );
    let out = std::process::Command::new("python3")
        .args([
            script,
            "generate",
            dir.path().to_str().unwrap(),
            "--now",
            NOW,
        ])
        .output()
        .expect("python3 runs bench/metrics-generate.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let model = palisade_model::parse(&read("palisade.toml")).unwrap();

    // Each repository's commits in order, each the child of the one before.
    let mut by_repo: HashMap<String, Vec<Commit>> = HashMap::new();
    for line in read("commits.tsv").lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let (repo, mark, stamp, author) = (f[0], f[1], f[2], f[3]);
        let list = by_repo.entry(repo.to_owned()).or_default();
        let at = Timestamp::from_second(stamp.parse().unwrap()).unwrap();
        list.push(Commit {
            sha: sha(repo, mark),
            authored: at,
            committed: at,
            author_email: format!("{author}@generated.example"),
            person: Some(author.to_owned()),
            parents: list.last().map(|c| vec![c.sha.clone()]).unwrap_or_default(),
        });
    }
    let mut histories = Histories::default();
    let mut commits = Vec::new();
    for (repo, list) in &by_repo {
        histories.insert(History::from_commits(&format!("gen/{repo}"), list, false));
        commits.extend(list.iter().cloned());
    }

    let deployments = read("deployments.tmpl")
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            let repo = s("_repo");
            Deployment {
                id: s("id"),
                service: s("_service"),
                environment: "prod".into(),
                started: s("startedDate").parse().unwrap(),
                finished: s("finishedDate").parse().unwrap(),
                status: if v["_ok"].as_bool().unwrap() {
                    DeployStatus::Success
                } else {
                    DeployStatus::Failure
                },
                commits: vec![DeployedCommit {
                    repo: format!("gen/{repo}"),
                    sha: sha(
                        &repo,
                        v["deploymentCommits"][0]["commitSha"].as_str().unwrap(),
                    ),
                }],
            }
        })
        .collect();
    let incidents = read("incidents.tsv")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Incident {
                id: f[0].into(),
                service: f[1].into(),
                severity: f[2].into(),
                title: format!("errors after {}", f[3]),
                opened: f[4].parse().unwrap(),
                resolved: Some(f[5].parse().unwrap()),
                cause: None,
                deployment: Some(f[3].into()),
            }
        })
        .collect();
    // The ledger stamps alerts when they are appended; here they are spread
    // evenly over the six months.
    let start: Timestamp = "2026-07-01T00:00:00Z".parse().unwrap();
    let span = NOW.parse::<Timestamp>().unwrap().as_second() - start.as_second();
    let lines: Vec<String> = read("alerts.jsonl").lines().map(str::to_owned).collect();
    let alerts = lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let at =
                Timestamp::from_second(start.as_second() + span * n as i64 / lines.len() as i64)
                    .unwrap();
            (
                at,
                v["data"]["severity"].as_str().unwrap().to_owned(),
                v["data"]["person"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    Data {
        model,
        deployments,
        incidents,
        commits,
        histories,
        alerts,
    }
});

/// The review of `scope`, from the generated data.
fn review(scope: &Scope) -> MonthlyReview {
    let d = &*DATA;
    let index = Index::new(&d.model);
    let zone = TimeZone::get(&d.model.org.timezone).unwrap();
    let now: Timestamp = NOW.parse().unwrap();
    let months = Period::month(MONTH, &zone)
        .unwrap()
        .months_back(6, &zone)
        .unwrap();
    let facts: Vec<LedgerFacts> = months
        .iter()
        .map(|m| {
            let mut f = LedgerFacts::default();
            f.kinds_recorded.insert("monitor.alert".into());
            for (n, (at, severity, person)) in d.alerts.iter().enumerate() {
                if !m.contains(*at) {
                    continue;
                }
                let mut attribution = Attribution::default();
                attribution.add_person(&index, person);
                f.alerts.push(AlertFact {
                    idx: n as u64,
                    time: *at,
                    id: format!("alert-{n}"),
                    detector: "off_hours".into(),
                    severity: severity.clone(),
                    person: Some(person.clone()),
                    escalated_from: None,
                    attribution,
                });
            }
            f
        })
        .collect();
    let runbooks = Measured::NoData("no repository was given".into());
    let issues = DataIssues::default();
    let readiness_facts = LedgerFacts::default();
    assemble(
        &ReviewInputs {
            index: &index,
            zone: &zone,
            deployments: &d.deployments,
            incidents: &d.incidents,
            commits: &d.commits,
            histories: &d.histories,
            pulls: None,
            reviews: None,
            reviews_given: &[],
            facts: &facts,
            readiness_facts: &readiness_facts,
            readiness_deployments: &d.deployments,
            runbooks: &runbooks,
            issues: &issues,
            now,
        },
        scope,
        &months,
    )
}

/// Everything from the loaded inputs to the HTML file's text.
#[divan::bench(args = ["organisation", "vendor-3"], sample_count = 10)]
fn assemble_and_render_html(bencher: Bencher, scope: &str) {
    let scope = match scope {
        "organisation" => Scope::Org,
        v => Scope::Vendor(v.to_owned()),
    };
    let r = review(&scope);
    let weekly: u64 = r
        .trend
        .weekly
        .value()
        .map_or(0, |w| w.iter().map(|w| w.deployments).sum());
    assert!(weekly > 500, "{scope}: {weekly} deployments in the trend");
    bencher.bench(|| render(&review(&scope), Format::Html).unwrap().len());
}

/// Writing a review that is already assembled.
#[divan::bench(args = ["html", "markdown", "json"])]
fn render_only(bencher: Bencher, format: &str) {
    let format = Format::from_key(format).unwrap();
    let r = review(&Scope::Org);
    bencher.bench(|| render(&r, format).unwrap().len());
}

//! `palisade report`: the monthly review written from a real store, and read
//! back in headless Chromium: the charts are drawn, their numbers are beside
//! them, nothing is fetched, and it prints to a PDF of several pages.
//!
//! Chromium comes from Debian's `chromium` package; `scripts/test` installs
//! it (scripts/ensure-chromium) and sets PALISADE_TEST_CHROMIUM. Without it
//! this test fails: a report nobody has seen rendered is not tested.

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::{Timestamp, ToSpan as _};
use palisade_ledger::ledger::{Event, Ledger};
use palisade_metrics::input::{DeployStatus, DeployedCommit, Deployment};
use palisade_metrics::record::{NewIncident, Recorder, Source};
use palisade_model::Index;
use palisade_test_support::git::{Author, Repo};
use serde_json::{Value, json};

use super::{palisade, root};

const NOW: &str = "2026-11-05T12:00:00Z";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Chromium, as scripts/ensure-chromium found it.
fn chromium() -> PathBuf {
    if let Ok(path) = std::env::var("PALISADE_TEST_CHROMIUM") {
        return PathBuf::from(path);
    }
    let debian = Path::new("/usr/bin/chromium");
    assert!(
        debian.exists(),
        "headless Chromium is needed: run scripts/test, or eval \"$(scripts/ensure-chromium)\""
    );
    debian.to_owned()
}

/// Runs Chromium headless on `page` with a fresh profile, every background
/// service off, the network log written to `dir/net.json`, and `extra` flags.
fn headless(dir: &Path, page: &Path, extra: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", dir.join("net.json").display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The URLs the page itself asked for: requests in Chromium's network log
/// with an initiator. The browser's own background requests (update checks)
/// carry "not an origin" and are not the page's.
fn page_requests(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("net.json")).unwrap();
    // The log of a browser that exits is left without its closing brackets.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap();
    let mut urls = Vec::new();
    for e in log["events"].as_array().unwrap() {
        let p = &e["params"];
        if let (Some(url), Some(initiator)) = (p["url"].as_str(), p["initiator"].as_str())
            && initiator != "not an origin"
        {
            urls.push(format!("{url} (from {initiator})"));
        }
    }
    urls
}

/// The deployments' times: one every 33 hours from 3 August 2026.
fn deployed_at(n: u32) -> Timestamp {
    ts("2026-08-03T10:00:00Z") + (i64::from(n) * 33).hours()
}

/// The services deployed, both in acme/platform.
const SERVICES: [&str; 2] = ["notifications", "search"];

/// acme/platform with one commit per deployment, made 30 minutes to 400 hours
/// before it; returns the repository and the commit ids.
fn platform_repo() -> (Repo, Vec<String>) {
    let repo = Repo::new();
    let mut shas = Vec::new();
    for n in 0..60u32 {
        let lead = [0.5, 5.0, 30.0, 100.0, 400.0][n as usize % 5];
        let at = deployed_at(n) - ((lead * 60.0) as i64).minutes();
        let service = SERVICES[n as usize % 2];
        repo.write(
            &format!("services/{service}/change-{n}.txt"),
            format!("{n}\n"),
        );
        shas.push(repo.commit_all_as(
            &format!("change {n}"),
            Author {
                name: "Arjun Menon",
                email: "arjun@nimbus.example",
                date: &at.to_string(),
            },
        ));
    }
    (repo, shas)
}

/// Records three months of vendor nimbus's production deployments, incidents
/// and alerts into a fresh store, as CI, the incident process and the monitor would.
fn record(db: &Path, shas: &[String]) {
    let text = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    let model = palisade_model::parse(&text).unwrap();
    let index = Index::new(&model);
    let now = ts(NOW);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = palisade_store::Store::open(db.to_str().unwrap()).await.unwrap();
            let ledger = Ledger::new(store, model.org.log_name.clone());
            let recorder = Recorder::new(&ledger, &index);
            let mut deployments = Vec::new();
            // Every 9th deployment fails.
            for n in 0..60u32 {
                let at = deployed_at(n);
                deployments.push(Deployment {
                    id: format!("dep-{n:03}"),
                    service: SERVICES[n as usize % 2].to_owned(),
                    environment: "prod".into(),
                    started: at - 10.minutes(),
                    finished: at,
                    status: if n % 9 == 8 {
                        DeployStatus::Failure
                    } else {
                        DeployStatus::Success
                    },
                    commits: vec![DeployedCommit {
                        repo: "acme/platform".into(),
                        sha: shas[n as usize].clone(),
                    }],
                });
            }
            let summary = recorder
                .import_deployments(&deployments, Source::Command, "ci", now)
                .await
                .unwrap();
            assert_eq!(summary.recorded, 60, "{summary:?}");
            for (n, (dep, sev, hours)) in [("dep-010", "sev2", 3), ("dep-031", "sev1", 1), ("dep-052", "sev3", 20)]
                .into_iter()
                .enumerate()
            {
                let d = deployments.iter().find(|d| d.id == dep).unwrap();
                let opened = d.finished + 30.minutes();
                let (incident, _) = recorder
                    .open_incident(
                        &NewIncident {
                            id: Some(format!("INC-{n}")),
                            service: d.service.clone(),
                            severity: sev.into(),
                            title: format!("errors after {dep} <script>&"),
                            opened,
                            cause: None,
                            deployment: Some(dep.into()),
                        },
                        "sre",
                        now,
                    )
                    .await
                    .unwrap();
                recorder
                    .resolve_incident(&incident.id, opened + hours.hours(), "sre", now)
                    .await
                    .unwrap();
            }
            // The monitor's alerts about nimbus's people.
            for (n, (day, severity)) in [
                ("2026-08-12", "low"),
                ("2026-09-03", "high"),
                ("2026-09-09", "medium"),
                ("2026-09-21", "low"),
                ("2026-10-02", "critical"),
                ("2026-10-14", "high"),
                ("2026-10-15", "low"),
                ("2026-10-28", "low"),
            ]
            .into_iter()
            .enumerate()
            {
                ledger
                    .append(Event {
                        time: ts(&format!("{day}T02:10:00Z")),
                        actor: "palisade-monitor".into(),
                        kind: "monitor.alert".into(),
                        subject: format!("alert-{n}"),
                        data: json!({"detector": "off_hours", "severity": severity, "person": "arjun"}),
                    })
                    .await
                    .unwrap();
            }
        });
}

#[test]
fn the_monthly_review_renders_in_chromium_with_its_charts_offline_and_prints() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let (repo, shas) = platform_repo();
    record(&db, &shas);
    let repo_dir = format!("acme/platform={}", repo.path().display());
    let model = root().join("examples/acme/palisade.toml");
    let run = palisade(
        dir.path(),
        &[
            "report",
            "--vendor",
            "nimbus",
            "--month",
            "2026-10",
            "--months",
            "3",
            "-o",
            "review.html",
            "--model",
            model.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--now",
            NOW,
            "--repo-dir",
            &repo_dir,
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("wrote the HTML review of vendor nimbus, 2026-10 to review.html"),
        "{}",
        run.stdout
    );
    let page = dir.path().join("review.html");
    // PALISADE_REVIEW_COPY=path keeps a copy, e.g. for the screenshot in docs/report.md.
    if let Ok(copy) = std::env::var("PALISADE_REVIEW_COPY") {
        std::fs::copy(&page, copy).unwrap();
    }

    // The DOM after Chromium parsed and laid it out.
    let out = headless(dir.path(), &page, &["--dump-dom"]);
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(dom.contains("<h1>Monthly review: Nimbus Software Services Pvt Ltd, 2026-10</h1>"));
    let titles: Vec<&str> = dom
        .split("<svg ")
        .skip(1)
        .map(|svg| {
            let t = svg.split_once("<title id=\"").unwrap().1;
            t.split_once("\">")
                .unwrap()
                .1
                .split_once("</title>")
                .unwrap()
                .0
        })
        .collect();
    assert_eq!(
        titles,
        [
            "Production deployments per week, 2026-08 to 2026-10",
            "Lead time for changes, 2026-10",
            "Change failure rate per month, 2026-08 to 2026-10",
            "Failed-deployment recovery time per month, 2026-08 to 2026-10",
            "Alerts by severity per month, 2026-08 to 2026-10",
        ]
    );
    // The alerts chart stacks what was recorded, and its table says it in numbers.
    assert!(dom.contains("<title>2026-10 critical: 1</title>"), "{dom}");
    assert!(dom.contains("<title>2026-09 high: 1</title>"));
    assert!(dom.contains("<tr><td>2026-10</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">2</td></tr>"), "{dom}");
    // The lead times from the scripted history, bucketed.
    for bucket in [
        "&lt; 1 hour",
        "&lt; 1 day",
        "&lt; 1 week",
        "&lt; 1 month",
        "1 month or more",
    ] {
        assert!(
            dom.contains(&format!("<tr><td>{bucket}</td><td class=\"num\">")),
            "{bucket}"
        );
    }
    // Nothing from the page went to the network.
    assert_eq!(page_requests(dir.path()), Vec::<String>::new());

    // Print emulation: the sections break onto pages of a real PDF.
    let pdf = dir.path().join("review.pdf");
    headless(
        dir.path(),
        &page,
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(
        pages > 1,
        "{pages} page(s): the print style sheet breaks sections onto pages"
    );
}

/// The network check above would see a page that fetches something.
#[test]
fn the_network_check_sees_a_page_that_fetches() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("fetching.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/pixel.png\"></body></html>",
    )
    .unwrap();
    headless(dir.path(), &page, &["--dump-dom"]);
    let requests = page_requests(dir.path());
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("http://127.0.0.1:9/pixel.png")),
        "{requests:?}"
    );
}

#[test]
fn a_review_with_nothing_recorded_says_no_data_and_bad_arguments_say_how_to_fix_them() {
    let dir = tempfile::tempdir().unwrap();
    let model = root().join("examples/acme/palisade.toml");
    let db = dir.path().join("palisade.db");
    let base = [
        "report",
        "--model",
        model.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--now",
        NOW,
    ];
    let run_with = |more: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(more);
        palisade(dir.path(), &args)
    };

    // A store that is not there is refused, never measured as empty.
    let run = run_with(&["--vendor", "harbor", "--month", "2026-10", "-o", "-"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("no store at") && run.stderr.contains("--db"),
        "{}",
        run.stderr
    );
    assert!(!db.exists(), "a reading command created the store");
    let migrate = palisade(dir.path(), &["db", "migrate", "--db", db.to_str().unwrap()]);
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);

    // Markdown on standard output; an empty store is no data, never zero.
    let run = run_with(&["--vendor", "harbor", "--month", "2026-10", "-o", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("# Monthly review: Harbor Digital sp. z o.o., 2026-10\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("*no data: no successful production deployments from 2026-05 to 2026-10*"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("<svg"));

    // JSON with --format json; the month defaults to the last full one.
    let run = run_with(&["--team", "payments", "-o", "-", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let review: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(review["month"], "2026-10");
    assert_eq!(review["scope"], json!({"kind": "team", "id": "payments"}));
    assert!(review["trend"]["weekly"]["no_data"].is_string());

    let run = run_with(&["--vendor", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown vendor `nope`; the model's vendors are: nimbus, harbor"),
        "{}",
        run.stderr
    );
    let run = run_with(&["-o", "review.pdf"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot tell the format of review.pdf from its extension; name it .html, .md or .json, or say --as html|markdown|json"), "{}", run.stderr);
    let run = run_with(&["--month", "October"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`October` is not a month: write it as YYYY-MM"),
        "{}",
        run.stderr
    );
}

/// A store where ledger (in acme/payments) deployed in March and again on 20
/// October, with two incidents after the October one, and payments-api
/// deployed an unknown commit in November; and a clone of acme/payments.
fn ledger_store() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/acme/palisade.toml"),
        dir.path().join("palisade.toml"),
    )
    .unwrap();
    let repo = Repo::new();
    let at = |date| Author {
        date,
        ..Author::default()
    };
    repo.write("services/ledger/main.go", "package main\n");
    let march = repo.commit_all_as("ledger", at("2026-02-20T10:00:00Z"));
    repo.write("services/ledger/main.go", "package main // v2\n");
    let october = repo.commit_all_as("ledger v2", at("2026-10-01T10:00:00Z"));
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--db", "store.db", "--now", NOW]);
        let run = palisade(dir.path(), &all);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    };
    for (id, service, sha, time) in [
        ("L1", "ledger", march.as_str(), "2026-03-01T10:00:00Z"),
        ("L2", "ledger", october.as_str(), "2026-10-20T10:00:00Z"),
        (
            "P1",
            "payments-api",
            "00000000000000000000000000000000deadbeef",
            "2026-11-02T10:00:00Z",
        ),
    ] {
        run(&[
            "deploy",
            "--as",
            "sofia",
            "record",
            "--service",
            service,
            "--env",
            "prod",
            "--sha",
            sha,
            "--status",
            "success",
            "--time",
            time,
            "--id",
            id,
        ]);
    }
    for (n, time) in ["2026-10-21T10:00:00Z", "2026-10-22T10:00:00Z"]
        .into_iter()
        .enumerate()
    {
        let id = format!("INC-{n}");
        run(&[
            "incident",
            "--as",
            "ruth",
            "open",
            "--id",
            &id,
            "--service",
            "ledger",
            "--severity",
            "sev2",
            "--title",
            "ledger down",
            "--deployment",
            "L2",
            "--time",
            time,
        ]);
    }
    (dir, repo)
}

#[test]
fn report_and_metrics_agree_on_a_service_last_deployed_months_before() {
    let (dir, repo) = ledger_store();
    let repo_dir = format!("acme/payments={}", repo.path().display());
    let common = ["--db", "store.db", "--now", NOW, "--repo-dir", &repo_dir];
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&common);
        let run = palisade(dir.path(), &all);
        assert!(run.code <= 1, "{args:?}: {}", run.stderr);
        serde_json::from_str::<Value>(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    };
    let metrics = run(&[
        "metrics",
        "--service",
        "ledger",
        "--month",
        "2026-10",
        "--format",
        "json",
    ]);
    let review = run(&[
        "report",
        "--service",
        "ledger",
        "--month",
        "2026-10",
        "--months",
        "1",
        "-o",
        "-",
        "--format",
        "json",
    ]);
    let (m, r) = (&metrics["dora"], &review["figures"]["dora"]);
    // March's deployment is the base of October's: one commit, 19 days.
    assert_eq!(m["lead_time"]["samples"], 1, "{m}");
    assert_eq!(m["lead_time"]["median_seconds"], 19.0 * 86400.0);
    assert_eq!(m["deployment_frequency"]["window_weeks"], 13);
    for key in [
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "recovery_time",
        "classes",
    ] {
        assert_eq!(m[key], r[key], "{key}");
    }

    // Only the issues of ledger in October: not payments-api's November commit.
    let issues = review["issues"].to_string();
    assert!(!issues.contains("deadbeef"), "{issues}");

    // The scorecard is judged over the policy's trend months, as
    // `palisade readiness` judges it, whatever --months the charts show:
    // two incidents in October after none before is a worsening.
    let readiness = run(&["readiness", "--format", "json"]);
    let trend = |card: &Value| {
        card["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "metrics_trend")
            .cloned()
            .unwrap()
    };
    let card = &readiness["scorecards"][0];
    assert_eq!(card["scope"], json!({"kind": "org"}));
    assert_eq!(trend(card)["status"], "fail", "{}", trend(card));
    assert_eq!(trend(&review["readiness"]), trend(card));
    assert_eq!(review["readiness"]["verdict"], card["verdict"]);
}

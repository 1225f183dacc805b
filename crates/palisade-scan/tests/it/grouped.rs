//! History and range scans report one finding per rule and value, with every place it
//! was found; baselines, SARIF and the ledger summary follow the groups. And transport
//! findings rank by what they are: configuration above code that passes a setting through,
//! tests and documentation.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use palisade_scan::finding::{self, Placement};
use palisade_scan::output::{self, Style};
use palisade_scan::rules::Severity;
use palisade_scan::scan::{Report, ScanConfig};
use palisade_scan::setup::{self, SetupOptions};
use palisade_scan::summary::{self, Mode};
use palisade_scan::{HistoryScan, scan_bytes, scan_history, scan_range};
use palisade_test_support::git::{Author, Repo};

/// A Slack bot token no one has seen before: random, made at test time.
fn random_token() -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let state = RandomState::new();
    let mut n = 0u64;
    let mut next = |modulo: usize| {
        n += 1;
        (state.hash_one(n) % modulo as u64) as usize
    };
    let mut digits = |count: usize| -> String {
        (0..count)
            .map(|i| match i {
                0 => char::from(b'1' + next(9) as u8),
                _ => char::from(b'0' + next(10) as u8),
            })
            .collect()
    };
    let a = digits(10);
    let b = digits(13);
    let c: String = (0..24)
        .map(|_| char::from(ALNUM[next(ALNUM.len())]))
        .collect();
    format!("xoxb-{a}-{b}-{c}")
}

fn author(date: &'static str) -> Author<'static> {
    Author {
        name: "Ann Dev",
        email: "ann@dev.example",
        date,
    }
}

fn config_with(baseline: Option<std::path::PathBuf>) -> ScanConfig {
    setup::build(&SetupOptions {
        baseline,
        ..SetupOptions::default()
    })
    .expect("the built-in setup")
}

fn history<'a>(config: &'a ScanConfig, repo: &'a Repo) -> HistoryScan<'a> {
    HistoryScan {
        config,
        repo: repo.path(),
        threads: 2,
        min_severity: None,
    }
}

/// The blob id git gives `contents`.
fn blob_id(repo: &Repo, contents: &str) -> String {
    let file = repo.join("blob-id.tmp");
    std::fs::write(&file, contents).expect("written");
    let out = repo.git(&["hash-object", "blob-id.tmp"]);
    std::fs::remove_file(file).expect("removed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A repository where one token is committed, kept through two later versions of its
/// file, copied to a second path and finally removed, and a second token is added once.
struct Story {
    repo: Repo,
    first: String,
    second: String,
    c1: String,
    c2: String,
    a_v1: String,
    config_v1: String,
}

fn story() -> Story {
    let repo = Repo::new();
    let first = random_token();
    let second = random_token();
    repo.write("README.md", "nothing here\n");
    repo.commit_all_as("start", author("2026-01-01T00:00:00Z"));
    let a_v1 = format!("# app\nTOKEN={first}\n");
    repo.write("app.env", &a_v1);
    let c1 = repo.commit_all_as("add the token", author("2026-01-02T00:00:00Z"));
    // A later version of app.env (the token one line lower), and a copy elsewhere.
    repo.write("app.env", format!("# app\nNAME=app\nTOKEN={first}\n"));
    let config_v1 = format!("slack:\n  token: {first}\n");
    repo.write("deploy/config.yml", &config_v1);
    let c2 = repo.commit_all_as("copy it", author("2026-01-03T00:00:00Z"));
    repo.write(
        "app.env",
        format!("# app\nNAME=app\nPORT=1\nTOKEN={first}\n"),
    );
    repo.write("other.env", format!("SLACK={second}\n"));
    repo.commit_all_as("another", author("2026-01-04T00:00:00Z"));
    repo.write("app.env", "# app\nNAME=app\nPORT=1\n");
    repo.commit_all_as("remove the token", author("2026-01-05T00:00:00Z"));
    let a_v1 = blob_id(&repo, &a_v1);
    let config_v1 = blob_id(&repo, &config_v1);
    Story {
        repo,
        first,
        second,
        c1,
        c2,
        a_v1,
        config_v1,
    }
}

#[test]
fn history_findings_are_grouped_per_rule_and_value() {
    let s = story();
    let config = config_with(None);
    let report = scan_history(&history(&config, &s.repo), &()).expect("history reads");
    assert_eq!(report.findings.len(), 2, "{report:#?}");
    let first_digest = finding::digest(s.first.as_bytes());
    let first = report
        .findings
        .iter()
        .find(|f| f.digest == first_digest)
        .expect("the first token");
    // Placed where it was first introduced.
    assert_eq!((first.path.as_str(), first.line), ("app.env", 2));
    let introduced = first.introduced.as_ref().expect("attributed");
    assert_eq!(introduced.commit, s.c1);
    assert_eq!(
        first.fingerprint,
        finding::group_fingerprint(&first.rule, &first.digest)
    );
    let group = first.group.as_ref().expect("grouped");
    assert_eq!(group.location_count, 2);
    assert_eq!(
        group.blob_count, 4,
        "three versions of app.env and the copy"
    );
    let places: Vec<(&str, u64, &str, &str, u64)> = group
        .locations
        .iter()
        .map(|l| {
            (
                l.path.as_str(),
                l.line,
                l.blob.as_str(),
                l.introduced.as_ref().map_or("", |i| i.commit.as_str()),
                l.later_versions,
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("app.env", 2, s.a_v1.as_str(), s.c1.as_str(), 2),
            (
                "deploy/config.yml",
                2,
                s.config_v1.as_str(),
                s.c2.as_str(),
                0
            ),
        ]
    );

    let second = report
        .findings
        .iter()
        .find(|f| f.digest == finding::digest(s.second.as_bytes()))
        .expect("the second token");
    assert_eq!(second.path, "other.env");
    let group = second.group.as_ref().expect("grouped");
    assert_eq!((group.location_count, group.blob_count), (1, 1));

    // Every rendering says so, and none shows a token.
    let human = output::human(&report, Style { color: false }, 0.1);
    assert!(human.contains("found at 2 paths, in 4 blobs"), "{human}");
    assert!(human.contains("2 findings"), "{human}");
    assert!(human.contains("at 3 places in 5 blobs"), "{human}");
    let rendered = [
        human,
        output::jsonl(&report),
        serde_json::to_string(&report).expect("json"),
        output::sarif(&report, "0").to_string(),
        output::github(&report, 0.1),
    ];
    for text in &rendered {
        for token in [&s.first, &s.second] {
            assert!(!text.contains(&token[12..]), "a token leaked:\n{text}");
        }
    }
    let line: serde_json::Value =
        serde_json::from_str(output::jsonl(&report).lines().next().expect("a line")).expect("json");
    assert!(
        line["locations"].is_array() && line["blob_count"].is_u64(),
        "{line}"
    );

    // The ledger counts groups and places.
    let event = summary::event(
        &report,
        summary::Context {
            mode: Mode::History,
            subject: "repo".to_owned(),
            actor: "ci".to_owned(),
            time: jiff::Timestamp::from_second(0).expect("a time"),
        },
    );
    assert_eq!(event.data["findings"], 2);
    assert_eq!(event.data["locations"], 3);
    assert_eq!(event.data["blobs"], 5);

    // A range groups the same way: from c1 on, the copy and the later versions.
    let range = scan_range(&history(&config, &s.repo), &format!("{}..HEAD", s.c1), &())
        .expect("the range resolves");
    let first = range
        .findings
        .iter()
        .find(|f| f.digest == first_digest)
        .expect("the first token, again");
    let group = first.group.as_ref().expect("grouped");
    assert_eq!((group.location_count, group.blob_count), (2, 3));
    assert_eq!(
        first.introduced.as_ref().map(|i| i.commit.as_str()),
        Some(s.c2.as_str())
    );
}

#[test]
fn a_history_baseline_holds_one_fingerprint_per_group_and_survives_new_copies() {
    let s = story();
    let dir = tempfile::tempdir().expect("a directory");
    let config = config_with(None);
    let report = scan_history(&history(&config, &s.repo), &()).expect("history reads");
    let text = setup::baseline_of(&report);
    let baseline: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(baseline["findings"].as_array().map(Vec::len), Some(2));
    let path = dir.path().join("baseline.json");
    std::fs::write(&path, &text).expect("written");

    // The same secret at a new path, and a version with new lines: still accepted.
    s.repo.write(
        "moved/secrets.env",
        format!("\n\nSLACK_TOKEN={}\n", s.first),
    );
    s.repo.commit_all("copy it again");
    let config = config_with(Some(path));
    let again = scan_history(&history(&config, &s.repo), &()).expect("history reads");
    assert!(again.findings.is_empty(), "{again:#?}");
    assert_eq!(
        again.stats.suppressed_baseline, 6,
        "five blobs of one, one of the other"
    );

    // A baseline written before grouping (one entry per path) keeps working.
    let rule = &report.findings[0].rule;
    let old: Vec<serde_json::Value> = ["app.env", "deploy/config.yml", "moved/secrets.env"]
        .iter()
        .map(|p| {
            let digest = finding::digest(s.first.as_bytes());
            serde_json::json!({
                "fingerprint": finding::fingerprint(rule, p, &digest),
                "rule": rule,
                "path": p,
            })
        })
        .collect();
    let old_path = dir.path().join("old.json");
    std::fs::write(
        &old_path,
        serde_json::json!({"version": 1, "findings": old}).to_string(),
    )
    .expect("written");
    let config = config_with(Some(old_path));
    let old_scan = scan_history(&history(&config, &s.repo), &()).expect("history reads");
    let left: Vec<&str> = old_scan.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(left, ["other.env"], "{old_scan:#?}");
}

#[test]
fn grouped_sarif_is_valid_sarif_2_1_0_with_related_locations() {
    let Some(dir) = palisade_test_support::testdata("sarif") else {
        return;
    };
    let schema = std::fs::read_to_string(dir.join("sarif-schema-2.1.0.json")).expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let s = story();
    let config = config_with(None);
    let report = scan_history(&history(&config, &s.repo), &()).expect("history reads");
    let sarif = output::sarif(&report, "0.1.0");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "one result per group");
    let grouped = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.env")
        .expect("the first token's result");
    let related = grouped["relatedLocations"].as_array().expect("related");
    assert_eq!(related.len(), 1);
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/config.yml"
    );
    assert_eq!(grouped["properties"]["blobCount"], 4);
}

/// The transport findings of `text` scanned as `path`, as (rule, severity, placement).
fn transport(path: &str, text: &str) -> Vec<(String, Severity, Option<Placement>)> {
    let config = config_with(None);
    let report: Report = scan_bytes(&config, path, text.as_bytes(), None);
    report
        .findings
        .iter()
        .filter(|f| f.kind == palisade_scan::rules::RuleKind::Transport)
        .map(|f| (f.rule.clone(), f.severity, f.placement))
        .collect()
}

#[test]
fn a_tls_setting_passed_through_ranks_below_configuration_that_turns_verification_off() {
    // git's http.c: verification is off only when the user's http.sslVerify says so.
    let passed_through = transport(
        "http.c",
        "static CURL *get_curl_handle(void)\n{\n\tCURL *result = curl_easy_init();\n\n\tif (!curl_ssl_verify) {\n\t\tcurl_easy_setopt(result, CURLOPT_SSL_VERIFYPEER, 0);\n\t\tcurl_easy_setopt(result, CURLOPT_SSL_VERIFYHOST, 0);\n\t} else {\n\t\tcurl_easy_setopt(result, CURLOPT_SSL_VERIFYPEER, 1);\n\t}\n",
    );
    assert!(!passed_through.is_empty());
    assert!(
        passed_through.iter().all(|(rule, severity, _)| rule
            == "tls-verify-disabled-behind-setting"
            && *severity == Severity::Low),
        "{passed_through:?}"
    );
    // Code that switches it off for good, and configuration that does.
    let hard_coded = transport(
        "src/client.php",
        "<?php\ncurl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);\n",
    );
    assert_eq!(hard_coded.len(), 1, "{hard_coded:?}");
    let configured = transport(
        "deploy/setup.sh",
        "git config --global http.sslVerify false\n",
    );
    assert_eq!(configured.len(), 1, "{configured:?}");
    for (_, severity, placement) in hard_coded.iter().chain(&configured) {
        assert!(*severity > Severity::Low && placement.is_none());
    }
    // The same setting shown in documentation and tests ranks below it.
    for (path, placement) in [
        ("Documentation/config/http.adoc", Placement::Docs),
        ("t/t5550-http-fetch.sh", Placement::Test),
    ] {
        let shown = transport(path, "git config --global http.sslVerify false\n");
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!((shown[0].1, shown[0].2), (Severity::Low, Some(placement)));
    }
}

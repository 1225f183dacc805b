//! Reports of palisade scan, made by its library on git repositories built here.

use std::path::Path;

use palisade_gate::evidence::{EvidenceKind, Facts, ScanSummary};
use palisade_scan::engine::Scanner;
use palisade_scan::rules::RuleSet;
use palisade_scan::scan::{Report, ScanConfig};
use palisade_scan::{HistoryScan, TreeScan};
use proptest::prelude::*;

use super::{assert_names_place, read};

fn config() -> ScanConfig {
    ScanConfig::new(Scanner::new(RuleSet::builtin().expect("rules")).expect("scanner"))
}

/// A tree scan of `root`, as `palisade scan ROOT` makes it.
pub(crate) fn scan_tree(root: &Path) -> Report {
    let config = config();
    let scan = TreeScan {
        config: &config,
        roots: &[root.to_path_buf()],
        threads: 1,
        cwd: None,
        min_severity: None,
    };
    palisade_scan::scan_tree(&scan, &()).expect("the tree exists")
}

fn summary(bytes: &[u8]) -> (ScanSummary, Option<String>) {
    let evidence = read(Some(EvidenceKind::Scan), bytes).unwrap_or_else(|e| panic!("{e}"));
    match evidence.facts {
        Facts::Scan(s) => (s, evidence.commit),
        other => panic!("not a scan: {other:?}"),
    }
}

const SETTINGS: &str = "AWS_ACCESS_KEY_ID = \"AKIAQWERTYUIOPASDFGH\"\n\
                        AWS_SECRET_ACCESS_KEY = \"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\"\n";

#[test]
fn a_tree_scan_names_head_unless_the_tree_has_changes() {
    let repo = palisade_test_support::git::Repo::new();
    repo.write("deploy/settings.py", SETTINGS);
    repo.write("README.md", "nothing here\n");
    let head = repo.commit_all("settings");

    let report = scan_tree(repo.path());
    assert_eq!(report.commit.as_deref(), Some(head.as_str()));
    assert!(!report.dirty);
    let json = serde_json::to_vec_pretty(&report).unwrap();
    let (s, commit) = summary(&json);
    assert_eq!(commit.as_deref(), Some(head.as_str()));
    assert_eq!(s.findings, report.findings.len() as u64);
    assert!(s.secrets >= 1, "{s:?}");
    assert!(!s.dirty);
    assert!(s.first[0].starts_with("aws-"), "{s:?}");
    assert!(s.first[0].ends_with(" at deploy/settings.py:1"), "{s:?}");
    // The summary names rules and places, never the secret.
    let text = serde_json::to_string(&s).unwrap();
    assert!(
        !text.contains("AKIAQWERTYUIOPASDFGH") && !text.contains("wJalrXUtn"),
        "{text}"
    );

    repo.write("README.md", "changed, not committed\n");
    let report = scan_tree(repo.path());
    assert_eq!(report.commit.as_deref(), Some(head.as_str()));
    assert!(report.dirty);
    let (s, commit) = summary(&serde_json::to_vec(&report).unwrap());
    assert!(s.dirty);
    assert_eq!(
        commit, None,
        "a scan of a changed tree vouches for no commit"
    );
}

#[test]
fn a_range_scan_names_its_last_commit_and_a_plain_directory_none() {
    let repo = palisade_test_support::git::Repo::new();
    repo.write("README.md", "base\n");
    let base = repo.commit_all("base");
    repo.write("deploy/settings.py", SETTINGS);
    let tip = repo.commit_all("settings");
    let config = config();
    let scan = HistoryScan {
        config: &config,
        repo: repo.path(),
        threads: 1,
        min_severity: None,
    };
    let report = palisade_scan::scan_range(&scan, &format!("{base}..{tip}"), &()).unwrap();
    assert_eq!(report.commit.as_deref(), Some(tip.as_str()));
    let (s, commit) = summary(&serde_json::to_vec(&report).unwrap());
    assert_eq!(commit.as_deref(), Some(tip.as_str()));
    assert!(s.secrets >= 1);

    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("a.txt"), "clean\n").unwrap();
    let report = scan_tree(plain.path());
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains("\"commit\"") && !json.contains("\"dirty\""),
        "{json}"
    );
    let (s, commit) = summary(json.as_bytes());
    assert_eq!((s.findings, s.secrets, commit), (0, 0, None));
}

#[test]
fn other_json_is_not_a_scan_report() {
    for (bytes, place) in [
        (&b"{\"findings\": []}"[..], "line 1"),
        (b"{\"findings\": [{\"rule\": 3}], \"stats\": {}}", "line 1"),
        (b"[]", "line 1"),
    ] {
        let error = read(Some(EvidenceKind::Scan), bytes).unwrap_err();
        assert!(error.message.contains(place), "{error}");
    }
    let error = read(
        Some(EvidenceKind::Scan),
        b"{\"findings\": [], \"stats\": {}, \"commit\": \"HEAD\"}",
    )
    .unwrap_err();
    assert_eq!(error.message, "$.commit: \"HEAD\" is not a full commit id");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_and_truncated_reports_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        cut in 0usize..400,
    ) {
        if let Err(e) = read(Some(EvidenceKind::Scan), &bytes) {
            assert_names_place(&e);
        }
        let report = format!(
            "{{\"findings\": [{{\"rule\": \"r\", \"kind\": \"secret\", \"path\": \"a\", \"line\": 1}}], \
             \"skipped\": [], \"stats\": {{\"files\": 1}}, \"commit\": \"{}\", \"dirty\": false}}",
            "c".repeat(40)
        );
        let cut = cut.min(report.len() - 1);
        let error = read(Some(EvidenceKind::Scan), &report.as_bytes()[..cut]).unwrap_err();
        assert_names_place(&error);
    }
}

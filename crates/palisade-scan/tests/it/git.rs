//! Whole scans of git sources: the staged change and history, with findings attributed to
//! the commit that introduced them and binary blobs listed, not dropped.

use palisade_scan::rules::Severity;
use palisade_scan::scan::ScanConfig;
use palisade_scan::setup::{self, SetupOptions};
use palisade_scan::source::LISTED_BINARY_BLOBS;
use palisade_scan::{HistoryScan, Progress, StagedScan, scan_history, scan_range, scan_staged};
use palisade_test_support::git::{Author, Repo};
use std::sync::atomic::{AtomicU64, Ordering};

/// A Slack bot token: found by the built-in rules, no checksum to compute. Made up:
// palisade:allow
const TOKEN: &str = "xoxb-2368512094-8713568642145-Qm7Rt2Lx9Wv4Kp8Zc3Nb6Hs1";

fn config() -> ScanConfig {
    setup::build(&SetupOptions::default()).expect("the built-in setup")
}

fn history<'a>(config: &'a ScanConfig, repo: &'a Repo) -> HistoryScan<'a> {
    HistoryScan {
        config,
        repo: repo.path(),
        threads: 2,
        min_severity: None,
    }
}

/// Counts what a scan says it read.
#[derive(Default)]
struct Count(AtomicU64, AtomicU64);

impl Progress for Count {
    fn advance(&self, files: u64, bytes: u64) {
        self.0.fetch_add(files, Ordering::Relaxed);
        self.1.fetch_add(bytes, Ordering::Relaxed);
    }
}

#[test]
fn a_staged_scan_reports_only_the_added_lines_and_lists_binary_files() {
    let repo = Repo::new();
    repo.write("app.env", format!("TOKEN={TOKEN}\n"));
    repo.commit_all("the token, already committed");
    repo.write("app.env", format!("TOKEN={TOKEN}\nNEW=1\n"));
    repo.write("new.env", format!("A=1\nB={TOKEN}\n"));
    repo.write("logo.bin", b"\x89PNG\0\0\0\rIHDR");
    repo.git(&["add", "-A"]);
    let options = SetupOptions::default();
    let scan = StagedScan {
        setup: &options,
        repo: repo.path(),
        min_severity: None,
    };
    let report = scan_staged(&scan, &()).expect("the staged change reads");
    let places: Vec<(&str, u64)> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.line))
        .collect();
    assert_eq!(places, [("new.env", 2)], "{report:#?}");
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].path, "logo.bin");
    assert_eq!(report.skipped[0].reason, "binary (it holds NUL bytes)");
    // Only the added lines count as scanned.
    assert_eq!(report.stats.files, 2);
    assert_eq!(
        report.stats.bytes,
        ("NEW=1\n".len() + "A=1\nB=\n".len() + TOKEN.len()) as u64
    );

    let high_only = StagedScan {
        min_severity: Some(Severity::Critical),
        ..scan
    };
    let report = scan_staged(&high_only, &()).expect("the staged change reads");
    assert!(report.findings.is_empty(), "{report:#?}");
    assert_eq!(report.stats.below_min_severity, 1);
}

#[test]
fn a_history_scan_attributes_findings_to_the_commit_that_added_them() {
    let repo = Repo::new();
    repo.write("README.md", "nothing here\n");
    repo.commit_all("start");
    repo.write("deploy/app.env", format!("TOKEN={TOKEN}\n"));
    let added = repo.commit_all_as(
        "add the deployment",
        Author {
            name: "Vendor Dev",
            email: "dev@vendor.example",
            date: "2026-02-03T04:05:06Z",
        },
    );
    // Moved, then the secret removed: history still has it, under its first path.
    repo.git(&["mv", "deploy/app.env", "app.env"]);
    repo.commit_all("move it");
    repo.write("app.env", "TOKEN=\n");
    repo.commit_all("remove the token");

    let config = config();
    let count = Count::default();
    let report = scan_history(&history(&config, &repo), &count).expect("history reads");
    assert_eq!(report.findings.len(), 1, "{report:#?}");
    let finding = &report.findings[0];
    assert_eq!(finding.path, "deploy/app.env");
    let introduced = finding.introduced.as_ref().expect("attributed");
    assert_eq!(introduced.commit, added);
    assert_eq!(introduced.author, "Vendor Dev <dev@vendor.example>");
    assert_eq!(introduced.date, "2026-02-03T04:05:06Z");
    // README, the token's file and its emptied version: three blobs, each read once.
    assert_eq!(report.stats.files, 3);
    assert_eq!(count.0.load(Ordering::Relaxed), 3);
    assert_eq!(count.1.load(Ordering::Relaxed), report.stats.bytes);

    let range = scan_range(&history(&config, &repo), &format!("{added}..HEAD"), &())
        .expect("the range resolves");
    assert!(range.findings.is_empty(), "{range:#?}");
    assert_eq!(range.stats.files, 1, "only the emptied file is new");
}

#[test]
fn a_history_scan_lists_the_first_thousand_binary_blobs_and_counts_the_rest() {
    let repo = Repo::new();
    let extra = 3;
    for i in 0..LISTED_BINARY_BLOBS + extra {
        repo.write(&format!("img/{i:04}.bin"), format!("\0binary {i}"));
    }
    repo.write("notes.txt", "text\n");
    let commit = repo.commit_all("images");
    let config = config();
    let report = scan_history(&history(&config, &repo), &()).expect("history reads");
    let listed = report
        .skipped
        .iter()
        .filter(|s| s.path.starts_with("img/"))
        .count() as u64;
    assert_eq!(listed, LISTED_BINARY_BLOBS);
    assert!(report.skipped.iter().all(|s| !s.path.starts_with("img/")
        || s.reason
            == format!(
                "binary (it holds NUL bytes); first committed in {}",
                &commit[..12]
            )));
    let rest: Vec<&str> = report
        .skipped
        .iter()
        .filter(|s| !s.path.starts_with("img/"))
        .map(|s| s.reason.as_str())
        .collect();
    assert_eq!(
        rest,
        [format!(
            "{extra} more binary blobs (they hold NUL bytes); the first {LISTED_BINARY_BLOBS} are listed"
        )]
    );
    assert_eq!(report.stats.files, 1, "only notes.txt is text");
}

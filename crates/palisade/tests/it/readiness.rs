//! `palisade readiness`: the control checklist on the example organisation,
//! as it stands (not ready, with what to fix first) and for a vendor whose
//! every control has its evidence (ready to scale), end to end.

use std::path::Path;

use palisade_ledger::ledger::{Event, Ledger};
use palisade_test_support::git::{Author, Repo};
use serde_json::{Value, json};

use crate::{Run, palisade, root};

const NOW: &str = "2026-11-22T12:00:00Z";

fn readiness(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["readiness", "--db", "store.db", "--now", NOW];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

/// A directory with the model `text` and an empty store (`store.db`).
fn acme_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("palisade.toml"), text).unwrap();
    let run = palisade(dir.path(), &["db", "migrate", "--db", "store.db"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir
}

fn acme_text() -> String {
    std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap()
}

#[test]
fn the_example_organisation_is_not_ready_and_says_what_to_fix_first() {
    let dir = acme_dir(&acme_text());
    let run = readiness(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);

    let run = readiness(dir.path(), &["--vendor", "nimbus", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["ready"], false);
    let cards = v["scorecards"].as_array().unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["scope"], json!({"kind": "vendor", "id": "nimbus"}));
    // Fails first (arjun's standing prod-reader, no access review), then warnings.
    assert_eq!(
        cards[0]["fix_first"],
        json!([
            "no_standing_access",
            "access_reviews",
            "ownership_agrees",
            "gated_deployments",
            "secret_scanning",
            "runbooks",
            "metrics_trend"
        ])
    );
    let standing = &cards[0]["controls"][2];
    assert_eq!(standing["id"], "no_standing_access");
    assert_eq!(standing["status"], "fail");
    assert_eq!(
        standing["evidence"],
        json!(["arjun holds standing production access through role prod-reader"])
    );
}

#[test]
fn readiness_refuses_an_unknown_vendor_and_a_malformed_repo_dir_with_exit_2() {
    let dir = acme_dir(&acme_text());
    let run = readiness(dir.path(), &["--vendor", "nimbuss"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown vendor `nimbuss`; the model's vendors are: nimbus, harbor"),
        "{}",
        run.stderr
    );
    let run = readiness(dir.path(), &["--repo-dir", "platform"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not OWNER/NAME=PATH"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_repeated_or_unknown_repo_dir_is_refused_with_the_models_repositories() {
    let dir = acme_dir(&acme_text());
    let run = readiness(
        dir.path(),
        &[
            "--repo-dir",
            "acme/payments=one",
            "--repo-dir",
            "acme/payments=two",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "--repo-dir names acme/payments twice (one and two): give each repository once"
        ),
        "{}",
        run.stderr
    );
    let run = readiness(dir.path(), &["--repo-dir", "acme/unknownrepo=."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the model has no repository acme/unknownrepo; its services name acme/mobile, acme/payments, acme/platform"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn permissions_without_a_repository_names_the_readiness_flag() {
    let dir = acme_dir(&acme_text());
    std::fs::write(dir.path().join("f.json"), "[]").unwrap();
    let run = readiness(dir.path(), &["--permissions", "f.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("pass --permissions-repo OWNER/NAME"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pass --repo "), "{}", run.stderr);
}

#[test]
fn a_codeowners_file_that_does_not_exist_is_named_as_missing() {
    let dir = acme_dir(&acme_text());
    let run = readiness(dir.path(), &["--codeowners", "/no/such/file"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--codeowners /no/such/file: no such file"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("not in a git repository"),
        "{}",
        run.stderr
    );
}

/// The example with Harbor's gaps closed in the model: its contract gains
/// the DPA, and its two services name runbooks.
fn harbor_fixed() -> String {
    let text = acme_text();
    let ip = "nda = true\nip_assignment = [\"source\", \"artifacts\", \"docs\", \"tests\", \"infrastructure\"]";
    assert_eq!(text.matches(ip).count(), 1);
    let text = text.replace(ip, &ip.replace("nda = true\n", "nda = true\ndpa = true\n"));
    let mut text = text;
    for (service, backup) in [("docs-site", "priya"), ("status-page", "tomas")] {
        let at = text.find(&format!("id = \"{service}\"")).unwrap();
        let line = format!("backup_owner = \"{backup}\"\n");
        let end = at + text[at..].find(&line).unwrap() + line.len();
        text.insert_str(end, &format!("runbook = \"docs/runbooks/{service}.md\"\n"));
    }
    text
}

/// Appends `events` to the store in `dir` at their own times.
fn ledger_events(dir: &Path, events: Vec<Event>) {
    let db = dir.join("store.db");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = palisade_store::Store::open(db.to_str().unwrap())
                .await
                .unwrap();
            let ledger = Ledger::new(store, "acme.example/palisade");
            for e in events {
                ledger.append(e).await.unwrap();
            }
        });
}

fn event(kind: &str, subject: &str, time: &str, data: Value) -> Event {
    Event {
        time: time.parse().unwrap(),
        actor: "ci".to_owned(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        data,
    }
}

#[test]
fn a_vendor_with_evidence_for_every_control_is_ready_to_scale() {
    let dir = acme_dir(&harbor_fixed());
    let d = dir.path();

    // A clone of acme/platform: Harbor's services, fresh runbooks, and the
    // CODEOWNERS the model writes.
    let platform = Repo::new();
    platform
        .write("docs/site/index.md", "# docs\n")
        .write("services/status-page/main.go", "package main\n")
        .write("docs/runbooks/docs-site.md", "# docs-site\n")
        .write("docs/runbooks/status-page.md", "# status-page\n");
    let written = palisade(
        d,
        &[
            "owners",
            "codeowners",
            "--repo",
            "acme/platform",
            "-o",
            platform.join("CODEOWNERS").to_str().unwrap(),
        ],
    );
    assert_eq!(written.code, 0, "{}", written.stderr);
    platform.commit_all_as(
        "harbor's services",
        Author {
            date: "2026-11-01T09:00:00Z",
            ..Author::default()
        },
    );
    std::fs::write(d.join("collaborators.json"), "[]").unwrap();

    // Two production deployments of docs-site, each gated.
    let shas = ["1".repeat(40), "2".repeat(40)];
    for (sha, time) in shas
        .iter()
        .zip(["2026-09-10T10:00:00Z", "2026-10-10T10:00:00Z"])
    {
        let run = palisade(
            d,
            &[
                "deploy",
                "record",
                "--db",
                "store.db",
                "--now",
                NOW,
                "--as",
                "katarzyna",
                "--service",
                "docs-site",
                "--env",
                "prod",
                "--sha",
                sha,
                "--status",
                "success",
                "--time",
                time,
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let verdict = |sha: &str, time: &str| {
        event(
            "gate.verdict",
            "acme/platform",
            time,
            json!({
                "verdict": "pass", "tier": "low", "base": "0".repeat(40), "head": sha,
                "environment": "prod", "services": ["docs-site"], "changed_paths": 1,
                "controls": [], "waivers_used": [], "model": "sha256:00", "evidence": [],
            }),
        )
    };
    let scan = |subject: &str| {
        event(
            "scan.summary",
            subject,
            "2026-11-20T10:00:00Z",
            json!({
                "mode": "tree", "files": 3, "bytes": 100, "findings": 0, "locations": 0,
                "blobs": 0, "suppressed": {"inline": 0, "allowlist": 0, "baseline": 1},
                "below_min_severity": 0, "skipped": 0, "results": [],
            }),
        )
    };
    ledger_events(
        d,
        vec![
            verdict(&shas[0], "2026-09-10T09:00:00Z"),
            verdict(&shas[1], "2026-10-10T09:00:00Z"),
            scan("docs-site"),
            scan("status-page"),
            event(
                "access.review.close",
                "rev-1",
                "2026-11-01T09:00:00Z",
                json!({
                    "deadline": "2026-11-01T09:00:00Z", "before_deadline": true,
                    "revoke_unreviewed": false,
                    "totals": {"items": 30, "reviewed": 30, "kept": 29, "revoked": 1,
                        "revoked_at_deadline": 0, "left_at_deadline": 0, "pending": 0},
                    "unreviewed": [],
                }),
            ),
        ],
    );

    let repo_dir = format!("acme/platform={}", platform.path().display());
    let codeowners = platform.join("CODEOWNERS");
    let run = readiness(
        d,
        &[
            "--vendor",
            "harbor",
            "--repo-dir",
            &repo_dir,
            "--codeowners",
            codeowners.to_str().unwrap(),
            "--permissions",
            "collaborators.json",
            "--permissions-repo",
            "acme/platform",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let shown = run
        .stdout
        .replace(&platform.path().display().to_string(), "<CLONE>");
    insta::assert_snapshot!(shown);

    // The same evidence leaves nimbus not ready: the verdict is per vendor.
    let run = readiness(d, &["--vendor", "nimbus", "--repo-dir", &repo_dir]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

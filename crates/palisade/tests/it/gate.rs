//! `palisade gate` end to end: a real git repository holding the example
//! model, a change made by git, evidence written by the binary itself (scan)
//! and in the shapes CI produces, every output file, the ledger entry with
//! its receipt, the signed verification summary, `--plan`, and exit codes.

use std::path::Path;

use palisade_ledger::SignerKey;
use palisade_ledger::dsse::{Envelope, PinnedKey};
use palisade_test_support::git::{Author, Repo};
use serde_json::Value;

use crate::{Run, palisade, root};

const NOW: &str = "2026-12-07T10:00:00Z";

/// A repository with the example model at its root and a change by arjun
/// (nimbus) to checkout-web, on a branch: returns (repo, base, head).
fn repo_with_change() -> (Repo, String, String) {
    let r = Repo::new();
    let model = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    r.write("palisade.toml", model)
        .write("web/checkout/pay.ts", "export const pay = () => 1;\n")
        .write("services/status-page/index.html", "<p>ok</p>\n");
    let base = r.commit_all("base");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("web/checkout/pay.ts", "export const pay = () => 2;\n");
    let head = r.commit_all_as(
        "pay twice",
        Author {
            name: "Arjun Menon",
            email: "arjun@nimbus.example",
            date: "2026-12-01T10:00:00Z",
        },
    );
    (r, base, head)
}

fn gate(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "gate",
        "--repo",
        "acme/payments",
        "--now",
        NOW,
        "--db",
        ".palisade/test.db",
    ];
    args.extend_from_slice(extra);
    palisade(dir, &args)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_owned()
}

/// Evidence for checkout-web (high): tests, SARIF, a scan by the binary,
/// reviews by ruth (backup owner, internal), and the pull request.
fn evidence(r: &Repo, head: &str, reviewer: &str) -> Vec<String> {
    let dir = r.path();
    let junit = write(
        dir,
        "junit.xml",
        r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2"><testcase classname="test_pay" name="test_once" time="0.001"/><testcase classname="test_pay" name="test_twice" time="0.001"/></testsuite></testsuites>"#,
    );
    let sarif = write(
        dir,
        "analysis.sarif",
        &format!(
            r#"{{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{{"tool":{{"driver":{{"name":"bandit","rules":[]}}}},"results":[],"versionControlProvenance":[{{"repositoryUri":"https://github.com/acme/payments","revisionId":"{head}"}}]}}]}}"#
        ),
    );
    let scan = palisade(
        dir,
        &[
            "scan",
            "--format",
            "json",
            "--range",
            &format!("main..{head}"),
        ],
    );
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let scan = write(dir, "scan.json", &scan.stdout);
    let reviews = write(
        dir,
        "reviews.json",
        &format!(
            r#"[{{"id":1,"user":{{"login":"{reviewer}","type":"User"}},"body":"","state":"APPROVED","commit_id":"{head}","submitted_at":"2026-12-02T09:00:00Z","author_association":"MEMBER"}}]"#
        ),
    );
    let pr = write(
        dir,
        "pr.json",
        &format!(
            r#"{{"number":7,"state":"open","title":"Pay twice","user":{{"login":"arjun-menon-nimbus"}},"body":"Pays twice.\n\n## Rollback\n\nRevert this pull request; nothing migrates.\n","head":{{"sha":"{head}","ref":"feature"}},"base":{{"sha":"0000000000000000000000000000000000000000","ref":"main"}}}}"#
        ),
    );
    vec![
        format!("junit:{junit}"),
        format!("sarif:{sarif}"),
        format!("scan:{scan}"),
        format!("reviews:{reviews}"),
        format!("pull-request:{pr}"),
    ]
}

fn with_evidence<'a>(base: &'a str, head: &'a str, evidence: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["--base", base, "--head", head];
    for e in evidence {
        args.push("--evidence");
        args.push(e);
    }
    args
}

#[test]
fn a_change_with_its_evidence_passes_and_every_output_is_written() {
    let (r, base, head) = repo_with_change();
    let ev = evidence(&r, &head, "ruth");
    let mut args = with_evidence(&base, &head, &ev);
    args.extend([
        "--json",
        "gate.json",
        "--markdown",
        "summary.md",
        "--junit",
        "gate.xml",
        "--github-annotations",
    ]);
    let run = gate(r.path(), &args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("PASS"), "{}", run.stdout);
    assert!(run.stdout.contains("::notice"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("recorded the verdict as ledger entry 0"),
        "{}",
        run.stderr
    );

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("gate.json")).unwrap()).unwrap();
    assert_eq!(json["verdict"], "pass");
    assert_eq!(json["tier"], "high");
    assert_eq!(json["head"], head);
    assert_eq!(json["services"][0]["id"], "checkout-web");
    let controls = json["controls"].as_array().unwrap();
    assert_eq!(controls.len(), 8);
    for c in controls {
        assert!(
            c["id"].is_string() && c["result"].is_string() && c["reason"].is_string(),
            "{c}"
        );
    }
    let md = std::fs::read_to_string(r.join("summary.md")).unwrap();
    assert!(md.contains("owner_approvals"), "{md}");
    let xml = std::fs::read_to_string(r.join("gate.xml")).unwrap();
    assert!(
        xml.contains("<testsuite") && xml.contains("owner_approvals"),
        "{xml}"
    );

    // The ledger holds the verdict with the digests of the model and of each file.
    let tail = palisade(
        r.path(),
        &[
            "ledger",
            "tail",
            "--db",
            ".palisade/test.db",
            "--format",
            "json",
        ],
    );
    assert_eq!(tail.code, 0, "{}", tail.stderr);
    let entries: Value = serde_json::from_str(&tail.stdout).unwrap();
    let entry = &entries[0];
    assert_eq!(entry["kind"], "gate.verdict", "{entries}");
    let data = &entry["data"];
    assert_eq!(data["verdict"], "pass");
    let model_digest = palisade_gate_digest(&std::fs::read(r.join("palisade.toml")).unwrap());
    assert_eq!(data["model"], model_digest);
    let junit_digest = palisade_gate_digest(&std::fs::read(r.join("junit.xml")).unwrap());
    assert!(
        data["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["digest"] == junit_digest),
        "{data}"
    );
}

fn palisade_gate_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[test]
fn the_authors_own_approval_fails_the_gate_with_what_to_provide() {
    let (r, base, head) = repo_with_change();
    let ev = evidence(&r, &head, "arjun-menon-nimbus");
    let run = gate(r.path(), &with_evidence(&base, &head, &ev));
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("FAIL"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("an author of the change cannot approve it"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ruth"),
        "what to provide names the owners: {}",
        run.stdout
    );
}

#[test]
fn a_plan_needs_no_evidence_and_records_nothing() {
    let (r, base, head) = repo_with_change();
    let run = gate(
        r.path(),
        &["--base", &base, "--head", &head, "--env", "prod", "--plan"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("will need"), "{}", run.stdout);
    assert!(run.stdout.contains("Rollback"), "{}", run.stdout);
    assert!(!run.stderr.contains("recorded"), "{}", run.stderr);
    assert!(!r.join(".palisade/test.db").exists());
}

#[test]
fn with_the_ledger_key_the_receipt_is_printed_and_the_summary_is_signed() {
    let (r, base, head) = repo_with_change();
    let keygen = palisade(
        r.path(),
        &[
            "ledger",
            "keygen",
            "--model",
            "palisade.toml",
            "-o",
            ".palisade/ledger.key",
        ],
    );
    assert_eq!(keygen.code, 0, "{}", keygen.stderr);
    let ev = evidence(&r, &head, "ruth");
    let mut args = with_evidence(&base, &head, &ev);
    args.extend(["--vsa", "gate.vsa.json"]);
    let run = gate(r.path(), &args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("its receipt:"), "{}", run.stderr);

    let key_text = std::fs::read_to_string(r.join(".palisade/ledger.key")).unwrap();
    let key = SignerKey::parse(key_text.trim()).unwrap();
    let pinned = PinnedKey::new(key.name(), key.verifier().public_key()).unwrap();
    let envelope = Envelope::parse(&std::fs::read(r.join("gate.vsa.json")).unwrap()).unwrap();
    envelope.verify(std::slice::from_ref(&pinned)).unwrap();
    let statement: Value = serde_json::from_slice(&envelope.payload).unwrap();
    assert_eq!(
        statement["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    assert_eq!(statement["subject"][0]["digest"]["gitCommit"], head);
    assert_eq!(statement["predicate"]["verificationResult"], "PASSED");
    assert_eq!(
        statement["predicate"]["verifiedLevels"][0],
        "PALISADE_GATE_TIER_HIGH"
    );

    // Another key does not verify it.
    let other = SignerKey::from_seed(key.name(), [7; 32]).unwrap();
    let wrong = PinnedKey::new(key.name(), other.verifier().public_key()).unwrap();
    assert!(envelope.verify(std::slice::from_ref(&wrong)).is_err());
}

#[test]
fn bad_input_is_a_precise_error_or_a_failed_control_never_a_pass() {
    let (r, base, head) = repo_with_change();
    // An unknown ref: exit 2, naming it.
    let run = gate(r.path(), &["--base", "no-such-ref", "--head", &head]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-ref"), "{}", run.stderr);
    // A missing evidence file: exit 2, naming it.
    let run = gate(
        r.path(),
        &[
            "--base",
            &base,
            "--head",
            &head,
            "--evidence",
            "junit:nope.xml",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope.xml"), "{}", run.stderr);
    // An unknown environment: exit 2 with the nearest.
    let run = gate(
        r.path(),
        &["--base", &base, "--head", &head, "--env", "prdo", "--plan"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `prod`"), "{}", run.stderr);
    // Malformed JUnit: the tests control fails with the parse error.
    write(
        r.path(),
        "broken.xml",
        "<testsuites><testsuite name=\"x\"><testcase",
    );
    let run = gate(
        r.path(),
        &[
            "--base",
            &base,
            "--head",
            &head,
            "--evidence",
            "junit:broken.xml",
            "--no-record",
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("broken.xml"), "{}", run.stdout);
    // Evidence about another commit does not count, and the gate says so.
    let ev = evidence(&r, &base, "ruth");
    let run = gate(r.path(), &with_evidence(&base, &head, &ev));
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("not the head"), "{}", run.stdout);
}

#[test]
fn without_repo_the_origin_remote_names_the_repository() {
    let (r, base, head) = repo_with_change();
    r.git(&[
        "remote",
        "add",
        "origin",
        "git@github.com:acme/payments.git",
    ]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "gate", "--base", &base, "--head", &head, "--plan", "--format", "json",
        ])
        .current_dir(r.path())
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("CI_PROJECT_PATH")
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_FORMAT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["services"][0]["id"], "checkout-web", "{json}");
    assert_eq!(json["tier"], "high");
}

//! SARIF from clippy-sarif, bandit and palisade scan, run here, and logs written
//! to the schema that exercise each rule of the severity mapping.

use std::process::{Command, Stdio};

use palisade_gate::evidence::{EvidenceKind, Severity};
use proptest::prelude::*;
use serde_json::json;

use super::{analysis_of, assert_names_place, assert_valid_sarif, read, run, write};

fn sarif(bytes: &[u8]) -> palisade_gate::evidence::Evidence {
    read(Some(EvidenceKind::Sarif), bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn clippy_sarif_warnings_are_medium_and_denied_lints_high() {
    let Some(clippy_sarif) = palisade_test_support::tool("PALISADE_TEST_CLIPPY_SARIF") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"lint\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    write(
        root,
        "src/lib.rs",
        "#![deny(clippy::ptr_arg)]\n\
         pub fn len(v: &Vec<u8>) -> usize { let n = v.len(); return n; }\n",
    );
    let clippy = run(Command::new("cargo")
        .args(["clippy", "--offline", "--quiet", "--message-format=json"])
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .current_dir(root));
    let mut child = Command::new(&clippy_sarif)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("clippy-sarif runs");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &clippy.stdout).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_valid_sarif(&out.stdout);
    let evidence = sarif(&out.stdout);
    let a = analysis_of(&evidence);
    assert_eq!(a.tools, ["clippy"]);
    assert_eq!(a.by_severity, [0, 0, 1, 1, 0], "{a:?}");
    assert_eq!(a.at_or_above(Severity::High), 1);
    assert_eq!(a.worst, ["clippy::ptr_arg at src/lib.rs:2"]);
}

#[test]
fn bandit_results_are_counted_by_level() {
    let Some(python) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.py",
        "import hashlib\nimport subprocess\n\n\
         def run(cmd):\n    subprocess.call(cmd, shell=True)\n\n\
         def digest(data):\n    return hashlib.md5(data).hexdigest()\n",
    );
    let out = run(Command::new(&python)
        .args([
            "-m",
            "bandit",
            "-q",
            "-f",
            "sarif",
            "-o",
            "bandit.sarif",
            "app.py",
        ])
        .current_dir(dir.path()));
    // scripts/ensure-tools installs bandit with its `sarif` extra; without
    // it bandit has no SARIF formatter, and this test must say so.
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("invalid choice: 'sarif'"),
        "this bandit has no SARIF formatter: install bandit[sarif] (scripts/test-tools/requirements.txt)"
    );
    let bytes = std::fs::read(dir.path().join("bandit.sarif")).expect("bandit wrote SARIF");
    assert_valid_sarif(&bytes);
    let a = analysis_of(&sarif(&bytes)).clone();
    assert_eq!(a.tools, ["Bandit"]);
    // shell=True is high severity (error), md5 high too; both are results.
    assert!(a.by_severity.iter().sum::<u64>() >= 2, "{a:?}");
}

#[test]
fn palisade_scan_sarif_is_read_at_its_security_severity() {
    let dir = tempfile::tempdir().unwrap();
    let key = format!("AKIA{}", "QWERTYUIOPASDFGH");
    write(
        dir.path(),
        "deploy/settings.py",
        &format!(
            "AWS_ACCESS_KEY_ID = \"{key}\"\nAWS_SECRET_ACCESS_KEY = \"{}\"\n",
            "wJalrXUtnFEMIK7MDENGbPxRfiCYzQ8pL3vT9sKd"
        ),
    );
    let report = super::scan::scan_tree(dir.path());
    assert!(!report.findings.is_empty(), "the scan finds the key");
    let log = palisade_scan::output::sarif(&report, "0.1.0");
    let bytes = serde_json::to_vec(&log).unwrap();
    assert_valid_sarif(&bytes);
    let a = analysis_of(&sarif(&bytes)).clone();
    assert_eq!(a.tools, ["palisade"]);
    assert_eq!(
        a.by_severity.iter().sum::<u64>(),
        report.findings.len() as u64
    );
    assert!(a.at_or_above(Severity::High) >= 1, "{a:?}");
    assert!(a.worst[0].contains(" at deploy/settings.py:"), "{a:?}");
}

/// A log written to the schema, one result for each rule of the mapping.
fn mapping_log() -> serde_json::Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "checker", "rules": [
                {"id": "R0", "defaultConfiguration": {"level": "error"}},
                {"id": "R1", "properties": {"security-severity": "9.8"}},
                {"id": "R2", "defaultConfiguration": {"level": "note"}},
            ]}},
            "versionControlProvenance": [{
                "repositoryUri": "https://example.invalid/repo.git",
                "revisionId": "0123456789ABCDEF0123456789ABCDEF01234567",
            }],
            "results": [
                // The rule's default level, found by index: high.
                {"ruleId": "R0", "ruleIndex": 0, "message": {"text": "a"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.c"}, "region": {"startLine": 3}}}]},
                // The rule's security-severity, found by id: critical.
                {"ruleId": "R1", "message": {"text": "b"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/b.c"}, "region": {"startLine": 7}}}]},
                // The result's own security-severity beats its level: low.
                {"ruleId": "R0", "level": "error", "properties": {"security-severity": "2.0"}, "message": {"text": "c"}},
                // The result's level beats the rule's default: medium.
                {"ruleId": "R2", "level": "warning", "message": {"text": "d"}},
                // The rule's default: note.
                {"ruleId": "R2", "message": {"text": "e"}},
                // No level anywhere: SARIF's default, warning: medium.
                {"ruleId": "unknown", "message": {"text": "f"}},
                // Numbers are read too: 7.0 is high.
                {"ruleId": "R0", "properties": {"security-severity": 7.0}, "message": {"text": "g"}},
                // Not counted: level none, a pass, a fixed result.
                {"ruleId": "R0", "level": "none", "message": {"text": "h"}},
                {"ruleId": "R0", "kind": "pass", "level": "none", "message": {"text": "i"}},
                {"ruleId": "R1", "baselineState": "absent", "message": {"text": "j"}},
                // Suppressed: counted apart; a rejected suppression does not suppress.
                {"ruleId": "R1", "message": {"text": "k"}, "suppressions": [{"kind": "inSource"}]},
                {"ruleId": "R1", "message": {"text": "l"}, "suppressions": [{"kind": "external", "status": "accepted"}]},
                {"ruleId": "R2", "message": {"text": "m"}, "suppressions": [{"kind": "external", "status": "rejected"}]},
            ],
        }, {
            "tool": {"driver": {"name": "second"}},
            "results": [{"ruleId": "S", "level": "error", "message": {"text": "n"}}],
        }],
    })
}

#[test]
fn each_rule_of_the_severity_mapping() {
    let bytes = serde_json::to_vec(&mapping_log()).unwrap();
    assert_valid_sarif(&bytes);
    let evidence = sarif(&bytes);
    let a = analysis_of(&evidence);
    assert_eq!(a.tools, ["checker", "second"]);
    // note: e, m; low: c; medium: d, f; high: a, g, n; critical: b.
    assert_eq!(a.by_severity, [2, 1, 2, 3, 1], "{a:?}");
    assert_eq!(a.suppressed, 2);
    assert_eq!(a.worst, ["R1 at src/b.c:7"]);
    assert_eq!(
        evidence.commit.as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
}

#[test]
fn other_versions_and_malformed_logs_are_refused_with_their_place() {
    let mut old = mapping_log();
    old["version"] = json!("2.0.0");
    let error = read(
        Some(EvidenceKind::Sarif),
        &serde_json::to_vec(&old).unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        error.message,
        "$.version: SARIF version \"2.0.0\" is not supported"
    );
    assert!(error.help.is_some());

    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"version": "2.1.0"}), "$.runs is missing"),
        (json!({"runs": []}), "$.version is missing"),
        (
            json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [{"level": "fatal", "message": {"text": "x"}}]}]}),
            "$.runs[0].results[0].level: \"fatal\" is not a SARIF level",
        ),
        (
            json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [{"ruleIndex": 4, "message": {"text": "x"}}]}]}),
            "$.runs[0].results[0].ruleIndex: 4 is past the 0 rules",
        ),
        (
            json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [{"properties": {"security-severity": "high"}, "message": {"text": "x"}}]}]}),
            "$.runs[0].results[0].properties.security-severity: \"high\" is not a score",
        ),
        (
            json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "versionControlProvenance": [{"repositoryUri": "u", "revisionId": "abc123"}]}]}),
            "$.runs[0].versionControlProvenance[0].revisionId: \"abc123\" is not a full commit id",
        ),
    ];
    for (log, expected) in cases {
        let error = read(
            Some(EvidenceKind::Sarif),
            &serde_json::to_vec(&log).unwrap(),
        )
        .unwrap_err();
        assert!(error.message.starts_with(expected), "{log}: {error}");
    }
    let error = read(
        Some(EvidenceKind::Sarif),
        b"{\"version\": \"2.1.0\",\n \"runs\": [}",
    )
    .unwrap_err();
    assert!(error.message.contains("line 2 column"), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = read(Some(EvidenceKind::Sarif), &bytes) {
            assert_names_place(&e);
        }
    }

    #[test]
    fn truncated_logs_are_errors_that_name_a_place(cut in 0..serde_json::to_vec(&mapping_log()).unwrap().len()) {
        let bytes = serde_json::to_vec(&mapping_log()).unwrap();
        let error = read(Some(EvidenceKind::Sarif), &bytes[..cut]).unwrap_err();
        assert_names_place(&error);
    }

    #[test]
    fn mutated_logs_never_panic(seed in any::<u64>(), byte in any::<u8>()) {
        let mut bytes = serde_json::to_vec_pretty(&mapping_log()).unwrap();
        let at = (seed % bytes.len() as u64) as usize;
        bytes[at] = byte;
        if let Err(e) = read(Some(EvidenceKind::Sarif), &bytes) {
            assert_names_place(&e);
        }
    }
}

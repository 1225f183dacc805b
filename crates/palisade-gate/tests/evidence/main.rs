//! The evidence readers against real output of the tools that write it: pytest,
//! cargo-nextest, jest-junit, bandit, clippy-sarif and palisade scan, plus
//! Surefire's documented format; and against bad input of every kind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod approvals;
mod junit;
mod pull_request;
mod read_path;
mod reviews;
mod sarif;
mod scan;
mod sniff;

use std::path::Path;
use std::process::{Command, Output};

use palisade_gate::evidence::{
    AnalysisSummary, Evidence, EvidenceError, EvidenceKind, Facts, TestSummary,
};

/// Reads `bytes` as `kind` with no signers.
fn read(kind: Option<EvidenceKind>, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    palisade_gate::evidence::read("input", bytes, kind, &[])
}

fn tests_of(evidence: &Evidence) -> &TestSummary {
    match &evidence.facts {
        Facts::Tests(t) => t,
        other => panic!("not test results: {other:?}"),
    }
}

fn analysis_of(evidence: &Evidence) -> &AnalysisSummary {
    match &evidence.facts {
        Facts::Analysis(a) => a,
        other => panic!("not analysis results: {other:?}"),
    }
}

/// Runs `command`, which may fail (a test run with a failing test does), and
/// says what it printed when it cannot start.
fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    if !output.status.success() {
        eprintln!(
            "{command:?} exited with {}:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

/// The SARIF 2.1.0 schema, compiled, or `None` (skipping) without the shared data.
fn sarif_schema() -> Option<jsonschema::Validator> {
    let dir = palisade_test_support::testdata("sarif")?;
    let schema = std::fs::read(dir.join("sarif-schema-2.1.0.json")).expect("the schema");
    let schema: serde_json::Value = serde_json::from_slice(&schema).expect("schema JSON");
    Some(jsonschema::validator_for(&schema).expect("the schema compiles"))
}

/// Asserts `bytes` are valid SARIF 2.1.0 when the schema is at hand.
fn assert_valid_sarif(bytes: &[u8]) {
    let Some(validator) = sarif_schema() else {
        return;
    };
    let log: serde_json::Value = serde_json::from_slice(bytes).expect("SARIF is JSON");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
}

/// Asserts an error names a place: a line, a byte or a JSON path.
fn assert_names_place(error: &EvidenceError) {
    let m = &error.message;
    assert!(
        m.contains("line ") || m.contains('$'),
        "the error names no place: {m}"
    );
}

fn write(dir: &Path, path: &str, contents: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

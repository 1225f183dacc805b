//! Evidence reader: a `palisade scan --format json` report.
//!
//! The summary counts the findings and, of them, the secrets, and names the first
//! few by rule and place: the report itself never holds a secret, and neither does
//! the summary. A tree scan of a work tree with uncommitted changes to tracked files
//! (`"dirty": true`) was not a scan of its commit, so it vouches for none.

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{
    Evidence, EvidenceError, EvidenceKind, Facts, LISTED, ScanSummary, digest, full_commit,
};

/// Reads a scan report.
///
/// # Errors
///
/// [`EvidenceError`] when the bytes are not a scan report (with the line and
/// column of what is wrong), or its commit is not a full commit id.
pub fn read(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    let report: Report = serde_json::from_slice(bytes).map_err(|e| {
        EvidenceError::new(source, format!("not a palisade scan report: {e}"))
            .help("write it with `palisade scan --format json`")
    })?;
    let commit = match &report.commit {
        Some(c) => Some(full_commit(c).ok_or_else(|| {
            EvidenceError::new(source, format!("$.commit: {c:?} is not a full commit id"))
        })?),
        None => None,
    };
    let dirty = report.dirty.unwrap_or(false);
    let summary = ScanSummary {
        findings: report.findings.len() as u64,
        secrets: report
            .findings
            .iter()
            .filter(|f| f.kind == "secret")
            .count() as u64,
        first: report
            .findings
            .iter()
            .take(LISTED)
            .map(|f| format!("{} at {}:{}", f.rule, f.path, f.line))
            .collect(),
        dirty,
    };
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Scan,
        digest: digest(bytes),
        commit: if dirty { None } else { commit },
        facts: Facts::Scan(summary),
    })
}

/// The parts of the report the summary uses.
#[derive(Deserialize)]
struct Report {
    findings: Vec<Finding>,
    // Required, so that some other JSON with a `findings` array is not taken for a report.
    #[allow(dead_code)]
    stats: IgnoredAny,
    commit: Option<String>,
    dirty: Option<bool>,
}

#[derive(Deserialize)]
struct Finding {
    rule: String,
    kind: String,
    path: String,
    line: u64,
}

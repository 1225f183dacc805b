//! Baselines: the fingerprints of findings accepted once, written by
//! `palisade scan --write-baseline` and read by later scans.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SetupError;
use crate::scan::Report;

/// A baseline file: the fingerprints of findings accepted once, sorted, so that it only
/// changes when findings are added or removed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version, 1.
    pub version: u32,
    /// The accepted findings.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// Its fingerprint (rule, path, secret digest).
    pub fingerprint: String,
    /// The rule, for people reading the file.
    pub rule: String,
    /// The path, for people reading the file.
    pub path: String,
}

/// The baseline of a report, as the JSON text to write.
pub fn baseline_of(report: &Report) -> String {
    let mut findings: Vec<BaselineEntry> = report
        .findings
        .iter()
        .map(|f| BaselineEntry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            path: f.path.clone(),
        })
        .collect();
    findings.sort();
    findings.dedup();
    let baseline = Baseline {
        version: 1,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&baseline).unwrap_or_default();
    text.push('\n');
    text
}

/// The fingerprints in a baseline file.
///
/// # Errors
///
/// [`SetupError::Baseline`] when the file cannot be read or is not a baseline.
pub fn read_baseline(path: &Path) -> Result<HashSet<String>, SetupError> {
    load(path).map_err(|message| SetupError::Baseline {
        path: path.display().to_string(),
        message,
    })
}

/// The fingerprints in a baseline file, or what is wrong with it and how to fix it.
pub(super) fn load(path: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot be read ({e}); create it with `palisade scan --write-baseline {}`",
            path.display()
        )
    })?;
    let baseline: Baseline =
        serde_json::from_str(&text).map_err(|e| format!("is not a palisade baseline: {e}"))?;
    if baseline.version != 1 {
        return Err(format!(
            "has version {}, this palisade reads version 1",
            baseline.version
        ));
    }
    Ok(baseline
        .findings
        .into_iter()
        .map(|f| f.fingerprint)
        .collect())
}

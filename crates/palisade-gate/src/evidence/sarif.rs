//! Evidence reader: SARIF 2.1.0 static-analysis results, from any scanner.
//!
//! Each result is counted once at a severity on the model's scale:
//!
//! 1. a CVSS-like `security-severity` property (GitHub code scanning's), on the
//!    result or else on its rule: 9 and up critical, 7 high, 4 medium, above 0 low,
//!    0 note;
//! 2. else the result's `level`, else its rule's `defaultConfiguration.level`, else
//!    SARIF's default `warning`: `error` high, `warning` medium, `note` note, and
//!    `none` not counted.
//!
//! Not counted either: results whose `kind` says they are not a failure (`pass`,
//! `open`, `review`, `informational`, `notApplicable`), results a baseline
//! comparison marks `absent` (fixed since), and suppressed results (a non-empty
//! `suppressions` none of which is `underReview` or `rejected`), which
//! [`AnalysisSummary::suppressed`] counts. The commit is the runs'
//! `versionControlProvenance[].revisionId`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{
    AnalysisSummary, Evidence, EvidenceError, EvidenceKind, Facts, LISTED, Severity, digest,
    full_commit,
};

/// Reads a SARIF 2.1.0 log.
///
/// # Errors
///
/// [`EvidenceError`] when the bytes are not JSON (with the line and column), the
/// log is another SARIF version, or a value the counts depend on is malformed
/// (with its JSON path).
pub fn read(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    // The version first, so that a SARIF 2.0 log is told so rather than failing on
    // some field 2.1.0 renamed.
    let head: Head = serde_json::from_slice(bytes)
        .map_err(|e| EvidenceError::new(source, format!("not valid SARIF JSON: {e}")))?;
    match head.version {
        Some(Value::String(v)) if v == "2.1.0" => {}
        Some(other) => {
            return Err(EvidenceError::new(
                source,
                format!("$.version: SARIF version {other} is not supported"),
            )
            .help("write SARIF 2.1.0 (the version GitHub code scanning and most tools use)"));
        }
        None => {
            return Err(EvidenceError::new(
                source,
                "$.version is missing: not a SARIF log",
            ));
        }
    }
    let log: Log = serde_json::from_slice(bytes)
        .map_err(|e| EvidenceError::new(source, format!("not valid SARIF 2.1.0: {e}")))?;
    let Some(runs) = log.runs else {
        return Err(EvidenceError::new(
            source,
            "$.runs is missing: not a SARIF log",
        ));
    };
    let mut summary = AnalysisSummary::default();
    let mut commit: Option<(String, String)> = None;
    let mut worst_at: Option<Severity> = None;
    for (r, run) in runs.iter().enumerate() {
        let driver = &run.tool.driver;
        if !summary.tools.contains(&driver.name) {
            summary.tools.push(driver.name.clone());
        }
        for (v, provenance) in run.version_control_provenance.iter().enumerate() {
            let path = format!("$.runs[{r}].versionControlProvenance[{v}].revisionId");
            let Some(revision) = &provenance.revision_id else {
                continue;
            };
            let Some(id) = full_commit(revision) else {
                return Err(EvidenceError::new(
                    source,
                    format!("{path}: {revision:?} is not a full commit id"),
                ));
            };
            match &commit {
                Some((first, at)) if *first != id => {
                    return Err(EvidenceError::new(
                        source,
                        format!("{path}: commit {id} contradicts {at}, which says {first}"),
                    ));
                }
                Some(_) => {}
                None => commit = Some((id, path)),
            }
        }
        let by_id: HashMap<&str, usize> = driver
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| Some((rule.id.as_deref()?, i)))
            .collect();
        for (i, result) in run.results.iter().flatten().enumerate() {
            let path = format!("$.runs[{r}].results[{i}]");
            let rule = rule_of(result, &driver.rules, &by_id)
                .map_err(|m| EvidenceError::new(source, format!("{path}.{m}")))?;
            let Some(severity) = severity(result, rule)
                .map_err(|m| EvidenceError::new(source, format!("{path}.{m}")))?
            else {
                continue;
            };
            if result.suppressed() {
                summary.suppressed += 1;
                continue;
            }
            summary.by_severity[index(severity)] += 1;
            match worst_at {
                Some(worst) if worst > severity => {}
                Some(worst) if worst == severity => {
                    if summary.worst.len() < LISTED {
                        summary.worst.push(describe(result, rule));
                    }
                }
                _ => {
                    worst_at = Some(severity);
                    summary.worst = vec![describe(result, rule)];
                }
            }
        }
    }
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Sarif,
        digest: digest(bytes),
        commit: commit.map(|(id, _)| id),
        facts: Facts::Analysis(summary),
    })
}

/// The position of `severity` in [`AnalysisSummary::by_severity`].
fn index(severity: Severity) -> usize {
    match severity {
        Severity::Note => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// The result's rule in the driver's rules, by index or else by id; `None` when the
/// driver does not describe it.
fn rule_of<'r>(
    result: &SarifResult,
    rules: &'r [Rule],
    by_id: &HashMap<&str, usize>,
) -> Result<Option<&'r Rule>, String> {
    let index = result
        .rule_index
        .or(result.rule.as_ref().and_then(|r| r.index))
        .filter(|&i| i >= 0);
    if let Some(i) = index {
        return usize::try_from(i)
            .ok()
            .and_then(|i| rules.get(i))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "ruleIndex: {i} is past the {} rules of tool.driver.rules",
                    rules.len()
                )
            });
    }
    Ok(result
        .rule_id()
        .and_then(|id| by_id.get(id))
        .map(|&i| &rules[i]))
}

/// The result's severity; `None` when it is not counted.
fn severity(result: &SarifResult, rule: Option<&Rule>) -> Result<Option<Severity>, String> {
    if let Some(kind) = &result.kind
        && kind != "fail"
    {
        return Ok(None);
    }
    if result.baseline_state.as_deref() == Some("absent") {
        return Ok(None);
    }
    let from_result = result
        .properties
        .as_ref()
        .and_then(|p| p.security_severity.as_ref());
    let from_rule = rule
        .and_then(|r| r.properties.as_ref())
        .and_then(|p| p.security_severity.as_ref());
    if let Some((value, at)) = from_result
        .map(|v| (v, "properties.security-severity"))
        .or(from_rule.map(|v| (v, "rule's properties.security-severity")))
    {
        let score = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("{at}: {value} is not a score from 0 to 10"))?;
        return Ok(Some(match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Note,
        }));
    }
    let (level, at) = match (&result.level, rule.and_then(|r| r.default_level())) {
        (Some(level), _) => (level.as_str(), "level"),
        (None, Some(level)) => (level, "rule's defaultConfiguration.level"),
        (None, None) => ("warning", "level"),
    };
    match level {
        "error" => Ok(Some(Severity::High)),
        "warning" => Ok(Some(Severity::Medium)),
        "note" => Ok(Some(Severity::Note)),
        "none" => Ok(None),
        other => Err(format!(
            "{at}: {other:?} is not a SARIF level (none, note, warning, error)"
        )),
    }
}

/// `rule at path:line`, as far as the result says.
fn describe(result: &SarifResult, rule: Option<&Rule>) -> String {
    let id = result
        .rule_id()
        .or(rule.and_then(|r| r.id.as_deref()))
        .unwrap_or("(no rule)");
    let place = result
        .locations
        .first()
        .and_then(|l| l.physical_location.as_ref());
    let uri = place
        .and_then(|p| p.artifact_location.as_ref())
        .and_then(|a| a.uri.as_deref());
    let line = place
        .and_then(|p| p.region.as_ref())
        .and_then(|r| r.start_line);
    match (uri, line) {
        (Some(uri), Some(line)) => format!("{id} at {uri}:{line}"),
        (Some(uri), None) => format!("{id} at {uri}"),
        _ => id.to_owned(),
    }
}

/// Just enough of a log to check its version.
#[derive(Deserialize)]
struct Head {
    version: Option<Value>,
}

/// The parts of a SARIF log the counts depend on; serde skips the rest unread.
#[derive(Deserialize)]
struct Log {
    runs: Option<Vec<Run>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    /// `null` or missing: the tool did not run to completion.
    #[serde(default)]
    results: Option<Vec<SarifResult>>,
    #[serde(default)]
    version_control_provenance: Vec<Provenance>,
}

#[derive(Deserialize)]
struct Tool {
    driver: Driver,
}

#[derive(Deserialize)]
struct Driver {
    name: String,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: Option<String>,
    default_configuration: Option<Configuration>,
    properties: Option<Properties>,
}

impl Rule {
    fn default_level(&self) -> Option<&str> {
        self.default_configuration.as_ref()?.level.as_deref()
    }
}

#[derive(Deserialize)]
struct Configuration {
    level: Option<String>,
}

#[derive(Deserialize)]
struct Properties {
    #[serde(rename = "security-severity")]
    security_severity: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Provenance {
    revision_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: Option<String>,
    rule_index: Option<i64>,
    rule: Option<RuleReference>,
    level: Option<String>,
    kind: Option<String>,
    baseline_state: Option<String>,
    properties: Option<Properties>,
    suppressions: Option<Vec<Suppression>>,
    #[serde(default)]
    locations: Vec<Location>,
}

impl SarifResult {
    fn rule_id(&self) -> Option<&str> {
        self.rule_id
            .as_deref()
            .or(self.rule.as_ref().and_then(|r| r.id.as_deref()))
    }

    /// Suppressed: a suppression, and none still under review or rejected.
    fn suppressed(&self) -> bool {
        match &self.suppressions {
            Some(all) if !all.is_empty() => all
                .iter()
                .all(|s| !matches!(s.status.as_deref(), Some("underReview" | "rejected"))),
            _ => false,
        }
    }
}

#[derive(Deserialize)]
struct RuleReference {
    id: Option<String>,
    index: Option<i64>,
}

#[derive(Deserialize)]
struct Suppression {
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Option<PhysicalLocation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Deserialize)]
struct ArtifactLocation {
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: Option<u64>,
}

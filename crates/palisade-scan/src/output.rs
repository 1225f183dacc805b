//! Renderings of a scan report: for people (with colour), JSON Lines, SARIF 2.1.0 and
//! GitHub Actions annotations. None of them can show a secret: findings only carry
//! its redacted form and digest.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::finding::{Finding, Group};
use crate::rules::Severity;
use crate::scan::Report;

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Whether to colour.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        self.paint(code, severity.as_str())
    }
}

/// The report for a terminal: each finding with its line (secret redacted), then a
/// summary.
pub fn human(report: &Report, style: Style, elapsed_secs: f64) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}:{}:{}  {}  {}  {}",
            style.paint("1", &f.path),
            f.line,
            f.column,
            style.severity(f.severity),
            style.paint("1", &f.rule),
            f.name
        );
        let number = f.line.to_string();
        let _ = writeln!(
            out,
            "  {} {} {}",
            style.paint("2", &number),
            style.paint("2", "|"),
            f.context
        );
        let pad = " ".repeat(number.len());
        let mut detail = format!("secret {}  sha256 {}…", f.redacted, f.digest);
        if let Some(intro) = &f.introduced {
            let _ = write!(
                detail,
                "  introduced in {} by {} on {}",
                &intro.commit[..intro.commit.len().min(12)],
                intro.author,
                intro.date
            );
        }
        if let Some(placement) = f.placement {
            let _ = write!(detail, "  in {}", placement.as_str());
        }
        let _ = writeln!(
            out,
            "  {pad} {} {}",
            style.paint("2", "="),
            style.paint("2", &detail)
        );
        if let Some(group) = &f.group {
            let _ = writeln!(
                out,
                "  {pad} {} {}",
                style.paint("2", "="),
                style.paint("2", &places(group))
            );
            for l in group.locations.iter().take(HUMAN_LOCATIONS) {
                let mut line = format!(
                    "{}:{}  blob {}",
                    l.path,
                    l.line,
                    &l.blob[..l.blob.len().min(12)]
                );
                if let Some(intro) = &l.introduced {
                    let _ = write!(
                        line,
                        "  introduced in {}",
                        &intro.commit[..intro.commit.len().min(12)]
                    );
                }
                if l.later_versions > 0 {
                    let _ = write!(line, " (+{} later versions)", l.later_versions);
                }
                let _ = writeln!(out, "  {pad}     {}", style.paint("2", &line));
            }
            let more = group
                .location_count
                .saturating_sub(HUMAN_LOCATIONS.min(group.locations.len()) as u64);
            if more > 0 {
                let _ = writeln!(
                    out,
                    "  {pad}     {}",
                    style.paint("2", &format!("and {more} more (see --format json)"))
                );
            }
        }
        out.push('\n');
    }
    out.push_str(&summary(report, elapsed_secs));
    out.push('\n');
    out
}

/// Places of a grouped finding the human output lists; the rest are counted.
pub const HUMAN_LOCATIONS: usize = 3;

/// `found at 2 paths, in 57 blobs`.
fn places(group: &Group) -> String {
    let paths = match group.location_count {
        1 => "1 path".to_owned(),
        n => format!("{n} paths"),
    };
    let blobs = match group.blob_count {
        1 => "1 blob".to_owned(),
        n => format!("{n} blobs"),
    };
    format!("found at {paths}, in {blobs} (versions of files)")
}

/// One line: how many findings of which severity, what was scanned, what was dropped.
pub fn summary(report: &Report, elapsed_secs: f64) -> String {
    let mut by_severity: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_severity
            .entry(std::cmp::Reverse(f.severity))
            .or_default() += 1;
    }
    let n = report.findings.len();
    let mut line = match n {
        0 => "no findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    };
    if n > 0 {
        let parts: Vec<String> = by_severity
            .iter()
            .map(|(s, c)| format!("{c} {}", s.0.as_str()))
            .collect();
        let _ = write!(line, " ({})", parts.join(", "));
    }
    if report.findings.iter().any(|f| f.group.is_some()) {
        let (places, blobs) = totals(report);
        let _ = write!(line, " at {places} places in {blobs} blobs,");
    }
    let s = &report.stats;
    let mb = s.bytes as f64 / 1e6;
    let _ = write!(
        line,
        " in {} files ({mb:.1} MB, {elapsed_secs:.2} s)",
        s.files
    );
    if !report.skipped.is_empty() {
        let _ = write!(
            line,
            "; {} skipped (see --format json)",
            report.skipped.len()
        );
    }
    let suppressed = s.suppressed_inline + s.suppressed_allowlist + s.suppressed_baseline;
    if suppressed > 0 {
        let _ = write!(
            line,
            "; {suppressed} suppressed ({} inline, {} allowlist, {} baseline)",
            s.suppressed_inline, s.suppressed_allowlist, s.suppressed_baseline
        );
    }
    if s.below_min_severity > 0 {
        let _ = write!(line, "; {} below --min-severity", s.below_min_severity);
    }
    line
}

/// Places and blobs of all findings: a grouped finding counts its own, any other one
/// place (and one blob).
pub fn totals(report: &Report) -> (u64, u64) {
    report.findings.iter().fold((0, 0), |(places, blobs), f| {
        let (p, b) = f
            .group
            .as_ref()
            .map_or((1, 1), |g| (g.location_count, g.blob_count));
        (places + p, blobs + b)
    })
}

/// One JSON object per finding, one per line.
pub fn jsonl(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if let Ok(line) = serde_json::to_string(f) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The SARIF level of a severity.
fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// A SARIF 2.1.0 log with one run: the rules that fired and one result per finding.
pub fn sarif(report: &Report, tool_version: &str) -> Value {
    let mut rules: Vec<&Finding> = Vec::new();
    for f in &report.findings {
        if !rules.iter().any(|r| r.rule == f.rule) {
            rules.push(f);
        }
    }
    let rule_index = |id: &str| rules.iter().position(|r| r.rule == id).unwrap_or(0);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut properties = json!({
                "kind": f.kind.as_str(),
                "severity": f.severity.as_str(),
                "redacted": f.redacted,
                "sha256Prefix": f.digest,
            });
            if let Some(intro) = &f.introduced {
                properties["introducedBy"] = json!(intro);
            }
            if let Some(placement) = f.placement {
                properties["placement"] = json!(placement.as_str());
            }
            let mut message = format!("{} ({}) found: {}", f.name, f.severity.as_str(), f.redacted);
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index(&f.rule),
                "level": sarif_level(f.severity),
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "snippet": {"text": f.context},
                        }
                    }
                }],
                "partialFingerprints": {"palisade/v1": f.fingerprint},
            });
            if let Some(group) = &f.group {
                properties["locationCount"] = json!(group.location_count);
                properties["blobCount"] = json!(group.blob_count);
                let _ = write!(message, "; {}", places(group));
                // The first place is the result's location; the others are related.
                let related: Vec<Value> = group
                    .locations
                    .iter()
                    .filter(|l| !(l.path == f.path && l.line == f.line))
                    .enumerate()
                    .map(|(i, l)| {
                        let mut text = format!("also in blob {}", l.blob);
                        if let Some(intro) = &l.introduced {
                            let _ = write!(text, ", introduced by commit {}", intro.commit);
                        }
                        if l.later_versions > 0 {
                            let _ = write!(text, ", and {} later versions", l.later_versions);
                        }
                        json!({
                            "id": i + 1,
                            "physicalLocation": {
                                "artifactLocation": {"uri": l.path},
                                "region": {"startLine": l.line, "startColumn": l.column},
                            },
                            "message": {"text": text},
                        })
                    })
                    .collect();
                if !related.is_empty() {
                    result["relatedLocations"] = json!(related);
                }
            }
            result["message"] = json!({ "text": message });
            result["properties"] = properties;
            result
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|f| {
            json!({
                "id": f.rule,
                "name": f.name,
                "shortDescription": {"text": f.name},
                "defaultConfiguration": {"level": sarif_level(f.severity)},
                "properties": {"kind": f.kind.as_str(), "security-severity": security_severity(f.severity)},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "palisade",
                "informationUri": "https://example.invalid/palisade",
                "version": tool_version,
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

/// GitHub's code-scanning severity score for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// GitHub Actions workflow commands: one annotation per finding, then a notice with
/// the summary.
pub fn github(report: &Report, elapsed_secs: f64) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        let _ = writeln!(
            out,
            "::{level} file={},line={},endLine={},col={},title={}::{}",
            escape_property(&f.path),
            f.line,
            f.end_line,
            f.column,
            escape_property(&format!("{} ({})", f.name, f.rule)),
            escape_data(&match &f.group {
                Some(group) => format!(
                    "{} found: {} (sha256 {}…), first here; {}",
                    f.name,
                    f.redacted,
                    f.digest,
                    places(group)
                ),
                None => format!("{} found: {} (sha256 {}…)", f.name, f.redacted, f.digest),
            })
        );
    }
    let _ = writeln!(
        out,
        "::notice title=palisade scan::{}",
        escape_data(&summary(report, elapsed_secs))
    );
    out
}

/// Escapes a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

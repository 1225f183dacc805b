//! The `scan.summary` ledger event: what a scan saw, as counts and, per finding, its rule,
//! path, fingerprint and digest (and, for a history or range scan's grouped finding, how
//! many paths and blobs hold it: `findings` counts groups, `locations` their places).
//! Never a secret: the event is built from findings only.

use palisade_ledger::ledger::Event;
use serde_json::json;

use crate::scan::Report;

/// The ledger kind of a scan summary.
pub const KIND: &str = "scan.summary";

/// Which source a scan read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A working tree (or some of its files and directories).
    Tree,
    /// Bytes the caller read (standard input).
    Stdin,
    /// The staged change.
    Staged,
    /// Every blob of the history.
    History,
    /// The blobs a range of commits introduces.
    Range,
}

impl Mode {
    /// The name recorded in the event, e.g. `history`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tree => "tree",
            Mode::Stdin => "stdin",
            Mode::Staged => "staged",
            Mode::History => "history",
            Mode::Range => "range",
        }
    }
}

/// Who ran a scan, on what, and when: what the event says besides the report.
#[derive(Debug, Clone)]
pub struct Context {
    /// The source scanned.
    pub mode: Mode,
    /// What was scanned: a service, a repository, a path.
    pub subject: String,
    /// Who ran the scan.
    pub actor: String,
    /// When it ran (the caller's clock).
    pub time: jiff::Timestamp,
}

/// The `scan.summary` event of `report`.
pub fn event(report: &Report, context: Context) -> Event {
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "rule": f.rule,
                "kind": f.kind.as_str(),
                "severity": f.severity.as_str(),
                "path": f.path,
                "fingerprint": f.fingerprint,
                "sha256_prefix": f.digest,
            });
            if let Some(group) = &f.group {
                result["locations"] = json!(group.location_count);
                result["blobs"] = json!(group.blob_count);
            }
            result
        })
        .collect();
    let (locations, blobs) = crate::output::totals(report);
    Event {
        time: context.time,
        actor: context.actor,
        kind: KIND.to_owned(),
        subject: context.subject,
        data: json!({
            "mode": context.mode.as_str(),
            "files": report.stats.files,
            "bytes": report.stats.bytes,
            "findings": report.findings.len(),
            "locations": locations,
            "blobs": blobs,
            "suppressed": {
                "inline": report.stats.suppressed_inline,
                "allowlist": report.stats.suppressed_allowlist,
                "baseline": report.stats.suppressed_baseline,
            },
            "below_min_severity": report.stats.below_min_severity,
            "skipped": report.skipped.len(),
            "results": results,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::rules::{RuleKind, Severity};

    #[test]
    fn the_event_holds_counts_and_fingerprints_never_the_secret() {
        let mut report = Report::default();
        report.stats.files = 3;
        report.stats.suppressed_baseline = 2;
        report.findings.push(Finding {
            rule: "github-pat-classic".to_owned(),
            name: "GitHub personal access token (classic)".to_owned(),
            kind: RuleKind::Secret,
            severity: Severity::Critical,
            path: "app/config.py".to_owned(),
            line: 2,
            column: 11,
            end_line: 2,
            redacted: "ghp_q7…(40)".to_owned(),
            digest: "5c1f0a9e2b7d3c48".to_owned(),
            fingerprint: "github-pat-classic:0123456789abcdef01234567".to_owned(),
            context: "GITHUB = \"ghp_q7…(40)\"".to_owned(),
            introduced: None,
            placement: None,
            group: None,
        });
        let time = jiff::Timestamp::from_second(1_767_225_600).expect("a time");
        let event = event(
            &report,
            Context {
                mode: Mode::History,
                subject: "payments-api".to_owned(),
                actor: "ci".to_owned(),
                time,
            },
        );
        assert_eq!(
            (
                event.kind.as_str(),
                event.subject.as_str(),
                event.actor.as_str()
            ),
            (KIND, "payments-api", "ci")
        );
        assert_eq!(event.time, time);
        assert_eq!(event.data["mode"], "history");
        assert_eq!(event.data["files"], 3);
        assert_eq!(event.data["findings"], 1);
        assert_eq!(event.data["suppressed"]["baseline"], 2);
        let result = &event.data["results"][0];
        assert_eq!(result["fingerprint"], report.findings[0].fingerprint);
        assert_eq!(result["sha256_prefix"], "5c1f0a9e2b7d3c48");
        assert!(result.get("redacted").is_none() && result.get("context").is_none());
    }
}

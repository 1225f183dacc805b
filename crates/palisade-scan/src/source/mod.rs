//! Whole scans, one function per source of buffers: a working tree ([`scan_tree`]), the
//! staged change ([`scan_staged`]), the blobs of a range of commits ([`scan_range`]) or of
//! the whole history ([`scan_history`]), and bytes the caller has read ([`scan_bytes`],
//! standard input).
//!
//! Each takes its settings in one struct and a [`Progress`] to tell, and returns the
//! finished [`Report`]: findings placed and sorted, what was skipped and why, and the
//! least severity applied. Nothing here prints, reads the clock or looks at the
//! environment: the caller shows progress, times the scan and picks the current
//! directory.

mod history;
mod staged;
mod tree;

use std::path::PathBuf;

pub use history::{HistoryScan, LISTED_BINARY_BLOBS, scan_history, scan_range};
pub use staged::{StagedScan, scan_staged};
pub use tree::{TreeScan, scan_tree};

use crate::finding::{self, Finding};
use crate::git::GitError;
use crate::rules::{RuleKind, Severity};
use crate::scan::{Buffer, Report, ScanConfig};
use crate::setup::SetupError;

/// Told as a scan reads files or blobs, from every thread that reads them.
pub trait Progress: Sync {
    /// `files` more files (or blobs) were read, `bytes` bytes in all.
    fn advance(&self, files: u64, bytes: u64);
}

/// No progress to tell.
impl Progress for () {
    fn advance(&self, _files: u64, _bytes: u64) {}
}

/// Why a scan could not run at all. What it could not read on the way (a file, a blob)
/// is not an error: it is listed in [`Report::skipped`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// A path to scan does not exist.
    #[error("{} does not exist", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The scan could not be set up (rules, the model's `[scan]` table, the baseline).
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The repository could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Scans `data`, reported under the path `name` (standard input, a pasted file).
pub fn scan_bytes(
    config: &ScanConfig,
    name: &str,
    data: &[u8],
    min_severity: Option<Severity>,
) -> Report {
    let mut report = Report::default();
    config.scan_buffer(Buffer::whole(name, data), data.len(), &mut report);
    report.stats.files = 1;
    report.stats.bytes = data.len() as u64;
    finish(&mut report, config, min_severity);
    report
}

/// Ranks transport findings in tests and documentation down to low severity, marking
/// where they sit: they show a setting, they do not turn protection off. (Code that turns
/// it off only behind a user's setting is told apart by its own rules.) Grouped findings
/// were ranked place by place before grouping.
pub(crate) fn rank_transport(findings: &mut [Finding]) {
    for f in findings {
        if f.kind != RuleKind::Transport || f.group.is_some() || f.placement.is_some() {
            continue;
        }
        if let Some(placement) = finding::placement(&f.path) {
            f.placement = Some(placement);
            f.severity = Severity::Low;
        }
    }
}

/// Ranks transport findings ([`rank_transport`]), puts the report in its stable order and
/// leaves out what is below the least severity: `min_severity`, else the model's
/// (`scan.min_severity`), else nothing.
fn finish(report: &mut Report, config: &ScanConfig, min_severity: Option<Severity>) {
    rank_transport(&mut report.findings);
    report.sort();
    report.keep_severity_at_least(
        min_severity
            .or(config.min_severity)
            .unwrap_or(Severity::Low),
    );
}

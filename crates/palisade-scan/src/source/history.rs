//! Git history: every unique blob once ([`scan_history`]) or the blobs a range of commits
//! introduces ([`scan_range`]), each finding attributed to the commit that first added it.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Progress, finish};
use crate::finding::Introduced;
use crate::git::{self, GitError, HistoryOptions, HistoryStats, Origin};
use crate::rules::Severity;
use crate::scan::{BINARY, Buffer, Report, ScanConfig, Skipped, is_binary};

/// Binary blobs a history scan lists one by one in [`Report::skipped`]; the rest are
/// counted in one entry.
pub const LISTED_BINARY_BLOBS: u64 = 1000;

/// What [`scan_history`] and [`scan_range`] scan, and how.
#[derive(Debug, Clone, Copy)]
pub struct HistoryScan<'a> {
    /// Rules, allowlists, personal-data paths and the baseline.
    pub config: &'a ScanConfig,
    /// The repository (or a directory inside it).
    pub repo: &'a Path,
    /// Threads that walk the history and scan its blobs; 0: one per core.
    pub threads: usize,
    /// The least severity reported; `None`: the model's, else every finding.
    pub min_severity: Option<Severity>,
}

/// Scans every unique blob reachable from any ref of the repository once (see
/// [`git::history`]). Each finding names the commit, author, date and path that first
/// introduced its blob. Binary blobs are listed as skipped (the first
/// [`LISTED_BINARY_BLOBS`], with the commit that added them; the rest counted), and so
/// are the blobs too large to read and the objects that could not be read.
///
/// # Errors
///
/// [`GitError`] when the repository cannot be opened or its references listed.
pub fn scan_history(scan: &HistoryScan<'_>, progress: &dyn Progress) -> Result<Report, GitError> {
    scan_git(scan, None, progress)
}

/// Scans the blobs the commits of `range` introduce (`A..B`, `A...B` and the other forms
/// of [`git::range`]), as [`scan_history`] scans the whole history.
///
/// # Errors
///
/// [`GitError::Range`] when `range` does not resolve to commits, or as for
/// [`scan_history`].
pub fn scan_range(
    scan: &HistoryScan<'_>,
    range: &str,
    progress: &dyn Progress,
) -> Result<Report, GitError> {
    scan_git(scan, Some(range), progress)
}

/// What the threads that read blobs share.
#[derive(Default)]
struct Totals {
    report: Mutex<Report>,
    /// Blobs scanned, and their bytes.
    files: AtomicU64,
    bytes: AtomicU64,
    /// Binary blobs seen, listed or not.
    binaries: AtomicU64,
}

fn scan_git(
    scan: &HistoryScan<'_>,
    range: Option<&str>,
    progress: &dyn Progress,
) -> Result<Report, GitError> {
    let options = HistoryOptions {
        threads: scan.threads,
        ..HistoryOptions::default()
    };
    let totals = Totals::default();
    let visit = |data: &[u8], origin: &Origin| {
        progress.advance(1, data.len() as u64);
        visit_blob(scan.config, &totals, data, origin);
    };
    let stats = match range {
        Some(spec) => git::range(scan.repo, spec, &options, visit)?,
        None => git::history(scan.repo, &options, visit)?,
    };
    let mut report = totals
        .report
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    report.stats.files = totals.files.into_inner();
    report.stats.bytes = totals.bytes.into_inner();
    list_unscanned(
        &mut report,
        scan.repo,
        totals.binaries.into_inner(),
        stats,
        &options,
    );
    finish(&mut report, scan.config, scan.min_severity);
    Ok(report)
}

/// Scans one blob, from any of the walk's threads.
fn visit_blob(config: &ScanConfig, totals: &Totals, data: &[u8], origin: &Origin) {
    if config.path_allowed(&origin.path) {
        return;
    }
    if is_binary(data) {
        if totals.binaries.fetch_add(1, Ordering::Relaxed) < LISTED_BINARY_BLOBS {
            let reason = match origin.commit.get(..12) {
                Some(commit) => format!("{BINARY}; first committed in {commit}"),
                None => BINARY.to_owned(),
            };
            let skipped = Skipped {
                path: origin.path.clone(),
                reason,
            };
            if let Ok(mut report) = totals.report.lock() {
                report.skipped.push(skipped);
            }
        }
        return;
    }
    totals.files.fetch_add(1, Ordering::Relaxed);
    totals.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
    let mut local = Report::default();
    config.scan_buffer(Buffer::whole(&origin.path, data), data.len(), &mut local);
    if local.findings.is_empty() && local.stats == Default::default() {
        // Most blobs: nothing found, nothing suppressed, no lock taken.
        return;
    }
    // Who introduced the blob is looked up only for the few that have findings.
    let introduced = introduced(origin);
    for finding in &mut local.findings {
        finding.introduced = Some(introduced.clone());
    }
    if let Ok(mut report) = totals.report.lock() {
        report.merge(local);
    }
}

/// The commit, author and date of a blob's origin.
fn introduced(origin: &Origin) -> Introduced {
    Introduced {
        commit: origin.commit.clone(),
        author: origin.author.clone(),
        date: jiff::Timestamp::from_second(origin.time)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    }
}

/// Lists under `skipped` what the walk did not scan and did not list one by one: binary
/// blobs beyond the first [`LISTED_BINARY_BLOBS`], blobs too large to read, and the
/// objects that could not be read.
fn list_unscanned(
    report: &mut Report,
    repo: &Path,
    binaries: u64,
    stats: HistoryStats,
    options: &HistoryOptions,
) {
    let path = repo.display().to_string();
    let mut skip = |reason: String| {
        report.skipped.push(Skipped {
            path: path.clone(),
            reason,
        });
    };
    if binaries > LISTED_BINARY_BLOBS {
        skip(format!(
            "{} more binary blobs (they hold NUL bytes); the first {LISTED_BINARY_BLOBS} are listed",
            binaries - LISTED_BINARY_BLOBS
        ));
    }
    if stats.skipped_large > 0 {
        skip(format!(
            "{} blobs larger than {} MiB were not read",
            stats.skipped_large,
            options.max_blob_bytes >> 20
        ));
    }
    for error in stats.errors {
        skip(error);
    }
}

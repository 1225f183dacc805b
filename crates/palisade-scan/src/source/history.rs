//! Git history: every unique blob once ([`scan_history`]) or the blobs a range of commits
//! introduces ([`scan_range`]), each finding attributed to the commit that first added it.
//!
//! A value stays in every later version of its file, and each version is a blob of its
//! own: reported per blob, one line of code becomes thousands of findings. So findings are
//! grouped by rule and value (the value's digest, never the value): one finding per group,
//! placed where the value was first introduced, listing every path it was found at.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Progress, finish, rank_transport};
use crate::finding::{self, Finding, Group, Introduced, Location, MAX_LOCATIONS};
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
    /// Findings so far, by rule and digest.
    groups: Mutex<HashMap<(String, String), Pending>>,
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
    let groups = totals
        .groups
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    report
        .findings
        .extend(groups.into_values().map(Pending::finish));
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
    if let Some(spec) = range {
        report.commit = git::range_tip(scan.repo, spec)?;
    }
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
    rank_transport(&mut local.findings);
    let findings = std::mem::take(&mut local.findings);
    if let Ok(mut report) = totals.report.lock() {
        report.merge(local);
    }
    // The same value twice in one blob is one place: the first of them (findings come
    // sorted by position).
    let mut seen = HashSet::new();
    let mut groups = match totals.groups.lock() {
        Ok(groups) => groups,
        Err(poisoned) => poisoned.into_inner(),
    };
    for mut finding in findings {
        if !seen.insert((finding.rule.clone(), finding.digest.clone())) {
            continue;
        }
        finding.introduced = Some(introduced.clone());
        let key = (finding.rule.clone(), finding.digest.clone());
        match groups.get_mut(&key) {
            Some(pending) => pending.add(finding, origin),
            None => {
                groups.insert(key, Pending::new(finding, origin));
            }
        }
    }
}

/// One group as the walk builds it, blobs arriving in pack order (not history order).
struct Pending {
    /// The first place (lowest rank, then path, then line), whole.
    first: Finding,
    first_rank: (u32, String, u64),
    /// The most severe of its places, as `(severity, name, placement)`: a value in
    /// configuration is not ranked down by a copy of it in the documentation.
    worst: (crate::rules::Severity, String, Option<finding::Placement>),
    /// By path: the rank of the version listed, and the place.
    locations: HashMap<String, (u32, Location)>,
    /// Hashes of the paths beyond [`MAX_LOCATIONS`], only counted.
    more_paths: HashSet<u64>,
    blobs: u64,
}

impl Pending {
    fn new(finding: Finding, origin: &Origin) -> Self {
        let mut pending = Pending {
            first_rank: (origin.rank, finding.path.clone(), finding.line),
            worst: (finding.severity, finding.name.clone(), finding.placement),
            first: finding.clone(),
            locations: HashMap::new(),
            more_paths: HashSet::new(),
            blobs: 0,
        };
        pending.place(&finding, origin);
        pending
    }

    fn add(&mut self, finding: Finding, origin: &Origin) {
        self.place(&finding, origin);
        if finding.severity > self.worst.0 {
            self.worst = (finding.severity, finding.name.clone(), finding.placement);
        }
        let rank = (origin.rank, finding.path.clone(), finding.line);
        if rank < self.first_rank {
            self.first_rank = rank;
            self.first = finding;
        }
    }

    /// Counts one more blob holding the value, at `finding`'s path.
    fn place(&mut self, finding: &Finding, origin: &Origin) {
        self.blobs += 1;
        let location = Location {
            path: finding.path.clone(),
            line: finding.line,
            column: finding.column,
            blob: origin.blob.clone(),
            introduced: finding.introduced.clone(),
            later_versions: 0,
        };
        if let Some((rank, listed)) = self.locations.get_mut(&finding.path) {
            let later_versions = listed.later_versions + 1;
            // Blobs come in pack order: a version found later may be the older one.
            if (origin.rank, &origin.blob) < (*rank, &listed.blob) {
                *rank = origin.rank;
                *listed = location;
            }
            listed.later_versions = later_versions;
        } else if self.locations.len() < MAX_LOCATIONS {
            self.locations
                .insert(finding.path.clone(), (origin.rank, location));
        } else {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            finding.path.hash(&mut hasher);
            self.more_paths.insert(hasher.finish());
        }
    }

    /// The finding: its first place, the worst severity of all, every place listed.
    fn finish(self) -> Finding {
        let mut locations: Vec<(u32, Location)> = self.locations.into_values().collect();
        locations.sort_by(|a, b| (a.0, &a.1.path).cmp(&(b.0, &b.1.path)));
        let mut finding = self.first;
        (finding.severity, finding.name, finding.placement) = self.worst;
        finding.fingerprint = finding::group_fingerprint(&finding.rule, &finding.digest);
        finding.group = Some(Group {
            location_count: (locations.len() + self.more_paths.len()) as u64,
            blob_count: self.blobs,
            locations: locations.into_iter().map(|(_, l)| l).collect(),
        });
        finding
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

//! The staged change of a pre-commit hook: only the lines it adds.

use std::path::Path;

use super::{Progress, ScanError, finish};
use crate::git::{self, GitError, StagedFile};
use crate::rules::Severity;
use crate::scan::{BINARY, Buffer, Report, ScanConfig, Skipped, is_binary};
use crate::setup::{self, SetupError, SetupOptions};

/// What [`scan_staged`] scans, and how.
#[derive(Debug, Clone, Copy)]
pub struct StagedScan<'a> {
    /// How to set the scan up. [`scan_staged`] builds it while another thread reads the
    /// index: in a large repository, decoding the index takes about as long as loading
    /// the rules, and a pre-commit hook is waited for.
    pub setup: &'a SetupOptions<'a>,
    /// The repository (or a directory inside it).
    pub repo: &'a Path,
    /// The least severity reported; `None`: the model's, else every finding.
    pub min_severity: Option<Severity>,
}

/// Scans the lines the staged change adds (relative to `HEAD`); a finding elsewhere in a
/// staged file is not reported. Staged binary files are skipped with the reason.
///
/// # Errors
///
/// [`ScanError::Setup`] when the scan cannot be set up, [`ScanError::Git`] when the
/// staged change cannot be read.
pub fn scan_staged(scan: &StagedScan<'_>, progress: &dyn Progress) -> Result<Report, ScanError> {
    let (config, files) = setup_reading_staged(scan.setup, scan.repo);
    let config = config?;
    let files = files?;
    let mut report = Report::default();
    for file in &files {
        if config.path_allowed(&file.path) {
            continue;
        }
        if is_binary(&file.data) {
            report.skipped.push(Skipped {
                path: file.path.clone(),
                reason: BINARY.to_owned(),
            });
            continue;
        }
        let buffer = Buffer {
            only: Some(&file.added),
            ..Buffer::whole(&file.path, &file.data)
        };
        config.scan_buffer(buffer, file.data.len(), &mut report);
        let added = file.added.iter().map(|r| r.len() as u64).sum::<u64>();
        report.stats.files += 1;
        report.stats.bytes += added;
        progress.advance(1, added);
    }
    finish(&mut report, &config, scan.min_severity);
    Ok(report)
}

/// Builds the scan configuration while another thread reads the staged change.
fn setup_reading_staged(
    options: &SetupOptions<'_>,
    repo: &Path,
) -> (
    Result<ScanConfig, SetupError>,
    Result<Vec<StagedFile>, GitError>,
) {
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("staged".to_owned())
            .spawn_scoped(scope, || git::staged(repo));
        let config = setup::build(options);
        let files = match reader {
            Ok(reader) => reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: read it here.
            Err(_) => git::staged(repo),
        };
        (config, files)
    })
}

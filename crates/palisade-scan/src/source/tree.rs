//! A working tree: every file git would not ignore, read in parallel.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Progress, ScanError, finish};
use crate::rules::Severity;
use crate::scan::{Report, ScanConfig, Skipped};

/// A tree scan's read buffer is dropped after a file that grew it beyond this.
const KEEP: usize = 4 << 20;

/// Findings a walker thread keeps before it hands them to the shared report.
const FLUSH_AT: usize = 256;

/// What [`scan_tree`] scans, and how.
#[derive(Debug, Clone, Copy)]
pub struct TreeScan<'a> {
    /// Rules, allowlists, personal-data paths and the baseline.
    pub config: &'a ScanConfig,
    /// Files and directories to scan (each must exist).
    pub roots: &'a [PathBuf],
    /// Threads that walk and read.
    pub threads: usize,
    /// The current directory: paths under an absolute root are reported relative to it
    /// when they lie below it. `None`: relative to their root.
    pub cwd: Option<&'a Path>,
    /// The least severity reported; `None`: the model's, else every finding.
    pub min_severity: Option<Severity>,
}

/// Scans every file under the roots that git would not ignore (`.gitignore` files, the
/// repository's exclude file; not the user's global one), skipping binary, minified and
/// unreadable files and broken links with the reason.
///
/// # Errors
///
/// [`ScanError::NotFound`] when a root does not exist.
pub fn scan_tree(scan: &TreeScan<'_>, progress: &dyn Progress) -> Result<Report, ScanError> {
    let Some(first) = scan.roots.first() else {
        return Ok(Report::default());
    };
    if let Some(missing) = scan.roots.iter().find(|root| !root.exists()) {
        return Err(ScanError::NotFound {
            path: missing.clone(),
        });
    }
    let mut builder = ignore::WalkBuilder::new(first);
    for root in &scan.roots[1..] {
        builder.add(root);
    }
    builder
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .threads(scan.threads.max(1))
        .filter_entry(|entry| entry.file_name() != ".git");
    let total = Mutex::new(Report::default());
    let config = scan.config;
    // Asked once here, not for every file: a stat of each root per file would cost a
    // system call per file.
    let dirs: Vec<PathBuf> = scan
        .roots
        .iter()
        .filter(|root| root.is_dir())
        .cloned()
        .collect();
    let dirs = dirs.as_slice();
    builder.build_parallel().run(|| {
        let mut collector = Collector {
            local: Report::default(),
            total: &total,
        };
        let mut buffer = Vec::new();
        Box::new(move |entry| {
            use ignore::WalkState;
            match entry {
                Err(e) => collector.local.skipped.push(Skipped {
                    path: error_path(&e),
                    reason: format!("cannot be read: {e}"),
                }),
                Ok(entry) => {
                    let Some(kind) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    let path = entry.path();
                    let shown = display_path(path, dirs, scan.cwd);
                    if kind.is_symlink() {
                        if std::fs::metadata(path).is_err() {
                            collector.local.skipped.push(Skipped {
                                path: shown,
                                reason: "a broken symbolic link".to_owned(),
                            });
                        }
                    } else if kind.is_file() && !config.path_allowed(&shown) {
                        let before = collector.local.stats.bytes;
                        config.scan_file_with(path, &shown, &mut collector.local, &mut buffer);
                        if buffer.capacity() > KEEP {
                            buffer = Vec::new();
                        }
                        progress.advance(1, collector.local.stats.bytes - before);
                    }
                }
            }
            // Hand over what this thread found every so often; the rest when the
            // walker drops the closure (see `Collector`).
            if collector.local.findings.len() + collector.local.skipped.len() > FLUSH_AT {
                collector.flush();
            }
            WalkState::Continue
        })
    });
    let mut report = total.into_inner().unwrap_or_else(|e| e.into_inner());
    finish(&mut report, config, scan.min_severity);
    // One root in a git work tree: the scan is of its HEAD, changed or not.
    if let [root] = scan.roots
        && let Some(tree) = crate::git::work_tree(root)
    {
        report.commit = Some(tree.commit);
        report.dirty = tree.dirty;
    }
    Ok(report)
}

/// One walker thread's findings, handed to the shared report when flushed and when
/// the walker drops the thread's closure at the end.
struct Collector<'a> {
    local: Report,
    total: &'a Mutex<Report>,
}

impl Collector<'_> {
    fn flush(&mut self) {
        let local = std::mem::take(&mut self.local);
        match self.total.lock() {
            Ok(mut total) => total.merge(local),
            Err(poisoned) => poisoned.into_inner().merge(local),
        }
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The path an error of the walker is about.
fn error_path(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { path, .. } => path.display().to_string(),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => String::from("?"),
    }
}

/// How a path is reported, `/`-separated: as walked for a relative root (`./` dropped),
/// so that the same file has the same path (and fingerprints) whichever directory of
/// the repository is scanned; relative to the current directory (`cwd`) when an absolute
/// root is under it, else relative to the root it is under (`dirs`: the roots that are
/// directories).
fn display_path(path: &Path, dirs: &[PathBuf], cwd: Option<&Path>) -> String {
    let relative = if path.is_absolute() {
        cwd.and_then(|cwd| path.strip_prefix(cwd).ok())
            .or_else(|| dirs.iter().find_map(|root| path.strip_prefix(root).ok()))
            .unwrap_or(path)
    } else {
        path.strip_prefix(".").unwrap_or(path)
    };
    let text = relative.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        path.to_string_lossy().into_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_to_the_current_directory_or_their_root() {
        let roots = [PathBuf::from("/work/repo")];
        let cwd = Path::new("/work");
        let file = Path::new("/work/repo/src/main.rs");
        assert_eq!(display_path(file, &roots, Some(cwd)), "repo/src/main.rs");
        assert_eq!(
            display_path(Path::new("./src/main.rs"), &[PathBuf::from(".")], None),
            "src/main.rs"
        );
        // Outside the current directory: relative to the directory root it is under.
        assert_eq!(
            display_path(file, &roots, Some(Path::new("/home"))),
            "src/main.rs"
        );
        // Outside the current directory and under no directory root: as is.
        assert_eq!(
            display_path(Path::new("/elsewhere/a.txt"), &roots, Some(cwd)),
            "/elsewhere/a.txt"
        );
    }
}

//! Git sources for `palisade scan`: the whole history ([`history`]), a range of commits
//! ([`range`]) and the staged change of a pre-commit hook ([`staged`]); and the commit a
//! scan was of ([`range_tip`], [`work_tree`]).
//!
//! # How history is enumerated
//!
//! 1. **Tips.** Every reference (branches, tags, remotes, notes, ...) and `HEAD`, peeled
//!    through annotated tags; `refs/stash` and every entry of its reflog when
//!    [`HistoryOptions::stash`] is set. A ref or tag that points straight at a tree or a blob
//!    (git/git's `junio-gpg-pub`, linux's `v2.6.11-tree`) is followed too.
//! 2. **Commits.** Each reachable commit is decoded once (tree, parents, author) and the
//!    commits are ranked in topological order: parents before children and, among the
//!    commits whose parents are all ranked, the oldest author time first.
//! 3. **Introductions.** Every commit's tree is compared with the trees of *all* its parents
//!    at once (subtrees whose id matches a parent's are skipped unread), in parallel. A blob
//!    at a path is *introduced* by a commit when no parent has that blob at that path; a
//!    root commit introduces everything it has. Each blob keeps the introduction of lowest
//!    rank: that is its [`Origin`] (the oldest, by commit graph, then author time).
//! 4. **Blobs.** Each unique blob is read exactly once, in pack order (delta bases are then
//!    still in each thread's cache), by [`HistoryOptions::threads`] threads that call `visit`
//!    concurrently. Blobs larger than [`HistoryOptions::max_blob_bytes`] are counted, not read.
//!
//! Submodule entries (commits inside trees) are skipped; symlinks are visited as the blob
//! holding their target path, never followed. Missing or corrupt objects never stop the walk:
//! each becomes one entry of [`HistoryStats::errors`] naming the object and what was being done.
//!
//! The modules follow those steps: `tips` and `graph` (1, 2), `diff` (3) and `walk` (4),
//! all reading objects through `pack` (the pack files, decoded with a cache of every entry);
//! `range` selects the commits of a range and `staged` compares the index with `HEAD`.

mod diff;
mod errors;
mod graph;
mod pack;
mod range;
mod staged;
mod tips;
mod walk;

#[cfg(test)]
mod fixture;

use std::ops::Range;
use std::path::Path;

pub use errors::GitError;
pub use range::{range, range_tip};
pub use staged::{WorkTree, staged, work_tree};
pub use walk::history;

use errors::render;

/// Where a blob first entered the history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Origin {
    /// Full hex id of the commit that introduced the blob. Empty when the blob is reachable
    /// only through a ref or tag that points straight at a tree or blob; `path` then starts
    /// with that ref's name (`refs/tags/junio-gpg-pub`, `refs/tags/v2.6.11-tree:Makefile`).
    pub commit: String,
    /// The commit's author as `Name <email>` (a tag's tagger for the ref-only case, or empty).
    pub author: String,
    /// Author time of the commit, in seconds since the Unix epoch.
    pub time: i64,
    /// Repository-relative path of the blob in that commit, `/`-separated (bytes that are
    /// not UTF-8 are replaced with U+FFFD).
    pub path: String,
    /// The blob's full hex id.
    pub blob: String,
    /// Where the introducing commit comes in history order (parents before children, then
    /// older author time first; refs straight to trees or blobs after every commit): of
    /// two origins, the lower rank came first.
    pub rank: u32,
}

/// Settings of [`history`] and [`range`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryOptions {
    /// Threads that decode commits, compare trees and read blobs (each calls `visit`); 0
    /// means one per core. Each keeps up to 128 MiB of decoded objects while comparing
    /// trees and 64 MiB while reading blobs, and maps the pack files on its own, afresh
    /// after every 16 MiB or so read, so that the pages read count in the resident size
    /// only for a while.
    pub threads: usize,
    /// Blobs larger than this are not read: they are counted in
    /// [`HistoryStats::skipped_large`].
    pub max_blob_bytes: u64,
    /// Also walk `refs/stash` and every older stash in its reflog. [`range`] ignores it.
    pub stash: bool,
}

impl Default for HistoryOptions {
    /// One thread per core, blobs up to 64 MiB, stashes included.
    fn default() -> Self {
        Self {
            threads: 0,
            max_blob_bytes: 64 << 20,
            stash: true,
        }
    }
}

/// What [`history`] or [`range`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryStats {
    /// Commits enumerated (for [`range`]: commits in the range).
    pub commits: u64,
    /// Unique blobs handed to `visit`.
    pub blobs: u64,
    /// Total size of those blobs in bytes.
    pub bytes: u64,
    /// Unique blobs not read because they are larger than [`HistoryOptions::max_blob_bytes`].
    pub skipped_large: u64,
    /// Objects that could not be read (missing or corrupt), one message each naming the
    /// object id and what was being done; capped at 1000 messages (then a count of the rest).
    pub errors: Vec<String>,
}

/// A path whose staged content differs from `HEAD`, as seen by [`staged`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// Repository-relative path, `/`-separated (non-UTF-8 bytes replaced with U+FFFD).
    pub path: String,
    /// The staged blob, whole (binary content is returned as is).
    pub data: Vec<u8>,
    /// Byte ranges in `data` of the lines added relative to `HEAD`: one range per line,
    /// including its line ending, in order and not overlapping (adjacent ranges are adjacent
    /// lines). For a new file: every line. Empty when the change only removed lines.
    pub added: Vec<Range<usize>>,
}

fn open(path: &Path) -> Result<gix::ThreadSafeRepository, GitError> {
    if !path.exists() {
        return Err(GitError::PathNotFound {
            path: path.to_owned(),
        });
    }
    gix::ThreadSafeRepository::discover(path).map_err(|e| {
        let not_found = e.dominant_class() == Some(gix::error::Class::NotFound);
        // Strip the trailing classification gitoxide appends; the variant says it.
        let message = render(&e).trim_end_matches(": NotFound").to_owned();
        if not_found
            || message
                .to_lowercase()
                .contains("could not find a git repository")
        {
            GitError::NotARepository {
                path: path.to_owned(),
                message,
            }
        } else {
            GitError::Open {
                path: path.to_owned(),
                message,
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn not_a_repository_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = history(dir.path(), &HistoryOptions::default(), |_, _| {}).unwrap_err();
        assert!(
            matches!(error, GitError::NotARepository { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("is not a git repository"),
            "{error}"
        );
        assert!(matches!(
            staged(dir.path()),
            Err(GitError::NotARepository { .. })
        ));
        let missing = dir.path().join("nope");
        let error = range(&missing, "a..b", &HistoryOptions::default(), |_, _| {}).unwrap_err();
        assert!(matches!(error, GitError::PathNotFound { .. }), "{error:?}");
    }
}

//! Why a git source cannot be read, and the messages about single objects a walk collects
//! instead of stopping.

use std::collections::HashSet;
use std::path::PathBuf;

use gix::ObjectId;
use gix::hash::oid;

/// At most this many messages are kept in [`HistoryStats::errors`](super::HistoryStats::errors); the rest are counted.
///
/// [`HistoryStats::errors`](super::HistoryStats::errors): super::HistoryStats::errors
const MAX_ERRORS: usize = 1000;
/// The advice that ends messages about unreadable objects.
pub(super) const FSCK: &str = "the repository may be corrupt: check it with `git fsck --full`";

/// Why a git source could not be read at all. Problems with single objects during
/// [`history`](super::history) and [`range`](super::range) are not errors but entries of [`HistoryStats::errors`](super::HistoryStats::errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The given path does not exist.
    #[error("'{path}' does not exist; pass the path of a git working tree or bare repository")]
    PathNotFound {
        /// The path that was given.
        path: PathBuf,
    },
    /// Neither the path nor any of its parents is a git repository.
    #[error(
        "'{path}' is not a git repository (no .git found there or in any parent directory): \
         {message}; pass the path of a git working tree or bare repository, or run `git init`"
    )]
    NotARepository {
        /// The path that was given.
        path: PathBuf,
        /// What gitoxide reported.
        message: String,
    },
    /// The repository exists but could not be opened.
    #[error(
        "could not open the git repository at '{path}': {message}; check that it is readable \
         and intact (`git fsck`)"
    )]
    Open {
        /// The path that was given.
        path: PathBuf,
        /// What gitoxide reported.
        message: String,
    },
    /// The references (branches, tags, ...) could not be listed.
    #[error(
        "could not list the references of '{path}': {message}; check them with \
         `git for-each-ref` and `git fsck`"
    )]
    References {
        /// The repository.
        path: PathBuf,
        /// What gitoxide reported.
        message: String,
    },
    /// A revision range passed to [`range`](super::range) could not be resolved or walked.
    #[error(
        "could not resolve the commit range '{spec}' in '{path}': {message}; use `A..B` (or \
         `A...B`) where A and B are branches, tags or commit ids present in the repository, \
         e.g. `main..feature`"
    )]
    Range {
        /// The range as given.
        spec: String,
        /// The repository.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The index (staging area) could not be read.
    #[error(
        "could not read the index (staging area) of '{path}': {message}; check it with \
         `git status`"
    )]
    Index {
        /// The repository.
        path: PathBuf,
        /// What gitoxide reported.
        message: String,
    },
    /// An object needed by [`staged`](super::staged) is missing or corrupt.
    #[error(
        "could not read {what} {id} in '{path}': {message}; the repository may be corrupt, \
         check it with `git fsck --full`"
    )]
    Object {
        /// What the object was needed for, e.g. "the staged blob of 'src/main.rs'".
        what: String,
        /// Hex id of the object.
        id: String,
        /// The repository.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A worker thread could not be started.
    #[error("could not start a git reader thread: {source}; retry with fewer threads")]
    Thread {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// An error and its sources, joined with `: ` (gitoxide keeps the details in the chain).
pub(super) fn render(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Error messages of one walk: at most one per object id, at most [`MAX_ERRORS`] in all.
#[derive(Default)]
pub(super) struct Errors {
    pub(super) list: Vec<(Option<ObjectId>, String)>,
    pub(super) seen: HashSet<ObjectId>,
    dropped: usize,
}

impl Errors {
    pub(super) fn push(&mut self, id: Option<&oid>, message: String) {
        if let Some(id) = id
            && !self.seen.insert(id.to_owned())
        {
            return;
        }
        if self.list.len() < MAX_ERRORS {
            self.list.push((id.map(ToOwned::to_owned), message));
        } else {
            self.dropped += 1;
        }
    }

    pub(super) fn merge(&mut self, other: Errors) {
        for (id, message) in other.list {
            self.push(id.as_deref(), message);
        }
        self.dropped += other.dropped;
    }

    pub(super) fn finish(self) -> Vec<String> {
        let mut out: Vec<String> = self.list.into_iter().map(|(_, m)| m).collect();
        if self.dropped > 0 {
            out.push(format!("... and {} more unreadable objects", self.dropped));
        }
        out
    }
}

pub(super) fn missing(what: &str, id: &oid, context: &str) -> String {
    format!(
        "{what} {id} {context}is missing from the object database (a partial or shallow clone, \
         or a corrupt repository: check with `git fsck --full`, or fetch the missing objects)"
    )
}

pub(super) fn unreadable(
    what: &str,
    id: &oid,
    context: &str,
    e: &(dyn std::error::Error + 'static),
) -> String {
    format!(
        "{what} {id} {context}could not be read: {}; the repository may be corrupt, check it \
         with `git fsck --full`",
        render(e)
    )
}

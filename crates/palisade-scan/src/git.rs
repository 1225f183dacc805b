//! Git sources for `palisade scan`: the whole history ([`history`]), a range of commits
//! ([`range`]) and the staged change of a pre-commit hook ([`staged`]).
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

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::hash::oid;
use gix::objs::commit::ref_iter::Token as CommitToken;
use gix::objs::tree::EntryKind;
use gix::objs::{CommitRefIter, Find as _, FindHeader as _, Kind, TagRefIter, TreeRefIter};

/// At most this many messages are kept in [`HistoryStats::errors`]; the rest are counted.
const MAX_ERRORS: usize = 1000;
/// Cache of decoded pack entries of each thread while comparing trees, and again as much
/// for whole trees by id (bytes): a commit's tree is read again, as the parent side, by the
/// next commit.
const DIFF_CACHE: usize = 64 << 20;
/// Cache of decoded pack entries of each thread while reading blobs in pack order (bytes).
const READ_CACHE: usize = 96 << 20;
/// Cache of decoded pack entries of each thread while reading tips and commits (bytes).
const COMMIT_CACHE: usize = 16 << 20;
/// The advice that ends messages about unreadable objects.
const FSCK: &str = "the repository may be corrupt: check it with `git fsck --full`";

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
}

/// Settings of [`history`] and [`range`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryOptions {
    /// Threads that decode commits, compare trees and read blobs (each calls `visit`); 0
    /// means one per core. Each keeps up to 128 MiB of decoded objects while comparing
    /// trees and 96 MiB while reading blobs; pack files are memory-mapped (their pages
    /// count in the resident size as they are read).
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

/// Why a git source could not be read at all. Problems with single objects during
/// [`history`] and [`range`] are not errors but entries of [`HistoryStats::errors`].
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
    /// A revision range passed to [`range`] could not be resolved or walked.
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
    /// An object needed by [`staged`] is missing or corrupt.
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

// ---------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------

/// Visits every unique blob reachable from any ref of the repository at (or above) `repo`,
/// exactly once, with the [`Origin`] of the commit that first introduced it.
///
/// `visit` is called concurrently from [`HistoryOptions::threads`] threads, in pack order
/// (not in history order). Unreadable objects are reported in [`HistoryStats::errors`].
///
/// # Errors
///
/// [`GitError`] when `repo` is not a readable git repository or its refs cannot be listed.
pub fn history(
    repo: &Path,
    opts: &HistoryOptions,
    visit: impl Fn(&[u8], &Origin) + Sync,
) -> Result<HistoryStats, GitError> {
    let ts = open(repo)?;
    let local = ts.to_thread_local();
    let mut errors = Errors::default();
    let packs = Packs::open(&ts, local.object_hash());
    let mut reader = Reader::new(&packs, &ts, COMMIT_CACHE, false);
    let tips = collect_tips(&local, &mut reader, repo, opts.stash, &mut errors)?;
    drop(local);
    let layout = packs.layout();
    let prefetched = prefetch_commits(&ts, &packs, &layout.commits, threads(opts))?;
    let graph = load_commits(&mut reader, &tips.commits, None, prefetched, &mut errors);
    drop(reader);
    scan_graph(
        &ts,
        &packs,
        &layout,
        graph,
        &tips.others,
        &Default::default(),
        opts,
        errors,
        &visit,
    )
}

/// Visits the blobs introduced by the commits of `spec` — `A..B` means the commits reachable
/// from B but not from A; `A...B`, `B`, `B^!` and `B^@` work as in `git rev-list` — each
/// once, with its [`Origin`] inside the range.
///
/// A blob counts as introduced by a commit when none of that commit's parents has that blob
/// at that path; blobs already present (at any path) in the trees the range starts from —
/// those of the parents outside the range — are not visited again, so renaming or copying
/// a file that already existed does not make it new. `visit` is called as in [`history`].
///
/// # Errors
///
/// [`GitError::Range`] when `spec` does not resolve to commits, or as for [`history`].
pub fn range(
    repo: &Path,
    spec: &str,
    opts: &HistoryOptions,
    visit: impl Fn(&[u8], &Origin) + Sync,
) -> Result<HistoryStats, GitError> {
    let ts = open(repo)?;
    let local = ts.to_thread_local();
    let mut errors = Errors::default();
    let in_range = commits_in_range(&local, repo, spec)?;
    let tips: Vec<ObjectId> = in_range.iter().copied().collect();
    let packs = Packs::open(&ts, local.object_hash());
    drop(local);
    let mut reader = Reader::new(&packs, &ts, DIFF_CACHE, true);
    let graph = load_commits(
        &mut reader,
        &tips,
        Some(&in_range),
        Default::default(),
        &mut errors,
    );
    // What the range starts from: the trees of the parents outside it.
    let boundary: Vec<ObjectId> = (0..graph.ids.len())
        .filter(|&n| !graph.in_scope[n])
        .filter_map(|n| graph.tree[n])
        .collect();
    let known = blobs_in_trees(&mut reader, &boundary, &mut errors);
    drop(reader);
    let layout = Layout::default();
    scan_graph(
        &ts,
        &packs,
        &layout,
        graph,
        &[],
        &known,
        opts,
        errors,
        &visit,
    )
}

/// The staged change of the repository at (or above) `repo`: every path whose index entry
/// differs from `HEAD`'s tree (added or modified; all of them when there is no commit yet),
/// with the staged content and the byte ranges of its added lines (a line diff from the
/// `HEAD` blob). Deleted paths, submodules, unmerged entries and `git add -N` placeholders
/// are left out. Binary files are diffed as lines too and returned whole.
///
/// # Errors
///
/// [`GitError`] when `repo` is not a git repository, the index cannot be read, or a blob it
/// (or `HEAD`) refers to is missing or corrupt.
pub fn staged(repo: &Path) -> Result<Vec<StagedFile>, GitError> {
    let ts = open(repo)?;
    let repo_handle = ts.to_thread_local();
    let index = read_index(&repo_handle, repo)?;
    let head = head_files(&repo_handle, &index, repo)?;
    let mut out = Vec::new();
    for entry in head.outside_unchanged(index.entries()) {
        if entry.stage_raw() != 0
            || entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            || entry.mode == gix::index::entry::Mode::COMMIT
            || entry.mode == gix::index::entry::Mode::DIR
        {
            continue;
        }
        let path = entry.path(&index);
        let old = head.blobs.get(path.as_bytes());
        if old == Some(&entry.id) {
            continue;
        }
        let shown = path.to_str_lossy();
        let data = read_blob(&repo_handle, &entry.id, repo, || {
            format!("the staged blob of '{shown}'")
        })?;
        let added = match old {
            None => whole_lines(&data),
            Some(old_id) => {
                let before = read_blob(&repo_handle, old_id, repo, || {
                    format!("HEAD's blob of '{shown}'")
                })?;
                added_lines(&before, &data)
            }
        };
        out.push(StagedFile {
            path: shown.into_owned(),
            data,
            added,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Opening and errors
// ---------------------------------------------------------------------------------------

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

/// An error and its sources, joined with `: ` (gitoxide keeps the details in the chain).
fn render(e: &(dyn std::error::Error + 'static)) -> String {
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
struct Errors {
    list: Vec<(Option<ObjectId>, String)>,
    seen: HashSet<ObjectId>,
    dropped: usize,
}

impl Errors {
    fn push(&mut self, id: Option<&oid>, message: String) {
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

    fn merge(&mut self, other: Errors) {
        for (id, message) in other.list {
            self.push(id.as_deref(), message);
        }
        self.dropped += other.dropped;
    }

    fn finish(self) -> Vec<String> {
        let mut out: Vec<String> = self.list.into_iter().map(|(_, m)| m).collect();
        if self.dropped > 0 {
            out.push(format!("... and {} more unreadable objects", self.dropped));
        }
        out
    }
}

fn missing(what: &str, id: &oid, context: &str) -> String {
    format!(
        "{what} {id} {context}is missing from the object database (a partial or shallow clone, \
         or a corrupt repository: check with `git fsck --full`, or fetch the missing objects)"
    )
}

fn unreadable(
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

// ---------------------------------------------------------------------------------------
// Tips
// ---------------------------------------------------------------------------------------

/// A ref or tag that points straight at a tree or a blob.
struct OtherTip {
    name: String,
    id: ObjectId,
    kind: Kind,
    tagger: String,
    time: i64,
}

#[derive(Default)]
struct Tips {
    commits: Vec<ObjectId>,
    others: Vec<OtherTip>,
}

fn collect_tips(
    repo: &gix::Repository,
    reader: &mut Reader<'_>,
    path: &Path,
    stash: bool,
    errors: &mut Errors,
) -> Result<Tips, GitError> {
    let refs_error = |e: &(dyn std::error::Error + 'static)| GitError::References {
        path: path.to_owned(),
        message: render(e),
    };
    let mut tips = Tips::default();
    let mut seen = HashSet::new();
    let platform = repo.references().map_err(|e| refs_error(&e))?;
    for reference in platform.all().map_err(|e| refs_error(&e))? {
        let mut reference = match reference {
            Ok(r) => r,
            Err(e) => {
                errors.push(
                    None,
                    format!("a reference could not be read: {}", render(&e)),
                );
                continue;
            }
        };
        let name = reference.name().as_bstr().to_str_lossy().into_owned();
        if !stash && name == "refs/stash" {
            continue;
        }
        match reference.follow_to_object() {
            Ok(id) => add_tip(reader, id.detach(), &name, &mut tips, &mut seen, errors),
            Err(e) => errors.push(
                None,
                format!("reference {name} could not be resolved: {}", render(&e)),
            ),
        }
    }
    if let Ok(id) = repo.head_id() {
        add_tip(reader, id.detach(), "HEAD", &mut tips, &mut seen, errors);
    }
    if stash && let Ok(Some(reference)) = repo.try_find_reference("refs/stash") {
        let mut log = reference.log_iter();
        if let Ok(Some(lines)) = log.all() {
            for line in lines.flatten() {
                add_tip(
                    reader,
                    line.new_oid(),
                    "refs/stash",
                    &mut tips,
                    &mut seen,
                    errors,
                );
            }
        }
    }
    Ok(tips)
}

/// Peels `id` through annotated tags and files it as a commit tip or an [`OtherTip`].
fn add_tip(
    reader: &mut Reader<'_>,
    mut id: ObjectId,
    name: &str,
    tips: &mut Tips,
    seen: &mut HashSet<ObjectId>,
    errors: &mut Errors,
) {
    let hash = reader.repo.object_hash();
    let (mut tagger, mut time) = (String::new(), 0);
    loop {
        if !seen.insert(id) {
            return;
        }
        let context = format!("(target of {name}) ");
        let (kind, data) = match reader.find(&id, u64::MAX) {
            Ok(Found::Object(kind, data)) => (kind, data),
            Ok(_) => return errors.push(Some(&id), missing("object", &id, &context)),
            Err(e) => {
                let message = format!("object {id} {context}could not be read: {e}; {FSCK}");
                return errors.push(Some(&id), message);
            }
        };
        match kind {
            Kind::Commit => return tips.commits.push(id),
            Kind::Tag => {
                if let Ok(Some(sig)) = TagRefIter::from_bytes(&data, hash).tagger() {
                    tagger = person(sig.name, sig.email);
                    time = sig.seconds();
                }
                match TagRefIter::from_bytes(&data, hash).target_id() {
                    Ok(target) => id = target,
                    Err(e) => {
                        return errors.push(Some(&id), unreadable("tag", &id, &context, &e));
                    }
                }
            }
            Kind::Tree | Kind::Blob => {
                let tip = OtherTip {
                    name: name.to_owned(),
                    id,
                    kind,
                    tagger,
                    time,
                };
                return tips.others.push(tip);
            }
        }
    }
}

fn person(name: &gix::bstr::BStr, email: &gix::bstr::BStr) -> String {
    format!(
        "{} <{}>",
        name.trim().to_str_lossy(),
        email.trim().to_str_lossy()
    )
}

// ---------------------------------------------------------------------------------------
// Reading objects
// ---------------------------------------------------------------------------------------
//
// gitoxide's own pack cache keeps the result of a delta chain but never its undeltified
// base, so every delta whose chain ends at an uncached base inflates that base again; git
// packs are full of such "stars" (many deltas against one base). This reader decodes pack
// entries itself (gitoxide still parses and inflates them) and caches every decoded entry,
// base or delta, by pack offset. Objects outside the packs (loose objects) go through
// gitoxide.

/// The pack files of the repository (and of its alternates), opened once, shared by all
/// threads.
struct Packs {
    bundles: Vec<gix::odb::pack::Bundle>,
}

impl Packs {
    fn open(ts: &gix::ThreadSafeRepository, hash: gix::hash::Kind) -> Self {
        use gix::odb::store::structure::Record;
        let mut paths = Vec::new();
        if let Ok(records) = ts.objects.structure() {
            for record in records {
                match record {
                    Record::Index { path, .. } => paths.push(path),
                    Record::MultiIndex { path, .. } => {
                        if let (Ok(multi), Some(dir)) = (
                            gix::odb::pack::multi_index::File::at(&path, None),
                            path.parent(),
                        ) {
                            paths.extend(multi.index_names().iter().map(|name| dir.join(name)));
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut seen = HashSet::new();
        // A pack that cannot be opened here is still read through gitoxide (or reported).
        let bundles = paths
            .into_iter()
            .filter(|p| seen.insert(p.clone()))
            .filter_map(|p| gix::odb::pack::Bundle::at(&p, hash).ok())
            .collect();
        Self { bundles }
    }

    /// Pack number and offset of `id`.
    fn locate(&self, id: &oid) -> Option<(u32, u64)> {
        self.bundles.iter().enumerate().find_map(|(n, bundle)| {
            let entry = bundle.index.lookup(id)?;
            Some((n as u32, bundle.index.pack_offset_at_index(entry)))
        })
    }
}

/// Where each packed object sits: its offset and the offset of the undeltified base its
/// delta chain starts from (its "family"), per pack; and every packed commit.
#[derive(Default)]
struct Layout {
    /// Per pack: entry offsets, ascending, and the matching chain-root offsets.
    packs: Vec<(Vec<u64>, Vec<u64>)>,
    /// `(pack, offset, id)` of every commit stored in the packs.
    commits: Vec<(u32, u64, ObjectId)>,
}

impl Layout {
    /// The chain root of the entry at `offset` of `pack`.
    fn root(&self, pack: u32, offset: u64) -> Option<u64> {
        let (offsets, roots) = self.packs.get(pack as usize)?;
        offsets.binary_search(&offset).ok().map(|i| roots[i])
    }
}

impl Packs {
    /// Reads every entry header once, in offset order: the kind and chain root of a delta
    /// are those of its base, which comes earlier in the pack (ref-deltas aside, which get a
    /// second pass).
    fn layout(&self) -> Layout {
        use gix::odb::pack::data::entry::Header;
        let mut layout = Layout::default();
        for (n, bundle) in self.bundles.iter().enumerate() {
            // (offset, position in the index), by offset; the id is looked up for commits only.
            let mut entries: Vec<(u64, u32)> = bundle
                .index
                .iter()
                .enumerate()
                .map(|(i, e)| (e.pack_offset, i as u32))
                .collect();
            entries.sort_unstable_by_key(|e| e.0);
            let offsets: Vec<u64> = entries.iter().map(|e| e.0).collect();
            let position = |offset: u64| offsets.binary_search(&offset).ok();
            let mut kinds: Vec<Option<Kind>> = vec![None; entries.len()];
            let mut roots: Vec<u64> = offsets.clone();
            for _ in 0..2 {
                for i in 0..entries.len() {
                    if kinds[i].is_some() {
                        continue;
                    }
                    let Ok(entry) = bundle.pack.entry(offsets[i]) else {
                        continue;
                    };
                    let base = match entry.header {
                        Header::OfsDelta { base_distance } => entry
                            .checked_base_pack_offset(base_distance)
                            .and_then(position),
                        Header::RefDelta { base_id } => bundle
                            .index
                            .lookup(base_id)
                            .map(|b| bundle.index.pack_offset_at_index(b))
                            .and_then(position),
                        header => {
                            kinds[i] = header.as_kind();
                            continue;
                        }
                    };
                    if let Some(b) = base
                        && kinds[b].is_some()
                    {
                        kinds[i] = kinds[b];
                        roots[i] = roots[b];
                    }
                }
            }
            layout.commits.extend(
                entries
                    .iter()
                    .zip(&kinds)
                    .filter(|(_, kind)| **kind == Some(Kind::Commit))
                    .map(|((offset, i), _)| {
                        (n as u32, *offset, bundle.index.oid_at_index(*i).to_owned())
                    }),
            );
            layout.packs.push((offsets, roots));
        }
        layout
    }
}

/// A commit's fields that the walk needs.
struct ParsedCommit {
    tree: ObjectId,
    parents: Vec<ObjectId>,
    /// `Name <email>` and author time, when the commit has an author.
    author: Option<(String, i64)>,
}

fn parse_commit(id: &oid, data: &[u8], hash: gix::hash::Kind) -> Result<ParsedCommit, String> {
    let mut tree = None;
    let mut parents = Vec::new();
    let mut author = None;
    for token in CommitRefIter::from_bytes(data, hash) {
        match token {
            Ok(CommitToken::Tree { id }) => tree = Some(id),
            Ok(CommitToken::Parent { id }) => parents.push(id),
            Ok(CommitToken::Author { signature }) => {
                author = Some((person(signature.name, signature.email), signature.seconds()));
                break;
            }
            Ok(_) => break,
            Err(e) => return Err(unreadable("commit", id, "", &e)),
        }
    }
    let tree = tree.ok_or_else(|| format!("commit {id} has no tree; {FSCK}"))?;
    Ok(ParsedCommit {
        tree,
        parents,
        author,
    })
}

/// Decodes every commit stored in the packs, in parallel and in pack order.
fn prefetch_commits(
    ts: &gix::ThreadSafeRepository,
    packs: &Packs,
    commits: &[(u32, u64, ObjectId)],
    threads: usize,
) -> Result<gix::hashtable::HashMap<ObjectId, ParsedCommit>, GitError> {
    let hash = ts.to_thread_local().object_hash();
    let chunk = (commits.len() / (threads * 8)).clamp(256, 16384);
    let parsed = parallel(
        "git-commits",
        threads,
        commits,
        chunk,
        || (Reader::new(packs, ts, COMMIT_CACHE, false), Vec::new()),
        |(reader, out), (pack, offset, id)| {
            // Failures are left to the walk, which reads the commit again and reports it.
            if let Ok(Found::Object(Kind::Commit, data)) = reader.decode(*pack, *offset, u64::MAX)
                && let Ok(commit) = parse_commit(id, &data, hash)
            {
                out.push((*id, commit));
            }
        },
    )?;
    Ok(parsed.into_iter().flat_map(|(_, out)| out).collect())
}

/// An object as read by [`Reader`].
enum Found {
    Object(Kind, Arc<Vec<u8>>),
    /// Larger than the limit given; not read whole.
    TooLarge,
    Missing,
}

/// Hashes `(pack, offset)` keys: the offset is already well spread.
#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Objects by key, bounded in bytes: two generations, the older dropped whole when the
/// younger fills half the budget; a hit in the older is promoted.
struct Cache<K, H> {
    young: HashMap<K, (Kind, Arc<Vec<u8>>), H>,
    old: HashMap<K, (Kind, Arc<Vec<u8>>), H>,
    young_bytes: usize,
    budget: usize,
}

/// Decoded pack entries by `(pack, offset)`.
type EntryCache = Cache<(u32, u64), std::hash::BuildHasherDefault<OffsetHasher>>;
/// Whole objects by id (trees and commits, which are read more than once).
type IdCache = Cache<ObjectId, gix::hashtable::hash::Builder>;

impl<K: std::hash::Hash + Eq + Copy, H: std::hash::BuildHasher + Default> Cache<K, H> {
    fn new(budget: usize) -> Self {
        Self {
            young: HashMap::default(),
            old: HashMap::default(),
            young_bytes: 0,
            budget,
        }
    }

    fn get(&mut self, key: K) -> Option<(Kind, Arc<Vec<u8>>)> {
        if let Some((kind, data)) = self.young.get(&key) {
            return Some((*kind, Arc::clone(data)));
        }
        let (kind, data) = self.old.remove(&key)?;
        self.put(key, kind, Arc::clone(&data));
        Some((kind, data))
    }

    fn put(&mut self, key: K, kind: Kind, data: Arc<Vec<u8>>) {
        let size = data.len() + 64;
        if size > self.budget / 8 {
            return;
        }
        self.young_bytes += size;
        self.young.insert(key, (kind, data));
        if self.young_bytes > self.budget / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
    }
}

/// One thread's object reader.
struct Reader<'a> {
    packs: &'a Packs,
    repo: gix::Repository,
    inflate: gix::zlib::Inflate,
    cache: EntryCache,
    /// Set when objects are read more than once (trees and commits, not blobs).
    by_id: Option<IdCache>,
    /// Inflated delta instructions, reused.
    scratch: Vec<u8>,
    /// Ref-delta bases being resolved in other packs.
    depth: u32,
}

/// Most ref-delta bases followed into other packs for one object.
const MAX_PACK_HOPS: u32 = 64;
/// Longest delta chain followed (git writes at most 4095; this also stops cycles).
const MAX_CHAIN: usize = 10_000;

impl<'a> Reader<'a> {
    /// A reader with `cache_bytes` for decoded pack entries, and as much again for whole
    /// objects by id when `by_id` is set.
    fn new(
        packs: &'a Packs,
        ts: &gix::ThreadSafeRepository,
        cache_bytes: usize,
        by_id: bool,
    ) -> Self {
        let mut repo = ts.to_thread_local();
        // Objects outside the packs opened here (loose objects, mostly) are read by
        // gitoxide without caches.
        repo.objects.unset_pack_cache();
        repo.objects.unset_object_cache();
        Self {
            packs,
            repo,
            inflate: gix::zlib::Inflate::default(),
            cache: EntryCache::new(cache_bytes),
            by_id: by_id.then(|| IdCache::new(cache_bytes)),
            scratch: Vec::new(),
            depth: 0,
        }
    }

    /// Reads `id`, or reports it as [`Found::TooLarge`] when it has more than `limit` bytes.
    fn find(&mut self, id: &oid, limit: u64) -> Result<Found, String> {
        if let Some(cache) = &mut self.by_id
            && let Some((kind, data)) = cache.get(id.to_owned())
        {
            return Ok(if data.len() as u64 > limit {
                Found::TooLarge
            } else {
                Found::Object(kind, data)
            });
        }
        let found = self.find_uncached(id, limit)?;
        if let (Some(cache), Found::Object(kind, data)) = (&mut self.by_id, &found) {
            cache.put(id.to_owned(), *kind, Arc::clone(data));
        }
        Ok(found)
    }

    fn find_uncached(&mut self, id: &oid, limit: u64) -> Result<Found, String> {
        if let Some((pack, offset)) = self.packs.locate(id) {
            return self.decode(pack, offset, limit);
        }
        if limit != u64::MAX {
            match self.repo.objects.try_header(id) {
                Ok(Some(header)) if header.size > limit => return Ok(Found::TooLarge),
                Ok(Some(_)) => {}
                Ok(None) => return Ok(Found::Missing),
                Err(e) => return Err(render(&e)),
            }
        }
        let mut buf = Vec::new();
        match self.repo.objects.try_find(id, &mut buf) {
            Ok(Some(obj)) => {
                let kind = obj.kind;
                Ok(Found::Object(kind, Arc::new(buf)))
            }
            Ok(None) => Ok(Found::Missing),
            Err(e) => Err(render(&e)),
        }
    }

    /// Decodes the entry at `offset` of pack `pack_no`, resolving its delta chain.
    fn decode(&mut self, pack_no: u32, offset: u64, limit: u64) -> Result<Found, String> {
        use gix::odb::pack::data::entry::Header;
        let packs = self.packs;
        let pack = &packs.bundles[pack_no as usize].pack;
        if let Some((kind, data)) = self.cache.get((pack_no, offset)) {
            let too_large = data.len() as u64 > limit;
            return Ok(if too_large {
                Found::TooLarge
            } else {
                Found::Object(kind, data)
            });
        }
        // Deltas from the requested entry down to the first cached or undeltified base.
        let mut chain = Vec::new();
        // The requested entry's own delta, inflated early to learn the object's size.
        let mut top = None;
        let mut cursor = offset;
        let (kind, mut data) = loop {
            if cursor != offset
                && let Some(hit) = self.cache.get((pack_no, cursor))
            {
                break hit;
            }
            if chain.len() > MAX_CHAIN {
                return Err(format!(
                    "a delta chain is longer than {MAX_CHAIN} entries (or cyclic) at pack offset {cursor}"
                ));
            }
            let entry = pack.entry(cursor).map_err(|e| {
                format!(
                    "the pack entry at offset {cursor} is unreadable: {}",
                    render(&e)
                )
            })?;
            let base = match entry.header {
                Header::OfsDelta { base_distance } => {
                    Some(entry.checked_base_pack_offset(base_distance).ok_or_else(|| {
                        format!("the delta at pack offset {cursor} points before the start of the pack")
                    })?)
                }
                Header::RefDelta { .. } => None,
                header => {
                    let Some(kind) = header.as_kind() else {
                        return Err(format!("unknown pack entry type at offset {cursor}"));
                    };
                    if chain.is_empty() && entry.decompressed_size > limit {
                        return Ok(Found::TooLarge);
                    }
                    let data = Arc::new(self.inflate_entry(pack, &entry)?);
                    self.cache.put((pack_no, cursor), kind, Arc::clone(&data));
                    break (kind, data);
                }
            };
            if chain.is_empty() && limit != u64::MAX {
                let delta = self.inflate_entry(pack, &entry)?;
                match delta_sizes(&delta) {
                    Some((_, size, _)) if size > limit => return Ok(Found::TooLarge),
                    Some(_) => top = Some(delta),
                    None => return Err(format!("the delta at pack offset {cursor} has no header")),
                }
            }
            let ref_base = match entry.header {
                Header::RefDelta { base_id } => Some(base_id),
                _ => None,
            };
            chain.push(entry);
            match (base, ref_base) {
                (Some(base), _) => cursor = base,
                (None, Some(base_id)) => match packs.locate(&base_id) {
                    Some((p, base)) if p == pack_no => cursor = base,
                    _ => {
                        // A base in another pack: bounded, so packs pointing at each other
                        // cannot recurse forever.
                        if self.depth > MAX_PACK_HOPS {
                            return Err(format!(
                                "the delta base {base_id} is more than {MAX_PACK_HOPS} packs away (or cyclic)"
                            ));
                        }
                        self.depth += 1;
                        let base = self.find(&base_id, u64::MAX);
                        self.depth -= 1;
                        match base? {
                            Found::Object(kind, data) => break (kind, data),
                            _ => return Err(format!("the delta base {base_id} is missing")),
                        }
                    }
                },
                (None, None) => return Err(format!("malformed delta at pack offset {cursor}")),
            }
        };
        // Apply the deltas, base first, caching every intermediate object.
        let mut scratch = std::mem::take(&mut self.scratch);
        for (i, entry) in chain.iter().enumerate().rev() {
            let delta = match (i, &top) {
                (0, Some(delta)) => delta,
                _ => {
                    self.inflate_into(pack, entry, &mut scratch)?;
                    &scratch
                }
            };
            let result = apply_delta(&data, delta).map_err(|e| {
                format!(
                    "the delta at pack offset {} does not apply: {e}",
                    entry.pack_offset()
                )
            })?;
            data = Arc::new(result);
            self.cache
                .put((pack_no, entry.pack_offset()), kind, Arc::clone(&data));
        }
        self.scratch = scratch;
        Ok(Found::Object(kind, data))
    }

    fn inflate_entry(
        &mut self,
        pack: &gix::odb::pack::data::File,
        entry: &gix::odb::pack::data::Entry,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.inflate_into(pack, entry, &mut out)?;
        Ok(out)
    }

    /// Inflates `entry` into `out`, reusing its allocation.
    fn inflate_into(
        &mut self,
        pack: &gix::odb::pack::data::File,
        entry: &gix::odb::pack::data::Entry,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let offset = entry.pack_offset();
        let size = usize::try_from(entry.decompressed_size)
            .map_err(|_| format!("the pack entry at offset {offset} is too large"))?;
        out.clear();
        out.try_reserve_exact(size).map_err(|_| {
            format!("no memory for the {size} bytes of the pack entry at offset {offset}")
        })?;
        out.resize(size, 0);
        pack.decompress_entry(entry, &mut self.inflate, out)
            .map_err(|e| {
                format!(
                    "the pack entry at offset {offset} is unreadable: {}",
                    render(&e)
                )
            })?;
        Ok(())
    }
}

/// Base size, result size and instruction offset of a git delta.
fn delta_sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let mut pos = 0;
    let mut varint = || -> Option<u64> {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = *delta.get(pos)?;
            pos += 1;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    };
    let base = varint()?;
    let result = varint()?;
    Some((base, result, pos))
}

/// Applies a git delta to `base`.
fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, &'static str> {
    let (base_size, result_size, start) = delta_sizes(delta).ok_or("truncated delta header")?;
    if base_size != base.len() as u64 {
        return Err("the base has the wrong size");
    }
    let result_size = usize::try_from(result_size).map_err(|_| "the result is too large")?;
    let mut out = Vec::new();
    out.try_reserve_exact(result_size)
        .map_err(|_| "no memory for the result")?;
    let mut ins = delta.get(start..).ok_or("truncated delta")?;
    while let Some((&cmd, rest)) = ins.split_first() {
        ins = rest;
        if cmd & 0x80 != 0 {
            let mut field = |bits: &[(u8, u32)]| -> Result<usize, &'static str> {
                let mut value = 0usize;
                for &(bit, shift) in bits {
                    if cmd & bit != 0 {
                        let (&byte, rest) =
                            ins.split_first().ok_or("truncated copy instruction")?;
                        ins = rest;
                        value |= usize::from(byte) << shift;
                    }
                }
                Ok(value)
            };
            let offset = field(&[(0x01, 0), (0x02, 8), (0x04, 16), (0x08, 24)])?;
            let size = match field(&[(0x10, 0), (0x20, 8), (0x40, 16)])? {
                0 => 0x10000,
                size => size,
            };
            let end = offset.checked_add(size).ok_or("copy out of range")?;
            out.extend_from_slice(base.get(offset..end).ok_or("copy beyond the base")?);
        } else if cmd != 0 {
            let (literal, rest) = ins
                .split_at_checked(usize::from(cmd))
                .ok_or("truncated insert instruction")?;
            out.extend_from_slice(literal);
            ins = rest;
        } else {
            return Err("reserved instruction 0");
        }
        if out.len() > result_size {
            return Err("the result is longer than announced");
        }
    }
    if out.len() != result_size {
        return Err("the result is shorter than announced");
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Commits
// ---------------------------------------------------------------------------------------

/// Every commit of the walk, decoded once.
#[derive(Default)]
struct Graph {
    ids: Vec<ObjectId>,
    index: gix::hashtable::HashMap<ObjectId, u32>,
    /// `None` until decoded, and for commits that could not be read.
    tree: Vec<Option<ObjectId>>,
    /// Range into `parent_list`.
    parents: Vec<Range<u32>>,
    parent_list: Vec<u32>,
    author: Vec<u32>,
    time: Vec<i64>,
    /// In the walk (always, for [`history`]); out-of-range parents of a [`range`] are decoded
    /// for their tree only.
    in_scope: Vec<bool>,
    authors: Vec<String>,
}

impl Graph {
    /// The node of `id`, and whether it was just created.
    fn node(&mut self, id: ObjectId, in_scope: bool) -> (u32, bool) {
        if let Some(&n) = self.index.get(&id) {
            return (n, false);
        }
        let n = self.ids.len() as u32;
        self.ids.push(id);
        self.index.insert(id, n);
        self.tree.push(None);
        self.parents.push(0..0);
        self.author.push(0);
        self.time.push(0);
        self.in_scope.push(in_scope);
        (n, true)
    }

    fn parents_of(&self, n: u32) -> &[u32] {
        let r = &self.parents[n as usize];
        &self.parent_list[r.start as usize..r.end as usize]
    }

    /// Decoded commits of the walk.
    fn walked(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.ids.len() as u32).filter(|&n| self.is_walked(n))
    }

    fn is_walked(&self, n: u32) -> bool {
        self.in_scope[n as usize] && self.tree[n as usize].is_some()
    }
}

/// Decodes every commit reachable from `tips` (only those in `scope` when given; their
/// parents outside it are decoded for their tree only). Commits in `prefetched` are taken
/// from there.
fn load_commits(
    reader: &mut Reader<'_>,
    tips: &[ObjectId],
    scope: Option<&HashSet<ObjectId>>,
    mut prefetched: gix::hashtable::HashMap<ObjectId, ParsedCommit>,
    errors: &mut Errors,
) -> Graph {
    let hash = reader.repo.object_hash();
    let shallow: HashSet<ObjectId> = reader
        .repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default();
    let in_scope = |id: &ObjectId| scope.is_none_or(|s| s.contains(id));
    let mut g = Graph {
        authors: vec![String::new()],
        ..Graph::default()
    };
    let mut author_ids: HashMap<String, u32> = HashMap::new();
    let mut queue = Vec::new();
    for tip in tips {
        let (n, new) = g.node(*tip, in_scope(tip));
        if new {
            queue.push(n);
        }
    }
    while let Some(n) = queue.pop() {
        let id = g.ids[n as usize];
        let commit = match prefetched.remove(&id) {
            Some(commit) => commit,
            None => {
                let parsed = match reader.find(&id, u64::MAX) {
                    Ok(Found::Object(Kind::Commit, data)) => parse_commit(&id, &data, hash),
                    Ok(Found::Object(kind, _)) => Err(format!(
                        "object {id} is a {kind} where a commit was expected"
                    )),
                    Ok(_) => Err(missing("commit", &id, "")),
                    Err(e) => Err(format!("commit {id} could not be read: {e}; {FSCK}")),
                };
                match parsed {
                    Ok(commit) => commit,
                    Err(message) => {
                        errors.push(Some(&id), message);
                        continue;
                    }
                }
            }
        };
        g.tree[n as usize] = Some(commit.tree);
        if !g.in_scope[n as usize] {
            continue;
        }
        if let Some((name, time)) = commit.author {
            let next = g.authors.len() as u32;
            let a = *author_ids.entry(name).or_insert_with_key(|name| {
                g.authors.push(name.clone());
                next
            });
            g.author[n as usize] = a;
            g.time[n as usize] = time;
        }
        if shallow.contains(&id) {
            continue;
        }
        let start = g.parent_list.len() as u32;
        for p in &commit.parents {
            let (pn, new) = g.node(*p, in_scope(p));
            if new {
                queue.push(pn);
            }
            g.parent_list.push(pn);
        }
        g.parents[n as usize] = start..g.parent_list.len() as u32;
    }
    g
}

/// Topological order of the walked commits: parents first, then the oldest author time,
/// then the smallest id. Returns the commits by rank.
fn topo_order(g: &Graph) -> Vec<u32> {
    let n = g.ids.len();
    let distinct_parents = |c: u32, out: &mut Vec<u32>| {
        out.clear();
        out.extend(g.parents_of(c).iter().copied().filter(|&p| g.is_walked(p)));
        out.sort_unstable();
        out.dedup();
    };
    let mut pending = vec![0u32; n];
    let mut offsets = vec![0u32; n + 1];
    let mut parents = Vec::new();
    for c in g.walked() {
        distinct_parents(c, &mut parents);
        pending[c as usize] = parents.len() as u32;
        for &p in &parents {
            offsets[p as usize + 1] += 1;
        }
    }
    for i in 1..=n {
        offsets[i] += offsets[i - 1];
    }
    let mut fill = offsets.clone();
    let mut children = vec![0u32; offsets[n] as usize];
    for c in g.walked() {
        distinct_parents(c, &mut parents);
        for &p in &parents {
            children[fill[p as usize] as usize] = c;
            fill[p as usize] += 1;
        }
    }
    let key = |c: u32| Reverse((g.time[c as usize], g.ids[c as usize], c));
    let mut ready: BinaryHeap<_> = g
        .walked()
        .filter(|&c| pending[c as usize] == 0)
        .map(key)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, _, c))) = ready.pop() {
        order.push(c);
        let (start, end) = (
            offsets[c as usize] as usize,
            offsets[c as usize + 1] as usize,
        );
        for &child in &children[start..end] {
            pending[child as usize] -= 1;
            if pending[child as usize] == 0 {
                ready.push(key(child));
            }
        }
    }
    order
}

// ---------------------------------------------------------------------------------------
// Introductions: comparing each commit's tree with its parents'
// ---------------------------------------------------------------------------------------

/// The best (lowest-rank) introduction of a blob seen so far.
#[derive(Clone, Copy)]
struct Intro {
    rank: u32,
    path: u32,
}

/// Interned paths.
#[derive(Default)]
struct Paths {
    ids: HashMap<Vec<u8>, u32>,
    list: Vec<Vec<u8>>,
}

impl Paths {
    fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(path.to_vec());
        self.ids.insert(path.to_vec(), id);
        id
    }
}

/// Kinds of tree entries, from the mode.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryType {
    Tree,
    Blob,
    Submodule,
}

/// One tree entry, parsed in place.
struct TreeEntry<'a> {
    kind: EntryType,
    name: &'a [u8],
    id: &'a [u8],
    /// Offset just past the entry.
    end: usize,
}

/// Parses the entry at `pos` of raw tree data (`<octal mode> <name>\0<id>`).
fn tree_entry(data: &[u8], pos: usize, hash_len: usize) -> Option<TreeEntry<'_>> {
    let rest = data.get(pos..)?;
    let mut mode = 0u32;
    let mut i = 0;
    loop {
        let byte = *rest.get(i)?;
        if byte == b' ' {
            break;
        }
        if !(b'0'..=b'7').contains(&byte) || i > 7 {
            return None;
        }
        mode = mode * 8 + u32::from(byte - b'0');
        i += 1;
    }
    let name_start = i + 1;
    let nul = name_start + memchr::memchr(0, rest.get(name_start..)?)?;
    let id = rest.get(nul + 1..nul + 1 + hash_len)?;
    let kind = match mode & 0o170000 {
        0o040000 => EntryType::Tree,
        0o160000 => EntryType::Submodule,
        _ => EntryType::Blob, // regular, executable, symlink (and odd historic modes)
    };
    Some(TreeEntry {
        kind,
        name: &rest[name_start..nul],
        id,
        end: pos + nul + 1 + hash_len,
    })
}

/// Git's tree order: a tree sorts as if its name ended with `/`.
fn tree_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> CmpOrdering {
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then_with(|| {
        let a = a.get(common).copied().or(a_tree.then_some(b'/'));
        let b = b.get(common).copied().or(b_tree.then_some(b'/'));
        a.cmp(&b)
    })
}

/// Offset just past the entry at `pos` (skips the mode and name without parsing them).
fn entry_end(data: &[u8], pos: usize, hash_len: usize) -> Option<usize> {
    let nul = pos + memchr::memchr(0, data.get(pos..)?)?;
    let end = nul + 1 + hash_len;
    (end <= data.len()).then_some(end)
}

/// Length of the longest common prefix, compared in blocks.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    for block in [1024, 64, 8] {
        while i + block <= n && a[i..i + block] == b[i..i + block] {
            i += block;
        }
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the longest common suffix, compared in blocks.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    for block in [1024, 64, 8] {
        while i + block <= n && a[n - i - block..n - i] == b[n - i - block..n - i] {
            i += block;
        }
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// One thread's tree comparer.
struct TreeWalker<'r> {
    reader: Reader<'r>,
    hash_len: usize,
    path: Vec<u8>,
    /// Length of the fixed prefix of `path` (a ref name, for tips that are trees).
    root_len: usize,
    rank: u32,
    /// Commit being compared, for error messages.
    commit: Option<ObjectId>,
    best: gix::hashtable::HashMap<ObjectId, Intro>,
    paths: Paths,
    errors: Errors,
}

impl<'r> TreeWalker<'r> {
    fn new(reader: Reader<'r>) -> Self {
        let hash_len = reader.repo.object_hash().len_in_bytes();
        Self {
            reader,
            hash_len,
            path: Vec::new(),
            root_len: 0,
            rank: 0,
            commit: None,
            best: Default::default(),
            paths: Paths::default(),
            errors: Errors::default(),
        }
    }

    /// Records the blobs commit `c` (of `rank`) introduces relative to its parents.
    fn commit(&mut self, g: &Graph, c: u32, rank: u32) {
        let Some(tree) = g.tree[c as usize] else {
            return;
        };
        let mut olds: Vec<ObjectId> = Vec::with_capacity(2);
        for &p in g.parents_of(c) {
            // A parent that could not be read counts as empty: all is "introduced".
            if let Some(t) = g.tree[p as usize] {
                if t == tree {
                    return;
                }
                if !olds.contains(&t) {
                    olds.push(t);
                }
            }
        }
        self.rank = rank;
        self.commit = Some(g.ids[c as usize]);
        self.path.clear();
        self.root_len = 0;
        self.walk(&tree, &olds);
    }

    /// Records everything under a ref that points straight at a tree.
    fn tree_tip(&mut self, name: &str, tree: &oid, rank: u32) {
        self.rank = rank;
        self.commit = None;
        self.path.clear();
        self.path.extend_from_slice(name.as_bytes());
        self.path.push(b':');
        self.root_len = self.path.len();
        self.walk(tree, &[]);
    }

    fn context(&self) -> String {
        let at = if self.path.is_empty() {
            "the root tree".to_owned()
        } else {
            format!("'{}'", self.path.to_str_lossy())
        };
        match self.commit {
            Some(c) => format!("(at {at} of commit {c}) "),
            None => format!("(at {at}) "),
        }
    }

    fn load(&mut self, id: &oid) -> Option<Arc<Vec<u8>>> {
        let message = match self.reader.find(id, u64::MAX) {
            Ok(Found::Object(Kind::Tree, data)) => return Some(data),
            Ok(Found::Object(kind, _)) => {
                format!(
                    "object {id} {}is a {kind} where a tree was expected",
                    self.context()
                )
            }
            Ok(_) => missing("tree", id, &self.context()),
            Err(e) => format!("tree {id} {}could not be read: {e}; {FSCK}", self.context()),
        };
        self.errors.push(Some(id), message);
        None
    }

    /// Compares tree `new` with the trees `olds` at the same path in the parents, recording
    /// the blobs of `new` that no parent has at the same path.
    fn walk(&mut self, new_id: &oid, olds: &[ObjectId]) {
        let Some(new) = self.load(new_id) else { return };
        let mut olds: Vec<(Arc<Vec<u8>>, usize)> = olds
            .iter()
            .filter_map(|o| self.load(o))
            .map(|o| {
                let prefix = common_prefix(&new, &o);
                (o, prefix)
            })
            .collect();
        // The parent sharing the longest prefix first: it usually has the entry.
        olds.sort_by_key(|(_, prefix)| Reverse(*prefix));
        let hash_len = self.hash_len;
        // Entries wholly inside the bytes `new` shares with a parent are unchanged: skip them,
        // and start each parent's cursor at the end of what it shares.
        let mut cursors = vec![0; olds.len()];
        let mut pos = 0;
        let max_prefix = olds.first().map_or(0, |(_, prefix)| *prefix);
        while let Some(end) = entry_end(&new, pos, hash_len) {
            if end > max_prefix {
                break;
            }
            pos = end;
            for ((_, prefix), cursor) in olds.iter().zip(cursors.iter_mut()) {
                if end <= *prefix {
                    *cursor = end;
                }
            }
        }
        // ... and the same for the bytes a parent shares at the end.
        let suffixes: Vec<usize> = olds
            .iter()
            .zip(&cursors)
            .map(|((old, _), &at)| common_suffix(&new[pos..], &old[at..]))
            .collect();
        let mut sub_olds: Vec<ObjectId> = Vec::new();
        while pos < new.len() {
            let left = new.len() - pos;
            if olds
                .iter()
                .zip(&cursors)
                .zip(&suffixes)
                .any(|(((old, _), &at), &suffix)| old.len() - at == left && left <= suffix)
            {
                break;
            }
            let Some(entry) = tree_entry(&new, pos, hash_len) else {
                let message = format!(
                    "tree {new_id} {}is malformed at byte {pos}; {FSCK}",
                    self.context()
                );
                self.errors.push(Some(new_id), message);
                break;
            };
            pos = entry.end;
            if entry.kind == EntryType::Submodule {
                continue;
            }
            let is_tree = entry.kind == EntryType::Tree;
            let mut unchanged = false;
            sub_olds.clear();
            for ((old, _), at) in olds.iter().zip(cursors.iter_mut()) {
                while let Some(o) = tree_entry(old, *at, hash_len) {
                    match tree_order(o.name, o.kind == EntryType::Tree, entry.name, is_tree) {
                        CmpOrdering::Less => *at = o.end,
                        CmpOrdering::Equal => {
                            *at = o.end;
                            if o.id == entry.id {
                                unchanged = true;
                            } else if is_tree && let Ok(id) = ObjectId::try_from(o.id) {
                                sub_olds.push(id);
                            }
                            break;
                        }
                        CmpOrdering::Greater => break,
                    }
                }
                if unchanged {
                    break;
                }
            }
            if unchanged {
                continue;
            }
            let Ok(id) = ObjectId::try_from(entry.id) else {
                continue;
            };
            let len = self.path.len();
            if len > self.root_len {
                self.path.push(b'/');
            }
            self.path.extend_from_slice(entry.name);
            if is_tree {
                let subs = std::mem::take(&mut sub_olds);
                self.walk(&id, &subs);
                sub_olds = subs;
            } else {
                self.record(id);
            }
            self.path.truncate(len);
        }
    }

    fn record(&mut self, id: ObjectId) {
        let better = self
            .best
            .get(&id)
            .is_none_or(|intro| intro.rank > self.rank);
        if better {
            let path = self.paths.intern(&self.path);
            self.best.insert(
                id,
                Intro {
                    rank: self.rank,
                    path,
                },
            );
        }
    }
}

/// Every blob in the given trees (each subtree read once).
fn blobs_in_trees(
    reader: &mut Reader<'_>,
    trees: &[ObjectId],
    errors: &mut Errors,
) -> gix::hashtable::HashSet<ObjectId> {
    let hash_len = reader.repo.object_hash().len_in_bytes();
    let mut blobs = gix::hashtable::HashSet::default();
    let mut seen = gix::hashtable::HashSet::default();
    let mut stack: Vec<ObjectId> = trees.to_vec();
    while let Some(tree) = stack.pop() {
        if !seen.insert(tree) {
            continue;
        }
        let data = match reader.find(&tree, u64::MAX) {
            Ok(Found::Object(Kind::Tree, data)) => data,
            Ok(Found::Object(kind, _)) => {
                errors.push(
                    Some(&tree),
                    format!("object {tree} is a {kind} where a tree was expected"),
                );
                continue;
            }
            Ok(_) => {
                errors.push(
                    Some(&tree),
                    missing("tree", &tree, "(at the start of the range) "),
                );
                continue;
            }
            Err(e) => {
                errors.push(
                    Some(&tree),
                    format!("tree {tree} could not be read: {e}; {FSCK}"),
                );
                continue;
            }
        };
        let mut pos = 0;
        while let Some(entry) = tree_entry(&data, pos, hash_len) {
            pos = entry.end;
            let Ok(id) = ObjectId::try_from(entry.id) else {
                continue;
            };
            match entry.kind {
                EntryType::Tree => stack.push(id),
                EntryType::Blob => {
                    blobs.insert(id);
                }
                EntryType::Submodule => {}
            }
        }
    }
    blobs
}

/// All introductions of the walked commits, merged to the lowest rank per blob.
#[derive(Default)]
struct Introductions {
    best: gix::hashtable::HashMap<ObjectId, Intro>,
    paths: Paths,
}

impl Introductions {
    fn merge(&mut self, best: gix::hashtable::HashMap<ObjectId, Intro>, paths: Paths) {
        if self.best.is_empty() {
            *self = Introductions { best, paths };
            return;
        }
        let mut remap = vec![u32::MAX; paths.list.len()];
        for (id, intro) in best {
            if self.best.get(&id).is_none_or(|cur| cur.rank > intro.rank) {
                let p = &mut remap[intro.path as usize];
                if *p == u32::MAX {
                    *p = self.paths.intern(&paths.list[intro.path as usize]);
                }
                self.best.insert(
                    id,
                    Intro {
                        rank: intro.rank,
                        path: *p,
                    },
                );
            }
        }
    }
}

/// Runs `work` on `threads` threads, each with its own state from `init`, over chunks of
/// `items` handed out in order; returns each thread's final state.
fn parallel<T: Sync, S: Send>(
    name: &str,
    threads: usize,
    items: &[T],
    chunk: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) + Sync,
) -> Result<Vec<S>, GitError> {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for t in 0..threads {
            let (next, init, work) = (&next, &init, &work);
            let handle = std::thread::Builder::new()
                .name(format!("{name}-{t}"))
                .spawn_scoped(scope, move || {
                    let mut state = init();
                    loop {
                        let start = next.fetch_add(chunk, Ordering::Relaxed);
                        if start >= items.len() {
                            break;
                        }
                        for item in &items[start..(start + chunk).min(items.len())] {
                            work(&mut state, item);
                        }
                    }
                    state
                })
                .map_err(|source| GitError::Thread { source })?;
            handles.push(handle);
        }
        Ok(handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect())
    })
}

// ---------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------

/// The number of threads to use.
fn threads(opts: &HistoryOptions) -> usize {
    match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

/// Everything after the commits are known: introductions, then reading the blobs.
#[allow(clippy::too_many_arguments)]
fn scan_graph(
    ts: &gix::ThreadSafeRepository,
    packs: &Packs,
    layout: &Layout,
    g: Graph,
    others: &[OtherTip],
    known: &gix::hashtable::HashSet<ObjectId>,
    opts: &HistoryOptions,
    mut errors: Errors,
    visit: &(impl Fn(&[u8], &Origin) + Sync),
) -> Result<HistoryStats, GitError> {
    let threads = threads(opts);
    let order = topo_order(&g);
    // Newest first: about the order of a pack, so delta bases are still cached, and a
    // commit's tree is still cached when its child is compared with it.
    let work: Vec<(u32, u32)> = order
        .iter()
        .enumerate()
        .rev()
        .map(|(rank, &c)| (c, rank as u32))
        .collect();
    let chunk = (work.len() / (threads * 16)).clamp(64, 4096);
    let walkers = parallel(
        "git-diff",
        threads,
        &work,
        chunk,
        || TreeWalker::new(Reader::new(packs, ts, DIFF_CACHE, true)),
        |walker, &(c, rank)| walker.commit(&g, c, rank),
    )?;
    let mut intros = Introductions::default();
    for walker in walkers {
        errors.merge(walker.errors);
        intros.merge(walker.best, walker.paths);
    }
    // Tips that are trees or blobs rank after every commit, so a commit always wins.
    if !others.is_empty() {
        let mut walker = TreeWalker::new(Reader::new(packs, ts, DIFF_CACHE, true));
        walker.best = std::mem::take(&mut intros.best);
        walker.paths = std::mem::take(&mut intros.paths);
        for (i, tip) in others.iter().enumerate() {
            let rank = (order.len() + i) as u32;
            if tip.kind == Kind::Tree {
                walker.tree_tip(&tip.name, &tip.id, rank);
            } else {
                walker.rank = rank;
                walker.path.clear();
                walker.path.extend_from_slice(tip.name.as_bytes());
                walker.record(tip.id);
            }
        }
        errors.merge(walker.errors);
        intros = Introductions {
            best: walker.best,
            paths: walker.paths,
        };
    }
    intros.best.retain(|id, _| !known.contains(id));
    let (jobs, units) = pack_order(packs, layout, intros.best, 256);
    let source = Sources {
        g: &g,
        order: &order,
        others,
        paths: &intros.paths,
    };
    let readers = parallel(
        "git-read",
        threads,
        &units,
        1,
        || {
            (
                Reader::new(packs, ts, READ_CACHE, false),
                HistoryStats::default(),
                Errors::default(),
            )
        },
        |(reader, stats, errors), unit| {
            for job in &jobs[unit.clone()] {
                read_one(reader, job, &source, opts, visit, stats, errors);
            }
        },
    )?;
    let mut stats = HistoryStats {
        commits: order.len() as u64,
        ..HistoryStats::default()
    };
    for (_, thread_stats, thread_errors) in readers {
        stats.blobs += thread_stats.blobs;
        stats.bytes += thread_stats.bytes;
        stats.skipped_large += thread_stats.skipped_large;
        errors.merge(thread_errors);
    }
    stats.errors = errors.finish();
    Ok(stats)
}

/// One blob to read.
struct Job {
    id: ObjectId,
    intro: Intro,
}

/// Orders the blobs as they are stored, delta family by delta family (the blobs whose delta
/// chains start from the same base, in pack order; loose objects last), so a reader finds
/// each delta's base in its cache. Returns the jobs and the work units, ranges of whole
/// families of at least `unit` jobs (when families are that small).
fn pack_order(
    packs: &Packs,
    layout: &Layout,
    best: gix::hashtable::HashMap<ObjectId, Intro>,
    unit: usize,
) -> (Vec<Job>, Vec<Range<usize>>) {
    let mut keyed: Vec<_> = best
        .into_iter()
        .map(|(id, intro)| {
            let key = match packs.locate(&id) {
                Some((pack, offset)) => (pack, layout.root(pack, offset).unwrap_or(offset), offset),
                None => (u32::MAX, 0, 0),
            };
            (key, Job { id, intro })
        })
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let mut units = Vec::new();
    let mut start = 0;
    for i in 1..=keyed.len() {
        let family_ends = i == keyed.len()
            || keyed[i].0.0 != keyed[i - 1].0.0
            || keyed[i].0.1 != keyed[i - 1].0.1;
        if family_ends && (i - start >= unit || i == keyed.len()) {
            units.push(start..i);
            start = i;
        }
    }
    (keyed.into_iter().map(|(_, job)| job).collect(), units)
}

/// Turns an introduction into an [`Origin`].
struct Sources<'a> {
    g: &'a Graph,
    order: &'a [u32],
    others: &'a [OtherTip],
    paths: &'a Paths,
}

impl Sources<'_> {
    fn origin(&self, intro: Intro) -> Origin {
        let path = self
            .paths
            .list
            .get(intro.path as usize)
            .map(|p| p.to_str_lossy().into_owned())
            .unwrap_or_default();
        let rank = intro.rank as usize;
        if let Some(&c) = self.order.get(rank) {
            let c = c as usize;
            let author = self
                .g
                .authors
                .get(self.g.author[c] as usize)
                .cloned()
                .unwrap_or_default();
            Origin {
                commit: self.g.ids[c].to_string(),
                author,
                time: self.g.time[c],
                path,
            }
        } else if let Some(tip) = self.others.get(rank - self.order.len()) {
            Origin {
                commit: String::new(),
                author: tip.tagger.clone(),
                time: tip.time,
                path,
            }
        } else {
            Origin {
                commit: String::new(),
                author: String::new(),
                time: 0,
                path,
            }
        }
    }

    /// `(added as 'path' in commit c) `, for error messages.
    fn context(&self, intro: Intro) -> String {
        let o = self.origin(intro);
        if o.commit.is_empty() {
            format!("(at '{}') ", o.path)
        } else {
            format!("(added as '{}' in commit {}) ", o.path, o.commit)
        }
    }
}

fn read_one(
    reader: &mut Reader<'_>,
    job: &Job,
    source: &Sources<'_>,
    opts: &HistoryOptions,
    visit: &impl Fn(&[u8], &Origin),
    stats: &mut HistoryStats,
    errors: &mut Errors,
) {
    let id = &job.id;
    match reader.find(id, opts.max_blob_bytes) {
        Ok(Found::Object(Kind::Blob, data)) => {
            stats.blobs += 1;
            stats.bytes += data.len() as u64;
            visit(&data, &source.origin(job.intro));
        }
        Ok(Found::Object(kind, _)) => {
            let context = source.context(job.intro);
            errors.push(
                Some(id),
                format!("object {id} {context}is a {kind} where a blob was expected"),
            );
        }
        Ok(Found::TooLarge) => stats.skipped_large += 1,
        Ok(Found::Missing) => {
            errors.push(Some(id), missing("blob", id, &source.context(job.intro)))
        }
        Err(e) => {
            let context = source.context(job.intro);
            errors.push(
                Some(id),
                format!("blob {id} {context}could not be read: {e}; {FSCK}"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------

/// The commits selected by `spec`, as `git rev-list <spec>` would list them.
fn commits_in_range(
    repo: &gix::Repository,
    path: &Path,
    spec: &str,
) -> Result<HashSet<ObjectId>, GitError> {
    use gix::revision::plumbing::Spec;
    let fail = |message: String| GitError::Range {
        spec: spec.to_owned(),
        path: path.to_owned(),
        message,
    };
    let parsed = repo.rev_parse(spec).map_err(|e| fail(render(&e)))?.detach();
    let commit = |id: ObjectId| -> Result<ObjectId, GitError> {
        let object = repo.find_object(id).map_err(|e| fail(render(&e)))?;
        object
            .peel_to_commit()
            .map(|c| c.id)
            .map_err(|e| fail(format!("{id} is not a commit: {}", render(&e))))
    };
    let parents_of = |id: ObjectId| -> Result<Vec<ObjectId>, GitError> {
        let c = repo.find_commit(id).map_err(|e| fail(render(&e)))?;
        Ok(c.parent_ids().map(|p| p.detach()).collect())
    };
    let (tips, hidden): (Vec<ObjectId>, Vec<ObjectId>) = match parsed {
        Spec::Include(id) => (vec![commit(id)?], vec![]),
        Spec::Exclude(_) => (vec![], vec![]),
        Spec::Range { from, to } => (vec![commit(to)?], vec![commit(from)?]),
        Spec::Merge { theirs, ours } => {
            let (theirs, ours) = (commit(theirs)?, commit(ours)?);
            let bases = repo
                .merge_bases_many(theirs, &[ours])
                .map_err(|e| fail(render(&e)))?;
            (
                vec![theirs, ours],
                bases.into_iter().map(|b| b.detach()).collect(),
            )
        }
        Spec::IncludeOnlyParents(id) => (parents_of(commit(id)?)?, vec![]),
        Spec::ExcludeParents(id) => {
            let id = commit(id)?;
            (vec![id], parents_of(id)?)
        }
    };
    let mut out = HashSet::new();
    if tips.is_empty() {
        return Ok(out);
    }
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(|e| fail(render(&e)))?;
    for info in walk {
        let info = info.map_err(|e| fail(render(&e)))?;
        out.insert(info.id);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Staged changes
// ---------------------------------------------------------------------------------------

/// The index, or an empty one when there is no index file yet.
///
/// Its trailing checksum is not verified, as git itself only does in `git fsck`: hashing the
/// index of a large repository (8 MB for 100,000 files) costs more than the rest of a
/// pre-commit scan. A damaged index still fails to decode.
fn read_index(repo: &gix::Repository, path: &Path) -> Result<gix::index::File, GitError> {
    gix::index::File::at_or_default(
        repo.index_path(),
        repo.object_hash(),
        true,
        gix::index::decode::Options::default(),
    )
    .map_err(|e| GitError::Index {
        path: path.to_owned(),
        message: render(&e),
    })
}

/// What the staged change is compared with: `HEAD`'s files, except in the directories the
/// index's cache tree proves unchanged.
#[derive(Default)]
struct HeadFiles {
    /// Path → blob id of the files of `HEAD`'s tree outside the unchanged directories.
    blobs: HashMap<Vec<u8>, ObjectId>,
    /// Ranges of index entries (sorted, disjoint) in directories identical to `HEAD`'s.
    unchanged: Vec<Range<usize>>,
}

impl HeadFiles {
    /// The index entries outside the unchanged directories.
    fn outside_unchanged<'a>(
        &'a self,
        entries: &'a [gix::index::Entry],
    ) -> impl Iterator<Item = &'a gix::index::Entry> {
        let mut from = 0;
        let mut gaps = Vec::with_capacity(self.unchanged.len() + 1);
        for range in &self.unchanged {
            gaps.push(from..range.start);
            from = range.end;
        }
        gaps.push(from..entries.len());
        gaps.into_iter().flat_map(move |gap| &entries[gap])
    }
}

/// `HEAD`'s files (none without a commit), read only where the index may differ from them.
///
/// A directory whose cache-tree entry in the index is valid, names the same tree as `HEAD`
/// has there and counts as many entries as the index holds under it, holds exactly
/// `HEAD`'s files: git keeps that entry up to date (`git add` invalidates the directories
/// above what it adds, `git commit` and `git reset` write them anew) and trusts it the same
/// way to write commits. Such directories are not read, and their index entries not
/// compared, which leaves the few directories a typical change touches.
fn head_files(
    repo: &gix::Repository,
    index: &gix::index::State,
    path: &Path,
) -> Result<HeadFiles, GitError> {
    let mut files = HeadFiles::default();
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) => {
            return Err(GitError::References {
                path: path.to_owned(),
                message: render(&e),
            });
        }
    };
    let Some(commit) = head.id() else {
        return Ok(files);
    }; // unborn: no commit yet
    let commit = commit.detach();
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree_id().map(|t| t.detach()))
        .map_err(|e| GitError::Object {
            what: "HEAD's commit".to_owned(),
            id: commit.to_string(),
            path: path.to_owned(),
            message: render(&e),
        })?;
    let mut stack = vec![(tree, Vec::new(), index.tree())];
    let mut buf = Vec::new();
    while let Some((tree, prefix, cached)) = stack.pop() {
        if let Some(range) = cached.and_then(|c| unchanged_entries(index, c, &tree, &prefix)) {
            files.unchanged.push(range);
            continue;
        }
        if tree.is_empty_tree() {
            continue;
        }
        let shown = prefix.to_str_lossy().into_owned();
        let object_error = |message: String| GitError::Object {
            what: format!("HEAD's tree at '{shown}'"),
            id: tree.to_string(),
            path: path.to_owned(),
            message,
        };
        match repo.objects.try_find(&tree, &mut buf) {
            Ok(Some(obj)) if obj.kind == Kind::Tree => {}
            Ok(Some(obj)) => return Err(object_error(format!("it is a {}", obj.kind))),
            Ok(None) => return Err(object_error("it is missing".to_owned())),
            Err(e) => return Err(object_error(render(&e))),
        }
        for entry in TreeRefIter::from_bytes(&buf, repo.object_hash()) {
            let entry = entry.map_err(|e| object_error(render(&e)))?;
            let mut p = prefix.clone();
            if !p.is_empty() {
                p.push(b'/');
            }
            p.extend_from_slice(entry.filename);
            match entry.mode.kind() {
                EntryKind::Tree => {
                    let child = cached.and_then(|c| {
                        c.children
                            .iter()
                            .find(|child| child.name.as_slice() == entry.filename.as_bytes())
                    });
                    stack.push((entry.oid.to_owned(), p, child));
                }
                EntryKind::Commit => {}
                _ => {
                    files.blobs.insert(p, entry.oid.to_owned());
                }
            }
        }
    }
    files.unchanged.sort_unstable_by_key(|r| r.start);
    Ok(files)
}

/// The index entries under the directory `prefix` (the root when empty), when its
/// cache-tree entry `cached` shows them to be exactly `HEAD`'s `tree`.
fn unchanged_entries(
    index: &gix::index::State,
    cached: &gix::index::extension::Tree,
    tree: &oid,
    prefix: &[u8],
) -> Option<Range<usize>> {
    let count = cached.num_entries? as usize;
    if cached.id != tree || count == 0 {
        return None;
    }
    let entries = index.entries();
    let range = if prefix.is_empty() {
        0..entries.len()
    } else {
        let mut dir = prefix.to_vec();
        dir.push(b'/');
        let start = entries.partition_point(|e| e.path(index).as_bytes() < dir.as_slice());
        let len = entries[start..].partition_point(|e| e.path(index).starts_with(&dir));
        start..start + len
    };
    (range.len() == count).then_some(range)
}

fn read_blob(
    repo: &gix::Repository,
    id: &oid,
    path: &Path,
    what: impl Fn() -> String,
) -> Result<Vec<u8>, GitError> {
    let error = |message: String| GitError::Object {
        what: what(),
        id: id.to_string(),
        path: path.to_owned(),
        message,
    };
    let mut buf = Vec::new();
    match repo.objects.try_find(id, &mut buf) {
        Ok(Some(obj)) if obj.kind == Kind::Blob => {}
        Ok(Some(obj)) => return Err(error(format!("it is a {}, not a blob", obj.kind))),
        Ok(None) => return Err(error("it is missing from the object database".to_owned())),
        Err(e) => return Err(error(render(&e))),
    }
    Ok(buf)
}

/// Every line of `data`, each with its line ending (a new file).
fn whole_lines(data: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        out.push(start..end);
        start = end;
    }
    out
}

/// The lines of `after` (each with its line ending) that a line diff from `before` marks as
/// added.
fn added_lines(before: &[u8], after: &[u8]) -> Vec<Range<usize>> {
    use gix_imara_diff::{Algorithm, Diff, InternedInput};
    let input = InternedInput::new(before, after);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let mut starts = Vec::with_capacity(input.after.len() + 1);
    let mut offset = 0usize;
    for token in &input.after {
        starts.push(offset);
        offset += input.interner[*token].len();
    }
    starts.push(offset);
    let mut out = Vec::new();
    for hunk in diff.hunks() {
        for line in hunk.after.start as usize..hunk.after.end as usize {
            out.push(starts[line]..starts[line + 1]);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::sync::Mutex;

    /// A throwaway repository driven through the `git` CLI, with fixed identities and dates.
    struct Fixture {
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Self {
            let fixture = Self {
                dir: tempfile::tempdir().unwrap(),
            };
            fixture.git(&["init", "-q", "-b", "main"]);
            fixture
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }

        fn command(&self, args: &[&str], time: i64, author: &str) -> Command {
            let mut cmd = Command::new("git");
            let date = format!("@{time} +0000");
            cmd.current_dir(self.path())
                .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("HOME", self.path())
                .env("GIT_AUTHOR_NAME", author)
                .env(
                    "GIT_AUTHOR_EMAIL",
                    format!("{}@example.com", author.to_lowercase()),
                )
                .env("GIT_COMMITTER_NAME", "Committer")
                .env("GIT_COMMITTER_EMAIL", "committer@example.com")
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date);
            cmd
        }

        fn git_at(&self, args: &[&str], time: i64, author: &str) -> String {
            let out = self.command(args, time, author).output().unwrap();
            assert!(
                out.status.success(),
                "git {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        }

        fn git(&self, args: &[&str]) -> String {
            self.git_at(args, 1_000, "Setup")
        }

        fn write(&self, path: &str, data: &[u8]) {
            let full = self.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, data).unwrap();
        }

        /// Stages everything and commits it as `author` at `time`; returns the commit id.
        fn commit(&self, message: &str, author: &str, time: i64) -> String {
            self.git(&["add", "-A"]);
            self.git_at(
                &["commit", "-q", "--allow-empty", "-m", message],
                time,
                author,
            );
            self.git(&["rev-parse", "HEAD"])
        }

        fn blob_id(&self, data: &[u8]) -> String {
            let mut child = self
                .command(&["hash-object", "--stdin"], 0, "x")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), data).unwrap();
            let out = child.wait_with_output().unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        }
    }

    type Visits = Vec<(Vec<u8>, Origin)>;

    fn run(
        result: impl FnOnce(&(dyn Fn(&[u8], &Origin) + Sync)) -> Result<HistoryStats, GitError>,
    ) -> (HistoryStats, Visits) {
        let seen = Mutex::new(Vec::new());
        let stats = result(&|data: &[u8], origin: &Origin| {
            seen.lock().unwrap().push((data.to_vec(), origin.clone()));
        })
        .unwrap();
        (stats, seen.into_inner().unwrap())
    }

    fn walk_history(repo: &Path, opts: &HistoryOptions) -> (HistoryStats, Visits) {
        run(|visit| history(repo, opts, visit))
    }

    fn walk_range(repo: &Path, spec: &str) -> (HistoryStats, Visits) {
        run(|visit| range(repo, spec, &HistoryOptions::default(), visit))
    }

    fn origin_of<'a>(visits: &'a Visits, data: &[u8]) -> &'a Origin {
        let found: Vec<_> = visits.iter().filter(|(d, _)| d == data).collect();
        assert_eq!(
            found.len(),
            1,
            "{:?} visited {} times",
            String::from_utf8_lossy(data),
            found.len()
        );
        &found[0].1
    }

    fn contents(visits: &Visits) -> Vec<String> {
        let mut all: Vec<String> = visits
            .iter()
            .map(|(d, _)| String::from_utf8_lossy(d).into_owned())
            .collect();
        all.sort();
        all
    }

    fn two_threads() -> HistoryOptions {
        HistoryOptions {
            threads: 2,
            ..HistoryOptions::default()
        }
    }

    #[test]
    fn history_visits_each_blob_once_with_its_first_introduction() {
        let r = Fixture::new();
        r.write("a.txt", b"alpha\n");
        r.write("dir/b.txt", b"beta\n");
        let c1 = r.commit("c1", "Ann", 1_000);
        r.git(&["checkout", "-q", "-b", "side"]);
        r.write("side.txt", b"side\n");
        r.write("other.txt", b"alpha2\n");
        let c4 = r.commit("side", "Cat", 1_500);
        r.git(&["checkout", "-q", "-b", "lonely", &c1]);
        r.write("lonely.txt", b"only on an unmerged branch\n");
        let lonely = r.commit("lonely", "Eve", 1_200);
        r.git(&["checkout", "-q", "main"]);
        // The same content at another path, and the side branch's content at a.txt.
        r.write("copy.txt", b"alpha\n");
        r.write("a.txt", b"alpha2\n");
        let _c2 = r.commit("c2", "Bob", 2_000);
        r.git(&["mv", "dir/b.txt", "renamed.txt"]);
        let _c3 = r.commit("c3 rename", "Bob", 3_000);
        r.git_at(&["merge", "-q", "--no-edit", "side"], 4_000, "Bob");
        r.write("again.txt", b"beta\n");
        r.write("g.txt", b"gamma\n");
        let c6 = r.commit("c6", "Dan", 5_000);
        r.git(&["tag", "-a", "-m", "release", "v1", &c6]);
        let blob = {
            r.write("loose-blob", b"tagged blob\n");
            let id = r.git(&["hash-object", "-w", "loose-blob"]);
            std::fs::remove_file(r.path().join("loose-blob")).unwrap();
            id
        };
        r.git(&["tag", "blobtag", &blob]);

        let (stats, visits) = walk_history(r.path(), &two_threads());
        assert!(stats.errors.is_empty(), "{:?}", stats.errors);
        assert_eq!(
            contents(&visits),
            [
                "alpha\n",
                "alpha2\n",
                "beta\n",
                "gamma\n",
                "only on an unmerged branch\n",
                "side\n",
                "tagged blob\n"
            ]
        );
        assert_eq!(stats.blobs, 7);
        assert_eq!(
            stats.commits, 7,
            "c1, side, lonely, c2, c3, the merge and c6"
        );
        assert_eq!(
            stats.bytes,
            visits.iter().map(|(d, _)| d.len() as u64).sum::<u64>()
        );

        let alpha = origin_of(&visits, b"alpha\n");
        assert_eq!(
            alpha,
            &Origin {
                commit: c1.clone(),
                author: "Ann <ann@example.com>".into(),
                time: 1_000,
                path: "a.txt".into()
            }
        );
        // Renamed, then re-added elsewhere: still where it first appeared.
        let beta = origin_of(&visits, b"beta\n");
        assert_eq!(
            (beta.commit.as_str(), beta.path.as_str()),
            (c1.as_str(), "dir/b.txt")
        );
        // On two unrelated branches: the older author time wins (side, 1500, before c2, 2000).
        let alpha2 = origin_of(&visits, b"alpha2\n");
        assert_eq!(
            alpha2,
            &Origin {
                commit: c4.clone(),
                author: "Cat <cat@example.com>".into(),
                time: 1_500,
                path: "other.txt".into()
            }
        );
        assert_eq!(origin_of(&visits, b"side\n").commit, c4);
        assert_eq!(
            origin_of(&visits, b"only on an unmerged branch\n").commit,
            lonely
        );
        let gamma = origin_of(&visits, b"gamma\n");
        assert_eq!(
            (gamma.commit.as_str(), gamma.path.as_str(), gamma.time),
            (c6.as_str(), "g.txt", 5_000)
        );
        let tagged = origin_of(&visits, b"tagged blob\n");
        assert_eq!(
            (tagged.commit.as_str(), tagged.path.as_str()),
            ("", "refs/tags/blobtag")
        );
    }

    #[test]
    fn history_prefers_the_ancestor_over_an_older_author_time() {
        let r = Fixture::new();
        r.write("x.txt", b"X\n");
        let c1 = r.commit("add", "Ann", 5_000);
        std::fs::remove_file(r.path().join("x.txt")).unwrap();
        r.write("y.txt", b"Y\n");
        r.commit("remove", "Ann", 6_000);
        // Re-added by a descendant whose author time is older (a rebased commit).
        r.write("z.txt", b"X\n");
        r.commit("re-add", "Old", 1_000);
        let (stats, visits) = walk_history(r.path(), &HistoryOptions::default());
        assert!(stats.errors.is_empty(), "{:?}", stats.errors);
        let x = origin_of(&visits, b"X\n");
        assert_eq!((x.commit.as_str(), x.path.as_str()), (c1.as_str(), "x.txt"));
    }

    #[test]
    fn history_reads_packed_deltas_like_git() {
        let r = Fixture::new();
        let mut lines: Vec<String> = (0..300)
            .map(|i| format!("line {i} of a file that changes a little\n"))
            .collect();
        for round in 0..25 {
            lines[(round * 7) % 300] = format!("changed in round {round}\n");
            r.write("big.txt", lines.concat().as_bytes());
            r.write(
                &format!("dir{}/small.txt", round % 3),
                format!("small {round}\n").as_bytes(),
            );
            r.commit(&format!("round {round}"), "Ann", 1_000 + round as i64);
        }
        r.git(&["gc", "-q", "--aggressive"]);
        let expected: std::collections::BTreeSet<String> = r
            .git(&["rev-list", "--all", "--objects"])
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|id| r.git(&["cat-file", "-t", id]) == "blob")
            .map(str::to_owned)
            .collect();
        for opts in [
            HistoryOptions {
                threads: 1,
                ..HistoryOptions::default()
            },
            two_threads(),
        ] {
            let (stats, visits) = walk_history(r.path(), &opts);
            assert!(stats.errors.is_empty(), "{:?}", stats.errors);
            let got: std::collections::BTreeSet<String> = visits
                .iter()
                .map(|(data, _)| {
                    gix::objs::compute_hash(gix::hash::Kind::Sha1, Kind::Blob, data)
                        .unwrap()
                        .to_string()
                })
                .collect();
            assert_eq!(got.len(), visits.len(), "a blob was visited twice");
            assert_eq!(got, expected);
            assert_eq!(stats.commits, 25);
        }
    }

    #[test]
    fn history_includes_stashes_only_when_asked() {
        let r = Fixture::new();
        r.write("a.txt", b"committed\n");
        r.commit("c1", "Ann", 1_000);
        r.write("a.txt", b"stash one\n");
        r.git_at(&["stash", "-q"], 2_000, "Ann");
        r.write("a.txt", b"stash two\n");
        r.git_at(&["stash", "-q"], 3_000, "Ann");
        let (_, with) = walk_history(r.path(), &HistoryOptions::default());
        assert_eq!(
            contents(&with),
            ["committed\n", "stash one\n", "stash two\n"]
        );
        let (_, without) = walk_history(
            r.path(),
            &HistoryOptions {
                stash: false,
                ..HistoryOptions::default()
            },
        );
        assert_eq!(contents(&without), ["committed\n"]);
    }

    #[test]
    fn history_skips_submodules_and_large_blobs() {
        let r = Fixture::new();
        r.write("small.txt", b"small\n");
        r.write("large.bin", &vec![b'x'; 10_000]);
        r.git(&["add", "-A"]);
        let fake = "0123456789012345678901234567890123456789";
        r.git(&[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{fake},sub"),
        ]);
        r.git_at(&["commit", "-q", "-m", "with a submodule"], 1_000, "Ann");
        let opts = HistoryOptions {
            max_blob_bytes: 1_000,
            ..HistoryOptions::default()
        };
        let (stats, visits) = walk_history(r.path(), &opts);
        assert!(stats.errors.is_empty(), "{:?}", stats.errors);
        assert_eq!(contents(&visits), ["small\n"]);
        assert_eq!((stats.blobs, stats.skipped_large), (1, 1));
    }

    #[test]
    fn history_reports_corrupt_and_missing_objects() {
        let r = Fixture::new();
        r.write("good.txt", b"good content\n");
        r.write("bad.txt", b"this blob will be truncated on disk\n");
        r.write("gone.txt", b"this blob will be deleted\n");
        r.commit("c1", "Ann", 1_000);
        let object_file = |id: &str| r.path().join(".git/objects").join(&id[..2]).join(&id[2..]);
        let bad = r.blob_id(b"this blob will be truncated on disk\n");
        let file = object_file(&bad);
        let bytes = std::fs::read(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        let gone = r.blob_id(b"this blob will be deleted\n");
        std::fs::remove_file(object_file(&gone)).unwrap();

        let (stats, visits) = walk_history(r.path(), &HistoryOptions::default());
        assert_eq!(contents(&visits), ["good content\n"]);
        assert_eq!(stats.errors.len(), 2, "{:?}", stats.errors);
        let bad_error = stats.errors.iter().find(|e| e.contains(&bad)).unwrap();
        assert!(
            bad_error.contains("bad.txt") && bad_error.contains("fsck"),
            "{bad_error}"
        );
        let gone_error = stats.errors.iter().find(|e| e.contains(&gone)).unwrap();
        assert!(
            gone_error.contains("missing") && gone_error.contains("gone.txt"),
            "{gone_error}"
        );
    }

    #[test]
    fn range_sees_only_blobs_new_in_the_range() {
        let r = Fixture::new();
        r.write("a.txt", b"base\n");
        r.write("keep.txt", b"kept\n");
        r.commit("c1", "Ann", 1_000);
        r.git(&["checkout", "-q", "-b", "feature"]);
        r.write("f.txt", b"feat\n");
        r.write("a.txt", b"base2\n");
        let f1 = r.commit("f1", "Bob", 2_000);
        r.write("copy-of-kept.txt", b"kept\n");
        r.write("n.txt", b"new2\n");
        let f2 = r.commit("f2", "Bob", 3_000);
        r.git(&["checkout", "-q", "main"]);
        r.write("m.txt", b"main only\n");
        r.commit("c2", "Ann", 4_000);

        let (stats, visits) = walk_range(r.path(), "main..feature");
        assert!(stats.errors.is_empty(), "{:?}", stats.errors);
        assert_eq!(contents(&visits), ["base2\n", "feat\n", "new2\n"]);
        assert_eq!(stats.commits, 2);
        assert_eq!(origin_of(&visits, b"feat\n").commit, f1);
        assert_eq!(origin_of(&visits, b"new2\n").commit, f2);

        let (_, single) = walk_range(r.path(), &format!("{f1}..{f2}"));
        assert_eq!(contents(&single), ["new2\n"]);
        let (_, symmetric) = walk_range(r.path(), "main...feature");
        assert_eq!(
            contents(&symmetric),
            ["base2\n", "feat\n", "main only\n", "new2\n"]
        );

        let error = range(
            r.path(),
            "main..no-such-branch",
            &HistoryOptions::default(),
            |_, _| {},
        )
        .unwrap_err();
        assert!(matches!(error, GitError::Range { .. }), "{error}");
        assert!(error.to_string().contains("no-such-branch"), "{error}");
    }

    #[test]
    fn staged_reports_added_lines_only() {
        let r = Fixture::new();
        // No HEAD yet: every staged file is new, all of it added.
        r.write("new.txt", b"l1\nl2\n");
        r.git(&["add", "new.txt"]);
        let files = staged(r.path()).unwrap();
        assert_eq!(
            files,
            [StagedFile {
                path: "new.txt".into(),
                data: b"l1\nl2\n".to_vec(),
                added: vec![0..3, 3..6]
            }]
        );
        r.commit("c1", "Ann", 1_000);

        r.write("new.txt", b"l1\nl2\n"); // unchanged
        r.write("edit.txt", b"a\nb\nc\n");
        r.write("gone.txt", b"bye\n");
        r.write("unstaged.txt", b"one\n");
        r.commit("c2", "Ann", 2_000);
        r.write("edit.txt", b"a\nB\nc\nd\n");
        r.git(&["add", "edit.txt"]);
        r.git(&["rm", "-q", "gone.txt"]);
        r.write("unstaged.txt", b"one\ntwo\n");
        r.write("dir/bin.dat", b"\x00\x01bin\n\xff\x00");
        r.write("tail.txt", b"x\ny");
        r.git(&["add", "dir/bin.dat", "tail.txt"]);

        let files = staged(r.path()).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["dir/bin.dat", "edit.txt", "tail.txt"]);
        let edit = &files[1];
        assert_eq!(edit.data, b"a\nB\nc\nd\n");
        let added: Vec<&[u8]> = edit.added.iter().map(|r| &edit.data[r.clone()]).collect();
        assert_eq!(added, [b"B\n".as_slice(), b"d\n".as_slice()]);
        assert_eq!(files[0].data, b"\x00\x01bin\n\xff\x00");
        assert_eq!(files[0].added, [0..6, 6..8]);
        assert_eq!(files[2].added, [0..2, 2..3]);
    }

    #[test]
    fn staged_trusts_the_cache_tree_only_where_it_matches_head() {
        let r = Fixture::new();
        for dir in ["a", "b", "b/c", "d"] {
            r.write(&format!("{dir}/f.txt"), b"one\n");
        }
        r.commit("c1", "Ann", 1_000);
        let root_cache_tree = || {
            let repo = gix::open(r.path()).unwrap();
            read_index(&repo, r.path())
                .unwrap()
                .tree()
                .map(|t| t.num_entries.is_some())
        };
        let paths = || -> Vec<String> {
            staged(r.path())
                .unwrap()
                .into_iter()
                .map(|f| f.path)
                .collect()
        };
        assert_eq!(root_cache_tree(), Some(true), "git commit writes it");
        assert!(paths().is_empty());

        // `git add` invalidates b, b/c, d and the root; a stays valid and is skipped.
        r.write("b/c/f.txt", b"one\ntwo\n");
        r.write("d/new.txt", b"new\n");
        r.git(&["add", "b", "d"]);
        assert_eq!(root_cache_tree(), Some(false));
        assert_eq!(paths(), ["b/c/f.txt", "d/new.txt"]);

        // A cache tree valid everywhere, but for a newer commit than HEAD: the directories
        // whose trees differ from HEAD's are still compared entry by entry.
        r.commit("c2", "Ann", 2_000);
        r.git(&["reset", "-q", "--soft", "HEAD~1"]);
        assert_eq!(root_cache_tree(), Some(true));
        assert_eq!(paths(), ["b/c/f.txt", "d/new.txt"]);

        // No cache tree at all: every entry is compared.
        r.git(&["rm", "-rq", "--cached", "."]);
        r.git(&["add", "-A"]);
        assert_ne!(root_cache_tree(), Some(true));
        assert_eq!(paths(), ["b/c/f.txt", "d/new.txt"]);
    }

    #[test]
    fn history_of_a_repository_without_commits_is_empty() {
        let r = Fixture::new();
        let (stats, visits) = walk_history(r.path(), &HistoryOptions::default());
        assert!(visits.is_empty());
        assert_eq!(stats, HistoryStats::default());
    }

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

    #[test]
    fn deltas_apply_and_reject_garbage() {
        // base "hello world", result "hello there world": copy 6, insert "there ", copy 5.
        let delta = [
            11, 17, 0x90, 6, 6, b't', b'h', b'e', b'r', b'e', b' ', 0x91, 6, 5,
        ];
        assert_eq!(
            apply_delta(b"hello world", &delta).unwrap(),
            b"hello there world"
        );
        assert!(apply_delta(b"hello", &delta).is_err(), "wrong base size");
        assert!(
            apply_delta(b"hello world", &delta[..9]).is_err(),
            "truncated"
        );
        let out_of_range = [11, 5, 0x91, 10, 5];
        assert!(apply_delta(b"hello world", &out_of_range).is_err());
    }
}

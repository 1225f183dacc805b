//! The staged change of a pre-commit hook: what the index adds relative to `HEAD`.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::hash::oid;
use gix::objs::tree::EntryKind;
use gix::objs::{Find as _, Kind, TreeRefIter};

use super::errors::{GitError, render};
use super::{StagedFile, open};

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

/// The commit a work tree is at, and whether its tracked files differ from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkTree {
    /// `HEAD`'s commit, full hex.
    pub commit: String,
    /// Whether a tracked file differs from `HEAD`: staged, changed in the work tree,
    /// or deleted. Untracked files do not count.
    pub dirty: bool,
}

/// The commit of the work tree at (or above) `path` and whether it has uncommitted
/// changes to tracked files, as `git status --untracked-files=no` would list them.
/// A file whose size and modification time match its index entry is taken as
/// unchanged, as git takes it (unless it changed in the second the index was
/// written); any other is hashed and compared, without git's content filters, so a
/// checkout that converts line endings may count as changed. `None` when `path` is
/// in no work tree, it has no commit yet, or it cannot be read: no commit is then
/// vouched for.
pub fn work_tree(path: &Path) -> Option<WorkTree> {
    let ts = open(path).ok()?;
    let repo = ts.to_thread_local();
    let root = repo.workdir()?.to_owned();
    let commit = repo.head_id().ok()?.detach();
    let index = read_index(&repo, path).ok()?;
    let head = head_files(&repo, &index, path).ok()?;
    let index_time = std::fs::metadata(repo.index_path())
        .and_then(|m| m.modified())
        .ok();
    let dirty =
        staged_changes(&index, &head) || work_tree_changes(&repo, &root, &index, index_time);
    Some(WorkTree {
        commit: commit.to_string(),
        dirty,
    })
}

/// Whether the index differs from `HEAD`'s tree.
fn staged_changes(index: &gix::index::File, head: &HeadFiles) -> bool {
    let mut matched = 0;
    for entry in head.outside_unchanged(index.entries()) {
        if entry.mode == gix::index::entry::Mode::COMMIT
            || entry.mode == gix::index::entry::Mode::DIR
        {
            continue;
        }
        if entry.stage_raw() != 0 || head.blobs.get(entry.path(index).as_bytes()) != Some(&entry.id)
        {
            return true;
        }
        matched += 1;
    }
    // A file of HEAD the index no longer has: a staged deletion.
    matched != head.blobs.len()
}

/// Whether a tracked file in the work tree differs from its index entry.
fn work_tree_changes(
    repo: &gix::Repository,
    root: &Path,
    index: &gix::index::File,
    index_time: Option<std::time::SystemTime>,
) -> bool {
    use gix::index::entry::Mode;
    for entry in index.entries() {
        if entry.mode == Mode::COMMIT || entry.mode == Mode::DIR || entry.stage_raw() != 0 {
            continue;
        }
        let Ok(relative) = gix::path::from_bstr(entry.path(index)) else {
            return true;
        };
        let file = root.join(relative);
        let Ok(meta) = std::fs::symlink_metadata(&file) else {
            return true;
        };
        let data = if entry.mode == Mode::SYMLINK {
            if !meta.file_type().is_symlink() {
                return true;
            }
            match std::fs::read_link(&file) {
                Ok(target) => match gix::path::into_bstr(target) {
                    Ok(bytes) => bytes.into_owned().into(),
                    Err(_) => return true,
                },
                Err(_) => return true,
            }
        } else {
            if !meta.is_file() || meta.len() as u32 != entry.stat.size {
                return true;
            }
            let modified = meta.modified().ok();
            let same_time = modified
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .is_some_and(|d| {
                    d.as_secs() as u32 == entry.stat.mtime.secs
                        && d.subsec_nanos() == entry.stat.mtime.nsecs
                });
            // Changed in the second the index was written: the times cannot tell.
            let racy = match (modified, index_time) {
                (Some(m), Some(i)) => m >= i,
                _ => true,
            };
            if same_time && !racy {
                continue;
            }
            match std::fs::read(&file) {
                Ok(data) => data,
                Err(_) => return true,
            }
        };
        match gix::objs::compute_hash(repo.object_hash(), Kind::Blob, &data) {
            Ok(id) if id == entry.id => {}
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::git::fixture::*;

    #[test]
    fn work_tree_names_head_and_whether_tracked_files_changed() {
        let r = Fixture::new();
        r.write("a.txt", b"one\n");
        assert_eq!(work_tree(r.path()), None, "no commit yet");
        let c1 = r.commit("c1", "Ann", 1_000);
        let clean = work_tree(r.path()).unwrap();
        assert_eq!(
            clean,
            WorkTree {
                commit: c1.clone(),
                dirty: false
            }
        );

        r.write("untracked.txt", b"new\n");
        assert!(
            !work_tree(r.path()).unwrap().dirty,
            "untracked files do not count"
        );

        r.write("a.txt", b"two\n");
        assert!(work_tree(r.path()).unwrap().dirty, "a changed tracked file");
        r.git(&["add", "a.txt"]);
        assert!(work_tree(r.path()).unwrap().dirty, "a staged change");
        r.git(&["reset", "-q", "--hard"]);
        assert!(!work_tree(r.path()).unwrap().dirty);

        std::fs::remove_file(r.path().join("a.txt")).unwrap();
        assert!(work_tree(r.path()).unwrap().dirty, "a deleted tracked file");
        r.git(&["rm", "-q", "a.txt"]);
        assert!(work_tree(r.path()).unwrap().dirty, "a staged deletion");
        let c2 = r.commit("c2", "Ann", 2_000);
        assert_eq!(
            work_tree(r.path()).unwrap(),
            WorkTree {
                commit: c2,
                dirty: false
            }
        );
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
}

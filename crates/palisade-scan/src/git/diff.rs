//! Introductions: comparing each commit's tree with the trees of all its parents at once,
//! to learn which blobs it brings in and at which path.

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::HashMap;
use std::sync::Arc;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::hash::oid;
use gix::objs::Kind;

use super::errors::{Errors, FSCK, missing};
use super::graph::Graph;
use super::pack::{Found, Reader};

/// The best (lowest-rank) introduction of a blob seen so far.
#[derive(Clone, Copy)]
pub(super) struct Intro {
    pub(super) rank: u32,
    pub(super) path: u32,
}

/// Interned paths.
#[derive(Default)]
pub(super) struct Paths {
    pub(super) ids: HashMap<Vec<u8>, u32>,
    pub(super) list: Vec<Vec<u8>>,
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
    pub(super) kind: EntryType,
    pub(super) name: &'a [u8],
    pub(super) id: &'a [u8],
    /// Offset just past the entry.
    pub(super) end: usize,
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
pub(super) struct TreeWalker<'r> {
    pub(super) reader: Reader<'r>,
    hash_len: usize,
    pub(super) path: Vec<u8>,
    /// Length of the fixed prefix of `path` (a ref name, for tips that are trees).
    root_len: usize,
    pub(super) rank: u32,
    /// Commit being compared, for error messages.
    pub(super) commit: Option<ObjectId>,
    pub(super) best: gix::hashtable::HashMap<ObjectId, Intro>,
    pub(super) paths: Paths,
    pub(super) errors: Errors,
}

impl<'r> TreeWalker<'r> {
    pub(super) fn new(reader: Reader<'r>) -> Self {
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
    pub(super) fn commit(&mut self, g: &Graph, c: u32, rank: u32) {
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
    pub(super) fn tree_tip(&mut self, name: &str, tree: &oid, rank: u32) {
        self.rank = rank;
        self.commit = None;
        self.path.clear();
        self.path.extend_from_slice(name.as_bytes());
        self.path.push(b':');
        self.root_len = self.path.len();
        self.walk(tree, &[]);
    }

    pub(super) fn context(&self) -> String {
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
    pub(super) fn walk(&mut self, new_id: &oid, olds: &[ObjectId]) {
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

    pub(super) fn record(&mut self, id: ObjectId) {
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
pub(super) fn blobs_in_trees(
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
pub(super) struct Introductions {
    pub(super) best: gix::hashtable::HashMap<ObjectId, Intro>,
    pub(super) paths: Paths,
}

impl Introductions {
    pub(super) fn merge(&mut self, best: gix::hashtable::HashMap<ObjectId, Intro>, paths: Paths) {
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

//! The commit graph: every commit of a walk decoded once, and their topological order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ops::Range;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::hash::oid;
use gix::objs::commit::ref_iter::Token as CommitToken;
use gix::objs::{CommitRefIter, Kind};

use super::errors::{Errors, FSCK, GitError, missing, unreadable};
use super::pack::{COMMIT_CACHE, Found, Packs, Reader};
use super::walk::parallel;

pub(super) fn person(name: &gix::bstr::BStr, email: &gix::bstr::BStr) -> String {
    format!(
        "{} <{}>",
        name.trim().to_str_lossy(),
        email.trim().to_str_lossy()
    )
}

/// A commit's fields that the walk needs.
pub(super) struct ParsedCommit {
    pub(super) tree: ObjectId,
    pub(super) parents: Vec<ObjectId>,
    /// `Name <email>` and author time, when the commit has an author.
    pub(super) author: Option<(String, i64)>,
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
pub(super) fn prefetch_commits(
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

/// Every commit of the walk, decoded once.
#[derive(Default)]
pub(super) struct Graph {
    pub(super) ids: Vec<ObjectId>,
    pub(super) index: gix::hashtable::HashMap<ObjectId, u32>,
    /// `None` until decoded, and for commits that could not be read.
    pub(super) tree: Vec<Option<ObjectId>>,
    /// Range into `parent_list`.
    pub(super) parents: Vec<Range<u32>>,
    parent_list: Vec<u32>,
    pub(super) author: Vec<u32>,
    pub(super) time: Vec<i64>,
    /// In the walk (always, for [`history`]); out-of-range parents of a [`range`] are decoded
    /// for their tree only.
    pub(super) in_scope: Vec<bool>,
    pub(super) authors: Vec<String>,
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

    pub(super) fn parents_of(&self, n: u32) -> &[u32] {
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
pub(super) fn load_commits(
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
pub(super) fn topo_order(g: &Graph) -> Vec<u32> {
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

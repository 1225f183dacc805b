//! The git history of the model's repositories, read with gix, authors
//! resolved through the identities index.
//!
//! [`History::open`] reads every commit reachable from any reference (what
//! `git log --all` lists), plus the deployed heads no reference holds any
//! more (history rewritten by a force push: the objects usually survive
//! until garbage collection, and they still say what was deployed). Each
//! commit keeps only what the metrics need: its id, author and committer
//! times, its author's e-mail (resolved to a person once per distinct
//! address) and its parents. A generation number per commit lets
//! [`History::shipped`] answer "reachable from this head but not from that
//! one" by walking only the commits between the two.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::commit::ref_iter::Token;
use gix::objs::{CommitRefIter, Find as _, Kind};
use jiff::Timestamp;
use palisade_model::index::{IdentityKind, Index};

use crate::input::Commit;

/// A history that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// No git repository there.
    #[error(
        "{path}: not a git repository ({message}); pass the path of a clone (bare or not) with --repo-dir owner/name=PATH"
    )]
    NotARepository {
        /// Where we looked.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
    /// The references could not be listed.
    #[error("{path}: cannot read the references: {message}; check the repository with `git fsck`")]
    References {
        /// The repository.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
    /// An object could not be read (not merely absent).
    #[error("{path}: cannot read object {id}: {message}; check the repository with `git fsck`")]
    Object {
        /// The repository.
        path: PathBuf,
        /// The object.
        id: String,
        /// What gix said.
        message: String,
    },
}

/// How much delta-base cache the walk uses: big enough that the chains of
/// commit deltas in a large pack are resolved from memory.
const PACK_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// An author, as written in commits, and the person it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Author {
    email: String,
    person: Option<String>,
}

/// One repository's commits, compactly: a commit is a number (`u32`).
#[derive(Debug, Clone, Default)]
pub struct History {
    repo: String,
    ids: Vec<ObjectId>,
    nodes: gix::hashtable::HashMap<ObjectId, u32>,
    /// Whether the commit's object was read; parents outside a shallow or
    /// partial clone are known by id only.
    present: Vec<bool>,
    authored: Vec<i64>,
    committed: Vec<i64>,
    author: Vec<u32>,
    authors: Vec<Author>,
    parents: Vec<(u32, u32)>,
    parent_list: Vec<u32>,
    generation: Vec<u32>,
    /// Reachable only from a deployed head that no reference holds.
    rewritten: Vec<bool>,
    shallow: bool,
    rewritten_heads: Vec<String>,
}

/// What [`History::open`] found about the deployed heads it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadReport {
    /// Heads that no reference reaches but whose objects exist (history
    /// rewritten by a force push); they and their ancestors were read.
    pub rewritten: Vec<String>,
    /// Heads that are not commits of the repository at all.
    pub unknown: Vec<String>,
}

impl History {
    /// Reads the history of the repository at `path` (a clone, bare or not),
    /// named `repo` (`owner/name`). `heads` are the deployed commits: those no
    /// reference reaches are read too when their objects exist. `progress` is
    /// called now and then with the number of commits read so far.
    pub fn open(
        path: &Path,
        repo: &str,
        index: &Index<'_>,
        heads: &[&str],
        progress: &mut dyn FnMut(u64),
    ) -> Result<(History, HeadReport), HistoryError> {
        let opened = gix::open_opts(path, gix::open::Options::isolated()).map_err(|e| {
            HistoryError::NotARepository {
                path: path.to_owned(),
                message: e.to_string(),
            }
        })?;
        let mut git = opened;
        git.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                PACK_CACHE_BYTES,
            ))
        });
        git.objects.unset_object_cache();
        let refs_error = |e: &dyn std::fmt::Display| HistoryError::References {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let shallow_ids: gix::hashtable::HashSet<ObjectId> = git
            .shallow_commits()
            .map_err(|e| refs_error(&e))?
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default();
        let mut walk = Walk {
            history: History {
                repo: repo.to_owned(),
                shallow: !shallow_ids.is_empty(),
                ..History::default()
            },
            git: &git,
            path,
            index,
            emails: HashMap::new(),
            shallow: shallow_ids,
            buf: Vec::new(),
            stack: Vec::new(),
            progress,
        };
        let mut tips = Vec::new();
        let platform = git.references().map_err(|e| refs_error(&e))?;
        for reference in platform.all().map_err(|e| refs_error(&e))? {
            let mut reference = reference.map_err(|e| refs_error(&e))?;
            // A reference to a tree or a blob, or a dangling one, holds no history.
            if let Ok(id) = reference.peel_to_id() {
                tips.push(id.detach());
            }
        }
        if let Ok(id) = git.head_id() {
            tips.push(id.detach());
        }
        for tip in tips {
            walk.tip(tip, false)?;
        }
        let mut report = HeadReport::default();
        for head in heads {
            let known = ObjectId::from_hex(head.as_bytes())
                .ok()
                .filter(|id| walk.history.nodes.contains_key(id));
            if known.is_some() {
                continue;
            }
            match ObjectId::from_hex(head.as_bytes()) {
                Ok(id) if walk.kind(&id)? == Some(Kind::Commit) => {
                    walk.tip(id, true)?;
                    report.rewritten.push((*head).to_owned());
                }
                _ => report.unknown.push((*head).to_owned()),
            }
        }
        report.rewritten.sort();
        report.rewritten.dedup();
        report.unknown.sort();
        report.unknown.dedup();
        let mut history = walk.history;
        history.rewritten_heads = report.rewritten.clone();
        history.number();
        Ok((history, report))
    }

    /// A history made of `commits` (any order; parents not among them are
    /// taken as absent), for tests and imports. `shallow` says whether it is
    /// known to be cut short.
    pub fn from_commits(repo: &str, commits: &[Commit], shallow: bool) -> History {
        let mut h = History {
            repo: repo.to_owned(),
            shallow,
            ..History::default()
        };
        let mut emails = HashMap::new();
        let mut pending = Vec::new();
        for c in commits {
            let Ok(id) = ObjectId::from_hex(c.sha.as_bytes()) else {
                continue;
            };
            let n = h.node(id);
            h.present[n as usize] = true;
            h.authored[n as usize] = c.authored.as_second();
            h.committed[n as usize] = c.committed.as_second();
            let next = h.authors.len() as u32;
            let a = *emails.entry(c.author_email.clone()).or_insert(next);
            if a == next {
                h.authors.push(Author {
                    email: c.author_email.clone(),
                    person: c.person.clone(),
                });
            }
            h.author[n as usize] = a;
            pending.push((n, c.parents.clone()));
        }
        for (n, parents) in pending {
            let start = h.parent_list.len() as u32;
            for p in parents {
                if let Ok(pid) = ObjectId::from_hex(p.as_bytes()) {
                    let pn = h.node(pid);
                    h.parent_list.push(pn);
                }
            }
            h.parents[n as usize] = (start, h.parent_list.len() as u32);
        }
        h.number();
        h
    }

    /// The repository, `owner/name`.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// How many commits were read.
    pub fn len(&self) -> usize {
        self.present.iter().filter(|&&p| p).count()
    }

    /// Whether no commit was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the clone is shallow: lead times of its oldest commits are cut short.
    pub fn is_shallow(&self) -> bool {
        self.shallow
    }

    /// Deployed heads that no reference reaches any more, whose objects were read.
    pub fn rewritten_heads(&self) -> &[String] {
        &self.rewritten_heads
    }

    /// The commit with full hex id `sha`, if it was read.
    pub fn find(&self, sha: &str) -> Option<CommitId> {
        let id = ObjectId::from_hex(sha.trim().as_bytes()).ok()?;
        let n = *self.nodes.get(&id)?;
        self.present[n as usize].then_some(CommitId(n))
    }

    /// Every commit read, in no particular order.
    pub fn commits(&self) -> impl Iterator<Item = CommitId> + '_ {
        (0..self.ids.len() as u32)
            .filter(|&n| self.present[n as usize])
            .map(CommitId)
    }

    /// Its full hex id.
    pub fn sha(&self, c: CommitId) -> String {
        self.ids[c.0 as usize].to_hex().to_string()
    }

    /// Its author time, in seconds since the Unix epoch.
    pub fn authored(&self, c: CommitId) -> i64 {
        self.authored[c.0 as usize]
    }

    /// Its committer time, in seconds since the Unix epoch.
    pub fn committed(&self, c: CommitId) -> i64 {
        self.committed[c.0 as usize]
    }

    /// Its author's e-mail, as written.
    pub fn author_email(&self, c: CommitId) -> &str {
        &self.authors[self.author[c.0 as usize] as usize].email
    }

    /// The handle of the person its author resolved to.
    pub fn person(&self, c: CommitId) -> Option<&str> {
        self.authors[self.author[c.0 as usize] as usize]
            .person
            .as_deref()
    }

    /// Whether it is reachable only from a deployed head no reference holds.
    pub fn is_rewritten(&self, c: CommitId) -> bool {
        self.rewritten[c.0 as usize]
    }

    /// It, in the input shape.
    pub fn commit(&self, c: CommitId) -> Commit {
        let n = c.0 as usize;
        let time = |s: i64| Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH);
        let (start, end) = self.parents[n];
        Commit {
            sha: self.sha(c),
            authored: time(self.authored[n]),
            committed: time(self.committed[n]),
            author_email: self.author_email(c).to_owned(),
            person: self.person(c).map(str::to_owned),
            parents: self.parent_list[start as usize..end as usize]
                .iter()
                .map(|&p| self.ids[p as usize].to_hex().to_string())
                .collect(),
        }
    }

    /// The commits reachable from `head` but not from `base`, newest
    /// generation first; with no base, every commit reachable from `head`.
    pub fn shipped(&self, head: CommitId, base: Option<CommitId>) -> Vec<CommitId> {
        const FROM_HEAD: u8 = 1;
        const FROM_BASE: u8 = 2;
        const QUEUED: u8 = 4;
        const DONE: u8 = 8;
        // One byte per commit: zeroed pages cost nothing until touched.
        let mut flags = vec![0u8; self.ids.len()];
        let mut heap = std::collections::BinaryHeap::new();
        // Queued commits not (yet) reachable from the base: the walk ends when none is left.
        let mut live = 0usize;
        let mut out = Vec::new();
        flags[head.0 as usize] = FROM_HEAD | QUEUED;
        heap.push((self.generation[head.0 as usize], head.0));
        live += 1;
        if let Some(base) = base {
            let f = &mut flags[base.0 as usize];
            if *f & FROM_HEAD != 0 {
                live -= 1;
            } else {
                *f |= QUEUED;
                heap.push((self.generation[base.0 as usize], base.0));
            }
            *f |= FROM_BASE;
        }
        while live > 0 {
            let Some((_, n)) = heap.pop() else { break };
            let f = flags[n as usize];
            if f & DONE != 0 {
                continue;
            }
            flags[n as usize] = (f & !QUEUED) | DONE;
            let reach = f & (FROM_HEAD | FROM_BASE);
            if reach & FROM_BASE == 0 {
                live -= 1;
                if self.present[n as usize] {
                    out.push(CommitId(n));
                }
            }
            let (start, end) = self.parents[n as usize];
            for &p in &self.parent_list[start as usize..end as usize] {
                let old = flags[p as usize];
                let new = old | reach;
                if old & (QUEUED | DONE) == 0 {
                    flags[p as usize] = new | QUEUED;
                    heap.push((self.generation[p as usize], p));
                    if new & FROM_BASE == 0 {
                        live += 1;
                    }
                } else if old & QUEUED != 0 && new != old {
                    if old & FROM_BASE == 0 && new & FROM_BASE != 0 {
                        live -= 1;
                    }
                    flags[p as usize] = new;
                }
            }
        }
        out
    }

    /// A set of commits of this history, empty.
    pub(crate) fn no_commits(&self) -> Vec<u64> {
        vec![0; self.ids.len().div_ceil(64)]
    }

    /// The commits reachable from `head` that are not in `seen`, added to it.
    /// Deployments taken in order, with `seen` holding everything earlier
    /// ones reached, this is what each shipped first: the walk stops at
    /// what is already in `seen`, so it costs only the new commits.
    pub(crate) fn reach_new(&self, head: CommitId, seen: &mut [u64]) -> Vec<CommitId> {
        let is_in = |seen: &[u64], n: u32| seen[n as usize / 64] & (1 << (n % 64)) != 0;
        let mut out = Vec::new();
        if is_in(seen, head.0) {
            return out;
        }
        seen[head.0 as usize / 64] |= 1 << (head.0 % 64);
        let mut stack = vec![head.0];
        while let Some(n) = stack.pop() {
            if self.present[n as usize] {
                out.push(CommitId(n));
            }
            let (start, end) = self.parents[n as usize];
            for &p in &self.parent_list[start as usize..end as usize] {
                if !is_in(seen, p) {
                    seen[p as usize / 64] |= 1 << (p % 64);
                    stack.push(p);
                }
            }
        }
        out
    }

    fn node(&mut self, id: ObjectId) -> u32 {
        if let Some(&n) = self.nodes.get(&id) {
            return n;
        }
        let n = self.ids.len() as u32;
        self.ids.push(id);
        self.nodes.insert(id, n);
        self.present.push(false);
        self.authored.push(0);
        self.committed.push(0);
        self.author.push(0);
        self.parents.push((0, 0));
        self.generation.push(0);
        self.rewritten.push(false);
        n
    }

    /// Gives every commit its generation: one more than its highest parent's.
    fn number(&mut self) {
        if self.authors.is_empty() {
            self.authors.push(Author {
                email: String::new(),
                person: None,
            });
        }
        let n = self.ids.len();
        let mut stack = Vec::new();
        for start in 0..n as u32 {
            if self.generation[start as usize] != 0 {
                continue;
            }
            stack.push(start);
            while let Some(&top) = stack.last() {
                if self.generation[top as usize] != 0 {
                    stack.pop();
                    continue;
                }
                let (s, e) = self.parents[top as usize];
                let mut generation = 1;
                let mut waiting = false;
                for &p in &self.parent_list[s as usize..e as usize] {
                    match self.generation[p as usize] {
                        0 => {
                            stack.push(p);
                            waiting = true;
                        }
                        g => generation = generation.max(g + 1),
                    }
                }
                if !waiting {
                    self.generation[top as usize] = generation;
                    stack.pop();
                }
            }
        }
    }
}

/// A commit of a [`History`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitId(u32);

/// The state of one [`History::open`].
struct Walk<'a, 'i> {
    history: History,
    git: &'a gix::Repository,
    path: &'a Path,
    index: &'a Index<'i>,
    emails: HashMap<Vec<u8>, u32>,
    shallow: gix::hashtable::HashSet<ObjectId>,
    buf: Vec<u8>,
    stack: Vec<u32>,
    progress: &'a mut dyn FnMut(u64),
}

fn object_error(path: &Path, id: &ObjectId, e: &dyn std::fmt::Display) -> HistoryError {
    HistoryError::Object {
        path: path.to_owned(),
        id: id.to_string(),
        message: e.to_string(),
    }
}

impl Walk<'_, '_> {
    /// The kind of object `id`, or `None` when it is absent.
    fn kind(&mut self, id: &ObjectId) -> Result<Option<Kind>, HistoryError> {
        match self.git.objects.try_find(id, &mut self.buf) {
            Ok(found) => Ok(found.map(|d| d.kind)),
            Err(e) => Err(object_error(self.path, id, &e)),
        }
    }

    /// Reads every commit reachable from `tip` not read yet (peeling tags).
    fn tip(&mut self, tip: ObjectId, rewritten: bool) -> Result<(), HistoryError> {
        let mut id = tip;
        // Annotated tags (possibly of tags) are peeled to what they point at.
        for _ in 0..16 {
            let Some(data) = self
                .git
                .objects
                .try_find(&id, &mut self.buf)
                .map_err(|e| object_error(self.path, &id, &e))?
            else {
                return Ok(());
            };
            match data.kind {
                Kind::Commit => break,
                Kind::Tag => {
                    match gix::objs::TagRefIter::from_bytes(data.data, id.kind()).target_id() {
                        Ok(target) => id = target,
                        Err(_) => return Ok(()),
                    }
                }
                Kind::Tree | Kind::Blob => return Ok(()),
            }
        }
        if self.history.nodes.contains_key(&id) {
            return Ok(());
        }
        let n = self.history.node(id);
        self.stack.push(n);
        while let Some(n) = self.stack.pop() {
            self.read(n, rewritten)?;
        }
        Ok(())
    }

    /// Decodes commit `n` and queues its parents not seen yet.
    fn read(&mut self, n: u32, rewritten: bool) -> Result<(), HistoryError> {
        let id = self.history.ids[n as usize];
        let data = match self.git.objects.try_find(&id, &mut self.buf) {
            Ok(Some(data)) if data.kind == Kind::Commit => data.data,
            // Absent (beyond a shallow or partial clone) or not a commit: known by id only.
            Ok(_) => return Ok(()),
            Err(e) => return Err(object_error(self.path, &id, &e)),
        };
        let h = &mut self.history;
        let mut author = None;
        let mut committed = 0;
        let start = h.parent_list.len() as u32;
        let follow = !self.shallow.contains(&id);
        for token in CommitRefIter::from_bytes(data, id.kind()) {
            match token {
                Ok(Token::Tree { .. }) => {}
                Ok(Token::Parent { id: parent }) => {
                    if follow {
                        let before = h.ids.len();
                        let pn = h.node(parent);
                        if h.ids.len() > before {
                            self.stack.push(pn);
                        }
                        h.parent_list.push(pn);
                    }
                }
                Ok(Token::Author { signature }) => {
                    author = Some((signature.email.trim().to_vec(), signature.seconds()));
                }
                Ok(Token::Committer { signature }) => {
                    committed = signature.seconds();
                    break;
                }
                Ok(_) => break,
                Err(e) => return Err(object_error(self.path, &id, &e)),
            }
        }
        let (email, authored) = author.unwrap_or_default();
        let next = h.authors.len() as u32;
        let index = self.index;
        let a = *self.emails.entry(email).or_insert_with_key(|email| {
            let email = email.to_str_lossy().into_owned();
            let person = index
                .person_by(IdentityKind::Email, &email)
                .map(|p| index.person(p).handle.clone());
            h.authors.push(Author { email, person });
            next
        });
        let n = n as usize;
        h.present[n] = true;
        h.author[n] = a;
        h.authored[n] = authored;
        h.committed[n] = committed;
        h.rewritten[n] = rewritten;
        h.parents[n] = (start, h.parent_list.len() as u32);
        let read = h.ids.len() as u64;
        if read.is_multiple_of(4096) {
            (self.progress)(read);
        }
        Ok(())
    }
}

/// The histories of several repositories, by `owner/name`.
#[derive(Debug, Clone, Default)]
pub struct Histories {
    by_repo: HashMap<String, History>,
}

impl Histories {
    /// Adds (or replaces) a repository's history.
    pub fn insert(&mut self, history: History) {
        self.by_repo
            .insert(history.repo.to_ascii_lowercase(), history);
    }

    /// The history of `repo` (`owner/name`, compared without regard to case
    /// as GitHub and GitLab compare them), if it was read.
    pub fn get(&self, repo: &str) -> Option<&History> {
        self.by_repo.get(&repo.to_ascii_lowercase())
    }

    /// Every history read.
    pub fn iter(&self) -> impl Iterator<Item = &History> {
        self.by_repo.values()
    }

    /// Whether none was read.
    pub fn is_empty(&self) -> bool {
        self.by_repo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(n: u32) -> String {
        format!("{n:040x}")
    }

    fn commit(n: u32, parents: &[u32]) -> Commit {
        let t = Timestamp::from_second(1_700_000_000 + i64::from(n) * 60).expect("valid");
        Commit {
            sha: sha(n),
            authored: t,
            committed: t,
            author_email: format!("dev{}@example.com", n % 2),
            person: None,
            parents: parents.iter().map(|&p| sha(p)).collect(),
        }
    }

    fn shas(h: &History, commits: &[CommitId]) -> Vec<String> {
        let mut out: Vec<_> = commits.iter().map(|&c| h.sha(c)).collect();
        out.sort();
        out
    }

    /// 1 - 2 - 3 - 5 - 6      (5 merges 4)
    ///      \- 4 -/
    fn merge_graph() -> History {
        let commits = [
            commit(1, &[]),
            commit(2, &[1]),
            commit(3, &[2]),
            commit(4, &[2]),
            commit(5, &[3, 4]),
            commit(6, &[5]),
        ];
        History::from_commits("o/r", &commits, false)
    }

    #[test]
    fn shipped_is_what_the_head_reaches_and_the_base_does_not() {
        let h = merge_graph();
        let c = |n: u32| h.find(&sha(n)).expect("present");
        assert_eq!(
            shas(&h, &h.shipped(c(6), Some(c(3)))),
            [sha(4), sha(5), sha(6)]
        );
        assert_eq!(
            shas(&h, &h.shipped(c(6), Some(c(4)))),
            [sha(3), sha(5), sha(6)]
        );
        assert_eq!(shas(&h, &h.shipped(c(3), None)), [sha(1), sha(2), sha(3)]);
        assert!(h.shipped(c(5), Some(c(5))).is_empty());
        // A base ahead of the head (a rollback) ships nothing.
        assert!(h.shipped(c(3), Some(c(6))).is_empty());
    }

    #[test]
    fn shipped_from_a_sibling_base_takes_only_the_heads_side() {
        let h = merge_graph();
        let c = |n: u32| h.find(&sha(n)).expect("present");
        assert_eq!(shas(&h, &h.shipped(c(4), Some(c(3)))), [sha(4)]);
    }

    #[test]
    fn absent_parents_are_known_by_id_only() {
        let h = History::from_commits("o/r", &[commit(2, &[1]), commit(3, &[2])], true);
        assert!(h.find(&sha(1)).is_none());
        assert_eq!(h.len(), 2);
        let c3 = h.find(&sha(3)).expect("present");
        assert_eq!(shas(&h, &h.shipped(c3, None)), [sha(2), sha(3)]);
        assert!(h.is_shallow());
        assert_eq!(h.commit(c3).parents, [sha(2)]);
    }

    proptest::proptest! {
        #[test]
        fn shipped_matches_set_difference(
            edges in proptest::collection::vec((0u32..40, 0u32..40), 0..80),
            head in 0u32..40,
            base in 0u32..40,
        ) {
            // A random DAG: an edge always goes from a higher number to a lower one.
            let mut parents: Vec<Vec<u32>> = vec![Vec::new(); 40];
            for (a, b) in edges {
                if a > b && !parents[a as usize].contains(&b) {
                    parents[a as usize].push(b);
                }
            }
            let commits: Vec<_> = (0..40).map(|n| commit(n, &parents[n as usize])).collect();
            let h = History::from_commits("o/r", &commits, false);
            let reach = |from: u32| {
                let mut seen = std::collections::BTreeSet::new();
                let mut stack = vec![from];
                while let Some(n) = stack.pop() {
                    if seen.insert(n) {
                        stack.extend(parents[n as usize].iter().copied());
                    }
                }
                seen
            };
            let want: Vec<String> = reach(head).difference(&reach(base)).map(|&n| sha(n)).collect();
            let c = |n: u32| h.find(&sha(n)).expect("present");
            let got = shas(&h, &h.shipped(c(head), Some(c(base))));
            proptest::prop_assert_eq!(&got, &want);
            // Reaching the base first, then the head, finds the same commits.
            let mut seen = h.no_commits();
            h.reach_new(c(base), &mut seen);
            proptest::prop_assert_eq!(shas(&h, &h.reach_new(c(head), &mut seen)), want);
        }
    }
}

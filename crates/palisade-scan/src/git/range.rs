//! The blobs a range of commits introduces.

use std::collections::HashSet;
use std::path::Path;

use gix::ObjectId;

use super::diff::blobs_in_trees;
use super::errors::{Errors, GitError, render};
use super::graph::load_commits;
use super::pack::{DIFF_CACHE, Layout, Packs, Reader};
use super::walk::scan_graph;
use super::{HistoryOptions, HistoryStats, Origin, open};

/// Visits the blobs introduced by the commits of `spec` — `A..B` means the commits reachable
/// from B but not from A; `A...B`, `B`, `B^!` and `B^@` work as in `git rev-list` — each
/// once, with its [`Origin`] inside the range.
///
/// A blob counts as introduced by a commit when none of that commit's parents has that blob
/// at that path; blobs already present (at any path) in the trees the range starts from —
/// those of the parents outside the range — are not visited again, so renaming or copying
/// a file that already existed does not make it new. `visit` is called as in [`history`](super::history).
///
/// # Errors
///
/// [`GitError::Range`] when `spec` does not resolve to commits, or as for [`history`](super::history).
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

/// The commit a range scan of `spec` is a scan of: B of `A..B`, `A...B`, `B` and
/// `B^!`; `None` for `B^@` and `^A`, which end at no one commit.
///
/// # Errors
///
/// [`GitError::Range`] when `spec` does not resolve to commits, or as for [`history`](super::history).
pub fn range_tip(repo: &Path, spec: &str) -> Result<Option<String>, GitError> {
    use gix::revision::plumbing::Spec;
    let ts = open(repo)?;
    let local = ts.to_thread_local();
    let fail = |message: String| GitError::Range {
        spec: spec.to_owned(),
        path: repo.to_owned(),
        message,
    };
    let tip = match local
        .rev_parse(spec)
        .map_err(|e| fail(render(&e)))?
        .detach()
    {
        Spec::Include(id) | Spec::Range { to: id, .. } | Spec::Merge { ours: id, .. } => id,
        Spec::ExcludeParents(id) => id,
        Spec::Exclude(_) | Spec::IncludeOnlyParents(_) => return Ok(None),
    };
    let object = local.find_object(tip).map_err(|e| fail(render(&e)))?;
    let commit = object
        .peel_to_commit()
        .map_err(|e| fail(format!("{tip} is not a commit: {}", render(&e))))?;
    Ok(Some(commit.id.to_string()))
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::git::fixture::*;

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

        assert_eq!(
            range_tip(r.path(), "main..feature").unwrap(),
            Some(f2.clone())
        );
        assert_eq!(
            range_tip(r.path(), "main...feature").unwrap(),
            Some(f2.clone())
        );
        assert_eq!(
            range_tip(r.path(), &format!("{f1}^!")).unwrap(),
            Some(f1.clone())
        );
        assert_eq!(range_tip(r.path(), "feature^@").unwrap(), None);
        assert!(range_tip(r.path(), "main..no-such-branch").is_err());

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
}

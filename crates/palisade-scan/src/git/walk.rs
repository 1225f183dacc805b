//! The history walk: tips, commits, introductions, then every unique blob read once in
//! pack order by several threads.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::Kind;

use super::diff::{Intro, Introductions, Paths, TreeWalker};
use super::errors::{Errors, FSCK, GitError, missing};
use super::graph::{Graph, load_commits, prefetch_commits, topo_order};
use super::pack::{COMMIT_CACHE, DIFF_CACHE, Found, Layout, Packs, READ_CACHE, Reader};
use super::tips::{OtherTip, collect_tips};
use super::{HistoryOptions, HistoryStats, Origin, open};

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

/// Runs `work` on `threads` threads, each with its own state from `init`, over chunks of
/// `items` handed out in order; returns each thread's final state.
pub(super) fn parallel<T: Sync, S: Send>(
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

/// The number of threads to use.
fn threads(opts: &HistoryOptions) -> usize {
    match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

/// Everything after the commits are known: introductions, then reading the blobs.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_graph(
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
    fn origin(&self, id: &ObjectId, intro: Intro) -> Origin {
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
                blob: id.to_string(),
                rank: intro.rank,
            }
        } else if let Some(tip) = self.others.get(rank - self.order.len()) {
            Origin {
                commit: String::new(),
                author: tip.tagger.clone(),
                time: tip.time,
                path,
                blob: id.to_string(),
                rank: intro.rank,
            }
        } else {
            Origin {
                commit: String::new(),
                author: String::new(),
                time: 0,
                path,
                blob: id.to_string(),
                rank: intro.rank,
            }
        }
    }

    /// `(added as 'path' in commit c) `, for error messages.
    fn context(&self, id: &ObjectId, intro: Intro) -> String {
        let o = self.origin(id, intro);
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
            visit(&data, &source.origin(id, job.intro));
        }
        Ok(Found::Object(kind, _)) => {
            let context = source.context(id, job.intro);
            errors.push(
                Some(id),
                format!("object {id} {context}is a {kind} where a blob was expected"),
            );
        }
        Ok(Found::TooLarge) => stats.skipped_large += 1,
        Ok(Found::Missing) => errors.push(
            Some(id),
            missing("blob", id, &source.context(id, job.intro)),
        ),
        Err(e) => {
            let context = source.context(id, job.intro);
            errors.push(
                Some(id),
                format!("blob {id} {context}could not be read: {e}; {FSCK}"),
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::git::fixture::*;

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
                path: "a.txt".into(),
                blob: r.blob_id(b"alpha\n"),
                rank: alpha.rank,
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
                path: "other.txt".into(),
                blob: r.blob_id(b"alpha2\n"),
                rank: alpha2.rank,
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
    fn history_of_a_repository_without_commits_is_empty() {
        let r = Fixture::new();
        let (stats, visits) = walk_history(r.path(), &HistoryOptions::default());
        assert!(visits.is_empty());
        assert_eq!(stats, HistoryStats::default());
    }
}

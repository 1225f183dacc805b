//! Repositories for the git tests: isolated from the user's git configuration (by
//! `palisade_test_support::git::Repo`), with an author and a time for every commit, and
//! helpers that record what a walk visits.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;

use palisade_test_support::git::{Author, Repo};

use super::{GitError, HistoryOptions, HistoryStats, Origin, history, range};

/// A throwaway repository driven through the `git` CLI; each commit names its author and
/// time (the author's e-mail is `<lowercase name>@example.com`).
pub(super) struct Fixture {
    repo: Repo,
}

impl Fixture {
    pub(super) fn new() -> Self {
        Self { repo: Repo::new() }
    }

    pub(super) fn path(&self) -> &Path {
        self.repo.path()
    }

    /// Runs git as `author` at `time` (seconds since the epoch); its trimmed output.
    pub(super) fn git_at(&self, args: &[&str], time: i64, author: &str) -> String {
        let email = format!("{}@example.com", author.to_lowercase());
        let date = format!("@{time} +0000");
        let out = self.repo.git_as(
            args,
            Author {
                name: author,
                email: &email,
                date: &date,
            },
        );
        String::from_utf8(out.stdout)
            .expect("git prints UTF-8 here")
            .trim()
            .to_owned()
    }

    pub(super) fn git(&self, args: &[&str]) -> String {
        self.git_at(args, 1_000, "Setup")
    }

    pub(super) fn write(&self, path: &str, data: &[u8]) {
        self.repo.write(path, data);
    }

    /// Stages everything and commits it as `author` at `time`; returns the commit id.
    pub(super) fn commit(&self, message: &str, author: &str, time: i64) -> String {
        self.git(&["add", "-A"]);
        self.git_at(
            &["commit", "-q", "--allow-empty", "-m", message],
            time,
            author,
        );
        self.git(&["rev-parse", "HEAD"])
    }

    pub(super) fn blob_id(&self, data: &[u8]) -> String {
        let mut child = self
            .repo
            .command(&["hash-object", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git runs");
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(data)
            .expect("git reads its input");
        let out = child.wait_with_output().expect("git runs");
        String::from_utf8(out.stdout)
            .expect("a hex id")
            .trim()
            .to_owned()
    }
}

/// Every blob a walk visited, with its origin.
pub(super) type Visits = Vec<(Vec<u8>, Origin)>;

pub(super) fn run(
    result: impl FnOnce(&(dyn Fn(&[u8], &Origin) + Sync)) -> Result<HistoryStats, GitError>,
) -> (HistoryStats, Visits) {
    let seen = Mutex::new(Vec::new());
    let stats = result(&|data: &[u8], origin: &Origin| {
        seen.lock()
            .expect("no visit panics")
            .push((data.to_vec(), origin.clone()));
    })
    .expect("the walk runs");
    (stats, seen.into_inner().expect("no visit panics"))
}

pub(super) fn walk_history(repo: &Path, opts: &HistoryOptions) -> (HistoryStats, Visits) {
    run(|visit| history(repo, opts, visit))
}

pub(super) fn walk_range(repo: &Path, spec: &str) -> (HistoryStats, Visits) {
    run(|visit| range(repo, spec, &HistoryOptions::default(), visit))
}

/// The origin of the one visit of `data`.
pub(super) fn origin_of<'a>(visits: &'a Visits, data: &[u8]) -> &'a Origin {
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

/// The visited contents, sorted.
pub(super) fn contents(visits: &Visits) -> Vec<String> {
    let mut all: Vec<String> = visits
        .iter()
        .map(|(d, _)| String::from_utf8_lossy(d).into_owned())
        .collect();
    all.sort();
    all
}

pub(super) fn two_threads() -> HistoryOptions {
    HistoryOptions {
        threads: 2,
        ..HistoryOptions::default()
    }
}

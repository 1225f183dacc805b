//! Git repositories built at test time. Every command runs with git's
//! global and system configuration shut out (`GIT_CONFIG_GLOBAL=/dev/null`,
//! `GIT_CONFIG_NOSYSTEM`, `HOME` inside the repository's temporary
//! directory), so a developer's `~/.gitconfig` (signing, hooks, templates,
//! a default branch) never changes what a test sees, and with a fixed
//! author, committer and date unless a commit says otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git repository in a temporary directory, deleted when dropped.
pub struct Repo {
    dir: tempfile::TempDir,
}

/// Who makes a commit, and when (any date git accepts, e.g. RFC 2822 or
/// `2026-01-05T10:00:00Z`).
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    /// Name.
    pub name: &'a str,
    /// E-mail address.
    pub email: &'a str,
    /// Author and committer date.
    pub date: &'a str,
}

impl Default for Author<'_> {
    fn default() -> Self {
        Author {
            name: "Test Author",
            email: "test@palisade.example",
            date: "2026-01-05T10:00:00Z",
        }
    }
}

impl Repo {
    /// `git init` in a new temporary directory, on branch `main`.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("a temporary directory can be created");
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `path` inside the work tree.
    pub fn join(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    /// Writes a file (creating its directories).
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> &Self {
        let full = self.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("directories can be created");
        }
        std::fs::write(full, contents).expect("the file can be written");
        self
    }

    /// A git command, isolated and with the default author, as it ran.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_as(args, Author::default())
    }

    /// A git command, isolated, as `author`.
    pub fn command_as(&self, args: &[&str], author: Author<'_>) -> Command {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path())
            .env("GIT_AUTHOR_NAME", author.name)
            .env("GIT_AUTHOR_EMAIL", author.email)
            .env("GIT_AUTHOR_DATE", author.date)
            .env("GIT_COMMITTER_NAME", author.name)
            .env("GIT_COMMITTER_EMAIL", author.email)
            .env("GIT_COMMITTER_DATE", author.date);
        cmd
    }

    /// Runs git and returns its output, failing the test if it fails.
    pub fn git(&self, args: &[&str]) -> Output {
        run(self.command(args), args)
    }

    /// Runs git as `author`, failing the test if it fails.
    pub fn git_as(&self, args: &[&str], author: Author<'_>) -> Output {
        run(self.command_as(args, author), args)
    }

    /// Stages everything and commits it as the default author; returns the commit id.
    pub fn commit_all(&self, message: &str) -> String {
        self.commit_all_as(message, Author::default())
    }

    /// Stages everything and commits it as `author`; returns the commit id.
    pub fn commit_all_as(&self, message: &str, author: Author<'_>) -> String {
        self.git_as(&["add", "-A"], author);
        self.git_as(&["commit", "-q", "--allow-empty", "-m", message], author);
        self.head()
    }

    /// The commit `HEAD` names.
    pub fn head(&self) -> String {
        let out = self.git(&["rev-parse", "HEAD"]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Default for Repo {
    fn default() -> Self {
        Repo::new()
    }
}

fn run(mut cmd: Command, args: &[&str]) -> Output {
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

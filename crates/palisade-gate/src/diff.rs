//! The paths a change touches: a tree diff of two commits through gix.
//!
//! The change is what `head` adds to `base`, as a pull request shows it: the
//! diff runs from the merge base of the two to `head`, so commits that landed
//! on the base branch after the change forked are not the change's. Adds,
//! modifications, deletions and renames are listed; a rename is recognised
//! when a deleted and an added path hold the same blob, and both of its sides
//! count as touched. A rename that also edits the file shows as a deletion and
//! an addition, which touches the same two paths.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::diff::tree::recorder::Change as Recorded;
use serde::Serialize;

/// How a path changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChangeKind {
    /// New in `head`.
    Added,
    /// In both, with other content or mode.
    Modified,
    /// Gone from `head`.
    Deleted,
    /// Moved here from `from`, content unchanged.
    Renamed {
        /// The path in the base.
        from: String,
    },
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedFile {
    /// The path, `/`-separated, relative to the repository root (the new path of a rename).
    pub path: String,
    /// How it changed.
    #[serde(flatten)]
    pub kind: ChangeKind,
}

/// A commit of the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Its id, full hex.
    pub id: String,
    /// The author's name.
    pub author_name: String,
    /// The author's e-mail address.
    pub author_email: String,
    /// The committer's e-mail address.
    pub committer_email: String,
}

/// What a change between two commits touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The base commit, full hex.
    pub base: String,
    /// The head commit, full hex.
    pub head: String,
    /// The merge base the diff runs from, full hex.
    pub merge_base: String,
    /// Changed files, sorted by path.
    pub files: Vec<ChangedFile>,
    /// The commits reachable from `head` and not from the merge base, newest first.
    pub commits: Vec<CommitInfo>,
}

impl Change {
    /// Every path the change touches: each changed file, and the old side of each rename.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().flat_map(|f| {
            let from = match &f.kind {
                ChangeKind::Renamed { from } => Some(from.as_str()),
                _ => None,
            };
            std::iter::once(f.path.as_str()).chain(from)
        })
    }

    /// How many paths [`Change::paths`] yields.
    pub fn path_count(&self) -> usize {
        self.files
            .iter()
            .map(|f| 1 + usize::from(matches!(f.kind, ChangeKind::Renamed { .. })))
            .sum()
    }
}

/// Why the change could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// No git repository at or above the path.
    #[error("{path}: not in a git repository: {message}")]
    NotARepository {
        /// Where it looked.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
    /// A ref or commit that does not resolve.
    #[error("{which} `{spec}` does not name a commit in {path}: {message}")]
    UnknownRef {
        /// `--base` or `--head`.
        which: &'static str,
        /// As given.
        spec: String,
        /// The repository.
        path: PathBuf,
        /// Why, with a hint where there is one.
        message: String,
    },
    /// The clone is shallow and lacks history the diff needs.
    #[error(
        "{path} is a shallow clone and lacks {what}; fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout, `GIT_DEPTH: 0` in GitLab CI)"
    )]
    Shallow {
        /// The repository.
        path: PathBuf,
        /// What is missing.
        what: String,
    },
    /// The two commits share no history.
    #[error(
        "{base} and {head} share no history in {path}: there is no change to judge between unrelated commits"
    )]
    Unrelated {
        /// The base commit.
        base: String,
        /// The head commit.
        head: String,
        /// The repository.
        path: PathBuf,
    },
    /// Reading objects failed.
    #[error("{path}: cannot read the git objects of the change: {message}")]
    Objects {
        /// The repository.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
}

/// The change from `base` to `head` in the repository at or above `path`.
pub fn diff(path: &Path, base: &str, head: &str) -> Result<Change, DiffError> {
    let repo = gix::discover(path).map_err(|e| DiffError::NotARepository {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    let objects = |e: &dyn std::fmt::Display| DiffError::Objects {
        path: root.clone(),
        message: e.to_string(),
    };
    let shallow = repo.is_shallow().unwrap_or(false);
    let base_id = resolve(&repo, &root, "--base", base, shallow)?;
    let head_id = resolve(&repo, &root, "--head", head, shallow)?;

    let merge_base = if base_id == head_id {
        base_id
    } else {
        match repo.merge_base(base_id, head_id) {
            Ok(Some(id)) => id.detach(),
            Ok(None) | Err(_) if shallow => {
                return Err(DiffError::Shallow {
                    path: root,
                    what: format!("the merge base of {base_id} and {head_id}"),
                });
            }
            Ok(None) | Err(_) => {
                return Err(DiffError::Unrelated {
                    base: base_id.to_string(),
                    head: head_id.to_string(),
                    path: root,
                });
            }
        }
    };

    let tree_of = |id: ObjectId| -> Result<ObjectId, DiffError> {
        let commit = repo.find_commit(id).map_err(|e| objects(&e))?;
        commit
            .tree_id()
            .map(|t| t.detach())
            .map_err(|e| objects(&e))
    };
    let (old_tree, new_tree) = (tree_of(merge_base)?, tree_of(head_id)?);
    let mut recorder = gix::diff::tree::Recorder::default();
    if old_tree != new_tree {
        let mut old_buf = Vec::new();
        let mut new_buf = Vec::new();
        let old = repo
            .objects
            .find_tree_iter(&old_tree, &mut old_buf)
            .map_err(|e| objects(&e))?;
        let new = repo
            .objects
            .find_tree_iter(&new_tree, &mut new_buf)
            .map_err(|e| objects(&e))?;
        let mut state = gix::diff::tree::State::default();
        gix::diff::tree(old, new, &mut state, &repo.objects, &mut recorder)
            .map_err(|e| objects(&e))?;
    }
    let files = pair_renames(recorder.records);

    let mut commits = Vec::new();
    if merge_base != head_id {
        let walk = repo
            .rev_walk([head_id])
            .with_hidden([merge_base])
            .all()
            .map_err(|e| objects(&e))?;
        for info in walk {
            let info = info.map_err(|e| {
                if shallow {
                    DiffError::Shallow {
                        path: root.clone(),
                        what: "commits between the merge base and the head".to_owned(),
                    }
                } else {
                    objects(&e)
                }
            })?;
            let commit = repo.find_commit(info.id).map_err(|e| objects(&e))?;
            let author = commit.author().map_err(|e| objects(&e))?;
            let committer = commit.committer().map_err(|e| objects(&e))?;
            commits.push(CommitInfo {
                id: info.id.to_string(),
                author_name: author.name.to_string(),
                author_email: author.email.to_string(),
                committer_email: committer.email.to_string(),
            });
        }
    }

    Ok(Change {
        base: base_id.to_string(),
        head: head_id.to_string(),
        merge_base: merge_base.to_string(),
        files,
        commits,
    })
}

use gix::prelude::FindExt as _;

/// The commit `spec` names.
fn resolve(
    repo: &gix::Repository,
    root: &Path,
    which: &'static str,
    spec: &str,
    shallow: bool,
) -> Result<ObjectId, DiffError> {
    let unknown = |message: String| DiffError::UnknownRef {
        which,
        spec: spec.to_owned(),
        path: root.to_owned(),
        message,
    };
    let id = match repo.rev_parse_single(spec) {
        Ok(id) => id,
        Err(e) => {
            let full_hex = spec.len() == 40 && spec.bytes().all(|b| b.is_ascii_hexdigit());
            if shallow && full_hex {
                return Err(DiffError::Shallow {
                    path: root.to_owned(),
                    what: format!("the commit {spec} ({which})"),
                });
            }
            let hint = if shallow {
                "; the clone is shallow, so it may lie beyond its history: fetch it with `git fetch --unshallow`"
            } else {
                "; check the name, or fetch it (`git fetch origin <branch>`)"
            };
            return Err(unknown(format!("{e}{hint}")));
        }
    };
    let object = id.object().map_err(|e| unknown(e.to_string()))?;
    object
        .peel_to_commit()
        .map(|c| c.id)
        .map_err(|e| unknown(format!("it is not a commit: {e}")))
}

/// The recorded changes as files, with a deletion and an addition of the
/// same blob paired into a rename. Trees themselves are left out: their
/// files are listed.
fn pair_renames(records: Vec<Recorded>) -> Vec<ChangedFile> {
    let mut deleted: HashMap<ObjectId, Vec<String>> = HashMap::new();
    let mut files = Vec::with_capacity(records.len());
    let mut added: Vec<(ObjectId, String)> = Vec::new();
    for record in records {
        match record {
            Recorded::Addition {
                entry_mode,
                oid,
                path,
                ..
            } if !entry_mode.is_tree() => added.push((oid, path.to_string())),
            Recorded::Deletion {
                entry_mode,
                oid,
                path,
                ..
            } if !entry_mode.is_tree() => deleted.entry(oid).or_default().push(path.to_string()),
            Recorded::Modification {
                entry_mode, path, ..
            } if !entry_mode.is_tree() => files.push(ChangedFile {
                path: path.to_string(),
                kind: ChangeKind::Modified,
            }),
            // A path that turned from a file into a tree (or back) is an
            // addition and a deletion, which gix records separately.
            _ => {}
        }
    }
    let empty = ObjectId::empty_blob(gix::hash::Kind::Sha1);
    for (oid, path) in added {
        let from = if oid == empty {
            None
        } else {
            deleted.get_mut(&oid).and_then(Vec::pop)
        };
        files.push(ChangedFile {
            path,
            kind: match from {
                Some(from) => ChangeKind::Renamed { from },
                None => ChangeKind::Added,
            },
        });
    }
    for (_, paths) in deleted {
        for path in paths {
            files.push(ChangedFile {
                path,
                kind: ChangeKind::Deleted,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The repository's path on its host (`owner/name`, or `group/subgroup/name` on
/// GitLab) from the `origin` remote of the git repository at or above `path`,
/// if it has one in a form this reads (https, ssh or scp-like).
pub fn origin_repository(path: &Path) -> Option<String> {
    let repo = gix::discover(path).ok()?;
    let url = repo
        .config_snapshot()
        .string("remote.origin.url")?
        .to_string();
    repository_of_url(&url)
}

/// `owner/name` from a remote URL: `https://host/owner/name(.git)`,
/// `ssh://git@host[:port]/owner/name.git` or `git@host:owner/name.git`.
pub fn repository_of_url(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = if let Some((_, after)) = url.split_once("://") {
        // Drop user info and host (and port).
        after.split_once('/')?.1
    } else {
        // scp-like: [user@]host:path
        let (host, path) = url.split_once(':')?;
        if host.contains('/') {
            return None;
        }
        path
    };
    let rest = rest.trim_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let parts: Vec<&str> = rest.split('/').collect();
    (parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != ".."))
    .then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn remote_urls_name_their_repository() {
        for (url, want) in [
            ("git@github.com:acme/payments.git", Some("acme/payments")),
            ("https://github.com/acme/payments", Some("acme/payments")),
            (
                "https://github.com/acme/payments.git/",
                Some("acme/payments"),
            ),
            (
                "ssh://git@github.com/acme/payments.git",
                Some("acme/payments"),
            ),
            (
                "ssh://git@gitlab.example.com:2222/group/sub/app.git",
                Some("group/sub/app"),
            ),
            (
                "https://user:token@gitlab.example.com/group/app",
                Some("group/app"),
            ),
            ("/srv/git/app.git", None),
            ("https://github.com/acme", None),
            ("file:///tmp/x/../y", None),
        ] {
            assert_eq!(super::repository_of_url(url).as_deref(), want, "{url}");
        }
    }
}

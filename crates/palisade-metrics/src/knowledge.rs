//! Knowledge transfer: per service, whether its runbook is there, how long
//! since it last changed, and how much of the service's code changed since.
//!
//! The runbook is the model's `services[].runbook`, a path in the service's
//! first repository, looked up in the tree of that repository's `HEAD`. Its
//! age is the time from the last commit that changed it to `now`; the churn is
//! every commit after that one (newer in the walk from `HEAD`, newest first by
//! commit time) that touches the service's paths, with the lines it added and
//! deleted there. The walk stops at the oldest runbook change of the
//! repository, so it costs only the history since then. Merge commits are not
//! counted (their changes are their parents'), so nothing is counted twice.
//!
//! A runbook that is declared but not in the tree is [`RunbookState::Missing`],
//! never an age of zero; one whose last change lies beyond a shallow clone's
//! history has no age ([`Measured::NoData`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::diff::tree::recorder::Change as Recorded;
use gix::prelude::FindExt as _;
use jiff::Timestamp;
use palisade_model::Index;
use serde::Serialize;

use crate::measure::Measured;

/// Where a service's runbook stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunbookState {
    /// The path is in the repository at `HEAD`.
    Present,
    /// The model names a path that is not in the repository at `HEAD`.
    Missing,
    /// The model names no runbook for the service.
    NotDeclared,
    /// The service's repository was not given, so the runbook could not be looked at.
    NoRepository,
}

/// Code changed in a service's paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Churn {
    /// Commits that touched the service's paths.
    pub commits: u64,
    /// Lines added there.
    pub lines_added: u64,
    /// Lines deleted there.
    pub lines_deleted: u64,
}

impl Churn {
    /// Lines changed: added plus deleted.
    pub fn lines(&self) -> u64 {
        self.lines_added + self.lines_deleted
    }
}

/// The runbook of one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runbook {
    /// The service.
    pub service: String,
    /// Its owning team.
    pub team: String,
    /// The repository looked in (`owner/name`), if the service names one.
    pub repo: Option<String>,
    /// The runbook's path, as the model names it.
    pub path: Option<String>,
    /// Where it stands.
    pub state: RunbookState,
    /// The last commit that changed it (full hex).
    pub last_commit: Option<String>,
    /// When that commit was made (its committer time).
    pub last_changed: Option<Timestamp>,
    /// Days from its last change to `now`.
    pub age_days: Measured<f64>,
    /// The service's code changed since the runbook last changed.
    pub churn: Measured<Churn>,
}

impl Runbook {
    /// Whether it is stale: present, older than `max_age_days`, and the
    /// service's code changed since (`None` when that cannot be told).
    pub fn stale(&self, max_age_days: u32) -> Option<bool> {
        if self.state != RunbookState::Present {
            return None;
        }
        let age = *self.age_days.value()?;
        let churn = self.churn.value()?;
        Some(age > f64::from(max_age_days) && churn.commits > 0)
    }
}

/// Why a repository could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KnowledgeError {
    /// Not a git repository.
    #[error(
        "{path}: not a git repository ({message}); pass the clone of {repo} with --repo-dir {repo}=PATH"
    )]
    NotARepository {
        /// The repository's name.
        repo: String,
        /// Where it was looked for.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
    /// The objects could not be read.
    #[error("{path}: cannot read the git history: {message}")]
    Objects {
        /// The repository.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
}

/// The runbooks of every service of the model, in the model's order.
/// `repos` maps a repository (`owner/name`) to its clone; `default_repo` is
/// the clone holding `palisade.toml`, for services that name no repository.
pub fn runbooks(
    index: &Index<'_>,
    repos: &HashMap<String, PathBuf>,
    default_repo: Option<&Path>,
    now: Timestamp,
) -> Result<Vec<Runbook>, KnowledgeError> {
    let model = index.model();
    let mut out: Vec<Runbook> = Vec::with_capacity(model.services.len());
    // Services grouped by the clone they are read from.
    let mut by_clone: HashMap<PathBuf, (String, Vec<usize>)> = HashMap::new();
    for (i, s) in model.services.iter().enumerate() {
        let repo = s.repos.first().cloned();
        let clone = match &repo {
            Some(r) => repos
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(r))
                .map(|(_, v)| v.clone()),
            None => default_repo.map(Path::to_path_buf),
        };
        let mut rb = Runbook {
            service: s.id.clone(),
            team: s.team.clone(),
            repo: repo.clone(),
            path: s.runbook.clone(),
            state: RunbookState::NotDeclared,
            last_commit: None,
            last_changed: None,
            age_days: Measured::NoData(format!("service {} declares no runbook", s.id)),
            churn: Measured::NoData(format!("service {} declares no runbook", s.id)),
        };
        if s.runbook.is_some() {
            match clone {
                Some(c) => {
                    by_clone
                        .entry(c)
                        .or_insert_with(|| (repo.clone().unwrap_or_default(), Vec::new()))
                        .1
                        .push(i);
                }
                None => {
                    rb.state = RunbookState::NoRepository;
                    let why = format!(
                        "the clone of {} was not given (--repo-dir {}=PATH)",
                        repo.as_deref().unwrap_or("the model's repository"),
                        repo.as_deref().unwrap_or("owner/name")
                    );
                    rb.age_days = Measured::NoData(why.clone());
                    rb.churn = Measured::NoData(why);
                }
            }
        }
        out.push(rb);
    }
    let mut clones: Vec<_> = by_clone.into_iter().collect();
    clones.sort_by(|a, b| a.0.cmp(&b.0));
    for (clone, (name, services)) in clones {
        read_repo(index, &clone, &name, &services, &mut out, now)?;
    }
    Ok(out)
}

struct Pending {
    at: usize,
    path: String,
    churn: Churn,
    found: bool,
}

fn read_repo(
    index: &Index<'_>,
    clone: &Path,
    name: &str,
    services: &[usize],
    out: &mut [Runbook],
    now: Timestamp,
) -> Result<(), KnowledgeError> {
    let repo = gix::discover(clone).map_err(|e| KnowledgeError::NotARepository {
        repo: if name.is_empty() {
            "the model's repository".to_owned()
        } else {
            name.to_owned()
        },
        path: clone.to_owned(),
        message: e.to_string(),
    })?;
    let objects = |e: &dyn std::fmt::Display| KnowledgeError::Objects {
        path: clone.to_owned(),
        message: e.to_string(),
    };
    let head = match repo.head_id() {
        Ok(id) => id.detach(),
        Err(e) => {
            // An unborn HEAD has no tree: every runbook is missing.
            let _ = e;
            for &i in services {
                missing(&mut out[i]);
            }
            return Ok(());
        }
    };
    let head_tree = repo
        .find_commit(head)
        .map_err(|e| objects(&e))?
        .tree()
        .map_err(|e| objects(&e))?;
    let mut pending = Vec::new();
    for &i in services {
        let path = out[i].path.clone().unwrap_or_default();
        let found = head_tree
            .lookup_entry_by_path(path.trim_start_matches('/'))
            .map_err(|e| objects(&e))?;
        match found {
            Some(entry) if !entry.mode().is_tree() => {
                out[i].state = RunbookState::Present;
                pending.push(Pending {
                    at: i,
                    path: path.trim_start_matches('/').to_owned(),
                    churn: Churn::default(),
                    found: false,
                });
            }
            _ => missing(&mut out[i]),
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let repo_name = (!name.is_empty()).then_some(name);
    let walk = repo
        .rev_walk([head])
        .sorting(gix::revision::walk::Sorting::ByCommitTime(
            gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
        ))
        .all()
        .map_err(|e| objects(&e))?;
    let empty_tree = ObjectId::empty_tree(repo.object_hash());
    let (mut old_buf, mut new_buf) = (Vec::new(), Vec::new());
    // The commits a shallow clone's history stops at: their parents are not
    // there, so what they changed is unknown and the walk ends at them.
    let boundary: Vec<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default();
    for info in walk {
        let info = info.map_err(|e| objects(&e))?;
        if boundary.contains(&info.id) {
            break;
        }
        if info.parent_ids.len() > 1 {
            continue;
        }
        let commit = repo.find_commit(info.id).map_err(|e| objects(&e))?;
        let tree = commit.tree_id().map_err(|e| objects(&e))?.detach();
        let parent_tree = match info.parent_ids.first() {
            Some(p) => repo
                .find_commit(*p)
                .and_then(|c| c.tree_id().map(|t| t.detach()))
                .map_err(|e| objects(&e))?,
            None => empty_tree,
        };
        if tree == parent_tree {
            continue;
        }
        // A root commit is diffed against the empty tree, which no
        // repository needs to store.
        let old = if parent_tree == empty_tree {
            gix::objs::TreeRefIter::from_bytes(&[], repo.object_hash())
        } else {
            repo.objects
                .find_tree_iter(&parent_tree, &mut old_buf)
                .map_err(|e| objects(&e))?
        };
        let new = repo
            .objects
            .find_tree_iter(&tree, &mut new_buf)
            .map_err(|e| objects(&e))?;
        let mut recorder = gix::diff::tree::Recorder::default();
        let mut state = gix::diff::tree::State::default();
        gix::diff::tree(old, new, &mut state, &repo.objects, &mut recorder)
            .map_err(|e| objects(&e))?;
        let files: Vec<(String, Option<ObjectId>, Option<ObjectId>)> = recorder
            .records
            .into_iter()
            .filter_map(|r| match r {
                Recorded::Addition {
                    entry_mode,
                    oid,
                    path,
                    ..
                } if !entry_mode.is_tree() => Some((path.to_string(), None, Some(oid))),
                Recorded::Deletion {
                    entry_mode,
                    oid,
                    path,
                    ..
                } if !entry_mode.is_tree() => Some((path.to_string(), Some(oid), None)),
                Recorded::Modification {
                    previous_oid,
                    entry_mode,
                    oid,
                    path,
                    ..
                } if !entry_mode.is_tree() => {
                    Some((path.to_string(), Some(previous_oid), Some(oid)))
                }
                _ => None,
            })
            .collect();
        let time = commit
            .time()
            .ok()
            .and_then(|t| Timestamp::from_second(t.seconds).ok());
        let mut line_cache: HashMap<String, (u64, u64)> = HashMap::new();
        for p in pending.iter_mut().filter(|p| !p.found) {
            if files.iter().any(|(f, _, _)| *f == p.path) {
                p.found = true;
                let rb = &mut out[p.at];
                rb.last_commit = Some(info.id.to_string());
                rb.last_changed = time;
                rb.age_days = match time {
                    Some(t) => {
                        Measured::Value((now.as_second() - t.as_second()).max(0) as f64 / 86_400.0)
                    }
                    None => Measured::NoData("its last commit has no readable time".to_owned()),
                };
                rb.churn = Measured::Value(p.churn);
                continue;
            }
            let service = &out[p.at].service;
            let mut touched = false;
            for (f, before, after) in &files {
                let ours = index
                    .services_for_path(repo_name, f)
                    .into_iter()
                    .any(|s| index.service(s).id == *service);
                if !ours {
                    continue;
                }
                touched = true;
                let (added, deleted) = match line_cache.get(f) {
                    Some(v) => *v,
                    None => {
                        let v = lines_changed(&repo, *before, *after).map_err(|e| objects(&e))?;
                        line_cache.insert(f.clone(), v);
                        v
                    }
                };
                p.churn.lines_added += added;
                p.churn.lines_deleted += deleted;
            }
            if touched {
                p.churn.commits += 1;
            }
        }
        if pending.iter().all(|p| p.found) {
            break;
        }
    }
    let shallow = repo.is_shallow().unwrap_or(false);
    for p in pending.iter().filter(|p| !p.found) {
        let why = if shallow {
            "the clone is shallow and its history does not reach the commit that last changed the runbook; fetch it whole (`git fetch --unshallow`)"
        } else {
            "no commit in the history changes the runbook (it arrived in a merge)"
        };
        out[p.at].age_days = Measured::NoData(why.to_owned());
        out[p.at].churn = Measured::NoData(why.to_owned());
    }
    Ok(())
}

fn missing(rb: &mut Runbook) {
    rb.state = RunbookState::Missing;
    let why = format!(
        "runbook {} is not in the repository at HEAD",
        rb.path.as_deref().unwrap_or("")
    );
    rb.age_days = Measured::NoData(why.clone());
    rb.churn = Measured::NoData(why);
}

/// Lines added and deleted from blob `before` to blob `after` (either absent).
fn lines_changed(
    repo: &gix::Repository,
    before: Option<ObjectId>,
    after: Option<ObjectId>,
) -> Result<(u64, u64), String> {
    use gix_imara_diff::{Algorithm, Diff, InternedInput};
    let read = |id: Option<ObjectId>| -> Result<Vec<u8>, String> {
        match id {
            Some(id) => Ok(repo
                .find_object(id)
                .map_err(|e| e.to_string())?
                .detach()
                .data),
            None => Ok(Vec::new()),
        }
    };
    let (a, b) = (read(before)?, read(after)?);
    let input = InternedInput::new(a.as_slice(), b.as_slice());
    let diff = Diff::compute(Algorithm::Histogram, &input);
    let (mut added, mut deleted) = (0u64, 0u64);
    for hunk in diff.hunks() {
        added += u64::from(hunk.after.end - hunk.after.start);
        deleted += u64::from(hunk.before.end - hunk.before.start);
    }
    Ok((added, deleted))
}

//! Deployments in the NDJSON shape DevLake's deployment webhook accepts.
//!
//! One JSON object per line, with the fields of DevLake's
//! `POST /plugins/webhook/connections/:id/deployments` body (camelCase, as its
//! `WebhookDeploymentReq` names them): `id`, `startedDate`, `finishedDate`
//! (required), `result` (`SUCCESS` by default; `FAILURE` and `ABORT` are a
//! failed deployment), `environment` (`PRODUCTION` by default) and
//! `originalEnvironment`, `displayTitle`, `name`, `createdDate` (read and
//! not needed), and `deploymentCommits`, each with `repoUrl` and `commitSha`
//! (required) and optional `refName`, `commitMsg`, dates and result. Other
//! fields are ignored, as DevLake ignores them.
//!
//! A repository URL (https, ssh, scp-like `git@host:owner/name.git`, with or
//! without `.git` and a trailing slash, GitLab subgroups kept) becomes
//! `owner/name` ([`repo_name`]); a commit becomes the services whose paths it
//! touches, through a [`ServicesOf`] the caller gives ([`GitServices`] reads a
//! clone with gix). A deployment touching several services becomes one
//! deployment per service, with the id `<id>:<service>`.
//!
//! Every line is a deployment (or several) or exactly one counted
//! [`Problem`] with its line number: bad JSON, a missing field, a date that
//! does not parse, an unknown repository or environment, a commit the clone
//! does not have, a deployment that touches no service. Nothing is skipped
//! silently; blank lines are counted as such.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::prelude::FindExt as _;
use jiff::Timestamp;
use palisade_model::Index;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::input::{DataIssues, DeployStatus, DeployedCommit, Deployment};
use crate::record::is_full_sha;

/// Why a commit could not be mapped to services.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unmapped {
    /// No service of the model lives in the repository.
    #[error(
        "no service of the model lives in repository `{0}`: add it to a service's `repos`, or check the URL"
    )]
    UnknownRepository(String),
    /// The model knows the repository but no clone of it was given.
    #[error("no clone of repository `{0}` was given: pass --repo-dir {0}=PATH")]
    NoClone(String),
    /// The clone does not have the commit.
    #[error("commit {sha} is not in the clone of `{repo}`{hint}")]
    UnknownCommit {
        /// The repository.
        repo: String,
        /// The commit.
        sha: String,
        /// What to do.
        hint: &'static str,
    },
    /// The commit is there but the history the diff needs is not (a shallow clone).
    #[error(
        "the clone of `{0}` is shallow and lacks the parent the diff needs: fetch the full history (`git fetch --unshallow`)"
    )]
    Shallow(String),
    /// Reading the clone failed.
    #[error("cannot read the clone of `{repo}`: {message}")]
    Git {
        /// The repository.
        repo: String,
        /// What gix said.
        message: String,
    },
}

impl Unmapped {
    /// The problem kind it is counted under.
    pub fn kind(&self) -> &'static str {
        match self {
            Unmapped::UnknownRepository(_) => "unknown_repository",
            Unmapped::NoClone(_) => "no_clone",
            Unmapped::UnknownCommit { .. } => "unknown_commit",
            Unmapped::Shallow(_) => "shallow_clone",
            Unmapped::Git { .. } => "git_error",
        }
    }
}

/// The services a deployed commit of a repository (`owner/name`) touches.
pub trait ServicesOf {
    /// The ids of the services whose paths `sha` (full lower-case hex) changes in `repo`.
    fn services_of(&mut self, repo: &str, sha: &str) -> Result<Vec<String>, Unmapped>;
}

impl<F> ServicesOf for F
where
    F: FnMut(&str, &str) -> Result<Vec<String>, Unmapped>,
{
    fn services_of(&mut self, repo: &str, sha: &str) -> Result<Vec<String>, Unmapped> {
        self(repo, sha)
    }
}

/// One line that gave no deployment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Its 1-based line number.
    pub line: u64,
    /// A stable key (`bad_json`, `missing_field`, `bad_date`, `unknown_commit`, …).
    pub kind: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// What a file gave.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Parsed {
    /// The deployments, in line order.
    pub deployments: Vec<Deployment>,
    /// One per line that gave none.
    pub problems: Vec<Problem>,
    /// The problems counted by kind, for a report.
    pub issues: DataIssues,
    /// Lines read.
    pub lines: u64,
    /// Lines that gave at least one deployment.
    pub accepted: u64,
    /// Empty or whitespace-only lines.
    pub blank: u64,
}

/// How to read a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Every deployment goes to this environment of the model, whatever the
    /// lines say (DevLake's `environment` is one of four fixed words).
    pub environment: Option<String>,
}

/// `owner/name` (`group/subgroup/name` on GitLab) from a repository URL:
/// https or http, `ssh://` or `git://`, scp-like `git@host:owner/name`, with
/// or without `.git`, a trailing slash, credentials, a port, a query; or a
/// bare `owner/name`. `None` when no repository path can be read.
pub fn repo_name(url: &str) -> Option<String> {
    let url = url.trim();
    let url = url.split(['?', '#']).next().unwrap_or("");
    let path = if let Some((_, rest)) = url.split_once("://") {
        // Host (with any credentials and port) up to the first slash.
        rest.split_once('/')?.1
    } else if let Some((host, rest)) = url.split_once(':') {
        // scp-like: `user@host:path`; a colon after a slash is not one.
        if host.contains('/') || host.is_empty() {
            return None;
        }
        rest
    } else {
        url
    };
    // GitLab's web URLs put `/-/` between the project and the page.
    let path = path.split("/-/").next().unwrap_or("");
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains(char::is_whitespace))
    {
        return None;
    }
    Some(parts.join("/"))
}

/// A DevLake time: RFC 3339 (`Z` or an offset, with or without fractions),
/// an offset without its colon (`+0800`), or `YYYY-MM-DD HH:MM:SS` with no
/// zone, read as UTC as DevLake does.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    let b = text.as_bytes();
    if b.len() > 5 {
        let (head, tail) = text.split_at(text.len() - 5);
        let tb = tail.as_bytes();
        if matches!(tb[0], b'+' | b'-') && tb[1..].iter().all(u8::is_ascii_digit) {
            let with_colon = format!("{head}{}:{}", &tail[..3], &tail[3..]);
            if let Ok(t) = with_colon.parse::<Timestamp>() {
                return Some(t);
            }
        }
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// A line's problem before it has a number.
struct LineProblem(&'static str, String);

fn problem(kind: &'static str, message: impl Into<String>) -> LineProblem {
    LineProblem(kind, message.into())
}

fn field<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// A required string (a number is read as its text, as DevLake's weakly typed decoding does).
fn text(obj: &Map<String, Value>, name: &str, within: &str) -> Result<String, LineProblem> {
    match field(obj, name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(_)) | None => Err(problem(
            "missing_field",
            format!("{within}has no `{name}`: DevLake's deployment webhook requires it"),
        )),
        Some(other) => Err(problem(
            "missing_field",
            format!("{within}`{name}` is {}, not a string", kind_of(other)),
        )),
    }
}

fn optional_text(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, LineProblem> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(other) => Err(problem(
            "bad_field",
            format!("`{name}` is {}, not a string", kind_of(other)),
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn time(obj: &Map<String, Value>, name: &str) -> Result<Timestamp, LineProblem> {
    let t = text(obj, name, "the deployment ")?;
    parse_time(&t).ok_or_else(|| {
        problem(
            "bad_date",
            format!("`{name}` {t:?} is not a time: write RFC 3339, e.g. 2026-10-01T12:00:00+00:00"),
        )
    })
}

/// The model environment a line's `originalEnvironment` / `environment` names.
fn environment(
    obj: &Map<String, Value>,
    index: &Index<'_>,
    options: &ParseOptions,
) -> Result<String, LineProblem> {
    if let Some(env) = &options.environment {
        return Ok(env.clone());
    }
    let model = index.model();
    let original = optional_text(obj, "originalEnvironment")?;
    let given = optional_text(obj, "environment")?;
    for name in [&original, &given].into_iter().flatten() {
        if let Some(e) = model
            .environments
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(name))
        {
            return Ok(e.id.clone());
        }
    }
    let devlake = given.unwrap_or_else(|| "PRODUCTION".to_owned());
    if devlake.eq_ignore_ascii_case("PRODUCTION") {
        let production: Vec<_> = model.environments.iter().filter(|e| e.production).collect();
        if let [only] = production.as_slice() {
            return Ok(only.id.clone());
        }
    }
    let known: Vec<&str> = model.environments.iter().map(|e| e.id.as_str()).collect();
    Err(problem(
        "unknown_environment",
        format!(
            "environment {} is not one of the model's environments ({}): set `originalEnvironment` to one, or pass --env",
            original.map_or_else(
                || format!("`{devlake}`"),
                |o| format!("`{o}` (`{devlake}`)")
            ),
            known.join(", ")
        ),
    ))
}

fn status(obj: &Map<String, Value>) -> Result<DeployStatus, LineProblem> {
    let result = optional_text(obj, "result")?.unwrap_or_default();
    match result.to_ascii_uppercase().as_str() {
        "" | "SUCCESS" => Ok(DeployStatus::Success),
        "FAILURE" | "ABORT" => Ok(DeployStatus::Failure),
        _ => Err(problem(
            "bad_result",
            format!(
                "`result` {result:?} is neither SUCCESS, FAILURE nor ABORT: say whether the deployment went out"
            ),
        )),
    }
}

/// One non-blank line's deployments.
fn parse_line(
    line: &str,
    index: &Index<'_>,
    services: &mut dyn ServicesOf,
    options: &ParseOptions,
) -> Result<Vec<Deployment>, LineProblem> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| problem("bad_json", format!("not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(problem(
            "bad_json",
            format!(
                "{} is not a deployment: each line is one JSON object",
                kind_of(&value)
            ),
        ));
    };
    let id = text(&obj, "id", "the deployment ")?;
    let started = time(&obj, "startedDate")?;
    let finished = time(&obj, "finishedDate")?;
    if started > finished {
        return Err(problem(
            "clock_skew",
            format!("deployment `{id}` starts at {started}, after it finishes at {finished}"),
        ));
    }
    let status = status(&obj)?;
    let environment = environment(&obj, index, options)?;
    let commits = match field(&obj, "deploymentCommits") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) | None => {
            return Err(problem(
                "no_commits",
                format!(
                    "deployment `{id}` has no `deploymentCommits`: it must name the commits it shipped"
                ),
            ));
        }
        Some(other) => {
            return Err(problem(
                "missing_field",
                format!("`deploymentCommits` is {}, not an array", kind_of(other)),
            ));
        }
    };
    // Service → the commits that touch it, in service order.
    let mut touched: BTreeMap<String, Vec<DeployedCommit>> = BTreeMap::new();
    for (n, commit) in commits.iter().enumerate() {
        let within = format!("deploymentCommits[{n}] ");
        let Value::Object(c) = commit else {
            return Err(problem(
                "missing_field",
                format!("{within}is not an object"),
            ));
        };
        let url = text(c, "repoUrl", &within)?;
        let sha = text(c, "commitSha", &within)?;
        let repo = repo_name(&url).ok_or_else(|| {
            problem(
                "bad_repo_url",
                format!("{within}`repoUrl` {url:?} names no repository: give its clone URL, e.g. https://github.com/owner/name.git"),
            )
        })?;
        if !is_full_sha(&sha) {
            return Err(problem(
                "bad_sha",
                format!(
                    "{within}`commitSha` {sha:?} is not a full commit id (40 or 64 hex digits)"
                ),
            ));
        }
        let sha = sha.to_ascii_lowercase();
        let names = services
            .services_of(&repo, &sha)
            .map_err(|e| LineProblem(e.kind(), format!("{within}{e}")))?;
        for service in names {
            let list = touched.entry(service).or_default();
            let c = DeployedCommit {
                repo: repo.clone(),
                sha: sha.clone(),
            };
            if !list.contains(&c) {
                list.push(c);
            }
        }
    }
    if touched.is_empty() {
        return Err(problem(
            "no_service",
            format!(
                "deployment `{id}` changes no path any service owns: check the services' `paths`, or that the right commits are named"
            ),
        ));
    }
    let several = touched.len() > 1;
    Ok(touched
        .into_iter()
        .map(|(service, commits)| Deployment {
            id: if several {
                format!("{id}:{service}")
            } else {
                id.clone()
            },
            service,
            environment: environment.clone(),
            started,
            finished,
            status,
            commits,
        })
        .collect())
}

/// Reads DevLake-shaped NDJSON from `input`: each line a deployment (or
/// one per service it touches) or one [`Problem`]. Fails only when `input`
/// cannot be read.
pub fn parse(
    mut input: impl BufRead,
    index: &Index<'_>,
    services: &mut dyn ServicesOf,
    options: &ParseOptions,
) -> std::io::Result<Parsed> {
    let mut out = Parsed::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        out.lines += 1;
        let line = out.lines;
        let result = match std::str::from_utf8(&buf) {
            Err(e) => Err(problem("bad_json", format!("not UTF-8 text: {e}"))),
            Ok(text) if text.trim().is_empty() => {
                out.blank += 1;
                continue;
            }
            Ok(text) => parse_line(
                text.trim_end_matches(['\n', '\r']),
                index,
                services,
                options,
            ),
        };
        match result {
            Ok(deployments) => {
                out.accepted += 1;
                out.deployments.extend(deployments);
            }
            Err(LineProblem(kind, message)) => {
                out.issues.note(
                    kind,
                    "the line gave no deployment",
                    format!("line {line}: {message}"),
                );
                out.problems.push(Problem {
                    line,
                    kind,
                    message,
                });
            }
        }
    }
    Ok(out)
}

/// A clone that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot open the clone of `{repo}`: {message}")]
pub struct CloneError {
    /// The repository.
    pub repo: String,
    /// Where.
    pub path: String,
    /// What gix said.
    pub message: String,
}

/// [`ServicesOf`] over local clones, read with gix. A deployed commit touches
/// the paths it changes against its first parent (all of its files for a root
/// commit), and those changed since the commit this reader last mapped in the
/// same repository (the previous deployment, when lines come in order); the
/// paths map to services through the model's index.
///
/// Which services live in a repository: those that list it in `repos`, and
/// those that list none when it is the repository that holds the model (named
/// with [`GitServices::model_repo`]; without it, any repository, as `palisade
/// owners` reads it).
pub struct GitServices<'i, 'm> {
    index: &'i Index<'m>,
    clones: HashMap<String, (PathBuf, gix::Repository)>,
    model_repo: Option<String>,
    last: HashMap<String, ObjectId>,
}

impl std::fmt::Debug for GitServices<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitServices")
            .field("clones", &self.clones.keys().collect::<Vec<_>>())
            .field("model_repo", &self.model_repo)
            .finish()
    }
}

fn fold(repo: &str) -> String {
    repo.to_ascii_lowercase()
}

impl<'i, 'm> GitServices<'i, 'm> {
    /// A reader with no clones yet, mapping paths through `index`.
    pub fn new(index: &'i Index<'m>) -> GitServices<'i, 'm> {
        GitServices {
            index,
            clones: HashMap::new(),
            model_repo: None,
            last: HashMap::new(),
        }
    }

    /// Names the repository that holds the model (`owner/name`).
    pub fn model_repo(mut self, repo: &str) -> Self {
        self.model_repo = Some(fold(repo));
        self
    }

    /// Reads repository `repo` (`owner/name`) from the clone at `path`.
    pub fn add_clone(&mut self, repo: &str, path: &Path) -> Result<(), CloneError> {
        let opened = gix::open(path).map_err(|e| CloneError {
            repo: repo.to_owned(),
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        self.clones.insert(fold(repo), (path.to_owned(), opened));
        Ok(())
    }

    fn holds_model_services(&self, repo: &str) -> bool {
        self.model_repo.as_deref().is_none_or(|m| m == repo)
            && self
                .index
                .model()
                .services
                .iter()
                .any(|s| s.repos.is_empty())
    }

    fn known(&self, repo: &str) -> bool {
        self.holds_model_services(repo)
            || self
                .index
                .model()
                .services
                .iter()
                .any(|s| s.repos.iter().any(|r| fold(r) == repo))
    }

    fn changed_paths(
        repo: &gix::Repository,
        name: &str,
        old: Option<ObjectId>,
        new: ObjectId,
    ) -> Result<Vec<String>, Unmapped> {
        let git = |e: &dyn std::fmt::Display| Unmapped::Git {
            repo: name.to_owned(),
            message: e.to_string(),
        };
        let mut old_buf = Vec::new();
        let mut new_buf = Vec::new();
        let old_iter = match old {
            Some(id) => repo
                .objects
                .find_tree_iter(&id, &mut old_buf)
                .map_err(|e| git(&e))?,
            None => gix::objs::TreeRefIter::from_bytes(&[], repo.object_hash()),
        };
        let new_iter = repo
            .objects
            .find_tree_iter(&new, &mut new_buf)
            .map_err(|e| git(&e))?;
        let mut recorder = gix::diff::tree::Recorder::default();
        let mut state = gix::diff::tree::State::default();
        gix::diff::tree(old_iter, new_iter, &mut state, &repo.objects, &mut recorder)
            .map_err(|e| git(&e))?;
        use gix::diff::tree::recorder::Change;
        Ok(recorder
            .records
            .into_iter()
            .filter_map(|c| match c {
                Change::Addition {
                    entry_mode, path, ..
                }
                | Change::Deletion {
                    entry_mode, path, ..
                }
                | Change::Modification {
                    entry_mode, path, ..
                } if !entry_mode.is_tree() => Some(path.to_string()),
                _ => None,
            })
            .collect())
    }
}

impl ServicesOf for GitServices<'_, '_> {
    fn services_of(&mut self, repo_name: &str, sha: &str) -> Result<Vec<String>, Unmapped> {
        let key = fold(repo_name);
        if !self.known(&key) {
            return Err(Unmapped::UnknownRepository(repo_name.to_owned()));
        }
        let Some((_, repo)) = self.clones.get(&key) else {
            return Err(Unmapped::NoClone(repo_name.to_owned()));
        };
        let git = |e: &dyn std::fmt::Display| Unmapped::Git {
            repo: repo_name.to_owned(),
            message: e.to_string(),
        };
        let shallow = repo.is_shallow().unwrap_or(false);
        let id = ObjectId::from_hex(sha.as_bytes()).map_err(|e| git(&e))?;
        let commit = repo.find_commit(id).map_err(|_| Unmapped::UnknownCommit {
            repo: repo_name.to_owned(),
            sha: sha.to_owned(),
            hint: if shallow {
                ": the clone is shallow; fetch the full history (`git fetch --unshallow`)"
            } else {
                ": fetch it (`git fetch origin`), or check that it was not rewritten by a force push"
            },
        })?;
        let tree = commit.tree_id().map_err(|e| git(&e))?.detach();
        let parent_tree = match commit.parent_ids().next() {
            None => None,
            Some(parent) => {
                let parent = repo.find_commit(parent.detach()).map_err(|e| {
                    if shallow {
                        Unmapped::Shallow(repo_name.to_owned())
                    } else {
                        git(&e)
                    }
                })?;
                Some(parent.tree_id().map_err(|e| git(&e))?.detach())
            }
        };
        let mut paths = Self::changed_paths(repo, repo_name, parent_tree, tree)?;
        if let Some(&previous) = self.last.get(&key)
            && previous != id
            && let Ok(before) = repo.find_commit(previous)
        {
            let before = before.tree_id().map_err(|e| git(&e))?.detach();
            paths.extend(Self::changed_paths(repo, repo_name, Some(before), tree)?);
        }
        let model_services = self.holds_model_services(&key);
        let mut found = Vec::new();
        // The index fills the buffer afresh on every call.
        let mut owners = Vec::new();
        for path in &paths {
            self.index
                .services_for_path_into(Some(repo_name), path, &mut owners);
            found.append(&mut owners);
            if model_services {
                self.index.services_for_path_into(None, path, &mut owners);
                found.append(&mut owners);
            }
        }
        found.sort_unstable();
        found.dedup();
        self.last.insert(key, id);
        Ok(found
            .into_iter()
            .map(|s| self.index.service(s).id.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_map_to_their_path() {
        for (url, want) in [
            ("https://github.com/acme/payments", "acme/payments"),
            ("https://github.com/acme/payments.git", "acme/payments"),
            ("https://github.com/acme/payments/", "acme/payments"),
            ("https://github.com/acme/payments.git/", "acme/payments"),
            (
                "http://git.acme.example:8080/acme/payments",
                "acme/payments",
            ),
            (
                "https://user:tok@github.com/acme/payments.git",
                "acme/payments",
            ),
            ("git@github.com:acme/payments.git", "acme/payments"),
            ("git@github.com:acme/payments", "acme/payments"),
            ("ssh://git@github.com/acme/payments.git", "acme/payments"),
            (
                "ssh://git@gitlab.example:2222/acme/team/payments.git",
                "acme/team/payments",
            ),
            (
                "https://gitlab.com/acme/platform/sub/payments",
                "acme/platform/sub/payments",
            ),
            (
                "https://gitlab.com/acme/payments/-/tree/main",
                "acme/payments",
            ),
            ("git://github.com/acme/payments.git", "acme/payments"),
            ("acme/payments", "acme/payments"),
            (
                "  https://github.com/acme/payments?tab=readme  ",
                "acme/payments",
            ),
        ] {
            assert_eq!(repo_name(url).as_deref(), Some(want), "{url}");
        }
        for bad in [
            "",
            "payments",
            "https://github.com/",
            "https://github.com/acme",
            "git@github.com:",
            "not a url/at all",
            "https://github.com/acme//payments",
        ] {
            assert_eq!(repo_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn devlake_times_are_read_in_each_form_it_accepts() {
        let want: Timestamp = "2020-01-01T12:00:00Z".parse().expect("valid");
        for t in [
            "2020-01-01T12:00:00+00:00",
            "2020-01-01T12:00:00Z",
            "2020-01-01T20:00:00+08:00",
            "2020-01-01T20:00:00+0800",
            "2020-01-01T12:00:00.000+00:00",
            "2020-01-01 12:00:00",
        ] {
            assert_eq!(parse_time(t), Some(want), "{t}");
        }
        for bad in ["", "yesterday", "2020-13-01T00:00:00Z", "1577880000"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}

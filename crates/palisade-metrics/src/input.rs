//! What the metrics are computed from, in one shape whatever the source:
//! deployments (recorded by command or imported from DevLake-shaped NDJSON),
//! incidents, commits read from git, and pull requests with their reviews.
//! Bad input is never dropped silently: it is counted in [`DataIssues`].

use jiff::Timestamp;
use serde::Serialize;

/// Whether a deployment succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployStatus {
    /// It went out.
    Success,
    /// It failed to go out (a failed deployment, not a failed change).
    Failure,
}

impl DeployStatus {
    /// Its stored name.
    pub fn key(self) -> &'static str {
        match self {
            DeployStatus::Success => "success",
            DeployStatus::Failure => "failure",
        }
    }

    /// The status named `key` (`success` or `failure`).
    pub fn from_key(key: &str) -> Option<DeployStatus> {
        match key {
            "success" => Some(DeployStatus::Success),
            "failure" => Some(DeployStatus::Failure),
            _ => None,
        }
    }
}

/// A commit a deployment shipped, as its source names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DeployedCommit {
    /// The repository, `owner/name` (a URL is mapped to it on import).
    pub repo: String,
    /// The full commit id, lower-case hex.
    pub sha: String,
}

/// One deployment of a service to an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    /// Its id: the source's own (DevLake's `id`), or one Palisade made.
    pub id: String,
    /// The service deployed (an id of `[[services]]`).
    pub service: String,
    /// The environment (an id of `[[environments]]`).
    pub environment: String,
    /// When it started.
    pub started: Timestamp,
    /// When it finished; the deployment's time for every metric.
    pub finished: Timestamp,
    /// Whether it went out.
    pub status: DeployStatus,
    /// The head commits it shipped (usually one per repository).
    pub commits: Vec<DeployedCommit>,
}

/// An incident, open or resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Its id.
    pub id: String,
    /// The service it hit (an id of `[[services]]`).
    pub service: String,
    /// Its severity, one of the model's `[metrics] incident_severities`.
    pub severity: String,
    /// One line on what happened.
    pub title: String,
    /// When it was opened.
    pub opened: Timestamp,
    /// When it was resolved; `None` while open.
    pub resolved: Option<Timestamp>,
    /// The commit that caused it, when known (full hex id).
    pub cause: Option<String>,
    /// The deployment that caused it, when known (a deployment's id). Without
    /// it, the cause commit links it to the deployment that first shipped it.
    pub deployment: Option<String>,
}

/// A commit, as the history walk reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commit {
    /// The full id, lower-case hex.
    pub sha: String,
    /// When it was authored.
    pub authored: Timestamp,
    /// When it was committed (rebases and cherry-picks move this, not `authored`).
    pub committed: Timestamp,
    /// The author's e-mail, as written.
    pub author_email: String,
    /// The person it resolved to through the identities index (a handle).
    pub person: Option<String>,
    /// Its parents' ids.
    pub parents: Vec<String>,
}

/// A pull request, from GitHub's pulls JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullRequest {
    /// The repository, `owner/name`.
    pub repo: String,
    /// Its number.
    pub number: u64,
    /// The author's login.
    pub author: String,
    /// When it was opened.
    pub opened: Timestamp,
    /// When it was merged, if it was.
    pub merged: Option<Timestamp>,
    /// When it was closed (merged or not).
    pub closed: Option<Timestamp>,
    /// Lines added, when the JSON carries them (the single-pull endpoint does).
    pub additions: Option<u64>,
    /// Lines deleted, when the JSON carries them.
    pub deletions: Option<u64>,
    /// Files changed, when the JSON carries them.
    pub changed_files: Option<u64>,
    /// The merge commit, when merged.
    pub merge_sha: Option<String>,
    /// Its labels (an escaped defect is a `bug` labelled pull request fixing production).
    pub labels: Vec<String>,
}

/// A review of a pull request, from GitHub's reviews JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    /// The repository, `owner/name`.
    pub repo: String,
    /// The pull request's number.
    pub number: u64,
    /// The reviewer's login.
    pub reviewer: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `DISMISSED`.
    pub state: String,
    /// When it was submitted.
    pub submitted: Timestamp,
}

/// Input that could not be used as it is, counted by kind, with a few examples
/// each, so a report can say what its figures stand on.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataIssues {
    /// One entry per kind of problem that occurred.
    pub kinds: Vec<DataIssue>,
}

/// One kind of bad input, how often it occurred, and a few examples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataIssue {
    /// A stable key: `unknown_commit`, `incident_without_service`, `clock_skew`,
    /// `rewritten_history`, `shallow_clone`, `unknown_service`, …
    pub kind: String,
    /// What it means for the figures, in one sentence.
    pub effect: String,
    /// How many times it occurred.
    pub count: u64,
    /// Up to [`DataIssues::EXAMPLES`] examples (ids, shas).
    pub examples: Vec<String>,
}

impl DataIssues {
    /// How many examples each kind keeps.
    pub const EXAMPLES: usize = 5;

    /// Counts one occurrence of `kind`, keeping `example` if there is room.
    pub fn note(&mut self, kind: &str, effect: &str, example: impl Into<String>) {
        let entry = match self.kinds.iter_mut().position(|k| k.kind == kind) {
            Some(i) => &mut self.kinds[i],
            None => {
                self.kinds.push(DataIssue {
                    kind: kind.to_owned(),
                    effect: effect.to_owned(),
                    count: 0,
                    examples: Vec::new(),
                });
                self.kinds.last_mut().expect("just pushed")
            }
        };
        entry.count += 1;
        if entry.examples.len() < Self::EXAMPLES {
            entry.examples.push(example.into());
        }
    }

    /// How many times `kind` occurred.
    pub fn count(&self, kind: &str) -> u64 {
        self.kinds
            .iter()
            .find(|k| k.kind == kind)
            .map_or(0, |k| k.count)
    }

    /// Adds every count of `other` into `self`.
    pub fn merge(&mut self, other: DataIssues) {
        for k in other.kinds {
            match self.kinds.iter_mut().find(|m| m.kind == k.kind) {
                Some(m) => {
                    m.count += k.count;
                    let room = Self::EXAMPLES.saturating_sub(m.examples.len());
                    m.examples.extend(k.examples.into_iter().take(room));
                }
                None => self.kinds.push(k),
            }
        }
    }

    /// Whether nothing was wrong.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_counted_with_a_few_examples_each() {
        let mut issues = DataIssues::default();
        for i in 0..8 {
            issues.note("unknown_commit", "not in lead time", format!("c{i}"));
        }
        issues.note("clock_skew", "committed after deployed", "d1");
        assert_eq!(issues.count("unknown_commit"), 8);
        assert_eq!(issues.kinds[0].examples.len(), DataIssues::EXAMPLES);
        let mut more = DataIssues::default();
        more.note("clock_skew", "committed after deployed", "d2");
        issues.merge(more);
        assert_eq!(issues.count("clock_skew"), 2);
        assert_eq!(issues.count("shallow_clone"), 0);
    }
}
